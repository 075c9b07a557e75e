#!/usr/bin/env node
/**
 * RDB persistence, Keel vs redis-server 7.0 on the same machine, interleaved.
 *
 *   npm run build && node bench/rdb.js [--keys 1000000] [--rounds 3] [--quiet-ms 3000]
 *       [--servers redis,keel] [--write-rate 0] [--writer-batch 200] [--writer-inflight 4]
 *       [--bgsave-timeout-ms 300000] [--timeout-ms 600000] [--keep]
 *       [--keel-node-args="--cpu-prof --cpu-prof-dir /tmp/prof"]
 *
 * Per round, for each server (the order alternates between rounds):
 *   1. start it empty on a free loopback port in a temp dir, load a deterministic dataset of
 *      --keys keys (mostly strings; lists, hashes, sets, zsets of varied sizes; 10% with TTLs)
 *      with pipelining;
 *   2. SAVE (timed at the client) and the size of dump.rdb;
 *   3. restart on that dump: wall time from spawn until INFO says loading:0 and DBSIZE matches,
 *      and the server's own "DB loaded from disk: X seconds" log line;
 *   4. BGSAVE with no other traffic: its wall time, and the PSS growth meanwhile (what the
 *      snapshot takes with nothing to copy: Keel's buffers and worker, Redis's child);
 *   5. a writer (pipelined, overwriting keys in a fixed permutation) and a latency client (one
 *      PING or GET at a time, per-request latency) run; first --quiet-ms with no snapshot, then
 *      BGSAVE, polled with INFO persistence until rdb_bgsave_in_progress:0. Meanwhile RSS (and
 *      PSS) of the server and its children (Redis's fork) are sampled from /proc.
 * Prints medians and Keel/Redis ratios next to the targets, and writes everything as JSON
 * to bench/results/. Targets are reported, never asserted. The machines are shared and noisy.
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { Worker, isMainThread, workerData } = require('node:worker_threads');
const net = require('node:net');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { CLI, Client, ROOT, freePort, parseArgs, parseInfo, resp, sleep, splitWords } = require('./lib');

// ------------------------------------------------------------------ dataset (shared with workers)

function mix32(x) {
  x = x >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** mulberry32 */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were ' +
  'her she there been one all we their has would when if so no will more can out up user id name email status active ' +
  'order price total created updated session token cart item count value type true false null alpha beta gamma delta'
).split(' ');

/** text of about `len` bytes: words (repeats within a value, as real data has) and digits */
function text(r, len) {
  let s = '';
  while (s.length < len) s += r() < 0.15 ? String(Math.floor(r() * 100000)) + ' ' : WORDS[Math.floor(r() * WORDS.length)] + ' ';
  return s.slice(0, len);
}

const T_STRING = 0;
const T_LIST = 1;
const T_HASH = 2;
const T_SET = 3;
const T_ZSET = 4;
const TYPE_NAMES = ['string', 'list', 'hash', 'set', 'zset'];

function keyType(i) {
  const h = mix32(i) % 1000;
  if (h < 920) return T_STRING; // 92%
  if (h < 940) return T_LIST; // 2%
  if (h < 965) return T_HASH; // 2.5%
  if (h < 980) return T_SET; // 1.5%
  return T_ZSET; // 2%
}

function keyName(i) {
  return `${'slhSz'[keyType(i)]}:${i}`;
}

/** TTL in seconds (far in the future: nothing expires during the benchmark) or 0 */
function ttlOf(i) {
  const h = mix32(i ^ 0x9e3779b9);
  return h % 10 === 0 ? 86400 + (h % 86400) : 0;
}

function stringValue(i, pass) {
  const r = rng(mix32(i * 2654435761 + pass));
  const u = r();
  if (u < 0.25) return String(Math.floor(r() * 1e9)); // integer-encoded in RDB
  if (u < 0.8) return text(r, 8 + Math.floor(r() * 57));
  if (u < 0.97) return text(r, 65 + Math.floor(r() * 448));
  return text(r, 1024 + Math.floor(r() * 3072));
}

/** 80% small (listpack/intset), ~20% medium (some past the listpack limits), 0.2% big (2000-6000) */
function collectionSize(i) {
  const r = rng(mix32(i + 0x51ed27));
  const u = r();
  if (u < 0.8) return 1 + Math.floor(r() * 16);
  if (u < 0.998) return 17 + Math.floor(r() * 240);
  return 2000 + Math.floor(r() * 4000);
}

function isIntSet(i) {
  return mix32(i ^ 0x1234567) % 10 < 4;
}

function setMember(i, j) {
  return isIntSet(i) ? String(j * 7 + (mix32(i) % 1000)) : `m${j}-${mix32(i * 31 + j) % 100000}`;
}

function element(r) {
  return r() < 0.2 ? String(Math.floor(r() * 1e6)) : text(r, 4 + Math.floor(r() * 36));
}

