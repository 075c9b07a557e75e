/** SORT and SORT_RO (sort.c): BY, GET, LIMIT, ASC/DESC, ALPHA, STORE over lists, sets and zsets. */
import { cmd, type CommandSpec } from './spec';
import type { Client } from '../server/client';
import { NotifyClass } from '../server/server';
import { WRONGTYPE, ERR_SYNTAX, intArg, notify } from './args';
import { Deque } from '../store/types/deque';
import { ZSet } from '../store/types/zset';
import { IndexedSet } from '../store/types/indexed-set';
import { membersOf } from './sets';
import { parseDouble } from '../util/number';
import { encodingOf } from '../store/value';
import { encodingLimits } from './keys';
import { MAX_ARRAY_ELEMENTS } from '../util/limits';

/** lookupKeyByPattern: `#` is the element itself; `pre*post` a string key; `pre*post->field` a hash field. */
function byPattern(c: Client, pattern: string, subst: string): string | null {
  if (pattern === '#') return subst;
  const star = pattern.indexOf('*');
  if (star < 0) return null;
  const arrow = pattern.indexOf('->', star + 1);
  const hasField = arrow >= 0 && arrow + 2 < pattern.length;
  const keyEnd = hasField ? arrow : pattern.length;
  const key = pattern.slice(0, star) + subst + pattern.slice(star + 1, keyEnd);
  const e = c.server.keyspace.lookupRead(c.db, key);
  if (e === undefined) return null;
  if (hasField) {
    if (!(e.value instanceof Map)) return null;
    return e.value.get(pattern.slice(arrow + 2)) ?? null;
  }
  return typeof e.value === 'string' ? e.value : null;
}

/** strtod as SORT uses it: leading spaces allowed, the rest must be a number. */
function sortScore(s: string): number | null {
  if (s === '') return 0; // strtod consumes nothing and stops at the terminator
  // strtod skips leading space here (SORT calls it directly); the rest as parseDouble
  const t = s.replace(/^[ \t\n\v\f\r]+/, '');
  return t === '' ? null : parseDouble(t);
}

function cmpBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortGeneric(c: Client, argv: string[], readonly: boolean): void {
  let desc = false;
  let alpha = false;
  let offset = 0;
  let count = -1;
  let by: string | null = null;
  let dontsort = false;
  let store: string | null = null;
  const gets: string[] = [];
  for (let j = 2; j < argv.length; j++) {
    const o = argv[j].toLowerCase();
    const left = argv.length - j - 1;
    if (o === 'asc') desc = false;
    else if (o === 'desc') desc = true;
    else if (o === 'alpha') alpha = true;
    else if (o === 'limit' && left >= 2) {
      const a = intArg(c, argv[j + 1]);
      if (a === null) return;
      const b = intArg(c, argv[j + 2]);
      if (b === null) return;
      offset = a;
      count = b;
      j += 2;
    } else if (o === 'store' && left >= 1 && !readonly) {
      store = argv[++j];
    } else if (o === 'by' && left >= 1) {
      by = argv[++j];
      if (!by.includes('*')) dontsort = true;
    } else if (o === 'get' && left >= 1) {
      gets.push(argv[++j]);
    } else return c.error(ERR_SYNTAX);
  }
  const ks = c.server.keyspace;
  const e = ks.lookupRead(c.db, argv[1]);
  const v = e?.value;
  if (v !== undefined && !(v instanceof Deque) && !(v instanceof IndexedSet) && !(v instanceof ZSet)) return c.error(WRONGTYPE);
  // a set sorted "by nothing" into a key gets a deterministic order
  if (dontsort && v instanceof IndexedSet && store !== null) {
    dontsort = false;
    alpha = true;
    by = null;
  }
  // Redis converts a sorted set SORT touches to a skiplist for good (zsetConvert), even SORT_RO.
  // Only a listpack one changes; a snapshot in progress keeps it as it was (lookupWrite).
  if (v instanceof ZSet && !v.converted && encodingOf(v, encodingLimits(c)) === 'listpack') {
    ks.lookupWrite(c.db, argv[1]);
    v.converted = true;
  }
  let elements: string[];
  if (v === undefined) elements = [];
  else if (v instanceof Deque) elements = v.toArray();
  else if (v instanceof IndexedSet) elements = membersOf(c, v); // an intset in ascending order, as Redis iterates it
  else elements = [...(v as ZSet)].map(([m]) => m);
  if (dontsort && desc && !(v instanceof IndexedSet)) elements.reverse();
  const len = elements.length;
  let start = offset < 0 ? 0 : offset;
  let end = count < 0 ? len - 1 : start + count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;
  if (!dontsort) {
    const items = elements.map((el) => ({ el, score: 0, cmp: null as string | null }));
    for (const it of items) {
      const byval = by !== null ? byPattern(c, by, it.el) : it.el;
      if (alpha) {
        if (by !== null) it.cmp = byval;
      } else if (byval !== null) {
        const d = sortScore(byval);
        if (d === null) return c.error("ERR One or more scores can't be converted into double");
        it.score = d;
      }
    }
    items.sort((a, b) => {
      let r: number;
      if (!alpha) r = a.score > b.score ? 1 : a.score < b.score ? -1 : cmpBytes(a.el, b.el);
      else if (by !== null) r = a.cmp === null || b.cmp === null ? (a.cmp === b.cmp ? 0 : a.cmp === null ? -1 : 1) : cmpBytes(a.cmp, b.cmp);
      else r = cmpBytes(a.el, b.el);
      return desc ? -r : r;
    });
    elements = items.map((i) => i.el);
  }
  const picked = end >= start ? elements.slice(start, end + 1) : [];
  // GET patterns multiply the result: a short command can ask for more elements than a JS array
  // holds (V8 aborts the process past that), so the reply is streamed as it is made
  const results = picked.length * Math.max(1, gets.length);
  if (store !== null && results > MAX_ARRAY_ELEMENTS) return c.error(`ERR the sorted result of ${results} elements is longer than the longest list Keel can hold (${MAX_ARRAY_ELEMENTS})`);
  if (store === null) c.arrayLen(results);
  const out: (string | null)[] = [];
  for (const el of picked) {
    if (gets.length === 0) out.push(el);
    else for (const g of gets) out.push(byPattern(c, g, el));
    if (store === null && out.length >= 4096) {
      c.bulkItems(out);
      out.length = 0;
    }
  }
  if (store === null) return c.bulkItems(out);
  if (out.length > 0) {
    ks.set(c.db, store, new Deque(out.map((x) => x ?? '')));
    c.server.blocking.signalKeyReady(c.db, store);
    notify(c, NotifyClass.List, 'sortstore', store);
    ks.dirty += out.length;
  } else if (ks.peek(c.db, store) !== undefined) {
    ks.delete(c.db, store);
    notify(c, NotifyClass.Generic, 'del', store);
    ks.dirty++;
  }
  c.int(out.length);
}

function sortKeys(argv: string[]): number[] {
  const out = [1];
  for (let j = 2; j < argv.length; j++) {
    const o = argv[j].toLowerCase();
    if (o === 'limit') j += 2;
    else if (o === 'by' || o === 'get') j++;
    else if (o === 'store' && j + 1 < argv.length) out.push(++j);
  }
  return out;
}

export const commands: CommandSpec[] = [
  cmd('sort', -2, 'write denyoom movablekeys', [1, 1, 1], (c, a) => sortGeneric(c, a, false), 'Sort the elements in a list, set or sorted set', '1.0.0', 'generic', { getKeys: sortKeys }),
  cmd('sort_ro', -2, 'readonly movablekeys', [1, 1, 1], (c, a) => sortGeneric(c, a, true), 'Sort the elements in a list, set or sorted set. Read-only variant of SORT.', '7.0.0', 'generic'),
];
