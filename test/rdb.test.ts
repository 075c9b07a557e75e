/**
 * RDB snapshots through real servers: round trips, interoperability with redis-server 7.0 and
 * redis-check-rdb in both directions, point-in-time BGSAVE under concurrent writes, save
 * rules, failures, corruption, DUMP/RESTORE.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { CLI, tempDir, hasRedisServer, waitFor, sleep, RespError, RawConn, connectClient, trackResources, exited, shutdownCommand } from './helpers';
import { writeDataset, dumpServer } from './dataset';
import { stringBytes, lenBytes } from '../src/persistence/rdb/writer';
import { encodeListpack } from '../src/persistence/rdb/compact';

const haveRedis = hasRedisServer();
/** Not a timing assertion: a bound that turns a hang into a failure (with the servers reaped). */
const HANG_GUARD_MS = 300_000;
const needRedis = haveRedis ? false : 'redis-server is not installed';

function checkRdb(file: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('redis-check-rdb', [file], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
  });
}

const client = connectClient;

/** The keel CLI (check-rdb, rdb). */
function checkCli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
  });
}

/** Every server a test starts is registered and stopped when the file's tests end (see trackResources). */
const tracked = trackResources();
const spawn = tracked.spawn;
const keel = tracked.keel;
const redisServer = tracked.redis;

