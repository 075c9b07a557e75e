/**
 * Which collections an RDB load keeps packed (see store/packed.ts), checked without building
 * a string per element: hash and sorted-set listpacks and intsets within the encoding limits
 * (what Redis 7.0 would keep in the same encoding), and lists of listpack nodes.
 *
 * Anything unusual gives null and the reader decodes the value as it always does, so every
 * error it reports, every conversion Redis makes at load and every repair (a duplicate in an
 * intset dropped, -0 in a listpack) stays in one place: a corrupt blob, an element over the
 * limits, an empty value, two members with the same 32-bit hash (a real duplicate or not).
 */
import { T, QUICKLIST_NODE_PACKED } from './format';
import type { RdbCursor } from './reader';
import { backlenIs, backlenSize, intsetAt, intsetHeader, lpEntry, lpEntryAt } from './compact';
import { Packed, scoreOf } from '../../store/packed';
import type { EncodingLimits } from '../../store/value';
// lists longer than this are decoded: a snapshot streams those in chunks
import { BIG_VALUE } from '../snapshot';

/** a score as decimal text, the only kind a zset listpack keeps packed */
const PLAIN_SCORE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?$/;


type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** open-addressing table of member hashes, reused: 0 = empty */
let seen = new Int32Array(512);
let seenMask = 511;
/** a list's nodes, gathered before they become one string */
let nodes = Buffer.allocUnsafeSlow(64 * 1024);
/** decimal digits of an integer element, for hashing it as the string it stands for */
const digits = Buffer.allocUnsafeSlow(24);
/** a zset's current and previous member, for the order check (members are short: they are within zset-max-listpack-value) */
let member = Buffer.allocUnsafeSlow(256);
let prevMember = Buffer.allocUnsafeSlow(256);
let memberLen = 0;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function clearSeen(members: number): void {
  let size = 16;
  while (size < members * 2) size *= 2;
  if (size > seen.length) seen = new Int32Array(size);
  seenMask = size - 1;
  seen.fill(0, 0, size);
}

/** false when the hash was there already */
function addSeen(h: number): boolean {
  let i = h & seenMask;
  for (;;) {
    const x = seen[i];
    if (x === 0) {
      seen[i] = h;
      return true;
    }
    if (x === h) return false;
    i = (i + 1) & seenMask;
  }
}

/** FNV-1a over bytes, never 0 */
function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h | 1;
}

/** Writes the decimal form of n at the end of `digits`; where it starts. */
function intDigits(n: number | bigint): number {
  if (typeof n === 'bigint') {
    const s = String(n);
    digits.write(s, digits.length - s.length, 'latin1');
    return digits.length - s.length;
  }
  let p = digits.length;
  let v = n < 0 ? -n : n;
  do {
    digits[--p] = 48 + (v % 10);
    v = Math.floor(v / 10);
  } while (v > 0);
  if (n < 0) digits[--p] = 45;
  return p;
}

interface ScanRules {
  /** longest element allowed (by its string form) for elements at even positions / odd ones */
  maxEven: number;
  maxOdd: number;
  /** most elements allowed */
  maxElements: number;
  /** check the even elements are distinct (hash fields, zset members) */
  distinctEven: boolean;
  /**
   * pairs of member and score (a zset): text scores must be numbers, and the pairs in
   * (score, member) order, as a listpack zset is kept and as the reader would rebuild it
   */
  zset: boolean;
}

/**
 * Walks a listpack as decodeListpack does, without keeping anything; the element count, or -1
 * when it is not one to pack (see the module doc).
 */
function scanListpack(b: Buffer, r: ScanRules): number {
  if (b.length < 7 || b.readUInt32LE(0) !== b.length) return -1;
  const declared = b.readUInt16LE(4);
  // every element takes 2 bytes or more: the table never fills, whatever the header says
  if (r.distinctEven) clearSeen(Math.min(r.maxElements, b.length >> 1));
  let prevScore = -Infinity;
  let prevLen = -1;
  let n = 0;
  let p = 6;
  const end = b.length - 1;
  while (p < end) {
    const sz = lpEntryAt(b, p, end);
    if (sz < 0) return -1;
    const strAt = lpEntry.strAt;
    const strLen = lpEntry.strLen;
    let int = lpEntry.int;
    if (typeof int === 'bigint' && int >= MIN_SAFE && int <= MAX_SAFE) int = Number(int);
    const back = backlenSize(sz);
    // always checked (the reader only checks it deep): a packed value is written back as it is
    if (!backlenIs(b, p + sz, back, sz)) return -1;
    if (n >= r.maxElements) return -1;
    const even = (n & 1) === 0;
    const max = even ? r.maxEven : r.maxOdd;
    const distinct = even && r.distinctEven;
    // the element's string form: its bytes, or an integer's digits (an integer has at most 20)
    let src: Buffer = b;
    let from = strAt;
    let len = strLen;
    if (strAt < 0 && (distinct || max < 20)) {
      src = digits;
      from = intDigits(int);
      len = digits.length - from;
    }
    if (len > max) return -1;
    if (distinct && !addSeen(hashBytes(src, from, from + len))) return -1;
    if (r.zset) {
      if (even) {
        // the member, kept for the order check of the pair it starts
        if (len > member.length) return -1;
        for (let i = 0; i < len; i++) member[i] = src[from + i]; // short: a loop beats Buffer.copy's call
        memberLen = len;
      } else {
        let score: number;
        if (strAt >= 0) {
          // plain decimal text only (what d2string writes is), which JS and strtod read alike:
          // they disagree on others ("0b1", a leading \xa0, past zzlStrtod's 127 bytes), and a
          // packed score goes back out as its text
          const text = (b as Latin1Buffer).latin1Slice(strAt, strAt + strLen);
          if (strLen > 127 || !(PLAIN_SCORE.test(text) || text === 'inf' || text === '-inf')) return -1;
          score = scoreOf(text);
        } else {
          score = Number(int);
        }
        // -0 is repaired to 0 by the reader (dropListpackNegativeZeros): not packed
        if (Object.is(score, -0)) return -1;
        if (score < prevScore || (score === prevScore && prevLen >= 0 && compareMember(prevLen) >= 0)) return -1;
        prevScore = score;
        for (let i = 0; i < memberLen; i++) prevMember[i] = member[i];
        prevLen = memberLen;
      }
    }
    p += sz + back;
    n++;
  }
  if (p !== end || b[end] !== 0xff) return -1;
  if (declared !== 65535 && declared !== n) return -1;
  return n;
}

