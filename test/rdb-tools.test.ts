/**
 * `keel check-rdb` and `keel rdb`, run as the real CLI on dumps written by Keel and by
 * redis-server 7.0, on damaged files, and on files holding data Keel cannot load.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { startTestServer, tempDir, hasRedisServer, CLI } from './helpers';
import { ByteConn, startRedis } from './differential';
import { checkRdbBuffer } from '../src/tools/check-rdb';

const haveRedis = hasRedisServer();
const needRedis = haveRedis ? false : 'redis-server is not installed';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const keel = (...args: string[]): Promise<Run> => run(process.execPath, [CLI, ...args]);

// ------------------------------------------------------------------ the dataset and its model

type Model = { type: string; expireAt: number | null; value: unknown };
/** `${db}:${key}` (key as latin1) -> what `keel rdb` must print for it, normalized */
type Dataset = Map<string, Model>;

const EXPIRE_AT = 4102444800123; // 2100-01-01: far enough not to expire during the test, exact ms to compare
const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** Writes every type (small and large encodings, binary and UTF-8 bytes, expiries, two dbs) and returns the model. */
async function writeDataset(port: number, opts: { small?: boolean } = {}): Promise<Dataset> {
  const c = await ByteConn.connect(port);
  const m: Dataset = new Map();
  let db = 0;
  const call = async (...argv: string[]): Promise<void> => {
    const r = await c.call(argv);
    assert.ok(!r.startsWith('-'), `${argv[0]} ${argv[1]}: ${r}`);
  };
  const str = async (k: string, v: string): Promise<void> => {
    await call('SET', k, v);
    m.set(`${db}:${k}`, { type: 'string', expireAt: null, value: v });
  };
  const list = async (k: string, items: string[]): Promise<void> => {
    await call('RPUSH', k, ...items);
    m.set(`${db}:${k}`, { type: 'list', expireAt: null, value: items });
  };
  const set = async (k: string, items: string[]): Promise<void> => {
    await call('SADD', k, ...items);
    m.set(`${db}:${k}`, { type: 'set', expireAt: null, value: [...items].sort() });
  };
  const hash = async (k: string, pairs: [string, string][]): Promise<void> => {
    await call('HSET', k, ...pairs.flat());
    m.set(`${db}:${k}`, { type: 'hash', expireAt: null, value: [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : 1)) });
  };
  const zset = async (k: string, pairs: [string, number][]): Promise<void> => {
    await call('ZADD', k, ...pairs.flatMap(([mem, s]) => [s === Infinity ? '+inf' : s === -Infinity ? '-inf' : String(s), mem]));
    const sorted = [...pairs].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    m.set(`${db}:${k}`, { type: 'zset', expireAt: null, value: sorted });
  };
  const expire = async (k: string): Promise<void> => {
    await call('PEXPIREAT', k, String(EXPIRE_AT));
    m.get(`${db}:${k}`)!.expireAt = EXPIRE_AT;
  };
  const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));

  await call('FLUSHALL');
  await str('str:plain', 'hello');
  await str('str:int', '12345');
  await str('str:utf8', utf8('héllo wörld ✓ 🚀'));
  await str('str:bin', '\x00\xff\xfe\r\n\x80');
  await str('\xff\x00bin-key', 'v');
  await str('str:empty', '');
  await list('list:small', ['a', 'b', '1', '-2']);
  await set('set:int', range(20, (i) => String(i * 7 - 30)));
  await set('set:str', ['a', 'b', '\xff\xfe']);
  await zset('zset:small', [['a', 1], ['b', 2.5], ['c', -Infinity], ['d', Infinity], ['\xc3', -0.125]]);
  await hash('hash:small', [['f1', 'v1'], ['f2', '\xff'], [utf8('ключ'), utf8('значение')]]);
  await expire('str:plain');
  if (!opts.small) {
    await str('str:long', 'abc'.repeat(400)); // compressible: an LZF string
    await str('str:neg', '-9876543210');
    await list('list:big', range(3000, (i) => `item-${i}`)); // several quicklist nodes
    await set('set:big', range(300, (i) => `member-${i}`));
    await zset('zset:big', Array.from({ length: 200 }, (_, i): [string, number] => [`m${i}`, i / 3 - 20]));
    await hash('hash:big', Array.from({ length: 600 }, (_, i): [string, string] => [`field-${i}`, `value-${i}-${'v'.repeat(i % 50)}`]));
    await expire('hash:big');
  }
  db = 2;
  await call('SELECT', '2');
  await str('str:plain', 'other db');
  await list('exp:list', ['x']);
  await expire('exp:list');
  if (!opts.small) {
    // enough lines that `keel rdb` flushes its output many times
    for (let i = 0; i < 1500; i += 100) {
      const args: string[] = [];
      for (let j = i; j < i + 100; j++) {
        args.push(`many:${j}`, `value ${j}`);
        m.set(`2:many:${j}`, { type: 'string', expireAt: null, value: `value ${j}` });
      }
      await call('MSET', ...args);
    }
  }
  await call('SAVE');
  c.close();
  return m;
}