describe('RDB round trip and interoperability', { timeout: HANG_GUARD_MS }, () => {
  test('every type and encoding survives SAVE and a restart', async () => {
    const dir = tempDir();
    const a = await keel({ dir });
    const r = a.client();
    await writeDataset(r, { big: true });
    const before = await dumpServer(r);
    const digest = await r.call('DEBUG', 'DIGEST');
    assert.equal(await r.save(), 'OK');
    await a.close();
    const b = await keel({ dir });
    try {
      const r2 = b.client();
      assert.deepEqual(await dumpServer(r2), before);
      assert.equal(await r2.call('DEBUG', 'DIGEST'), digest);
      assert.equal(await r2.call('DEBUG', 'RELOAD'), 'OK');
      assert.equal(await r2.call('DEBUG', 'DIGEST'), digest);
    } finally {
      await b.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a big dump (checksum verified on a worker thread) loads, and refuses a flipped value byte or checksum byte', async () => {
    const dir = tempDir();
    const a = await keel({ dir });
    const r = a.client();
    // 8 MB of incompressible values: above the size where the CRC is computed in parallel
    for (let i = 0; i < 128; i++) await r.set(`big:${i}`, randomBytes(64 * 1024));
    const digest = await r.call('DEBUG', 'DIGEST');
    assert.equal(await r.save(), 'OK');
    await a.close();
    const file = path.join(dir, 'dump.rdb');
    const good = fs.readFileSync(file);
    assert.ok(good.length > 8 * 1024 * 1024);
    const b = await keel({ dir });
    try {
      assert.equal(await b.client().call('DEBUG', 'DIGEST'), digest);
    } finally {
      await b.close();
    }
    for (const at of [Math.floor(good.length / 2), good.length - 3]) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x40;
      fs.writeFileSync(file, bad);
      await assert.rejects(keel({ dir }), /wrong RDB checksum/);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('rdbcompression no and rdbchecksum no still round trip', async () => {
    const dir = tempDir();
    const a = await keel({ dir, rdbcompression: 'no', rdbchecksum: 'no' });
    const r = a.client();
    await writeDataset(r);
    const before = await dumpServer(r);
    await r.save();
    const file = fs.readFileSync(path.join(dir, 'dump.rdb'));
    assert.ok(file.subarray(file.length - 8).equals(Buffer.alloc(8)), 'checksum is 8 zero bytes');
    await a.close();
    const b = await keel({ dir });
    try {
      assert.deepEqual(await dumpServer(b.client()), before);
    } finally {
      await b.close();
    }
  });

  // RESIZEDB is a hint a damaged or hostile file can get wrong: the loader must not trust it
  test('a RESIZEDB that claims billions of keys is only a hint: the dump still loads', async () => {
    const dir = tempDir();
    const a = await keel({ dir, rdbchecksum: 'no' });
    const r = a.client();
    await r.mset('a', '1', 'b', '2', 'c', '3');
    await r.save();
    await a.close();
    const file = path.join(dir, 'dump.rdb');
    const buf = fs.readFileSync(file);
    const at = buf.indexOf(Buffer.from([0xfe, 0x00, 0xfb])); // SELECTDB 0, RESIZEDB
    assert.ok(at > 0, 'found SELECTDB 0 + RESIZEDB');
    assert.equal(buf[at + 3], 3, 'RESIZEDB size 3 as a 6-bit length');
    // the same RESIZEDB with 32-bit lengths: 0xffffffff keys, 0xffffffff expires
    const patched = Buffer.concat([buf.subarray(0, at + 3), Buffer.from([0x80, 0xff, 0xff, 0xff, 0xff, 0x80, 0xff, 0xff, 0xff, 0xff]), buf.subarray(at + 5)]);
    fs.writeFileSync(file, patched);
    const b = await keel({ dir });
    try {
      assert.deepEqual(await b.client().mget('a', 'b', 'c'), ['1', '2', '3']);
    } finally {
      await b.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // found in review: each database's hint was capped by the file size on its own, so 16 of them
  // (and their expires tables) reserved 32 times what the file could hold, and kept it
  test('RESIZEDB hints in every database together reserve no more than the file has room for', async () => {
    const dir = tempDir();
    const resize = Buffer.from([0xfb, 0x80, 0xff, 0xff, 0xff, 0xff, 0x80, 0xff, 0xff, 0xff, 0xff]);
    const parts: Buffer[] = [Buffer.from('REDIS0010', 'latin1')];
    for (let db = 0; db < 16; db++) parts.push(Buffer.from([0xfe, db]), resize, Buffer.from([0]), stringBytes(`k${db}`, false), stringBytes('v', false));
    parts.push(Buffer.from([0]), stringBytes('padding', false), stringBytes('p'.repeat(3 * 1024 * 1024), false), Buffer.from([0xff]), Buffer.alloc(8));
    fs.writeFileSync(path.join(dir, 'dump.rdb'), Buffer.concat(parts));
    const b = await keel({ dir });
    try {
      const r = b.client();
      assert.equal((await r.info('keyspace')).match(/^db\d+:keys=/gm)?.length, 16);
      const used = Number(/used_memory:(\d+)/.exec(await r.info('memory'))![1]);
      // one table of a million slots is ~25 MB; 32 of them were 2.4 GB
      assert.ok(used < 300 * 1024 * 1024, `used_memory ${used}`);
    } finally {
      await b.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("Keel's dump passes redis-check-rdb and loads in redis-server with identical contents", { skip: needRedis }, async () => {
    const dir = tempDir();
    const a = await keel({ dir });
    const r = a.client();
    await writeDataset(r, { big: true });
    const expected = await dumpServer(r);
    const digest = await r.call('DEBUG', 'DIGEST');
    await r.save();
    await a.close();
    const check = await checkRdb(path.join(dir, 'dump.rdb'));
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /RDB looks OK/);
    const redis = await redisServer(['--dir', dir, '--dbfilename', 'dump.rdb', '--enable-debug-command', 'yes']);
    try {
      const rr = client(redis.port);
      assert.deepEqual(await dumpServer(rr), expected);
      // Keel computes Redis's digest: equal digests on both sides check a migration
      assert.equal(await rr.call('DEBUG', 'DIGEST'), digest);
      rr.disconnect();
    } finally {
      await redis.stop();
    }
  });

  for (const variant of [[], ['--list-max-listpack-size', '4', '--hash-max-listpack-entries', '1000', '--rdbcompression', 'no']]) {
    test(`redis-server's dump loads in Keel with identical contents ${variant.join(' ')}`, { skip: needRedis }, async () => {
      const dir = tempDir();
      const redis = await redisServer(['--dir', dir, '--enable-debug-command', 'yes', ...variant]);
      let expected;
      let digest;
      let values;
      try {
        const rr = client(redis.port);
        await writeDataset(rr, { big: true });
        expected = await dumpServer(rr);
        digest = await rr.call('DEBUG', 'DIGEST');
        values = await rr.call('DEBUG', 'DIGEST-VALUE', ...(await rr.keysBuffer('*')).sort(Buffer.compare), 'no-such-key');
        await rr.save();
        rr.disconnect();
      } finally {
        await redis.stop();
      }
      const k = await keel({ dir });
      try {
        assert.deepEqual(await dumpServer(k.client()), expected);
        assert.equal(await k.client().call('DEBUG', 'DIGEST'), digest);
        const keys = (await k.client().keysBuffer('*')).sort(Buffer.compare);
        assert.ok(keys.length > 10);
        assert.deepEqual(await k.client().call('DEBUG', 'DIGEST-VALUE', ...keys, 'no-such-key'), values);
      } finally {
        await k.close();
      }
    });
  }
});

describe('BGSAVE', { timeout: HANG_GUARD_MS }, () => {
  // "packed": the small collections come from a load (DEBUG RELOAD), still in their listpacks
  // and intsets (store/packed.ts) when the snapshot starts and when the writes below change them
  for (const packed of [false, true]) {
  test(`the file equals the dataset at the instant BGSAVE was accepted, whatever happens meanwhile${packed ? ' (values still packed from a load)' : ''}`, async () => {
    const dir = tempDir();
    const a = await keel({ dir, 'rdb-key-save-delay': 200 });
    const r = a.client();
    try {
      await writeDataset(r);
      const p = r.pipeline();
      for (let i = 0; i < 300; i++) p.set(`k${i}`, `v${i}`);
      p.rpush('biglist', ...Array.from({ length: 6000 }, (_, i) => `b${i}`));
      for (let i = 0; i < 50; i++) p.hset(`h${i}`, 'f', `v${i}`, 'n', String(i));
      await p.exec();
      if (packed) assert.equal(await r.call('DEBUG', 'RELOAD'), 'OK');
      await r.set('will-expire', 'x', 'PX', 400);
      const expected = await dumpServer(r);
      delete expected['0:will-expire']; // it expires before the comparison; its TTL is what matters
      assert.equal(await r.bgsave(), 'Background saving started');
      assert.deepEqual(await r.bgsave().catch((e: Error) => e.message), 'ERR Background save already in progress');
      // churn while the snapshot is being written
      const w = a.client();
      for (let i = 0; i < 300; i += 3) {
        await w.set(`k${i}`, 'changed');
        await w.del(`k${i + 1}`);
        await w.rename(`k${i + 2}`, `renamed${i}`);
      }
      await w.lpush('biglist', 'new-head');
      await w.rpop('biglist');
      await w.hset('hash:small', 'f1', 'changed');
      await w.zadd('zset:small', '100', 'a');
      await w.sadd('set:str', 'd');
      await w.sadd('set:int16', '4');
      await w.rpush('list:small', 'z');
      await w.lpop('list:small');
      await w.hgetall('hash:longval');
      await w.zrem('zset:small', 'b');
      for (let i = 0; i < 50; i += 2) {
        await w.hset(`h${i}`, 'f', 'changed');
        await w.set(`h${i + 1}`, 'now a string');
      }
      await w.swapdb(1, 7);
      await w.select(15);
      await w.flushdb();
      await w.select(0);
      await w.set('created-after', 'x');
      assert.match(await r.info('persistence'), /rdb_bgsave_in_progress:1/);
      await waitFor(async () => /rdb_bgsave_in_progress:0/.test(await r.info('persistence')), 60000, 50);
      const info = await r.info('persistence');
      assert.match(info, /rdb_last_bgsave_status:ok/);
      assert.match(info, /rdb_last_cow_size:[1-9]/);
      // load the file in a fresh server and compare with the dataset as it was
      const copy = tempDir();
      fs.copyFileSync(path.join(dir, 'dump.rdb'), path.join(copy, 'dump.rdb'));
      const b = await keel({ dir: copy });
      try {
        const got = await dumpServer(b.client());
        delete got['0:will-expire'];
        assert.deepEqual(got, expected);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });
  }

  // as redis-server 7.0.15 counts (found by a persistence fuzzer): FLUSHALL adds the keys it
  // removed, nothing more, and its snapshot under save rules leaves 0
  test('rdb_changes_since_last_save after FLUSHALL', async () => {
    const a = await keel({ dir: tempDir() });
    try {
      const r = a.client();
      const changes = async () => Number(/^rdb_changes_since_last_save:(\d+)\r$/m.exec((await r.info('persistence')) as string)![1]);
      await r.save();
      await r.mset('a', '1', 'b', '2', 'c', '3');
      await r.flushall();
      assert.equal(await changes(), 6);
      await r.flushall();
      assert.equal(await changes(), 6);
      await r.config('SET', 'save', '3600 1');
      await r.set('d', '4');
      await r.flushall();
      assert.equal(await changes(), 0);
    } finally {
      await a.close();
    }
  });

  test('save rules trigger a background save; LASTSAVE moves', async () => {
    const dir = tempDir();
    const a = await keel({ dir, save: '1 1' });
    try {
      const r = a.client();
      const last = (await r.lastsave()) as number;
      await r.set('a', '1');
      await waitFor(() => fs.existsSync(path.join(dir, 'dump.rdb')), 10000, 50);
      await waitFor(async () => ((await r.lastsave()) as number) > last || /rdb_changes_since_last_save:0/.test(await r.info('persistence')), 10000, 50);
      assert.match(await r.info('persistence'), /rdb_saves:[1-9]/);
    } finally {
      await a.close();
    }
  });

  test('a failed background save sets err and MISCONF until a save succeeds', async () => {
    const dir = tempDir();
    const a = await keel({ dir, save: '3600 1', 'enable-protected-configs': 'yes' });
    try {
      const r = await a.raw();
      const gone = path.join(dir, 'gone');
      fs.mkdirSync(gone);
      await r.call('CONFIG', 'SET', 'dir', gone);
      fs.rmSync(gone, { recursive: true });
      // as Redis, whose forked child is what fails to open the file: started, then failed
      assert.equal(await r.call('BGSAVE'), 'Background saving started');
      await waitFor(async () => /rdb_last_bgsave_status:err/.test((await r.call('INFO', 'persistence')) as string), 5000, 20);
      const refused = await r.call('SET', 'x', '1');
      assert.ok(refused instanceof RespError);
      assert.match(refused.message, /^MISCONF /);
      assert.equal(await r.call('GET', 'x'), null); // reads still work
      await r.call('CONFIG', 'SET', 'dir', dir);
      assert.equal(await r.call('BGSAVE'), 'Background saving started');
      await waitFor(async () => /rdb_last_bgsave_status:ok/.test((await r.call('INFO', 'persistence')) as string), 5000, 20);
      assert.equal(await r.call('SET', 'x', '1'), 'OK');
    } finally {
      await a.close();
    }
  });

  test('writes go to a temp file that is renamed: no torn dump.rdb, no temp files left', async () => {
    const dir = tempDir();
    const a = await keel({ dir });
    try {
      const r = a.client();
      await writeDataset(r);
      await r.bgsave();
      await waitFor(async () => /rdb_bgsave_in_progress:0/.test(await r.info('persistence')), 10000, 20);
      const files = fs.readdirSync(dir);
      assert.deepEqual(files, ['dump.rdb']);
    } finally {
      await a.close();
    }
  });
});

describe('loading', { timeout: HANG_GUARD_MS }, () => {
  test('a truncated or corrupt dump refuses to start, naming the file and offset', async () => {
    const dir = tempDir();
    const a = await keel({ dir });
    await writeDataset(a.client());
    await a.client().save();
    await a.close();
    const file = path.join(dir, 'dump.rdb');
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, good.subarray(0, Math.floor(good.length / 2)));
    await assert.rejects(keel({ dir }), /dump\.rdb.*offset \d+/s);
    const flipped = Buffer.from(good);
    flipped[200] ^= 0xff;
    fs.writeFileSync(file, flipped);
    await assert.rejects(keel({ dir }), /(checksum|offset)/);
    fs.writeFileSync(file, Buffer.from('NOTREDIS0010'));
    await assert.rejects(keel({ dir }), /not an RDB file/);
  });

  // Redis's loader stops at the checksum and ignores what follows (so does redis-check-rdb); Keel
  // once refused such a dump. It loads it now and logs what it ignored, with the file and offset.
  test('bytes after the checksum are ignored as Redis ignores them, with a warning naming file and offset', async () => {
    const dir = tempDir();
    const a = await keel({ dir });
    await writeDataset(a.client());
    const digest = await a.client().call('DEBUG', 'DIGEST');
    await a.client().save();
    await a.close();
    const file = path.join(dir, 'dump.rdb');
    const good = fs.readFileSync(file);
    const trailer = Buffer.from('*1\r\n$8\r\nFLUSHALL\r\n');
    fs.writeFileSync(file, Buffer.concat([good, trailer]));
    const k = await keel({ dir, logfile: path.join(dir, 'keel.log'), loglevel: 'notice' });
    try {
      assert.equal(await k.client().call('DEBUG', 'DIGEST'), digest);
    } finally {
      await k.close();
    }
    const log = fs.readFileSync(path.join(dir, 'keel.log'), 'latin1');
    assert.ok(log.includes(`${file}: ${trailer.length} bytes after the end of the RDB (offset ${good.length}) were ignored`), log);
    const check = await checkCli(['check-rdb', file]);
    assert.equal(check.code, 0, check.out);
    assert.ok(check.out.includes(`[offset ${good.length}] ${trailer.length} bytes after the end of the RDB: ignored`), check.out);
    if (haveRedis) assert.equal((await checkRdb(file)).code, 0, 'redis-check-rdb accepts it too');
  });

  // Redis 7.0 skips a key whose collection is empty ("rdbLoadObject skipping empty key") and a
  // quicklist node with no elements, and refuses an intset with none; Keel once loaded such keys
  // as existing empty ones, and its next dump was refused by redis-check-rdb (found by a test helper).
  test('empty collections in a dump are skipped as redis-server skips them; an empty intset is refused', async () => {
    const str = (x: string) => stringBytes(x, false);
    const key = (type: number, name: string, ...body: Buffer[]) => Buffer.concat([Buffer.from([type]), str(name), ...body]);
    const blob = (b: Buffer) => Buffer.concat([lenBytes(b.length), b]);
    const rdb = (...entries: Buffer[]) =>
      Buffer.concat([Buffer.from('REDIS0010\xfe\x00', 'latin1'), ...entries, Buffer.from([0xff]), Buffer.alloc(8)]);
    const file = rdb(
      key(0, 'ok', str('v')),
      key(4, 'hash', lenBytes(0)),
      key(2, 'set', lenBytes(0)),
      key(1, 'list', lenBytes(0)),
      key(5, 'zset', lenBytes(0)),
      key(16, 'hash-listpack', blob(encodeListpack([]))),
      key(17, 'zset-listpack', blob(encodeListpack([]))),
      // quicklist 2: an empty node is skipped; a list of empty nodes is an empty key
      key(18, 'ql', lenBytes(2), lenBytes(2), blob(encodeListpack([])), lenBytes(2), blob(encodeListpack(['a', '1']))),
      key(18, 'ql-empty', lenBytes(1), lenBytes(2), blob(encodeListpack([]))),
    );
    const expectLoaded = async (port: number) => {
      const r = client(port);
      try {
        assert.equal(await r.dbsize(), 2);
        assert.equal(await r.get('ok'), 'v');
        assert.deepEqual(await r.lrange('ql', 0, -1), ['a', '1']);
      } finally {
        r.disconnect();
      }
    };
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'dump.rdb'), file);
    const k = await keel({ dir, logfile: path.join(dir, 'keel.log'), loglevel: 'notice' });
    try {
      await expectLoaded(k.port);
      const info = (await k.client().info('persistence')) as string;
      assert.match(info, /^rdb_last_load_keys_loaded:2\r$/m);
      assert.match(info, /^rdb_last_load_keys_expired:0\r$/m);
      await k.client().save();
    } finally {
      await k.close();
    }
    assert.match(fs.readFileSync(path.join(dir, 'keel.log'), 'latin1'), /rdbLoadObject skipping empty key: hash-listpack/);
    const saved = await checkCli(['check-rdb', path.join(dir, 'dump.rdb')]);
    assert.equal(saved.code, 0, saved.out);
    fs.writeFileSync(path.join(dir, 'empty.rdb'), file);
    const check = await checkCli(['check-rdb', path.join(dir, 'empty.rdb')]);
    assert.equal(check.code, 1);
    assert.match(check.out, /key "hash" is an empty hash/);
    const emptyIntset = rdb(key(0, 'ok', str('v')), key(11, 'intset', blob(Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]))));
    fs.writeFileSync(path.join(dir, 'dump.rdb'), emptyIntset);
    await assert.rejects(keel({ dir }), /Intset integrity check failed/);
    if (!haveRedis) return;
    const rdir = tempDir();
    fs.writeFileSync(path.join(rdir, 'dump.rdb'), file);
    const redis = await redisServer(['--dir', rdir]);
    try {
      await expectLoaded(redis.port);
    } finally {
      await redis.stop();
    }
    assert.equal((await checkRdb(path.join(dir, 'dump.rdb'))).code !== 0, true, 'redis-check-rdb refuses the empty intset too');
  });

  // Redis keeps strings up to 512 MB; V8's longest is 536,870,888: such a file stops the load
  // with the offset, instead of the RangeError that once came out of the parse
  test('a string longer than Keel can hold, written by redis-server, stops the load with the offset', { skip: needRedis }, async () => {
    const dir = tempDir();
    const redis = await redisServer(['--dir', dir]);
    try {
      const r = client(redis.port);
      assert.equal(await r.setrange('s', 536_870_900, 'x'), 536_870_901);
      await r.save();
      r.disconnect();
    } finally {
      await redis.stop();
    }
    await assert.rejects(keel({ dir }), /a string of 536870901 bytes is longer than Keel can hold \(536870888\) \(at offset \d+\)/);
  });

  // Redis 7.0 serves only commands flagged `loading` while it loads: INFO does, PING does not
  // (its flags are just `fast`), nor any data command; all get -LOADING until the load ends.
  test('while loading, INFO answers and PING and data commands get -LOADING', async () => {
    const dir = tempDir();
    const a = await keel({ dir });
    try {
      const r = a.client();
      for (let i = 0; i < 20; i++) {
        const p = r.pipeline();
        for (let j = 0; j < 1000; j++) p.set(`key:${i}:${j}`, `value-${j}`);
        await p.exec();
      }
      await r.save();
    } finally {
      await a.close();
    }
    // key-load-delay makes the load take ~2 s whatever the machine's speed (20,000 keys x 100 µs)
    const k = await spawn(['--dir', dir, '--save', '', '--key-load-delay', '100']);
    const conn = await RawConn.connect(k.port);
    try {
      let whileLoading = 0;
      for (;;) {
        const info = (await conn.call('INFO', 'persistence')) as string;
        assert.equal(typeof info, 'string', `INFO answers while loading: ${JSON.stringify(info)}`);
        const ping = await conn.call('PING');
        const get = await conn.call('GET', 'key:0:1');
        if (!/^loading:1\r$/m.test(info)) break;
        // the load may end between INFO and the next command: only -LOADING or the real answer
        assert.ok(ping === 'PONG' || (ping instanceof RespError && ping.message === 'LOADING Redis is loading the dataset in memory'), String(ping));
        assert.ok(get === 'value-1' || (get instanceof RespError && get.message === 'LOADING Redis is loading the dataset in memory'), String(get));
        if (ping instanceof RespError && get instanceof RespError) whileLoading++;
        await sleep(5);
      }
      assert.ok(whileLoading > 0, 'some commands were refused while the dataset loaded');
      assert.equal(await conn.call('PING'), 'PONG');
      assert.equal(await conn.call('GET', 'key:19:999'), 'value-999');
      assert.equal(await conn.call('DBSIZE'), 20000);
    } finally {
      conn.close();
      k.proc.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shutdown', { timeout: HANG_GUARD_MS }, () => {
  // Redis forces NOSAVE while loading: what is in memory then is part of the dataset, and a
  // save would replace the file being loaded with it. Keel once did exactly that.
  for (const how of ['SHUTDOWN', 'SHUTDOWN SAVE', 'SIGTERM']) {
    test(`${how} while loading saves nothing and stops the load: dump.rdb is left as it was`, async () => {
      const dir = tempDir();
      try {
        const a = await keel({ dir, save: '' });
        try {
          const r = a.client();
          for (let i = 0; i < 20; i++) await r.mset(Object.fromEntries(Array.from({ length: 1000 }, (_, j) => [`key:${i}:${j}`, `value-${j}`])));
          await r.save();
        } finally {
          await a.close();
        }
        const file = path.join(dir, 'dump.rdb');
        const before = fs.readFileSync(file);
        // about 20 s of loading (20,000 keys x 1 ms), with the default save rules
        const k = await spawn(['--dir', dir, '--key-load-delay', '1000']);
        const conn = await RawConn.connect(k.port);
        try {
          assert.match((await conn.call('INFO', 'persistence')) as string, /^loading:1\r$/m);
        } finally {
          conn.close();
        }
        if (how === 'SIGTERM') k.proc.kill('SIGTERM');
        else await shutdownCommand(k.port, ...how.split(' ').slice(1));
        await exited(k.proc);
        if (how === 'SIGTERM') assert.match(k.output(), /Received shutdown signal during loading, scheduling shutdown/);
        assert.equal(k.proc.exitCode, 0, k.output());
        assert.doesNotMatch(k.output(), /DB saved on disk|Done loading/);
        assert.ok(fs.readFileSync(file).equals(before), 'dump.rdb is untouched');
        assert.deepEqual(fs.readdirSync(dir), ['dump.rdb']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('SIGTERM saves when save rules are set; SHUTDOWN NOSAVE does not', async () => {
    const dir = tempDir();
    try {
      const k = await spawn(['--dir', dir, '--save', '3600 1']);
      const r = client(k.port);
      try {
        await r.set('persist', 'me');
      } finally {
        r.disconnect();
      }
      k.proc.kill('SIGTERM');
      await exited(k.proc);
      assert.equal(k.proc.exitCode, 0, k.output());
      assert.ok(fs.existsSync(path.join(dir, 'dump.rdb')));
      assert.match(k.output(), /DB saved on disk/);

      const k2 = await spawn(['--dir', dir, '--save', '3600 1']);
      const r2 = client(k2.port);
      try {
        assert.equal(await r2.get('persist'), 'me');
        await r2.set('persist', 'changed');
      } finally {
        r2.disconnect();
      }
      await shutdownCommand(k2.port, 'NOSAVE');
      await exited(k2.proc);
      assert.equal(k2.proc.exitCode, 0, k2.output());
      assert.doesNotMatch(k2.output(), /DB saved on disk/);

      const k3 = await spawn(['--dir', dir, '--save', '']);
      const r3 = client(k3.port);
      try {
        assert.equal(await r3.get('persist'), 'me');
      } finally {
        r3.disconnect();
        k3.proc.kill('SIGKILL');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DUMP and RESTORE', { timeout: HANG_GUARD_MS }, () => {
  test('payloads are byte-compatible with redis-server 7.0 both ways', { skip: needRedis }, async () => {
    const k = await keel();
    const redis = await redisServer();
    const kr = k.client();
    const rr = client(redis.port);
    try {
      for (const r of [kr, rr]) {
        await r.set('s', 'hello');
        await r.set('i', '12345');
        await r.rpush('l', 'a', '1', 'bb');
        await r.hset('h', 'f', 'v', 'n', '7');
        await r.sadd('si', '3', '1', '2');
        await r.zadd('z', '1', 'a', '2.5', 'b');
      }
      for (const key of ['s', 'i', 'l', 'h', 'si', 'z']) {
        const a = await kr.dumpBuffer(key);
        const b = await rr.dumpBuffer(key);
        assert.deepEqual(a, b, `DUMP ${key}`);
      }
      // cross-restore values Redis compresses, and big encodings
      await rr.set('long', 'abc'.repeat(1000));
      await rr.zadd('bigz', ...Array.from({ length: 300 }, (_, i) => [String(i), `m${i}`]).flat());
      for (const key of ['long', 'bigz']) {
        const payload = await rr.dumpBuffer(key);
        assert.equal(await kr.restore(key, 0, payload, 'REPLACE'), 'OK');
        assert.deepEqual(await kr.dumpBuffer(key).then((p) => kr.restore(`${key}2`, 0, p)), 'OK');
        assert.equal(await rr.restore(`${key}-back`, 0, await kr.dumpBuffer(key)), 'OK');
      }
      assert.equal(await kr.get('long'), 'abc'.repeat(1000));
      assert.deepEqual(await rr.call('ZRANGE', 'bigz-back', '0', '-1', 'WITHSCORES'), await rr.call('ZRANGE', 'bigz', '0', '-1', 'WITHSCORES'));
    } finally {
      kr.disconnect();
      rr.disconnect();
      await k.close();
      await redis.stop();
    }
  });

  test('RESTORE options and errors', async () => {
    const k = await keel();
    try {
      const r = await k.raw();
      await r.call('SET', 'src', 'v');
      const payload = (await r.call('DUMP', 'src')) as string;
      assert.deepEqual(await r.call('RESTORE', 'src', '0', payload), new RespError('BUSYKEY Target key name already exists.'));
      assert.equal(await r.call('RESTORE', 'dst', '5000', payload), 'OK');
      const pttl = (await r.call('PTTL', 'dst')) as number;
      assert.ok(pttl > 4000 && pttl <= 5000);
      assert.equal(await r.call('RESTORE', 'abs', String(Date.now() + 100000), payload, 'ABSTTL'), 'OK');
      assert.equal(await r.call('RESTORE', 'dst', '0', payload, 'REPLACE', 'IDLETIME', '1000'), 'OK');
      assert.ok(((await r.call('OBJECT', 'IDLETIME', 'dst')) as number) >= 999);
      // TYPE and EXISTS leave the access time alone, as Redis's LOOKUP_NOTOUCH (a scan for idle keys uses them)
      assert.equal(await r.call('TYPE', 'dst'), 'string');
      assert.equal(await r.call('EXISTS', 'dst'), 1);
      assert.ok(((await r.call('OBJECT', 'IDLETIME', 'dst')) as number) >= 999);
      await r.call('GET', 'dst');
      assert.ok(((await r.call('OBJECT', 'IDLETIME', 'dst')) as number) <= 1);
      assert.deepEqual(await r.call('RESTORE', 'x', '-1', payload), new RespError('ERR Invalid TTL value, must be >= 0'));
      const bad = Buffer.from(payload, 'latin1');
      bad[1] ^= 1;
      assert.deepEqual(await r.call('RESTORE', 'x', '0', bad.toString('latin1')), new RespError('ERR DUMP payload version or checksum are wrong'));
      assert.deepEqual(await r.call('RESTORE', 'x', '0', payload, 'FREQ', '300'), new RespError('ERR Invalid FREQ value, must be >= 0 and <= 255'));
      assert.deepEqual(await r.call('RESTORE', 'x', '0', payload, 'BOGUS'), new RespError('ERR syntax error'));
      assert.equal(await r.call('DUMP', 'nokey'), null);
    } finally {
      await k.close();
    }
  });
});
