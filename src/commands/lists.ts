/** List commands and their blocking forms (t_list.c). Lists are Deques of latin1 strings. */
import { cmd, type CommandSpec } from './spec';
import type { Client } from '../server/client';
import { NotifyClass } from '../server/server';
import { WRONGTYPE, ERR_SYNTAX, ERR_NO_SUCH_KEY, intArg, notify, clampRange, timeoutArg, countArg, cannotBlock, keysAfterCount } from './args';
import { Deque } from '../store/types/deque';
import type { Entry } from '../store/keyspace';

type L = Deque<string>;
const LEFT = 0;
const RIGHT = 1;

/** The list at key for writing, undefined when missing, null after a WRONGTYPE reply. */
function listForWrite(c: Client, key: string): { e: Entry; l: L } | undefined | null {
  const e = c.server.keyspace.lookupWrite(c.db, key);
  if (e === undefined) return undefined;
  if (!(e.value instanceof Deque)) {
    c.error(WRONGTYPE);
    return null;
  }
  return { e, l: e.value };
}

function listForRead(c: Client, key: string): L | undefined | null {
  const e = c.server.keyspace.lookupRead(c.db, key);
  if (e === undefined) return undefined;
  if (!(e.value instanceof Deque)) {
    c.error(WRONGTYPE);
    return null;
  }
  return e.value;
}

/** Deletes the key when the list became empty, with its `del` event, as Redis does. */
function dropIfEmpty(c: Client, key: string, l: L): void {
  if (l.length === 0) {
    c.server.keyspace.delete(c.db, key);
    notify(c, NotifyClass.Generic, 'del', key);
  }
}

function pushGeneric(c: Client, argv: string[], where: number, xx: boolean): void {
  const key = argv[1];
  const found = listForWrite(c, key);
  if (found === null) return;
  if (found === undefined && xx) return c.int(0);
  const ks = c.server.keyspace;
  let l: L;
  if (found === undefined) {
    l = new Deque<string>();
    ks.add(c.db, key, l);
  } else {
    l = found.l;
    ks.events.modified(c.db, key);
  }
  for (let i = 2; i < argv.length; i++) where === LEFT ? l.unshift(argv[i]) : l.push(argv[i]);
  c.server.blocking.signalKeyReady(c.db, key);
  // the reply before the event, as pushGenericCommand orders them (a RESP3 client sees it so)
  c.int(l.length);
  notify(c, NotifyClass.List, where === LEFT ? 'lpush' : 'rpush', key);
  ks.dirty += argv.length - 2;
}

function popGeneric(c: Client, argv: string[], where: number): void {
  if (argv.length > 3) return c.error(`ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`);
  let count = -1;
  if (argv.length === 3) {
    const n = countArg(c, argv[2], 0, 'value is out of range, must be positive');
    if (n === null) return;
    count = n;
  }
  const key = argv[1];
  const found = listForWrite(c, key);
  if (found === null) return;
  if (found === undefined) return count >= 0 ? c.nullArray() : c.nullBulk();
  if (count === 0) return c.arrayLen(0);
  const l = found.l;
  const ks = c.server.keyspace;
  c.server.keyspace.events.modified(c.db, key);
  const event = where === LEFT ? 'lpop' : 'rpop';
  if (count < 0) {
    c.bulk((where === LEFT ? l.shift() : l.pop()) as string);
  } else {
    const n = Math.min(count, l.length);
    c.arrayLen(n);
    for (let i = 0; i < n; i++) c.bulk((where === LEFT ? l.shift() : l.pop()) as string);
  }
  notify(c, NotifyClass.List, event, key);
  dropIfEmpty(c, key, l);
  ks.dirty++;
}

function llen(c: Client, argv: string[]): void {
  const l = listForRead(c, argv[1]);
  if (l !== null) c.int(l ? l.length : 0);
}

function lrange(c: Client, argv: string[]): void {
  const start = intArg(c, argv[2]);
  if (start === null) return;
  const end = intArg(c, argv[3]);
  if (end === null) return;
  const l = listForRead(c, argv[1]);
  if (l === null) return;
  if (l === undefined) return c.arrayLen(0);
  const r = clampRange(start, end, l.length);
  if (r === null) return c.arrayLen(0);
  c.arrayLen(r[1] - r[0] + 1);
  for (let i = r[0]; i <= r[1]; i++) c.bulk(l.get(i) as string);
}

