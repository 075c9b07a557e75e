#!/usr/bin/env node
/**
 * Big sorted set, Keel vs redis-server 7.0 on the same machine, interleaved.
 *
 *   npm run build && node bench/zset.js [--rounds 3] [--members 1000000] [--pipelines 1,16]
 *                                       [--clients 50] [--n 200000] [--tests zadd,zrangebyscore]
 *                                       [--server-args "..."] [--keel-node-args="--cpu-prof ..."]
 *
 * Starts redis-server and Keel with the same settings (no persistence unless --server-args says
 * otherwise), each in its own dir on a free loopback port, and builds in each the sorted set
 * `bigz` of --members members `m:<i as 12 digits>` with score i (pipelined ZADDs of 1000 members).
 * Then, for several rounds (alternating which server goes first), redis-benchmark sends a fixed
 * number of requests from --clients connections with -r <members>:
 *   zadd            ZADD bigz __rand_int__ m:__rand_int__     (an existing member gets a new
 *                                                              random score: the set stays
 *                                                              --members big, ZCARD checked)
 *   zrangebyscore   ZRANGEBYSCORE bigz __rand_int__ +inf LIMIT 0 10
 * (redis-benchmark writes __rand_int__ as 12 digits, hence the member names.) Prints requests/s
 * medians and Keel/Redis ratios per pipeline and writes everything as JSON to bench/results/.
 * The machines are shared and noisy: read the medians, not single runs.
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');

const args = parseArgs(process.argv.slice(2));
const rounds = Number(args.rounds ?? 3);
const MEMBERS = Number(args.members ?? 1000000);
const pipelines = String(args.pipelines ?? '1,16').split(',').map(Number);
const clients = Number(args.clients ?? 50);
const requests = (p) => Number(args.n ?? (p > 1 ? 1000000 : 200000));
const testNames = String(args.tests ?? 'zadd,zrangebyscore').split(',');
const shared = splitWords(args['server-args'] ?? '');
const keelNodeArgs = splitWords(args['keel-node-args'] ?? '');
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const KEY = 'bigz';

const TESTS = {
  zadd: ['zadd', KEY, '__rand_int__', 'm:__rand_int__'],
  zrangebyscore: ['zrangebyscore', KEY, '__rand_int__', '+inf', 'LIMIT', '0', '10'],
};

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) continue;
    let k = argv[i].slice(2);
    let v;
    const eq = k.indexOf('=');
    if (eq >= 0) {
      v = k.slice(eq + 1);
      k = k.slice(0, eq);
    } else {
      // *-args values are server arguments and start with -- themselves
      const takesValue = k.endsWith('-args') || (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--'));
      v = takesValue && argv[i + 1] !== undefined ? argv[++i] : true;
    }
    out[k] = v;
  }
  return out;
}

function splitWords(s) {
  return s.trim() === '' ? [] : s.trim().split(/\s+/).map((w) => (w === '""' ? '' : w));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

// ------------------------------------------------------------------ a minimal RESP client

function resp(a) {
  let s = `*${a.length}\r\n`;
  for (const x of a) s += `$${x.length}\r\n${x}\r\n`;
  return s;
}

function parseReply(b, p) {
  const nl = b.indexOf('\r\n', p, 'latin1');
  if (nl < 0) return null;
  const t = b[p];
  const line = b.latin1Slice(p + 1, nl);
  if (t === 0x2b) return { value: line, end: nl + 2 };
  if (t === 0x2d) return { value: new Error(line), end: nl + 2 };
  if (t === 0x3a) return { value: Number(line), end: nl + 2 };
  if (t === 0x24) {
    const n = Number(line);
    if (n < 0) return { value: null, end: nl + 2 };
    if (b.length < nl + 2 + n + 2) return null;
    return { value: b.latin1Slice(nl + 2, nl + 2 + n), end: nl + 2 + n + 2 };
  }
  if (t === 0x2a) {
    const n = Number(line);
    const arr = [];
    let q = nl + 2;
    for (let k = 0; k < n; k++) {
      const r = parseReply(b, q);
      if (r === null) return null;
      arr.push(r.value);
      q = r.end;
    }
    return { value: n < 0 ? null : arr, end: q };
  }
  throw new Error(`unexpected reply byte ${t}`);
}

class Client {
  constructor(port) {
    this.port = port;
    this.buf = Buffer.alloc(0);
    this.waiting = []; // {n, replies, resolve, reject}
    this.closed = null;
  }

  connect(timeoutMs = 2000) {
    return new Promise((resolve, reject) => {
      const sock = net.connect(this.port, '127.0.0.1');
      const t = setTimeout(() => {
        sock.destroy();
        reject(new Error('connect timeout'));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(t);
        this.sock = sock;
        resolve(this);
      });
      sock.on('error', (e) => {
        clearTimeout(t);
        reject(e);
        this.fail(e);
      });
      sock.on('close', () => this.fail(new Error('connection closed')));
      sock.on('data', (d) => this.onData(d));
      sock.setNoDelay(true);
    });
  }

  onData(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let p = 0;
    while (this.waiting.length) {
      const r = parseReply(this.buf, p);
      if (r === null) break;
      p = r.end;
      const w = this.waiting[0];
      if (w.replies.length < 8 || r.value instanceof Error) w.replies.push(r.value);
      if (--w.n === 0) {
        this.waiting.shift();
        w.resolve(w.replies);
      }
    }
    this.buf = p === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(p);
  }

  fail(e) {
    this.closed ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  raw(text, n) {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      this.waiting.push({ n, replies: [], resolve, reject });
      this.sock.write(text, 'latin1');
    });
  }

  async ok(...a) {
    const r = (await this.raw(resp(a.map(String)), 1))[0];
    if (r instanceof Error) throw new Error(`${a.join(' ')}: ${r.message}`);
    return r;
  }

  close() {
    this.sock?.destroy();
  }
}

// ------------------------------------------------------------------ servers

const live = new Set();

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

async function startServer(name, base) {
  const dir = path.join(base, name);
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const a = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', ...shared];
  const proc =
    name === 'redis'
      ? spawn('redis-server', [...a, '--daemonize', 'no'], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, [...keelNodeArgs, CLI, 'server', ...a], { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(proc);
  let stderr = '';
  proc.stderr.on('data', (d) => {
    if (stderr.length < 4000) stderr += d;
  });
  proc.on('exit', () => live.delete(proc));
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}): ${stderr}`);
    try {
      const c = await new Client(port).connect(1000);
      return { name, port, proc, client: c };
    } catch {
      if (Date.now() - t0 > 30000) throw new Error(`${name} did not listen on ${port} within 30 s`);
      await sleep(20);
    }
  }
}

const member = (i) => `m:${String(i).padStart(12, '0')}`;

async function build(s) {
  const c = s.client;
  await c.ok('DEL', KEY);
  const PER_CMD = 1000;
  const WINDOW = 8;
  const t0 = performance.now();
  const inflight = new Set();
  const errors = [];
  for (let next = 0; next < MEMBERS || inflight.size; ) {
    while (next < MEMBERS && inflight.size < WINDOW) {
      const end = Math.min(MEMBERS, next + PER_CMD);
      const a = ['ZADD', KEY];
      for (let i = next; i < end; i++) a.push(String(i), member(i));
      const p = c.raw(resp(a), 1).then((rs) => {
        inflight.delete(p);
        for (const r of rs) if (r instanceof Error && errors.length < 5) errors.push(r.message);
      });
      inflight.add(p);
      next = end;
    }
    if (inflight.size) await Promise.race(inflight);
  }
  const secs = (performance.now() - t0) / 1000;
  if (errors.length) throw new Error(`${s.name}: ZADD errors: ${errors.join('; ')}`);
  await checkCard(s);
  return secs;
}

async function checkCard(s) {
  const n = await s.client.ok('ZCARD', KEY);
  if (n !== MEMBERS) throw new Error(`${s.name}: ZCARD ${KEY} is ${n}, expected ${MEMBERS}`);
}

function runBenchmark(port, test, pipeline) {
  const out = execFileSync(
    'redis-benchmark',
    ['-p', String(port), '-c', String(clients), '-n', String(requests(pipeline)), '-P', String(pipeline), '-r', String(MEMBERS), '--csv', ...TESTS[test]],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 900000 },
  );
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  for (const line of out.split('\n')) {
    const m = /^"([^"]+)",((?:"[0-9.]+",?)+)$/.exec(line.trim());
    if (!m) continue;
    const v = m[2].split(',').map((x) => Number(x.replace(/"/g, '')));
    return { rps: v[0], avg_ms: v[1], p50_ms: v[3], p99_ms: v[5], max_ms: v[6] };
  }
  throw new Error(`no result in redis-benchmark output:\n${out.slice(0, 2000)}`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function gitState() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { head, src_dirty: dirty !== '' };
  } catch {
    return null;
  }
}

async function main() {
  if (!fs.existsSync(CLI)) throw new Error('build first: npm run build');
  for (const t of testNames) if (!TESTS[t]) throw new Error(`unknown test ${t} (${Object.keys(TESTS).join(', ')})`);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bench-zset-'));
  const servers = [];
  const samples = []; // {round, server, pipeline, test, rps, ...}
  const builds = {};
  const t00 = Date.now();
  try {
    servers.push(await startServer('redis', base), await startServer('keel', base));
    for (const s of servers) {
      builds[s.name] = await build(s);
      process.stderr.write(`build ${s.name}: ${MEMBERS} members in ${builds[s.name].toFixed(2)} s\n`);
    }
    for (let r = 0; r < rounds; r++) {
      for (const p of pipelines) {
        for (const t of testNames) {
          // alternate which server goes first so neither always gets the warmer machine
          const order = r % 2 === 0 ? servers : [...servers].reverse();
          for (const s of order) {
            const res = runBenchmark(s.port, t, p);
            samples.push({ round: r + 1, server: s.name, pipeline: p, test: t, ...res });
            process.stderr.write(`round ${r + 1}/${rounds} -P ${p} ${t.padEnd(14)} ${s.name.padEnd(5)} ${Math.round(res.rps)} req/s (p50 ${res.p50_ms} ms, p99 ${res.p99_ms} ms)\n`);
          }
        }
      }
    }
    for (const s of servers) await checkCard(s);
  } finally {
    for (const s of servers) s.client?.close();
    killAll();
    fs.rmSync(base, { recursive: true, force: true });
  }

  const summary = {};
  console.log(`\nsorted set of ${MEMBERS} members, redis-benchmark -c ${clients} -r ${MEMBERS}, ${rounds} rounds, medians (requests/s)`);
  console.log(`build (pipelined ZADD, s): redis ${builds.redis.toFixed(2)}  keel ${builds.keel.toFixed(2)}  keel/redis ${(builds.keel / builds.redis).toFixed(2)}`);
  console.log('pipeline  test                 n        redis       keel   keel/redis');
  for (const p of pipelines) {
    for (const t of testNames) {
      const pick = (name) => samples.filter((x) => x.server === name && x.pipeline === p && x.test === t).map((x) => x.rps);
      const red = median(pick('redis'));
      const kee = median(pick('keel'));
      summary[`P${p}.${t}`] = { n: requests(p), redis: red, keel: kee, ratio: kee / red };
      console.log(`-P ${String(p).padEnd(5)}  ${t.padEnd(14)} ${String(requests(p)).padStart(8)} ${red.toFixed(0).padStart(10)} ${kee.toFixed(0).padStart(10)}   ${(kee / red).toFixed(2)}`);
    }
  }
  const outDir = path.join(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `zset-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        bench: 'zset',
        date: new Date().toISOString(),
        duration_s: (Date.now() - t00) / 1000,
        git: gitState(),
        node: process.version,
        redis: execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim(),
        cpus: os.cpus().length,
        params: { rounds, members: MEMBERS, pipelines, clients, requests: Object.fromEntries(pipelines.map((p) => [p, requests(p)])), tests: Object.fromEntries(testNames.map((t) => [t, TESTS[t].join(' ')])), server_args: shared, keel_node_args: keelNodeArgs },
        build_s: builds,
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
