/**
 * RESP request parser: multibulk (`*N\r\n$len\r\n...`) and inline commands, incremental
 * across TCP chunks, yielding one argv (latin1 strings) at a time so the caller can run
 * every complete command of a chunk in order (pipelining) and stop early (blocked clients).
 *
 * The common case — a chunk that holds whole commands — parses straight out of the chunk.
 * A partial command keeps its parsed arguments (like Redis's processMultibulkBuffer), and a
 * large bulk is gathered chunk by chunk and joined once, so a 500 MB value costs O(n).
 *
 * Chunks are borrowed: the server reads every connection into one shared buffer, so a chunk is
 * valid only until the next read. What the parser keeps past release() it copies.
 */

import { MAX_ARRAY_ELEMENTS } from '../util/limits';

export class ProtocolError extends Error {}

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLen: number;
  /** client-query-buffer-limit: pending unparsed bytes beyond this close the client */
  maxQueryBuffer: number;
  /** an unauthenticated client may not send big requests (Redis's DoS guard) */
  authenticated: boolean;
}

const INLINE_MAX = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const CR = 13;
const LF = 10;

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

export class QueryBufferLimitError extends Error {}

export class RequestParser {
  private buf: Latin1Buffer = EMPTY as Latin1Buffer;
  private pos = 0;
  /** `buf` is the caller's chunk (see release) */
  private borrowed = false;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** bytes (counted from `pos`) that must be present before parsing can make progress */
  private need = 0;

  private mbRemaining = 0;
  private bulkLen = -1;
  private args: string[] = [];

  constructor(public limits: ParserLimits) {}

  /** Bytes received but not yet turned into a command (for CLIENT LIST qbuf and limits). */
  get buffered(): number {
    return this.buf.length - this.pos + this.pendingLen;
  }

  /**
   * CLIENT LIST's qbuf: Redis's query buffer, which keeps the commands of a read until they
   * have all run (so a command sees its own bytes there), then drops them (see release).
   */
  get queryBuffer(): number {
    return this.buf.length + this.pendingLen;
  }

  /** Takes a borrowed chunk: call release() before its buffer is reused. */
  feed(chunk: Buffer): void {
    if (this.pos >= this.buf.length && this.pendingLen === 0) {
      this.buf = chunk as Latin1Buffer;
      this.pos = 0;
      this.borrowed = true;
    } else {
      this.pending.push(Buffer.from(chunk));
      this.pendingLen += chunk.length;
    }
    if (this.buffered > this.limits.maxQueryBuffer) {
      throw new QueryBufferLimitError('closing client that reached max query buffer length');
    }
  }

  /**
   * After a read's commands have run: drops the parsed bytes, and copies the rest out of a
   * borrowed chunk.
   */
  release(): void {
    if (this.pos === 0 && !this.borrowed) return;
    const rest = this.pos < this.buf.length ? this.buf.subarray(this.pos) : EMPTY;
    this.buf = (this.borrowed && rest !== EMPTY ? Buffer.from(rest) : rest) as Latin1Buffer;
    this.pos = 0;
    this.borrowed = false;
  }

  /** Joins pending chunks once enough bytes have arrived to make progress. */
  private gather(): boolean {
    if (this.pendingLen === 0) return false;
    if (this.buffered < this.need) return false;
    const parts = this.pos < this.buf.length ? [this.buf.subarray(this.pos), ...this.pending] : this.pending;
    this.buf = (parts.length === 1 ? parts[0] : Buffer.concat(parts)) as Latin1Buffer;
    this.pos = 0;
    this.borrowed = false;
    this.pending = [];
    this.pendingLen = 0;
    return true;
  }

