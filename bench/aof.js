#!/usr/bin/env node
/**
 * AOF load and rewrite, Keel vs redis-server 7.0 on the same machine, interleaved.
 *
 *   npm run build && node bench/aof.js [--rounds 3] [--keys 1000000] [--value-size 32]
 *                                      [--servers redis,keel] [--keep]
 *                                      [--keel-node-args="--cpu-prof --cpu-prof-dir /tmp/prof"]
 *
 * Per round, each server in its own temp dir on a free loopback port (the order alternates
 * between rounds, and the servers take turns within each step):
 *   1. generate: start empty with --appendonly yes --aof-use-rdb-preamble no, write --keys SETs
 *      pipelined (so appendonlydir/ holds an empty .base.aof and an INCR of --keys SETs), stop
 *      with SIGTERM;
 *   2. load AOF: restart on that dir (now with --aof-use-rdb-preamble yes) and time the load:
 *      the server's "DB loaded from append only file: X seconds" log line (both servers log it),
 *      and the wall time from spawn until INFO answers loading:0 and DBSIZE is --keys;
 *   3. rewrite: BGREWRITEAOF, timed at the client until INFO says aof_rewrite_in_progress:0 and
 *      aof_rewrite_scheduled:0 (polled every 10 ms; Redis notices its child's exit in serverCron,
 *      so up to 1/hz = 100 ms late); aof_last_rewrite_time_sec is kept as a (whole-second)
 *      cross-check;
 *   4. load preamble: restart again, now on the RDB-preamble BASE, timed as in 2.
 * Prints medians and Keel/Redis ratios next to the targets (reported, never asserted), and
 * writes everything as JSON to bench/results/. The machines are shared and noisy.
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { CLI, Client, ROOT, freePort, gitState, median, parseArgs, parseInfo, resp, sleep, splitWords } = require('./lib');

const args = parseArgs(process.argv.slice(2));
const rounds = Number(args.rounds ?? 3);
const KEYS = Number(args.keys ?? 1000000);
const VALUE_SIZE = Number(args['value-size'] ?? 32);
const serverNames = String(args.servers ?? 'redis,keel').split(',');
const keep = Boolean(args.keep);
const keelNodeArgs = splitWords(args['keel-node-args'] ?? '');
const LOAD_TIMEOUT_MS = 600000;
const REWRITE_TIMEOUT_MS = 600000;
const TARGETS = { load_aof: 1.5, load_preamble: 1.5 }; // keel/redis at most


// ------------------------------------------------------------------ a minimal RESP client

// ------------------------------------------------------------------ servers

const live = new Set(); // spawned processes, killed on exit whatever happens

function killAll() {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {}
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAll();
    process.stderr.write(`\n${sig}: servers killed\n`);
    process.exit(130);
  });
}

/** settings shared by both servers; only the AOF preamble changes between steps */
function commonArgs(s, preamble) {
  return [
    '--port', String(s.port), '--bind', '127.0.0.1', '--dir', s.dir, '--save', '',
    '--appendonly', 'yes', '--appendfsync', 'everysec', '--aof-use-rdb-preamble', preamble ? 'yes' : 'no',
    // no automatic rewrite during generation: only the measured BGREWRITEAOF
    '--auto-aof-rewrite-percentage', '0',
    '--loglevel', 'notice', '--logfile', s.logfile,
  ];
}

async function spawnServer(s, preamble) {
  fs.writeFileSync(s.logfile, '');
  const a = commonArgs(s, preamble);
  const proc =
    s.name === 'redis'
      ? spawn('redis-server', [...a, '--daemonize', 'no'], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, [...keelNodeArgs, CLI, 'server', ...a], { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(proc);
  s.stderr = '';
  proc.stderr.on('data', (d) => {
    if (s.stderr.length < 4000) s.stderr += d;
  });
  proc.on('exit', () => live.delete(proc));
  s.proc = proc;
  return proc;
}

/** connects once the port answers (bounded); throws if the process died */
async function connectWhenUp(s, timeoutMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) {
      throw new Error(`${s.name} exited (${s.proc.exitCode ?? s.proc.signalCode}): ${s.stderr}\n${tail(s.logfile)}`);
    }
    try {
      return await new Client(s.port).connect(1000);
    } catch {
      await sleep(5);
    }
  }
  throw new Error(`${s.name} did not listen on ${s.port} within ${timeoutMs} ms`);
}

