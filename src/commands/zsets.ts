/** Sorted set commands (t_zset.c): a skiplist with spans plus a member map (store/types/zset). */
import { cmd, type CommandSpec } from './spec';
import type { Client } from '../server/client';
import { NotifyClass } from '../server/server';
import { WRONGTYPE, ERR_SYNTAX, ERR_NOT_FLOAT, intArg, rangeIntArg, notify, timeoutArg, cannotBlock, randCountArg, countArg, keysAfterCount } from './args';
import { ZSet, ZAdd, ZADD_NX, ZADD_XX, ZADD_GT, ZADD_LT, ZADD_INCR, type ScoreRange, type LexRange } from '../store/types/zset';
import { IndexedSet } from '../store/types/indexed-set';
import { parseDouble, parseRangeDouble, formatDouble17g, INT64_MAX } from '../util/number';
import { sampleIndices } from '../util/random';
import type { Entry } from '../store/keyspace';
import { scanCollection } from './collscan';
import { encodingOf, dropListpackNegativeZeros } from '../store/value';
import { encodingLimits } from './keys';

const ERR_SCORE_RANGE = 'ERR min or max is not a float';
const ERR_LEX_RANGE = 'ERR min or max not valid string range item';

function zsetForRead(c: Client, key: string): ZSet | undefined | null {
  const e = c.server.keyspace.lookupRead(c.db, key);
  if (e === undefined) return undefined;
  if (!(e.value instanceof ZSet)) {
    c.error(WRONGTYPE);
    return null;
  }
  return e.value;
}

function zsetForWrite(c: Client, key: string): { e: Entry; z: ZSet } | undefined | null {
  const e = c.server.keyspace.lookupWrite(c.db, key);
  if (e === undefined) return undefined;
  if (!(e.value instanceof ZSet)) {
    c.error(WRONGTYPE);
    return null;
  }
  return { e, z: e.value };
}

function dropIfEmpty(c: Client, key: string, z: ZSet): void {
  if (z.size === 0) {
    c.server.keyspace.delete(c.db, key);
    notify(c, NotifyClass.Generic, 'del', key);
  }
}

/**
 * Before members leave a zset in place: a zset whose content is a skiplist's (bigger than
 * zset-max-listpack-entries, or with a member longer than zset-max-listpack-value) stays a
 * skiplist in Redis however small it gets, so its current encoding is made permanent.
 */
function keepEncoding(c: Client, z: ZSet): void {
  if (!z.converted && encodingOf(z, encodingLimits(c)) === 'skiplist') z.converted = true;
}

/** zslParseRange: `(1.5`, `-inf`, `+inf`, `3` */
export function parseScoreRange(min: string, max: string): ScoreRange | null {
  const one = (s: string): [number, boolean] | null => {
    const ex = s.startsWith('(');
    const d = parseRangeDouble(ex ? s.slice(1) : s);
    return d === null ? null : [d, ex];
  };
  const a = one(min);
  const b = one(max);
  if (!a || !b) return null;
  return { min: a[0], minex: a[1], max: b[0], maxex: b[1] };
}

/** zslParseLexRange: `[a`, `(a`, `-`, `+` */
/** A lex range, plus the two spellings that make it empty ('+' as min, '-' as max). */
type LexArg = LexRange & { minPosInf?: boolean; maxNegInf?: boolean };

export function parseLexRange(min: string, max: string): LexArg | null {
  const r: LexArg = { min: '', max: '', minex: false, maxex: false };
  const one = (s: string, isMin: boolean): boolean => {
    if (s === '+' || s === '-') {
      // '-' as max or '+' as min is an empty range, which the ZSet handles via the flags
      if (isMin) s === '-' ? (r.minInf = true) : (r.minPosInf = true);
      else s === '+' ? (r.maxInf = true) : (r.maxNegInf = true);
      return true;
    }
    if (s[0] !== '(' && s[0] !== '[') return false;
    if (isMin) {
      r.min = s.slice(1);
      r.minex = s[0] === '(';
    } else {
      r.max = s.slice(1);
      r.maxex = s[0] === '(';
    }
    return true;
  };
  if (!one(min, true) || !one(max, false)) return null;
  return r;
}

function lexEmpty(r: LexArg): boolean {
  return r.minPosInf === true || r.maxNegInf === true;
}

// ------------------------------------------------------------------ ZADD / ZINCRBY

