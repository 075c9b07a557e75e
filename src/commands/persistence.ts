/** Persistence commands: SAVE, BGSAVE, DUMP, RESTORE and the DEBUG RELOAD/DIGEST helpers. */
import { createHash } from 'node:crypto';
import { cmd, type CommandSpec } from './spec';
import type { Client } from '../server/client';
import { NotifyClass } from '../server/server';
import { ERR_SYNTAX, ERR_LOADING, intArg, int64Arg, notify } from './args';
import { debugSubcommands } from './server';
import { valueChunks, typeOf as rdbType } from '../persistence/rdb/writer';
import { RdbCursor, readValue } from '../persistence/rdb/reader';
import { Crc64 } from '../persistence/rdb/crc64';
import { RDB_VERSION } from '../persistence/rdb/format';
import { encodeOptions } from '../persistence/rdb-persistence';
import { type Value, isEmptyCollection } from '../store/value';
import { Deque } from '../store/types/deque';
import { ZSet } from '../store/types/zset';
import { IndexedSet } from '../store/types/indexed-set';
import { formatDouble17g, INT64_MAX } from '../util/number';

function save(c: Client): void {
  const rdb = c.server.rdb!;
  if (rdb.bgsave) return c.error('ERR Background save already in progress');
  try {
    rdb.saveSync();
  } catch {
    return c.error('ERR');
  }
  c.ok();
}

function bgsave(c: Client, argv: string[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && argv[1].toLowerCase() === 'schedule') schedule = true;
    else return c.error(ERR_SYNTAX);
  }
  const rdb = c.server.rdb!;
  if (rdb.bgsave) return c.error('ERR Background save already in progress');
  if (rdb.otherChildActive() || c.server.execDepth > 0) {
    if (schedule || c.server.execDepth > 0) {
      rdb.bgsaveScheduled = true;
      return c.status('Background saving scheduled');
    }
    return c.error(
      "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
    );
  }
  if (!rdb.startBgsave()) return c.error('ERR');
  c.status('Background saving started');
}

/** The DUMP payload: type, value, RDB version (2 bytes LE), CRC64 (8 bytes LE). */
export function dumpPayload(v: Value, c: Client): Buffer {
  const o = encodeOptions(c.server);
  const parts = [Buffer.from([rdbType(v, o)]), ...valueChunks(v, o)];
  const ver = Buffer.alloc(2);
  ver.writeUInt16LE(RDB_VERSION, 0);
  parts.push(ver);
  const body = Buffer.concat(parts);
  return Buffer.concat([body, new Crc64().update(body).bytes()]);
}

function dump(c: Client, argv: string[]): void {
  const e = c.server.keyspace.lookupRead(c.db, argv[1]);
  if (e === undefined) return c.nullBulk();
  c.bulk(dumpPayload(e.value, c).toString('latin1'));
}

function verifyPayload(p: Buffer): boolean {
  if (p.length < 10) return false;
  const ver = p.readUInt16LE(p.length - 10);
  if (ver > 11) return false;
  const crc = new Crc64().update(p, 0, p.length - 8).bytes();
  return crc.equals(p.subarray(p.length - 8));
}