function score(r) {
  return r() < 0.5 ? String(Math.floor(r() * 100000)) : String(Math.round(r() * 1e9) / 1000);
}

/** commands creating key i: [respText, commandCount] */
function createCommands(i) {
  const key = keyName(i);
  const ttl = ttlOf(i);
  const type = keyType(i);
  if (type === T_STRING) {
    const v = stringValue(i, 0);
    return ttl ? [resp(['SET', key, v, 'EX', String(ttl)]), 1] : [resp(['SET', key, v]), 1];
  }
  const n = collectionSize(i);
  const r = rng(mix32(i * 7 + 3));
  let out = '';
  let cmds = 0;
  const CH = 1000;
  for (let j0 = 0; j0 < n; j0 += CH) {
    const args = [];
    for (let j = j0; j < Math.min(n, j0 + CH); j++) {
      if (type === T_LIST) args.push(element(r));
      else if (type === T_HASH) args.push(`f${j}`, element(r));
      else if (type === T_SET) args.push(setMember(i, j));
      else args.push(score(r), `u${j}`);
    }
    out += resp([['RPUSH', 'HSET', 'SADD', 'ZADD'][type - 1], key, ...args]);
    cmds++;
  }
  if (ttl) {
    out += resp(['EXPIRE', key, String(ttl)]);
    cmds++;
  }
  return [out, cmds];
}

/** commands overwriting key i (pass > 0): every reply is one line */
function overwriteCommands(i, pass) {
  const key = keyName(i);
  const type = keyType(i);
  const r = rng(mix32(i * 13 + pass));
  switch (type) {
    case T_STRING:
      return [resp(['SET', key, stringValue(i, pass), 'KEEPTTL']), 1];
    case T_LIST:
      return [resp(['LSET', key, '0', element(r)]), 1];
    case T_HASH:
      return [resp(['HSET', key, 'f0', element(r)]), 1];
    case T_SET: {
      const m = setMember(i, 0);
      return [resp(['SREM', key, m]) + resp(['SADD', key, m]), 2];
    }
    default:
      return [resp(['ZADD', key, score(r), 'u0']), 1];
  }
}

/** a stride coprime with n: walking i*stride mod n visits every key once per pass */
function strideFor(n) {
  let s = Math.floor(n * 0.6180339887) | 1;
  const gcd = (a, b) => (b === 0 ? a : gcd(b, a % b));
  while (gcd(s, n) !== 1) s += 2;
  return s % n || 1;
}

// ------------------------------------------------------------------ a pipelining connection

/**
 * Sends buffers of commands whose replies are all single-line (+OK, :n, -ERR) and resolves
 * each send once its replies have arrived. Error replies are collected.
 */
class LinePipe {
  constructor(port) {
    this.port = port;
    this.queue = []; // {left, resolve}
    this.atLineStart = true;
    this.inError = false;
    this.errLine = '';
    this.errors = [];
    this.closed = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      this.sock = net.connect(this.port, '127.0.0.1', () => resolve(this));
      this.sock.setNoDelay(true);
      this.sock.on('error', (e) => {
        this.closed = e;
        reject(e);
        for (const q of this.queue.splice(0)) q.reject(e);
      });
      this.sock.on('close', () => {
        this.closed ??= new Error('connection closed');
        for (const q of this.queue.splice(0)) q.reject(this.closed);
      });
      this.sock.on('data', (b) => this.onData(b));
    });
  }

  onData(b) {
    let lines = 0;
    for (let k = 0; k < b.length; k++) {
      const c = b[k];
      if (this.atLineStart) {
        this.atLineStart = false;
        if (c === 0x2d) this.inError = true;
      }
      if (this.inError && c !== 10 && c !== 13 && this.errLine.length < 200) this.errLine += String.fromCharCode(c);
      if (c === 10) {
        lines++;
        this.atLineStart = true;
        if (this.inError) {
          if (this.errors.length < 20) this.errors.push(this.errLine);
          this.inError = false;
          this.errLine = '';
        }
      }
    }
    while (lines > 0 && this.queue.length) {
      const q = this.queue[0];
      const take = Math.min(lines, q.left);
      q.left -= take;
      lines -= take;
      if (q.left === 0) {
        this.queue.shift();
        q.resolve();
      }
    }
  }

  send(text, replies) {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      this.queue.push({ left: replies, resolve, reject });
      this.sock.write(text, 'latin1');
    });
  }

  close() {
    this.sock?.destroy();
  }
}

const now = () => performance.timeOrigin + performance.now(); // absolute ms, comparable across threads

// ------------------------------------------------------------------ workers

