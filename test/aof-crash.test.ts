/**
 * Crash tests for the append-only file: `keel server` is killed with SIGKILL while clients
 * write concurrently, and restarted on the same directory. Whatever the fsync policy, a
 * process kill must lose no acknowledged write (the reply left only after the write reached
 * the kernel, or with `always` the disk), and nothing may be applied twice. The same holds
 * when the kill lands right after BGREWRITEAOF, while its BASE is being written, and after
 * the new manifest was published.
 *
 * Each client keeps several commands in flight: INCR ctr:<c> (the final value is at least the
 * largest reply and at most the number sent), RPUSH list:<c> <seq> (the list must be exactly
 * 0,1,2,... : a duplicate, a gap or a reordering shows), SET key:<c>:<seq> (every acknowledged
 * key exists).
 */
import { test, describe, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { spawnKeel, tempDir, waitFor, sleep } from './helpers';

/** Not a timing assertion: a bound that turns a hang into a failure (with the servers reaped). */
const HANG_GUARD_MS = 120_000;
const CLIENTS = 4;
const LANES = 8;

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const clients = new Set<Redis>();

function hasExited(p: ChildProcess): boolean {
  return p.exitCode !== null || p.signalCode !== null;
}

function exited(p: ChildProcess): Promise<void> {
  if (hasExited(p)) return Promise.resolve();
  return new Promise((res) => p.once('exit', () => res()));
}

after(async () => {
  for (const c of clients) c.disconnect();
  for (const p of children) if (!hasExited(p)) p.kill('SIGKILL');
  await Promise.all([...children].map(exited));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function spawn(args: string[]): Promise<Awaited<ReturnType<typeof spawnKeel>>> {
  const k = await spawnKeel(args);
  children.add(k.proc);
  return k;
}

function connect(port: number, opts: Record<string, unknown> = {}): Redis {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, ...opts });
  r.on('error', () => {});
  clients.add(r);
  return r;
}

async function kill(p: ChildProcess): Promise<void> {
  p.kill('SIGKILL');
  await exited(p);
}

async function info(r: Redis, section = 'persistence'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await r.info(section)).split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

// ------------------------------------------------------------------ the write load

interface Writer {
  id: number;
  /** sequence numbers handed out (each is one INCR, one RPUSH, one SET) */
  sent: number;
  incrAckMax: number;
  pushAckMax: number;
  setAcked: number[];
  anomalies: string[];
}

class Load {
  readonly writers: Writer[] = [];
  private stopped = false;
  private lanes: Promise<void>[] = [];
  private conns: Redis[] = [];

  /** the largest counter values a reader has seen: a reply may reveal only what is as durable as an acknowledgement */
  readonly seen: number[] = new Array(CLIENTS).fill(0);

  static async start(port: number): Promise<Load> {
    const load = new Load();
    const reader = connect(port, { enableOfflineQueue: false, autoResendUnfulfilledCommands: false, lazyConnect: true });
    await reader.connect();
    load.conns.push(reader);
    load.lanes.push(load.read(reader));
    for (let id = 0; id < CLIENTS; id++) {
      const r = connect(port, { enableOfflineQueue: false, autoResendUnfulfilledCommands: false, lazyConnect: true });
      await r.connect();
      load.conns.push(r);
      const w: Writer = { id, sent: 0, incrAckMax: 0, pushAckMax: -1, setAcked: [], anomalies: [] };
      load.writers.push(w);
      for (let l = 0; l < LANES; l++) load.lanes.push(load.lane(r, w));
    }
    return load;
  }

  /** One command of each kind per sequence number, issued in sequence order on the connection. */
  private async lane(r: Redis, w: Writer): Promise<void> {
    while (!this.stopped) {
      const s = w.sent++;
      const incr = r.incr(`ctr:${w.id}`).then((v) => {
        if (v > w.incrAckMax) w.incrAckMax = v;
      });
      const push = r.rpush(`list:${w.id}`, String(s)).then((len) => {
        if (len !== s + 1) w.anomalies.push(`RPUSH of ${s} answered length ${len}`);
        if (s > w.pushAckMax) w.pushAckMax = s;
      });
      const set = r.set(`key:${w.id}:${s}`, String(s)).then(() => {
        w.setAcked.push(s);
      });
      try {
        await Promise.all([incr, push, set]);
      } catch {
        this.stopped = true; // the server went away
      }
      // let the other two settle before the next round, whatever happened
      await Promise.allSettled([incr, push, set]);
    }
  }

  private async read(r: Redis): Promise<void> {
    const keys = Array.from({ length: CLIENTS }, (_, i) => `ctr:${i}`);
    while (!this.stopped) {
      try {
        const vals = await r.mget(keys);
        vals.forEach((v, i) => {
          if (v !== null && Number(v) > this.seen[i]) this.seen[i] = Number(v);
        });
      } catch {
        this.stopped = true;
      }
    }
  }

  get acked(): number {
    return this.writers.reduce((n, w) => n + w.setAcked.length, 0);
  }

  /** Waits until every lane has seen the server go (bounded: a hang is a failure). */
  async finish(): Promise<void> {
    this.stopped = true;
    const all = Promise.all(this.lanes);
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the load did not stop after the kill')), 15_000);
    });
    try {
      await Promise.race([all, guard]);
    } finally {
      clearTimeout(timer);
      for (const c of this.conns) {
        c.disconnect();
        clients.delete(c);
      }
    }
  }
}

