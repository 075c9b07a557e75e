/** Keyspace commands (db.c, expire.c, object.c). */
import { cmd, type CommandSpec } from './spec';
import type { Client } from '../server/client';
import { NotifyClass } from '../server/server';
import { ERR_SYNTAX, ERR_NO_SUCH_KEY, intArg, int32Arg, int64Arg, notify } from './args';
import { INT64_MAX, INT64_MIN } from '../util/number';
import { replyHelp } from './connection';
import { typeOf, encodingOf, encodingLimitsOf, isIntegerString, isConverted, markConverted, type Value, type EncodingLimits } from '../store/value';
import { Deque } from '../store/types/deque';
import { ZSet } from '../store/types/zset';
import { IndexedSet } from '../store/types/indexed-set';
import { stringMatch, isPatternLiteral } from '../util/glob';
import { ScanCursors, parseCursor } from '../store/scan';
import { STR_NOT_INT, STR_RAW, type Db, type Entry } from '../store/keyspace';

const ERR_SAME = 'ERR source and destination objects are the same';
const ERR_DB_RANGE = 'ERR DB index is out of range';

function del(c: Client, argv: string[]): void {
  const ks = c.server.keyspace;
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    if (ks.peek(c.db, argv[i]) !== undefined && ks.delete(c.db, argv[i])) {
      notify(c, NotifyClass.Generic, 'del', argv[i]);
      n++;
    }
  }
  ks.dirty += n;
  c.int(n);
}

/** EXISTS and TYPE leave the access time alone (LOOKUP_NOTOUCH): OBJECT IDLETIME still tells */
function exists(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (c.server.keyspace.lookupRead(c.db, argv[i], false) !== undefined) n++;
  c.int(n);
}

function touch(c: Client, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (c.server.keyspace.lookupRead(c.db, argv[i]) !== undefined) n++;
  c.int(n);
}

function type(c: Client, argv: string[]): void {
  const e = c.server.keyspace.lookupRead(c.db, argv[1], false);
  c.status(e === undefined ? 'none' : typeOf(e.stored));
}

