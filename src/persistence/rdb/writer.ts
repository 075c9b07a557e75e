/**
 * RDB serialization of Keel values, as Redis 7.0 writes them: integer-encoded and
 * LZF-compressed strings, listpack / quicklist-2 / intset compact encodings chosen by the
 * same thresholds, plain encodings beyond them. Values come out as a stream of bounded
 * chunks so a huge list or string never has to be serialized (or copied) in one piece.
 */
import { T, OP, QUICKLIST_NODE_PACKED } from './format';
import { lzfCompressInto } from './lzf';
import { encodeListpack, encodeIntset, asInt64 } from './compact';
import { Deque } from '../../store/types/deque';
import { ZSet } from '../../store/types/zset';
import { IndexedSet } from '../../store/types/indexed-set';
import { encodingOf, type Value } from '../../store/value';
import { Packed, type Stored } from '../../store/packed';
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
  /** entryChunks marks compressible strings instead of compressing them (see Out.marks) */
  deferCompression?: boolean;
}

/** A chunk from entryChunks with deferCompression: its marks, when it has any, ride along. */
export type MarkedChunk = Buffer & { marks?: Int32Array };

/** Strings longer than this are streamed raw in slices instead of LZF-compressed whole. */
export const MAX_COMPRESS_LEN = 1024 * 1024;
const CHUNK = 64 * 1024;
/** elements per yielded chunk for collections */
const ELEMENTS_PER_CHUNK = 1024;

/**
 * The serializer's output: one growing buffer, reused. Encoders append to it and a
 * generator yields `take()` (a copy: the sink keeps the chunks) at entry or chunk ends, so
 * nothing is left in it across a yield and nested/interleaved generators (a value written by
 * the copy-on-write hook while another is mid-stream) cannot mix their bytes.
 */
export class Out {
  buf: Buffer;
  pos = 0;
  /**
   * When set, a string LZF may shrink is written raw, without its length, and its position
   * and length are recorded here (pairs) instead: finishDeferred turns such bytes into the
   * final ones later, on another thread (see ../offload.ts). Only snapshots set it.
   */
  marks: number[] | null = null;

