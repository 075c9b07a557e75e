/**
 * RDB snapshots under stress, through real `keel server` processes: a point-in-time BGSAVE of
 * a million keys while several clients write, a SIGKILL at random moments of SAVE and BGSAVE,
 * a disk that fills up (a small tmpfs), and huge values (a 64 MB string, a 1,000,000-element
 * list) through SAVE, restart and BGSAVE.
 *
 * Random choices come from one seed, printed as a diagnostic; KEEL_TEST_SEED=<n> replays it.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { randomBytes } from 'node:crypto';
import { execFile, execFileSync, spawn as spawnChild } from 'node:child_process';
import Redis from 'ioredis';
import { waitFor, sleep, spawnKeel, RespError, RawConn, CLI, connectClient, trackResources, killProcess, exited, persistenceInfo } from './helpers';
import { writeDataset } from './dataset';
import { OFFLOAD_MIN_KEYS } from '../src/persistence/offload';

/** Not a timing assertion: a bound that turns a hang into a failure (with the servers reaped). */
const HANG_GUARD_MS = 300_000;
const haveRedisCheckRdb = installed('redis-check-rdb');

function installed(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Redis 7.0.15's shared.bgsaveerr, as redis-server sends it. */
const MISCONF_RDB =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

// ------------------------------------------------------------------ randomness

const SEED = Number(process.env.KEEL_TEST_SEED ?? Date.now() % 2 ** 31);
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const randInt = (n: number, r = random) => Math.floor(r() * n);

// ------------------------------------------------------------------ reaping

/**
 * Every process, client, mount and directory a test creates is registered here and released
 * when the file's tests end, whatever failed (see trackResources).
 */
const tracked = trackResources('keel-rdb-crash-');
const { children, clients, raws } = tracked;
const dirFor = tracked.dir;

type Keel = Awaited<ReturnType<typeof spawnKeel>>;

/** `keel server` on a free port with DEBUG enabled and the given save rules (none by default). */
function spawn(dir: string, extra: string[] = [], save = ''): Promise<Keel> {
  return tracked.spawn(['--dir', dir, '--save', save, '--enable-debug-command', 'yes', ...extra]);
}

function connect(port: number): Redis {
  const r = connectClient(port, { maxRetriesPerRequest: 0, enableOfflineQueue: true });
  clients.add(r);
  return r;
}

function drop(r: Redis): void {
  r.disconnect();
  clients.delete(r);
}

async function rawConn(port: number): Promise<RawConn> {
  const c = await RawConn.connect(port);
  raws.add(c);
  return c;
}

/** Waits until the server has loaded its dataset (it accepts connections before that). */
async function loaded(r: Redis): Promise<void> {
  await waitFor(async () => (await persistenceInfo(r)).loading === '0', 120_000, 20);
}

/** Polls until no BGSAVE runs; `each` sees every INFO read meanwhile. */
async function bgsaveDone(r: Redis, each: (info: Record<string, string>) => void = () => {}): Promise<Record<string, string>> {
  let info: Record<string, string> = {};
  await waitFor(
    async () => {
      info = await persistenceInfo(r);
      each(info);
      return info.rdb_bgsave_in_progress === '0';
    },
    120_000,
    20,
  );
  return info;
}

function tempFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => /^temp-.*\.rdb$/.test(f)).sort();
}

/** Each temp file with its inode, size and mtime: a save (re)writing one changes its entry. */
function tempState(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of tempFiles(dir)) {
    try {
      const st = fs.statSync(path.join(dir, f));
      m.set(f, `${st.ino}:${st.size}:${st.mtimeMs}`);
    } catch {
      /* removed meanwhile */
    }
  }
  return m;
}

/** Whether a temp file appeared or changed since `before` (a reused pid may reuse a name). */
function tempWritten(dir: string, before: Map<string, string>): boolean {
  for (const [f, s] of tempState(dir)) if (before.get(f) !== s) return true;
  return false;
}

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

/** `keel check-rdb`, and redis-check-rdb when installed: both must accept the file. */
async function checkRdb(file: string): Promise<void> {
  const k = await run(process.execPath, [CLI, 'check-rdb', file]);
  assert.equal(k.code, 0, `keel check-rdb ${file}:\n${k.out}`);
  if (haveRedisCheckRdb) {
    const r = await run('redis-check-rdb', [file]);
    assert.equal(r.code, 0, `redis-check-rdb ${file}:\n${r.out}`);
    assert.match(r.out, /RDB looks OK/);
  }
}

interface RdbLine {
  db: number;
  key: string;
  type: string;
  expireAt: number | null;
  value: unknown;
}