function zaddGeneric(c: Client, argv: string[], forceIncr: boolean): void {
  let nx = false, xx = false, gt = false, lt = false, ch = false, incr = forceIncr;
  let idx = 2;
  // ZINCRBY goes through the same flag loop in Redis: `ZINCRBY z nx m` is a syntax error
  for (; idx < argv.length; idx++) {
    const a = argv[idx];
    if (a.length !== 2 && a.length !== 4) break; // not an option: the first score
    const o = a.toLowerCase();
    if (o === 'nx') nx = true;
    else if (o === 'xx') xx = true;
    else if (o === 'gt') gt = true;
    else if (o === 'lt') lt = true;
    else if (o === 'ch') ch = true;
    else if (o === 'incr') incr = true;
    else break;
  }
  const elements = argv.length - idx;
  if (elements % 2 !== 0 || elements === 0) return c.error(ERR_SYNTAX);
  if (nx && xx) return c.error('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) return c.error('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && elements > 2) return c.error('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let j = idx; j < argv.length; j += 2) {
    const d = parseDouble(argv[j]);
    if (d === null) return c.error(ERR_NOT_FLOAT);
    scores.push(d); // a -0 stays -0 only in a skiplist (below)
  }
  const key = argv[1];
  const ks = c.server.keyspace;
  const found = zsetForWrite(c, key);
  if (found === null) return;
  let z: ZSet;
  if (found === undefined) {
    if (xx) return incr ? c.nullBulk() : c.int(0);
    z = new ZSet();
    ks.add(c.db, key, z);
  } else {
    z = found.z;
  }
  const flags = (nx ? ZADD_NX : 0) | (xx ? ZADD_XX : 0) | (gt ? ZADD_GT : 0) | (lt ? ZADD_LT : 0) | (incr ? ZADD_INCR : 0);
  let added = 0;
  let updated = 0;
  let processed = 0;
  // Redis's zsetAdd converts a listpack to a skiplist (for good) when an insertion takes it
  // past zset-max-listpack-entries or brings a member longer than zset-max-listpack-value
  const cfg = c.server.config;
  const maxEntries = z.converted ? 0 : cfg.num('zset-max-listpack-entries');
  const maxValue = z.converted ? 0 : cfg.num('zset-max-listpack-value');
  // ZADD INCR of -0 on a new member of a listpack: Redis replies the score it computed (-0)
  // and stores its text form (0)
  let negZeroReply = false;
  for (let k = 0; k < scores.length; k++) {
    const m = argv[idx + 2 * k + 1];
    let score = scores[k];
    // a listpack stores a score as text, where -0 becomes 0; a skiplist keeps the double
    if (Object.is(score, -0)) {
      // a zset loaded with a member too long for a listpack is a skiplist already (checked only
      // here: nothing else depends on it before a member leaves)
      keepEncoding(c, z);
      const isNew = z.score(m) === undefined;
      const skiplist = z.converted || z.size + (isNew ? 1 : 0) > maxEntries || (isNew && m.length > maxValue);
      if (!skiplist) {
        score = 0;
        negZeroReply = incr && isNew;
      }
    }
    const r = z.add(m, score, flags);
    if (r !== ZAdd.Added) negZeroReply = false;
    if (r === ZAdd.Added) {
      added++;
      if (!z.converted && (z.size > maxEntries || m.length > maxValue)) z.converted = true;
    } else if (r === ZAdd.Updated) updated++;
    else if (r === ZAdd.NaN) {
      if (z.size === 0) ks.delete(c.db, key);
      return c.error('ERR resulting score is not a number (NaN)');
    }
    if (r !== ZAdd.Nop) processed++;
  }
  if (z.size === 0) ks.delete(c.db, key);
  // the reply before the event, as zaddGenericCommand orders them (a RESP3 client sees it so)
  if (incr) processed ? c.double(negZeroReply ? -0 : z.addedScore) : c.nullBulk();
  else c.int(ch ? added + updated : added);
  if (added || updated) {
    ks.events.modified(c.db, key);
    c.server.blocking.signalKeyReady(c.db, key);
    notify(c, NotifyClass.Zset, incr ? 'zincr' : 'zadd', key);
  }
  ks.dirty += added + updated;
}

function zrem(c: Client, argv: string[]): void {
  const key = argv[1];
  const found = zsetForWrite(c, key);
  if (found === null) return;
  if (found === undefined) return c.int(0);
  let n = 0;
  keepEncoding(c, found.z);
  for (let i = 2; i < argv.length; i++) if (found.z.delete(argv[i])) n++;
  if (n) {
    c.server.keyspace.events.modified(c.db, key);
    notify(c, NotifyClass.Zset, 'zrem', key);
    dropIfEmpty(c, key, found.z);
    c.server.keyspace.dirty += n;
  }
  c.int(n);
}

