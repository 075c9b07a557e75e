/**
 * Scenarios with several connections (blocked clients, WATCH, CLIENT REPLY, notifications),
 * run step by step on Keel and on redis-server 7.0; every byte each connection receives is
 * compared. Found by a differential test helper; each scenario failed before its fix.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ByteConn, startRedis, type RedisProcess } from './differential';
import { startTestServer, hasRedisServer, sleep, type TestServer } from './helpers';

/** [connection, action, ...]: `call` waits for one reply, `send` pipelines and does not wait,
 *  `drain` collects what arrived unasked, `discard` drops it (HELLO's client id), `sleep` waits. */
type Step = [string, 'call', string[]] | [string, 'send', ...string[][]] | [string, 'drain' | 'discard'] | ['-', 'sleep', number];

async function runSteps(port: number, steps: Step[]): Promise<string[]> {
  const conns = new Map<string, ByteConn>();
  const conn = async (name: string) => {
    let c = conns.get(name);
    if (!c) conns.set(name, (c = await ByteConn.connect(port)));
    return c;
  };
  const seen: string[] = [];
  try {
    for (const st of steps) {
      if (st[1] === 'sleep') await sleep(st[2]);
      else if (st[1] === 'call') seen.push(`${st[0]} ${st[2].join(' ')} -> ${JSON.stringify(await (await conn(st[0])).call(st[2]))}`);
      else if (st[1] === 'send') {
        (await conn(st[0])).send(...(st.slice(2) as string[][]));
        await sleep(30); // let the server take it (and block) before the next step
      } else if (st[1] === 'discard') await (await conn(st[0])).drain(150);
      else seen.push(`${st[0]} got ${JSON.stringify(await (await conn(st[0])).drain(150))}`);
    }
  } finally {
    for (const c of conns.values()) c.close();
  }
  return seen;
}

