/**
 * The compact encodings found inside RDB values: listpack (Redis 7), ziplist and zipmap
 * (older files), intset. Decoders validate as they go and throw CorruptError with the reason;
 * encoders produce exactly the layouts Redis 7.0 produces.
 */
export class CorruptError extends Error {}

const INT_RE = /^(?:0|-?[1-9][0-9]{0,18})$/;

/** lpStringToInt64 / string2ll: the strings Redis stores as integers. */
export function asInt64(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !INT_RE.test(s)) return null;
  const n = BigInt(s);
  return n >= -9223372036854775808n && n <= 9223372036854775807n ? n : null;
}

// ------------------------------------------------------------------ listpack

export function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

function writeBacklen(out: Buffer, pos: number, l: number): number {
  const n = backlenSize(l);
  if (n === 1) out[pos] = l;
  else if (n === 2) {
    out[pos] = l >>> 7;
    out[pos + 1] = (l & 127) | 128;
  } else if (n === 3) {
    out[pos] = l >>> 14;
    out[pos + 1] = ((l >>> 7) & 127) | 128;
    out[pos + 2] = (l & 127) | 128;
  } else if (n === 4) {
    out[pos] = l >>> 21;
    out[pos + 1] = ((l >>> 14) & 127) | 128;
    out[pos + 2] = ((l >>> 7) & 127) | 128;
    out[pos + 3] = (l & 127) | 128;
  } else {
    out[pos] = Math.floor(l / 2 ** 28);
    out[pos + 1] = ((l >>> 21) & 127) | 128;
    out[pos + 2] = ((l >>> 14) & 127) | 128;
    out[pos + 3] = ((l >>> 7) & 127) | 128;
    out[pos + 4] = (l & 127) | 128;
  }
  return n;
}

/** Encoded size (encoding + data, without backlen) of one listpack element. */
function lpEntrySize(s: string, n: bigint | null): number {
  if (n !== null) {
    if (n >= 0n && n <= 127n) return 1;
    if (n >= -4096n && n <= 4095n) return 2;
    if (n >= -32768n && n <= 32767n) return 3;
    if (n >= -8388608n && n <= 8388607n) return 4;
    if (n >= -2147483648n && n <= 2147483647n) return 5;
    return 9;
  }
  const len = s.length;
  return len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
}

/** Builds a listpack of latin1 strings (integers in integer encodings, as lpAppend does). */
export function encodeListpack(items: readonly string[]): Buffer {
  const ints = items.map(asInt64);
  let total = 6 + 1;
  const sizes = items.map((s, i) => {
    const sz = lpEntrySize(s, ints[i]);
    total += sz + backlenSize(sz);
    return sz;
  });
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32LE(total, 0);
  out.writeUInt16LE(items.length < 65535 ? items.length : 65535, 4);
  let p = 6;
  for (let i = 0; i < items.length; i++) {
    const n = ints[i];
    const s = items[i];
    const sz = sizes[i];
    if (n !== null) {
      if (sz === 1) out[p] = Number(n);
      else if (sz === 2) {
        const v = Number(n) & 0x1fff;
        out[p] = 0xc0 | (v >> 8);
        out[p + 1] = v & 0xff;
      } else if (sz === 3) {
        out[p] = 0xf1;
        out.writeInt16LE(Number(n), p + 1);
      } else if (sz === 4) {
        out[p] = 0xf2;
        out.writeIntLE(Number(n), p + 1, 3);
      } else if (sz === 5) {
        out[p] = 0xf3;
        out.writeInt32LE(Number(n), p + 1);
      } else {
        out[p] = 0xf4;
        out.writeBigInt64LE(n, p + 1);
      }
    } else {
      const len = s.length;
      if (len < 64) {
        out[p] = 0x80 | len;
        out.write(s, p + 1, 'latin1');
      } else if (len < 4096) {
        out[p] = 0xe0 | (len >> 8);
        out[p + 1] = len & 0xff;
        out.write(s, p + 2, 'latin1');
      } else {
        out[p] = 0xf0;
        out.writeUInt32LE(len, p + 1);
        out.write(s, p + 5, 'latin1');
      }
    }
    p += sz;
    p += writeBacklen(out, p, sz);
  }
  out[p] = 0xff;
  return out;
}

/** What lpEntryAt read: a string at b[strAt, strAt + strLen), or (strAt -1) the integer `int`. */
export const lpEntry = { strAt: -1, strLen: 0, int: 0 as number | bigint };

/** lpEntryAt results that are not a size */
export const LP_PAST_END = -1;
export const LP_BAD_ENCODING = -2;

/**
 * Reads the listpack entry at `p` into lpEntry; its size (encoding and data, without the
 * back-length), LP_PAST_END when it would run past `end`, or LP_BAD_ENCODING.
 */
