/**
 * Worker side of lzf-ahead.ts: walks the RDB's structure skipping values, and decompresses
 * every LZF string into the shared ring, listed by file offset. It checks nothing (the parser
 * does): on anything it does not know or that does not add up it simply stops listing.
 */
import { workerData } from 'node:worker_threads';
import { T, OP } from './format';
import { lzfDecompressInto } from './lzf';
import { type AheadShared, TABLE_SLOTS, RING_BYTES, C_PUBLISHED, C_RELEASED, C_STOP, C_WAITING } from './lzf-ahead';

const shared = workerData as AheadShared & { length: number };
const file = new Uint8Array(shared.file, 0, shared.length);
const end = shared.length;
const ctrl = new Int32Array(shared.ctrl);
const mainPos = new Float64Array(shared.mainPos);
const offsets = new Float64Array(shared.offsets);
const starts = new Int32Array(shared.starts);
const ring = new Uint8Array(shared.ring);
/** strings bigger than this are left to the parser: they would hold up the ring */
const MAX_STRING = RING_BYTES / 4;

class Stop extends Error {}

let pos = 9; // past "REDISnnnn"
let published = 0;
let writeAt = 0;

function byte(): number {
  if (pos >= end) throw new Stop();
  return file[pos++];
}

/** A length, or -1 - encoding for a special string encoding (as RdbCursor.lenOrEnc). */
function lenOrEnc(): number {
  const b = byte();
  const kind = b >> 6;
  if (kind === 0) return b & 0x3f;
  if (kind === 1) return ((b & 0x3f) << 8) | byte();
  if (kind === 3) return -1 - (b & 0x3f);
  if (b === 0x80) {
    skip(4);
    return file[pos - 4] * 0x1000000 + (file[pos - 3] << 16) + (file[pos - 2] << 8) + file[pos - 1];
  }
  if (b === 0x81) {
    skip(8);
    let n = 0;
    for (let i = pos - 8; i < pos; i++) n = n * 256 + file[i];
    if (n > end) throw new Stop(); // no string is longer than the file
    return n;
  }
  throw new Stop();
}

function len(): number {
  const r = lenOrEnc();
  if (r < 0) throw new Stop();
  return r;
}

function skip(n: number): true {
  if (pos + n > end) throw new Stop();
  pos += n;
  return true;
}

/** Skips a string; an LZF one is decompressed and listed. */
function str(): void {
  const r = lenOrEnc();
  if (r >= 0) skip(r);
  else if (r === -1) skip(1);
  else if (r === -2) skip(2);
  else if (r === -3) skip(4);
  else if (r === -4) lzf();
  else throw new Stop();
}

function lzf(): void {
  const at = pos;
  const clen = len();
  const olen = len();
  const data = pos;
  skip(clen);
  if (olen > MAX_STRING || at < mainPos[0]) return; // too big, or the parser is past it
  const start = reserve(olen);
  if (start < 0) return;
  try {
    lzfDecompressInto(file, data, data + clen, ring.subarray(start, start + olen), olen);
  } catch {
    return; // corrupt: the parser will find it and say where
  }
  const slot = published % TABLE_SLOTS;
  offsets[slot] = at;
  starts[slot] = start;
  writeAt = start + olen;
  Atomics.store(ctrl, C_PUBLISHED, ++published);
}

/** a parse that takes nothing for this long was abandoned (or is very slow): stop waiting for it */
const GIVE_UP_MS = 10_000;
let lastReleased = -1;
let waitingSince = 0;

/** Ring space for n bytes once released entries free it; throws Stop when told to stop. */
function reserve(n: number): number {
  for (;;) {
    if (Atomics.load(ctrl, C_STOP) !== 0) throw new Stop();
    const released = Atomics.load(ctrl, C_RELEASED);
    if (published - released < TABLE_SLOTS) {
      const start = fit(n, released);
      if (start >= 0) return start;
    }
    if (released !== lastReleased) {
      lastReleased = released;
      waitingSince = Date.now();
    } else if (Date.now() - waitingSince > GIVE_UP_MS) throw new Stop();
    Atomics.store(ctrl, C_WAITING, 1);
    Atomics.wait(ctrl, C_RELEASED, released, 5);
    Atomics.store(ctrl, C_WAITING, 0);
  }
}

/** Where n contiguous bytes fit beside the entries still in use ([released, published)), or -1. */
function fit(n: number, released: number): number {
  if (released >= published) return writeAt + n <= RING_BYTES ? writeAt : 0;
  const used = starts[released % TABLE_SLOTS]; // the oldest entry in use
  if (used < writeAt) {
    // in use: [used, writeAt)
    if (writeAt + n <= RING_BYTES) return writeAt;
    return n <= used ? 0 : -1;
  }
  // in use: [used, end of ring) and [0, writeAt)
  return writeAt + n <= used ? writeAt : -1;
}

function value(type: number): void {
  switch (type) {
    case T.STRING:
    case T.HASH_ZIPMAP:
    case T.LIST_ZIPLIST:
    case T.SET_INTSET:
    case T.SET_LISTPACK:
    case T.ZSET_ZIPLIST:
    case T.ZSET_LISTPACK:
    case T.HASH_ZIPLIST:
    case T.HASH_LISTPACK:
      return str();
    case T.LIST:
    case T.SET:
    case T.LIST_QUICKLIST:
      for (let n = len(); n > 0; n--) str();
      return;
    case T.HASH:
      for (let n = len(); n > 0; n--) {
        str();
        str();
      }
      return;
    case T.ZSET:
      for (let n = len(); n > 0; n--) {
        str();
        const l = byte();
        if (l < 253) skip(l);
      }
      return;
    case T.ZSET_2:
      for (let n = len(); n > 0; n--) {
        str();
        skip(8);
      }
      return;
    case T.LIST_QUICKLIST_2:
      // each node: its container kind, then a plain string or a listpack blob
      for (let n = len(); n > 0; n--) {
        len();
        str();
      }
      return;
    default:
      throw new Stop(); // streams, modules, unknown
  }
}

try {
  for (;;) {
    const type = byte();
    if (type === OP.EXPIRETIME_MS) skip(8);
    else if (type === OP.EXPIRETIME) skip(4);
    else if (type === OP.IDLE || type === OP.SELECTDB) len();
    else if (type === OP.FREQ) skip(1);
    else if (type === OP.RESIZEDB) {
      len();
      len();
    } else if (type === OP.AUX) {
      str();
      str();
    } else if (type === OP.FUNCTION2) str();
    else if (type === OP.EOF || type === OP.MODULE_AUX || type === OP.FUNCTION_PRE_GA) break;
    else {
      str(); // the key
      value(type);
    }
  }
} catch (e) {
  if (!(e instanceof Stop)) throw e;
}