/** Runs until at least `minAcked` sets were acknowledged and `ms` passed (bounded). */
async function runFor(load: Load, ms: number, minAcked: number): Promise<void> {
  await sleep(ms);
  await waitFor(() => load.acked >= minAcked, 20_000, 10);
}

/** Restarts on dir and checks every writer's acknowledged effects, and nothing twice. */
async function verify(t: TestContext, dir: string, load: Load, extraArgs: string[] = [], preloaded = 0, rewriteAfter = false): Promise<void> {
  const k = await spawn(['--dir', dir, '--appendonly', 'yes', '--save', '', '--enable-debug-command', 'yes', ...extraArgs]);
  const r = connect(k.port, { maxRetriesPerRequest: 3 });
  try {
    await waitFor(async () => (await info(r)).loading === '0', 30_000, 20);
    assert.doesNotMatch(k.output(), /Bad file format|Unexpected end of file|not the last file/);
    for (const w of load.writers) {
      assert.deepEqual(w.anomalies, [], `writer ${w.id} saw no anomaly while running`);
      const ctr = Number((await r.get(`ctr:${w.id}`)) ?? '0');
      assert.ok(ctr >= w.incrAckMax, `ctr:${w.id} = ${ctr} holds every acknowledged INCR (largest reply ${w.incrAckMax})`);
      assert.ok(ctr >= load.seen[w.id], `ctr:${w.id} = ${ctr} is at least what a reader was shown (${load.seen[w.id]})`);
      assert.ok(ctr <= w.sent, `ctr:${w.id} = ${ctr}: no INCR applied twice (${w.sent} sent)`);
      const list = await r.lrange(`list:${w.id}`, 0, -1);
      assert.ok(list.length > w.pushAckMax, `list:${w.id} has ${list.length} items, every acknowledged RPUSH (up to ${w.pushAckMax})`);
      assert.ok(list.length <= w.sent, `list:${w.id}: nothing pushed twice`);
      const bad = list.findIndex((x, i) => x !== String(i));
      assert.equal(bad, -1, `list:${w.id} is 0,1,2,... (item ${bad} is ${list[bad]})`);
      for (let i = 0; i < w.setAcked.length; i += 500) {
        const keys = w.setAcked.slice(i, i + 500);
        const vals = await r.mget(keys.map((s) => `key:${w.id}:${s}`));
        vals.forEach((v, j) => assert.equal(v, String(keys[j]), `acknowledged key:${w.id}:${keys[j]}`));
      }
    }
    if (preloaded > 0) assert.equal(await r.get(`fill:${preloaded - 1}`), 'x'.repeat(100));
    if (rewriteAfter) {
      // the files a crash left behind do not get in the way of the next rewrite
      const digest = await r.call('DEBUG', 'DIGEST');
      assert.equal(await r.bgrewriteaof(), 'Background append only file rewriting started');
      await waitFor(async () => {
        const i = await info(r);
        return i.aof_rewrite_in_progress === '0' && i.aof_rewrite_scheduled === '0';
      }, 30_000, 10);
      assert.equal((await info(r)).aof_last_bgrewrite_status, 'ok');
      assert.equal(await r.call('DEBUG', 'LOADAOF'), 'OK');
      assert.equal(await r.call('DEBUG', 'DIGEST'), digest);
    }
    t.diagnostic(`${load.acked} acknowledged SETs (${load.writers.reduce((n, w) => n + w.sent, 0)} sent) all present after restart`);
  } finally {
    r.disconnect();
    clients.delete(r);
    await kill(k.proc);
  }
}