// ------------------------------------------------------------------ reading `keel rdb` output back

function fromJsonBytes(x: unknown): string {
  if (typeof x === 'string') return Buffer.from(x, 'utf8').toString('latin1');
  const b64 = (x as { base64?: unknown }).base64;
  assert.equal(typeof b64, 'string', `a byte string is a JSON string or {"base64"}: ${JSON.stringify(x)}`);
  return Buffer.from(b64 as string, 'base64').toString('latin1');
}

function fromJsonScore(x: unknown): number {
  if (x === 'inf') return Infinity;
  if (x === '-inf') return -Infinity;
  assert.equal(typeof x, 'number');
  return x as number;
}

function parseJsonLines(out: string): Dataset {
  const got: Dataset = new Map();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const o = JSON.parse(line) as { db: number; key: unknown; type: string; expireAt: number | null; value: unknown };
    assert.deepEqual(Object.keys(o), ['db', 'key', 'type', 'expireAt', 'value']);
    const v = o.value;
    let value: unknown;
    if (o.type === 'string') value = fromJsonBytes(v);
    else if (o.type === 'list') value = (v as unknown[]).map(fromJsonBytes);
    else if (o.type === 'set') value = (v as unknown[]).map(fromJsonBytes).sort();
    else if (o.type === 'hash') value = (v as [unknown, unknown][]).map(([f, x]) => [fromJsonBytes(f), fromJsonBytes(x)]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    else if (o.type === 'zset') value = (v as [unknown, unknown][]).map(([mem, s]) => [fromJsonBytes(mem), fromJsonScore(s)]); // kept in file order: it must already be score order
    else assert.fail(`unexpected type ${o.type}`);
    const k = `${o.db}:${fromJsonBytes(o.key)}`;
    assert.ok(!got.has(k), `key ${k} printed twice`);
    got.set(k, { type: o.type, expireAt: o.expireAt, value });
  }
  return got;
}

function sortedEntries(d: Dataset): [string, Model][] {
  return [...d].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** The counts check-rdb must report for a dataset. */
function expectedInfo(d: Dataset): string[] {
  const byDb = new Map<string, [number, number]>();
  const byType = new Map<string, number>();
  for (const [k, m] of d) {
    const db = k.slice(0, k.indexOf(':'));
    const e = byDb.get(db) ?? [0, 0];
    e[0]++;
    if (m.expireAt !== null) e[1]++;
    byDb.set(db, e);
    byType.set(m.type, (byType.get(m.type) ?? 0) + 1);
  }
  const expires = [...d.values()].filter((m) => m.expireAt !== null).length;
  return [
    `[info] ${d.size} keys read`,
    `[info] ${expires} expires`,
    '[info] 0 already expired',
    ...[...byDb].map(([db, [n, e]]) => `[info] db ${db}: ${n} keys, ${e} expires`),
    ...[...byType].sort().map(([t, n]) => `[info] type ${t}: ${n} keys`),
  ];
}

function assertReportOk(r: Run, file: string, d: Dataset): void {
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], `[offset 0] Checking RDB file ${file}`);
  assert.equal(lines[1], '[offset 9] RDB version 10');
  assert.match(r.stdout, /^\[offset 27\] AUX FIELD redis-ver = '7\.0\.\d+'$/m);
  assert.match(r.stdout, /^\[offset \d+\] Selecting DB ID 2$/m);
  const size = fs.statSync(file).size;
  assert.ok(lines.includes(`[offset ${size}] Checksum OK`), r.stdout);
  assert.ok(lines.includes(`[offset ${size}] \\o/ RDB looks OK! \\o/`), r.stdout);
  for (const l of expectedInfo(d)) assert.ok(lines.includes(l), `missing "${l}" in\n${r.stdout}`);
}