function tail(file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

/** SIGTERM (AOF flushed and fsynced on the way out by both), SIGKILL after a bound */
async function stopServer(s) {
  const p = s.proc;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const ok = await Promise.race([exited.then(() => true), sleep(60000).then(() => false)]);
  if (!ok) {
    p.kill('SIGKILL');
    await exited;
    throw new Error(`${s.name} did not exit within 60 s of SIGTERM`);
  }
}

/**
 * Starts the server on its dir and waits until the dataset is loaded. Returns
 *   wall_s: spawn -> INFO loading:0 with DBSIZE == KEYS (polled every 5 ms)
 *   log_s:  the server's own "DB loaded from append only file: X seconds"
 */
async function timedLoad(s, preamble) {
  const t0 = performance.now();
  await spawnServer(s, preamble);
  const c = await connectWhenUp(s, LOAD_TIMEOUT_MS);
  let wall = null;
  try {
    while (performance.now() - t0 < LOAD_TIMEOUT_MS) {
      const info = await c.call('INFO', 'persistence');
      if (!(info instanceof Error) && parseInfo(info).loading === '0') {
        const n = await c.call('DBSIZE');
        if (n === KEYS) {
          wall = (performance.now() - t0) / 1000;
          break;
        }
        if (typeof n === 'number') throw new Error(`${s.name} loaded ${n} keys, expected ${KEYS}`);
      }
      await sleep(5);
    }
  } finally {
    s.client = c;
  }
  if (wall === null) throw new Error(`${s.name} did not finish loading within ${LOAD_TIMEOUT_MS} ms`);
  let logS = null;
  for (let i = 0; i < 100 && logS === null; i++) {
    const m = /DB loaded from append only file: ([0-9.]+) seconds/.exec(fs.readFileSync(s.logfile, 'utf8'));
    if (m) logS = Number(m[1]);
    else await sleep(10);
  }
  if (logS === null) throw new Error(`${s.name}: no "DB loaded from append only file" line in ${s.logfile}\n${tail(s.logfile)}`);
  return { wall_s: wall, log_s: logS };
}

function dirFiles(dir) {
  const d = path.join(dir, 'appendonlydir');
  const out = {};
  if (!fs.existsSync(d)) return out;
  for (const f of fs.readdirSync(d)) out[f] = fs.statSync(path.join(d, f)).size;
  return out;
}

// ------------------------------------------------------------------ steps

function value(i) {
  // deterministic, VALUE_SIZE bytes, not all alike
  const h = ((i * 2654435761) >>> 0).toString(36);
  return (h + 'v'.repeat(VALUE_SIZE)).slice(0, VALUE_SIZE);
}

async function generate(s) {
  fs.rmSync(s.dir, { recursive: true, force: true });
  fs.mkdirSync(s.dir, { recursive: true });
  await spawnServer(s, false);
  const c = await connectWhenUp(s, 30000);
  const BATCH = 1000;
  const WINDOW = 16; // batches in flight
  const t0 = performance.now();
  let next = 0;
  const inflight = new Set();
  let errors = [];
  while (next < KEYS || inflight.size) {
    while (next < KEYS && inflight.size < WINDOW) {
      let text = '';
      const end = Math.min(KEYS, next + BATCH);
      for (let i = next; i < end; i++) text += resp(['SET', `key:${i}`, value(i)]);
      const p = c.raw(text, end - next).then((replies) => {
        inflight.delete(p);
        for (const r of replies) if (r instanceof Error && errors.length < 5) errors.push(r.message);
      });
      inflight.add(p);
      next = end;
    }
    await Promise.race(inflight);
  }
  const secs = (performance.now() - t0) / 1000;
  if (errors.length) throw new Error(`${s.name}: SET errors: ${errors.join('; ')}`);
  const n = await c.ok('DBSIZE');
  if (n !== KEYS) throw new Error(`${s.name}: DBSIZE ${n} after writing ${KEYS} keys`);
  c.close();
  await stopServer(s);
  const files = dirFiles(s.dir);
  if (!Object.keys(files).some((f) => f.endsWith('.base.aof'))) throw new Error(`${s.name}: expected a .base.aof, got ${JSON.stringify(files)}`);
  return { write_s: secs, sets_per_s: KEYS / secs, files };
}

async function rewrite(s) {
  const c = s.client;
  const before = parseInfo(await c.ok('INFO', 'persistence'));
  if (before.aof_rewrite_in_progress !== '0' || before.aof_rewrite_scheduled !== '0') throw new Error(`${s.name}: a rewrite is already running`);
  const t0 = performance.now();
  const r = await c.ok('BGREWRITEAOF');
  let info;
  let secs = null;
  while (performance.now() - t0 < REWRITE_TIMEOUT_MS) {
    info = parseInfo(await c.ok('INFO', 'persistence'));
    if (info.aof_rewrite_in_progress === '0' && info.aof_rewrite_scheduled === '0') {
      secs = (performance.now() - t0) / 1000;
      break;
    }
    await sleep(10);
  }
  if (secs === null) throw new Error(`${s.name}: rewrite still running after ${REWRITE_TIMEOUT_MS} ms`);
  if (info.aof_last_bgrewrite_status !== 'ok') throw new Error(`${s.name}: aof_last_bgrewrite_status:${info.aof_last_bgrewrite_status}`);
  // the new BASE is in place once the manifest names a .base.rdb (both swap it before in_progress:0)
  const files = dirFiles(s.dir);
  if (!Object.keys(files).some((f) => f.endsWith('.base.rdb'))) throw new Error(`${s.name}: no .base.rdb after the rewrite: ${JSON.stringify(files)}`);
  c.close();
  s.client = null;
  await stopServer(s);
  return { rewrite_s: secs, aof_last_rewrite_time_sec: Number(info.aof_last_rewrite_time_sec), reply: r, files };
}

async function loadAndClose(s) {
  const r = await timedLoad(s, true);
  s.client.close();
  s.client = null;
  await stopServer(s);
  return r;
}

// ------------------------------------------------------------------ main

async function main() {
  if (serverNames.includes('keel') && !fs.existsSync(CLI)) throw new Error('build first: npm run build');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bench-aof-'));
  const servers = [];
  for (const name of serverNames) {
    const dir = path.join(base, name);
    servers.push({ name, dir, logfile: path.join(base, `${name}.log`), port: await freePort(), proc: null, client: null });
  }
  const samples = []; // {round, server, step, ...}
  const t00 = Date.now();
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? servers : [...servers].reverse();
      const steps = [
        ['generate', generate],
        ['load_aof', (s) => timedLoad(s, true)],
        ['rewrite', rewrite],
        ['load_preamble', loadAndClose],
      ];
      for (const [step, fn] of steps) {
        for (const s of order) {
          // the other server is idle (or stopped) while one is measured
          const res = await fn(s);
          samples.push({ round: r + 1, server: s.name, step, ...res });
          const show = Object.entries(res)
            .filter(([, v]) => typeof v === 'number')
            .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(3)}`)
            .join(' ');
          process.stderr.write(`round ${r + 1}/${rounds} ${step.padEnd(13)} ${s.name.padEnd(5)} ${show}\n`);
        }
      }
    }
  } finally {
    for (const s of servers) s.client?.close();
    killAll();
    if (!keep) fs.rmSync(base, { recursive: true, force: true });
    else process.stderr.write(`kept ${base}\n`);
  }

  const pick = (server, step, field) => samples.filter((x) => x.server === server && x.step === step).map((x) => x[field]);
  const rows = [
    ['generate', 'sets_per_s', `write ${KEYS} SETs (pipelined, SETs/s)`, null],
    ['load_aof', 'log_s', 'load AOF, no preamble (log, s)', TARGETS.load_aof],
    ['load_aof', 'wall_s', 'load AOF, no preamble (wall, s)', TARGETS.load_aof],
    ['rewrite', 'rewrite_s', 'BGREWRITEAOF, preamble (s)', null],
    ['rewrite', 'aof_last_rewrite_time_sec', '  aof_last_rewrite_time_sec', null],
    ['load_preamble', 'log_s', 'load RDB-preamble BASE (log, s)', TARGETS.load_preamble],
    ['load_preamble', 'wall_s', 'load RDB-preamble BASE (wall, s)', TARGETS.load_preamble],
  ];
  const summary = {};
  console.log(`\nAOF: ${KEYS} SET key:<i> <${VALUE_SIZE} bytes>, appendfsync everysec, ${rounds} rounds, medians`);
  console.log('measure                                      redis       keel   keel/redis  target');
  for (const [step, field, label, target] of rows) {
    const red = median(pick('redis', step, field));
    const kee = median(pick('keel', step, field));
    const ratio = kee / red;
    summary[`${step}.${field}`] = { redis: red, keel: kee, ratio, target_max: target };
    const fmt = (v) => (Number.isNaN(v) ? '-' : field === 'sets_per_s' ? v.toFixed(0) : v.toFixed(3));
    console.log(
      `${label.padEnd(42)} ${fmt(red).padStart(8)} ${fmt(kee).padStart(10)}   ${Number.isFinite(ratio) ? ratio.toFixed(2).padStart(8) : '       -'}` +
        (target ? `  <= ${target}${Number.isFinite(ratio) ? (ratio <= target ? ' met' : ' MISSED') : ''}` : ''),
    );
  }
  const sizes = {};
  for (const s of servers) {
    const g = samples.find((x) => x.server === s.name && x.step === 'generate');
    const w = samples.find((x) => x.server === s.name && x.step === 'rewrite');
    sizes[s.name] = { after_generate: g?.files, after_rewrite: w?.files };
  }
  console.log(`file sizes (bytes): ${JSON.stringify(sizes)}`);
  const outDir = path.join(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `aof-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        bench: 'aof',
        date: new Date().toISOString(),
        duration_s: (Date.now() - t00) / 1000,
        git: gitState(),
        node: process.version,
        redis: execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim(),
        cpus: os.cpus().length,
        params: { rounds, keys: KEYS, value_size: VALUE_SIZE, servers: serverNames, keel_node_args: keelNodeArgs },
        summary,
        samples,
      },
      null,
      2,
    ),
  );
  console.log(`results: ${path.relative(ROOT, file)}`);
}

main().catch((e) => {
  console.error(e);
  killAll();
  process.exit(1);
});