export function lpEntryAt(b: Buffer, p: number, end: number): number {
  const e = b[p];
  const r = lpEntry;
  r.strAt = -1;
  let sz: number;
  if ((e & 0x80) === 0) {
    r.int = e;
    return 1;
  } else if ((e & 0xc0) === 0x80) {
    r.strLen = e & 0x3f;
    r.strAt = p + 1;
    sz = 1 + r.strLen;
  } else if ((e & 0xe0) === 0xc0) {
    if (p + 2 > end) return LP_PAST_END;
    let v = ((e & 0x1f) << 8) | b[p + 1];
    if (v >= 1 << 12) v -= 1 << 13;
    r.int = v;
    return 2;
  } else if ((e & 0xf0) === 0xe0) {
    if (p + 2 > end) return LP_PAST_END;
    r.strLen = ((e & 0x0f) << 8) | b[p + 1];
    r.strAt = p + 2;
    sz = 2 + r.strLen;
  } else if (e === 0xf1) {
    if (p + 3 > end) return LP_PAST_END;
    r.int = b.readInt16LE(p + 1);
    return 3;
  } else if (e === 0xf2) {
    if (p + 4 > end) return LP_PAST_END;
    r.int = b.readIntLE(p + 1, 3);
    return 4;
  } else if (e === 0xf3) {
    if (p + 5 > end) return LP_PAST_END;
    r.int = b.readInt32LE(p + 1);
    return 5;
  } else if (e === 0xf4) {
    if (p + 9 > end) return LP_PAST_END;
    r.int = b.readBigInt64LE(p + 1);
    return 9;
  } else if (e === 0xf0) {
    if (p + 5 > end) return LP_PAST_END;
    r.strLen = b.readUInt32LE(p + 1);
    r.strAt = p + 5;
    sz = 5 + r.strLen;
  } else {
    return LP_BAD_ENCODING;
  }
  return p + sz > end ? LP_PAST_END : sz;
}

/**
 * Decodes a listpack into its elements (integers as decimal strings). `deep` (check-rdb,
 * sanitize-dump-payload yes) also checks each entry's back-length, as lpValidateNext does.
 */
export function decodeListpack(b: Buffer, deep = false): string[] {
  if (b.length < 7) throw new CorruptError('listpack too short');
  const total = b.readUInt32LE(0);
  if (total !== b.length) throw new CorruptError(`listpack header says ${total} bytes, blob has ${b.length}`);
  const count = b.readUInt16LE(4);
  const out: string[] = [];
  let p = 6;
  while (p < b.length && b[p] !== 0xff) {
    const sz = lpEntryAt(b, p, b.length);
    if (sz === LP_PAST_END) throw new CorruptError('entry runs past the end of the blob');
    if (sz === LP_BAD_ENCODING) throw new CorruptError(`listpack: invalid entry encoding 0x${b[p].toString(16)} at ${p}`);
    const at = lpEntry.strAt;
    out.push(at >= 0 ? latin1(b, at, at + lpEntry.strLen) : String(lpEntry.int));
    const n = backlenSize(sz);
    if (deep && !backlenIs(b, p + sz, n, sz)) throw new CorruptError(`Listpack integrity check failed: wrong back-length at ${p + sz}`);
    p += sz + n;
  }
  if (p !== b.length - 1 || b[p] !== 0xff) throw new CorruptError('listpack: missing or misplaced terminator');
  if (count !== 65535 && count !== out.length) throw new CorruptError(`listpack header says ${count} elements, found ${out.length}`);
  return out;
}

/** Whether the `n` bytes at `at` are the back-length `len` as writeBacklen writes it. */
export function backlenIs(b: Buffer, at: number, n: number, len: number): boolean {
  if (at + n > b.length) return false;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const x = b[at + i];
    // the first byte read (the last going backwards) has no continuation bit, the others have it
    if ((i === 0) !== ((x & 128) === 0)) return false;
    v = v * 128 + (x & 127);
  }
  return v === len;
}

function need(b: Buffer, p: number, n: number): void {
  if (p + n > b.length) throw new CorruptError('entry runs past the end of the blob');
}

// ------------------------------------------------------------------ ziplist (RDB 7-9)