/**
 * Shared state between the main thread and the workers (no messages needed, so the main
 * thread can read results and terminate a worker stuck on a slow server at any time):
 * ctl: Int32Array  [0] stop flag  [1] keys overwritten (acknowledged)  [2] writer error replies
 *                  [3] latency requests done  [4] phase (0 warm-up, 1 quiet, 2 BGSAVE, 3 after)
 *                  [5] latency error replies  [6] writer lost its connection
 * hist: per phase, request latency counts: 1 us buckets below 1 s, then 1 ms buckets to 100 s
 * maxes: Float64Array, per phase, the exact worst latency in ms
 */
const H_FINE = 1000000;
const H_COARSE = 99000;
const H_SIZE = H_FINE + H_COARSE + 1;
const PHASES = 4;

function histIndex(ms) {
  const us = Math.floor(ms * 1000);
  if (us < H_FINE) return us;
  return Math.min(H_FINE + Math.floor((us - H_FINE) / 1000), H_SIZE - 1);
}

function histValue(k) {
  return k < H_FINE ? k / 1000 : 1000 + (k - H_FINE);
}

function histPercentile(counts, p) {
  let n = 0;
  for (let k = 0; k < counts.length; k++) n += counts[k];
  if (n === 0) return { n, value: NaN };
  const want = Math.ceil((p / 100) * n);
  let c = 0;
  for (let k = 0; k < counts.length; k++) {
    c += counts[k];
    if (c >= want) return { n, value: histValue(k) };
  }
  return { n, value: NaN };
}

async function writerWorker({ port, keys, control, batchKeys, inflight, rate }) {
  const ctl = new Int32Array(control);
  const pipe = await new LinePipe(port).connect();
  const stride = strideFor(keys);
  const t0 = now();
  let j = 0; // position in the permutation, across passes
  const pending = [];
  while (Atomics.load(ctl, 0) === 0) {
    if (rate > 0) {
      const due = t0 + (j / rate) * 1000;
      if (due > now()) await sleep(due - now());
    }
    let textOut = '';
    let cmds = 0;
    for (let k = 0; k < batchKeys; k++, j++) {
      const i = ((j % keys) * stride) % keys;
      const [t, c] = overwriteCommands(i, 1 + Math.floor(j / keys));
      textOut += t;
      cmds += c;
    }
    const n = batchKeys;
    pending.push(
      pipe.send(textOut, cmds).then(
        () => {
          Atomics.add(ctl, 1, n);
          Atomics.store(ctl, 2, pipe.errors.length);
        },
        () => {
          if (Atomics.load(ctl, 0) === 0) Atomics.add(ctl, 6, 1); // lost the connection while running
        },
      ),
    );
    if (pending.length >= inflight) await pending.shift();
  }
  pipe.close();
}

async function latencyWorker({ port, keys, control, hist, maxes }) {
  const ctl = new Int32Array(control);
  const counts = new Uint32Array(hist);
  const worst = new Float64Array(maxes);
  const c = await new Client(port).connect();
  const r = rng(12345);
  let n = 0;
  while (Atomics.load(ctl, 0) === 0) {
    let args;
    if (n % 2 === 0) args = ['PING'];
    else {
      let i;
      do i = Math.floor(r() * keys);
      while (keyType(i) !== T_STRING);
      args = ['GET', keyName(i)];
    }
    const t0 = now();
    const rep = await c.call(...args);
    const ms = now() - t0;
    const phase = Atomics.load(ctl, 4); // the phase the reply arrived in
    counts[phase * H_SIZE + histIndex(ms)]++;
    if (ms > worst[phase]) worst[phase] = ms;
    if (rep instanceof Error) Atomics.add(ctl, 5, 1);
    Atomics.store(ctl, 3, ++n);
  }
  c.close();
}

if (!isMainThread) {
  const fn = workerData.kind === 'writer' ? writerWorker : latencyWorker;
  fn(workerData).then(
    () => require('node:worker_threads').parentPort.postMessage({ ok: true }),
    (e) => require('node:worker_threads').parentPort.postMessage({ ok: false, error: String(e && e.stack) }),
  );
  return;
}

// ------------------------------------------------------------------ main thread

const args = parseArgs(process.argv.slice(2));
const KEYS = Number(args.keys ?? 1000000);
const ROUNDS = Number(args.rounds ?? 3);
const QUIET_MS = Number(args['quiet-ms'] ?? 3000);
const SERVERS = String(args.servers ?? 'redis,keel').split(',');
const KEEL_NODE_ARGS = splitWords(args['keel-node-args'] ?? '');
const KEEP = Boolean(args.keep);
const BATCH_KEYS = Number(args['writer-batch'] ?? 200);
const INFLIGHT = Number(args['writer-inflight'] ?? 4);
/** bounds on every wait, so a stuck server ends the run with an error instead of hanging */
const SAVE_TIMEOUT_MS = Number(args['timeout-ms'] ?? 600000);
/** a BGSAVE still running after this long is reported as a lower bound (">") and abandoned */
const BGSAVE_TIMEOUT_MS = Number(args['bgsave-timeout-ms'] ?? 300000);
/** writer: keys per second, 0 = as fast as the server acknowledges (with --writer-inflight batches in flight) */
const WRITE_RATE = Number(args['write-rate'] ?? 0);