// LINDEX and LSET look the key up before parsing the index, as Redis does (which error wins)
function lindex(c: Client, argv: string[]): void {
  const l = listForRead(c, argv[1]);
  if (l === null) return;
  if (l === undefined) return c.nullBulk();
  let i = intArg(c, argv[2]);
  if (i === null) return;
  if (i < 0) i += l.length;
  c.bulkOrNull(l.get(i));
}

function lset(c: Client, argv: string[]): void {
  const found = listForWrite(c, argv[1]);
  if (found === null) return;
  if (found === undefined) return c.error(ERR_NO_SUCH_KEY);
  let i = intArg(c, argv[2]);
  if (i === null) return;
  const l = found.l;
  if (i < 0) i += l.length;
  if (i < 0 || i >= l.length) return c.error('ERR index out of range');
  l.set(i, argv[3]);
  c.ok(); // before the event, as Redis replies
  c.server.keyspace.events.modified(c.db, argv[1]);
  notify(c, NotifyClass.List, 'lset', argv[1]);
  c.server.keyspace.dirty++;
}

function lrem(c: Client, argv: string[]): void {
  const count = intArg(c, argv[2]);
  if (count === null) return;
  const key = argv[1];
  const found = listForWrite(c, key);
  if (found === null) return;
  if (found === undefined) return c.int(0);
  const l = found.l;
  const items = l.toArray();
  let removed = 0;
  const keep = new Array<boolean>(items.length).fill(true);
  if (count >= 0) {
    for (let i = 0; i < items.length && (count === 0 || removed < count); i++) if (items[i] === argv[3]) (keep[i] = false), removed++;
  } else {
    for (let i = items.length - 1; i >= 0 && removed < -count; i--) if (items[i] === argv[3]) (keep[i] = false), removed++;
  }
  if (removed > 0) {
    l.replaceAll(items.filter((_, i) => keep[i]));
    c.server.keyspace.events.modified(c.db, key);
    notify(c, NotifyClass.List, 'lrem', key);
    dropIfEmpty(c, key, l);
    c.server.keyspace.dirty += removed;
  }
  c.int(removed);
}

function ltrim(c: Client, argv: string[]): void {
  const start = intArg(c, argv[2]);
  if (start === null) return;
  const end = intArg(c, argv[3]);
  if (end === null) return;
  const key = argv[1];
  const found = listForWrite(c, key);
  if (found === null) return;
  if (found === undefined) return c.ok();
  const l = found.l;
  const len = l.length;
  const r = clampRange(start, end, len);
  let ltrimN: number;
  let rtrimN: number;
  if (r === null) {
    ltrimN = len;
    rtrimN = 0;
  } else {
    ltrimN = r[0];
    rtrimN = len - r[1] - 1;
  }
  for (let i = 0; i < ltrimN; i++) l.shift();
  for (let i = 0; i < rtrimN; i++) l.pop();
  c.server.keyspace.events.modified(c.db, key);
  notify(c, NotifyClass.List, 'ltrim', key);
  dropIfEmpty(c, key, l);
  c.server.keyspace.dirty += ltrimN + rtrimN;
  c.ok();
}

function linsert(c: Client, argv: string[]): void {
  const w = argv[2].toLowerCase();
  if (w !== 'before' && w !== 'after') return c.error(ERR_SYNTAX);
  const key = argv[1];
  const found = listForWrite(c, key);
  if (found === null) return;
  if (found === undefined) return c.int(0);
  const l = found.l;
  const items = l.toArray();
  const i = items.indexOf(argv[3]);
  if (i < 0) return c.int(-1);
  items.splice(w === 'before' ? i : i + 1, 0, argv[4]);
  l.replaceAll(items);
  c.server.keyspace.events.modified(c.db, key);
  notify(c, NotifyClass.List, 'linsert', key);
  c.server.keyspace.dirty++;
  c.int(l.length);
}

