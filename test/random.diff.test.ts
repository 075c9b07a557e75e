/**
 * Random command sequences (fast-check) run against Keel and redis-server 7.0; every reply must
 * match byte for byte. Keys collide across types on purpose (WRONGTYPE paths), members are
 * chosen so Redis's reply order is deterministic (lists, listpack hashes, intsets, zsets).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, hasRedisServer, type TestServer } from './helpers';
import { ByteConn, startRedis, type RedisProcess } from './differential';

const key = fc.constantFrom('k1', 'k2', 'k3', 'k4');
const val = fc.constantFrom('a', 'b', 'c', '1', '2', '10', '-3', '', 'xyz');
const int = fc.constantFrom('0', '1', '-1', '2', '5', '-5', '100', 'x');
const idx = fc.integer({ min: -6, max: 6 }).map(String);
const num = fc.constantFrom('1', '2', '3', '-1', '0', '7', '42');
const score = fc.constantFrom('0', '1', '1.5', '-2', '10', 'inf', '-inf', '0.1', '3e2');
const range = fc.constantFrom('-inf', '+inf', '0', '(1', '2', '(10', '1.5');
const lex = fc.constantFrom('-', '+', '[a', '(b', '[c', '(xyz');

const command: fc.Arbitrary<string[]> = fc.oneof(
  // strings
  fc.tuple(fc.constant('SET'), key, val),
  fc.tuple(fc.constant('GET'), key),
  fc.tuple(fc.constant('APPEND'), key, val),
  fc.tuple(fc.constant('INCRBY'), key, int),
  fc.tuple(fc.constant('GETRANGE'), key, idx, idx),
  fc.tuple(fc.constant('SETRANGE'), key, fc.integer({ min: 0, max: 5 }).map(String), val),
  fc.tuple(fc.constant('STRLEN'), key),
  fc.tuple(fc.constant('DEL'), key),
  fc.tuple(fc.constant('TYPE'), key),
  fc.tuple(fc.constant('EXISTS'), key, key),
  fc.tuple(fc.constant('RENAME'), key, key),
  fc.tuple(fc.constant('COPY'), key, key, fc.constantFrom('REPLACE', 'DB', '0').map((x) => x)),
  // lists
  fc.tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), key, val, val),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key, fc.integer({ min: 0, max: 3 }).map(String)),
  fc.tuple(fc.constant('LRANGE'), key, idx, idx),
  fc.tuple(fc.constant('LINDEX'), key, idx),
  fc.tuple(fc.constant('LSET'), key, idx, val),
  fc.tuple(fc.constant('LREM'), key, idx, val),
  fc.tuple(fc.constant('LTRIM'), key, idx, idx),
  fc.tuple(fc.constant('LINSERT'), key, fc.constantFrom('BEFORE', 'AFTER'), val, val),
  fc.tuple(fc.constant('LPOS'), key, val, fc.constantFrom('RANK', 'COUNT', 'MAXLEN'), fc.constantFrom('1', '-1', '0', '2')),
  fc.tuple(fc.constant('LMOVE'), key, key, fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom('LEFT', 'RIGHT')),
  fc.tuple(fc.constant('LLEN'), key),
  // hashes
  fc.tuple(fc.constant('HSET'), key, val, val),
  fc.tuple(fc.constant('HGET'), key, val),
  fc.tuple(fc.constant('HDEL'), key, val, val),
  fc.tuple(fc.constant('HGETALL'), key),
  fc.tuple(fc.constant('HINCRBY'), key, val, int),
  fc.tuple(fc.constant('HKEYS'), key),
  fc.tuple(fc.constant('HLEN'), key),
  // sets of integers (intsets reply in ascending order)
  fc.tuple(fc.constant('SADD'), key, num, num),
  fc.tuple(fc.constant('SREM'), key, num),
  fc.tuple(fc.constant('SMEMBERS'), key),
  fc.tuple(fc.constant('SISMEMBER'), key, num),
  fc.tuple(fc.constant('SCARD'), key),
  fc.tuple(fc.constantFrom('SINTER', 'SUNION', 'SDIFF'), key, key),
  fc.tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, key, key),
  // sorted sets
  fc.tuple(fc.constant('ZADD'), key, score, val),
  fc.tuple(fc.constant('ZADD'), key, fc.constantFrom('NX', 'XX', 'GT', 'LT', 'CH', 'INCR'), score, val),
  fc.tuple(fc.constant('ZINCRBY'), key, score, val),
  fc.tuple(fc.constant('ZREM'), key, val),
  fc.tuple(fc.constant('ZRANGE'), key, idx, idx, fc.constant('WITHSCORES')),
  fc.tuple(fc.constant('ZRANGEBYSCORE'), key, range, range, fc.constant('WITHSCORES')),
  fc.tuple(fc.constant('ZREVRANGEBYSCORE'), key, range, range),
  fc.tuple(fc.constant('ZRANGEBYLEX'), key, lex, lex),
  fc.tuple(fc.constant('ZCOUNT'), key, range, range),
  fc.tuple(fc.constant('ZRANK'), key, val),
  fc.tuple(fc.constant('ZSCORE'), key, val),
  fc.tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key, fc.constantFrom('1', '2')),
  fc.tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), key, fc.constant('2'), key, key),
  fc.tuple(fc.constant('ZREMRANGEBYSCORE'), key, range, range),
  fc.tuple(fc.constant('SORT'), key, fc.constantFrom('ALPHA', 'DESC', 'LIMIT')).map((a) => (a[2] === 'LIMIT' ? [...a, '0', '2'] : a)),
);

const run = hasRedisServer();
let keel: TestServer;
let redis: RedisProcess;
before(async () => {
  if (!run) return;
  keel = await startTestServer();
  redis = await startRedis();
});
after(async () => {
  await keel?.close();
  await redis?.stop();
});

test('random command sequences get the same replies as redis-server', { skip: run ? false : 'redis-server is not installed', timeout: 240000 }, async () => {
  const a = await ByteConn.connect(keel.port);
  const b = await ByteConn.connect(redis.port);
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (cmds) => {
        await a.call(['FLUSHALL']);
        await b.call(['FLUSHALL']);
        for (const argv of cmds) {
          const [got, want] = [await a.call(argv), await b.call(argv)];
          assert.equal(JSON.stringify(got), JSON.stringify(want), `reply to ${JSON.stringify(argv)}`);
        }
      }),
      { numRuns: 300, verbose: 1 },
    );
  } finally {
    a.close();
    b.close();
  }
});