const live = new Set(); // spawned processes, killed on any exit
const workers = new Set();
const tempDirs = [];

function cleanup() {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  live.clear();
  for (const w of workers) w.terminate();
  workers.clear();
  if (!KEEP) for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: stopping servers\n`);
    cleanup();
    process.exit(130);
  });
}
process.on('exit', cleanup);

/** Starts a server in `dir` (loading its dump.rdb if present); resolves once it accepts connections. */
async function startServer(kind, dir, tag) {
  const port = await freePort();
  const logFile = path.join(dir, `${tag}.log`);
  const out = fs.openSync(logFile, 'a');
  const common = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'notice'];
  const proc =
    kind === 'redis'
      ? spawn('redis-server', [...common, '--daemonize', 'no'], { stdio: ['ignore', out, out] })
      : spawn(process.execPath, [...KEEL_NODE_ARGS, CLI, 'server', ...common], { stdio: ['ignore', out, out], cwd: dir });
  fs.closeSync(out);
  const spawnedAt = now();
  live.add(proc);
  proc.on('exit', () => live.delete(proc));
  const s = { kind, port, proc, pid: proc.pid, dir, logFile, spawnedAt };
  let client = null;
  for (let i = 0; i < 1500 && !client; i++) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${kind} exited (${proc.exitCode ?? proc.signalCode}); log: ${logFile}\n${tail(logFile)}`);
    try {
      client = await new Client(port, { timeoutMs: SAVE_TIMEOUT_MS }).connect(500);
    } catch {
      await sleep(10);
    }
  }
  if (!client) throw new Error(`${kind} did not accept connections on ${port}`);
  s.ctl = client;
  return s;
}

function tail(file, n = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** SIGTERM (so `node --cpu-prof` writes its profile), SIGKILL after 20 s. No save: --save "". */
async function stopServer(s) {
  s.ctl?.close();
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  const t = setTimeout(() => s.proc.kill('SIGKILL'), 20000);
  await exited;
  clearTimeout(t);
}

async function info(s, section) {
  return parseInfo(await s.ctl.ok('INFO', section));
}

// ---- /proc sampling

function procKb(pid, file, field) {
  try {
    const txt = fs.readFileSync(`/proc/${pid}/${file}`, 'latin1');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(txt);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid) {
  const out = [];
  try {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const c = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'latin1').trim();
        if (c) out.push(...c.split(/\s+/).map(Number));
      } catch {
        /* thread gone */
      }
    }
  } catch {
    /* process gone */
  }
  return out;
}

/** RSS and PSS of a server and its children (Redis's BGSAVE fork), in bytes */
function memSample(pid) {
  const pids = [pid, ...childrenOf(pid)];
  let rss = 0;
  let pss = 0;
  for (const p of pids) {
    rss += procKb(p, 'status', 'VmRSS');
    pss += procKb(p, 'smaps_rollup', 'Pss');
  }
  return { t: now(), rss, pss, procs: pids.length, rssMain: procKb(pid, 'status', 'VmRSS') };
}

// ---- phases

async function loadDataset(s) {
  const pipe = await new LinePipe(s.port).connect();
  const t0 = now();
  const CHUNK = 2000;
  const pending = [];
  let cmdsTotal = 0;
  for (let i0 = 0; i0 < KEYS; i0 += CHUNK) {
    let text = '';
    let cmds = 0;
    for (let i = i0; i < Math.min(KEYS, i0 + CHUNK); i++) {
      const [t, c] = createCommands(i);
      text += t;
      cmds += c;
    }
    cmdsTotal += cmds;
    pending.push(pipe.send(text, cmds));
    if (pending.length >= 4) await pending.shift();
    if (pipe.errors.length) break;
  }
  await Promise.all(pending);
  const secs = (now() - t0) / 1000;
  pipe.close();
  if (pipe.errors.length) throw new Error(`${s.kind}: errors while loading the dataset: ${pipe.errors.slice(0, 3).join(' | ')}`);
  const dbsize = await s.ctl.ok('DBSIZE');
  if (dbsize !== KEYS) throw new Error(`${s.kind}: DBSIZE ${dbsize} after loading ${KEYS} keys`);
  return { secs, commands: cmdsTotal };
}

