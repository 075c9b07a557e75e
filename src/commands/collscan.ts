/**
 * HSCAN / SSCAN / ZSCAN (cursors are parsed by store/scan.ts for the whole SCAN family). A
 * collection Redis would keep in its compact encoding is returned whole with cursor 0, as Redis
 * does. A bigger one either walks itself from the cursor (`walk`: sets, sorted sets; stateless)
 * or, a hash, is walked with a live iterator kept under the cursor it produced (JS Map
 * iterators survive inserts and deletes, so every element present throughout is returned).
 * Such a cursor is the walk's position plus a scan number times POS_SPAN, so two scans of one
 * hash never share a cursor. A cursor that is no longer cached (used already, or one of more
 * than MAX_CACHED scans) resumes by position: right for a retried cursor, but it can skip
 * elements when some were deleted meanwhile. An abandoned scan's iterator would keep the Map's
 * old tables alive while the hash churns, so one nobody continued for IDLE_MS is dropped (the
 * server's cron calls pruneScanCache), as are the oldest past MAX_CACHED.
 */
import type { Client } from '../server/client';
import { ERR_SYNTAX, intArg } from './args';
import { stringMatch } from '../util/glob';
import { parseCursor } from '../store/scan';

export interface ScanSource {
  /** true when Redis would hold the value in its compact encoding: one reply, cursor 0 */
  small: boolean;
  /** [element, value-or-score] pairs, or bare elements for sets */
  items: Iterable<string | [string, string]>;
  /**
   * A stateless walk instead of the cached iterators: visits up to `count` elements from
   * `cursor` (0 = the start) and returns the next cursor, 0 when done.
   */
  walk?: (cursor: number, count: number, visit: (el: string | [string, string]) => void) => number;
}

interface Cached {
  it: Iterator<string | [string, string]>;
  pos: number;
  scan: number;
  /** when it was last handed out (Date.now()) */
  used: number;
}
const cache = new WeakMap<object, Map<number, Cached>>();
/** the collections with cached iterators, for pruneScanCache (a WeakMap cannot be walked) */
const withCached = new Set<{ owner: WeakRef<object>; byCursor: Map<number, Cached> }>();
const IDLE_MS = 60_000;
/** a JS Map holds at most 2^24 entries: positions fit below 2^26, scan numbers above, < 2^52 */
const POS_SPAN = 2 ** 26;
const MAX_CACHED = 64;
let scanCounter = 0;

/**
 * The steps in Redis's order: the cursor is parsed first (ERR invalid cursor), then the key is
 * looked up — `lookup` returns undefined for a missing key (an empty scan, whatever the
 * options say) or null after replying WRONGTYPE — and only then are the options parsed.
 */
export function scanCollection(c: Client, argv: string[], lookup: () => ScanSource | undefined | null): void {
  const parsed = parseCursor(argv[2]);
  if (parsed === null) return c.error('ERR invalid cursor');
  const src = lookup();
  if (src === null) return;
  if (src === undefined) {
    c.arrayLen(2);
    c.bulk('0');
    return c.arrayLen(0);
  }
  // a walk's cursor is a position (anything beyond the collection ends it); an iterator's, a
  // position plus a scan number (see POS_SPAN)
  const cursor = Number(parsed);
  let count = 10;
  let pat: string | null = null;
  for (let i = 3; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === 'count' && i + 1 < argv.length) {
      const n = intArg(c, argv[++i]);
      if (n === null) return;
      if (n < 1) return c.error(ERR_SYNTAX);
      count = n;
    } else if (o === 'match' && i + 1 < argv.length) {
      pat = argv[++i];
      if (pat === '*') pat = null;
    } else return c.error(ERR_SYNTAX);
  }
  const out: string[] = [];
  let next = 0;
  const take = (x: string | [string, string]) => {
    const el = typeof x === 'string' ? x : x[0];
    if (pat !== null && !stringMatch(pat, el)) return;
    if (typeof x === 'string') out.push(x);
    else out.push(x[0], x[1]);
  };
  if (src.small) {
    for (const x of src.items) take(x);
  } else if (src.walk) {
    next = src.walk(cursor, count, take);
  } else {
    const coll = src.items as object;
    let byCursor = cache.get(coll);
    if (!byCursor) {
      cache.set(coll, (byCursor = new Map()));
      withCached.add({ owner: new WeakRef(coll), byCursor });
    }
    let st = cursor !== 0 ? byCursor.get(cursor) : undefined;
    if (st) byCursor.delete(cursor);
    else {
      scanCounter = (scanCounter % (POS_SPAN - 1)) + 1;
      st = { it: src.items[Symbol.iterator](), pos: 0, scan: scanCounter, used: 0 };
      const from = Number(parsed % BigInt(POS_SPAN)); // exact beyond 2^53 too
      while (st.pos < from && !st.it.next().done) st.pos++;
    }
    let done = false;
    for (let k = 0; k < count; k++) {
      const r = st.it.next();
      if (r.done) {
        done = true;
        break;
      }
      st.pos++;
      take(r.value);
    }
    if (!done) {
      next = st.scan * POS_SPAN + st.pos;
      if (byCursor.size >= MAX_CACHED) byCursor.delete(byCursor.keys().next().value as number);
      st.used = Date.now();
      byCursor.set(next, st);
    }
  }
  c.arrayLen(2);
  c.bulk(String(next));
  c.bulkArray(out);
}

/** Drops the cached iterators nobody continued for IDLE_MS (run by the server's cron). */
export function pruneScanCache(now: number): void {
  for (const rec of withCached) {
    for (const [k, st] of rec.byCursor) if (now - st.used >= IDLE_MS) rec.byCursor.delete(k);
    if (rec.byCursor.size !== 0) continue;
    withCached.delete(rec);
    const owner = rec.owner.deref();
    if (owner !== undefined) cache.delete(owner);
  }
}

/** How many iterators are cached now (for tests). */
export function cachedScanCount(): number {
  let n = 0;
  for (const rec of withCached) n += rec.byCursor.size;
  return n;
}
