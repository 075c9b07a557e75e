/**
 * Fidelity to Redis 7.0.15 in places where the difference is not in a reply's shape:
 *
 * - what SPOP with a count propagates (read back from the AOF of Keel and of redis-server 7.0
 *   running the same commands): one SREM per popped member, several of them wrapped in one
 *   MULTI/EXEC unit, a single one bare, and DEL when the whole set goes (spopWithCountCommand);
 * - encodings are history: a zset that grew into a skiplist, a hash that grew into a hashtable
 *   and a set that grew into a hashtable stay so when they shrink (also when the limits are
 *   raised afterwards), COPY keeps the source's encoding (hashTypeDup, setTypeDup, zsetDup),
 *   while freshly built values (*STORE results, a reload) follow their content again.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { hasRedisServer, trackResources, waitFor } from './helpers';
import { ByteConn, assertSameReplies } from './differential';

const needRedis = hasRedisServer() ? false : 'redis-server is not installed';
const tracked = trackResources('keel-fidelity-');

// ------------------------------------------------------------------ RESP, parsed independently

type Resp = string | number | null | Resp[] | { error: string };

/** One RESP2 value from `b` at `at`: [value, end offset]. */
function parseResp(b: string, at = 0): [Resp, number] {
  const nl = b.indexOf('\r\n', at);
  assert.ok(nl > at, `a complete RESP line at ${at}`);
  const t = b[at];
  const line = b.slice(at + 1, nl);
  const p = nl + 2;
  if (t === '+') return [line, p];
  if (t === '-') return [{ error: line }, p];
  if (t === ':') return [Number(line), p];
  if (t === '$') {
    const n = Number(line);
    return n < 0 ? [null, p] : [b.slice(p, p + n), p + n + 2];
  }
  assert.equal(t, '*', `RESP type ${JSON.stringify(t)}`);
  const n = Number(line);
  if (n < 0) return [null, p];
  const out: Resp[] = [];
  let q = p;
  for (let i = 0; i < n; i++) {
    const [v, e] = parseResp(b, q);
    out.push(v);
    q = e;
  }
  return [out, q];
}

/** The commands of an AOF command stream (a RESP array of bulks each). */
function aofCommands(text: string): string[][] {
  const out: string[][] = [];
  let p = 0;
  while (p < text.length) {
    const [v, e] = parseResp(text, p);
    assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string'), `an AOF command at ${p}`);
    out.push(v as string[]);
    p = e;
  }
  return out;
}

/** The text of the (only) INCR file of the multi-part AOF in `dir`. */
function incrText(dir: string): string {
  const aofDir = path.join(dir, 'appendonlydir');
  const incrs = fs.readdirSync(aofDir).filter((n) => n.endsWith('.incr.aof'));
  assert.equal(incrs.length, 1, `one INCR file in ${aofDir}: ${incrs.join(', ')}`);
  return fs.readFileSync(path.join(aofDir, incrs[0]), 'latin1');
}

// ------------------------------------------------------------------ SPOP propagation

/**
 * Commands whose propagation is compared. The popped members are random, so what is compared
 * is the stream's shape with the SREM members blanked, and separately that each server's SREMs
 * name exactly the members its SPOP replied, in the reply's order.
 */