/** Wall time from spawn until loading:0 and DBSIZE matches; and the server's own log line. */
async function startAndTimeLoad(kind, dir, expectedKeys, tag) {
  const s = await startServer(kind, dir, tag);
  const deadline = now() + SAVE_TIMEOUT_MS;
  for (;;) {
    if (now() > deadline) throw new Error(`${kind}: still loading after ${SAVE_TIMEOUT_MS} ms`);
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) throw new Error(`${kind} exited while loading; log:\n${tail(s.logFile)}`);
    const inf = parseInfo(await s.ctl.ok('INFO', 'persistence'));
    if (inf.loading === '0') {
      const n = await s.ctl.call('DBSIZE');
      if (n === expectedKeys) break;
      if (typeof n === 'number') throw new Error(`${kind}: loaded ${n} keys, expected ${expectedKeys}`);
    }
    await sleep(5);
  }
  const wall = (now() - s.spawnedAt) / 1000;
  const m = /DB loaded from disk: ([0-9.]+) seconds/.exec(fs.readFileSync(s.logFile, 'utf8').split(`\n`).slice(-50).join('\n'));
  return { s, wall, logged: m ? Number(m[1]) : NaN };
}

/** Starts a worker; the returned handle's `done` settles when it ends (or fails). */
function startWorker(data) {
  const w = new Worker(__filename, { workerData: data });
  workers.add(w);
  const done = new Promise((resolve) => {
    w.once('message', (m) => resolve(m.ok ? null : new Error(m.error)));
    w.once('error', (e) => resolve(e));
    w.once('exit', () => resolve(null));
  });
  return {
    done,
    /** waits up to `ms` for the worker to end on its own, then terminates it */
    async stop(ms) {
      const err = await Promise.race([done, sleep(ms).then(() => 'timeout')]);
      workers.delete(w);
      await w.terminate();
      return err === 'timeout' ? null : err;
    },
  };
}

/**
 * BGSAVE with no other traffic: wall time from the command to rdb_bgsave_in_progress:0, and
 * the memory it takes with nothing to copy: the snapshot's own buffers (Keel: the writer's
 * backlog and its worker thread; Redis: the fork child's private pages).
 */
async function bgsaveIdle(s) {
  const before = memSample(s.pid);
  const samples = [];
  const sampler = setInterval(() => samples.push(memSample(s.pid)), 20);
  const growth = (f) => Math.max(0, samples.reduce((m, x) => Math.max(m, x[f]), 0) - before[f]);
  const t0 = now();
  try {
    const reply = await s.ctl.call('BGSAVE');
    if (reply instanceof Error) throw new Error(`${s.kind}: BGSAVE: ${reply.message}`);
    for (;;) {
      if (now() - t0 > BGSAVE_TIMEOUT_MS) return { wall: (now() - t0) / 1000, timedOut: true, pssGrowth: growth('pss') };
      const inf = await info(s, 'persistence');
      if (inf.rdb_bgsave_in_progress === '0') {
        if (inf.rdb_last_bgsave_status !== 'ok') throw new Error(`${s.kind}: rdb_last_bgsave_status ${inf.rdb_last_bgsave_status}`);
        return { wall: (now() - t0) / 1000, timedOut: false, pssGrowth: growth('pss') };
      }
      await sleep(5);
    }
  } finally {
    clearInterval(sampler);
  }
}

/**
 * The writer and the latency client run; QUIET_MS with no snapshot, then BGSAVE until
 * rdb_bgsave_in_progress:0 (or BGSAVE_TIMEOUT_MS: then the figures cover the time until then).
 */