/** expireGenericCommand: `basetime` is now for relative forms, 0 for absolute; `seconds` unit. */
function expireGeneric(c: Client, argv: string[], basetime: number, seconds: boolean): void {
  let nx = false, xx = false, gt = false, lt = false;
  for (let j = 3; j < argv.length; j++) {
    const o = argv[j].toLowerCase();
    if (o === 'nx') nx = true;
    else if (o === 'xx') xx = true;
    else if (o === 'gt') gt = true;
    else if (o === 'lt') lt = true;
    else return c.error(`ERR Unsupported option ${argv[j]}`);
  }
  if (nx && (xx || gt || lt)) return c.error('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (gt && lt) return c.error('ERR GT and LT options at the same time are not compatible');
  const name = argv[0].toLowerCase();
  let when: number;
  const small = argv[2].length <= 15 ? intArg(c, argv[2]) : undefined;
  if (small === null) return;
  if (small !== undefined) {
    // up to 15 digits: far inside every bound, and exact as a double
    when = (seconds ? small * 1000 : small) + basetime;
  } else {
    // near the limits the checks need exact int64 arithmetic: LLONG_MAX / 1000 is no double
    const arg = int64Arg(c, argv[2]);
    if (arg === null) return;
    let exact = arg;
    if (seconds) {
      if (arg > INT64_MAX / 1000n || arg < INT64_MIN / 1000n) return c.error(`ERR invalid expire time in '${name}' command`);
      exact *= 1000n;
    }
    if (exact > INT64_MAX - BigInt(basetime)) return c.error(`ERR invalid expire time in '${name}' command`);
    when = Number(exact) + basetime;
  }
  const ks = c.server.keyspace;
  const key = argv[1];
  const e = ks.lookupWrite(c.db, key);
  if (e === undefined) return c.int(0);
  const cur = e.expireAt;
  if (nx && cur !== -1) return c.int(0);
  if (xx && cur === -1) return c.int(0);
  if (gt && (when <= cur || cur === -1)) return c.int(0);
  if (lt && cur !== -1 && when >= cur) return c.int(0);
  if (when <= Date.now() && !ks.loading) {
    ks.delete(c.db, key);
    ks.dirty++;
    c.propArgv = ['DEL', key];
    notify(c, NotifyClass.Generic, 'del', key);
    return c.int(1);
  }
  ks.setExpire(c.db, key, e, when);
  c.int(1);
  c.propArgv = ['PEXPIREAT', key, String(e.expireAt)]; // as held (capped near 2^63)
  notify(c, NotifyClass.Generic, 'expire', key);
  ks.dirty++;
}

/** ttlGenericCommand */
function ttlGeneric(c: Client, argv: string[], ms: boolean, abs: boolean): void {
  const e = c.server.keyspace.lookupRead(c.db, argv[1], false);
  if (e === undefined) return c.int(-2);
  if (e.expireAt < 0) return c.int(-1);
  let ttl = abs ? e.expireAt : e.expireAt - Date.now();
  if (ttl < 0) ttl = 0;
  c.int(ms ? ttl : Math.floor((ttl + 500) / 1000));
}

function persist(c: Client, argv: string[]): void {
  const ks = c.server.keyspace;
  const e = ks.lookupWrite(c.db, argv[1]);
  if (e === undefined || !ks.persist(c.db, argv[1], e)) return c.int(0);
  notify(c, NotifyClass.Generic, 'persist', argv[1]);
  ks.dirty++;
  c.int(1);
}

function renameGeneric(c: Client, argv: string[], nx: boolean): void {
  const ks = c.server.keyspace;
  const [, src, dst] = argv;
  const e = ks.lookupWrite(c.db, src);
  if (e === undefined) return c.error(ERR_NO_SUCH_KEY);
  if (src === dst) return nx ? c.int(0) : c.ok();
  if (ks.lookupWrite(c.db, dst) !== undefined) {
    if (nx) return c.int(0);
    ks.delete(c.db, dst);
  }
  const value = e.value;
  const expireAt = e.expireAt;
  // delete first: a snapshot in progress saves the source under its old name
  ks.delete(c.db, src);
  // the same object under a new name: it keeps how Redis encodes it (raw, not-an-int)
  ks.add(c.db, dst, value, expireAt).strEnc = e.strEnc;
  notify(c, NotifyClass.Generic, 'rename_from', src);
  notify(c, NotifyClass.Generic, 'rename_to', dst);
  ks.dirty++;
  nx ? c.int(1) : c.ok();
}

function dbArg(c: Client, s: string): Db | null {
  const id = int32Arg(c, s);
  if (id === null) return null;
  const db = c.server.keyspace.dbs[id];
  if (db === undefined) {
    c.error(ERR_DB_RANGE);
    return null;
  }
  return db;
}

function move(c: Client, argv: string[]): void {
  const ks = c.server.keyspace;
  const dst = dbArg(c, argv[2]);
  if (dst === null) return;
  if (dst === c.db) return c.error(ERR_SAME);
  const key = argv[1];
  const e = ks.lookupWrite(c.db, key);
  if (e === undefined) return c.int(0);
  if (ks.lookupWrite(dst, key) !== undefined) return c.int(0);
  const { value, expireAt } = e;
  ks.delete(c.db, key);
  ks.add(dst, key, value, expireAt).strEnc = e.strEnc;
  notify(c, NotifyClass.Generic, 'move_from', key);
  c.server.notifyKeyspaceEvent(NotifyClass.Generic, 'move_to', key, dst.id);
  ks.dirty++;
  c.int(1);
}

/** A deep copy, so COPY's destination never shares a mutable collection with its source. */
export function cloneValue(v: Value): Value {
  if (typeof v === 'string') return v;
  if (v instanceof Deque) return new Deque(v);
  // Redis's hashTypeDup, setTypeDup and zsetDup keep the source's encoding: a hashtable hash,
  // a hashtable set and a skiplist zset stay so in the copy, whatever their size now
  if (v instanceof Map) {
    const h = new Map(v);
    if (isConverted(v)) markConverted(h);
    return h;
  }
  if (v instanceof IndexedSet) return v.clone();
  const z = new ZSet();
  for (const [m, s] of v) z.set(m, s);
  z.converted = v.converted;
  return z;
}

function copy(c: Client, argv: string[]): void {
  const ks = c.server.keyspace;
  let dst = c.db;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    const o = argv[j].toLowerCase();
    if (o === 'replace') replace = true;
    else if (o === 'db' && j < argv.length - 1) {
      const d = dbArg(c, argv[++j]);
      if (d === null) return;
      dst = d;
    } else return c.error(ERR_SYNTAX);
  }
  const [, src, dkey] = argv;
  if (dst === c.db && src === dkey) return c.error(ERR_SAME);
  const e = ks.lookupRead(c.db, src);
  if (e === undefined) return c.int(0);
  if (ks.lookupWrite(dst, dkey) !== undefined) {
    if (!replace) return c.int(0);
    ks.delete(dst, dkey);
  }
  ks.add(dst, dkey, cloneValue(e.value), e.expireAt).strEnc = e.strEnc; // dupStringObject keeps the encoding
  c.server.notifyKeyspaceEvent(NotifyClass.Generic, 'copy_to', dkey, dst.id);
  ks.dirty++;
  c.int(1);
}