/** Every key of an RDB file, streamed from `keel rdb <file> --json`. */
async function* rdbLines(file: string): AsyncGenerator<RdbLine> {
  const p = spawnChild(process.execPath, [CLI, 'rdb', file, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(p);
  let err = '';
  p.stderr!.on('data', (d) => (err += d));
  const rl = readline.createInterface({ input: p.stdout!, crlfDelay: Infinity });
  for await (const line of rl) yield JSON.parse(line) as RdbLine;
  await exited(p);
  children.delete(p);
  if (p.exitCode !== 0) throw new Error(`keel rdb ${file} exited ${p.exitCode}: ${err}`);
}

/**
 * A loop of client work that can be stopped: `body(n)` runs until stop() (or `max` turns, so
 * nothing spins forever); `turns` counts the completed ones.
 */
class Worker {
  turns = 0;
  error: unknown = null;
  private stopping = false;
  private readonly done: Promise<void>;
  constructor(body: (n: number) => Promise<void>, max = 1_000_000) {
    this.done = (async () => {
      try {
        while (!this.stopping && this.turns < max) {
          await body(this.turns);
          this.turns++;
        }
      } catch (e) {
        this.error = e;
      }
    })();
  }
  /** throws what made the loop stop, if anything did */
  check(): void {
    if (this.error !== null) throw this.error;
  }
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
    this.check();
  }
}

/** Names and durations of a test's phases, for a diagnostic (never asserted). */
function phaseClock(): { phase: (name: string) => void; phases: string[] } {
  const phases: string[] = [];
  let start = Date.now();
  return {
    phases,
    phase(name) {
      phases.push(`${name} ${Date.now() - start} ms`);
      start = Date.now();
    },
  };
}

/** Sorted [field, value] pairs of a hash given as pairs, a flat array or an object (ioredis's HGETALL). */
function hashPairs(v: unknown): [string, string][] {
  let pairs: [string, string][];
  if (!Array.isArray(v)) pairs = Object.entries(v as Record<string, string>);
  else if (v.length > 0 && !Array.isArray(v[0])) pairs = Array.from({ length: v.length / 2 }, (_, i) => [v[2 * i], v[2 * i + 1]]);
  else pairs = v as [string, string][];
  return pairs.map(([f, x]) => [String(f), String(x)] as [string, string]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const score = (s: unknown) => (s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s));

/** A value from `keel rdb --json` in the shape the client-side expectation uses. */
function normalizeFileValue(type: string, v: unknown): unknown {
  if (type === 'hash') return hashPairs(v);
  if (type === 'set') return [...(v as string[])].sort();
  if (type === 'zset') return (v as [string, unknown][]).map(([m, s]) => [m, score(s)]);
  return v;
}

/** A client reading (LRANGE, HGETALL, SMEMBERS, ZRANGE WITHSCORES) in the same shape; null when absent. */
function normalizeRead(type: string, v: unknown): unknown {
  if (type === 'string') return v;
  if (type === 'list') return (v as string[]).length ? v : null;
  if (type === 'hash') {
    const pairs = hashPairs(v);
    return pairs.length ? pairs : null;
  }
  if (type === 'set') return (v as string[]).length ? [...(v as string[])].sort() : null;
  const flat = v as string[];
  const out: [string, number][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], score(flat[i + 1])]);
  return out.length ? out : null;
}

// ------------------------------------------------------------------ 1. point in time at scale