function lpos(c: Client, argv: string[]): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  let rankMin = false;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const more = argv.length - 1 - j;
    if (opt === 'rank' && more) {
      const n = intArg(c, argv[++j]);
      if (n === null) return;
      if (n === 0) return c.error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      // Redis 7.0 negates a negative rank, and -2^63 stays negative there: every match from the
      // tail counts, as with -1, and the COUNT test overflows, so COUNT never stops it. (A JS
      // number cannot tell -2^63 from -2^63 + 1: the text can.)
      rankMin = argv[j] === '-9223372036854775808';
      rank = rankMin ? -1 : n;
    } else if (opt === 'count' && more) {
      const n = countArg(c, argv[++j], 0, "COUNT can't be negative");
      if (n === null) return;
      count = n;
    } else if (opt === 'maxlen' && more) {
      const n = countArg(c, argv[++j], 0, "MAXLEN can't be negative");
      if (n === null) return;
      maxlen = n;
    } else return c.error(ERR_SYNTAX);
  }
  if (rankMin && count > 0) count = 0;
  const l = listForRead(c, argv[1]);
  if (l === null) return;
  if (l === undefined) return count >= 0 ? c.arrayLen(0) : c.nullBulk();
  const out: number[] = [];
  const want = count === 0 ? Infinity : count < 0 ? 1 : count;
  let skip = Math.abs(rank) - 1;
  const len = l.length;
  for (let k = 0; k < len && (maxlen === 0 || k < maxlen) && out.length < want; k++) {
    const i = rank > 0 ? k : len - 1 - k;
    if (l.get(i) === argv[2]) {
      if (skip > 0) skip--;
      else out.push(i);
    }
  }
  if (count < 0) return out.length ? c.int(out[0]) : c.nullBulk();
  c.arrayLen(out.length);
  for (const i of out) c.int(i);
}

function whereArg(c: Client, s: string): number | null {
  const w = s.toLowerCase();
  if (w === 'left') return LEFT;
  if (w === 'right') return RIGHT;
  c.error(ERR_SYNTAX);
  return null;
}

/**
 * Moves one element; returns false (nothing replied) when the source is empty/missing and
 * the caller may block.
 */
function moveOne(c: Client, src: string, dst: string, from: number, to: number, mayBlock: boolean): boolean {
  const ks = c.server.keyspace;
  const s = ks.lookupWrite(c.db, src);
  if (s !== undefined && !(s.value instanceof Deque)) {
    c.error(WRONGTYPE);
    return true;
  }
  if (s === undefined) {
    if (mayBlock) return false;
    c.nullBulk();
    return true;
  }
  const d = ks.lookupWrite(c.db, dst);
  if (d !== undefined && !(d.value instanceof Deque)) {
    c.error(WRONGTYPE);
    return true;
  }
  const sl = s.value as L;
  const v = (from === LEFT ? sl.shift() : sl.pop()) as string;
  ks.events.modified(c.db, src);
  // Redis order: the push (and its event) first, then the pop's event and the source's removal
  let dl: L;
  if (src === dst) {
    dl = sl;
  } else if (d === undefined) {
    dl = new Deque<string>();
    ks.add(c.db, dst, dl);
  } else {
    dl = d.value as L;
    ks.events.modified(c.db, dst);
  }
  to === LEFT ? dl.unshift(v) : dl.push(v);
  c.server.blocking.signalKeyReady(c.db, dst);
  notify(c, NotifyClass.List, to === LEFT ? 'lpush' : 'rpush', dst);
  c.bulk(v); // between the events, as lmoveHandlePush replies
  notify(c, NotifyClass.List, from === LEFT ? 'lpop' : 'rpop', src);
  if (src !== dst) dropIfEmpty(c, src, sl);
  ks.dirty++;
  c.propArgv = ['LMOVE', src, dst, from === LEFT ? 'LEFT' : 'RIGHT', to === LEFT ? 'LEFT' : 'RIGHT'];
  return true;
}

function lmove(c: Client, argv: string[]): void {
  const from = whereArg(c, argv[3]);
  if (from === null) return;
  const to = whereArg(c, argv[4]);
  if (to === null) return;
  moveOne(c, argv[1], argv[2], from, to, false);
}

