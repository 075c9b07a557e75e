/**
 * Reply encoding for RESP2 and RESP3. Replies accumulate in a latin1 string that the
 * connection writes once per event-loop turn: string concatenation is V8's cheapest
 * builder for many small pieces, and a latin1 string goes to the socket without re-encoding.
 */
import { formatDouble17g } from '../util/number';

export const enum Resp {
  V2 = 2,
  V3 = 3,
}

/** `$<len>\r\n` for the lengths most values have, made once: a bulk reply is then two concatenations */
const BULK_HEADERS: string[] = Array.from({ length: 1024 }, (_, n) => '$' + n + '\r\n');

/** The header of a push frame of `n` elements: RESP3 `>`, RESP2 an array. */
export function pushHeader(resp: number, n: number): string {
  return (resp === Resp.V3 ? '>' : '*') + n + '\r\n';
}

export function bulkHeader(len: number): string {
  return len < 1024 ? BULK_HEADERS[len] : '$' + len + '\r\n';
}

/**
 * A value this long, or one that would take `out` past this length, is set aside as a piece of
 * its own instead of joined to `out`: V8 refuses strings longer than 536,870,888 characters
 * (RangeError: Invalid string length), and two big values in one reply (MGET, LRANGE, a
 * subscriber's messages) would otherwise kill the server.
 */
export const BIG_REPLY = 64 * 1024 * 1024;

export abstract class ReplyWriter {
  out = '';
  resp: number = Resp.V2;
  /** counts of error replies by prefix, for INFO errorstats (owner may ignore) */
  onError: ((code: string) => void) | null = null;

  /** Takes a finished piece of output that goes out before whatever `out` holds next. */
  protected abstract setAside(piece: string): void;

  /** Appends `s`, setting `out` (and `s`, when big) aside first when they would grow too long. */
  raw(s: string): void {
    if (this.out.length + s.length >= BIG_REPLY) {
      this.setAside(this.out);
      this.out = '';
      if (s.length >= BIG_REPLY) return this.setAside(s);
    }
    this.out += s;
  }

  ok(): void {
    this.out += '+OK\r\n';
  }

  status(s: string): void {
    this.out += '+' + s + '\r\n';
  }

  /** `msg` starts with the error code: `ERR syntax error`, `WRONGTYPE ...`. */
  error(msg: string): void {
    if (msg.indexOf('\r') >= 0 || msg.indexOf('\n') >= 0) msg = msg.replace(/[\r\n]/g, ' ');
    this.out += '-' + msg + '\r\n';
    if (this.onError !== null) {
      const sp = msg.indexOf(' ');
      this.onError(sp < 0 ? msg : msg.slice(0, sp));
    }
  }

  int(n: number | bigint): void {
    this.out += ':' + n + '\r\n';
  }

  bulk(s: string): void {
    if (this.out.length + s.length >= BIG_REPLY) return this.bigBulk(s);
    this.out += bulkHeader(s.length) + s + '\r\n';
  }

  bulkOrNull(s: string | undefined | null): void {
    if (s === undefined || s === null) this.nullBulk();
    else this.bulk(s);
  }

  private bigBulk(s: string): void {
    this.setAside(this.out + bulkHeader(s.length));
    if (s.length >= BIG_REPLY) {
      this.setAside(s);
      this.out = '\r\n';
    } else {
      this.out = s + '\r\n';
    }
  }

  /** The null a missing single value gets: `$-1` in RESP2, `_` in RESP3. */
  nullBulk(): void {
    this.out += this.resp === Resp.V3 ? '_\r\n' : '$-1\r\n';
  }

  /** The null a missing aggregate gets: `*-1` in RESP2, `_` in RESP3. */
  nullArray(): void {
    this.out += this.resp === Resp.V3 ? '_\r\n' : '*-1\r\n';
  }

  arrayLen(n: number): void {
    this.out += '*' + n + '\r\n';
  }

  mapLen(n: number): void {
    this.out += this.resp === Resp.V3 ? '%' + n + '\r\n' : '*' + n * 2 + '\r\n';
  }

  setLen(n: number): void {
    this.out += this.resp === Resp.V3 ? '~' + n + '\r\n' : '*' + n + '\r\n';
  }


  bulkArray(items: readonly string[]): void {
    this.bulkArrayOrNulls(items);
  }

  bulkArrayOrNulls(items: readonly (string | undefined | null)[]): void {
    this.raw('*' + items.length + '\r\n');
    this.bulkItems(items);
  }

  /** The elements of an array whose header went out already (bulk strings, null when missing). */
  bulkItems(items: readonly (string | undefined | null)[]): void {
    let s = '';
    const nil = this.resp === Resp.V3 ? '_\r\n' : '$-1\r\n';
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (it === undefined || it === null) {
        s += nil;
        // many nulls make a long reply too (SORT ... GET of missing keys)
        if (s.length >= BIG_REPLY) {
          this.raw(s);
          s = '';
        }
      } else if (s.length + it.length >= BIG_REPLY) {
        this.raw(s);
        s = '';
        this.bulk(it);
      } else s += bulkHeader(it.length) + it + '\r\n';
    }
    this.raw(s);
  }

  /** A double: RESP3 `,` type, RESP2 bulk string, formatted as Redis 7.0's `%.17g`. */
  double(d: number): void {
    const s = formatDouble17g(d);
    if (this.resp === Resp.V3) this.out += ',' + s + '\r\n';
    else this.out += bulkHeader(s.length) + s + '\r\n';
  }

  bool(b: boolean): void {
    if (this.resp === Resp.V3) this.out += b ? '#t\r\n' : '#f\r\n';
    else this.out += b ? ':1\r\n' : ':0\r\n';
  }

  /** Verbatim text (INFO, CLIENT LIST...): RESP3 `=` with a format, RESP2 bulk. */
  verbatim(s: string, format = 'txt'): void {
    if (this.resp === Resp.V3) this.out += '=' + (s.length + 4) + '\r\n' + format + ':' + s + '\r\n';
    else this.out += bulkHeader(s.length) + s + '\r\n';
  }

  /** Generic encoder for small nested replies (HELLO, COMMAND INFO...). */
  value(v: ReplyValue): void {
    if (v === null) this.nullBulk();
    else if (typeof v === 'string') this.bulk(v);
    else if (typeof v === 'number' || typeof v === 'bigint') this.int(v);
    else if (typeof v === 'boolean') this.bool(v);
    else if (Array.isArray(v)) {
      this.arrayLen(v.length);
      for (const x of v) this.value(x);
    } else if (v instanceof ReplyStatus) this.status(v.text);
    else if (v instanceof ReplyDouble) this.double(v.n);
    else if (v instanceof ReplySet) {
      this.setLen(v.items.length);
      for (const x of v.items) this.value(x);
    } else if (v instanceof ReplyError) this.error(v.message);
    else {
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
      this.mapLen(entries.length);
      for (const [k, x] of entries) {
        this.bulk(k);
        this.value(x);
      }
    }
  }
}

export class ReplyStatus {
  constructor(public text: string) {}
}
export class ReplyDouble {
  constructor(public n: number) {}
}
export class ReplySet {
  constructor(public items: ReplyValue[]) {}
}
export class ReplyError {
  constructor(public message: string) {}
}
export type ReplyValue =
  | null
  | string
  | number
  | bigint
  | boolean
  | ReplyValue[]
  | ReplyStatus
  | ReplyDouble
  | ReplySet
  | ReplyError
  | Map<string, ReplyValue>
  | { [k: string]: ReplyValue };