function manifestState(dir: string): string {
  try {
    return fs
      .readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1')
      .trim()
      .split('\n')
      .map((l) => l.replace(/^file (\S+) seq \d+ type (\w)$/, '$1'))
      .join(', ');
  } catch (e) {
    return `no manifest (${(e as Error).message})`;
  }
}

// ------------------------------------------------------------------ the tests

describe('SIGKILL under write load loses no acknowledged write', { timeout: HANG_GUARD_MS }, () => {
  const rounds: [string, number][] = [
    ['always', 3],
    ['everysec', 3],
    ['no', 2],
  ];
  for (const [policy, n] of rounds) {
    test(`appendfsync ${policy}, ${n} rounds`, async (t) => {
      for (let round = 0; round < n; round++) {
        const dir = tempDir('keel-aof-crash-');
        dirs.add(dir);
        const args = ['--appendfsync', policy];
        const k = await spawn(['--dir', dir, '--appendonly', 'yes', '--save', '', ...args]);
        const load = await Load.start(k.port);
        await runFor(load, 150 + Math.floor(Math.random() * 350), 200);
        await kill(k.proc);
        await load.finish();
        // a second life on the same files, killed again under load, then checked
        if (round === n - 1) {
          const k2 = await spawn(['--dir', dir, '--appendonly', 'yes', '--save', '', ...args]);
          const probe = connect(k2.port, { maxRetriesPerRequest: 3 });
          await waitFor(async () => (await info(probe)).loading === '0', 30_000, 20);
          probe.disconnect();
          clients.delete(probe);
          // the counters and lists carry on from where the first life stopped
          const load2 = await Load.start(k2.port);
          await runFor(load2, 200, 200);
          await kill(k2.proc);
          await load2.finish();
          await verifyTwoLives(t, dir, load, load2);
        } else {
          await verify(t, dir, load);
        }
      }
    });
  }
});

/**
 * Two lives on the same files: the second started from what the first left, so its INCR
 * replies and RPUSH lengths continue the first's; acknowledged keys of both must be there.
 */
async function verifyTwoLives(t: TestContext, dir: string, first: Load, second: Load): Promise<void> {
  const k = await spawn(['--dir', dir, '--appendonly', 'yes', '--save', '']);
  const r = connect(k.port, { maxRetriesPerRequest: 3 });
  try {
    await waitFor(async () => (await info(r)).loading === '0', 30_000, 20);
    for (let id = 0; id < CLIENTS; id++) {
      const a = first.writers[id];
      const b = second.writers[id];
      // (the second life's RPUSH lengths continue the first's list, so only the first's are checked live)
      assert.deepEqual(a.anomalies, []);
      const ctr = Number((await r.get(`ctr:${id}`)) ?? '0');
      assert.ok(ctr >= b.incrAckMax && ctr >= a.incrAckMax, `ctr:${id} = ${ctr} >= acknowledged ${a.incrAckMax}/${b.incrAckMax}`);
      assert.ok(ctr >= first.seen[id] && ctr >= second.seen[id], `ctr:${id} = ${ctr} >= what readers were shown`);
      assert.ok(ctr <= a.sent + b.sent, `ctr:${id} = ${ctr} <= ${a.sent} + ${b.sent} sent`);
      // the list is the first life's prefix followed by the second life's prefix
      const list = await r.lrange(`list:${id}`, 0, -1);
      const firstLen = list.findIndex((x, i) => x !== String(i));
      const cut = firstLen === -1 ? list.length : firstLen;
      assert.ok(cut > a.pushAckMax, `list:${id}: the first life's acknowledged pushes are there`);
      const rest = list.slice(cut);
      const bad = rest.findIndex((x, i) => x !== String(i));
      assert.equal(bad, -1, `list:${id}: the second life's pushes follow in order (${JSON.stringify(rest.slice(0, 5))}...)`);
      assert.ok(rest.length > b.pushAckMax, `list:${id}: the second life's acknowledged pushes are there`);
      for (const w of [a, b]) {
        for (let i = 0; i < w.setAcked.length; i += 500) {
          const keys = w.setAcked.slice(i, i + 500);
          const vals = await r.mget(keys.map((s) => `key:${id}:${s}`));
          vals.forEach((v, j) => assert.equal(v, String(keys[j]), `acknowledged key:${id}:${keys[j]}`));
        }
      }
    }
    t.diagnostic(`two lives: ${first.acked} + ${second.acked} acknowledged SETs present`);
  } finally {
    r.disconnect();
    clients.delete(r);
    await kill(k.proc);
  }
}