function restore(c: Client, argv: string[]): void {
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < argv.length; j++) {
    const o = argv[j].toLowerCase();
    const more = argv.length - j - 1;
    if (o === 'replace') replace = true;
    else if (o === 'absttl') absttl = true;
    else if (o === 'idletime' && more >= 1 && freq === -1) {
      const n = intArg(c, argv[++j]);
      if (n === null) return;
      if (n < 0) return c.error('ERR Invalid IDLETIME value, must be >= 0');
      idle = n;
    } else if (o === 'freq' && more >= 1 && idle === -1) {
      const n = intArg(c, argv[++j]);
      if (n === null) return;
      if (n < 0 || n > 255) return c.error('ERR Invalid FREQ value, must be >= 0 and <= 255');
      freq = n;
    } else return c.error(ERR_SYNTAX);
  }
  const ks = c.server.keyspace;
  const key = argv[1];
  if (!replace && ks.lookupWrite(c.db, key) !== undefined) return c.error('BUSYKEY Target key name already exists.');
  const ttlArg = int64Arg(c, argv[2]);
  if (ttlArg === null) return;
  if (ttlArg < 0n) return c.error('ERR Invalid TTL value, must be >= 0');
  let ttl = Number(ttlArg);
  const payload = Buffer.from(argv[3], 'latin1');
  if (!verifyPayload(payload)) return c.error('ERR DUMP payload version or checksum are wrong');
  let value: Value;
  try {
    const cur = new RdbCursor(payload.subarray(0, payload.length - 10));
    // `clients`: every client but a master, and Keel has no master
    cur.deep = c.server.config.str('sanitize-dump-payload') !== 'no';
    const type = cur.byte();
    value = readValue(cur, type, key);
    if (cur.pos !== cur.buf.length) throw new Error('trailing bytes');
    if (isEmptyCollection(value)) throw new Error('empty collection');
  } catch {
    return c.error('ERR Bad data format');
  }
  const deleted = replace && ks.delete(c.db, key);
  // a relative TTL past int64 wraps negative in Redis, which then finds the key already expired
  if (ttl && !absttl) ttl = ttlArg + BigInt(Date.now()) > INT64_MAX ? 1 : ttl + Date.now();
  if (ttl && ttl <= Date.now()) {
    if (deleted) {
      c.propArgv = ['DEL', key];
      notify(c, NotifyClass.Generic, 'del', key);
      ks.dirty++;
    }
    return c.ok();
  }
  const e = ks.add(c.db, key, value, ttl ? ttl : -1);
  if (idle >= 0) e.lru = (ks.lruClock - idle + 0x1000000) & 0xffffff;
  if (ttl && !absttl) c.propArgv = ['RESTORE', key, String(e.expireAt), argv[3], 'ABSTTL', ...(replace ? ['REPLACE'] : [])];
  notify(c, NotifyClass.Generic, 'restore', key);
  ks.dirty++;
  c.ok();
}

// ------------------------------------------------------------------ DEBUG helpers

/*
 * DEBUG DIGEST and DIGEST-VALUE compute Redis 7.0's digest (debug.c), so the same data gives
 * the same hex string on redis-server and on Keel: a migration can be checked by comparing
 * them. Unordered collections (keys, set members, hash fields, zset members) are combined by
 * xor (`xorDigest`), ordered ones (a list, the parts of an element) by feeding the running
 * digest back into SHA1 (`mixDigest`).
 */

/** digest ^= SHA1(data) */
function xorDigest(digest: Buffer, data: string | Buffer): void {
  const h = createHash('sha1').update(typeof data === 'string' ? Buffer.from(data, 'latin1') : data).digest();
  for (let i = 0; i < 20; i++) digest[i] ^= h[i];
}

/** digest = SHA1(digest ^ SHA1(data)) */
function mixDigest(digest: Buffer, data: string | Buffer): void {
  xorDigest(digest, data);
  createHash('sha1').update(digest).digest().copy(digest);
}

/** Redis's OBJ_* type numbers, mixed in big-endian as htonl(o->type) */
function typeBytes(v: Value): Buffer {
  const t = typeof v === 'string' ? 0 : v instanceof Deque ? 1 : v instanceof IndexedSet ? 2 : v instanceof Map ? 4 : 3;
  return Buffer.from([0, 0, 0, t]);
}

/** xorObjectDigest: mixes one value (and whether it has a TTL) into `digest`. */
export function xorObjectDigest(digest: Buffer, v: Value, hasTtl: boolean): void {
  mixDigest(digest, typeBytes(v));
  if (typeof v === 'string') mixDigest(digest, v);
  else if (v instanceof Deque) {
    for (const x of v) mixDigest(digest, x);
  } else if (v instanceof IndexedSet) {
    for (const m of v.toArray()) xorDigest(digest, m);
  } else if (v instanceof Map) {
    for (const [f, x] of v) {
      const ele = Buffer.alloc(20);
      mixDigest(ele, f);
      mixDigest(ele, x);
      xorDigest(digest, ele);
    }
  } else {
    for (const [m, score] of v as ZSet) {
      const ele = Buffer.alloc(20);
      mixDigest(ele, m);
      mixDigest(ele, formatDouble17g(score)); // "%.17g" in Redis 7.0
      xorDigest(digest, ele);
    }
  }
  if (hasTtl) xorDigest(digest, '!!expire!!');
}