export function decodeZiplist(b: Buffer): string[] {
  if (b.length < 11) throw new CorruptError('ziplist too short');
  if (b.readUInt32LE(0) !== b.length) throw new CorruptError('ziplist: wrong total length');
  const out: string[] = [];
  let p = 10;
  while (p < b.length && b[p] !== 0xff) {
    p += b[p] < 254 ? 1 : 5; // prevlen
    need(b, p, 1);
    const e = b[p];
    const top = e >> 6;
    if (top === 0) {
      const len = e & 0x3f;
      need(b, p, 1 + len);
      out.push(latin1(b, p + 1, p + 1 + len));
      p += 1 + len;
    } else if (top === 1) {
      need(b, p, 2);
      const len = ((e & 0x3f) << 8) | b[p + 1];
      need(b, p, 2 + len);
      out.push(latin1(b, p + 2, p + 2 + len));
      p += 2 + len;
    } else if (top === 2) {
      need(b, p, 5);
      const len = b.readUInt32BE(p + 1);
      need(b, p, 5 + len);
      out.push(latin1(b, p + 5, p + 5 + len));
      p += 5 + len;
    } else if (e === 0xc0) {
      need(b, p, 3);
      out.push(String(b.readInt16LE(p + 1)));
      p += 3;
    } else if (e === 0xd0) {
      need(b, p, 5);
      out.push(String(b.readInt32LE(p + 1)));
      p += 5;
    } else if (e === 0xe0) {
      need(b, p, 9);
      out.push(String(b.readBigInt64LE(p + 1)));
      p += 9;
    } else if (e === 0xf0) {
      need(b, p, 4);
      out.push(String(b.readIntLE(p + 1, 3)));
      p += 4;
    } else if (e === 0xfe) {
      need(b, p, 2);
      out.push(String(b.readInt8(p + 1)));
      p += 2;
    } else if (e >= 0xf1 && e <= 0xfd) {
      out.push(String((e & 0x0f) - 1));
      p += 1;
    } else {
      throw new CorruptError(`ziplist: invalid entry encoding 0x${e.toString(16)} at ${p}`);
    }
  }
  if (p !== b.length - 1) throw new CorruptError('ziplist: missing or misplaced terminator');
  return out;
}

// ------------------------------------------------------------------ zipmap (RDB < 4 hashes)

export function decodeZipmap(b: Buffer): string[] {
  const out: string[] = [];
  let p = 1;
  const len = (): number => {
    need(b, p, 1);
    if (b[p] < 254) return b[p++];
    if (b[p] === 254) {
      need(b, p, 5);
      const n = b.readUInt32LE(p + 1);
      p += 5;
      return n;
    }
    throw new CorruptError('zipmap: bad length');
  };
  while (p < b.length && b[p] !== 0xff) {
    const kl = len();
    need(b, p, kl);
    out.push(latin1(b, p, p + kl));
    p += kl;
    const vl = len();
    need(b, p, 1);
    const free = b[p++];
    need(b, p, vl + free);
    out.push(latin1(b, p, p + vl));
    p += vl + free;
  }
  if (p !== b.length - 1) throw new CorruptError('zipmap: missing terminator');
  // zipmapValidateIntegrity refuses an empty one, as intsetValidateIntegrity does below
  if (out.length === 0) throw new CorruptError('Zipmap integrity check failed');
  return out;
}

// ------------------------------------------------------------------ intset

/**
 * `deep` (sanitize-dump-payload, redis-check-rdb): also require the members strictly
 * ascending, as intsetValidateIntegrity's deep check does; otherwise duplicates are dropped
 * by the set they go into, and a load goes on as Redis's does.
 */
export function decodeIntset(b: Buffer, deep = false): string[] {
  const h = intsetHeader(b);
  if (typeof h === 'string') throw new CorruptError(h);
  const out: string[] = [];
  let prev: number | bigint | null = null;
  for (let i = 0; i < h.n; i++) {
    const v = intsetAt(b, h.enc, i);
    if (deep && prev !== null && v <= prev) throw new CorruptError('Intset integrity check failed');
    prev = v;
    out.push(String(v));
  }
  return out;
}

/** An intset's encoding (bytes per member) and member count, or why its header is malformed. */
export function intsetHeader(b: Buffer): { enc: number; n: number } | string {
  if (b.length < 8) return 'intset too short';
  const enc = b.readUInt32LE(0);
  const n = b.readUInt32LE(4);
  if (enc !== 2 && enc !== 4 && enc !== 8) return `intset: invalid encoding ${enc}`;
  if (8 + enc * n !== b.length) return 'intset: length does not match its contents';
  if (n === 0) return 'Intset integrity check failed';
  return { enc, n };
}

/** Member i of an intset of encoding `enc`. */
export function intsetAt(b: Buffer, enc: number, i: number): number | bigint {
  const p = 8 + i * enc;
  return enc === 2 ? b.readInt16LE(p) : enc === 4 ? b.readInt32LE(p) : b.readBigInt64LE(p);
}

/** An intset of integer strings (ascending, smallest encoding that fits every value). */
export function encodeIntset(members: readonly string[]): Buffer {
  const vals = members.map((m) => BigInt(m)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let enc = 2;
  for (const v of vals) {
    if (v < -2147483648n || v > 2147483647n) enc = 8;
    else if ((v < -32768n || v > 32767n) && enc < 4) enc = 4;
  }
  const out = Buffer.allocUnsafe(8 + enc * vals.length);
  out.writeUInt32LE(enc, 0);
  out.writeUInt32LE(vals.length, 4);
  vals.forEach((v, i) => {
    const p = 8 + i * enc;
    if (enc === 2) out.writeInt16LE(Number(v), p);
    else if (enc === 4) out.writeInt32LE(Number(v), p);
    else out.writeBigInt64LE(v, p);
  });
  return out;
}

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** b.toString('latin1', start, end) without its argument handling (bounds were checked by need) */
function latin1(b: Buffer, start: number, end: number): string {
  return (b as Latin1Buffer).latin1Slice(start, end);
}