function rpoplpush(c: Client, argv: string[]): void {
  moveOne(c, argv[1], argv[2], RIGHT, LEFT, false);
  if (c.propArgv) c.propArgv = ['RPOPLPUSH', argv[1], argv[2]];
}

/** Blocks (or answers null inside MULTI) when nothing could be served. */
function blockOrNull(c: Client, keys: string[], timeoutMs: number, argv: string[]): void {
  if (cannotBlock(c)) return c.nullArray();
  const command = c.server.lookupCommand(argv)!;
  c.server.blocking.block(c, keys, timeoutMs, command, argv);
}

function blmove(c: Client, argv: string[]): void {
  const from = whereArg(c, argv[3]);
  if (from === null) return;
  const to = whereArg(c, argv[4]);
  if (to === null) return;
  const t = timeoutArg(c, argv[5]);
  if (t === null) return;
  if (!moveOne(c, argv[1], argv[2], from, to, true)) blockMove(c, argv[1], t, argv);
}

function brpoplpush(c: Client, argv: string[]): void {
  const t = timeoutArg(c, argv[3]);
  if (t === null) return;
  if (!moveOne(c, argv[1], argv[2], RIGHT, LEFT, true)) blockMove(c, argv[1], t, argv);
  else if (c.propArgv) c.propArgv = ['RPOPLPUSH', argv[1], argv[2]];
}

function blockMove(c: Client, key: string, t: number, argv: string[]): void {
  if (cannotBlock(c)) return c.nullBulk();
  c.server.blocking.block(c, [key], t, c.server.lookupCommand(argv)!, argv);
}

/** Pops up to `count` from the first non-empty list among keys; false if none. Replies [key, ...]. */
function popFirst(c: Client, keys: string[], where: number, count: number, multi: boolean): boolean | null {
  const ks = c.server.keyspace;
  for (const key of keys) {
    const e = ks.lookupWrite(c.db, key);
    if (e === undefined) continue;
    if (!(e.value instanceof Deque)) {
      // a waiter re-run on a key that changed type keeps waiting, as in Redis
      if (c.server.blocking.isRetry(c)) continue;
      c.error(WRONGTYPE);
      return null;
    }
    const l = e.value;
    ks.events.modified(c.db, key);
    const n = multi ? Math.min(count, l.length) : 1;
    c.arrayLen(2);
    c.bulk(key);
    if (multi) c.arrayLen(n);
    for (let i = 0; i < n; i++) c.bulk((where === LEFT ? l.shift() : l.pop()) as string);
    notify(c, NotifyClass.List, where === LEFT ? 'lpop' : 'rpop', key);
    dropIfEmpty(c, key, l);
    ks.dirty++;
    c.propArgv = multi ? [where === LEFT ? 'LPOP' : 'RPOP', key, String(n)] : [where === LEFT ? 'LPOP' : 'RPOP', key];
    return true;
  }
  return false;
}

function bpop(c: Client, argv: string[], where: number): void {
  const t = timeoutArg(c, argv[argv.length - 1]);
  if (t === null) return;
  const keys = argv.slice(1, -1);
  const r = popFirst(c, keys, where, 1, false);
  if (r === false) blockOrNull(c, keys, t, argv);
}

/** [B]LMPOP [timeout] numkeys key... LEFT|RIGHT [COUNT n] */
function mpop(c: Client, argv: string[], blocking: boolean): void {
  const numIdx = blocking ? 2 : 1;
  const numkeys = intArg(c, argv[numIdx], 'ERR numkeys should be greater than 0');
  if (numkeys === null) return;
  if (numkeys < 1) return c.error('ERR numkeys should be greater than 0');
  const whereIdx = numIdx + numkeys + 1;
  if (whereIdx >= argv.length) return c.error(ERR_SYNTAX);
  const where = whereArg(c, argv[whereIdx]);
  if (where === null) return;
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && argv[j].toLowerCase() === 'count' && j < argv.length - 1) {
      const n = intArg(c, argv[++j], 'ERR count should be greater than 0');
      if (n === null) return;
      if (n < 1) return c.error('ERR count should be greater than 0');
      count = n;
    } else return c.error(ERR_SYNTAX);
  }
  if (count === -1) count = 1;
  // the timeout last, as Redis parses it (which error wins)
  let t = 0;
  if (blocking) {
    const x = timeoutArg(c, argv[1]);
    if (x === null) return;
    t = x;
  }
  const keys = argv.slice(numIdx + 1, whereIdx);
  const r = popFirst(c, keys, where, count, true);
  if (r !== false) return;
  if (!blocking) return c.nullArray();
  blockOrNull(c, keys, t, argv);
}

