/**
 * A collection loaded from an RDB file and still held in the compact form the file had: the
 * listpack of a small hash or sorted set, the intset of a small set of integers, or the listpack
 * nodes of a list. Redis keeps such values as those very bytes; Keel keeps them so until a
 * command first reads the value (Entry.value decodes it then, once).
 *
 * Why: decoding builds a string and a table slot per element, and everything a load builds
 * survives, so the garbage collector copies each of those objects twice on its way to the old
 * generation. One string per collection instead of dozens of objects is most of what a load of
 * many small collections costs. A snapshot writes a packed value's bytes back as they are, as
 * Redis writes its listpacks.
 *
 * Only clean values are packed (persistence/rdb/pack.ts checks them as it loads them): within
 * the encoding limits, well formed, no repeated member. So unpacking cannot fail.
 */
import { T } from '../persistence/rdb/format';
import { decodeIntset, decodeListpack } from '../persistence/rdb/compact';
import { Deque } from './types/deque';
import { IndexedSet } from './types/indexed-set';
import { ZSet } from './types/zset';
import type { Value } from './value';

export class Packed {
  constructor(
    /** the RDB type the bytes are in: HASH_LISTPACK, ZSET_LISTPACK, SET_INTSET or LIST_QUICKLIST_2 */
    readonly rdbType: number,
    /** the blob as latin1 (for a list: its nodes' listpacks one after the other) */
    readonly bytes: string,
    /** elements (hash fields, set or zset members, list elements) */
    readonly count: number,
  ) {}

  /** The value these bytes hold, as a new object each time. */
  unpack(): Value {
    const b = Buffer.from(this.bytes, 'latin1');
    switch (this.rdbType) {
      case T.HASH_LISTPACK: {
        const items = decodeListpack(b);
        const h = new Map<string, string>();
        for (let i = 0; i < items.length; i += 2) h.set(items[i], items[i + 1]);
        return h;
      }
      case T.ZSET_LISTPACK: {
        const items = decodeListpack(b);
        const z = new ZSet();
        for (let i = 0; i < items.length; i += 2) {
          // pack.ts packs no -0 (the loader's dropListpackNegativeZeros repairs it)
          z.set(items[i], scoreOf(items[i + 1]));
        }
        return z;
      }
      case T.SET_INTSET:
        return new IndexedSet(decodeIntset(b));
      case T.LIST_QUICKLIST_2: {
        const l = new Deque<string>();
        let at = 0;
        for (const size of this.nodeSizes()) {
          for (const x of decodeListpack(b.subarray(at, at + size))) l.push(x);
          at += size;
        }
        return l;
      }
      default:
        throw new Error(`no packed form for RDB type ${this.rdbType}`);
    }
  }

  /** A list's quicklist nodes: the sizes of the listpacks in `bytes`, each from its header. */
  nodeSizes(): number[] {
    const s = this.bytes;
    const sizes: number[] = [];
    for (let at = 0; at < s.length; at += sizes[sizes.length - 1]) {
      sizes.push((s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16)) + s.charCodeAt(at + 3) * 0x1000000);
    }
    return sizes;
  }

  /** The type Redis reports, without unpacking. */
  get typeName(): 'hash' | 'zset' | 'set' | 'list' {
    return this.rdbType === T.HASH_LISTPACK ? 'hash' : this.rdbType === T.ZSET_LISTPACK ? 'zset' : this.rdbType === T.SET_INTSET ? 'set' : 'list';
  }
}

/** A listpack score as text (checked when the value was packed). */
export function scoreOf(s: string): number {
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/** What an entry holds: a value, or a collection still packed. */
export type Stored = Value | Packed;

/** The value itself, decoding a packed one. */
export function unpacked(v: Stored): Value {
  return v instanceof Packed ? v.unpack() : v;
}