  /** Next complete command, or null when more bytes are needed. Throws ProtocolError. */
  next(): string[] | null {
    for (;;) {
      if (this.buf.length - this.pos < this.need || this.pos >= this.buf.length) {
        if (!this.gather()) return null;
      }
      if (this.mbRemaining === 0 && this.buf[this.pos] === 42 /* '*' */) {
        const fast = this.wholeMultibulk();
        if (fast !== null) return fast;
      }
      const r = this.mbRemaining > 0 || this.buf[this.pos] === 42 /* '*' */ ? this.multibulk() : this.inline();
      if (r === undefined) {
        if (!this.gather()) return null;
        continue;
      }
      if (r === null) continue; // empty command: skip
      return r;
    }
  }

  private lineEnd(maxLen: number, what: string): number {
    const buf = this.buf;
    // header lines are a few bytes long: a JS scan is cheaper than a native indexOf call,
    // which pays off only for long ones
    const len = buf.length;
    const stop = Math.min(len, this.pos + 24);
    let end = this.pos;
    while (end < stop && buf[end] !== CR) end++;
    if (end === stop) end = stop < len ? buf.indexOf(CR, stop) : -1;
    if (end < 0 || end + 1 >= len) {
      if (buf.length - this.pos > maxLen) throw new ProtocolError(`Protocol error: too big ${what}`);
      this.need = buf.length - this.pos + 1;
      return -1;
    }
    if (end - this.pos > maxLen) throw new ProtocolError(`Protocol error: too big ${what}`);
    return end;
  }

  /** Parses a signed decimal between pos+1 and end; NaN if malformed. */
  private number(from: number, end: number): number {
    const buf = this.buf;
    let i = from;
    let neg = false;
    if (buf[i] === 45) { neg = true; i++; }
    if (i >= end || end - i > 18) return NaN;
    // string2ll: no leading zero, no "-0"
    if (buf[i] === 48 && (neg || end - i > 1)) return NaN;
    let n = 0;
    for (; i < end; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) return NaN;
      n = n * 10 + d;
    }
    return neg ? -n : n;
  }

  /**
   * The common case in one pass with local state: a well-formed multibulk command that lies
   * entirely in the buffer, within the limits. Anything else (partial, malformed, over a limit,
   * empty) returns null without consuming a byte, and multibulk() takes it from the start.
   */
  private wholeMultibulk(): string[] | null {
    const buf = this.buf;
    const len = buf.length;
    let p = this.pos + 1;
    let n = 0;
    let d = 0;
    let digits = 0;
    while (p < len && (d = buf[p] - 48) >= 0 && d <= 9 && digits < 10) {
      n = n * 10 + d;
      p++;
      digits++;
    }
    // a leading zero is left to multibulk() to refuse
    if (digits === 0 || p + 1 >= len || buf[p] !== CR || n <= 0 || n > 1024 || buf[this.pos + 1] === 48) return null;
    if (!this.limits.authenticated) return null;
    p += 2;
    const maxBulk = this.limits.maxBulkLen;
    const argv = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      if (p >= len || buf[p] !== 36 /* '$' */) return null;
      p++;
      let bl = 0;
      digits = 0;
      const first = p;
      while (p < len && (d = buf[p] - 48) >= 0 && d <= 9 && digits < 16) {
        bl = bl * 10 + d;
        p++;
        digits++;
      }
      if (digits === 0 || p + 1 >= len || buf[p] !== CR || bl > maxBulk || (buf[first] === 48 && digits > 1)) return null;
      p += 2;
      if (len - p < bl + 2) return null;
      argv[i] = buf.latin1Slice(p, p + bl);
      p += bl + 2;
    }
    this.pos = p;
    this.need = 0;
    return argv;
  }

  /** undefined: incomplete; null: empty command; else argv */
  private multibulk(): string[] | null | undefined {
    const buf = this.buf;
    if (this.mbRemaining === 0) {
      const end = this.lineEnd(INLINE_MAX, 'mbulk count string');
      if (end < 0) return undefined;
      const n = this.number(this.pos + 1, end);
      // Redis takes up to 2^31 - 1 arguments; a JS array of more than MAX_ARRAY_ELEMENTS aborts Node
      if (Number.isNaN(n) || n > MAX_ARRAY_ELEMENTS) throw new ProtocolError('Protocol error: invalid multibulk length');
      if (!this.limits.authenticated && n > 10) throw new ProtocolError('Protocol error: unauthenticated multibulk length');
      this.pos = end + 2;
      this.need = 0;
      if (n <= 0) return null;
      this.mbRemaining = n;
      this.args = [];
    }
    while (this.mbRemaining > 0) {
      if (this.bulkLen < 0) {
        if (this.pos >= buf.length) { this.need = 1; return undefined; }
        const end = this.lineEnd(INLINE_MAX, 'bulk count string');
        if (end < 0) return undefined;
        if (buf[this.pos] !== 36 /* '$' */) {
          throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(buf[this.pos])}'`);
        }
        const n = this.number(this.pos + 1, end);
        if (Number.isNaN(n) || n < 0 || n > this.limits.maxBulkLen) throw new ProtocolError('Protocol error: invalid bulk length');
        if (!this.limits.authenticated && n > 16384) throw new ProtocolError('Protocol error: unauthenticated bulk length');
        this.pos = end + 2;
        this.bulkLen = n;
      }
      if (buf.length - this.pos < this.bulkLen + 2) {
        this.need = this.bulkLen + 2;
        return undefined;
      }
      this.args.push(buf.latin1Slice(this.pos, this.pos + this.bulkLen));
      this.pos += this.bulkLen + 2;
      this.bulkLen = -1;
      this.mbRemaining--;
    }
    this.need = 0;
    const argv = this.args;
    this.args = [];
    return argv;
  }

  private inline(): string[] | null | undefined {
    const buf = this.buf;
    const nl = buf.indexOf(LF, this.pos);
    if (nl < 0) {
      if (buf.length - this.pos > INLINE_MAX) throw new ProtocolError('Protocol error: too big inline request');
      this.need = buf.length - this.pos + 1;
      return undefined;
    }
    if (nl - this.pos > INLINE_MAX) throw new ProtocolError('Protocol error: too big inline request');
    let end = nl;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const line = buf.latin1Slice(this.pos, end);
    this.pos = nl + 1;
    this.need = 0;
    const argv = splitInlineArgs(line);
    if (argv === null) throw new ProtocolError('Protocol error: unbalanced quotes in request');
    return argv.length === 0 ? null : argv;
  }
}