async function bgsaveUnderLoad(s) {
  const control = new SharedArrayBuffer(4 * 8);
  const ctl = new Int32Array(control);
  const hist = new SharedArrayBuffer(4 * H_SIZE * PHASES);
  const maxes = new SharedArrayBuffer(8 * PHASES);
  const writer = startWorker({ kind: 'writer', port: s.port, keys: KEYS, control, batchKeys: BATCH_KEYS, inflight: INFLIGHT, rate: WRITE_RATE });
  const latency = startWorker({ kind: 'latency', port: s.port, keys: KEYS, control, hist, maxes });
  const samples = [];
  const sampler = setInterval(() => samples.push(memSample(s.pid)), 20);
  const ph = (p) => Atomics.store(ctl, 4, p);
  try {
    // both workers going (bounded), then the quiet window: writes, no snapshot
    for (let i = 0; i < 1000 && (Atomics.load(ctl, 1) === 0 || Atomics.load(ctl, 3) === 0); i++) await sleep(10);
    if (Atomics.load(ctl, 1) === 0 || Atomics.load(ctl, 3) === 0) throw new Error(`${s.kind}: writer or latency client did not start`);
    ph(1);
    const quietStart = now();
    const writtenQuietStart = Atomics.load(ctl, 1);
    await sleep(QUIET_MS);
    const before = memSample(s.pid);
    const writtenBefore = Atomics.load(ctl, 1);
    const quietEnd = now();
    ph(2);
    const t0 = now();
    const reply = await s.ctl.call('BGSAVE');
    if (reply instanceof Error) throw new Error(`${s.kind}: BGSAVE: ${reply.message}`);
    let inf;
    let timedOut = false;
    let progress = null; // Keel's INFO current_save_keys_processed/total when the wait timed out
    for (;;) {
      if (now() - t0 > BGSAVE_TIMEOUT_MS) {
        timedOut = true;
        if (inf?.current_save_keys_total) progress = { processed: Number(inf.current_save_keys_processed), total: Number(inf.current_save_keys_total) };
        break;
      }
      inf = await info(s, 'persistence');
      if (inf.rdb_bgsave_in_progress === '0') break;
      await sleep(5);
    }
    const t1 = now();
    ph(3);
    const writtenDuring = Atomics.load(ctl, 1) - writtenBefore;
    clearInterval(sampler);
    Atomics.store(ctl, 0, 1);
    const [werr, lerr] = await Promise.all([writer.stop(timedOut ? 2000 : 10000), latency.stop(timedOut ? 2000 : 10000)]);
    if (werr) throw werr;
    if (lerr) throw lerr;
    if (Atomics.load(ctl, 2) > 0) throw new Error(`${s.kind}: the writer got ${Atomics.load(ctl, 2)} error replies`);
    if (Atomics.load(ctl, 6) > 0) throw new Error(`${s.kind}: the writer lost its connection`);
    if (!timedOut && inf.rdb_last_bgsave_status !== 'ok') throw new Error(`${s.kind}: rdb_last_bgsave_status ${inf.rdb_last_bgsave_status}`);
    const stats = timedOut ? {} : await info(s, 'stats');
    const counts = new Uint32Array(hist);
    const worst = new Float64Array(maxes);
    const phaseCounts = (p) => counts.subarray(p * H_SIZE, (p + 1) * H_SIZE);
    const q99 = histPercentile(phaseCounts(1), 99);
    const b99 = histPercentile(phaseCounts(2), 99);
    const inSave = samples.filter((x) => x.t >= t0 && x.t <= t1);
    const inQuiet = samples.filter((x) => x.t >= quietStart && x.t <= quietEnd);
    const peak = (xs, f) => xs.reduce((m, x) => Math.max(m, x[f]), 0);
    const low = (xs, f) => xs.reduce((m, x) => Math.min(m, x[f]), Infinity);
    return {
      wall: (t1 - t0) / 1000,
      timedOut,
      progressAtTimeout: progress,
      keysOverwrittenDuring: writtenDuring,
      coverage: Math.min(1, writtenDuring / KEYS),
      writesPerSecQuiet: (writtenBefore - writtenQuietStart) / ((quietEnd - quietStart) / 1000),
      writesPerSecDuring: writtenDuring / ((t1 - t0) / 1000),
      latQuietP99: q99.value,
      latQuietMax: worst[1],
      latQuietN: q99.n,
      latBgP99: b99.value,
      latBgMax: worst[2],
      latBgN: b99.n,
      latencyErrors: Atomics.load(ctl, 5),
      rssBefore: before.rss,
      pssBefore: before.pss,
      rssPeak: peak(inSave, 'rss'),
      pssPeak: peak(inSave, 'pss'),
      rssGrowth: Math.max(0, peak(inSave, 'rss') - before.rss),
      pssGrowth: Math.max(0, peak(inSave, 'pss') - before.pss),
      rssQuietRange: inQuiet.length ? peak(inQuiet, 'rss') - low(inQuiet, 'rss') : NaN,
      maxProcs: inSave.reduce((m, x) => Math.max(m, x.procs), 0),
      memSamples: inSave.length,
      lastCowSize: timedOut ? NaN : Number(inf.rdb_last_cow_size),
      latestForkUsec: Number(stats.latest_fork_usec ?? NaN),
    };
  } finally {
    clearInterval(sampler);
    Atomics.store(ctl, 0, 1);
    await Promise.all([writer.stop(2000), latency.stop(2000)]);
  }
}

