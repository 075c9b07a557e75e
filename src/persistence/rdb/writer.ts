/**
 * RDB serialization of Keel values, as Redis 7.0 writes them: integer-encoded and
 * LZF-compressed strings, listpack / quicklist-2 / intset compact encodings chosen by the
 * same thresholds, plain encodings beyond them. Values come out as a stream of bounded
 * chunks so a huge list or string never has to be serialized (or copied) in one piece.
 */
import { T, OP, QUICKLIST_NODE_PACKED } from './format';
import { lzfCompress } from './lzf';
import { encodeListpack, encodeIntset, asInt64 } from './compact';
import { Deque } from '../../store/types/deque';
import { ZSet } from '../../store/types/zset';
import { isIntegerString, type Value } from '../../store/value';
import { formatDouble17g } from '../../util/number';

export interface EncodeOptions {
  compression: boolean;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  setMaxIntsetEntries: number;
  /** list-max-listpack-size: negative = node size class (-2 = 8 KB), positive = max elements */
  listMaxListpackSize: number;
}

/** Strings longer than this are streamed raw in slices instead of LZF-compressed whole. */
export const MAX_COMPRESS_LEN = 1024 * 1024;
const CHUNK = 64 * 1024;
/** elements per yielded chunk for collections */
const ELEMENTS_PER_CHUNK = 1024;

export function lenBytes(n: number): Buffer {
  if (n < 1 << 6) return Buffer.from([n]);
  if (n < 1 << 14) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  if (n <= 0xffffffff) {
    const b = Buffer.allocUnsafe(5);
    b[0] = 0x80;
    b.writeUInt32BE(n, 1);
    return b;
  }
  const b = Buffer.allocUnsafe(9);
  b[0] = 0x81;
  b.writeBigUInt64BE(BigInt(n), 1);
  return b;
}

/** rdbSaveRawString for a latin1 string that fits in memory comfortably. */
export function stringBytes(s: string, compress: boolean): Buffer {
  const len = s.length;
  if (len <= 11 && len > 0) {
    const n = asInt64(s);
    if (n !== null) {
      if (n >= -128n && n <= 127n) return Buffer.from([0xc0, Number(n) & 0xff]);
      if (n >= -32768n && n <= 32767n) {
        const b = Buffer.allocUnsafe(3);
        b[0] = 0xc1;
        b.writeInt16LE(Number(n), 1);
        return b;
      }
      if (n >= -2147483648n && n <= 2147483647n) {
        const b = Buffer.allocUnsafe(5);
        b[0] = 0xc2;
        b.writeInt32LE(Number(n), 1);
        return b;
      }
    }
  }
  const raw = Buffer.from(s, 'latin1');
  if (compress && len > 20) {
    const c = lzfCompress(raw, len - 4);
    if (c !== null) return Buffer.concat([Buffer.from([0xc3]), lenBytes(c.length), lenBytes(len), c]);
  }
  return Buffer.concat([lenBytes(len), raw]);
}

function blobBytes(b: Buffer, compress: boolean): Buffer {
  if (compress && b.length > 20) {
    const c = lzfCompress(b, b.length - 4);
    if (c !== null) return Buffer.concat([Buffer.from([0xc3]), lenBytes(c.length), lenBytes(b.length), c]);
  }
  return Buffer.concat([lenBytes(b.length), b]);
}

/** A string of any size, as chunks (big ones uncompressed, sliced). */
function* stringChunks(s: string, compress: boolean): Generator<Buffer> {
  if (s.length <= MAX_COMPRESS_LEN) {
    yield stringBytes(s, compress);
    return;
  }
  yield lenBytes(s.length);
  for (let i = 0; i < s.length; i += CHUNK) yield Buffer.from(s.slice(i, i + CHUNK), 'latin1');
}

function doubleBytes(d: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleLE(d, 0);
  return b;
}

/** d2string: the score text inside a zset listpack */
function scoreString(d: number): string {
  return formatDouble17g(d);
}

export function hashIsListpack(h: Map<string, string>, o: EncodeOptions): boolean {
  if (h.size > o.hashMaxListpackEntries) return false;
  for (const [f, v] of h) if (f.length > o.hashMaxListpackValue || v.length > o.hashMaxListpackValue) return false;
  return true;
}

export function zsetIsListpack(z: ZSet, o: EncodeOptions): boolean {
  if (z.size > o.zsetMaxListpackEntries) return false;
  for (const [m] of z) if (m.length > o.zsetMaxListpackValue) return false;
  return true;
}

export function setIsIntset(s: Set<string>, o: EncodeOptions): boolean {
  if (s.size > o.setMaxIntsetEntries) return false;
  for (const m of s) if (!isIntegerString(m)) return false;
  return true;
}

/** The RDB type byte Redis 7.0 would use for this value. */
export function typeOf(v: Value, o: EncodeOptions): number {
  if (typeof v === 'string') return T.STRING;
  if (v instanceof Deque) return T.LIST_QUICKLIST_2;
  if (v instanceof Map) return hashIsListpack(v, o) ? T.HASH_LISTPACK : T.HASH;
  if (v instanceof Set) return setIsIntset(v, o) ? T.SET_INTSET : T.SET;
  return zsetIsListpack(v, o) ? T.ZSET_LISTPACK : T.ZSET_2;
}