function isHex(c: string): boolean {
  return /^[0-9a-fA-F]$/.test(c);
}

/**
 * sdssplitargs: whitespace-separated words, "double quotes" with \n \r \t \b \a \\ \" \xHH,
 * 'single quotes' with \'. A closing quote must be followed by space or end. null on error.
 */
export function splitInlineArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) return out;
    let cur = '';
    let inDq = false;
    let inSq = false;
    for (;;) {
      if (inDq) {
        if (i >= n) return null;
        const c = line[i];
        if (c === '\\' && line[i + 1] === 'x' && i + 3 < n && isHex(line[i + 2]) && isHex(line[i + 3])) {
          cur += String.fromCharCode(parseInt(line.substr(i + 2, 2), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const e = line[i];
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          inDq = false;
          i++;
          break;
        } else {
          cur += c;
        }
        i++;
      } else if (inSq) {
        if (i >= n) return null;
        const c = line[i];
        if (c === '\\' && line[i + 1] === "'") {
          cur += "'";
          i += 2;
          continue;
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          inSq = false;
          i++;
          break;
        }
        cur += c;
        i++;
      } else {
        if (i >= n) break;
        const c = line[i];
        const code = line.charCodeAt(i);
        // sdssplitargs ends an unquoted word on these only (\v and \f belong to the word)
        if (code === 32 || code === 10 || code === 13 || code === 9) break;
        if (c === '"') inDq = true;
        else if (c === "'") inSq = true;
        else cur += c;
        i++;
      }
    }
    out.push(cur);
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12;
}