function zcard(c: Client, argv: string[]): void {
  const z = zsetForRead(c, argv[1]);
  if (z !== null) c.int(z ? z.size : 0);
}

function zscore(c: Client, argv: string[]): void {
  const z = zsetForRead(c, argv[1]);
  if (z === null) return;
  const s = z?.score(argv[2]);
  s === undefined ? c.nullBulk() : c.double(s);
}

function zmscore(c: Client, argv: string[]): void {
  const z = zsetForRead(c, argv[1]);
  if (z === null) return;
  c.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(argv[i]);
    s === undefined ? c.nullBulk() : c.double(s);
  }
}

/** Whether Redis would hold `z` as a listpack (its lex operations then walk it linearly). */
function isListpack(c: Client, z: ZSet): boolean {
  return encodingOf(z, encodingLimits(c)) === 'listpack';
}

function zcount(c: Client, argv: string[]): void {
  const r = parseScoreRange(argv[2], argv[3]);
  if (!r) return c.error(ERR_SCORE_RANGE);
  const z = zsetForRead(c, argv[1]);
  if (z !== null) c.int(z ? z.countInScore(r) : 0);
}

function zlexcount(c: Client, argv: string[]): void {
  const r = parseLexRange(argv[2], argv[3]);
  if (!r) return c.error(ERR_LEX_RANGE);
  const z = zsetForRead(c, argv[1]);
  if (z !== null) c.int(z && !lexEmpty(r) ? z.countInLex(r, isListpack(c, z)) : 0);
}

function zrank(c: Client, argv: string[], rev: boolean): void {
  const z = zsetForRead(c, argv[1]);
  if (z === null) return;
  if (z === undefined) return c.nullBulk();
  const r = z.rank(argv[2]);
  if (r < 0) return c.nullBulk();
  c.int(rev ? z.size - 1 - r : r);
}

// ------------------------------------------------------------------ ranges

const enum RT {
  Auto,
  Rank,
  Score,
  Lex,
}

function replyPairs(c: Client, items: [string, number][], withScores: boolean): void {
  if (!withScores) {
    c.arrayLen(items.length);
    for (const [m] of items) c.bulk(m);
    return;
  }
  if (c.resp > 2) {
    c.arrayLen(items.length);
    for (const [m, s] of items) {
      c.arrayLen(2);
      c.bulk(m);
      c.double(s);
    }
    return;
  }
  c.arrayLen(items.length * 2);
  for (const [m, s] of items) {
    c.bulk(m);
    c.double(s);
  }
}

/** zrangeGenericCommand: every ZRANGE flavour and ZRANGESTORE. */
function zrangeGeneric(c: Client, argv: string[], argStart: number, store: string | null, rangeType: RT, rev: boolean | null): void {
  const key = argv[argStart];
  let minIdx = argStart + 1;
  let maxIdx = argStart + 2;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  let limitGiven = false;
  for (let j = argStart + 3; j < argv.length; j++) {
    const o = argv[j].toLowerCase();
    const left = argv.length - j - 1;
    if (store === null && o === 'withscores') withScores = true;
    else if (o === 'limit' && left >= 2) {
      const a = intArg(c, argv[j + 1]);
      if (a === null) return;
      const b = intArg(c, argv[j + 2]);
      if (b === null) return;
      offset = a;
      limit = b;
      limitGiven = true;
      j += 2;
    } else if (rev === null && o === 'rev') rev = true;
    else if (rangeType === RT.Auto && o === 'bylex') rangeType = RT.Lex;
    else if (rangeType === RT.Auto && o === 'byscore') rangeType = RT.Score;
    else return c.error(ERR_SYNTAX);
  }
  if (rev === null) rev = false;
  if (rangeType === RT.Auto) rangeType = RT.Rank;
  if (limitGiven && limit !== -1 && rangeType === RT.Rank) {
    return c.error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  }
  if (withScores && rangeType === RT.Lex) return c.error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  if (rev && rangeType !== RT.Rank) [minIdx, maxIdx] = [maxIdx, minIdx];
  let start = 0;
  let end = 0;
  let sr: ScoreRange | null = null;
  let lr: LexArg | null = null;
  if (rangeType === RT.Rank) {
    const a = intArg(c, argv[minIdx]);
    if (a === null) return;
    const b = intArg(c, argv[maxIdx]);
    if (b === null) return;
    start = a;
    end = b;
  } else if (rangeType === RT.Score) {
    sr = parseScoreRange(argv[minIdx], argv[maxIdx]);
    if (!sr) return c.error(ERR_SCORE_RANGE);
  } else {
    lr = parseLexRange(argv[minIdx], argv[maxIdx]);
    if (!lr) return c.error(ERR_LEX_RANGE);
  }
  const z = zsetForRead(c, key);
  if (z === null) return;
  let items: [string, number][] = [];
  if (z !== undefined) {
    if (rangeType === RT.Rank) {
      const len = z.size;
      if (start < 0) start += len;
      if (end < 0) end += len;
      if (start < 0) start = 0;
      if (!(start > end || start >= len)) {
        if (end >= len) end = len - 1;
        items = z.rangeByRank(start, end, rev);
      }
    } else if (offset >= 0 && !(offset > 0 && offset >= z.size)) {
      if (rangeType === RT.Score) items = z.rangeByScore(sr!, rev, offset, limit);
      else if (!lexEmpty(lr!)) items = z.rangeByLex(lr!, rev, offset, limit, isListpack(c, z));
    }
  }
  if (store === null) return replyPairs(c, items, withScores);
  storeResult(c, store, items, 'zrangestore');
}

