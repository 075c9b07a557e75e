/** Hash commands (t_hash.c). A hash is a Map of latin1 field -> value. */
import { cmd, type CommandSpec } from './spec';
import type { Client } from '../server/client';
import { NotifyClass } from '../server/server';
import { WRONGTYPE, ERR_SYNTAX, notify, randCountArg } from './args';
import { parseInt64, INT64_MAX, INT64_MIN, incrByFloat } from '../util/number';
import { scanCollection } from './collscan';
import type { Entry } from '../store/keyspace';
import { isConverted, markConverted } from '../store/value';
import { pick, sampleDistinct } from '../util/random';

type H = Map<string, string>;

function hashForRead(c: Client, key: string): H | undefined | null {
  const e = c.server.keyspace.lookupRead(c.db, key);
  if (e === undefined) return undefined;
  if (!(e.value instanceof Map)) {
    c.error(WRONGTYPE);
    return null;
  }
  return e.value;
}

/** The hash for writing, created when missing (create=true); null after WRONGTYPE. */
/** `signal`: the caller will change the hash (HDEL says so only once a field went) */
function hashForWrite(c: Client, key: string, create: boolean, signal = true): H | undefined | null {
  const ks = c.server.keyspace;
  const e: Entry | undefined = ks.lookupWrite(c.db, key);
  if (e === undefined) {
    if (!create) return undefined;
    const h: H = new Map();
    ks.add(c.db, key, h);
    return h;
  }
  if (!(e.value instanceof Map)) {
    c.error(WRONGTYPE);
    return null;
  }
  if (signal) ks.events.modified(c.db, key);
  return e.value;
}

/**
 * After a write of `strings` (fields and values) into a hash: Redis converts a listpack hash
 * to a hashtable when one of them is longer than hash-max-listpack-value
 * (hashTypeTryConversion / hashTypeSet) or when it grows past hash-max-listpack-entries,
 * and never converts it back.
 */
function noteWrite(c: Client, h: H, strings: string[]): void {
  if (isConverted(h)) return;
  const cfg = c.server.config;
  const maxValue = cfg.num('hash-max-listpack-value');
  if (h.size > cfg.num('hash-max-listpack-entries') || strings.some((x) => x.length > maxValue)) markConverted(h);
}

/**
 * Before field `f` is deleted or its value overwritten: a hash whose content is not a
 * listpack's is a hashtable in Redis, however it was built (HSET, an RDB load), and stays one
 * after that content goes away, so the conversion is recorded before the content forgets it.
 */
function noteShrink(c: Client, h: H, f: string): void {
  if (isConverted(h)) return;
  const old = h.get(f);
  if (old === undefined) return;
  const cfg = c.server.config;
  const maxValue = cfg.num('hash-max-listpack-value');
  if (h.size > cfg.num('hash-max-listpack-entries') || f.length > maxValue || old.length > maxValue) markConverted(h);
}

/** Whether Redis holds this hash as a listpack (see noteWrite). */
function isListpack(c: Client, h: H): boolean {
  if (isConverted(h)) return false;
  const cfg = c.server.config;
  const maxValue = cfg.num('hash-max-listpack-value');
  if (h.size > cfg.num('hash-max-listpack-entries')) return false;
  for (const [f, v] of h) if (f.length > maxValue || v.length > maxValue) return false;
  return true;
}

function dropIfEmpty(c: Client, key: string, h: H): void {
  if (h.size === 0) {
    c.server.keyspace.delete(c.db, key);
    notify(c, NotifyClass.Generic, 'del', key);
  }
}

/**
 * Field lists for HRANDFIELD: built on a hash's first HRANDFIELD, dropped by every command
 * that adds or removes a field (values are read at pick time), so repeated calls on a big
 * hash cost O(count) rather than a copy of the hash each, as Redis's dict sampling does.
 */
const fieldLists = new WeakMap<H, string[]>();

function fieldsOf(h: H): string[] {
  let f = fieldLists.get(h);
  if (f === undefined || f.length !== h.size) {
    f = [...h.keys()];
    fieldLists.set(h, f);
  }
  return f;
}

function fieldsChanged(h: H): void {
  fieldLists.delete(h);
}

function hset(c: Client, argv: string[], legacy: boolean): void {
  if (argv.length % 2 === 1) return c.error(`ERR wrong number of arguments for '${argv[0].toLowerCase()}' command`);
  const h = hashForWrite(c, argv[1], true);
  if (!h) return;
  let created = 0;
  // a hash already converted to hashtable stays one: skip the encoding bookkeeping
  const converted = isConverted(h);
  for (let i = 2; i < argv.length; i += 2) {
    if (!converted) noteShrink(c, h, argv[i]);
    const before = h.size;
    h.set(argv[i], argv[i + 1]);
    if (h.size !== before) created++;
  }
  if (!converted) noteWrite(c, h, argv.slice(2));
  if (created) fieldsChanged(h);
  // the reply before the event, as Redis orders them (a RESP3 client sees it so)
  legacy ? c.ok() : c.int(created);
  notify(c, NotifyClass.Hash, 'hset', argv[1]);
  c.server.keyspace.dirty += (argv.length - 2) / 2;
}