describe('point-in-time BGSAVE of 1,000,000 keys under concurrent writes', { timeout: HANG_GUARD_MS }, () => {
  const BASE = 1_000_000; // k:<i> = v:<i>, never touched
  const M = 10_000; // m:<i>, strings that clients set, delete, expire and rename
  const SMALL = 20; // l:<i>, h:<i>, s:<i>, z:<i>
  const FLUSHED = 1000; // f:<i> in db 2, flushed and refilled over and over
  const BIG = 6000; // bl, bh, bs, bz: above the snapshot's "big value" size (4096)

  test('the file equals the dataset at the instant BGSAVE was accepted', async (t) => {
    t.diagnostic(`seed ${SEED}`);
    const dir = dirFor();
    const k = await spawn(dir);
    const r = connect(k.port);
    const { phase, phases } = phaseClock();
    // ---- the dataset
    for (let start = 0; start < BASE; start += 100_000) {
      const p = r.pipeline();
      for (let b = start; b < start + 100_000; b += 1000) {
        const args: string[] = [];
        for (let i = b; i < b + 1000; i++) args.push(`k:${i}`, `v:${i}`);
        p.mset(...args);
      }
      for (const [err] of (await p.exec())!) assert.equal(err, null);
    }
    {
      const p = r.pipeline();
      const margs: string[] = [];
      for (let i = 0; i < M; i++) margs.push(`m:${i}`, `init:${i}`);
      p.mset(...margs);
      for (let i = 0; i < SMALL; i++) {
        p.rpush(`l:${i}`, 'a', 'b', 'c', String(i));
        p.hset(`h:${i}`, 'f0', 'x', 'f1', 'y', 'f2', String(i));
        p.sadd(`s:${i}`, 'm0', 'm1', 'm2', String(i));
        p.zadd(`z:${i}`, '1', 'm0', '2.5', 'm1', '-3', 'm2');
      }
      p.rpush('bl', ...Array.from({ length: BIG }, (_, i) => `bl${i}`));
      p.hset('bh', ...Array.from({ length: BIG }, (_, i) => [`f${i}`, `v${i}`]).flat());
      p.sadd('bs', ...Array.from({ length: BIG }, (_, i) => `s${i}`));
      p.zadd('bz', ...Array.from({ length: BIG }, (_, i) => [String(i / 4), `z${i}`]).flat());
      p.select(2);
      const fargs: string[] = [];
      for (let i = 0; i < FLUSHED; i++) fargs.push(`f:${i}`, `g0:${i}`);
      p.mset(...fargs);
      // db 3 and 4 swap places over and over: content "A" and content "B"
      p.select(3);
      p.set('who', 'A');
      p.mset(...Array.from({ length: 100 }, (_, i) => [`a:${i}`, `A:${i}`]).flat());
      p.select(4);
      p.set('who', 'B');
      p.mset(...Array.from({ length: 200 }, (_, i) => [`b:${i}`, `B:${i}`]).flat());
      p.select(0);
      for (const [err] of (await p.exec())!) assert.equal(err, null);
    }
    assert.equal(await r.dbsize(), BASE + M + 4 * SMALL + 4);
    phase('load');

    // ---- the writers: only m:*, the collections, db 2 (flushed) and db 3/4 (swapped)
    const unexpected: string[] = [];
    const tolerated = /^ERR (no such key|index out of range)$/;
    const mutators: Worker[] = [];
    for (let w = 0; w < 4; w++) {
      const c = connect(k.port);
      const rnd = rng(SEED + w + 1);
      let n = 0;
      mutators.push(
        new Worker(async () => {
          const p = c.pipeline();
          for (let op = 0; op < 100; op++) {
            const m = `m:${randInt(M, rnd)}`;
            const j = randInt(SMALL, rnd);
            const val = `w${w}:${n++}`;
            switch (randInt(22, rnd)) {
              case 0:
              case 1:
                p.set(m, val);
                break;
              case 2:
                p.del(m);
                break;
              case 3:
                p.pexpire(m, 1 + randInt(3000, rnd)); // expires before, at or while the snapshot is written
                break;
              case 4:
                p.expire(m, 3600 + randInt(3600, rnd));
                break;
              case 5:
                p.persist(m);
                break;
              case 6:
                p.rename(m, `m:${randInt(M, rnd)}`);
                break;
              case 7:
                p.append(m, '+');
                break;
              case 8:
                p.set(m, val, 'EX', 7200);
                break;
              case 9:
                p.lpush(`l:${j}`, val);
                break;
              case 10:
                p.rpop(`l:${j}`);
                break;
              case 11:
                p.lset(`l:${j}`, 0, val);
                break;
              case 12:
                p.hset(`h:${j}`, `f${randInt(6, rnd)}`, val);
                break;
              case 13:
                p.hdel(`h:${j}`, `f${randInt(6, rnd)}`);
                break;
              case 14:
                p.sadd(`s:${j}`, `m${randInt(8, rnd)}`);
                break;
              case 15:
                p.srem(`s:${j}`, `m${randInt(8, rnd)}`);
                break;
              case 16:
                p.zadd(`z:${j}`, String(randInt(100, rnd) / 8), `m${randInt(8, rnd)}`);
                break;
              case 17:
                p.zincrby(`z:${j}`, 1, `m${randInt(8, rnd)}`);
                break;
              case 18:
                p.lpush('bl', val);
                p.rpop('bl');
                p.lset('bl', randInt(BIG, rnd), val);
                break;
              case 19:
                p.hset('bh', `f${randInt(BIG + 100, rnd)}`, val);
                p.hdel('bh', `f${randInt(BIG, rnd)}`);
                break;
              case 20:
                p.sadd('bs', val);
                p.srem('bs', `s${randInt(BIG, rnd)}`);
                break;
              case 21:
                p.zadd('bz', String(randInt(BIG, rnd)), `z${randInt(BIG + 100, rnd)}`);
                p.zrem('bz', `z${randInt(BIG, rnd)}`);
                break;
            }
          }
          for (const [err] of (await p.exec())!) if (err && !tolerated.test(err.message) && unexpected.length < 20) unexpected.push(err.message);
        }),
      );
    }
    const flusher = connect(k.port);
    mutators.push(
      new Worker(async (gen) => {
        const p = flusher.pipeline();
        p.select(2);
        p.flushdb();
        // a partial refill, in two steps: the snapshot may see db 2 empty, half or fully filled
        const half = randInt(FLUSHED);
        if (half > 0) p.mset(...Array.from({ length: half }, (_, i) => [`f:${i}`, `g${gen + 1}:${i}`]).flat());
        p.mset(...Array.from({ length: FLUSHED - half }, (_, i) => [`f:${half + i}`, `g${gen + 1}:${half + i}`]).flat());
        p.swapdb(3, 4);
        p.select(0);
        for (const [err] of (await p.exec())!) if (err && unexpected.length < 20) unexpected.push(err.message);
      }),
    );
    const totalTurns = () => mutators.reduce((n, w) => n + w.turns, 0);
    await waitFor(() => mutators.every((w) => (w.check(), w.turns >= 3)), 60_000, 10);

    // ---- the instant: writes paused, read what the mutated keys hold, BGSAVE, resume
    const ctl = connect(k.port);
    assert.equal(await ctl.call('CLIENT', 'PAUSE', '60000', 'WRITE'), 'OK');
    const tx = ctl.multi();
    tx.mget(...Array.from({ length: M }, (_, i) => `m:${i}`));
    for (let i = 0; i < M; i++) tx.pexpiretime(`m:${i}`);
    const collections: [string, string][] = [];
    for (let i = 0; i < SMALL; i++) collections.push([`l:${i}`, 'list'], [`h:${i}`, 'hash'], [`s:${i}`, 'set'], [`z:${i}`, 'zset']);
    collections.push(['bl', 'list'], ['bh', 'hash'], ['bs', 'set'], ['bz', 'zset']);
    for (const [key, type] of collections) {
      if (type === 'list') tx.lrange(key, 0, -1);
      else if (type === 'hash') tx.hgetall(key);
      else if (type === 'set') tx.smembers(key);
      else tx.zrange(key, '0', '-1', 'WITHSCORES');
    }
    tx.dbsize();
    tx.select(2);
    tx.mget(...Array.from({ length: FLUSHED }, (_, i) => `f:${i}`));
    tx.dbsize();
    tx.select(3);
    tx.get('who');
    tx.dbsize();
    tx.select(4);
    tx.get('who');
    tx.dbsize();
    tx.select(0);
    const res = (await tx.exec())!.map(([err, v]) => {
      assert.equal(err, null);
      return v;
    });
    assert.equal(await ctl.bgsave(), 'Background saving started');
    const acceptedBy = Date.now(); // the server accepted BGSAVE at or before this instant
    const turnsAtAccept = totalTurns();
    assert.equal(await ctl.call('CLIENT', 'UNPAUSE'), 'OK');
    phase('writers, then the instant');

    // ---- the writers go on while the snapshot is written
    let overlapped = false;
    const info = await bgsaveDone(ctl, (i) => {
      if (i.rdb_bgsave_in_progress === '1' && totalTurns() > turnsAtAccept + mutators.length) overlapped = true;
    });
    const savedBy = Date.now();
    for (const w of mutators) await w.stop();
    phase('BGSAVE');
    t.diagnostic(`writer pipelines: ${totalTurns()} (${totalTurns() - turnsAtAccept} after BGSAVE); rdb_last_cow_size ${info.rdb_last_cow_size}`);
    assert.deepEqual(unexpected, []);
    assert.equal(info.rdb_last_bgsave_status, 'ok');
    assert.ok(overlapped, 'clients kept writing while the BGSAVE ran');
    assert.ok(Number(info.rdb_last_cow_size) > 0, 'writes hit keys the snapshot had not saved yet');

    // ---- the expected file
    interface Expect {
      type: string;
      value: unknown;
      expireAt: number | null;
      /** expired by the time BGSAVE was accepted: may or may not be in the file */
      optional: boolean;
    }
    const expected = new Map<string, Expect>();
    const mget = res[0] as (string | null)[];
    for (let i = 0; i < M; i++) {
      const at = res[1 + i] as number;
      if (at === -2) continue; // absent at the instant
      assert.notEqual(mget[i], null, `m:${i} has an expiry (${at}) but no value`);
      expected.set(`0:m:${i}`, { type: 'string', value: mget[i], expireAt: at === -1 ? null : at, optional: at !== -1 && at <= acceptedBy });
    }
    let at = 1 + M;
    for (const [key, type] of collections) {
      const v = normalizeRead(type, res[at++]);
      if (v !== null) expected.set(`0:${key}`, { type, value: v, expireAt: null, optional: false });
    }
    const dbsize0 = res[at++] as number;
    at++; // SELECT 2
    const fget = res[at++] as (string | null)[];
    const dbsize2 = res[at++] as number;
    fget.forEach((v, i) => v !== null && expected.set(`2:f:${i}`, { type: 'string', value: v, expireAt: null, optional: false }));
    assert.equal(dbsize2, fget.filter((v) => v !== null).length, 'db 2 holds only f:*');
    for (const db of [3, 4]) {
      at++; // SELECT
      const who = res[at++] as string;
      const size = res[at++] as number;
      const n = who === 'A' ? 100 : 200;
      assert.equal(size, n + 1, `db ${db} holds content ${who}`);
      expected.set(`${db}:who`, { type: 'string', value: who, expireAt: null, optional: false });
      for (let i = 0; i < n; i++) expected.set(`${db}:${who.toLowerCase()}:${i}`, { type: 'string', value: `${who}:${i}`, expireAt: null, optional: false });
    }

    // ---- read the file back, key by key
    const file = path.join(dir, 'dump.rdb');
    const checked = checkRdb(file).then(
      () => null,
      (e: unknown) => e,
    ); // meanwhile
    const seenBase = new Uint8Array(BASE);
    const seen = new Set<string>();
    const problems: string[] = [];
    const problem = (s: string) => problems.length < 20 && problems.push(s);
    const perDb = new Map<number, number>();
    let baseCount = 0;
    let optionalMissing = 0;
    let optionalPresent = 0;
    for await (const e of rdbLines(file)) {
      perDb.set(e.db, (perDb.get(e.db) ?? 0) + 1);
      if (e.db === 0 && e.key.startsWith('k:')) {
        const i = Number(e.key.slice(2));
        if (!(i >= 0 && i < BASE) || e.key !== `k:${i}`) problem(`unexpected key ${e.key}`);
        else if (seenBase[i]++) problem(`${e.key} written twice`);
        else if (e.type !== 'string' || e.value !== `v:${i}` || e.expireAt !== null) problem(`${e.key}: ${JSON.stringify(e)}`);
        else baseCount++;
        continue;
      }
      const id = `${e.db}:${e.key}`;
      if (seen.has(id)) {
        problem(`${id} written twice`);
        continue;
      }
      seen.add(id);
      const x = expected.get(id);
      if (x === undefined) {
        // a key whose expiry had passed may linger in the dataset unread (as it would in Redis)
        if (!(e.db === 0 && e.key.startsWith('m:') && e.expireAt !== null && e.expireAt <= acceptedBy)) problem(`unexpected ${id}: ${JSON.stringify(e).slice(0, 200)}`);
        continue;
      }
      if (x.optional) optionalPresent++;
      try {
        assert.deepEqual({ type: e.type, value: normalizeFileValue(e.type, e.value), expireAt: e.expireAt }, { type: x.type, value: x.value, expireAt: x.expireAt });
      } catch (err) {
        problem(`${id}: ${(err as Error).message.slice(0, 600)}`);
      }
    }
    for (const [id, x] of expected) {
      if (seen.has(id)) continue;
      if (x.optional) optionalMissing++;
      else problem(`${id} is missing from the file`);
    }
    const checkError = await checked;
    if (checkError) throw checkError;
    phase('reading and checking the file');
    let expiredDuring = 0;
    for (const x of expected.values()) if (x.expireAt !== null && x.expireAt > acceptedBy && x.expireAt < savedBy) expiredDuring++;
    t.diagnostic(
      `expected ${expected.size} mutated keys; ${optionalPresent + optionalMissing} had expired by the instant (${optionalMissing} not in the file); ` +
        `${expiredDuring} expired while the file was written`,
    );
    t.diagnostic(phases.join(', '));
    assert.deepEqual(problems, []);
    assert.equal(baseCount, BASE);
    // DBSIZE counted what the file holds, less keys that expired between the reads and BGSAVE
    assert.equal(perDb.get(0)! + optionalMissing, dbsize0, 'db 0 key count');
    assert.equal(perDb.get(2) ?? 0, dbsize2, 'db 2 key count');
    assert.deepEqual([...perDb.keys()].sort(), dbsize2 > 0 ? [0, 2, 3, 4] : [0, 3, 4]);
    await killProcess(k.proc);
  });
});