/** Size in a listpack of one element, for packing quicklist nodes. */
function lpElementSize(s: string): number {
  const c = s.charCodeAt(0);
  if (s.length <= 20 && ((c >= 48 && c <= 57) || c === 45) && asInt64(s) !== null) return 10; // upper bound for ints
  const len = s.length;
  const enc = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  return enc + (enc <= 127 ? 1 : enc < 16383 ? 2 : enc < 2097151 ? 3 : enc < 268435455 ? 4 : 5);
}

/** Node boundaries for a quicklist: [start, end) index pairs, as Redis would fill nodes. */
function* quicklistNodes(l: Deque<string>, o: EncodeOptions, out: [number, number][]): Generator<Buffer> {
  const fill = o.listMaxListpackSize;
  const sizeLimit = fill < 0 ? [4096, 8192, 16384, 32768, 65536][Math.min(-fill, 5) - 1] : 8192;
  const countLimit = fill > 0 ? fill : Infinity;
  let start = 0;
  let bytes = 7;
  for (let i = 0; i < l.length; i++) {
    const sz = lpElementSize(l.get(i)!);
    const count = i - start;
    if (count > 0 && (bytes + sz > sizeLimit || count >= countLimit)) {
      out.push([start, i]);
      start = i;
      bytes = 7;
    }
    bytes += sz;
    if ((i & 0xffff) === 0xffff) yield Buffer.alloc(0); // let the caller end its time slice
  }
  if (l.length > start) out.push([start, l.length]);
}

/** The serialized value (after the type byte), as a stream of chunks. */
export function* valueChunks(v: Value, o: EncodeOptions): Generator<Buffer> {
  const c = o.compression;
  if (typeof v === 'string') {
    yield* stringChunks(v, c);
  } else if (v instanceof Deque) {
    const nodes: [number, number][] = [];
    yield* quicklistNodes(v, o, nodes);
    yield lenBytes(nodes.length);
    let batch: Buffer[] = [];
    for (const [a, b] of nodes) {
      const lp = encodeListpack(v.slice(a, b - 1));
      batch.push(lenBytes(QUICKLIST_NODE_PACKED), blobBytes(lp, c));
      if (batch.length >= 64) {
        yield Buffer.concat(batch);
        batch = [];
      }
    }
    if (batch.length) yield Buffer.concat(batch);
  } else if (v instanceof Map) {
    if (hashIsListpack(v, o)) {
      const items: string[] = [];
      for (const [f, x] of v) items.push(f, x);
      yield blobBytes(encodeListpack(items), c);
      return;
    }
    yield lenBytes(v.size);
    let batch: Buffer[] = [];
    for (const [f, x] of v) {
      batch.push(...stringChunks(f, c), ...stringChunks(x, c));
      if (batch.length >= ELEMENTS_PER_CHUNK) {
        yield Buffer.concat(batch);
        batch = [];
      }
    }
    if (batch.length) yield Buffer.concat(batch);
  } else if (v instanceof Set) {
    if (setIsIntset(v, o)) {
      yield blobBytes(encodeIntset([...v]), c);
      return;
    }
    yield lenBytes(v.size);
    let batch: Buffer[] = [];
    for (const m of v) {
      batch.push(...stringChunks(m, c));
      if (batch.length >= ELEMENTS_PER_CHUNK) {
        yield Buffer.concat(batch);
        batch = [];
      }
    }
    if (batch.length) yield Buffer.concat(batch);
  } else {
    const z = v as ZSet;
    if (zsetIsListpack(z, o)) {
      const items: string[] = [];
      for (const [m, s] of z) items.push(m, scoreString(s));
      yield blobBytes(encodeListpack(items), c);
      return;
    }
    // ZSET_2: from the greatest to the smallest element, as Redis writes it
    yield lenBytes(z.size);
    for (let r = 0; r < z.size; r += ELEMENTS_PER_CHUNK) {
      const part = z.rangeByRank(r, Math.min(z.size - 1, r + ELEMENTS_PER_CHUNK - 1), true);
      const batch: Buffer[] = [];
      for (const [m, s] of part) batch.push(...stringChunks(m, c), doubleBytes(s));
      yield Buffer.concat(batch);
    }
  }
}

/** One key: optional expiry, type, key, value. */
export function* entryChunks(key: string, v: Value, expireAt: number, o: EncodeOptions): Generator<Buffer> {
  const head: Buffer[] = [];
  if (expireAt >= 0) {
    const b = Buffer.allocUnsafe(9);
    b[0] = OP.EXPIRETIME_MS;
    b.writeBigInt64LE(BigInt(expireAt), 1);
    head.push(b);
  }
  head.push(Buffer.from([typeOf(v, o)]), stringBytes(key, o.compression));
  yield Buffer.concat(head);
  yield* valueChunks(v, o);
}

export function auxBytes(key: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([OP.AUX]), stringBytes(key, false), stringBytes(value, false)]);
}

export function selectDbBytes(id: number): Buffer {
  return Buffer.concat([Buffer.from([OP.SELECTDB]), lenBytes(id)]);
}

export function resizeDbBytes(size: number, expires: number): Buffer {
  return Buffer.concat([Buffer.from([OP.RESIZEDB]), lenBytes(size), lenBytes(expires)]);
}