describe('CONFIG SET appendfsync under write load', { timeout: HANG_GUARD_MS }, () => {
  test('switching policies while replies wait for the disk loses no acknowledged write', async (t) => {
    const dir = tempDir('keel-aof-switch-');
    dirs.add(dir);
    const k = await spawn(['--dir', dir, '--appendonly', 'yes', '--save', '', '--appendfsync', 'everysec']);
    const admin = connect(k.port, { maxRetriesPerRequest: 0 });
    const load = await Load.start(k.port);
    for (const policy of ['always', 'no', 'always', 'everysec', 'always']) {
      await runFor(load, 60, 0);
      assert.equal(await admin.config('SET', 'appendfsync', policy), 'OK');
    }
    await runFor(load, 60, 200);
    await kill(k.proc);
    admin.disconnect();
    clients.delete(admin);
    await load.finish();
    await verify(t, dir, load);
  });
});

describe('SIGKILL while blocking pops are served', { timeout: HANG_GUARD_MS }, () => {
  const PRODUCERS = 2;
  const CONSUMERS = 4;
  for (const policy of ['always', 'everysec']) {
    test(`a popped item never comes back, a pushed one is never lost (appendfsync ${policy})`, async (t) => {
      const dir = tempDir('keel-aof-pop-');
      dirs.add(dir);
      const k = await spawn(['--dir', dir, '--appendonly', 'yes', '--save', '', '--appendfsync', policy]);
      const pushed = new Set<string>();
      const consumed: string[] = [];
      let stopped = false;
      const conns: Redis[] = [];
      const open = async () => {
        const r = connect(k.port, { enableOfflineQueue: false, autoResendUnfulfilledCommands: false, lazyConnect: true });
        await r.connect();
        conns.push(r);
        return r;
      };
      const loops: Promise<void>[] = [];
      for (let c = 0; c < CONSUMERS; c++) {
        const r = await open();
        loops.push(
          (async () => {
            while (!stopped) {
              try {
                const got = await r.blpop('q', 1);
                if (got !== null) consumed.push(got[1]);
              } catch {
                stopped = true;
              }
            }
          })(),
        );
      }
      for (let p = 0; p < PRODUCERS; p++) {
        const r = await open();
        loops.push(
          (async () => {
            for (let n = 0; !stopped; n++) {
              const item = `p${p}:${n}`;
              try {
                await r.rpush('q', item);
                pushed.add(item);
              } catch {
                stopped = true;
              }
            }
          })(),
        );
      }
      await sleep(300);
      await waitFor(() => consumed.length >= 100, 20_000, 10);
      await kill(k.proc);
      stopped = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(loops),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the clients did not stop after the kill')), 15_000);
        }),
      ]).finally(() => clearTimeout(timer));
      for (const c of conns) {
        c.disconnect();
        clients.delete(c);
      }
      const k2 = await spawn(['--dir', dir, '--appendonly', 'yes', '--save', '']);
      const r = connect(k2.port, { maxRetriesPerRequest: 3 });
      try {
        await waitFor(async () => (await info(r)).loading === '0', 30_000, 20);
        const left = await r.lrange('q', 0, -1);
        assert.equal(new Set(left).size, left.length, 'no item twice in the queue');
        assert.equal(new Set(consumed).size, consumed.length, 'no item served twice');
        const back = left.filter((x) => consumed.includes(x));
        assert.deepEqual(back, [], 'an acknowledged pop never comes back');
        const gone = [...pushed].filter((x) => !left.includes(x) && !consumed.includes(x));
        // only a pop whose reply the kill cut off may have taken an item unseen
        assert.ok(gone.length <= CONSUMERS, `acknowledged pushes missing: ${gone.length} (${gone.slice(0, 5).join(', ')})`);
        t.diagnostic(`${pushed.size} pushes and ${consumed.length} pops acknowledged; ${left.length} left; ${gone.length} popped unseen`);
      } finally {
        r.disconnect();
        clients.delete(r);
        await kill(k2.proc);
      }
    });
  }
});

describe('SIGTERM under write load: a clean shutdown leaves whole files with every executed write', { timeout: HANG_GUARD_MS }, () => {
  for (const policy of ['always', 'everysec']) {
    test(`appendfsync ${policy}`, async (t) => {
      const dir = tempDir('keel-aof-term-');
      dirs.add(dir);
      const k = await spawn(['--dir', dir, '--appendonly', 'yes', '--save', '', '--appendfsync', policy]);
      const load = await Load.start(k.port);
      await runFor(load, 200, 200);
      k.proc.kill('SIGTERM');
      await waitFor(() => hasExited(k.proc), 20_000, 10);
      assert.equal(k.proc.exitCode, 0, k.output());
      await load.finish();
      // nothing half-written: the restart must not need to trim anything
      const files = fs.readdirSync(path.join(dir, 'appendonlydir'));
      assert.deepEqual(files.filter((f) => f.startsWith('temp')), []);
      await verify(t, dir, load, ['--aof-load-truncated', 'no']);
    });
  }
});

