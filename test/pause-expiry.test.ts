/**
 * Expiry during CLIENT PAUSE (Redis 7.0.15: expireIfNeeded / activeExpireCycle ask
 * checkClientPauseTimeoutAndReturnIfPaused). While clients are paused, WRITE or ALL, the
 * dataset stays constant: a key whose TTL passes is not deleted (no lazy deletion, no active
 * expire cycle, no DEL in the AOF, no `expired` notification), yet reads answer as if it were
 * gone; DBSIZE and INFO keyspace still count it. Once the pause ends it expires normally.
 *
 * The same scenario runs on Keel and on a real redis-server 7.0 (both with an AOF), and the
 * replies are compared one by one as well as checked against the expected values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { hasRedisServer, trackResources, waitFor, sleep, RawConn, type RespValue } from './helpers';

const needRedis = hasRedisServer() ? false : 'redis-server is not installed';
const tracked = trackResources('keel-pause-expiry-');

/** A bound that turns a hang into a failure; never a timing assertion. */
const BOUND_MS = 10_000;
/** Time given to the cron (hz 100) to run active expire cycles; the assertions hold whether or not they ran. */
const CRON_CHANCE_MS = 150;
/** an ALL pause long enough to watch CRON_CHANCE_MS of it, even on a slow machine */
const PAUSE_ALL_MS = 1500;

interface Target {
  name: string;
  port: number;
  dir: string;
}

async function keelTarget(): Promise<Target> {
  const dir = tracked.dir();
  const s = await tracked.keel({ dir, appendonly: 'yes', appendfsync: 'always', hz: 100 });
  return { name: 'keel', port: s.port, dir };
}

async function redisTarget(): Promise<Target> {
  const dir = tracked.dir('keel-pause-expiry-redis-');
  const r = await tracked.redis(['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--hz', '100']);
  return { name: 'redis', port: r.port, dir };
}

async function connect(port: number): Promise<RawConn> {
  const c = await RawConn.connect(port);
  tracked.raws.add(c);
  return c;
}