// ------------------------------------------------------------------ 2. crash

describe('SIGKILL during SAVE and BGSAVE', { timeout: HANG_GUARD_MS }, () => {
  const KEYS = 20_000;

  test('the previous dump.rdb stays whole and loads; temp files left behind do not break the next start', async (t) => {
    t.diagnostic(`seed ${SEED}`);
    const dir = dirFor();
    const file = path.join(dir, 'dump.rdb');
    let k = await spawn(dir);
    let r = connect(k.port);
    await writeDataset(r);
    for (let b = 0; b < KEYS; b += 1000) await r.mset(...Array.from({ length: 1000 }, (_, i) => [`k:${b + i}`, `v:${b + i}`.repeat(4)]).flat());
    // how long a full SAVE and BGSAVE of this dataset take here: the "fast" rounds kill at a
    // random moment within about that (not an assertion; it only spreads the kills)
    let t0 = Date.now();
    assert.equal(await r.bgsave(), 'Background saving started');
    assert.equal((await bgsaveDone(r)).rdb_last_bgsave_status, 'ok');
    const bgsaveMs = Date.now() - t0;
    t0 = Date.now();
    assert.equal(await r.save(), 'OK');
    const saveMs = Date.now() - t0;
    t.diagnostic(`a full BGSAVE took ${bgsaveMs} ms, a SAVE ${saveMs} ms`);
    let good = fs.readFileSync(file);
    let goodDigest = (await r.call('DEBUG', 'DIGEST')) as string;

    // a "slow" round waits for the temp file and kills while the save is surely running (a
    // delay per key stretches it to seconds); a "fast" one kills at any moment of a full-speed
    // save, which may also be after the rename: then the new file must be whole
    const rounds: { cmd: 'SAVE' | 'BGSAVE'; slow: boolean }[] = [];
    for (const slow of [true, false]) for (let i = 0; i < (slow ? 2 : 3); i++) rounds.push({ cmd: 'SAVE', slow }, { cmd: 'BGSAVE', slow });
    let startsWithLeftovers = 0;
    let replaced = 0;
    for (const [n, round] of rounds.entries()) {
      // change the dataset so that a new dump would differ from the good one
      await r.set('round', String(n));
      await r.del(`k:${n}`);
      await r.lpush('list:small', `round-${n}`);
      const newDigest = (await r.call('DEBUG', 'DIGEST')) as string;
      assert.notEqual(newDigest, goodDigest);
      const before = tempState(dir);
      await r.config('SET', 'rdb-key-save-delay', round.slow ? '100' : '0');
      const conn = await rawConn(k.port);
      let answered = false;
      let wait: number;
      if (round.cmd === 'BGSAVE') {
        assert.equal(await conn.call('BGSAVE'), 'Background saving started');
        conn.socket.on('data', () => (answered = true));
        wait = randInt(round.slow ? 1000 : Math.ceil(bgsaveMs * 1.3) + 2);
      } else {
        conn.socket.on('data', () => (answered = true));
        conn.command('SAVE');
        wait = randInt(round.slow ? 1000 : Math.ceil(saveMs * 1.3) + 2);
      }
      if (round.slow) await waitFor(() => tempWritten(dir, before), 20_000, 1);
      await sleep(wait);
      const saveReplied = round.cmd === 'SAVE' && answered;
      await killProcess(k.proc);
      conn.close();
      raws.delete(conn);
      drop(r);
      const now = fs.readFileSync(file);
      const temps = tempFiles(dir);
      if (temps.length > 0) startsWithLeftovers++;
      const outcome = now.equals(good) ? 'old dump intact' : 'new dump';
      t.diagnostic(`round ${n}: ${round.slow ? 'slow' : 'fast'} ${round.cmd}, killed after ${wait} ms${saveReplied ? ' (SAVE had answered)' : ''}: ${outcome}; ${temps.length} temp files`);
      if (round.slow) {
        assert.equal(saveReplied, false, 'the SAVE (about 2 s long) was still running when killed');
        assert.ok(now.equals(good), 'dump.rdb is byte-identical to the previous one');
        assert.ok(tempWritten(dir, before), 'the killed save left its temp file');
      } else if (saveReplied) {
        assert.ok(!now.equals(good), 'a SAVE that answered OK replaced dump.rdb');
      }
      await checkRdb(file);
      // the next start, with every temp file left so far, loads the dump that is there
      k = await spawn(dir);
      r = connect(k.port);
      await loaded(r);
      const digest = (await r.call('DEBUG', 'DIGEST')) as string;
      if (now.equals(good)) {
        assert.equal(digest, goodDigest, 'the server restarts with the previous dump');
      } else {
        assert.equal(digest, newDigest, 'a replaced dump holds the dataset of the save that wrote it');
        good = now;
        goodDigest = digest;
        replaced++;
      }
    }
    t.diagnostic(`${replaced} fast rounds completed their save before the kill; ${startsWithLeftovers} starts had temp files in the dir; ${tempFiles(dir).length} now`);
    assert.ok(startsWithLeftovers >= 4, 'at least the starts after slow rounds had temp files left');
    // with every leftover still there, saves work and their files load
    await r.set('final', 'yes');
    assert.equal(await r.save(), 'OK');
    assert.equal(await r.bgsave(), 'Background saving started');
    assert.equal((await bgsaveDone(r)).rdb_last_bgsave_status, 'ok');
    const finalDigest = (await r.call('DEBUG', 'DIGEST')) as string;
    await killProcess(k.proc);
    drop(r);
    await checkRdb(file);
    k = await spawn(dir);
    r = connect(k.port);
    await loaded(r);
    assert.equal(await r.call('DEBUG', 'DIGEST'), finalDigest);
    assert.equal(await r.get('final'), 'yes');
    await killProcess(k.proc);
    drop(r);
  });
});

