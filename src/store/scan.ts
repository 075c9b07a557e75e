/**
 * SCAN cursors over a Map-backed database.
 *
 * Redis's reverse-binary cursor relies on its hash table layout. Keel instead relies on two
 * facts: a JS Map iterates in insertion order, and every insertion into a database takes a
 * fresh, ever-growing `seq` (an overwrite reuses the entry and keeps its place). So the dict
 * is ordered by seq, and a cursor is simply "the seq of the last key returned": resuming means
 * continuing after it. Any key present for the whole iteration is returned, as SCAN promises.
 *
 * To make resuming O(count) instead of O(n), the live iterator is cached under the cursor it
 * produced (Map iterators stay valid across inserts and deletes). A cursor not in the cache
 * (evicted, or from a different connection) still works by skipping from the start.
 */
import type { Entry } from './keyspace';
import type { Dict } from './dict';

interface Cached {
  dict: Dict<Entry>;
  it: Iterator<[string, Entry]>;
}

const CACHE_MAX = 256;

export class ScanCursors {
  private readonly cache = new Map<string, Cached>();

  /**
   * Visits up to `count` entries after `cursor`; returns the next cursor (0n when done).
   * Cursors are unsigned 64-bit numbers; seq values fit easily.
   */
  scan(dict: Dict<Entry>, dbId: number, cursor: bigint, count: number, visit: (key: string, e: Entry) => void): bigint {
    const cacheKey = `${dbId}:${cursor}`;
    let it: Iterator<[string, Entry]>;
    const hit = cursor !== 0n ? this.cache.get(cacheKey) : undefined;
    let skipUpTo = -1;
    if (hit !== undefined && hit.dict === dict) {
      this.cache.delete(cacheKey);
      it = hit.it;
    } else {
      it = dict.entries();
      if (cursor !== 0n) skipUpTo = Number(cursor);
    }
    let visited = 0;
    let last = -1;
    for (;;) {
      const r = it.next();
      if (r.done) return 0n;
      const [key, e] = r.value;
      if (e.seq <= skipUpTo) continue;
      visit(key, e);
      last = e.seq;
      if (++visited >= count) break;
    }
    const next = BigInt(last);
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(`${dbId}:${next}`, { dict, it });
    return next;
  }
}

const ULONG_MAX = 0xffffffffffffffffn;

/**
 * A SCAN cursor as Redis 7.0's parseScanCursorOrReply reads it: strtoul(s, &end, 10), refused
 * when the first byte is a space, when anything follows the number, or on overflow. So ""
 * is cursor 0 (strtoul parses no digits and stops at the terminator), a sign is accepted
 * and "-1" wraps to 2^64-1, while "-" alone or "0x1" are invalid. Null means invalid.
 */
export function parseCursor(s: string): bigint | null {
  if (s === '') return 0n;
  const m = /^([+-]?)(\d+)$/.exec(s);
  if (!m) return null;
  const v = BigInt(m[2]);
  if (v > ULONG_MAX) return null; // ERANGE: strtoul checks the magnitude before negating
  return m[1] === '-' ? (ULONG_MAX + 1n - v) & ULONG_MAX : v;
}