// ------------------------------------------------------------------ dumps shared by the tests

let work: string;
let keelDump: string;
let keelModel: Dataset;
let smallDump: Buffer;
let redisDump: string;
let redisModel: Dataset;
let streamDump: string;
let functionDump: string;

before(async () => {
  work = tempDir('keel-rdb-tools-');
  const k = await startTestServer();
  try {
    keelModel = await writeDataset(k.port);
    keelDump = path.join(work, 'keel.rdb');
    fs.copyFileSync(path.join(k.dir, 'dump.rdb'), keelDump);
    await writeDataset(k.port, { small: true });
    smallDump = fs.readFileSync(path.join(k.dir, 'dump.rdb'));
  } finally {
    await k.close();
  }
  if (!haveRedis) return;
  const dir = path.join(work, 'redis');
  fs.mkdirSync(dir);
  const r = await startRedis(['--dir', dir]);
  try {
    redisModel = await writeDataset(r.port);
    redisDump = path.join(work, 'redis.rdb');
    fs.copyFileSync(path.join(dir, 'dump.rdb'), redisDump);
    const c = await ByteConn.connect(r.port);
    await c.call(['FLUSHALL']);
    await c.call(['SET', 'before', '1']);
    assert.match(await c.call(['XADD', 'events', '*', 'field', 'value']), /^\$/);
    await c.call(['SAVE']);
    streamDump = path.join(work, 'stream.rdb');
    fs.copyFileSync(path.join(dir, 'dump.rdb'), streamDump);
    await c.call(['FLUSHALL']);
    const lib = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 1 end)";
    assert.equal(await c.call(['FUNCTION', 'LOAD', lib]), '$5\r\nmylib\r\n');
    await c.call(['SET', 'k', 'v']);
    await c.call(['SAVE']);
    functionDump = path.join(work, 'function.rdb');
    fs.copyFileSync(path.join(dir, 'dump.rdb'), functionDump);
    c.close();
  } finally {
    await r.stop();
  }
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

// ------------------------------------------------------------------ tests

describe('keel check-rdb', () => {
  test("accepts Keel's own dump and reports AUX fields and counts per db and type", async () => {
    assertReportOk(await keel('check-rdb', keelDump), keelDump, keelModel);
  });

  test("accepts redis-server 7.0's dump and agrees with redis-check-rdb on the counts", { skip: needRedis }, async () => {
    const r = await keel('check-rdb', redisDump);
    assertReportOk(r, redisDump, redisModel);
    const theirs = await run('redis-check-rdb', [redisDump]);
    assert.equal(theirs.code, 0, theirs.stdout);
    for (const l of theirs.stdout.split('\n')) {
      // same AUX lines at the same offsets, same key/expire counts
      if (/AUX FIELD|Selecting DB|^\[info\]/.test(l)) assert.ok(r.stdout.split('\n').includes(l), `redis-check-rdb printed "${l}", keel did not`);
    }
  });

  test('truncated files fail with the offset where data ran out', async () => {
    const buf = fs.readFileSync(keelDump);
    const file = path.join(work, 'truncated.rdb');
    for (const cut of [0, 3, 9, 20, Math.floor(buf.length / 3), Math.floor(buf.length / 2), buf.length - 9, buf.length - 8, buf.length - 1]) {
      fs.writeFileSync(file, buf.subarray(0, cut));
      const r = await keel('check-rdb', file);
      assert.equal(r.code, 1, `cut at ${cut}: ${r.stdout}`);
      assert.ok(!r.stdout.includes('RDB looks OK'));
      assert.match(r.stdout, /^--- RDB ERROR DETECTED ---$/m);
      const m = /^\[offset (\d+)\] unexpected end of file/m.exec(r.stdout);
      assert.ok(m, `cut at ${cut}: ${r.stdout}`);
      assert.ok(Number(m[1]) <= cut, `error offset ${m[1]} is within the ${cut} bytes present`);
      if (cut === buf.length - 8 || cut === buf.length - 1) assert.equal(Number(m[1]), buf.length - 8, 'a missing checksum is reported where it starts');
    }
  });

  test('every truncation of a small dump is reported as truncation, never accepted', () => {
    for (let cut = 0; cut < smallDump.length; cut++) {
      const res = checkRdbBuffer(smallDump.subarray(0, cut), () => {});
      assert.equal(res.ok, false, `cut at ${cut}`);
      assert.match(res.error!.reason, /^unexpected end of file/, `cut at ${cut}`);
      assert.ok(res.error!.offset <= cut);
    }
  });

  test('bit flips are detected: a few through the CLI', async () => {
    const buf = fs.readFileSync(keelDump);
    const file = path.join(work, 'flipped.rdb');
    for (const at of [40, Math.floor(buf.length / 2), buf.length - 20, buf.length - 3]) {
      const b = Buffer.from(buf);
      b[at] ^= 0x10;
      fs.writeFileSync(file, b);
      const r = await keel('check-rdb', file);
      assert.equal(r.code, 1, `flip at ${at}: ${r.stdout}`);
      assert.match(r.stdout, /^--- RDB ERROR DETECTED ---\n\[offset \d+\] \S/m);
    }
    // a flip inside a value's bytes leaves the structure valid: only the checksum can tell
    const b = Buffer.from(buf);
    const at = b.indexOf('other db');
    b[at] ^= 0x01;
    fs.writeFileSync(file, b);
    const r = await keel('check-rdb', file);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^\\[offset ${buf.length - 8}\\] wrong RDB checksum`, 'm'));
  });

  test('every single-bit flip of a small dump is detected', () => {
    for (let at = 0; at < smallDump.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const b = Buffer.from(smallDump);
        b[at] ^= 1 << bit;
        const res = checkRdbBuffer(b, () => {});
        assert.equal(res.ok, false, `flip of bit ${bit} at ${at}`);
        assert.ok(res.error!.offset >= 0 && res.error!.offset <= b.length);
      }
    }
  });

  test('a file that is not an RDB, an empty file and a missing file are rejected', async () => {
    const text = path.join(work, 'notes.txt');
    fs.writeFileSync(text, 'hello, this is not an RDB file\n');
    const aof = path.join(work, 'plain.aof');
    fs.writeFileSync(aof, '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n');
    const short = path.join(work, 'short.txt');
    fs.writeFileSync(short, 'hi\n');
    for (const f of [text, aof, short]) {
      const r = await keel('check-rdb', f);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^\[offset 0\] wrong signature: not an RDB file$/m, r.stdout);
    }
    const empty = path.join(work, 'empty.rdb');
    fs.writeFileSync(empty, '');
    const e = await keel('check-rdb', empty);
    assert.equal(e.code, 1);
    assert.match(e.stdout, /^\[offset 0\] unexpected end of file/m);
    const missing = await keel('check-rdb', path.join(work, 'nope.rdb'));
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /Cannot read the file: ENOENT/);
    const usage = await keel('check-rdb');
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /^Usage: keel check-rdb <rdb-file>/);
  });

  test('a stream is reported as unsupported by Keel, not as corruption', { skip: needRedis }, async () => {
    assert.equal((await run('redis-check-rdb', [streamDump])).code, 0, 'the file itself is valid');
    const r = await keel('check-rdb', streamDump);
    assert.equal(r.code, 1);
    assert.ok(!r.stdout.includes('RDB ERROR DETECTED'), r.stdout);
    assert.match(r.stdout, /^--- DATA NOT SUPPORTED BY KEEL ---$/m);
    assert.match(r.stdout, /^\[offset \d+\] key "events" holds a stream \(RDB type 19\), which Keel does not support$/m);
    assert.match(r.stdout, /^\[additional info\] Reading key 'events'$/m);
  });

  test('a Redis Functions library is reported as unsupported by Keel', { skip: needRedis }, async () => {
    assert.equal((await run('redis-check-rdb', [functionDump])).code, 0, 'the file itself is valid');
    const r = await keel('check-rdb', functionDump);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^--- DATA NOT SUPPORTED BY KEEL ---$/m);
    assert.match(r.stdout, /the file contains a Redis Functions library, which Keel does not support/);
  });

  test('a dump written with rdbchecksum no is accepted and says the checksum was not verified', async () => {
    const k = await startTestServer({ rdbchecksum: 'no' });
    try {
      await writeDataset(k.port, { small: true });
      const file = path.join(k.dir, 'dump.rdb');
      const r = await keel('check-rdb', file);
      assert.equal(r.code, 0, r.stdout);
      assert.match(r.stdout, /Checksum is zero \(written with rdbchecksum no\), not verified/);
    } finally {
      await k.close();
    }
  });
});

describe('checkRdbBuffer (used by check-aof for RDB preambles)', () => {
  test('with allowTrailing, endOffset is where the bytes after the checksum begin', () => {
    const resp = Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');
    const lines: string[] = [];
    const res = checkRdbBuffer(Buffer.concat([smallDump, resp]), (l) => lines.push(l), { allowTrailing: true });
    assert.equal(res.ok, true, lines.join('\n'));
    assert.equal(res.endOffset, smallDump.length);
    assert.equal(res.version, 10);
    assert.ok(lines.includes(`[offset ${smallDump.length}] \\o/ RDB looks OK! \\o/`));
    assert.ok(!lines.some((l) => l.includes('Checking RDB file')), 'no file line without a name');

    // a dump file: redis-check-rdb (and Redis's loader) stop at the checksum and ignore the rest
    const plainLines: string[] = [];
    const plain = checkRdbBuffer(Buffer.concat([smallDump, resp]), (l) => plainLines.push(l));
    assert.equal(plain.ok, true, plainLines.join('\n'));
    assert.equal(plain.endOffset, smallDump.length);
    assert.ok(plainLines.includes(`[offset ${smallDump.length}] ${resp.length} bytes after the end of the RDB: ignored, as Redis's loader ignores them`), plainLines.join('\n'));
    assert.ok(!lines.some((l) => l.includes('bytes after the end')), 'a preamble says nothing of what follows it');
  });

  test('counts keys already expired at the given clock', () => {
    const res = checkRdbBuffer(smallDump, () => {}, { now: EXPIRE_AT + 1 });
    assert.equal(res.ok, true);
    assert.equal(res.expires, 2);
    assert.equal(res.alreadyExpired, 2);
    assert.equal(checkRdbBuffer(smallDump, () => {}, { now: EXPIRE_AT - 1 }).alreadyExpired, 0);
  });
});

describe('keel rdb (JSON lines)', () => {
  test("Keel's dump round trips through the JSON output", async () => {
    const r = await keel('rdb', keelDump, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(sortedEntries(parseJsonLines(r.stdout)), sortedEntries(keelModel));
    // the escape is really used for non-UTF-8 bytes, and UTF-8 is printed as text
    assert.ok(r.stdout.includes(`"key":{"base64":"${Buffer.from('\xff\x00bin-key', 'latin1').toString('base64')}"}`));
    assert.ok(r.stdout.includes('"value":"héllo wörld ✓ 🚀"'));
    assert.ok(r.stdout.includes('["d","inf"]') && r.stdout.includes('["c","-inf"]'));
  });

  test("redis-server's dump round trips through the JSON output", { skip: needRedis }, async () => {
    const r = await keel('rdb', redisDump);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(sortedEntries(parseJsonLines(r.stdout)), sortedEntries(redisModel));
  });

  test('unsupported and corrupt files exit 1 with the offset and reason on stderr', { skip: needRedis }, async () => {
    const s = await keel('rdb', streamDump);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /unsupported data at offset \d+: key "events" holds a stream/);
    const buf = fs.readFileSync(keelDump);
    const file = path.join(work, 'cut-for-json.rdb');
    fs.writeFileSync(file, buf.subarray(0, buf.length - 4));
    const c = await keel('rdb', file);
    assert.equal(c.code, 1);
    assert.match(c.stderr, new RegExp(`corrupt RDB at offset ${buf.length - 8}: unexpected end of file`));
    assert.equal(parseJsonLines(c.stdout).size, keelModel.size, 'keys before the error were printed');
  });

  test('bytes after the checksum: every key printed, the ignored bytes named on stderr', async () => {
    const buf = fs.readFileSync(keelDump);
    const file = path.join(work, 'trailing-for-json.rdb');
    fs.writeFileSync(file, Buffer.concat([buf, Buffer.from('tail')]));
    const r = await keel('rdb', file);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(sortedEntries(parseJsonLines(r.stdout)), sortedEntries(keelModel));
    assert.ok(r.stderr.includes(`4 bytes after the end of the RDB (offset ${buf.length}) were ignored`), r.stderr);
  });
});