  constructor(private readonly size = 256 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafeSlow(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  byte(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** rdbSaveLen */
  len(n: number): void {
    this.ensure(9);
    const b = this.buf;
    const p = this.pos;
    if (n < 1 << 6) {
      b[p] = n;
      this.pos = p + 1;
    } else if (n < 1 << 14) {
      b[p] = 0x40 | (n >> 8);
      b[p + 1] = n & 0xff;
      this.pos = p + 2;
    } else if (n <= 0xffffffff) {
      b[p] = 0x80;
      b.writeUInt32BE(n, p + 1);
      this.pos = p + 5;
    } else {
      b[p] = 0x81;
      b.writeBigUInt64BE(BigInt(n), p + 1);
      this.pos = p + 9;
    }
  }

  latin1(s: string): void {
    this.ensure(s.length);
    this.pos += (this.buf as Latin1Buffer).latin1Write(s, this.pos, s.length);
  }

  copy(src: Uint8Array, start: number, end: number): void {
    this.ensure(end - start);
    this.buf.set(src.subarray(start, end), this.pos);
    this.pos += end - start;
  }

  /**
   * The bytes written so far, emptying the output: the buffer itself when they fill at least
   * half of it (no copy), else a copy, so what the caller keeps never holds much more memory
   * than its bytes. The next buffer has the initial size again.
   */
  detach(): Buffer {
    const n = this.pos;
    let b: Buffer;
    if (n * 2 >= this.buf.length) {
      b = this.buf.subarray(0, n);
      this.buf = Buffer.allocUnsafeSlow(this.size);
    } else {
      b = Buffer.allocUnsafeSlow(n);
      this.buf.copy(b, 0, 0, n);
      if (this.buf.length > this.size) this.buf = Buffer.allocUnsafeSlow(this.size);
    }
    this.pos = 0;
    return b;
  }

  /** The marks recorded since the last call (positions relative to the buffer), emptied. */
  takeMarks(): Int32Array | null {
    const m = this.marks;
    if (m === null || m.length === 0) return null;
    const r = Int32Array.from(m);
    m.length = 0;
    return r;
  }

  /** The bytes written so far, as a new Buffer (carrying the marks); empties the output. */
  take(): Buffer {
    const n = this.pos;
    const b: MarkedChunk = Buffer.allocUnsafe(n);
    this.buf.copy(b, 0, 0, n);
    this.pos = 0;
    const marks = this.takeMarks();
    if (marks !== null) b.marks = marks;
    if (this.buf.length > 8 * 1024 * 1024) this.buf = Buffer.allocUnsafeSlow(256 * 1024);
    return b;
  }
}

type Latin1Buffer = Buffer & { latin1Write(s: string, offset: number, length: number): number };

const out = new Out();
/** entryChunks' output under deferCompression: kept apart, so a DUMP running between two
 * chunks of a snapshot's entry (they share nothing across a yield) never sees marks */
const markedOut = new Out();
markedOut.marks = [];
/** LZF input (a string's bytes) and output, reused */
let lzfIn = Buffer.allocUnsafeSlow(64 * 1024);
let lzfOut = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * The value of a string Redis would store as an integer (string2ll round trip, as asInt64
 * accepts: no sign on 0, no leading zeros), for strings of at most 11 chars; NaN otherwise.
 */
function shortInt(s: string): number {
  const len = s.length;
  let i = 0;
  let neg = false;
  let c = s.charCodeAt(0);
  if (c === 45) {
    if (len === 1) return NaN;
    neg = true;
    c = s.charCodeAt(++i);
  }
  if (c === 48) return len === 1 ? 0 : NaN;
  if (c < 49 || c > 57) return NaN;
  let n = c - 48;
  for (i++; i < len; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) return NaN;
    n = n * 10 + (c - 48);
  }
  return neg ? -n : n;
}

/** Appends the LZF form of input[0, len) (0xc3, clen, len, data) if it compresses; else false. */
function compressedInto(o: Out, input: Uint8Array, len: number): boolean {
  if (lzfOut.length < len + 3) lzfOut = Buffer.allocUnsafeSlow(Math.max(len + 3, lzfOut.length * 2));
  const clen = lzfCompressInto(input, len, lzfOut, len - 4);
  if (clen < 0) return false;
  o.byte(0xc3);
  o.len(clen);
  o.len(len);
  o.copy(lzfOut, 0, clen);
  return true;
}

/** rdbSaveRawString for a latin1 string that fits in memory comfortably, appended to `o`. */
function writeString(o: Out, s: string, compress: boolean): void {
  const len = s.length;
  if (len <= 11 && len > 0) {
    const n = shortInt(s);
    if (n === n) {
      if (n >= -128 && n <= 127) {
        o.ensure(2);
        o.buf[o.pos] = 0xc0;
        o.buf[o.pos + 1] = n & 0xff;
        o.pos += 2;
        return;
      }
      if (n >= -32768 && n <= 32767) {
        o.ensure(3);
        o.buf[o.pos] = 0xc1;
        o.buf.writeInt16LE(n, o.pos + 1);
        o.pos += 3;
        return;
      }
      if (n >= -2147483648 && n <= 2147483647) {
        o.ensure(5);
        o.buf[o.pos] = 0xc2;
        o.buf.writeInt32LE(n, o.pos + 1);
        o.pos += 5;
        return;
      }
    }
  }
  rawStringInto(o, s, compress);
}

/** A string as its bytes (never integer-encoded: also blobs held as latin1), compressed when that pays. */
function rawStringInto(o: Out, s: string, compress: boolean): void {
  const len = s.length;
  if (compress && len > 20) {
    if (o.marks !== null) {
      o.marks.push(o.pos, len);
      o.latin1(s);
      return;
    }
    if (lzfIn.length < len) lzfIn = Buffer.allocUnsafeSlow(Math.max(len, lzfIn.length * 2));
    (lzfIn as Latin1Buffer).latin1Write(s, 0, len);
    if (compressedInto(o, lzfIn, len)) return;
  }
  o.len(len);
  o.latin1(s);
}

/**
 * The final bytes of a piece written with `marks` (see Out.marks), appended to `o`: each
 * marked string compressed as writeString would have (or raw, with its length, when LZF does
 * not shrink it), everything between marks copied as it is.
 */
export function finishDeferred(piece: Uint8Array, marks: Int32Array, o: Out): void {
  let at = 0;
  for (let i = 0; i < marks.length; i += 2) {
    const start = marks[i];
    const len = marks[i + 1];
    o.copy(piece, at, start);
    const str = piece.subarray(start, start + len);
    if (!compressedInto(o, str, len)) {
      o.len(len);
      o.copy(piece, start, start + len);
    }
    at = start + len;
  }
  o.copy(piece, at, piece.length);
}

/** A blob (listpack, intset) as an RDB string, compressed when that pays. */
function writeBlob(o: Out, b: Buffer, compress: boolean): void {
  if (compress && b.length > 20 && o.marks !== null) {
    o.marks.push(o.pos, b.length);
    o.copy(b, 0, b.length);
    return;
  }
  if (compress && b.length > 20 && compressedInto(o, b, b.length)) return;
  o.len(b.length);
  o.copy(b, 0, b.length);
}

export function lenBytes(n: number): Buffer {
  out.len(n);
  return out.take();
}

/** rdbSaveRawString for a latin1 string that fits in memory comfortably. */
export function stringBytes(s: string, compress: boolean): Buffer {
  writeString(out, s, compress);
  return out.take();
}

/**
 * A string element of any size into `o`: big ones (past MAX_COMPRESS_LEN) uncompressed, in
 * slices, each yielded with whatever `o` held before it.
 */
function* stringInto(o: Out, s: string, compress: boolean): Generator<Buffer> {
  if (s.length <= MAX_COMPRESS_LEN) {
    writeString(o, s, compress);
    return;
  }
  o.len(s.length);
  for (let i = 0; i < s.length; i += CHUNK) {
    o.latin1(s.slice(i, i + CHUNK));
    yield o.take();
  }
}

/** d2string: the score text inside a zset listpack */
function scoreString(d: number): string {
  return formatDouble17g(d);
}

// Redis writes the encoding the value has (rdbSaveObjectType), which is what OBJECT ENCODING
// reports: history included (a value that outgrew the compact encoding keeps the plain one).

export function hashIsListpack(h: Map<string, string>, o: EncodeOptions): boolean {
  return encodingOf(h, o) === 'listpack';
}

export function zsetIsListpack(z: ZSet, o: EncodeOptions): boolean {
  return encodingOf(z, o) === 'listpack';
}

export function setIsIntset(s: IndexedSet, o: EncodeOptions): boolean {
  return encodingOf(s, o) === 'intset';
}

/** The RDB type byte Redis 7.0 would use for this value (a packed one: the type it was loaded as). */
export function typeOf(v: Stored, o: EncodeOptions): number {
  if (typeof v === 'string') return T.STRING;
  if (v instanceof Packed) return v.rdbType;
  if (v instanceof Deque) return T.LIST_QUICKLIST_2;
  if (v instanceof Map) return hashIsListpack(v, o) ? T.HASH_LISTPACK : T.HASH;
  if (v instanceof IndexedSet) return setIsIntset(v, o) ? T.SET_INTSET : T.SET;
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
function* quicklistNodes(l: Deque<string>, o: EncodeOptions, nodes: [number, number][]): Generator<void> {
  const fill = o.listMaxListpackSize;
  const sizeLimit = fill < 0 ? [4096, 8192, 16384, 32768, 65536][Math.min(-fill, 5) - 1] : 8192;
  const countLimit = fill > 0 ? fill : Infinity;
  let start = 0;
  let bytes = 7;
  for (let i = 0; i < l.length; i++) {
    const sz = lpElementSize(l.get(i)!);
    const count = i - start;
    if (count > 0 && (bytes + sz > sizeLimit || count >= countLimit)) {
      nodes.push([start, i]);
      start = i;
      bytes = 7;
    }
    bytes += sz;
    if ((i & 0xffff) === 0xffff) yield; // let the caller end its time slice
  }
  if (l.length > start) nodes.push([start, l.length]);
}

/**
 * The serialized value (after the type byte) into `w`. Yields w.take() between bounded
 * pieces of big values (never leaving bytes in `w` across a yield); the last piece is left
 * in `w` for the caller.
 */
function* valueInto(w: Out, v: Stored, o: EncodeOptions): Generator<Buffer> {
  const c = o.compression;
  if (typeof v === 'string') {
    yield* stringInto(w, v, c);
  } else if (v instanceof Packed) {
    packedInto(w, v, c);
  } else if (v instanceof Deque) {
    const nodes: [number, number][] = [];
    for (const _ of quicklistNodes(v, o, nodes)) yield w.take();
    w.len(nodes.length);
    let n = 0;
    for (const [a, b] of nodes) {
      w.len(QUICKLIST_NODE_PACKED);
      writeBlob(w, encodeListpack(v.slice(a, b - 1)), c);
      if (++n % 64 === 0 || w.pos >= CHUNK) yield w.take();
    }
  } else if (v instanceof Map) {
    if (hashIsListpack(v, o)) {
      const items: string[] = [];
      for (const [f, x] of v) items.push(f, x);
      writeBlob(w, encodeListpack(items), c);
      return;
    }
    w.len(v.size);
    let n = 0;
    for (const [f, x] of v) {
      yield* stringInto(w, f, c);
      yield* stringInto(w, x, c);
      if (++n % (ELEMENTS_PER_CHUNK / 2) === 0 || w.pos >= CHUNK) yield w.take();
    }
  } else if (v instanceof IndexedSet) {
    if (setIsIntset(v, o)) {
      writeBlob(w, encodeIntset([...v]), c);
      return;
    }
    w.len(v.size);
    let n = 0;
    for (const m of v) {
      yield* stringInto(w, m, c);
      if (++n % ELEMENTS_PER_CHUNK === 0 || w.pos >= CHUNK) yield w.take();
    }
  } else {
    const z = v as ZSet;
    if (zsetIsListpack(z, o)) {
      const items: string[] = [];
      for (const [m, s] of z) items.push(m, scoreString(s));
      writeBlob(w, encodeListpack(items), c);
      return;
    }
    // ZSET_2: from the greatest to the smallest element, as Redis writes it
    w.len(z.size);
    for (let r = 0; r < z.size; r += ELEMENTS_PER_CHUNK) {
      const part = z.rangeByRank(r, Math.min(z.size - 1, r + ELEMENTS_PER_CHUNK - 1), true);
      for (const [m, s] of part) {
        yield* stringInto(w, m, c);
        w.ensure(8);
        w.buf.writeDoubleLE(s, w.pos);
        w.pos += 8;
      }
      if (r + ELEMENTS_PER_CHUNK < z.size) yield w.take();
    }
  }
}

/**
 * A packed value's bytes as they were loaded, as Redis writes the listpacks it holds: one blob,
 * or (a list) quicklist nodes, each a listpack whose header gives its size.
 */
function packedInto(w: Out, p: Packed, compress: boolean): void {
  const s = p.bytes;
  if (p.rdbType !== T.LIST_QUICKLIST_2) return rawStringInto(w, s, compress);
  const sizes = p.nodeSizes();
  w.len(sizes.length);
  let at = 0;
  for (const size of sizes) {
    w.len(QUICKLIST_NODE_PACKED);
    rawStringInto(w, s.slice(at, at + size), compress);
    at += size;
  }
}

/** The serialized value (after the type byte), as a stream of chunks. */
export function* valueChunks(v: Stored, o: EncodeOptions): Generator<Buffer> {
  yield* valueInto(out, v, o);
  if (out.pos > 0) yield out.take();
}

/** One key: optional expiry, type, key, value; small entries come out as one chunk. */
export function* entryChunks(key: string, v: Stored, expireAt: number, o: EncodeOptions): Generator<Buffer> {
  const w = o.deferCompression === true ? markedOut : out;
  w.pos = 0; // nothing is pending across a yield; drop what an aborted serialization left
  w.marks?.splice(0);
  if (expireAt >= 0) expireTimeInto(w, expireAt);
  w.byte(typeOf(v, o));
  writeString(w, key, o.compression);
  yield* valueInto(w, v, o);
  yield w.take();
}

/** EXPIRETIME_MS and the absolute expiry in ms, little-endian */
function expireTimeInto(w: Out, expireAt: number): void {
  w.ensure(9);
  w.buf[w.pos] = OP.EXPIRETIME_MS;
  w.buf.writeUInt32LE(expireAt % 0x100000000, w.pos + 1);
  w.buf.writeUInt32LE(Math.floor(expireAt / 0x100000000), w.pos + 5);
  w.pos += 9;
}

/**
 * A whole entry whose value is a string of at most MAX_COMPRESS_LEN bytes, appended to `w`
 * in one go: what entryChunks writes for it, without a generator or a Buffer per entry
 * (most keys of most datasets are such strings).
 */
export function stringEntryInto(w: Out, key: string, v: string, expireAt: number, o: EncodeOptions): void {
  if (expireAt >= 0) expireTimeInto(w, expireAt);
  w.byte(T.STRING);
  writeString(w, key, o.compression);
  writeString(w, v, o.compression);
}

export function auxBytes(key: string, value: string): Buffer {
  out.byte(OP.AUX);
  writeString(out, key, false);
  writeString(out, value, false);
  return out.take();
}

export function selectDbBytes(id: number): Buffer {
  out.byte(OP.SELECTDB);
  out.len(id);
  return out.take();
}

export function resizeDbBytes(size: number, expires: number): Buffer {
  out.byte(OP.RESIZEDB);
  out.len(size);
  out.len(expires);
  return out.take();
}
