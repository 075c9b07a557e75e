/** String commands (t_string.c). Strings are latin1 JS strings, immutable, so a snapshot can hold one by reference. */
import { cmd, type CommandSpec } from './spec';
import type { Client } from '../server/client';
import { NotifyClass } from '../server/server';
import { WRONGTYPE, ERR_NOT_INT, ERR_SYNTAX, intArg, int64Arg, notify, stringValue } from './args';
import { parseInt64, INT64_MAX, INT64_MIN, incrByFloat } from '../util/number';
import { STR_NOT_INT, STR_RAW } from '../store/keyspace';

const ERR_TOO_BIG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';

function get(c: Client, argv: string[]): void {
  const e = c.server.keyspace.lookupRead(c.db, argv[1]);
  if (e === undefined) return c.nullBulk();
  if (typeof e.value !== 'string') return c.error(WRONGTYPE);
  c.bulk(e.value);
}

const enum F {
  NX = 1,
  XX = 2,
  GET = 4,
  KEEPTTL = 8,
  PERSIST = 16,
  EX = 32,
  PX = 64,
  EXAT = 128,
  PXAT = 256,
}
const ANY_EXPIRE = F.EX | F.PX | F.EXAT | F.PXAT;

/** parseExtendedStringArgumentsOrReply: SET and GETEX options. Returns [flags, expireArg] or null. */
function parseSetOptions(c: Client, argv: string[], from: number, isSet: boolean): [number, string | null] | null {
  let flags = 0;
  let expire: string | null = null;
  for (let j = from; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const hasNext = j < argv.length - 1;
    if (opt === 'nx' && !(flags & F.XX) && isSet) flags |= F.NX;
    else if (opt === 'xx' && !(flags & F.NX) && isSet) flags |= F.XX;
    else if (opt === 'get' && isSet) flags |= F.GET;
    else if (opt === 'keepttl' && !(flags & (F.PERSIST | ANY_EXPIRE)) && isSet) flags |= F.KEEPTTL;
    else if (opt === 'persist' && !isSet && !(flags & (ANY_EXPIRE | F.KEEPTTL))) flags |= F.PERSIST;
    else if ((opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') && hasNext) {
      const f = opt === 'ex' ? F.EX : opt === 'px' ? F.PX : opt === 'exat' ? F.EXAT : F.PXAT;
      // the same form again is allowed, the last one wins (`EX 100 EX 5`); another form is not
      if (flags & (F.KEEPTTL | F.PERSIST | (ANY_EXPIRE & ~f))) {
        c.error(ERR_SYNTAX);
        return null;
      }
      flags |= f;
      expire = argv[++j];
    } else {
      c.error(ERR_SYNTAX);
      return null;
    }
  }
  return [flags, expire];
}

/** getExpireMillisecondsOrReply: absolute unix ms, or null after replying the error. */
function expireMs(c: Client, s: string, flags: number, cmdName: string): number | null {
  const seconds = (flags & (F.EX | F.EXAT)) !== 0;
  const relative = (flags & (F.EX | F.PX)) !== 0;
  if (s.length <= 15) {
    // up to 15 digits: far inside every bound, and exact as a double
    const n = intArg(c, s);
    if (n === null) return null;
    if (n > 0) return (seconds ? n * 1000 : n) + (relative ? Date.now() : 0);
  }
  // getExpireMillisecondsOrReply, near the limits in exact int64 arithmetic
  const n = int64Arg(c, s);
  if (n === null) return null;
  let ms = seconds ? n * 1000n : n;
  if (relative) ms += BigInt(Date.now());
  if (n <= 0n || (seconds && n > INT64_MAX / 1000n) || ms > INT64_MAX) {
    c.error(`ERR invalid expire time in '${cmdName}' command`);
    return null;
  }
  return Number(ms);
}

/** lookupKeyWrite as an existence check: a key found counts as accessed (its idle time restarts). */
function existsForWrite(c: Client, key: string): boolean {
  const ks = c.server.keyspace;
  const e = ks.peek(c.db, key);
  if (e !== undefined) e.lru = ks.lruClock;
  return e !== undefined;
}

/** setGenericCommand */
function setGeneric(c: Client, flags: number, key: string, val: string, expireArg: string | null, cmdName: string, okReply?: number, abortReply?: number): void {
  let when = -1;
  if (expireArg !== null) {
    const ms = expireMs(c, expireArg, flags, cmdName);
    if (ms === null) return;
    when = ms;
  }
  const ks = c.server.keyspace;
  if (flags & F.GET) {
    const old = stringValue(c, ks.lookupRead(c.db, key));
    if (old === null) return;
    c.bulkOrNull(old);
  }
  const found = existsForWrite(c, key);
  if ((flags & F.NX && found) || (flags & F.XX && !found)) {
    if (!(flags & F.GET)) abortReply === undefined ? c.nullBulk() : c.int(abortReply);
    return;
  }
  const e = ks.set(c.db, key, val, (flags & F.KEEPTTL) !== 0, when);
  ks.dirty++;
  notify(c, NotifyClass.String, 'set', key);
  if (when >= 0) {
    c.propArgv = ['SET', key, val, 'PXAT', String(e.expireAt)]; // as held (capped near 2^63)
    notify(c, NotifyClass.Generic, 'expire', key);
  }
  if (!(flags & F.GET)) okReply === undefined ? c.ok() : c.int(okReply);
  if (flags & F.GET && when < 0) c.propArgv = ['SET', key, val, ...(flags & F.KEEPTTL ? ['KEEPTTL'] : [])];
}

function set(c: Client, argv: string[]): void {
  if (argv.length === 3) {
    // the common case, without option parsing
    const ks = c.server.keyspace;
    ks.set(c.db, argv[1], argv[2]);
    ks.dirty++;
    notify(c, NotifyClass.String, 'set', argv[1]);
    return c.ok();
  }
  const o = parseSetOptions(c, argv, 3, true);
  if (o === null) return;
  setGeneric(c, o[0], argv[1], argv[2], o[1], 'set');
}

function checkLen(c: Client, len: number): boolean {
  if (len > c.server.settings.maxStringLen) {
    c.error(ERR_TOO_BIG);
    return false;
  }
  return true;
}

function getex(c: Client, argv: string[]): void {
  const o = parseSetOptions(c, argv, 2, false);
  if (o === null) return;
  const [flags, expireArg] = o;
  const ks = c.server.keyspace;
  const e = ks.lookupRead(c.db, argv[1]);
  if (e === undefined) return c.nullBulk();
  if (typeof e.value !== 'string') return c.error(WRONGTYPE);
  // the expiry is checked once the key is known to be a string, as Redis does
  let when = -1;
  if (expireArg !== null) {
    const ms = expireMs(c, expireArg, flags, 'getex');
    if (ms === null) return;
    when = ms;
  }
  c.bulk(e.value);
  const key = argv[1];
  if (flags & (F.EXAT | F.PXAT) && when <= Date.now() && !ks.loading) {
    ks.delete(c.db, key);
    c.propArgv = ['DEL', key];
    notify(c, NotifyClass.Generic, 'del', key);
    ks.dirty++;
  } else if (when >= 0) {
    ks.setExpire(c.db, key, e, when);
    c.propArgv = ['PEXPIREAT', key, String(e.expireAt)];
    notify(c, NotifyClass.Generic, 'expire', key);
    ks.dirty++;
  } else if (flags & F.PERSIST) {
    if (ks.persist(c.db, key, e)) {
      c.propArgv = ['PERSIST', key];
      notify(c, NotifyClass.Generic, 'persist', key);
      ks.dirty++;
    }
  }
}

function getdel(c: Client, argv: string[]): void {
  const ks = c.server.keyspace;
  const v = stringValue(c, ks.lookupRead(c.db, argv[1]));
  if (v === null) return;
  if (v === undefined) return c.nullBulk();
  c.bulk(v);
  ks.delete(c.db, argv[1]);
  c.propArgv = ['DEL', argv[1]];
  notify(c, NotifyClass.Generic, 'del', argv[1]);
  ks.dirty++;
}

function getset(c: Client, argv: string[]): void {
  const ks = c.server.keyspace;
  const v = stringValue(c, ks.lookupRead(c.db, argv[1]));
  if (v === null) return;
  c.bulkOrNull(v);
  ks.set(c.db, argv[1], argv[2]);
  notify(c, NotifyClass.String, 'set', argv[1]);
  ks.dirty++;
}

function mget(c: Client, argv: string[]): void {
  const ks = c.server.keyspace;
  c.arrayLen(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const e = ks.lookupRead(c.db, argv[i]);
    if (e === undefined || typeof e.value !== 'string') c.nullBulk();
    else c.bulk(e.value);
  }
}

function msetGeneric(c: Client, argv: string[], nx: boolean): void {
  if (argv.length % 2 === 0) return c.error(`ERR wrong number of arguments for '${nx ? 'msetnx' : 'mset'}' command`);
  const ks = c.server.keyspace;
  if (nx) {
    for (let i = 1; i < argv.length; i += 2) if (existsForWrite(c, argv[i])) return c.int(0);
  }
  for (let i = 1; i < argv.length; i += 2) {
    ks.set(c.db, argv[i], argv[i + 1]);
    notify(c, NotifyClass.String, 'set', argv[i]);
  }
  ks.dirty += (argv.length - 1) / 2;
  nx ? c.int(1) : c.ok();
}

function append(c: Client, argv: string[]): void {
  const ks = c.server.keyspace;
  const key = argv[1];
  const e = ks.lookupWrite(c.db, key);
  let len: number;
  if (e === undefined) {
    ks.add(c.db, key, argv[2]);
    len = argv[2].length;
  } else {
    if (typeof e.value !== 'string') return c.error(WRONGTYPE);
    len = e.value.length + argv[2].length;
    if (!checkLen(c, len)) return;
    ks.replaceValue(c.db, key, e, e.value + argv[2]);
    e.strEnc = STR_RAW;
  }
  notify(c, NotifyClass.String, 'append', key);
  ks.dirty++;
  c.int(len);
}

function strlen(c: Client, argv: string[]): void {
  const v = stringValue(c, c.server.keyspace.lookupRead(c.db, argv[1]));
  if (v === null) return;
  c.int(v === undefined ? 0 : v.length);
}

function getrange(c: Client, argv: string[]): void {
  let start = intArg(c, argv[2]);
  if (start === null) return;
  let end = intArg(c, argv[3]);
  if (end === null) return;
  const v = stringValue(c, c.server.keyspace.lookupRead(c.db, argv[1]));
  if (v === null) return;
  if (v === undefined) return c.bulk('');
  if (start < 0 && end < 0 && start > end) return c.bulk('');
  const len = v.length;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return c.bulk('');
  c.bulk(v.slice(start, end + 1));
}

function setrange(c: Client, argv: string[]): void {
  const offset = intArg(c, argv[2]);
  if (offset === null) return;
  if (offset < 0) return c.error('ERR offset is out of range');
  const ks = c.server.keyspace;
  const key = argv[1];
  const part = argv[3];
  const e = ks.lookupWrite(c.db, key);
  if (e === undefined) {
    if (part.length === 0) return c.int(0);
    if (!checkLen(c, offset + part.length)) return;
    ks.add(c.db, key, '\0'.repeat(offset) + part);
  } else {
    if (typeof e.value !== 'string') return c.error(WRONGTYPE);
    const old = e.value;
    if (part.length === 0) return c.int(old.length);
    if (!checkLen(c, offset + part.length)) return;
    const padded = old.length < offset ? old + '\0'.repeat(offset - old.length) : old;
    ks.replaceValue(c.db, key, e, padded.slice(0, offset) + part + padded.slice(offset + part.length));
  }
  ks.peek(c.db, key)!.strEnc = STR_RAW;
  notify(c, NotifyClass.String, 'setrange', key);
  ks.dirty++;
  c.int((ks.peek(c.db, key)!.value as string).length);
}

const SAFE_INT = /^(?:0|-?[1-9][0-9]{0,14})$/;

/** incrDecrCommand: plain numbers while exact (|n| < 10^15), BigInt beyond. */
function incrDecr(c: Client, key: string, by: number | bigint): void {
  const ks = c.server.keyspace;
  const e = ks.lookupWrite(c.db, key);
  let next: number | bigint;
  if (e === undefined) next = by;
  else {
    const v = e.value;
    if (typeof v !== 'string') return c.error(WRONGTYPE);
    if (typeof by === 'number' && v.length <= 16 && SAFE_INT.test(v)) {
      next = +v + by;
    } else {
      const n = parseInt64(v);
      if (n === null) return c.error(ERR_NOT_INT);
      next = n + BigInt(by);
      if (next > INT64_MAX || next < INT64_MIN) return c.error('ERR increment or decrement would overflow');
    }
  }
  const s = String(next);
  if (e === undefined) ks.add(c.db, key, s);
  else ks.replaceValue(c.db, key, e, s);
  notify(c, NotifyClass.String, 'incrby', key);
  ks.dirty++;
  c.int(next);
}

function incrby(c: Client, argv: string[]): void {
  const s = argv[2];
  if (s.length <= 16 && SAFE_INT.test(s)) return incrDecr(c, argv[1], +s);
  const n = int64Arg(c, s);
  if (n !== null) incrDecr(c, argv[1], n);
}

function decrby(c: Client, argv: string[]): void {
  const s = argv[2];
  if (s.length <= 16 && SAFE_INT.test(s)) return incrDecr(c, argv[1], -s);
  const n = int64Arg(c, s);
  if (n === null) return;
  if (n === INT64_MIN) return c.error('ERR decrement would overflow');
  incrDecr(c, argv[1], -n);
}

function incrbyfloat(c: Client, argv: string[]): void {
  const ks = c.server.keyspace;
  const key = argv[1];
  const e = ks.lookupWrite(c.db, key);
  if (e !== undefined && typeof e.value !== 'string') return c.error(WRONGTYPE);
  const r = incrByFloat(e === undefined ? '0' : (e.value as string), argv[2]);
  if ('error' in r) return c.error(r.error);
  let entry = e;
  if (entry === undefined) entry = ks.add(c.db, key, r.value);
  else ks.replaceValue(c.db, key, entry, r.value);
  entry.strEnc = STR_NOT_INT; // createStringObjectFromLongDouble: "3" is an embstr, never an int
  notify(c, NotifyClass.String, 'incrbyfloat', key);
  ks.dirty++;
  c.bulk(r.value);
  // Replicas and the AOF must not redo float arithmetic: log the result.
  c.propArgv = ['SET', key, r.value, 'KEEPTTL'];
}

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN] — lcsCommand, same walk and reply order. */
function lcs(c: Client, argv: string[]): void {
  const ks = c.server.keyspace;
  const ea = ks.lookupRead(c.db, argv[1]);
  const eb = ks.lookupRead(c.db, argv[2]);
  if ((ea && typeof ea.value !== 'string') || (eb && typeof eb.value !== 'string')) {
    return c.error('ERR The specified keys must contain string values');
  }
  const a = ea ? (ea.value as string) : '';
  const b = eb ? (eb.value as string) : '';
  let getlen = false;
  let getidx = false;
  let withmatchlen = false;
  let minmatchlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const more = argv.length - 1 - j;
    if (opt === 'idx') getidx = true;
    else if (opt === 'len') getlen = true;
    else if (opt === 'withmatchlen') withmatchlen = true;
    else if (opt === 'minmatchlen' && more) {
      const n = intArg(c, argv[++j]);
      if (n === null) return;
      minmatchlen = Math.max(0, n);
    } else return c.error(ERR_SYNTAX);
  }
  if (getidx && getlen) return c.error('ERR If you want both the length and indexes, please just use IDX.');
  const alen = a.length;
  const blen = b.length;
  if ((alen + 1) * (blen + 1) * 4 > c.server.settings.protoMaxBulkLen) {
    return c.error('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  }
  const w = blen + 1;
  const dp = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= blen; j++) {
      dp[i * w + j] = ai === b.charCodeAt(j - 1) ? dp[(i - 1) * w + j - 1] + 1 : Math.max(dp[(i - 1) * w + j], dp[i * w + j - 1]);
    }
  }
  let idx = dp[alen * w + blen];
  const total = idx;
  const computelcs = getidx || !getlen;
  const result: string[] = computelcs && !getidx ? new Array(idx) : [];
  const matches: number[][] = [];
  let as = alen;
  let ae = 0;
  let bs = 0;
  let be = 0;
  let i = alen;
  let j = blen;
  while (computelcs && i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      if (!getidx) result[idx - 1] = a[i - 1];
      if (as === alen) {
        as = ae = i - 1;
        bs = be = j - 1;
      } else if (as === i && bs === j) {
        as--;
        bs--;
      } else emit = true;
      if (as === 0 || bs === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (dp[(i - 1) * w + j] > dp[i * w + j - 1]) i--;
      else j--;
      if (as !== alen) emit = true;
    }
    if (emit) {
      const len = ae - as + 1;
      if (minmatchlen === 0 || len >= minmatchlen) matches.push([as, ae, bs, be, len]);
      as = alen;
    }
  }
  if (getidx) {
    c.resp === 2 ? c.arrayLen(4) : c.mapLen(2);
    c.bulk('matches');
    c.arrayLen(matches.length);
    for (const m of matches) {
      c.arrayLen(withmatchlen ? 3 : 2);
      c.arrayLen(2);
      c.int(m[0]);
      c.int(m[1]);
      c.arrayLen(2);
      c.int(m[2]);
      c.int(m[3]);
      if (withmatchlen) c.int(m[4]);
    }
    c.bulk('len');
    c.int(total);
  } else if (getlen) c.int(total);
  else c.bulk(result.join(''));
}