async function oneServer(kind, round, base) {
  const dir = path.join(base, `r${round}-${kind}`);
  fs.mkdirSync(dir, { recursive: true });
  const log = (m) => process.stderr.write(`round ${round + 1}/${ROUNDS} ${kind}: ${m}\n`);
  const res = { kind, round };
  let s = await startServer(kind, dir, 'fill');
  try {
    const ld = await loadDataset(s);
    res.fillSecs = ld.secs;
    const mem = await info(s, 'memory');
    res.usedMemory = Number(mem.used_memory);
    res.rssAfterFill = memSample(s.pid).rss;
    log(`dataset ${KEYS} keys (${ld.commands} commands) in ${ld.secs.toFixed(1)} s, used_memory ${mb(res.usedMemory)}, rss ${mb(res.rssAfterFill)}`);

    const t0 = now();
    await s.ctl.ok('SAVE');
    res.saveSecs = (now() - t0) / 1000;
    res.fileBytes = fs.statSync(path.join(dir, 'dump.rdb')).size;
    log(`SAVE ${res.saveSecs.toFixed(2)} s, dump.rdb ${mb(res.fileBytes)}`);
    await stopServer(s);

    const l = await startAndTimeLoad(kind, dir, KEYS, 'load');
    s = l.s;
    res.loadWallSecs = l.wall;
    res.loadLoggedSecs = l.logged;
    res.rssAfterLoad = memSample(s.pid).rss;
    log(`load ${l.wall.toFixed(2)} s from spawn (log: ${l.logged} s), rss ${mb(res.rssAfterLoad)}`);

    res.bgIdle = await bgsaveIdle(s);
    log(`BGSAVE, no other traffic ${res.bgIdle.timedOut ? ">" : ""}${res.bgIdle.wall.toFixed(2)} s, pss growth ${mb(res.bgIdle.pssGrowth)}`);

    if (res.bgIdle.timedOut) {
      // still saving: a second BGSAVE would be refused; the server is stopped with it running
      res.bg = { skipped: true, timedOut: false, wall: NaN, coverage: NaN, writesPerSecQuiet: NaN, writesPerSecDuring: NaN, latQuietP99: NaN, latQuietMax: NaN, latBgP99: NaN, latBgMax: NaN, rssBefore: NaN, rssGrowth: NaN, pssGrowth: NaN, rssQuietRange: NaN, lastCowSize: NaN, latestForkUsec: NaN };
      log('BGSAVE under writes skipped: the BGSAVE without traffic did not finish');
      return res;
    }
    res.bg = await bgsaveUnderLoad(s);
    const b = res.bg;
    log(
      `BGSAVE under writes ${b.timedOut ? '>' : ''}${b.wall.toFixed(2)} s` +
        `${b.timedOut ? ` (TIMED OUT${b.progressAtTimeout ? `, ${b.progressAtTimeout.processed}/${b.progressAtTimeout.total} keys saved` : ''})` : ''}, ` +
        `writer ${Math.round(b.writesPerSecQuiet)} keys/s before, ${Math.round(b.writesPerSecDuring)} during (${(b.coverage * 100).toFixed(0)}% of keys overwritten during it); ` +
        `latency p99 quiet ${b.latQuietP99.toFixed(2)} ms, during p99 ${b.latBgP99.toFixed(2)} ms max ${b.latBgMax.toFixed(2)} ms; ` +
        `rss growth ${mb(b.rssGrowth)} (pss ${mb(b.pssGrowth)}) on ${mb(b.rssBefore)}, rdb_last_cow_size ${mb(b.lastCowSize)}`,
    );
  } finally {
    await stopServer(s);
  }
  if (!KEEP) fs.rmSync(dir, { recursive: true, force: true });
  return res;
}

