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
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { CLI, Client, ROOT, freePort, gitState, median, parseArgs, resp, sleep, splitWords } = require('./lib');

const args = parseArgs(process.argv.slice(2));
const rounds = Number(args.rounds ?? 3);
const MEMBERS = Number(args.members ?? 1000000);
const pipelines = String(args.pipelines ?? '1,16').split(',').map(Number);
const clients = Number(args.clients ?? 50);
const requests = (p) => Number(args.n ?? (p > 1 ? 1000000 : 200000));
const testNames = String(args.tests ?? 'zadd,zrangebyscore').split(',');
const shared = splitWords(args['server-args'] ?? '');
const keelNodeArgs = splitWords(args['keel-node-args'] ?? '');
const KEY = 'bigz';

const TESTS = {
  zadd: ['zadd', KEY, '__rand_int__', 'm:__rand_int__'],
  zrangebyscore: ['zrangebyscore', KEY, '__rand_int__', '+inf', 'LIMIT', '0', '10'],
};


// ------------------------------------------------------------------ a minimal RESP client

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