function hsetnx(c: Client, argv: string[]): void {
  const e = c.server.keyspace.peek(c.db, argv[1]);
  if (e && !(e.value instanceof Map)) return c.error(WRONGTYPE);
  if (e && (e.value as H).has(argv[2])) return c.int(0);
  const h = hashForWrite(c, argv[1], true)!;
  h.set(argv[2], argv[3]);
  fieldsChanged(h);
  noteWrite(c, h, [argv[2], argv[3]]);
  c.int(1);
  notify(c, NotifyClass.Hash, 'hset', argv[1]);
  c.server.keyspace.dirty++;
}

function hget(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h !== null) c.bulkOrNull(h?.get(argv[2]));
}

function hmget(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  c.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.bulkOrNull(h?.get(argv[i]));
}

function hdel(c: Client, argv: string[]): void {
  const h = hashForWrite(c, argv[1], false, false);
  if (h === null) return;
  if (h === undefined) return c.int(0);
  let n = 0;
  for (let i = 2; i < argv.length; i++) {
    noteShrink(c, h, argv[i]);
    if (h.delete(argv[i])) n++;
  }
  if (n) {
    c.server.keyspace.events.modified(c.db, argv[1]);
    fieldsChanged(h);
    notify(c, NotifyClass.Hash, 'hdel', argv[1]);
    dropIfEmpty(c, argv[1], h);
    c.server.keyspace.dirty += n;
  }
  c.int(n);
}

function hlen(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h !== null) c.int(h ? h.size : 0);
}

function hstrlen(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h !== null) c.int(h?.get(argv[2])?.length ?? 0);
}

function hexists(c: Client, argv: string[]): void {
  const h = hashForRead(c, argv[1]);
  if (h !== null) c.int(h?.has(argv[2]) ? 1 : 0);
}

function hgetall(c: Client, argv: string[], keys: boolean, vals: boolean): void {
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  const n = h ? h.size : 0;
  if (keys && vals) c.mapLen(n);
  else c.arrayLen(n);
  if (!h) return;
  for (const [f, v] of h) {
    if (keys) c.bulk(f);
    if (vals) c.bulk(v);
  }
}

function hincrby(c: Client, argv: string[]): void {
  const by = parseInt64(argv[3]);
  if (by === null) return c.error('ERR value is not an integer or out of range');
  const e = c.server.keyspace.peek(c.db, argv[1]);
  if (e && !(e.value instanceof Map)) return c.error(WRONGTYPE);
  let cur = 0n;
  const old = e ? (e.value as H).get(argv[2]) : undefined;
  if (old !== undefined) {
    const n = parseInt64(old);
    if (n === null) return c.error('ERR hash value is not an integer');
    cur = n;
  }
  const next = cur + by;
  if (next > INT64_MAX || next < INT64_MIN) return c.error('ERR increment or decrement would overflow');
  const h = hashForWrite(c, argv[1], true)!;
  noteShrink(c, h, argv[2]);
  h.set(argv[2], next.toString());
  if (old === undefined) fieldsChanged(h);
  noteWrite(c, h, [argv[2]]);
  c.int(next);
  notify(c, NotifyClass.Hash, 'hincrby', argv[1]);
  c.server.keyspace.dirty++;
}

function hincrbyfloat(c: Client, argv: string[]): void {
  // the increment is checked first, then the stored value, as Redis does
  const inc = incrByFloat('0', argv[3]);
  if ('error' in inc) return c.error(inc.error.includes('NaN') ? 'ERR value is NaN or Infinity' : inc.error);
  const e = c.server.keyspace.peek(c.db, argv[1]);
  if (e && !(e.value instanceof Map)) return c.error(WRONGTYPE);
  const old = e ? (e.value as H).get(argv[2]) : undefined;
  // a stored "inf" is a float to Redis (string2ld), which then refuses the infinite result
  const stored = old === undefined ? null : incrByFloat(old, '0');
  if (stored !== null && 'error' in stored) return c.error(stored.error.includes('NaN') ? stored.error : 'ERR hash value is not a float');
  const r = incrByFloat(old ?? '0', argv[3]);
  if ('error' in r) return c.error(r.error);
  const h = hashForWrite(c, argv[1], true)!;
  noteShrink(c, h, argv[2]);
  h.set(argv[2], r.value);
  if (old === undefined) fieldsChanged(h);
  noteWrite(c, h, [argv[2], r.value]);
  c.bulk(r.value);
  notify(c, NotifyClass.Hash, 'hincrbyfloat', argv[1]);
  c.server.keyspace.dirty++;
  c.propArgv = ['HSET', argv[1], argv[2], r.value];
}