/** The commands of the newest INCR file of the AOF in `dir` (Redis 7.0's multi-part layout). */
function aofCommands(dir: string): string[][] {
  const manifest = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1');
  const incrs = manifest
    .split('\n')
    .map((l) => /^file (\S+) seq \d+ type i$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  assert.ok(incrs.length > 0, 'the manifest lists an INCR file');
  const buf = fs.readFileSync(path.join(dir, 'appendonlydir', incrs[incrs.length - 1][1]));
  const out: string[][] = [];
  let p = 0;
  const line = (): string => {
    const nl = buf.indexOf('\r\n', p);
    assert.ok(nl >= 0, 'complete line');
    const s = buf.toString('latin1', p, nl);
    p = nl + 2;
    return s;
  };
  while (p < buf.length) {
    const head = line();
    if (head.startsWith('#')) continue; // annotation
    assert.equal(head[0], '*', 'a command');
    const argv: string[] = [];
    for (let i = Number(head.slice(1)); i > 0; i--) {
      const n = Number(line().slice(1));
      argv.push(buf.toString('latin1', p, p + n));
      p += n + 2;
    }
    out.push(argv);
  }
  return out;
}

function delsOf(dir: string, key: string): number {
  return aofCommands(dir).filter((a) => /^(del|unlink)$/i.test(a[0]) && a[1] === key).length;
}

/** `field:value` lines of an INFO section reply. */
function infoField(info: RespValue, field: string): string | undefined {
  for (const l of String(info).split('\r\n')) if (l.startsWith(field + ':')) return l.slice(field.length + 1);
  return undefined;
}

/** db0's key and TTL counts from INFO keyspace (avg_ttl is left out: it is an estimate). */
function db0Counts(info: RespValue): string {
  const v = infoField(info, 'db0');
  return v === undefined ? 'none' : v.replace(/,avg_ttl=\d+/, '');
}

/** Waits until `key` has logically expired (PTTL -2 answers without deleting during a pause). */
async function waitLogicallyExpired(c: RawConn, key: string): Promise<void> {
  await waitFor(async () => (await c.call('PTTL', key)) === -2, BOUND_MS, 5);
}

/**
 * CLIENT PAUSE WRITE with a key that expires during the pause: every reply (normalized where
 * Redis's are estimates), and what the AOF and an `expired` subscriber saw. Returns the
 * transcript, to compare with the other server's.
 */
async function writePauseScenario(t: Target): Promise<[string, RespValue][]> {
  const out: [string, RespValue][] = [];
  const a = await connect(t.port); // control
  const b = await connect(t.port); // reader
  const sub = await connect(t.port);
  try {
    const rec = async (conn: RawConn, ...argv: string[]): Promise<RespValue> => {
      const r = await conn.call(...argv);
      out.push([argv.join(' '), r]);
      return r;
    };
    await rec(a, 'FLUSHALL');
    await rec(a, 'CONFIG', 'SET', 'notify-keyspace-events', 'Ex');
    await rec(a, 'DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    await rec(sub, 'SUBSCRIBE', '__keyevent@0__:expired');
    // the key and the pause in one unit: the key cannot expire before the pause begins
    await rec(a, 'MULTI');
    await rec(a, 'SET', 'k', 'v', 'PX', '30');
    await rec(a, 'SET', 'live', '1');
    await rec(a, 'CLIENT', 'PAUSE', '60000', 'WRITE');
    await rec(a, 'EXEC');

    await waitLogicallyExpired(b, 'k');
    await sleep(CRON_CHANCE_MS); // active expire cycles would delete k now if they ran

    const during: [string, RespValue][] = [];
    const read = async (...argv: string[]): Promise<RespValue> => {
      const r = await rec(b, ...argv);
      during.push([argv.join(' '), r]);
      return r;
    };
    assert.equal(await read('EXISTS', 'k'), 0);
    assert.equal(await read('EXISTS', 'k', 'live'), 1);
    assert.equal(await read('TTL', 'k'), -2);
    assert.equal(await read('PTTL', 'k'), -2);
    assert.equal(await read('EXPIRETIME', 'k'), -2);
    assert.equal(await read('GET', 'k'), null);
    assert.deepEqual(await read('MGET', 'k', 'live'), [null, '1']);
    assert.equal(await read('TYPE', 'k'), 'none');
    assert.equal(await read('STRLEN', 'k'), 0);
    assert.equal(await read('OBJECT', 'ENCODING', 'k'), null);
    assert.equal(await read('DBSIZE'), 2, 'the key is still there');
    assert.deepEqual(await read('KEYS', '*'), ['live']);
    assert.deepEqual(await read('KEYS', 'k'), []);
    assert.deepEqual(await read('SCAN', '0'), ['0', ['live']]);
    assert.deepEqual(await read('SCAN', '0', 'MATCH', 'k*'), ['0', []]);
    assert.equal(await read('RANDOMKEY'), 'live');
    // a read after all those: still not deleted
    assert.equal(await read('DBSIZE'), 2);
    const ks = await b.call('INFO', 'keyspace');
    out.push(['INFO keyspace db0', db0Counts(ks)]);
    assert.equal(db0Counts(ks), 'keys=2,expires=1');
    const stats = await b.call('INFO', 'stats');
    out.push(['INFO stats expired_keys', infoField(stats, 'expired_keys') ?? null]);
    assert.equal(infoField(stats, 'expired_keys'), '0');
    // the subscriber heard nothing: its PING reply is the next thing it receives
    assert.deepEqual(await rec(sub, 'PING'), ['pong', '']);
    assert.equal(delsOf(t.dir, 'k'), 0, `${t.name}: no DEL k in the AOF during the pause`);

    await rec(a, 'CLIENT', 'UNPAUSE');
    // now the key expires: by the active cycle, or lazily on the next access
    const msg = await sub.reply(BOUND_MS);
    out.push(['expired notification', msg]);
    assert.deepEqual(msg, ['message', '__keyevent@0__:expired', 'k']);
    assert.equal(await rec(b, 'DBSIZE'), 1);
    assert.equal(await rec(b, 'EXISTS', 'k'), 0);
    out.push(['INFO stats expired_keys', infoField(await b.call('INFO', 'stats'), 'expired_keys') ?? null]);
    assert.equal(out[out.length - 1][1], '1');
    await waitFor(() => delsOf(t.dir, 'k') === 1, BOUND_MS);
    return out;
  } finally {
    a.close();
    b.close();
    sub.close();
  }
}

test('CLIENT PAUSE WRITE: an expiring key is kept but read as missing, then expires at the end (Keel)', async () => {
  await writePauseScenario(await keelTarget());
});

test('CLIENT PAUSE WRITE: the same replies, AOF and notifications as redis-server', { skip: needRedis }, async () => {
  const [keel, redis] = await Promise.all([keelTarget(), redisTarget()]);
  const got = await writePauseScenario(keel);
  const want = await writePauseScenario(redis);
  assert.equal(got.length, want.length, 'same number of replies');
  for (let i = 0; i < want.length; i++) assert.deepEqual(got[i], want[i], `reply ${i} (${want[i][0]})`);
});

test('CLIENT PAUSE WRITE: lazy expiry alone (active expire off) is held too, then resumes', { skip: needRedis }, async () => {
  for (const t of await Promise.all([keelTarget(), redisTarget()])) {
    const a = await connect(t.port);
    const b = await connect(t.port);
    try {
      assert.equal(await a.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), 'OK');
      assert.equal(await a.call('MULTI'), 'OK');
      await a.call('SET', 'k', 'v', 'PX', '20');
      await a.call('CLIENT', 'PAUSE', '60000', 'WRITE');
      assert.deepEqual(await a.call('EXEC'), ['OK', 'OK']);
      await waitLogicallyExpired(b, 'k');
      for (let i = 0; i < 3; i++) assert.equal(await b.call('GET', 'k'), null);
      assert.equal(await b.call('DBSIZE'), 1, t.name);
      assert.equal(delsOf(t.dir, 'k'), 0, t.name);
      assert.equal(await a.call('CLIENT', 'UNPAUSE'), 'OK');
      assert.equal(await b.call('DBSIZE'), 1, `${t.name}: nothing expires on its own with active expire off`);
      assert.equal(await b.call('GET', 'k'), null);
      assert.equal(await b.call('DBSIZE'), 0, `${t.name}: the access after the pause deletes it`);
      assert.equal(delsOf(t.dir, 'k'), 1, t.name);
    } finally {
      a.close();
      b.close();
    }
  }
});

test('CLIENT PAUSE ALL: no active expiry, no DEL, no notification until the pause ends', async () => {
  const t = await keelTarget();
  const a = await connect(t.port);
  const b = await connect(t.port);
  const sub = await connect(t.port);
  try {
    assert.equal(await a.call('CONFIG', 'SET', 'notify-keyspace-events', 'Ex'), 'OK');
    assert.equal(await a.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1'), 'OK');
    await sub.call('SUBSCRIBE', '__keyevent@0__:expired');
    assert.equal(await a.call('MULTI'), 'OK');
    await a.call('SET', 'k', 'v', 'PX', '20');
    await a.call('SET', 'live', '1');
    await a.call('CLIENT', 'PAUSE', String(PAUSE_ALL_MS), 'ALL');
    assert.deepEqual(await a.call('EXEC'), ['OK', 'OK', 'OK']);
    const pausedAt = Date.now();
    // nothing can read during an ALL pause; this DBSIZE waits for the end
    b.command('DBSIZE');
    // nor end it: redis-server 7.0 holds CLIENT UNPAUSE too, so the pause runs its course
    a.command('CLIENT', 'UNPAUSE');
    await sleep(CRON_CHANCE_MS); // k's TTL passes, and cron ticks go by
    assert.equal(delsOf(t.dir, 'k'), 0, 'no DEL k in the AOF during the pause');
    const msg = await sub.reply(BOUND_MS);
    assert.deepEqual(msg, ['message', '__keyevent@0__:expired', 'k']);
    // the held DBSIZE ran when the pause ended, before any cron tick: k was still there
    assert.equal(await b.reply(BOUND_MS), 2);
    assert.equal(await a.reply(BOUND_MS), 'OK');
    // answered at once, it would come back in milliseconds; held, it comes back with the pause's end
    assert.ok(Date.now() - pausedAt >= PAUSE_ALL_MS / 2, 'CLIENT UNPAUSE waited for the pause to end');
    await waitFor(() => delsOf(t.dir, 'k') === 1, BOUND_MS);
    assert.equal(await b.call('DBSIZE'), 1);
  } finally {
    a.close();
    b.close();
    sub.close();
  }
});

test('CLIENT PAUSE: a pause that times out lets keys expire again', async () => {
  const t = await keelTarget();
  const a = await connect(t.port);
  try {
    assert.equal(await a.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), 'OK');
    assert.equal(await a.call('MULTI'), 'OK');
    await a.call('SET', 'k', 'v', 'PX', '10');
    await a.call('CLIENT', 'PAUSE', '50', 'WRITE');
    assert.deepEqual(await a.call('EXEC'), ['OK', 'OK']);
    // poll until the key is really gone: reads keep it while paused, delete it once the pause is over
    await waitLogicallyExpired(a, 'k');
    await waitFor(async () => {
      assert.equal(await a.call('GET', 'k'), null);
      return (await a.call('DBSIZE')) === 0;
    }, BOUND_MS);
    assert.equal(delsOf(t.dir, 'k'), 1);
  } finally {
    a.close();
  }
});

test('RANDOMKEY during a pause when every key has expired answers instead of looping (redis#13862)', async () => {
  const t = await keelTarget();
  const a = await connect(t.port);
  try {
    assert.equal(await a.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), 'OK');
    assert.equal(await a.call('MULTI'), 'OK');
    await a.call('SET', 'k1', 'v', 'PX', '10');
    await a.call('SET', 'k2', 'v', 'PX', '10');
    await a.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    await a.call('EXEC');
    await waitLogicallyExpired(a, 'k1');
    await waitLogicallyExpired(a, 'k2');
    // Redis 7.0.15 spins forever here; since the fix it returns one of the (expired) keys
    assert.ok(['k1', 'k2'].includes(String(await a.call('RANDOMKEY'))));
    assert.equal(await a.call('DBSIZE'), 2);
    // with a key that has no TTL, that one is found (nothing read k1 or k2 between the pauses)
    assert.equal(await a.call('CLIENT', 'UNPAUSE'), 'OK');
    assert.equal(await a.call('MULTI'), 'OK');
    await a.call('SET', 'live', '1');
    await a.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    await a.call('EXEC');
    for (let i = 0; i < 5; i++) assert.equal(await a.call('RANDOMKEY'), 'live');
    assert.equal(await a.call('CLIENT', 'UNPAUSE'), 'OK');
  } finally {
    a.close();
  }
});

