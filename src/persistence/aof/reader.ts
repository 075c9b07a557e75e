/**
 * Reads the commands of an AOF file, the way Redis's loader does (aof.c): `*argc`, then per
 * argument `$len` and len bytes plus CRLF; lines starting with `#` are annotations
 * (`#TS:<unix time>` when aof-timestamp-enabled). A file may start with an RDB preamble;
 * that part is read by the RDB reader and the commands start where it ends.
 *
 * Errors carry the byte offset: `truncated` (the file ends inside a command: a crash in the
 * middle of a write, which aof-load-truncated may trim) or `format` (anything else: refuse).
 */
export class AofParseError extends Error {
  constructor(
    readonly kind: 'truncated' | 'format',
    readonly reason: string,
    /** where the command that failed starts */
    readonly offset: number,
  ) {
    super(`${reason} at offset ${offset}`);
  }
}

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

export class AofCommandReader {
  private readonly buf: Latin1Buffer;
  /** offset just after the last complete command or annotation */
  pos: number;
  /** where the command returned by the last next() started */
  start = 0;
  /** the last annotation seen (without `#` and CRLF), for #TS */
  annotation: string | null = null;

  /**
   * `strict`: a `*argc` or `$len` line must end in CRLF, as redis-check-aof demands. Redis's
   * loader reads those lines with fgets() and takes a bare LF too, and so does the loader here.
   */
  constructor(buf: Buffer, from = 0, private readonly strict = false) {
    this.buf = buf as Latin1Buffer;
    this.pos = from;
  }

  get length(): number {
    return this.buf.length;
  }

  /** The next command, or null at the end of the file; throws AofParseError. */
  next(): string[] | null {
    const buf = this.buf;
    for (;;) {
      const start = this.pos;
      this.start = start;
      if (start >= buf.length) return null;
      const c0 = buf[start];
      if (c0 === 0x23 /* # */) {
        // an annotation cut short by the end of the file is still one, as Redis reads it with
        // fgets(): a crash while writing `#TS:...` leaves nothing to truncate or refuse
        let eol = buf.indexOf(0x0a, start);
        if (eol < 0) eol = buf.length;
        this.annotation = buf.latin1Slice(start + 1, eol > start && buf[eol - 1] === 0x0d ? eol - 1 : eol);
        this.pos = Math.min(eol + 1, buf.length);
        continue;
      }
      if (c0 !== 0x2a /* * */) throw new AofParseError('format', `expected '*', got '${printable(c0)}'`, start);
      let p = start + 1;
      const argcLine = this.line(p, start);
      const argc = parseIntLine(buf, p, argcLine.end);
      if (argc === null || argc < 1) throw new AofParseError('format', 'invalid multibulk length', start);
      p = argcLine.next;
      const argv = new Array<string>(argc);
      for (let i = 0; i < argc; i++) {
        if (p >= buf.length) throw new AofParseError('truncated', 'unexpected end of file reading a command', start);
        if (buf[p] !== 0x24 /* $ */) throw new AofParseError('format', `expected '$', got '${printable(buf[p])}'`, start);
        const l = this.line(p + 1, start);
        const len = parseIntLine(buf, p + 1, l.end);
        if (len === null || len < 0) throw new AofParseError('format', 'invalid bulk length', start);
        p = l.next;
        if (p + len + 2 > buf.length) throw new AofParseError('truncated', 'unexpected end of file reading a command', start);
        argv[i] = buf.latin1Slice(p, p + len);
        p += len;
        if (buf[p] !== 0x0d || buf[p + 1] !== 0x0a) throw new AofParseError('format', 'expected CRLF after a bulk string', start);
        p += 2;
      }
      this.pos = p;
      return argv;
    }
  }

  /** The line starting at p: where its digits end and where the next line starts. */
  private line(p: number, start: number): { end: number; next: number } {
    const eol = this.buf.indexOf(0x0a, p);
    if (eol < 0) throw new AofParseError('truncated', 'unexpected end of file reading a command', start);
    const cr = eol > p && this.buf[eol - 1] === 0x0d;
    if (!cr && this.strict) throw new AofParseError('format', 'expected CRLF after a length', start);
    return { end: cr ? eol - 1 : eol, next: eol + 1 };
  }
}

function parseIntLine(buf: Buffer, from: number, to: number): number | null {
  if (from >= to || to - from > 18) return null;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n;
}

function printable(b: number): string {
  return b >= 32 && b < 127 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
}

/** True when the file starts with an RDB preamble (an RDB-format BASE or a hybrid legacy file). */
export function hasRdbPreamble(buf: Buffer): boolean {
  return buf.length >= 5 && buf.toString('latin1', 0, 5) === 'REDIS';
}