/** the current member (in `member`, memberLen bytes) against the previous one: <0, 0, >0 as memcmp then length */
function compareMember(prevLen: number): number {
  const n = Math.min(prevLen, memberLen);
  for (let i = 0; i < n; i++) {
    const d = prevMember[i] - member[i];
    if (d !== 0) return d;
  }
  return prevLen - memberLen;
}

/** Members of an intset, or -1 (not strictly ascending, over the limit, malformed). */
function scanIntset(b: Buffer, max: number): number {
  const h = intsetHeader(b);
  if (typeof h === 'string' || h.n > max) return -1;
  let prev: number | bigint = -Infinity;
  for (let i = 0; i < h.n; i++) {
    const v = intsetAt(b, h.enc, i);
    if (v <= prev) return -1;
    prev = v;
  }
  return h.n;
}

const latin1 = (b: Buffer): string => (b as Latin1Buffer).latin1Slice(0, b.length);

/**
 * The value at the cursor (after its key) as a Packed, consuming it; or null, with the cursor
 * where it was, when the reader should decode it instead.
 */
export function readPacked(c: RdbCursor, type: number, lim: EncodingLimits): Packed | null {
  if (type !== T.HASH_LISTPACK && type !== T.ZSET_LISTPACK && type !== T.SET_INTSET && type !== T.LIST_QUICKLIST_2) return null;
  const start = c.pos;
  try {
    const p = packedAt(c, type, lim);
    if (p !== null) return p;
  } catch {
    // a truncated or corrupt value: the reader reports it
  }
  c.pos = start;
  return null;
}

function packedAt(c: RdbCursor, type: number, lim: EncodingLimits): Packed | null {
  if (type === T.LIST_QUICKLIST_2) return packedList(c);
  const b = c.transientBytes();
  if (type === T.SET_INTSET) {
    const n = scanIntset(b, lim.setMaxIntsetEntries);
    return n > 0 ? new Packed(type, latin1(b), n) : null;
  }
  const hash = type === T.HASH_LISTPACK;
  const max = hash ? lim.hashMaxListpackEntries : lim.zsetMaxListpackEntries;
  const maxValue = hash ? lim.hashMaxListpackValue : lim.zsetMaxListpackValue;
  // a member is no longer than the limit, nor than the blob
  const longest = Math.min(maxValue, b.length);
  if (!hash && member.length < longest) {
    member = Buffer.allocUnsafeSlow(longest);
    prevMember = Buffer.allocUnsafeSlow(longest);
  }
  const n = scanListpack(b, {
    maxEven: maxValue,
    maxOdd: hash ? lim.hashMaxListpackValue : Infinity,
    maxElements: 2 * max,
    distinctEven: true,
    zset: !hash,
  });
  if (n <= 0 || n % 2 !== 0 || n / 2 > max) return null;
  return new Packed(type, latin1(b), n / 2);
}

const LIST_RULES: ScanRules = { maxEven: Infinity, maxOdd: Infinity, maxElements: BIG_VALUE, distinctEven: false, zset: false };

function packedList(c: RdbCursor): Packed | null {
  const count = c.len();
  let used = 0;
  let elements = 0;
  for (let i = 0; i < count; i++) {
    if (c.len() !== QUICKLIST_NODE_PACKED) return null;
    const b = c.transientBytes();
    const n = scanListpack(b, LIST_RULES);
    if (n <= 0) return null; // an empty node is skipped by the reader, as Redis does
    elements += n;
    if (elements > BIG_VALUE) return null;
    if (used + b.length > nodes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(nodes.length * 2, used + b.length));
      nodes.copy(grown, 0, 0, used);
      nodes = grown;
    }
    b.copy(nodes, used);
    used += b.length;
  }
  if (elements === 0) return null;
  return new Packed(T.LIST_QUICKLIST_2, (nodes as Latin1Buffer).latin1Slice(0, used), elements);
}