function mb(b) {
  return `${(b / 1048576).toFixed(1)} MB`;
}

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function versionOf(cmd, a) {
  try {
    return execFileSync(cmd, a, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main() {
  if (!fs.existsSync(CLI)) throw new Error('build first: npm run build');
  if (!Number.isInteger(KEYS) || KEYS < 1000) throw new Error('--keys must be an integer >= 1000');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-rdb-bench-'));
  tempDirs.push(base);
  const results = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? SERVERS : [...SERVERS].reverse();
    for (const kind of order) results.push(await oneServer(kind, r, base));
  }

  const pick = (kind, f) => median(results.filter((x) => x.kind === kind).map(f));
  /** ">" when any sample of this server is a lower bound (a BGSAVE that timed out) */
  const lower = (kind, t) => (t ? results.some((x) => x.kind === kind && t(x)) : false);
  const bgT = (x) => x.bg.timedOut;
  const MB = 1048576;
  const rows = [
    // [label, getter, unit, target, timed-out getter]
    ['dataset fill (pipelined)', (x) => x.fillSecs, 's'],
    ['used_memory after fill', (x) => x.usedMemory / MB, 'MB'],
    ['RSS after fill', (x) => x.rssAfterFill / MB, 'MB'],
    ['SAVE', (x) => x.saveSecs, 's', '<= 1.5x'],
    ['dump.rdb size', (x) => x.fileBytes / MB, 'MB', '<= 1.05x'],
    ['load at startup (spawn..ready)', (x) => x.loadWallSecs, 's', '<= 1.5x'],
    ['load (logged "DB loaded")', (x) => x.loadLoggedSecs, 's', '<= 1.5x'],
    ['BGSAVE, no other traffic', (x) => x.bgIdle.wall, 's', '', (x) => x.bgIdle.timedOut],
    ['PSS growth, BGSAVE no traffic', (x) => x.bgIdle.pssGrowth / MB, 'MB'],
    ['BGSAVE under writes', (x) => x.bg.wall, 's', '', bgT],
    ['writer keys/s, no snapshot', (x) => x.bg.writesPerSecQuiet / 1000, 'k/s'],
    ['writer keys/s, during BGSAVE', (x) => x.bg.writesPerSecDuring / 1000, 'k/s'],
    ['keys overwritten during BGSAVE', (x) => x.bg.coverage * 100, '%'],
    ['latency p99, no snapshot', (x) => x.bg.latQuietP99, 'ms'],
    ['latency max, no snapshot', (x) => x.bg.latQuietMax, 'ms'],
    ['latency p99 during BGSAVE', (x) => x.bg.latBgP99, 'ms'],
    ['latency max during BGSAVE', (x) => x.bg.latBgMax, 'ms', '< 1x'],
    ['latest_fork_usec', (x) => x.bg.latestForkUsec / 1000, 'ms'],
    ['RSS before BGSAVE', (x) => x.bg.rssBefore / MB, 'MB'],
    ['RSS growth (server+children)', (x) => x.bg.rssGrowth / MB, 'MB'],
    ['PSS growth (server+children)', (x) => x.bg.pssGrowth / MB, 'MB'],
    ['PSS growth / RSS before', (x) => (x.bg.pssGrowth / x.bg.rssBefore) * 100, '%'],
    ['RSS range in no-snapshot window', (x) => x.bg.rssQuietRange / MB, 'MB'],
    ['rdb_last_cow_size', (x) => x.bg.lastCowSize / MB, 'MB'],
  ];
  const table = [];
  for (const [label, f, unit, target, t] of rows) {
    const rv = SERVERS.includes('redis') ? pick('redis', f) : NaN;
    const kv = SERVERS.includes('keel') ? pick('keel', f) : NaN;
    table.push({ metric: label, unit, redis: rv, keel: kv, ratio: kv / rv, target: target ?? '', redisLowerBound: lower('redis', t), keelLowerBound: lower('keel', t) });
  }
  // Keel against itself
  const own = [];
  if (SERVERS.includes('keel')) {
    const k = (f) => pick('keel', f);
    const anyT = lower('keel', bgT);
    own.push({ metric: 'Keel BGSAVE under writes / Keel SAVE', value: k((x) => x.bg.wall) / k((x) => x.saveSecs), target: '<= 2x', lowerBound: anyT });
    own.push({ metric: 'Keel p99 during BGSAVE / Keel p99 no snapshot', value: k((x) => x.bg.latBgP99) / k((x) => x.bg.latQuietP99), target: '<= 2x' });
    own.push({ metric: 'Keel PSS growth during BGSAVE / RSS before', value: k((x) => x.bg.pssGrowth) / k((x) => x.bg.rssBefore), target: '<= 0.10 + fixed buffer' });
  }

  const fmt = (v, lb) => (!Number.isFinite(v) ? '-' : (lb ? '>' : '') + (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)));
  const cmdline = `node bench/rdb.js ${process.argv.slice(2).join(' ')}`.trim();
  console.log(`\n${cmdline}\nRDB benchmark: ${KEYS} keys, ${ROUNDS} round(s), medians; node ${process.version}, ${versionOf('redis-server', ['--version']).split(' ').slice(0, 3).join(' ')}, ${os.cpus().length} CPUs`);
  console.log(`${'metric'.padEnd(34)} ${'unit'.padEnd(4)} ${'redis'.padStart(10)} ${'keel'.padStart(10)} ${'keel/redis'.padStart(11)}  target`);
  for (const t of table) {
    const ratioLb = t.keelLowerBound && !t.redisLowerBound;
    console.log(`${t.metric.padEnd(34)} ${t.unit.padEnd(4)} ${fmt(t.redis, t.redisLowerBound).padStart(10)} ${fmt(t.keel, t.keelLowerBound).padStart(10)} ${fmt(t.ratio, ratioLb).padStart(11)}  ${t.target}`);
  }
  for (const o of own) console.log(`${o.metric.padEnd(50)} ${fmt(o.value, o.lowerBound).padStart(10)}  ${o.target}`);
  if (results.some((x) => x.bg.timedOut || x.bgIdle.timedOut)) console.log(`(">": a BGSAVE did not finish within --bgsave-timeout-ms ${BGSAVE_TIMEOUT_MS}; its figures cover the time until then)`);

  const outDir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `rdb-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout */
  }
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        command: cmdline,
        args: { keys: KEYS, rounds: ROUNDS, quietMs: QUIET_MS, servers: SERVERS, writerBatch: BATCH_KEYS, writerInflight: INFLIGHT, writeRate: WRITE_RATE, bgsaveTimeoutMs: BGSAVE_TIMEOUT_MS, keelNodeArgs: KEEL_NODE_ARGS },
        machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, mem: os.totalmem(), node: process.version, redis: versionOf('redis-server', ['--version']), commit },
        table,
        own,
        rounds: results,
      },
      null,
      2,
    ),
  );
  console.log(`\nresults: ${path.relative(ROOT, file)}`);
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (e) => {
    console.error(e);
    cleanup();
    process.exit(1);
  },
);