/** Writes a computed result to `dst` (deleting it when empty) and replies the size. */
function storeResult(c: Client, dst: string, items: Iterable<[string, number]>, event: string): void {
  const ks = c.server.keyspace;
  const z = new ZSet();
  for (const [m, s] of items) z.set(m, s);
  dropListpackNegativeZeros(z, encodingLimits(c));
  // replied before the event, as Redis does (the order a RESP3 client subscribed to it sees)
  c.int(z.size);
  if (z.size > 0) {
    ks.set(c.db, dst, z);
    c.server.blocking.signalKeyReady(c.db, dst);
    notify(c, NotifyClass.Zset, event, dst);
    ks.dirty++;
  } else if (ks.peek(c.db, dst) !== undefined) {
    ks.delete(c.db, dst);
    notify(c, NotifyClass.Generic, 'del', dst);
    ks.dirty++;
  }
}

function zremrange(c: Client, argv: string[], type: RT): void {
  const key = argv[1];
  let start = 0;
  let end = 0;
  let sr: ScoreRange | null = null;
  let lr: LexArg | null = null;
  if (type === RT.Rank) {
    const a = intArg(c, argv[2]);
    if (a === null) return;
    const b = intArg(c, argv[3]);
    if (b === null) return;
    start = a;
    end = b;
  } else if (type === RT.Score) {
    sr = parseScoreRange(argv[2], argv[3]);
    if (!sr) return c.error(ERR_SCORE_RANGE);
  } else {
    lr = parseLexRange(argv[2], argv[3]);
    if (!lr) return c.error(ERR_LEX_RANGE);
  }
  const found = zsetForWrite(c, key);
  if (found === null) return;
  if (found === undefined) return c.int(0);
  const z = found.z;
  keepEncoding(c, z);
  let removed = 0;
  if (type === RT.Rank) {
    const len = z.size;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (start > end || start >= len) return c.int(0);
    if (end >= len) end = len - 1;
    removed = z.deleteRangeByRank(start, end);
  } else if (type === RT.Score) removed = z.deleteRangeByScore(sr!);
  else removed = lexEmpty(lr!) ? 0 : z.deleteRangeByLex(lr!, isListpack(c, z));
  if (removed) {
    c.server.keyspace.events.modified(c.db, key);
    notify(c, NotifyClass.Zset, type === RT.Rank ? 'zremrangebyrank' : type === RT.Score ? 'zremrangebyscore' : 'zremrangebylex', key);
    dropIfEmpty(c, key, z);
    c.server.keyspace.dirty += removed;
  }
  c.int(removed);
}

// ------------------------------------------------------------------ pops

/**
 * genericZpopCommand: pops from the first non-empty key. Returns false when no key had data
 * (nothing replied), null after an error.
 */
