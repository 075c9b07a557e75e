/**
 * aof_buf: the commands appended and not yet written to the file, encoded as RESP straight
 * into one growing byte buffer. A JS string per command, concatenated per turn, cost a rope of
 * small strings per command for the GC, then a flattening copy and a conversion copy when it
 * was written.
 */

/** below this an argument is copied byte by byte in JS; above, by Buffer.write (one call into C++) */
const SHORT_ARG = 32;
/** a buffer grown past this by a burst is let go once it is empty again */
const KEEP_BYTES = 1024 * 1024;
const INITIAL_BYTES = 64 * 1024;

export class AofBuffer {
  private bytes = Buffer.allocUnsafe(INITIAL_BYTES);
  /** bytes waiting to be written */
  length = 0;

  /** Appends `*N\r\n$len\r\narg\r\n...` (args are latin1 strings: one byte per char). */
  appendCommand(argv: string[]): void {
    // room for the worst case: each count at most 20 digits, plus the args themselves
    let need = 24;
    for (let i = 0; i < argv.length; i++) need += argv[i].length + 25;
    this.reserve(need);
    const b = this.bytes;
    let o = this.length;
    b[o++] = 0x2a; // '*'
    o = writeCount(b, o, argv.length);
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      b[o++] = 0x24; // '$'
      o = writeCount(b, o, a.length);
      if (a.length < SHORT_ARG) {
        for (let j = 0; j < a.length; j++) b[o++] = a.charCodeAt(j);
      } else {
        o += b.write(a, o, 'latin1');
      }
      b[o++] = 0x0d;
      b[o++] = 0x0a;
    }
    this.length = o;
  }

  /** Appends text as it is (a `#TS:` annotation). */
  appendText(s: string): void {
    this.reserve(s.length);
    this.length += this.bytes.write(s, this.length, 'latin1');
  }

  /** The waiting bytes: a view, valid until the next append or consume. */
  view(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  /** Drops the first `n` waiting bytes (they reached the file). */
  consume(n: number): void {
    if (n >= this.length) return this.clear();
    this.bytes.copy(this.bytes, 0, n, this.length);
    this.length -= n;
  }

  clear(): void {
    this.length = 0;
    if (this.bytes.length > KEEP_BYTES) this.bytes = Buffer.allocUnsafe(INITIAL_BYTES);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + n));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

/** Writes `n` in decimal then CRLF at `o`; returns the offset after it. */
function writeCount(b: Buffer, o: number, n: number): number {
  if (n < 10) {
    b[o++] = 0x30 + n;
  } else {
    const s = String(n);
    for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
  }
  b[o++] = 0x0d;
  b[o++] = 0x0a;
  return o;
}