test('a write that runs during the pause (queued in MULTI after CLIENT PAUSE) replaces an expired key cleanly', async () => {
  const t = await keelTarget();
  const a = await connect(t.port);
  const b = await connect(t.port);
  try {
    assert.equal(await a.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), 'OK');
    // keys whose TTL passes while nothing touches them (Keel runs in this process: same clock)
    const at = Date.now() + 20;
    assert.equal(await a.call('SET', 'str', 'v', 'PXAT', String(at)), 'OK');
    assert.equal(await a.call('SET', 'kt', 'v', 'PXAT', String(at)), 'OK');
    await waitFor(() => Date.now() > at + 1, BOUND_MS, 5);
    // the pause starts, then the writes run inside the same EXEC, while clients are paused
    assert.equal(await a.call('MULTI'), 'OK');
    await a.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    await a.call('LPUSH', 'str', 'x'); // lookupWrite misses, then add()
    await a.call('SET', 'kt', 'new', 'KEEPTTL'); // set() over the kept entry
    assert.deepEqual(await a.call('EXEC'), ['OK', 1, 'OK']);
    assert.equal(await b.call('TYPE', 'str'), 'list');
    assert.equal(await b.call('TTL', 'str'), -1);
    assert.equal(await b.call('GET', 'kt'), 'new', 'KEEPTTL does not keep the TTL of an expired key');
    assert.equal(await b.call('TTL', 'kt'), -1);
    assert.equal(db0Counts(await b.call('INFO', 'keyspace')), 'keys=2,expires=0');
    // the old keys were expired first, inside the transaction
    const aof = aofCommands(t.dir).map((x) => x.join(' '));
    const i = aof.lastIndexOf('MULTI');
    assert.deepEqual(
      aof.slice(i).filter((l) => !l.startsWith('SELECT')),
      ['MULTI', 'DEL str', 'LPUSH str x', 'DEL kt', 'SET kt new KEEPTTL', 'EXEC'],
    );
    assert.equal(await a.call('CLIENT', 'UNPAUSE'), 'OK');
  } finally {
    a.close();
    b.close();
  }
});