function keys(c: Client, argv: string[]): void {
  const pat = argv[1];
  const all = pat === '*';
  const now = c.server.keyspace.now();
  const out: string[] = [];
  if (!all && isPatternLiteral(pat)) {
    const e = c.db.dict.get(pat);
    if (e !== undefined && (e.expireAt < 0 || e.expireAt > now)) out.push(pat);
  } else {
    for (const [k, e] of c.db.dict) {
      if (e.expireAt >= 0 && e.expireAt <= now) continue;
      if (all || stringMatch(pat, k)) out.push(k);
    }
  }
  c.bulkArray(out);
}

const cursors = new WeakMap<object, ScanCursors>();

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
function scan(c: Client, argv: string[]): void {
  const cursor = parseCursor(argv[1]);
  if (cursor === null) return c.error('ERR invalid cursor');
  let count = 10;
  let pat: string | null = null;
  let typeName: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    const more = argv.length - i - 1;
    if (o === 'count' && more >= 1) {
      const n = intArg(c, argv[++i]);
      if (n === null) return;
      if (n < 1) return c.error(ERR_SYNTAX);
      count = n;
    } else if (o === 'match' && more >= 1) {
      pat = argv[++i];
      if (pat === '*') pat = null;
    } else if (o === 'type' && more >= 1) {
      typeName = argv[++i].toLowerCase();
    } else return c.error(ERR_SYNTAX);
  }
  const server = c.server;
  let sc = cursors.get(server);
  if (!sc) cursors.set(server, (sc = new ScanCursors()));
  const found: string[] = [];
  const now = c.server.keyspace.now();
  const expired: string[] = [];
  const next = sc.scan(c.db.dict, c.db.id, cursor, count, (k: string, e: Entry) => {
    if (e.expireAt >= 0 && e.expireAt <= now) {
      expired.push(k);
      return;
    }
    if (pat !== null && !stringMatch(pat, k)) return;
    if (typeName !== null && typeOf(e.stored) !== typeName) return;
    found.push(k);
  });
  // expire after the walk, like Redis filtering the collected keys
  for (const k of expired) server.keyspace.peek(c.db, k);
  c.arrayLen(2);
  c.bulk(next.toString());
  c.bulkArray(found);
}

/**
 * dbRandomKey: random picks until one is not expired (expired picks are deleted on the way,
 * except while clients are paused: see Keyspace.expiryPaused). After 100 picks the db is
 * walked for a live key instead. While clients are paused a db of keys that all have a TTL may
 * hold only expired ones: Redis 7.0.15 loops forever there (redis#13862); like the fix (#13863,
 * as a replica does) the last pick is returned, although expired.
 */