const SCENARIOS: Record<string, Step[]> = {
  'a source key that becomes another type serves nobody; the waiter stays blocked': [
    ['A', 'send', ['BLMOVE', 'k', 'd', 'LEFT', 'LEFT', '0']],
    ['B', 'call', ['ZADD', 'k', '1', 'a']],
    ['A', 'drain'],
    ['B', 'call', ['DEL', 'k']],
    ['B', 'call', ['RPUSH', 'k', 'x']],
    ['A', 'drain'],
    ['B', 'call', ['LRANGE', 'd', '0', '-1']],
  ],
  'a timeout past 2^31 ms blocks (setTimeout would fire at once)': [
    ['A', 'send', ['BLPOP', 'k', '2147484']],
    ['-', 'sleep', 50],
    ['A', 'drain'],
    ['B', 'call', ['RPUSH', 'k', 'x']],
    ['A', 'drain'],
    ['A', 'send', ['BZPOPMIN', 'z', '9223372036854775']],
    ['B', 'call', ['ZADD', 'z', '1', 'm']],
    ['A', 'drain'],
  ],
  'every waiter is served before a served client runs its pipeline': [
    ['A', 'send', ['BLPOP', 'k', '0'], ['BLPOP', 'k', '0']],
    ['B', 'send', ['BLPOP', 'k', '0']],
    ['C', 'call', ['RPUSH', 'k', '1', '2', '3']],
    ['A', 'drain'],
    ['B', 'drain'],
    ['D', 'send', ['BLPOP', 'q', '0'], ['LRANGE', 'q', '0', '-1']],
    ['C', 'call', ['RPUSH', 'q', '1', '2', '3']],
    ['D', 'drain'],
  ],
  'a waiter on several keys is served from the key that became ready first': [
    ['A', 'send', ['BLPOP', 'k1', 'k2', '0']],
    ['C', 'call', ['MULTI']],
    ['C', 'call', ['RPUSH', 'k2', 'a']],
    ['C', 'call', ['RPUSH', 'k1', 'b']],
    ['C', 'call', ['EXEC']],
    ['A', 'drain'],
    ['C', 'call', ['LRANGE', 'k1', '0', '-1']],
    ['B', 'send', ['BZPOPMIN', 'z1', 'z2', '0']],
    ['C', 'call', ['MULTI']],
    ['C', 'call', ['ZADD', 'z2', '1', 'a']],
    ['C', 'call', ['ZADD', 'z1', '1', 'b']],
    ['C', 'call', ['EXEC']],
    ['B', 'drain'],
  ],
  'CLIENT REPLY OFF drops served, rejected and skipped replies but not pub/sub frames': [
    ['A', 'call', ['PING']],
    ['A', 'send', ['CLIENT', 'REPLY', 'OFF'], ['BLPOP', 'k', '0']],
    ['B', 'call', ['RPUSH', 'k', '1']],
    ['A', 'drain'],
    ['A', 'send', ['FOO'], ['GET']],
    ['A', 'drain'],
    ['A', 'send', ['SUBSCRIBE', 'c']],
    ['A', 'drain'],
    ['B', 'call', ['PUBLISH', 'c', 'hi']],
    ['A', 'drain'],
    ['E', 'send', ['CLIENT', 'REPLY', 'SKIP'], ['FOO'], ['PING']],
    ['E', 'drain'],
    // ON answers in place of a skipped reply; SKIP while skipping skips the next one too
    ['G', 'send', ['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'ON'], ['PING'], ['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'SKIP'], ['ECHO', 'a'], ['ECHO', 'b']],
    ['G', 'send', ['CLIENT', 'REPLY', 'OFF'], ['CLIENT', 'REPLY', 'SKIP'], ['ECHO', 'c'], ['CLIENT', 'REPLY', 'ON'], ['ECHO', 'd']],
    ['G', 'drain'],
  ],
  'CLIENT REPLY OFF inside a transaction silences the rest of its reply; SSUBSCRIBE is refused there': [
    ['A', 'send', ['MULTI'], ['CLIENT', 'REPLY', 'OFF'], ['INCR', 'n'], ['SET', 'a', '2'], ['EXEC'], ['CLIENT', 'REPLY', 'ON']],
    ['A', 'drain'],
    ['B', 'send', ['MULTI'], ['SSUBSCRIBE', 'a'], ['EXEC'], ['PING'], ['GET', 'x']],
    ['B', 'drain'],
  ],
  'a key already expired when watched, then deleted, leaves the transaction alone': [
    ['B', 'call', ['DEBUG', 'SET-ACTIVE-EXPIRE', '0']],
    ['B', 'call', ['SET', 'a', '1', 'PX', '10']],
    ['-', 'sleep', 50],
    ['A', 'call', ['WATCH', 'a']],
    ['B', 'call', ['GET', 'a']],
    ['A', 'call', ['MULTI']],
    ['A', 'call', ['PING']],
    ['A', 'call', ['EXEC']],
    ['B', 'call', ['SET', 'b', '1', 'PX', '10']],
    ['-', 'sleep', 50],
    ['A', 'call', ['WATCH', 'b']],
    ['B', 'call', ['SET', 'b', '2']],
    ['A', 'call', ['MULTI']],
    ['A', 'call', ['PING']],
    ['A', 'call', ['EXEC']],
    ['B', 'call', ['DEBUG', 'SET-ACTIVE-EXPIRE', '1']],
  ],
  'HDEL of a missing field is no change to a watched key': [
    ['B', 'call', ['HSET', 'h', 'f', 'v']],
    ['A', 'call', ['WATCH', 'h']],
    ['B', 'call', ['HDEL', 'h', 'nosuch']],
    ['A', 'call', ['MULTI']],
    ['A', 'call', ['PING']],
    ['A', 'call', ['EXEC']],
  ],
  'TTL and friends raise keymiss; OBJECT expires a due key': [
    ['B', 'call', ['CONFIG', 'SET', 'notify-keyspace-events', 'Egxm']],
    ['B', 'call', ['DEBUG', 'SET-ACTIVE-EXPIRE', '0']],
    ['P', 'call', ['PSUBSCRIBE', '*']],
    ['B', 'call', ['TTL', 'nokey']],
    ['B', 'call', ['PTTL', 'nokey']],
    ['B', 'call', ['EXPIRETIME', 'nokey']],
    ['B', 'call', ['SET', 'e', '1', 'PX', '5']],
    ['-', 'sleep', 30],
    ['B', 'call', ['PEXPIRETIME', 'e']],
    ['B', 'call', ['SET', 'o', '1', 'PX', '5']],
    ['-', 'sleep', 30],
    ['B', 'call', ['OBJECT', 'ENCODING', 'o']],
    ['B', 'call', ['EXISTS', 'o']],
    ['P', 'drain'],
    ['B', 'call', ['DEBUG', 'SET-ACTIVE-EXPIRE', '1']],
    ['B', 'call', ['CONFIG', 'SET', 'notify-keyspace-events', '']],
  ],
  'sharded pub/sub: SSUBSCRIBE, SPUBLISH, SUNSUBSCRIBE, PUBSUB SHARDCHANNELS/SHARDNUMSUB': [
    ['A', 'call', ['SSUBSCRIBE', 's1', 's2']],
    ['A', 'drain'],
    ['B', 'call', ['SPUBLISH', 's1', 'hi']],
    ['B', 'call', ['PUBLISH', 's1', 'not for shard subscribers']],
    ['A', 'drain'],
    // (several channels come in Redis's hash order: one at a time here)
    ['B', 'call', ['PUBSUB', 'SHARDCHANNELS', 's1']],
    ['B', 'call', ['PUBSUB', 'SHARDCHANNELS', 's2*']],
    ['B', 'call', ['PUBSUB', 'SHARDNUMSUB', 's1', 's3']],
    ['B', 'call', ['PUBSUB', 'CHANNELS']],
    ['A', 'call', ['SUBSCRIBE', 'c']],
    ['A', 'call', ['GET', 'x']],
    ['A', 'call', ['SUNSUBSCRIBE', 's1']],
    ['A', 'send', ['SUNSUBSCRIBE']],
    ['A', 'drain'],
    ['A', 'send', ['SUNSUBSCRIBE']],
    ['A', 'drain'],
    ['B', 'call', ['SPUBLISH', 's1', 'x']],
    ['B', 'call', ['CONFIG', 'SET', 'client-output-buffer-limit', '']],
  ],
  'CLIENT REPLY SKIP before a blocking command drops the reply it gives when the wait ends': [
    ['A', 'send', ['CLIENT', 'REPLY', 'SKIP'], ['BLPOP', 'k', '0'], ['PING']],
    ['B', 'call', ['RPUSH', 'k', '1']],
    ['A', 'drain'],
    ['A', 'send', ['CLIENT', 'REPLY', 'SKIP'], ['BLPOP', 'k', '0.05'], ['PING']],
    ['-', 'sleep', 150],
    ['A', 'drain'],
    ['A', 'send', ['ECHO', 'answered again']],
    ['A', 'drain'],
    ['C', 'send', ['CLIENT', 'REPLY', 'SKIP'], ['BRPOP', 'k', '0'], ['GET', 'k']],
    ['A', 'call', ['RPUSH', 'k', 'x']],
    ['C', 'drain'],
  ],
  'the clock stands still during EXEC: a key due mid-transaction stays until it ends': [
    ['B', 'call', ['SET', 'k', '1', 'PX', '150']],
    ['A', 'send', ['MULTI'], ['GET', 'k'], ['DEBUG', 'SLEEP', '0.3'], ['GET', 'k'], ['EXISTS', 'k'], ['KEYS', '*'], ['SCAN', '0'], ['LPUSH', 'k', 'x'], ['EXEC']],
    ['-', 'sleep', 400],
    ['A', 'drain'],
    ['A', 'call', ['TYPE', 'k']],
  ],
  'a key already expired when watched: FLUSHDB, FLUSHALL and SWAPDB without it leave the transaction alone': [
    ['B', 'call', ['DEBUG', 'SET-ACTIVE-EXPIRE', '0']],
    ['B', 'call', ['SET', 'k', '1', 'PX', '10']],
    ['-', 'sleep', 50],
    ['A', 'call', ['WATCH', 'k']],
    ['B', 'call', ['FLUSHDB']],
    ['A', 'send', ['MULTI'], ['PING'], ['EXEC']],
    ['A', 'drain'],
    ['B', 'call', ['SET', 'k', '1', 'PX', '10']],
    ['-', 'sleep', 50],
    ['A', 'call', ['WATCH', 'k']],
    ['B', 'call', ['SWAPDB', '0', '2']],
    ['A', 'send', ['MULTI'], ['PING'], ['EXEC']],
    ['A', 'drain'],
    ['B', 'call', ['SELECT', '1']],
    ['B', 'call', ['SET', 'k', '1', 'PX', '10']],
    ['B', 'call', ['SELECT', '0']],
    ['-', 'sleep', 50],
    ['A', 'call', ['WATCH', 'k']],
    ['B', 'call', ['SWAPDB', '0', '1']],
    ['A', 'send', ['MULTI'], ['PING'], ['EXEC']],
    ['A', 'drain'],
    ['B', 'call', ['DEBUG', 'SET-ACTIVE-EXPIRE', '1']],
  ],
  'overwriting a key that is due expires it first: expired and new events, then the write': [
    ['B', 'call', ['DEBUG', 'SET-ACTIVE-EXPIRE', '0']],
    ['B', 'call', ['CONFIG', 'SET', 'notify-keyspace-events', 'KEAn']],
    ['P', 'call', ['PSUBSCRIBE', '__keyevent*']],
    ['B', 'call', ['SET', 'k', '1', 'PX', '10']],
    ['B', 'call', ['SADD', 's1', 'a']],
    ['B', 'call', ['SET', 'd', '1', 'PX', '10']],
    ['-', 'sleep', 50],
    ['P', 'drain'],
    ['B', 'call', ['SET', 'k', '2']],
    ['B', 'call', ['SINTERSTORE', 'd', 's1']],
    ['P', 'drain'],
    ['B', 'call', ['CONFIG', 'SET', 'notify-keyspace-events', '']],
    ['B', 'call', ['DEBUG', 'SET-ACTIVE-EXPIRE', '1']],
  ],
  'a RESP3 client subscribed to its own events gets the reply and the events in Redis order': [
    ['A', 'send', ['HELLO', '3']],
    ['A', 'discard'],
    ['A', 'call', ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']],
    ['A', 'send', ['PSUBSCRIBE', '__keyevent*']],
    ['A', 'drain'],
    ['A', 'send', ['RPUSH', 'l', 'a', 'b'], ['LSET', 'l', '0', 'x'], ['SADD', 's1', 'a', 'b'], ['SINTERSTORE', 'd', 's1'], ['SUNIONSTORE', 'd', 'nosuch']],
    ['A', 'drain'],
    ['A', 'send', ['ZADD', 'z', '1', 'a'], ['ZUNIONSTORE', 'zd', '1', 'z'], ['ZRANGESTORE', 'zr', 'z', '0', '-1'], ['ZINTERSTORE', 'zd', '1', 'nosuch']],
    ['A', 'drain'],
    ['A', 'send', ['SADD', 'p', 'only'], ['SPOP', 'p'], ['SADD', 'p', '1', '2'], ['SPOP', 'p', '5']], // an intset: its order is the same on both
    ['A', 'drain'],
    ['A', 'call', ['CONFIG', 'SET', 'notify-keyspace-events', '']],
  ],
  'blocking timeouts: a tiny negative one is 0 (forever), one below a double is 1 ms': [
    ['A', 'send', ['BLPOP', 'k', '-0.0001']],
    ['B', 'call', ['RPUSH', 'k', 'v']],
    ['A', 'drain'],
    ['A', 'call', ['BLPOP', 'k', '1e-400']],
    ['A', 'call', ['CLIENT', 'UNBLOCK', '1', '2', '3']],
  ],
};

describe('several clients, compared with redis-server byte for byte', () => {
  const run = hasRedisServer();
  let keel: TestServer | undefined;
  let redis: RedisProcess | undefined;
  before(async () => {
    if (!run) return;
    keel = await startTestServer({ 'enable-debug-command': 'yes' });
    redis = await startRedis();
  });
  after(async () => {
    await keel?.close();
    await redis?.stop();
  });
  for (const [name, steps] of Object.entries(SCENARIOS)) {
    test(name, { skip: run ? false : 'redis-server is not installed' }, async () => {
      const flush: Step[] = [['F', 'call', ['FLUSHALL']]];
      await runSteps(keel!.port, flush);
      await runSteps(redis!.port, flush);
      const got = await runSteps(keel!.port, steps);
      const want = await runSteps(redis!.port, steps);
      assert.deepEqual(got, want);
    });
  }
});