const SPOP_SCENARIO: string[][] = [
  ['SADD', 's', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
  ['SPOP', 's', '1'], // one SREM, not wrapped
  ['SPOP', 's', '3'], // 6 left: "extract random members" case, MULTI + 3 SREM + EXEC
  ['SPOP', 's', '5'], // 1 left: "build a new set from the rest" case, MULTI + 5 SREM + EXEC
  ['SPOP', 's', '0'], // nothing
  ['SPOP', 'nokey', '3'], // nothing
  ['SADD', 'w', 'a', 'b'],
  ['SPOP', 'w', '5'], // the whole set: DEL
  ['SADD', 'i', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'],
  ['SPOP', 'i', '9'], // intset, rest-building case: SREMs in the old intset's (ascending) order
  ['SPOP', 'i'], // the last member: SPOP without a count is a bare SREM
  ['SADD', 't', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8'],
  // in a transaction the SREMs join the EXEC's unit (no nested MULTI)
  ['MULTI'],
  ['SPOP', 't', '2'],
  ['SET', 'k', 'v'],
  ['SPOP', 't', '1'],
  ['EXEC'],
  ['SADD', 'u', 'p', 'q'],
  ['MULTI'],
  ['SPOP', 'u', '10'],
  ['EXEC'],
];

/** SPOP replies of a scenario run (also those inside EXEC), in order. */
function spopReplies(scenario: string[][], replies: Resp[]): string[][] {
  const out: string[][] = [];
  let queued: string[][] = [];
  scenario.forEach((argv, i) => {
    const name = argv[0].toUpperCase();
    if (name === 'MULTI') queued = [];
    else if (name === 'EXEC') {
      const r = replies[i] as Resp[];
      queued.forEach((q, j) => {
        if (q[0].toUpperCase() === 'SPOP') out.push(spopMembers(r[j]));
      });
      queued = [];
    } else if (replies[i] === 'QUEUED') queued.push(argv);
    else if (name === 'SPOP') out.push(spopMembers(replies[i]));
  });
  return out;
}

function spopMembers(r: Resp): string[] {
  if (r === null) return [];
  if (typeof r === 'string') return [r];
  assert.ok(Array.isArray(r), `an SPOP reply: ${JSON.stringify(r)}`);
  return r as string[];
}

/**
 * Splits a stream's commands into the SREM members that follow each SPOP, checked against the
 * replies: each SPOP's SREMs (or DEL) are the next writes in the stream.
 */
function checkSremsMatchReplies(cmds: string[][], pops: string[][], who: string): void {
  const srems = cmds.filter((c) => c[0].toUpperCase() === 'SREM');
  const fromStream = srems.map((c) => {
    assert.equal(c.length, 3, `${who}: every SREM names one member: ${JSON.stringify(c)}`);
    return c[2];
  });
  // whole-set pops are DELs, not SREMs; every other pop's members appear as SREMs in reply order
  const expected = pops.filter((p, i) => !WHOLE_SET_POPS.has(i)).flat();
  assert.deepEqual(fromStream, expected, `${who}: SREMs name the popped members in the reply's order`);
}

/** Indexes among the scenario's SPOPs (counting those that popped nothing) that take the whole set. */
const WHOLE_SET_POPS = new Set([5, 10]);

function blankSremMembers(cmds: string[][]): string[][] {
  return cmds.map((c) => (c[0].toUpperCase() === 'SREM' && c.length === 3 ? [c[0], c[1], '*'] : c));
}

async function runScenario(port: number, scenario: string[][]): Promise<Resp[]> {
  const conn = await ByteConn.connect(port);
  try {
    const out: Resp[] = [];
    for (const argv of scenario) out.push(parseResp(await conn.call(argv))[0]);
    return out;
  } finally {
    conn.close();
  }
}

describe('SPOP with a count: the propagated (AOF) form', () => {
  test('the same SREM units / DEL as redis-server 7.0 writes', { skip: needRedis }, async () => {
    const keelDir = tracked.dir();
    const keel = await tracked.keel({ dir: keelDir, appendonly: 'yes', appendfsync: 'always' });
    const redisDir = tracked.dir();
    const redis = await tracked.redis(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', redisDir]);

    const keelReplies = await runScenario(keel.port, SPOP_SCENARIO);
    const redisReplies = await runScenario(redis.port, SPOP_SCENARIO);
    // the replies agree where they are not random: sizes of arrays, not the members popped
    const shapeOf = (rs: Resp[]) => rs.map((r, i) => (Array.isArray(r) ? r.length : SPOP_SCENARIO[i][0] === 'SPOP' && typeof r === 'string' ? 'member' : r));
    assert.deepEqual(shapeOf(keelReplies), shapeOf(redisReplies));

    // both write the reply's bytes only after the write reached the file (appendfsync always)
    const keelCmds = aofCommands(incrText(keelDir));
    let redisCmds: string[][] = [];
    await waitFor(() => {
      redisCmds = aofCommands(incrText(redisDir));
      return redisCmds.length > 0 && redisCmds[redisCmds.length - 1].join(' ') === 'DEL u';
    });

    assert.deepEqual(blankSremMembers(keelCmds), blankSremMembers(redisCmds), 'the streams, SREM members blanked');

    const keelPops = spopReplies(SPOP_SCENARIO, keelReplies);
    const redisPops = spopReplies(SPOP_SCENARIO, redisReplies);
    assert.equal(keelPops.length, 11);
    assert.equal(redisPops.length, 11);
    checkSremsMatchReplies(keelCmds, keelPops, 'keel');
    checkSremsMatchReplies(redisCmds, redisPops, 'redis');

    // spelled out, for the record of what Redis 7.0 does
    const shape = blankSremMembers(keelCmds).map((c) => c.join(' '));
    const srem = (k: string, n: number) => Array<string>(n).fill(`SREM ${k} *`);
    assert.deepEqual(shape, [
      'SELECT 0',
      'SADD s a b c d e f g h i j',
      ...srem('s', 1),
      'MULTI', ...srem('s', 3), 'EXEC',
      'MULTI', ...srem('s', 5), 'EXEC',
      'SADD w a b',
      'DEL w',
      'SADD i 1 2 3 4 5 6 7 8 9 10',
      'MULTI', ...srem('i', 9), 'EXEC',
      ...srem('i', 1),
      'SADD t x1 x2 x3 x4 x5 x6 x7 x8',
      'MULTI', ...srem('t', 2), 'SET k v', ...srem('t', 1), 'EXEC',
      'SADD u p q',
      'DEL u', // a transaction with one write goes out as that write alone
    ]);
    // the intset's rest-building case replies (and propagates) its members ascending
    const intPop = keelPops[6].map(Number);
    assert.deepEqual(intPop, [...intPop].sort((a, b) => a - b));

    await keel.close();
    await redis.stop();
  });
});

// ------------------------------------------------------------------ encodings are history

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const LONG = 'L'.repeat(65); // longer than zset-max-listpack-value / hash-max-listpack-value (64)
const enc = (k: string) => ['OBJECT', 'ENCODING', k];

const ENCODING_SCENARIOS: [string, string[][]][] = [
  [
    'a zset that grew past zset-max-listpack-entries stays a skiplist as it shrinks',
    [
      ...['zr', 'zrr', 'zrs', 'zrl', 'zpmin', 'zpmax', 'zm', 'bz'].map((k) => ['ZADD', k, ...range(129, (i) => [String(i), `m${String(i).padStart(3, '0')}`]).flat()]),
      enc('zr'), ['ZREM', 'zr', 'm000', 'nope'], enc('zr'), ['ZREM', 'zr', ...range(120, (i) => `m${String(i).padStart(3, '0')}`)], enc('zr'), ['ZCARD', 'zr'],
      ['ZREMRANGEBYRANK', 'zrr', '0', '100'], enc('zrr'),
      ['ZREMRANGEBYSCORE', 'zrs', '0', '(5'], enc('zrs'),
      ['ZREMRANGEBYLEX', 'zrl', '-', '(m100'], enc('zrl'),
      ['ZPOPMIN', 'zpmin', '2'], enc('zpmin'),
      ['ZPOPMAX', 'zpmax'], enc('zpmax'),
      ['ZMPOP', '1', 'zm', 'MIN', 'COUNT', '50'], enc('zm'),
      ['BZPOPMIN', 'bz', '0'], enc('bz'),
      // the skiplist order of what is left, and a listpack-sized ZRANGE of it
      ['ZRANGE', 'zr', '0', '-1', 'WITHSCORES'],
      // results built fresh follow their content
      ['ZRANGESTORE', 'fresh', 'zr', '0', '-1'], enc('fresh'), ['ZUNIONSTORE', 'fresh2', '1', 'zr'], enc('fresh2'),
      ['ZINTERSTORE', 'fresh3', '2', 'zr', 'zr'], enc('fresh3'), ['ZDIFFSTORE', 'fresh4', '1', 'zr'], enc('fresh4'),
      // COPY keeps the encoding (zsetDup); RENAME keeps the value itself
      ['COPY', 'zr', 'zr:copy'], enc('zr:copy'), ['COPY', 'fresh', 'fresh:copy'], enc('fresh:copy'),
      ['RENAME', 'zrr', 'zrr:renamed'], enc('zrr:renamed'),
      ['COPY', 'zpmin', 'zpmin:db1', 'DB', '1'], ['SELECT', '1'], enc('zpmin:db1'), ['SELECT', '0'],
      // a reload builds every value fresh
      ['DEBUG', 'RELOAD'], enc('zr'), enc('zr:copy'), enc('zrr:renamed'),
    ],
  ],
  [
    'a zset that got a long member stays a skiplist when it goes',
    [
      ['ZADD', 'zl', '1', 'a', '2', LONG], enc('zl'), ['ZREM', 'zl', LONG], enc('zl'),
      ['ZADD', 'zl2', '1', 'a'], enc('zl2'), ['ZADD', 'zl2', '2', LONG], ['ZPOPMAX', 'zl2'], enc('zl2'),
      ['ZADD', 'zl3', '1', LONG, '2', 'b'], enc('zl3'), ['ZREMRANGEBYRANK', 'zl3', '0', '0'], enc('zl3'), ['COPY', 'zl3', 'zl3:copy'], enc('zl3:copy'),
      // a ZADD that only updates a score changes nothing
      ['ZADD', 'zl4', '1', 'a', '2', 'b'], ['ZADD', 'zl4', '5', 'a'], ['ZINCRBY', 'zl4', '3', 'b'], enc('zl4'),
      ['ZUNIONSTORE', 'zl5', '1', 'zl'], enc('zl5'),
    ],
  ],
  [
    // hash-max-listpack-entries is 512 by default in Redis 7.0's config.c (redis.conf says 128)
    'a hash that grew into a hashtable stays one, also in its COPY',
    [
      ['HSET', 'h', ...range(513, (i) => [`f${i}`, 'v']).flat()], enc('h'), ['HDEL', 'h', ...range(509, (i) => `f${i}`)], enc('h'), ['HLEN', 'h'],
      ['COPY', 'h', 'h:copy'], enc('h:copy'),
      ['HSET', 'hl', 'a', LONG, 'b', '1'], ['HSET', 'hl', 'a', 'short'], enc('hl'), ['COPY', 'hl', 'hl:copy'], enc('hl:copy'),
      ['HSET', 'hi', 'n', LONG], ['HINCRBY', 'hi', 'x', '1'], ['HDEL', 'hi', 'n'], enc('hi'),
      ['HSET', 'small', 'a', '1'], ['COPY', 'small', 'small:copy'], enc('small:copy'),
      ['DEBUG', 'RELOAD'], enc('h'), enc('h:copy'), enc('hl:copy'),
    ],
  ],
  [
    'a set that grew into a hashtable stays one, also in its COPY',
    [
      ['SADD', 's', ...range(513, String)], enc('s'), ['SREM', 's', ...range(510, String)], enc('s'), ['COPY', 's', 's:copy'], enc('s:copy'),
      ['SADD', 'sx', '1', '2', 'x'], ['SREM', 'sx', 'x'], enc('sx'), ['COPY', 'sx', 'sx:copy'], enc('sx:copy'),
      ['SADD', 'si', '3', '1', '2'], ['COPY', 'si', 'si:copy'], enc('si:copy'), ['SMEMBERS', 'si:copy'],
      ['DEBUG', 'RELOAD'], enc('s'), enc('s:copy'), enc('sx:copy'),
    ],
  ],
  [
    'raising the limits afterwards does not convert anything back',
    [
      ['ZADD', 'z', ...range(129, (i) => [String(i), `m${i}`]).flat()],
      ['HSET', 'h', ...range(513, (i) => [`f${i}`, 'v']).flat()],
      ['SADD', 's', ...range(513, String)],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '1000'], ['CONFIG', 'SET', 'hash-max-listpack-entries', '1000'], ['CONFIG', 'SET', 'set-max-intset-entries', '1000'],
      enc('z'), enc('h'), enc('s'),
      ['ZREM', 'z', 'm0'], ['HDEL', 'h', 'f0'], ['SREM', 's', '0'], enc('z'), enc('h'), enc('s'),
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'], ['CONFIG', 'SET', 'hash-max-listpack-entries', '512'], ['CONFIG', 'SET', 'set-max-intset-entries', '512'],
    ],
  ],
];

describe('OBJECT ENCODING is the value history, as in Redis 7.0', () => {
  let keelPort = 0;
  let redisPort = 0;
  for (const [title, scenario] of ENCODING_SCENARIOS) {
    test(title, { skip: needRedis }, async () => {
      if (keelPort === 0) {
        keelPort = (await tracked.keel()).port;
        redisPort = (await tracked.redis()).port;
      }
      await assertSameReplies(keelPort, redisPort, scenario);
    });
  }
});

// ------------------------------------------------------------------ the RDB type follows the encoding

/**
 * Redis writes a value's RDB type from its encoding (rdbSaveObjectType): a zset that shrank
 * back as a skiplist is a ZSET_2, a shrunk hashtable hash a HASH, a hashtable set of a few
 * integers a SET (not an INTSET). DUMP shows the type as the payload's first byte; Keel's RDB
 * writer reads the encoding history (ZSet.converted, IndexedSet.converted, isConverted(hash)).
 */
describe('DUMP / RDB type of values whose encoding outlived their content', () => {
  test('the payload type byte is the one redis-server 7.0 writes', { skip: needRedis }, async () => {
    const keel = await tracked.keel();
    const redis = await tracked.redis();
    const setup: string[][] = [
      ['ZADD', 'z', ...range(129, (i) => [String(i), `m${i}`]).flat()], ['ZREMRANGEBYRANK', 'z', '0', '124'],
      ['HSET', 'h', ...range(513, (i) => [`f${i}`, 'v']).flat()], ['HDEL', 'h', ...range(509, (i) => `f${i}`)],
      ['SADD', 's', '1', '2', 'x'], ['SREM', 's', 'x'],
      ['ZADD', 'small', '1', 'a'], // a listpack on both: the control
    ];
    await assertSameReplies(keel.port, redis.port, [...setup, ...['z', 'h', 's', 'small'].map(enc)]);
    const typeByte = async (port: number, key: string): Promise<number> => {
      const conn = await ByteConn.connect(port);
      try {
        const [v] = parseResp(await conn.call(['DUMP', key]));
        assert.equal(typeof v, 'string', `DUMP ${key}`);
        return (v as string).charCodeAt(0);
      } finally {
        conn.close();
      }
    };
    for (const key of ['small', 'z', 'h', 's']) {
      assert.equal(await typeByte(keel.port, key), await typeByte(redis.port, key), `the RDB type of ${key}`);
    }
  });
});