function randomkey(c: Client): void {
  const ks = c.server.keyspace;
  const db = c.db;
  let last: string | null = null;
  for (let tries = 0; tries < 100 && db.dict.size > 0; tries++) {
    const [k] = db.dict.randomEntry()!;
    if (ks.peek(db, k) !== undefined) return c.bulk(k);
    last = k;
  }
  if (db.dict.size === 0) return c.nullBulk();
  for (const [k, e] of db.dict) if (!ks.isExpired(e)) return c.bulk(k);
  // only expired keys left, and still there: clients are paused
  if (last !== null && db.dict.has(last)) return c.bulk(last);
  c.nullBulk();
}

export function encodingLimits(c: Client): EncodingLimits {
  return encodingLimitsOf(c.server.config);
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

/** objectCommandLookup: expires a due key, touches nothing, raises no keymiss. */
function objectLookup(c: Client, key: string): Entry | undefined {
  const e = c.server.keyspace.lookupRead(c.db, key, false, false);
  if (e === undefined) c.nullBulk();
  return e;
}

function objectEncoding(c: Client, argv: string[]): void {
  const e = objectLookup(c, argv[2]);
  if (!e) return;
  const v = e.value;
  if (typeof v === 'string' && e.strEnc === STR_RAW) c.bulk('raw');
  else if (typeof v === 'string' && e.strEnc === STR_NOT_INT) c.bulk(v.length <= 44 ? 'embstr' : 'raw');
  else c.bulk(encodingOf(v, encodingLimits(c)));
}

function objectIdletime(c: Client, argv: string[]): void {
  const e = objectLookup(c, argv[2]);
  if (e) c.int((c.server.keyspace.lruClock - e.lru + 0x1000000) & 0xffffff);
}

function objectFreq(c: Client, argv: string[]): void {
  const e = objectLookup(c, argv[2]);
  if (e) {
    c.error(
      'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
  }
}

function objectRefcount(c: Client, argv: string[]): void {
  const e = objectLookup(c, argv[2]);
  // Redis shares the integers 0..9999 between keys and reports them as OBJ_SHARED_REFCOUNT
  if (e) c.int(typeof e.value === 'string' && isIntegerString(e.value) && +e.value >= 0 && +e.value < 10000 ? 2147483647 : 1);
}

function flushFlags(c: Client, argv: string[]): boolean {
  if (argv.length > 2) {
    c.error(ERR_SYNTAX);
    return false;
  }
  if (argv.length === 2 && !['sync', 'async'].includes(argv[1].toLowerCase())) {
    c.error(ERR_SYNTAX);
    return false;
  }
  return true;
}

function flushdb(c: Client, argv: string[]): void {
  if (!flushFlags(c, argv)) return;
  const ks = c.server.keyspace;
  ks.dirty += ks.flushDb(c.db);
  c.forceProp = true;
  c.ok();
}

function flushall(c: Client, argv: string[]): void {
  if (!flushFlags(c, argv)) return;
  const ks = c.server.keyspace;
  let n = 0;
  for (const db of ks.dbs) n += ks.flushDb(db);
  ks.dirty += n;
  c.forceProp = true; // logged even when nothing was removed
  // Redis 7.0 writes a fresh (empty) snapshot when save rules are set (which zeroes the counter)
  c.server.rdb?.onFlushAll();
  c.ok();
}

function swapdb(c: Client, argv: string[]): void {
  const ks = c.server.keyspace;
  const a = int32Arg(c, argv[1], 'ERR invalid first DB index');
  if (a === null) return;
  const b = int32Arg(c, argv[2], 'ERR invalid second DB index');
  if (b === null) return;
  if (a < 0 || a >= ks.dbs.length || b < 0 || b >= ks.dbs.length) return c.error(ERR_DB_RANGE);
  if (a !== b) ks.swapDb(ks.dbs[a], ks.dbs[b]);
  ks.dirty++;
  c.ok();
}

const G = 'generic';
const k1: [number, number, number] = [1, 1, 1];
const all: [number, number, number] = [1, -1, 1];
export const commands: CommandSpec[] = [
  cmd('del', -2, 'write', all, del, 'Delete a key', '1.0.0', G),
  cmd('unlink', -2, 'write fast', all, del, 'Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.', '4.0.0', G),
  cmd('exists', -2, 'readonly fast', all, exists, 'Determine if a key exists', '1.0.0', G),
  cmd('touch', -2, 'readonly fast', all, touch, 'Alters the last access time of a key(s). Returns the number of existing keys specified.', '3.2.1', G),
  cmd('type', 2, 'readonly fast', k1, type, 'Determine the type stored at key', '1.0.0', G),
  cmd('expire', -3, 'write fast', k1, (c, a) => expireGeneric(c, a, Date.now(), true), "Set a key's time to live in seconds", '1.0.0', G),
  cmd('pexpire', -3, 'write fast', k1, (c, a) => expireGeneric(c, a, Date.now(), false), "Set a key's time to live in milliseconds", '2.6.0', G),
  cmd('expireat', -3, 'write fast', k1, (c, a) => expireGeneric(c, a, 0, true), 'Set the expiration for a key as a UNIX timestamp', '1.2.0', G),
  cmd('pexpireat', -3, 'write fast', k1, (c, a) => expireGeneric(c, a, 0, false), 'Set the expiration for a key as a UNIX timestamp specified in milliseconds', '2.6.0', G),
  cmd('ttl', 2, 'readonly fast', k1, (c, a) => ttlGeneric(c, a, false, false), 'Get the time to live for a key in seconds', '1.0.0', G),
  cmd('pttl', 2, 'readonly fast', k1, (c, a) => ttlGeneric(c, a, true, false), 'Get the time to live for a key in milliseconds', '2.6.0', G),
  cmd('expiretime', 2, 'readonly fast', k1, (c, a) => ttlGeneric(c, a, false, true), 'Get the expiration Unix timestamp for a key', '7.0.0', G),
  cmd('pexpiretime', 2, 'readonly fast', k1, (c, a) => ttlGeneric(c, a, true, true), 'Get the expiration Unix timestamp for a key in milliseconds', '7.0.0', G),
  cmd('persist', 2, 'write fast', k1, persist, 'Remove the expiration from a key', '2.2.0', G),
  cmd('rename', 3, 'write', [1, 2, 1], (c, a) => renameGeneric(c, a, false), 'Rename a key', '1.0.0', G),
  cmd('renamenx', 3, 'write fast', [1, 2, 1], (c, a) => renameGeneric(c, a, true), 'Rename a key, only if the new key does not exist', '1.0.0', G),
  cmd('move', 3, 'write fast', k1, move, 'Move a key to another database', '1.0.0', G),
  cmd('copy', -3, 'write denyoom', [1, 2, 1], copy, 'Copy a key', '6.2.0', G),
  cmd('keys', 2, 'readonly', null, keys, 'Find all keys matching the given pattern', '1.0.0', G),
  cmd('scan', -2, 'readonly', null, scan, 'Incrementally iterate the keys space', '2.8.0', G),
  cmd('randomkey', 1, 'readonly', null, randomkey, 'Return a random key from the keyspace', '1.0.0', G),
  cmd('flushdb', -1, 'write', null, flushdb, 'Remove all keys from the current database', '1.0.0', 'server'),
  cmd('flushall', -1, 'write', null, flushall, 'Remove all keys from all databases', '1.0.0', 'server'),
  cmd('swapdb', 3, 'write fast', null, swapdb, 'Swaps two Redis databases', '4.0.0', 'server'),
  {
    name: 'object',
    arity: -2,
    flags: [],
    group: G,
    summary: 'A container for object introspection commands',
    since: '2.2.3',
    subcommands: [
      cmd('encoding', 3, 'readonly', [2, 2, 1], objectEncoding, 'Inspect the internal encoding of a Redis object', '2.2.3', G),
      cmd('idletime', 3, 'readonly', [2, 2, 1], objectIdletime, 'Get the time since a Redis object was last accessed', '2.2.3', G),
      cmd('freq', 3, 'readonly', [2, 2, 1], objectFreq, 'Get the logarithmic access frequency counter of a Redis object', '4.0.0', G),
      cmd('refcount', 3, 'readonly', [2, 2, 1], objectRefcount, 'Get the number of references to the value of the key', '2.2.3', G),
      cmd('help', 2, 'loading stale', null, (c) => replyHelp(c, OBJECT_HELP), 'Show helpful text about the different subcommands', '6.2.0', G),
    ],
  },
];