// ------------------------------------------------------------------ 3. full disk

describe('full disk', { timeout: HANG_GUARD_MS }, () => {
  // with enough keys the file is compressed, checksummed and written by a worker thread
  // (src/persistence/offload.ts): its write errors must come back the same way
  for (const [variant, extraKeys, fsSize] of [['', 0, '4m'], [', the file written by a worker thread', OFFLOAD_MIN_KEYS + 5000, '8m']] as const) {
    test(`a BGSAVE that cannot fit fails cleanly and triggers MISCONF; SAVE fails; recovery once space is freed${variant}`, async (t) => {
      const mnt = tracked.tmpfs(t, fsSize);
      if (mnt === null) return;
      const file = path.join(mnt, 'dump.rdb');
      const k = await spawn(mnt, ['--stop-writes-on-bgsave-error', 'yes'], '3600 1');
      const r = connect(k.port);
      await writeDataset(r);
      for (let i = 0; i < extraKeys; i += 1000) {
        const args: string[] = [];
        for (let j = i; j < Math.min(extraKeys, i + 1000); j++) args.push(`extra:${j}`, `value ${j} of the extra keys, compressible`);
        await r.call('MSET', ...args);
      }
      assert.equal(await r.save(), 'OK');
      const good = fs.readFileSync(file);
      // about 1.5 MB that does not compress, then a filler leaving 256 KB free
      for (let i = 0; i < 24; i++) await r.set(`big:${i}`, randomBytes(64 * 1024));
      const st = fs.statfsSync(mnt);
      const filler = path.join(mnt, 'filler');
      fs.writeFileSync(filler, Buffer.alloc(Number(st.bavail) * Number(st.bsize) - 256 * 1024, 1));
      const files = () => fs.readdirSync(mnt).sort();

      assert.equal(await r.bgsave(), 'Background saving started');
      const failed = await bgsaveDone(r);
      assert.equal(failed.rdb_last_bgsave_status, 'err');
      assert.deepEqual(files(), ['dump.rdb', 'filler'], 'no temp file is left');
      assert.ok(fs.readFileSync(file).equals(good), 'the previous dump is intact');
      assert.match(k.output(), /Background saving error.*(ENOSPC|no space left)/i);

      const conn = await rawConn(k.port);
      for (const write of [['SET', 'x', '1'], ['DEL', 'short'], ['LPUSH', 'list:small', 'z'], ['FLUSHALL']]) {
        assert.deepEqual(await conn.call(...write), new RespError(MISCONF_RDB), write.join(' '));
      }
      assert.equal(await conn.call('GET', 'short'), 'hello', 'reads still work');
      assert.equal(await conn.call('LLEN', 'list:small'), 5);
      assert.equal(await conn.call('EXISTS', 'x'), 0);

      // SAVE on the full disk: Redis answers a bare -ERR, keeps the previous dump
      assert.deepEqual(await conn.call('SAVE'), new RespError('ERR'));
      assert.deepEqual(files(), ['dump.rdb', 'filler'], 'no temp file is left by SAVE');
      assert.ok(fs.readFileSync(file).equals(good), 'the previous dump is intact after SAVE');
      assert.equal((await persistenceInfo(r)).rdb_last_bgsave_status, 'err', 'a failed SAVE does not clear the error');
      assert.deepEqual(await conn.call('SET', 'x', '1'), new RespError(MISCONF_RDB));

      // free the space: a BGSAVE succeeds and writes are accepted again
      fs.rmSync(filler);
      const digest = await r.call('DEBUG', 'DIGEST');
      assert.equal(await conn.call('BGSAVE'), 'Background saving started');
      const ok = await bgsaveDone(r);
      assert.equal(ok.rdb_last_bgsave_status, 'ok');
      assert.equal(await conn.call('SET', 'x', '1'), 'OK');
      assert.deepEqual(files(), ['dump.rdb']);
      await killProcess(k.proc);
      drop(r);
      await checkRdb(file);
      const k2 = await spawn(mnt);
      const r2 = connect(k2.port);
      await loaded(r2);
      assert.equal(await r2.call('DEBUG', 'DIGEST'), digest, 'the dump written after recovery holds the dataset');
      await killProcess(k2.proc);
      drop(r2);
      tracked.unmount(mnt);
    });
  }
});