const S = 'string';
const k1: [number, number, number] = [1, 1, 1];
export const commands: CommandSpec[] = [
  cmd('get', 2, 'readonly fast', k1, get, 'Get the value of a key', '1.0.0', S),
  cmd('set', -3, 'write denyoom', k1, set, 'Set the string value of a key', '1.0.0', S),
  cmd('setnx', 3, 'write denyoom fast', k1, (c, a) => setGeneric(c, F.NX, a[1], a[2], null, 'setnx', 1, 0), 'Set the value of a key, only if the key does not exist', '1.0.0', S),
  cmd('setex', 4, 'write denyoom', k1, (c, a) => setGeneric(c, F.EX, a[1], a[3], a[2], 'setex'), 'Set the value and expiration of a key', '2.0.0', S),
  cmd('psetex', 4, 'write denyoom', k1, (c, a) => setGeneric(c, F.PX, a[1], a[3], a[2], 'psetex'), 'Set the value and expiration in milliseconds of a key', '2.6.0', S),
  cmd('getset', 3, 'write denyoom fast', k1, getset, 'Set the string value of a key and return its old value', '1.0.0', S),
  cmd('getdel', 2, 'write fast', k1, getdel, 'Get the value of a key and delete the key', '6.2.0', S),
  cmd('getex', -2, 'write fast', k1, getex, 'Get the value of a key and optionally set its expiration', '6.2.0', S),
  cmd('mget', -2, 'readonly fast', [1, -1, 1], mget, 'Get the values of all the given keys', '1.0.0', S),
  cmd('mset', -3, 'write denyoom', [1, -1, 2], (c, a) => msetGeneric(c, a, false), 'Set multiple keys to multiple values', '1.0.1', S),
  cmd('msetnx', -3, 'write denyoom', [1, -1, 2], (c, a) => msetGeneric(c, a, true), 'Set multiple keys to multiple values, only if none of the keys exist', '1.0.1', S),
  cmd('append', 3, 'write denyoom fast', k1, append, 'Append a value to a key', '2.0.0', S),
  cmd('strlen', 2, 'readonly fast', k1, strlen, 'Get the length of the value stored in a key', '2.2.0', S),
  cmd('getrange', 4, 'readonly', k1, getrange, 'Get a substring of the string stored at a key', '2.4.0', S),
  cmd('substr', 4, 'readonly', k1, getrange, 'Get a substring of the string stored at a key', '1.0.0', S),
  cmd('setrange', 4, 'write denyoom', k1, setrange, 'Overwrite part of a string at key starting at the specified offset', '2.2.0', S),
  cmd('incr', 2, 'write denyoom fast', k1, (c, a) => incrDecr(c, a[1], 1), 'Increment the integer value of a key by one', '1.0.0', S),
  cmd('decr', 2, 'write denyoom fast', k1, (c, a) => incrDecr(c, a[1], -1), 'Decrement the integer value of a key by one', '1.0.0', S),
  cmd('incrby', 3, 'write denyoom fast', k1, incrby, 'Increment the integer value of a key by the given amount', '1.0.0', S),
  cmd('decrby', 3, 'write denyoom fast', k1, decrby, 'Decrement the integer value of a key by the given number', '1.0.0', S),
  cmd('incrbyfloat', 3, 'write denyoom fast', k1, incrbyfloat, 'Increment the float value of a key by the given amount', '2.6.0', S),
  cmd('lcs', -3, 'readonly', [1, 2, 1], lcs, 'Find longest common substring', '7.0.0', S),
];