function zpop(c: Client, keys: string[], max: boolean, count: number, emitKey: boolean, nested: boolean, flatPairs = false): boolean | null {
  const ks = c.server.keyspace;
  for (const key of keys) {
    const e = ks.lookupWrite(c.db, key);
    if (e === undefined) continue;
    if (!(e.value instanceof ZSet)) {
      if (c.server.blocking.isRetry(c)) continue;
      c.error(WRONGTYPE);
      return null;
    }
    const z = e.value;
    const n = Math.min(count, z.size);
    keepEncoding(c, z);
    const items: [string, number][] = [];
    for (let i = 0; i < n; i++) {
      const it = (max ? z.last() : z.first())!;
      z.delete(it[0]);
      items.push(it);
    }
    ks.events.modified(c.db, key);
    if (emitKey) {
      c.arrayLen(flatPairs ? 3 : 2);
      c.bulk(key);
    }
    if (flatPairs) {
      c.bulk(items[0][0]);
      c.double(items[0][1]);
    } else {
      c.arrayLen(nested ? items.length : items.length * 2);
      for (const [m, s] of items) {
        if (nested) c.arrayLen(2);
        c.bulk(m);
        c.double(s);
      }
    }
    notify(c, NotifyClass.Zset, max ? 'zpopmax' : 'zpopmin', key);
    dropIfEmpty(c, key, z);
    ks.dirty += n;
    c.propArgv = [max ? 'ZPOPMAX' : 'ZPOPMIN', key, String(n)];
    return true;
  }
  return false;
}

function zpopCommand(c: Client, argv: string[], max: boolean): void {
  if (argv.length > 3) return c.error(ERR_SYNTAX);
  let count = -1;
  if (argv.length === 3) {
    const n = countArg(c, argv[2], 0, 'value is out of range, must be positive');
    if (n === null) return;
    count = n;
  }
  const nested = c.resp > 2 && count !== -1;
  if (count === 0) {
    const z = zsetForRead(c, argv[1]);
    if (z === null) return;
    return c.arrayLen(0);
  }
  const r = zpop(c, [argv[1]], max, count === -1 ? 1 : count, false, nested);
  if (r === false) c.arrayLen(0);
}

function bzpop(c: Client, argv: string[], max: boolean): void {
  const t = timeoutArg(c, argv[argv.length - 1]);
  if (t === null) return;
  const keys = argv.slice(1, -1);
  const r = zpop(c, keys, max, 1, true, false, true);
  if (r !== false) return;
  if (cannotBlock(c)) return c.nullArray();
  c.server.blocking.block(c, keys, t, c.server.lookupCommand(argv)!, argv);
}

/** [B]ZMPOP [timeout] numkeys key... MIN|MAX [COUNT n] */
function zmpop(c: Client, argv: string[], blocking: boolean): void {
  const numIdx = blocking ? 2 : 1;
  const numkeys = intArg(c, argv[numIdx], 'ERR numkeys should be greater than 0');
  if (numkeys === null) return;
  if (numkeys < 1) return c.error('ERR numkeys should be greater than 0');
  const whereIdx = numIdx + numkeys + 1;
  if (whereIdx >= argv.length) return c.error(ERR_SYNTAX);
  const w = argv[whereIdx].toLowerCase();
  if (w !== 'min' && w !== 'max') return c.error(ERR_SYNTAX);
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
  const r = zpop(c, keys, w === 'max', count, true, true);
  if (r !== false) return;
  if (!blocking || cannotBlock(c)) return c.nullArray();
  c.server.blocking.block(c, keys, t, c.server.lookupCommand(argv)!, argv);
}

function zrandmember(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    const z = zsetForRead(c, argv[1]);
    if (z === null) return;
    if (!z || z.size === 0) return c.nullBulk();
    return c.bulk(z.at(Math.floor(Math.random() * z.size))![0]);
  }
  // as HRANDFIELD: the count first (exactly, as a bigint: -2^62 must not round into range), then the option
  const big = randCountArg(c, argv[2]);
  if (big === null) return;
  if (argv.length > 4 || (argv.length === 4 && argv[3].toLowerCase() !== 'withscores')) return c.error(ERR_SYNTAX);
  const withScores = argv.length === 4;
  if (withScores && (big < -(INT64_MAX / 2n) || big > INT64_MAX / 2n)) return c.error('ERR value is out of range');
  const z = zsetForRead(c, argv[1]);
  if (z === null) return;
  if (!z || big === 0n) return c.arrayLen(0);
  let items: [string, number][];
  if (big < 0n) {
    const n = Number(-big);
    if (n > 0x7fffffff) return c.error('ERR value is out of range');
    items = [];
    for (let i = 0; i < n; i++) items.push(z.at(Math.floor(Math.random() * z.size))!);
  } else if (big >= BigInt(z.size)) {
    // the whole zset, highest score first, as Redis 7.0 replies it
    items = [...z].reverse();
  } else {
    items = sampleIndices(z.size, Number(big)).map((r) => z.at(r)!); // distinct random ranks
  }
  replyPairs(c, items, withScores);
}