// ------------------------------------------------------------------ 4. huge values

describe('huge values', { timeout: HANG_GUARD_MS }, () => {
  const STR = 64 * 1024 * 1024 + 7;
  const LIST = 1_000_000;
  const HASH = 200_000;
  const ZSET = 200_000;
  const PAD = 200_000;

  test('a 64 MB string, a 1,000,000-element list and big hash/zset survive SAVE + restart, and BGSAVE while they change', async (t) => {
    const dir = dirFor();
    const { phase, phases } = phaseClock();
    const k = await spawn(dir);
    const r = connect(k.port);
    const big = randomBytes(STR);
    // small keys keep the walk going once the big values are saved (a writer waits for those)
    for (let b = 0; b < PAD; b += 1000) await r.mset(...Array.from({ length: 1000 }, (_, i) => [`pad:${b + i}`, `p${b + i}`]).flat());
    await r.set('bigstr', big);
    for (let b = 0; b < LIST; b += 10_000) await r.rpush('biglist', ...Array.from({ length: 10_000 }, (_, i) => `e${b + i}`));
    for (let b = 0; b < HASH; b += 10_000) await r.hset('bighash', ...Array.from({ length: 10_000 }, (_, i) => [`f${b + i}`, `v${(b + i) * 3}`]).flat());
    for (let b = 0; b < ZSET; b += 10_000) await r.zadd('bigzset', ...Array.from({ length: 10_000 }, (_, i) => [String((b + i) / 3), `m${b + i}`]).flat());
    await r.set('small', 'x');
    phase('load');
    assert.equal(await r.save(), 'OK');
    phase('SAVE');
    await killProcess(k.proc);
    drop(r);
    const file = path.join(dir, 'dump.rdb');
    await checkRdb(file);

    // ---- restart: every byte and element back
    const k2 = await spawn(dir);
    const r2 = connect(k2.port);
    await loaded(r2);
    phase('check, restart and load');
    assert.equal(await r2.dbsize(), PAD + 5);
    for (let b = 0; b < PAD; b += 10_000) {
      const got = await r2.mget(...Array.from({ length: 10_000 }, (_, i) => `pad:${b + i}`));
      for (let i = 0; i < got.length; i++) if (got[i] !== `p${b + i}`) assert.fail(`pad:${b + i} = ${got[i]}`);
    }
    assert.equal(await r2.get('small'), 'x');
    assert.ok((await r2.getBuffer('bigstr'))!.equals(big), 'the 64 MB string');
    const list = await r2.lrange('biglist', 0, -1);
    assert.equal(list.length, LIST);
    for (let i = 0; i < LIST; i++) if (list[i] !== `e${i}`) assert.fail(`biglist[${i}] = ${list[i]}`);
    const hash = await r2.hgetall('bighash');
    assert.equal(Object.keys(hash).length, HASH);
    for (let i = 0; i < HASH; i++) if (hash[`f${i}`] !== `v${i * 3}`) assert.fail(`bighash f${i} = ${hash[`f${i}`]}`);
    const zs = (await r2.zrange('bigzset', '0', '-1', 'WITHSCORES')) as string[];
    assert.equal(zs.length, 2 * ZSET);
    for (let i = 0; i < ZSET; i++) if (zs[2 * i] !== `m${i}` || Number(zs[2 * i + 1]) !== i / 3) assert.fail(`bigzset[${i}] = ${zs[2 * i]} ${zs[2 * i + 1]}`);

    phase('compare');
    // ---- BGSAVE while a client appends to, pushes onto and adds to the big values
    const wc = connect(k2.port);
    const writer = new Worker(async (n) => {
      const p = wc.pipeline();
      p.set(`other:${n}`, String(n));
      p.append('bigstr', '|A');
      p.rpush('biglist', `p${n}`);
      p.lpush('biglist', `q${n}`);
      p.hset('bighash', `nf${n}`, String(n));
      p.zadd('bigzset', String(-n), `nm${n}`);
      for (const [err] of (await p.exec())!) assert.equal(err, null);
    }, 100_000);
    await waitFor(() => (writer.check(), writer.turns >= 3), 60_000, 5);
    assert.equal(await r2.call('CLIENT', 'PAUSE', '60000', 'WRITE'), 'OK');
    const others = async (c: Redis) => {
      const keys = (await c.keys('other:*')).sort();
      return { keys, values: keys.length ? await c.mget(...keys) : [] };
    };
    const atInstant = {
      values: await r2.call('DEBUG', 'DIGEST-VALUE', 'bigstr', 'biglist', 'bighash', 'bigzset'),
      others: await others(r2),
      strlen: await r2.strlen('bigstr'),
      llen: await r2.llen('biglist'),
      hlen: await r2.hlen('bighash'),
      zcard: await r2.zcard('bigzset'),
      dbsize: await r2.dbsize(),
    };
    phase('writer, then the instant');
    assert.equal(await r2.bgsave(), 'Background saving started');
    const turnsAtAccept = writer.turns;
    assert.equal(await r2.call('CLIENT', 'UNPAUSE'), 'OK');
    let overlapped = false;
    const info = await bgsaveDone(r2, (i) => {
      if (i.rdb_bgsave_in_progress === '1' && writer.turns > turnsAtAccept + 1) overlapped = true;
    });
    await writer.stop();
    phase('BGSAVE');
    t.diagnostic(`writer pipelines: ${writer.turns} (${writer.turns - turnsAtAccept} after BGSAVE)`);
    assert.equal(info.rdb_last_bgsave_status, 'ok');
    assert.ok(overlapped, 'the writer kept writing while the BGSAVE ran');
    assert.ok((await r2.strlen('bigstr')) > atInstant.strlen, 'appends landed after the BGSAVE');
    await killProcess(k2.proc);
    drop(r2);
    drop(wc);

    // ---- the file holds the values as they were when BGSAVE was accepted
    await checkRdb(file);
    const k3 = await spawn(dir);
    const r3 = connect(k3.port);
    await loaded(r3);
    assert.deepEqual(
      {
        values: await r3.call('DEBUG', 'DIGEST-VALUE', 'bigstr', 'biglist', 'bighash', 'bigzset'),
        others: await others(r3),
        strlen: await r3.strlen('bigstr'),
        llen: await r3.llen('biglist'),
        hlen: await r3.hlen('bighash'),
        zcard: await r3.zcard('bigzset'),
        dbsize: await r3.dbsize(),
      },
      atInstant,
    );
    const appended = (atInstant.strlen - STR) / 2;
    const saved = (await r3.getBuffer('bigstr'))!;
    assert.ok(saved.subarray(0, STR).equals(big) && saved.subarray(STR).toString('latin1') === '|A'.repeat(appended), 'the saved string');
    phase('check, restart, compare');
    t.diagnostic(phases.join(', '));
    await killProcess(k3.proc);
    drop(r3);
  });
});
