/** Set commands (t_set.c). A set is an IndexedSet of latin1 strings. */
import { cmd, type CommandSpec } from './spec';
import type { Client } from '../server/client';
import { NotifyClass } from '../server/server';
import { WRONGTYPE, ERR_SYNTAX, intArg, notify, randCountArg, keysAfterCount } from './args';
import { isIntegerString } from '../store/value';
import { IndexedSet } from '../store/types/indexed-set';
import { scanCollection } from './collscan';

type S = IndexedSet;

function setForRead(c: Client, key: string): S | undefined | null {
  const e = c.server.keyspace.lookupRead(c.db, key);
  if (e === undefined) return undefined;
  if (!(e.value instanceof IndexedSet)) {
    c.error(WRONGTYPE);
    return null;
  }
  return e.value;
}

function setForWrite(c: Client, key: string): S | undefined | null {
  const e = c.server.keyspace.lookupWrite(c.db, key);
  if (e === undefined) return undefined;
  if (!(e.value instanceof IndexedSet)) {
    c.error(WRONGTYPE);
    return null;
  }
  return e.value;
}

function dropIfEmpty(c: Client, key: string, s: S): void {
  if (s.size === 0) {
    c.server.keyspace.delete(c.db, key);
    notify(c, NotifyClass.Generic, 'del', key);
  }
}

/** Whether members built into a fresh set would make Redis keep it as an intset. */
function intsetContent(c: Client, members: string[]): boolean {
  return members.length <= c.server.config.num('set-max-intset-entries') && members.every(isIntegerString);
}

/** Whether Redis holds this stored set as an intset (never again once it was converted). O(1). */
function isIntset(c: Client, s: S): boolean {
  return !s.converted && s.allIntegers && s.size <= c.server.config.num('set-max-intset-entries');
}