function hrandfield(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    const h = hashForRead(c, argv[1]);
    if (h === null) return;
    if (!h) return c.nullBulk();
    return c.bulk(pick(fieldsOf(h)));
  }
  // Redis 7.0 parses the count first, then checks the WITHVALUES token
  const big = randCountArg(c, argv[2]);
  if (big === null) return;
  if (argv.length > 4 || (argv.length === 4 && argv[3].toLowerCase() !== 'withvalues')) return c.error(ERR_SYNTAX);
  const withValues = argv.length === 4;
  if (withValues && (big < -(INT64_MAX / 2n) || big > INT64_MAX / 2n)) return c.error('ERR value is out of range');
  const h = hashForRead(c, argv[1]);
  if (h === null) return;
  if (!h || big === 0n) return c.arrayLen(0);
  let chosen: string[];
  if (big < 0n) {
    const n = Number(-big);
    if (n > 0x7fffffff) return c.error('ERR value is out of range');
    const fields = fieldsOf(h);
    chosen = Array.from({ length: n }, () => pick(fields));
  } else if (big >= BigInt(h.size)) chosen = [...h.keys()];
  else chosen = sampleDistinct(fieldsOf(h), Number(big));
  if (!withValues) return c.bulkArray(chosen);
  c.arrayLen(c.resp > 2 ? chosen.length : chosen.length * 2);
  for (const f of chosen) {
    if (c.resp > 2) c.arrayLen(2);
    c.bulk(f);
    c.bulk(h.get(f)!);
  }
}

/**
 * HSCAN. A listpack hash is returned whole with cursor 0, as Redis does. A hashtable one is
 * walked by position in the Map's iteration order (see collscan.ts): every field present for
 * the whole scan is returned at least once; fields added or deleted meanwhile may or may not be.
 */
function hscan(c: Client, argv: string[]): void {
  scanCollection(c, argv, () => {
    const h = hashForRead(c, argv[1]);
    if (!h) return h;
    return { small: isListpack(c, h), items: h };
  });
}

const G = 'hash';
const k1: [number, number, number] = [1, 1, 1];
export const commands: CommandSpec[] = [
  cmd('hset', -4, 'write denyoom fast', k1, (c, a) => hset(c, a, false), 'Set the string value of a hash field', '2.0.0', G),
  cmd('hmset', -4, 'write denyoom fast', k1, (c, a) => hset(c, a, true), 'Set multiple hash fields to multiple values', '2.0.0', G),
  cmd('hsetnx', 4, 'write denyoom fast', k1, hsetnx, 'Set the value of a hash field, only if the field does not exist', '2.0.0', G),
  cmd('hget', 3, 'readonly fast', k1, hget, 'Get the value of a hash field', '2.0.0', G),
  cmd('hmget', -3, 'readonly fast', k1, hmget, 'Get the values of all the given hash fields', '2.0.0', G),
  cmd('hdel', -3, 'write fast', k1, hdel, 'Delete one or more hash fields', '2.0.0', G),
  cmd('hlen', 2, 'readonly fast', k1, hlen, 'Get the number of fields in a hash', '2.0.0', G),
  cmd('hstrlen', 3, 'readonly fast', k1, hstrlen, 'Get the length of the value of a hash field', '3.2.0', G),
  cmd('hexists', 3, 'readonly fast', k1, hexists, 'Determine if a hash field exists', '2.0.0', G),
  cmd('hkeys', 2, 'readonly', k1, (c, a) => hgetall(c, a, true, false), 'Get all the fields in a hash', '2.0.0', G),
  cmd('hvals', 2, 'readonly', k1, (c, a) => hgetall(c, a, false, true), 'Get all the values in a hash', '2.0.0', G),
  cmd('hgetall', 2, 'readonly', k1, (c, a) => hgetall(c, a, true, true), 'Get all the fields and values in a hash', '2.0.0', G),
  cmd('hincrby', 4, 'write denyoom fast', k1, hincrby, 'Increment the integer value of a hash field by the given number', '2.0.0', G),
  cmd('hincrbyfloat', 4, 'write denyoom fast', k1, hincrbyfloat, 'Increment the float value of a hash field by the given amount', '2.6.0', G),
  cmd('hrandfield', -2, 'readonly', k1, hrandfield, 'Get one or multiple random fields from a hash', '6.2.0', G),
  cmd('hscan', -3, 'readonly', k1, hscan, 'Incrementally iterate hash fields and associated values', '2.8.0', G),
];