describe('SIGKILL around BGREWRITEAOF: every acknowledged write, nothing twice', { timeout: HANG_GUARD_MS }, () => {
  const PRELOAD = 300;
  /** how long the last observed rewrite took under load (only to spread the random kills over it) */
  let rewriteMs = 600;
  type Phase = 'right after BGREWRITEAOF' | 'while the BASE is written' | 'the moment the new BASE file appears' | 'after the new manifest' | 'at a random moment';
  const cases: [Phase, string][] = [
    ['right after BGREWRITEAOF', 'everysec'],
    ['while the BASE is written', 'always'],
    ['while the BASE is written', 'everysec'],
    ['the moment the new BASE file appears', 'everysec'],
    ['the moment the new BASE file appears', 'always'],
    ['after the new manifest', 'everysec'],
    ['after the new manifest', 'always'],
    ['at a random moment', 'everysec'],
    ['at a random moment', 'no'],
    ['at a random moment', 'always'],
  ];
  cases.forEach(([phase, policy], n) => {
    // the BASE alternates between an RDB preamble and commands
    const preamble = n % 2 === 0 ? 'yes' : 'no';
    test(`${phase}, appendfsync ${policy}, aof-use-rdb-preamble ${preamble}`, async (t) => {
      const dir = tempDir('keel-aof-crash-rw-');
      dirs.add(dir);
      const args = ['--appendfsync', policy, '--aof-use-rdb-preamble', preamble];
      const k = await spawn(['--dir', dir, '--appendonly', 'yes', '--save', '', ...args]);
      const admin = connect(k.port, { maxRetriesPerRequest: 0 });
      const p = admin.pipeline();
      for (let i = 0; i < PRELOAD; i++) p.set(`fill:${i}`, 'x'.repeat(100));
      await p.exec();
      // about a millisecond per key: the BASE takes a few hundred ms while the load runs
      await admin.config('SET', 'rdb-key-save-delay', '1000');
      const load = await Load.start(k.port);
      await runFor(load, 100, 100);
      // inotify: kill as soon as the finished BASE is renamed into place, which is the start of the swap
      // (the new manifest is written, fsynced and renamed after it)
      let watcher: fs.FSWatcher | null = null;
      if (phase === 'the moment the new BASE file appears') {
        watcher = fs.watch(path.join(dir, 'appendonlydir'), (_, name) => {
          if (name !== null && /\.2\.base\./.test(String(name))) k.proc.kill('SIGKILL');
        });
      }
      assert.equal(await admin.bgrewriteaof(), 'Background append only file rewriting started');
      const t0 = Date.now();
      if (phase === 'while the BASE is written') {
        await sleep(100);
        assert.equal((await info(admin)).aof_rewrite_in_progress, '1');
      } else if (phase === 'after the new manifest') {
        await waitFor(async () => (await info(admin)).aof_rewrites === '1', 30_000, 2);
        rewriteMs = Date.now() - t0;
        // nothing may run between the INFO reply and the kill that matters: the manifest was already swapped
      } else if (phase === 'the moment the new BASE file appears') {
        await waitFor(() => hasExited(k.proc), 30_000, 5);
        watcher!.close();
      } else if (phase === 'at a random moment') {
        // anywhere from the start to a little past the end of a rewrite as long as the last one seen
        await sleep(Math.floor(Math.random() * rewriteMs * 1.3));
      }
      await kill(k.proc);
      const state = manifestState(dir);
      if (phase === 'after the new manifest') assert.match(state, /appendonly\.aof\.2\.base\./, state);
      if (phase === 'right after BGREWRITEAOF') assert.match(state, /appendonly\.aof\.1\.base\..*appendonly\.aof\.2\.incr\.aof/, state);
      t.diagnostic(`killed ${phase} with the manifest listing: ${state}; files: ${fs.readdirSync(path.join(dir, 'appendonlydir')).join(', ')}`);
      admin.disconnect();
      clients.delete(admin);
      await load.finish();
      await verify(t, dir, load, [], PRELOAD, phase === 'the moment the new BASE file appears');
    });
  });
});