const G = 'list';
const k1: [number, number, number] = [1, 1, 1];
const mpopKeys = (off: number) => (argv: string[]) => keysAfterCount(argv, off);
export const commands: CommandSpec[] = [
  cmd('lpush', -3, 'write denyoom fast', k1, (c, a) => pushGeneric(c, a, LEFT, false), 'Prepend one or multiple elements to a list', '1.0.0', G),
  cmd('rpush', -3, 'write denyoom fast', k1, (c, a) => pushGeneric(c, a, RIGHT, false), 'Append one or multiple elements to a list', '1.0.0', G),
  cmd('lpushx', -3, 'write denyoom fast', k1, (c, a) => pushGeneric(c, a, LEFT, true), 'Prepend an element to a list, only if the list exists', '2.2.0', G),
  cmd('rpushx', -3, 'write denyoom fast', k1, (c, a) => pushGeneric(c, a, RIGHT, true), 'Append an element to a list, only if the list exists', '2.2.0', G),
  cmd('lpop', -2, 'write fast', k1, (c, a) => popGeneric(c, a, LEFT), 'Remove and get the first elements in a list', '1.0.0', G),
  cmd('rpop', -2, 'write fast', k1, (c, a) => popGeneric(c, a, RIGHT), 'Remove and get the last elements in a list', '1.0.0', G),
  cmd('llen', 2, 'readonly fast', k1, llen, 'Get the length of a list', '1.0.0', G),
  cmd('lrange', 4, 'readonly', k1, lrange, 'Get a range of elements from a list', '1.0.0', G),
  cmd('lindex', 3, 'readonly', k1, lindex, 'Get an element from a list by its index', '1.0.0', G),
  cmd('lset', 4, 'write denyoom', k1, lset, 'Set the value of an element in a list by its index', '1.0.0', G),
  cmd('lrem', 4, 'write', k1, lrem, 'Remove elements from a list', '1.0.0', G),
  cmd('ltrim', 4, 'write', k1, ltrim, 'Trim a list to the specified range', '1.0.0', G),
  cmd('linsert', 5, 'write denyoom', k1, linsert, 'Insert an element before or after another element in a list', '2.2.0', G),
  cmd('lpos', -3, 'readonly', k1, lpos, 'Return the index of matching elements on a list', '6.0.6', G),
  cmd('lmove', 5, 'write denyoom', [1, 2, 1], lmove, 'Pop an element from a list, push it to another list and return it', '6.2.0', G),
  cmd('rpoplpush', 3, 'write denyoom', [1, 2, 1], rpoplpush, 'Remove the last element in a list, prepend it to another list and return it', '1.2.0', G),
  cmd('lmpop', -4, 'write', null, (c, a) => mpop(c, a, false), 'Pop elements from a list', '7.0.0', G, { getKeys: mpopKeys(1) }),
  cmd('blpop', -3, 'write noscript blocking', [1, -2, 1], (c, a) => bpop(c, a, LEFT), 'Remove and get the first element in a list, or block until one is available', '2.0.0', G),
  cmd('brpop', -3, 'write noscript blocking', [1, -2, 1], (c, a) => bpop(c, a, RIGHT), 'Remove and get the last element in a list, or block until one is available', '2.0.0', G),
  cmd('blmove', 6, 'write denyoom noscript blocking', [1, 2, 1], blmove, 'Pop an element from a list, push it to another list and return it; or block until one is available', '6.2.0', G),
  cmd('brpoplpush', 4, 'write denyoom noscript blocking', [1, 2, 1], brpoplpush, 'Pop an element from a list, push it to another list and return it; or block until one is available', '2.2.0', G),
  cmd('blmpop', -5, 'write blocking', null, (c, a) => mpop(c, a, true), 'Pop elements from a list, or block until one is available', '7.0.0', G, { getKeys: mpopKeys(2) }),
];