function ascending(arr: string[]): string[] {
  return arr.sort((a, b) => {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/**
 * Members of a freshly built result in the order Redis would reply them: an intset (all
 * integers, small) iterates in ascending numeric order; otherwise Keel's insertion order
 * stands in for hash order (which in Redis depends on a per-process random hash seed).
 */
export function orderedMembers(c: Client, members: Iterable<string>): string[] {
  const arr = [...members];
  return intsetContent(c, arr) ? ascending(arr) : arr;
}

/** A stored set's members in its iteration order (see isIntset). */
export function membersOf(c: Client, s: S): string[] {
  return isIntset(c, s) ? ascending(s.toArray()) : s.toArray();
}

/**
 * Records, before a stored set changes in place, that Redis holds it as a hashtable for good
 * when its content is not an intset's: a set is a hashtable in Redis however it was built
 * (SADD, a *STORE, an RDB load) once a non-integer is in it or it is bigger than
 * set-max-intset-entries, and it stays one when it shrinks back to a few integers. O(1).
 */
function markIfHashtable(c: Client, s: S): void {
  if (!s.converted && (!s.allIntegers || s.size > c.server.config.num('set-max-intset-entries'))) s.converted = true;
}

/**
 * Adds a member to a stored set, converting it the way Redis's setTypeAdd does: an intset
 * becomes a hashtable when a non-integer arrives or it grows past set-max-intset-entries.
 */
function addMember(c: Client, s: S, m: string): boolean {
  if (!s.add(m)) return false;
  markIfHashtable(c, s);
  return true;
}

/** Removes a member from a stored set (see markIfHashtable). */
function removeMember(c: Client, s: S, m: string): boolean {
  markIfHashtable(c, s);
  return s.delete(m);
}

function replySet(c: Client, members: string[]): void {
  c.setLen(members.length);
  for (const m of members) c.bulk(m);
}

function sadd(c: Client, argv: string[]): void {
  const key = argv[1];
  let s = setForWrite(c, key);
  if (s === null) return;
  if (s === undefined) {
    s = new IndexedSet();
    c.server.keyspace.add(c.db, key, s);
  }
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (addMember(c, s, argv[i])) n++;
  if (n) {
    c.server.keyspace.events.modified(c.db, key);
    notify(c, NotifyClass.Set, 'sadd', key);
  }
  c.server.keyspace.dirty += n;
  c.int(n);
}

function srem(c: Client, argv: string[]): void {
  const key = argv[1];
  const s = setForWrite(c, key);
  if (s === null) return;
  if (s === undefined) return c.int(0);
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (removeMember(c, s, argv[i])) n++;
  if (n) {
    c.server.keyspace.events.modified(c.db, key);
    notify(c, NotifyClass.Set, 'srem', key);
    dropIfEmpty(c, key, s);
    c.server.keyspace.dirty += n;
  }
  c.int(n);
}

function scard(c: Client, argv: string[]): void {
  const s = setForRead(c, argv[1]);
  if (s !== null) c.int(s ? s.size : 0);
}

function sismember(c: Client, argv: string[]): void {
  const s = setForRead(c, argv[1]);
  if (s !== null) c.int(s?.has(argv[2]) ? 1 : 0);
}

function smismember(c: Client, argv: string[]): void {
  const s = setForRead(c, argv[1]);
  if (s === null) return;
  c.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.int(s?.has(argv[i]) ? 1 : 0);
}

function smembers(c: Client, argv: string[]): void {
  const s = setForRead(c, argv[1]);
  if (s === null) return;
  replySet(c, s ? membersOf(c, s) : []);
}

function srandmember(c: Client, argv: string[]): void {
  if (argv.length > 3) return c.error(ERR_SYNTAX);
  if (argv.length === 2) {
    const s = setForRead(c, argv[1]);
    if (s === null) return;
    return s ? c.bulk(s.random()) : c.nullBulk();
  }
  const big = randCountArg(c, argv[2]);
  if (big === null) return;
  const s = setForRead(c, argv[1]);
  if (s === null) return;
  // Redis 7.0 answers every counted SRANDMEMBER with an array, also in RESP3 (members may
  // repeat with a negative count, so it is not a set)
  if (!s || big === 0n) return c.arrayLen(0);
  if (big < 0n) {
    // members may repeat: each one an independent uniform pick, O(1)
    const n = Number(-big);
    if (n > 0x7fffffff) return c.error('ERR value is out of range');
    c.arrayLen(n);
    for (let i = 0; i < n; i++) c.bulk(s.random());
    return;
  }
  // the whole set in its iteration order, or `big` distinct members in O(big)
  c.bulkArray(big >= BigInt(s.size) ? membersOf(c, s) : s.sample(Number(big)));
}

function spop(c: Client, argv: string[]): void {
  if (argv.length > 3) return c.error(ERR_SYNTAX);
  const key = argv[1];
  const ks = c.server.keyspace;
  if (argv.length === 2) {
    const s = setForWrite(c, key);
    if (s === null) return;
    if (!s) return c.nullBulk();
    markIfHashtable(c, s);
    const m = s.popRandom();
    ks.events.modified(c.db, key);
    notify(c, NotifyClass.Set, 'spop', key);
    // the reply goes between the spop and del events, as Redis sends them (a RESP3 client
    // subscribed to its own events sees that order)
    c.bulk(m);
    dropIfEmpty(c, key, s);
    ks.dirty++;
    c.propArgv = ['SREM', key, m];
    return;
  }
  const count = intArg(c, argv[2], 'ERR value is out of range, must be positive');
  if (count === null) return;
  if (count < 0) return c.error('ERR value is out of range, must be positive');
  const s = setForWrite(c, key);
  if (s === null) return;
  if (!s || count === 0) return replySet(c, []);
  ks.events.modified(c.db, key);
  notify(c, NotifyClass.Set, 'spop', key);
  if (count >= s.size) {
    // Redis replies with SUNION of the key: a freshly built set, so the order follows the content
    const all = orderedMembers(c, s);
    replySet(c, all);
    ks.delete(c.db, key);
    notify(c, NotifyClass.Generic, 'del', key);
    ks.dirty += all.length;
    c.propArgv = ['DEL', key];
    return;
  }
  // count uniformly random members, one O(1) pop each (spopWithCountCommand's second case)
  const wasIntset = isIntset(c, s);
  markIfHashtable(c, s);
  const popped: string[] = new Array(count);
  for (let i = 0; i < count; i++) popped[i] = s.popRandom();
  if (s.size * 5 <= count) {
    // When few members remain, Redis builds a new set from them (the third case) instead of
    // deleting in place: its encoding follows its content again. It then replies (and
    // propagates) the members left in the old set in that set's order: ascending for an intset.
    s.converted = false;
    if (wasIntset) ascending(popped);
  }
  ks.dirty += popped.length;
  // Redis 7.0 propagates one SREM per member (alsoPropagate), never the SPOP itself; a unit
  // of several writes goes out wrapped in MULTI/EXEC, a single SREM (SPOP key 1) bare.
  for (const m of popped) c.server.alsoPropagate(c.db.id, ['SREM', key, m]);
  c.preventProp = true;
  replySet(c, popped);
}

function smove(c: Client, argv: string[]): void {
  const [, src, dst, member] = argv;
  const ks = c.server.keyspace;
  const se = ks.lookupWrite(c.db, src);
  const de = ks.lookupWrite(c.db, dst);
  if (se === undefined) return c.int(0);
  if (!(se.value instanceof IndexedSet) || (de !== undefined && !(de.value instanceof IndexedSet))) return c.error(WRONGTYPE);
  const s = se.value;
  if (src === dst) return c.int(s.has(member) ? 1 : 0);
  if (!removeMember(c, s, member)) return c.int(0);
  ks.events.modified(c.db, src);
  notify(c, NotifyClass.Set, 'srem', src);
  dropIfEmpty(c, src, s);
  ks.dirty++;
  let d: S;
  if (de === undefined) {
    d = new IndexedSet();
    ks.add(c.db, dst, d);
  } else d = de.value as S;
  if (addMember(c, d, member)) {
    ks.events.modified(c.db, dst);
    ks.dirty++;
    notify(c, NotifyClass.Set, 'sadd', dst);
  }
  c.int(1);
}

/** Reads the input sets for SINTER*: null = error replied, 'empty' = a missing key made it empty. */
function interInputs(c: Client, keys: string[]): S[] | 'empty' | null {
  const sets: S[] = [];
  let empty = false;
  for (const k of keys) {
    const e = c.server.keyspace.lookupRead(c.db, k); // a read, STORE or not (a miss is a keymiss event)
    if (e === undefined) {
      empty = true;
      continue;
    }
    if (!(e.value instanceof IndexedSet)) {
      c.error(WRONGTYPE);
      return null;
    }
    sets.push(e.value);
  }
  return empty ? 'empty' : sets;
}

function intersect(sets: S[], limit = 0): string[] {
  const order = [...sets].sort((a, b) => a.size - b.size);
  const out: string[] = [];
  outer: for (const m of order[0]) {
    for (let i = 1; i < order.length; i++) if (!order[i].has(m)) continue outer;
    out.push(m);
    if (limit && out.length >= limit) break;
  }
  return out;
}

/** Stores a freshly built result; `converted`: Redis's building set went hashtable on the way. */
function storeSet(c: Client, dst: string, members: string[], event: string, converted = false): void {
  const ks = c.server.keyspace;
  // replied before the event, as Redis does (the order a RESP3 client subscribed to it sees)
  c.int(members.length);
  if (members.length > 0) {
    const s = new IndexedSet(members);
    s.converted = converted;
    ks.set(c.db, dst, s);
    notify(c, NotifyClass.Set, event, dst);
    ks.dirty++;
  } else if (ks.peek(c.db, dst) !== undefined) {
    ks.delete(c.db, dst);
    notify(c, NotifyClass.Generic, 'del', dst);
    ks.dirty++;
  }
}

function sinter(c: Client, argv: string[], store: boolean): void {
  const keys = argv.slice(store ? 2 : 1);
  const sets = interInputs(c, keys);
  if (sets === null) return;
  const result = sets === 'empty' ? [] : intersect(sets);
  if (store) return storeSet(c, argv[1], result, 'sinterstore');
  replySet(c, orderedMembers(c, result));
}

function sintercard(c: Client, argv: string[]): void {
  const numkeys = intArg(c, argv[1], 'ERR numkeys should be greater than 0');
  if (numkeys === null) return;
  if (numkeys < 1) return c.error('ERR numkeys should be greater than 0');
  if (numkeys > argv.length - 2) return c.error("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let j = 2 + numkeys; j < argv.length; j++) {
    if (argv[j].toLowerCase() === 'limit' && j + 1 < argv.length) {
      const n = intArg(c, argv[++j], "ERR LIMIT can't be negative");
      if (n === null) return;
      if (n < 0) return c.error("ERR LIMIT can't be negative");
      limit = n;
    } else return c.error(ERR_SYNTAX);
  }
  const sets = interInputs(c, argv.slice(2, 2 + numkeys));
  if (sets === null) return;
  c.int(sets === 'empty' ? 0 : intersect(sets, limit).length);
}

function sunionDiff(c: Client, argv: string[], op: 'union' | 'diff', store: boolean): void {
  const keys = argv.slice(store ? 2 : 1);
  const sets: (S | undefined)[] = [];
  for (const k of keys) {
    const e = c.server.keyspace.lookupRead(c.db, k); // a read, STORE or not (a miss is a keymiss event)
    if (e !== undefined && !(e.value instanceof IndexedSet)) return c.error(WRONGTYPE);
    sets.push(e?.value as S | undefined);
  }
  const result = new Set<string>();
  // Redis builds the result in a new set that starts as an intset. A union only grows, so
  // its final content decides the encoding; but SDIFF's "algorithm 2" (chosen when the first
  // set is big next to the others) first adds the whole first set and then removes the rest,
  // so the result stays a hashtable whenever the first set alone would have been one.
  let converted = false;
  if (op === 'union') {
    for (const s of sets) if (s) for (const m of s) result.add(m);
  } else if (sets[0]) {
    const first = sets[0];
    const rest = sets.slice(1);
    for (const m of first) if (!rest.some((s) => s?.has(m))) result.add(m);
    let algoOneWork = 0;
    let algoTwoWork = 0;
    for (const s of sets) {
      if (!s) continue;
      algoOneWork += first.size;
      algoTwoWork += s.size;
    }
    const algoTwo = Math.floor(algoOneWork / 2) > algoTwoWork;
    converted = algoTwo && !intsetContent(c, first.toArray());
  }
  const members = converted ? [...result] : orderedMembers(c, result);
  if (store) return storeSet(c, argv[1], members, op === 'union' ? 'sunionstore' : 'sdiffstore', converted);
  replySet(c, members);
}

/**
 * SSCAN. An intset is returned whole, ascending, with cursor 0, as Redis does. Any other set
 * walks itself from the cursor (IndexedSet.scan): every member present for the whole scan is
 * returned at least once, with no state kept between calls.
 */
function sscan(c: Client, argv: string[]): void {
  scanCollection(c, argv, () => {
    const s = setForRead(c, argv[1]);
    if (!s) return s;
    if (isIntset(c, s)) return { small: true, items: ascending(s.toArray()) };
    return { small: false, items: s, walk: (cursor, count, visit) => s.scan(cursor, count, visit) };
  });
}

const G = 'set';
const k1: [number, number, number] = [1, 1, 1];
const all: [number, number, number] = [1, -1, 1];
export const commands: CommandSpec[] = [
  cmd('sadd', -3, 'write denyoom fast', k1, sadd, 'Add one or more members to a set', '1.0.0', G),
  cmd('srem', -3, 'write fast', k1, srem, 'Remove one or more members from a set', '1.0.0', G),
  cmd('scard', 2, 'readonly fast', k1, scard, 'Get the number of members in a set', '1.0.0', G),
  cmd('sismember', 3, 'readonly fast', k1, sismember, 'Determine if a given value is a member of a set', '1.0.0', G),
  cmd('smismember', -3, 'readonly fast', k1, smismember, 'Returns the membership associated with the given elements for a set', '6.2.0', G),
  cmd('smembers', 2, 'readonly', k1, smembers, 'Get all the members in a set', '1.0.0', G),
  cmd('srandmember', -2, 'readonly', k1, srandmember, 'Get one or multiple random members from a set', '1.0.0', G),
  cmd('spop', -2, 'write fast', k1, spop, 'Remove and return one or multiple random members from a set', '1.0.0', G),
  cmd('smove', 4, 'write fast', [1, 2, 1], smove, 'Move a member from one set to another', '1.0.0', G),
  cmd('sinter', -2, 'readonly', all, (c, a) => sinter(c, a, false), 'Intersect multiple sets', '1.0.0', G),
  cmd('sintercard', -3, 'readonly', null, sintercard, 'Intersect multiple sets and return the cardinality of the result', '7.0.0', G, {
    getKeys: (argv) => keysAfterCount(argv, 1),
  }),
  cmd('sunion', -2, 'readonly', all, (c, a) => sunionDiff(c, a, 'union', false), 'Add multiple sets', '1.0.0', G),
  cmd('sdiff', -2, 'readonly', all, (c, a) => sunionDiff(c, a, 'diff', false), 'Subtract multiple sets', '1.0.0', G),
  cmd('sinterstore', -3, 'write denyoom', all, (c, a) => sinter(c, a, true), 'Intersect multiple sets and store the resulting set in a key', '1.0.0', G),
  cmd('sunionstore', -3, 'write denyoom', all, (c, a) => sunionDiff(c, a, 'union', true), 'Add multiple sets and store the resulting set in a key', '1.0.0', G),
  cmd('sdiffstore', -3, 'write denyoom', all, (c, a) => sunionDiff(c, a, 'diff', true), 'Subtract multiple sets and store the resulting set in a key', '1.0.0', G),
  cmd('sscan', -3, 'readonly', k1, sscan, 'Incrementally iterate Set elements', '2.0.0', G),
];