// ------------------------------------------------------------------ set algebra

type Agg = 'sum' | 'min' | 'max';

/** zunionInterDiffGenericCommand */
function zsetOp(c: Client, argv: string[], op: 'union' | 'inter' | 'diff', store: boolean, cardOnly = false): void {
  const numIdx = store ? 2 : 1;
  const name = argv[0].toLowerCase();
  const numkeys = intArg(c, argv[numIdx]);
  if (numkeys === null) return;
  if (numkeys < 1) {
    return c.error(`ERR at least 1 input key is needed for '${name}' command`);
  }
  if (numkeys > argv.length - numIdx - 1) return c.error(ERR_SYNTAX);
  const keys = argv.slice(numIdx + 1, numIdx + 1 + numkeys);
  // the inputs are read before the options, as Redis does (WRONGTYPE wins over a bad option);
  // sets count as zsets with score 1
  const inputs: (Iterable<[string, number]> & { size: number; get(m: string): number | undefined })[] = [];
  for (const k of keys) {
    const e = c.server.keyspace.lookupRead(c.db, k); // a read, STORE or not (a miss is a keymiss event)
    if (e === undefined) {
      inputs.push(emptyInput);
    } else if (e.value instanceof ZSet) {
      const z = e.value;
      inputs.push({ size: z.size, get: (m) => z.score(m), [Symbol.iterator]: () => z[Symbol.iterator]() });
    } else if (e.value instanceof IndexedSet) {
      const s = e.value;
      inputs.push({ size: s.size, get: (m) => (s.has(m) ? 1 : undefined), *[Symbol.iterator]() { for (const m of s) yield [m, 1] as [string, number]; } });
    } else return c.error(WRONGTYPE);
  }
  const weights = keys.map(() => 1);
  let agg: Agg = 'sum';
  let withScores = false;
  let limit = 0;
  for (let j = numIdx + 1 + numkeys; j < argv.length; j++) {
    const o = argv[j].toLowerCase();
    const left = argv.length - j - 1;
    if (cardOnly) {
      if (o === 'limit' && left >= 1) {
        const n = rangeIntArg(c, argv[++j], 0, Infinity, "ERR LIMIT can't be negative");
        if (n === null) return;
        limit = n;
      } else return c.error(ERR_SYNTAX);
    } else if (op !== 'diff' && o === 'weights' && left >= numkeys) {
      for (let k = 0; k < numkeys; k++) {
        const d = parseDouble(argv[++j]);
        if (d === null) return c.error('ERR weight value is not a float');
        weights[k] = d;
      }
    } else if (op !== 'diff' && o === 'aggregate' && left >= 1) {
      const a = argv[++j].toLowerCase();
      if (a !== 'sum' && a !== 'min' && a !== 'max') return c.error(ERR_SYNTAX);
      agg = a;
    } else if (!store && o === 'withscores') withScores = true;
    else return c.error(ERR_SYNTAX);
  }
  const weigh = (s: number, w: number) => {
    const x = s * w;
    return Number.isNaN(x) ? 0 : x;
  };
  const combine = (a: number, b: number) => {
    if (agg === 'sum') {
      const x = a + b;
      return Number.isNaN(x) ? 0 : x;
    }
    // zunionInterAggregate keeps the current value on a tie (0 vs -0 included)
    return agg === 'min' ? (b < a ? b : a) : b > a ? b : a;
  };
  // union and inter go through the inputs from the smallest to the largest, as Redis does: a
  // sum of floating-point scores depends on the order
  const bySize = inputs.map((_, i) => i).sort((a, b) => inputs[a].size - inputs[b].size);
  const result = new Map<string, number>();
  if (op === 'union') {
    for (const i of bySize) {
      for (const [m, s] of inputs[i]) {
        const v = weigh(s, weights[i]);
        const cur = result.get(m);
        result.set(m, cur === undefined ? v : combine(cur, v));
      }
    }
  } else if (op === 'inter') {
    const [first, ...rest] = bySize;
    if (inputs[first].size > 0) {
      outer: for (const [m, s] of inputs[first]) {
        let v = weigh(s, weights[first]);
        for (const i of rest) {
          const o = inputs[i].get(m);
          if (o === undefined) continue outer;
          v = combine(v, weigh(o, weights[i]));
        }
        result.set(m, v);
        if (cardOnly && limit && result.size >= limit) break;
      }
    }
  } else {
    const others = inputs.slice(1);
    for (const [m, s] of inputs[0]) {
      if (others.some((inp) => inp.get(m) !== undefined)) continue;
      result.set(m, s);
    }
  }
  if (cardOnly) return c.int(result.size);
  if (store) return storeResult(c, argv[1], result, op === 'union' ? 'zunionstore' : op === 'inter' ? 'zinterstore' : 'zdiffstore');
  const z = new ZSet();
  for (const [m, s] of result) z.set(m, s);
  replyPairs(c, [...z], withScores);
}