/** computeDatasetDigest; keys logically expired but not yet deleted count, as in Redis. */
function debugDigest(c: Client): void {
  const final = Buffer.alloc(20);
  for (const db of c.server.keyspace.dbs) {
    if (db.dict.size === 0) continue;
    const id = Buffer.alloc(4);
    id.writeUInt32BE(db.id);
    mixDigest(final, id);
    for (const [k, e] of db.dict) {
      const digest = Buffer.alloc(20);
      mixDigest(digest, k);
      xorObjectDigest(digest, e.value, e.expireAt >= 0);
      xorDigest(final, digest);
    }
  }
  c.status(final.toString('hex'));
}

function debugDigestValue(c: Client, argv: string[]): void {
  c.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const digest = Buffer.alloc(20);
    const e = c.db.dict.get(argv[i]);
    if (e) xorObjectDigest(digest, e.value, e.expireAt >= 0);
    c.status(digest.toString('hex'));
  }
}

/**
 * DEBUG RELOAD [NOSAVE] [NOFLUSH is not supported]: save, empty, load back. Refused while the
 * dataset loads (as DEBUG LOADAOF): it would save, or replay, part of it.
 */
function debugReload(c: Client, argv: string[]): void {
  if (c.server.loading) return c.error(ERR_LOADING);
  let nosave = false;
  for (let i = 2; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === 'nosave') nosave = true;
    else return c.error(`ERR DEBUG RELOAD only supports the NOSAVE option in Keel`);
  }
  const rdb = c.server.rdb!;
  if (rdb.bgsave) rdb.abortBgsave('DEBUG RELOAD');
  try {
    if (!nosave) rdb.saveSync();
  } catch {
    return c.error('ERR Error trying to save the RDB dump, check server logs.');
  }
  const file = rdb.path;
  // synchronous: DEBUG RELOAD blocks the server, as in Redis
  try {
    rdb.loadSync(file);
  } catch (e) {
    c.server.log.warning(`DEBUG RELOAD: ${(e as Error).message}`);
    return c.error('ERR Error trying to load the RDB dump, check server logs.');
  }
  c.server.log.notice('DB reloaded by DEBUG RELOAD');
  c.ok();
}

function bgrewriteaof(c: Client): void {
  let r;
  try {
    r = c.server.aof!.requestRewrite();
  } catch (e) {
    c.server.log.warning(`Can't rewrite append only file in background: ${(e as Error).message}`);
    return c.error("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.");
  }
  if (r === 'in-progress') return c.error('ERR Background append only file rewriting already in progress');
  if (r === 'scheduled') return c.status('Background append only file rewriting scheduled');
  c.status('Background append only file rewriting started');
}

/** DEBUG LOADAOF: write out the AOF, empty the dataset, replay the AOF (blocking, as in Redis). */
function debugLoadAof(c: Client): void {
  if (c.server.loading) return c.error(ERR_LOADING);
  try {
    c.server.aof!.reload();
  } catch (e) {
    // Redis exits here; Keel refuses the command instead and keeps the process up
    c.server.log.warning(`DEBUG LOADAOF: ${(e as Error).message}`);
    return c.error('ERR Error loading the AOF, check server logs.');
  }
  c.server.keyspace.dirty = 0; // as Redis: the loaded data is what the AOF holds, nothing to save or log
  c.server.log.warning('Append Only File loaded by DEBUG LOADAOF');
  c.ok();
}

debugSubcommands.set('reload', debugReload);
debugSubcommands.set('loadaof', debugLoadAof);
debugSubcommands.set('digest', debugDigest);
debugSubcommands.set('digest-value', debugDigestValue);

const k1: [number, number, number] = [1, 1, 1];
export const commands: CommandSpec[] = [
  cmd('save', 1, 'admin noscript no_async_loading no_multi', null, save, 'Synchronously save the dataset to disk', '1.0.0', 'server'),
  cmd('bgsave', -1, 'admin noscript no_async_loading', null, bgsave, 'Asynchronously save the dataset to disk', '1.0.0', 'server'),
  cmd('bgrewriteaof', 1, 'admin noscript no_async_loading', null, bgrewriteaof, 'Asynchronously rewrite the append-only file', '1.0.0', 'server'),
  cmd('dump', 2, 'readonly', k1, dump, 'Return a serialized version of the value stored at the specified key.', '2.6.0', 'generic'),
  cmd('restore', -4, 'write denyoom', k1, restore, 'Create a key using the provided serialized value, previously obtained using DUMP.', '2.6.0', 'generic'),
];
