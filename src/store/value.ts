/**
 * The value types a key can hold, and what Redis reports about them (TYPE, OBJECT ENCODING).
 * A string is a plain latin1 JS string; collections are their own classes, so `typeof` /
 * `instanceof` tell them apart without a wrapper object per key.
 */
import { Deque } from './types/deque';
import { ZSet } from './types/zset';
import { IndexedSet } from './types/indexed-set';
import { isIntegerString } from '../util/intstring';
import { Packed, type Stored } from './packed';

export { isIntegerString };

export type Value = string | Deque<string> | Map<string, string> | IndexedSet | ZSet;

export type TypeName = 'string' | 'list' | 'hash' | 'set' | 'zset';

export function typeOf(v: Stored): TypeName {
  if (typeof v === 'string') return 'string';
  if (v instanceof Packed) return v.typeName;
  if (v instanceof Deque) return 'list';
  if (v instanceof Map) return 'hash';
  if (v instanceof IndexedSet) return 'set';
  return 'zset';
}

/** A list, hash, set or zset with no elements: Redis never keeps one as a key. */
export function isEmptyCollection(v: Stored): boolean {
  if (typeof v === 'string') return false;
  if (v instanceof Packed) return v.count === 0;
  return (v instanceof Deque ? v.length : v.size) === 0;
}

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/** Thresholds that decide the compact encodings, read from config. */
export interface EncodingLimits {
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  setMaxIntsetEntries: number;
}

/**
 * Hashes that Redis would have converted to hashtable at some point. Redis converts
 * listpack -> hashtable as a value grows, and never back when it shrinks, so the encoding is
 * the value's history, not just its content: the commands that grow a value in place mark it
 * here. A value built fresh (an RDB load) is not marked and its encoding follows its content,
 * as Redis builds those the same way. (Sets and zsets keep the same history in
 * IndexedSet.converted and ZSet.converted.)
 */
const converted = new WeakSet<object>();

/** Records that Redis would now hold this hash as a hashtable (for good). */
export function markConverted(v: Map<string, string>): void {
  converted.add(v);
}

export function isConverted(v: Map<string, string>): boolean {
  return converted.has(v);
}

/** The thresholds as configured (`num` reads a numeric directive). */
export function encodingLimitsOf(cfg: { num(name: string): number }): EncodingLimits {
  return {
    hashMaxListpackEntries: cfg.num('hash-max-listpack-entries'),
    hashMaxListpackValue: cfg.num('hash-max-listpack-value'),
    zsetMaxListpackEntries: cfg.num('zset-max-listpack-entries'),
    zsetMaxListpackValue: cfg.num('zset-max-listpack-value'),
    setMaxIntsetEntries: cfg.num('set-max-intset-entries'),
  };
}

/** OBJECT ENCODING as Redis 7.0 would report it for the same value. */
export function encodingOf(v: Value, lim: EncodingLimits): string {
  if (typeof v === 'string') {
    if (v.length <= 20 && isIntegerString(v)) return 'int';
    return v.length <= 44 ? 'embstr' : 'raw';
  }
  if (v instanceof Deque) return 'quicklist'; // Redis 7.0 lists are always quicklists
  if (v instanceof Map) {
    if (converted.has(v) || v.size > lim.hashMaxListpackEntries) return 'hashtable';
    for (const [f, x] of v) {
      if (f.length > lim.hashMaxListpackValue || x.length > lim.hashMaxListpackValue) return 'hashtable';
    }
    return 'listpack';
  }
  if (v instanceof IndexedSet) {
    return v.converted || v.size > lim.setMaxIntsetEntries || !v.allIntegers ? 'hashtable' : 'intset';
  }
  if (v.converted || v.size > lim.zsetMaxListpackEntries) return 'skiplist';
  for (const [m] of v) if (m.length > lim.zsetMaxListpackValue) return 'skiplist';
  return 'listpack';
}

/**
 * A zset Redis would hold as a listpack keeps its scores as text, where -0 becomes 0 (a result
 * stored by ZUNIONSTORE and its family, a skiplist zset from an RDB converted on load); a
 * skiplist keeps the double. Keel has one representation, so it drops the sign where Redis's
 * encoding would.
 */
export function dropListpackNegativeZeros(z: ZSet, lim: EncodingLimits): void {
  if (z.converted || z.size > lim.zsetMaxListpackEntries) return;
  let zeros: string[] | null = null;
  for (const [m, s] of z) if (Object.is(s, -0)) (zeros ??= []).push(m);
  if (zeros === null || encodingOf(z, lim) !== 'listpack') return;
  for (const m of zeros) z.clearNegativeZero(m);
}