const emptyInput = { size: 0, get: () => undefined, *[Symbol.iterator](): Iterator<[string, number]> {} };

// ------------------------------------------------------------------ ZSCAN

function zscan(c: Client, argv: string[]): void {
  scanCollection(c, argv, () => {
    const z = zsetForRead(c, argv[1]);
    if (!z) return z;
    // a listpack zset is returned whole in score order, as Redis does; a skiplist one is
    // walked by member slot, whatever the scores do meanwhile (ZSCAN scores are bulk strings
    // in both protocols)
    if (encodingOf(z, encodingLimits(c)) === 'listpack') return { small: true, items: [...z].map(([m, sc]) => [m, formatDouble17g(sc)]) };
    return { small: false, items: [], walk: (cursor, count, visit) => z.scanSlots(cursor, count, (m, sc) => visit([m, formatDouble17g(sc)])) };
  });
}


const G = 'sorted-set';
const k1: [number, number, number] = [1, 1, 1];
const numkeysAt = (off: number, dst = false) => (argv: string[]) => keysAfterCount(argv, off, dst ? 1 : 0);
export const commands: CommandSpec[] = [
  cmd('zadd', -4, 'write denyoom fast', k1, (c, a) => zaddGeneric(c, a, false), 'Add one or more members to a sorted set, or update its score if it already exists', '1.2.0', G),
  cmd('zincrby', 4, 'write denyoom fast', k1, (c, a) => zaddGeneric(c, [a[0], a[1], a[2], a[3]], true), 'Increment the score of a member in a sorted set', '1.2.0', G),
  cmd('zrem', -3, 'write fast', k1, zrem, 'Remove one or more members from a sorted set', '1.2.0', G),
  cmd('zcard', 2, 'readonly fast', k1, zcard, 'Get the number of members in a sorted set', '1.2.0', G),
  cmd('zscore', 3, 'readonly fast', k1, zscore, 'Get the score associated with the given member in a sorted set', '1.2.0', G),
  cmd('zmscore', -3, 'readonly fast', k1, zmscore, 'Get the score associated with the given members in a sorted set', '6.2.0', G),
  cmd('zcount', 4, 'readonly fast', k1, zcount, 'Count the members in a sorted set with scores within the given values', '2.0.0', G),
  cmd('zlexcount', 4, 'readonly fast', k1, zlexcount, 'Count the number of members in a sorted set between a given lexicographical range', '2.8.9', G),
  cmd('zrank', 3, 'readonly fast', k1, (c, a) => zrank(c, a, false), 'Determine the index of a member in a sorted set', '2.0.0', G),
  cmd('zrevrank', 3, 'readonly fast', k1, (c, a) => zrank(c, a, true), 'Determine the index of a member in a sorted set, with scores ordered from high to low', '2.0.0', G),
  cmd('zrange', -4, 'readonly', k1, (c, a) => zrangeGeneric(c, a, 1, null, RT.Auto, null), 'Return a range of members in a sorted set', '1.2.0', G),
  cmd('zrangestore', -5, 'write denyoom', [1, 2, 1], (c, a) => zrangeGeneric(c, a, 2, a[1], RT.Auto, null), 'Store a range of members from sorted set into another key', '6.2.0', G),
  cmd('zrevrange', -4, 'readonly', k1, (c, a) => zrangeGeneric(c, a, 1, null, RT.Rank, true), 'Return a range of members in a sorted set, by index, with scores ordered from high to low', '1.2.0', G),
  cmd('zrangebyscore', -4, 'readonly', k1, (c, a) => zrangeGeneric(c, a, 1, null, RT.Score, false), 'Return a range of members in a sorted set, by score', '1.0.5', G),
  cmd('zrevrangebyscore', -4, 'readonly', k1, (c, a) => zrangeGeneric(c, a, 1, null, RT.Score, true), 'Return a range of members in a sorted set, by score, with scores ordered from high to low', '2.2.0', G),
  cmd('zrangebylex', -4, 'readonly', k1, (c, a) => zrangeGeneric(c, a, 1, null, RT.Lex, false), 'Return a range of members in a sorted set, by lexicographical range', '2.8.9', G),
  cmd('zrevrangebylex', -4, 'readonly', k1, (c, a) => zrangeGeneric(c, a, 1, null, RT.Lex, true), 'Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.', '2.8.9', G),
  cmd('zremrangebyrank', 4, 'write', k1, (c, a) => zremrange(c, a, RT.Rank), 'Remove all members in a sorted set within the given indexes', '2.0.0', G),
  cmd('zremrangebyscore', 4, 'write', k1, (c, a) => zremrange(c, a, RT.Score), 'Remove all members in a sorted set within the given scores', '1.2.0', G),
  cmd('zremrangebylex', 4, 'write', k1, (c, a) => zremrange(c, a, RT.Lex), 'Remove all members in a sorted set between the given lexicographical range', '2.8.9', G),
  cmd('zpopmin', -2, 'write fast', k1, (c, a) => zpopCommand(c, a, false), 'Remove and return members with the lowest scores in a sorted set', '5.0.0', G),
  cmd('zpopmax', -2, 'write fast', k1, (c, a) => zpopCommand(c, a, true), 'Remove and return members with the highest scores in a sorted set', '5.0.0', G),
  cmd('bzpopmin', -3, 'write noscript blocking fast', [1, -2, 1], (c, a) => bzpop(c, a, false), 'Remove and return the member with the lowest score from one or more sorted sets, or block until one is available', '5.0.0', G),
  cmd('bzpopmax', -3, 'write noscript blocking fast', [1, -2, 1], (c, a) => bzpop(c, a, true), 'Remove and return the member with the highest score from one or more sorted sets, or block until one is available', '5.0.0', G),
  cmd('zmpop', -4, 'write', null, (c, a) => zmpop(c, a, false), 'Remove and return members with scores in a sorted set', '7.0.0', G, { getKeys: numkeysAt(1) }),
  cmd('bzmpop', -5, 'write blocking', null, (c, a) => zmpop(c, a, true), 'Remove and return members with scores in a sorted set or block until one is available', '7.0.0', G, { getKeys: numkeysAt(2) }),
  cmd('zrandmember', -2, 'readonly', k1, zrandmember, 'Get one or multiple random elements from a sorted set', '6.2.0', G),
  cmd('zunion', -3, 'readonly', null, (c, a) => zsetOp(c, a, 'union', false), 'Add multiple sorted sets', '6.2.0', G, { getKeys: numkeysAt(1) }),
  cmd('zinter', -3, 'readonly', null, (c, a) => zsetOp(c, a, 'inter', false), 'Intersect multiple sorted sets', '6.2.0', G, { getKeys: numkeysAt(1) }),
  cmd('zdiff', -3, 'readonly', null, (c, a) => zsetOp(c, a, 'diff', false), 'Subtract multiple sorted sets', '6.2.0', G, { getKeys: numkeysAt(1) }),
  cmd('zunionstore', -4, 'write denyoom', [1, 1, 1], (c, a) => zsetOp(c, a, 'union', true), 'Add multiple sorted sets and store the resulting sorted set in a new key', '2.0.0', G, { getKeys: numkeysAt(2, true) }),
  cmd('zinterstore', -4, 'write denyoom', [1, 1, 1], (c, a) => zsetOp(c, a, 'inter', true), 'Intersect multiple sorted sets and store the resulting sorted set in a new key', '2.0.0', G, { getKeys: numkeysAt(2, true) }),
  cmd('zdiffstore', -4, 'write denyoom', [1, 1, 1], (c, a) => zsetOp(c, a, 'diff', true), 'Subtract multiple sorted sets and store the resulting sorted set in a new key', '6.2.0', G, { getKeys: numkeysAt(2, true) }),
  cmd('zintercard', -3, 'readonly', null, (c, a) => zsetOp(c, a, 'inter', false, true), 'Intersect multiple sorted sets and return the cardinality of the result', '7.0.0', G, { getKeys: numkeysAt(1) }),
  cmd('zscan', -3, 'readonly', k1, zscan, 'Incrementally iterate sorted sets elements and associated scores', '2.8.0', G),
];
