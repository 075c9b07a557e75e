#!/usr/bin/env node
/**
 * Throughput, Keel vs redis-server on the same machine, in one run.
 *
 *   npm run build && node bench/throughput.js [--rounds 5] [--tests ping,set,get,incr,mset]
 *                                             [--pipelines 1,16] [--quick] [--keel-args "..."]
 *   # with the AOF on both sides:
 *   node bench/throughput.js --tests set --server-args "--appendonly yes --appendfsync always"
 *   # with the Node ceiling (bench/bare-server.js: one Map, PING/SET/GET/INCR/MSET) as a third server:
 *   node bench/throughput.js --bare
 *
 * Starts redis-server and Keel with the same settings (no persistence unless --redis-args /
 * --keel-args say otherwise), runs redis-benchmark against each, interleaved, for several
 * rounds, and prints requests/s medians and the Keel/Redis ratio per test. The machines are
 * shared and noisy: read the medians, not single runs.
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { CLI, freePort, median, parseArgs, splitWords, waitPort } = require('./lib');

const args = parseArgs(process.argv.slice(2));
const rounds = Number(args.rounds ?? 5);
const tests = String(args.tests ?? 'ping,set,get,incr,mset');
const pipelines = String(args.pipelines ?? '1,16').split(',').map(Number);
const quick = Boolean(args.quick);
const bare = Boolean(args.bare);
const clients = Number(args.clients ?? 50);
const requests = (p) => Number(args.n ?? (quick ? (p > 1 ? 400000 : 50000) : p > 1 ? 2000000 : 200000));
const shared = splitWords(args['server-args'] ?? '');
const extraRedis = [...shared, ...splitWords(args['redis-args'] ?? '')];
const extraKeel = [...shared, ...splitWords(args['keel-args'] ?? '')];

async function startRedis(base) {
  // each server its own dir: with --appendonly yes both would otherwise write appendonlydir/
  const dir = path.join(base, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', ...extraRedis], { stdio: 'ignore' });
  await waitPort(port, proc, 'redis-server');
  return { name: 'redis', port, proc };
}

async function startBare() {
  const port = await freePort();
  const proc = spawn(process.execPath, [path.join(__dirname, 'bare-server.js'), String(port)], { stdio: 'ignore' });
  await waitPort(port, proc, 'bare-server');
  return { name: 'bare', port, proc };
}

async function startKeel(base) {
  const dir = path.join(base, 'keel');
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, 'server', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', ...extraKeel], { stdio: 'ignore' });
  await waitPort(port, proc, 'keel');
  return { name: 'keel', port, proc };
}

/** the tests bare-server.js can answer (anything else would be timed as error replies) */
const BARE_TESTS = new Set(['ping', 'ping_inline', 'ping_mbulk', 'set', 'get', 'incr', 'mset']);

function runBenchmark(port, pipeline, only = tests) {
  const out = execFileSync(
    'redis-benchmark',
    ['-p', String(port), '-t', only, '-r', '100000', '-c', String(clients), '-n', String(requests(pipeline)), '-P', String(pipeline), '--csv'],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const result = {};
  for (const line of out.split('\n')) {
    const m = /^"([^"]+)","([0-9.]+)"/.exec(line);
    if (m) result[m[1]] = Number(m[2]);
  }
  return result;
}

async function main() {
  if (!fs.existsSync(CLI)) throw new Error('build first: npm run build');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bench-'));
  const servers = [await startRedis(dir), await startKeel(dir)];
  if (bare) servers.push(await startBare());
  const samples = {}; // pipeline -> server -> test -> [rps]
  try {
    for (let r = 0; r < rounds; r++) {
      for (const p of pipelines) {
        // alternate which server goes first so neither always gets the warmer machine
        const order = r % 2 === 0 ? servers : [...servers].reverse();
        for (const s of order) {
          let only = tests;
          if (s.name === 'bare') {
            only = tests.split(',').filter((t) => BARE_TESTS.has(t.toLowerCase())).join(',');
            if (only === '') continue;
          }
          const res = runBenchmark(s.port, p, only);
          for (const [t, v] of Object.entries(res)) {
            ((((samples[p] ??= {})[s.name] ??= {})[t] ??= [])).push(v);
          }
          process.stderr.write(`round ${r + 1}/${rounds} -P ${p} ${s.name}: ${Object.entries(res).map(([t, v]) => `${t}=${Math.round(v)}`).join(' ')}\n`);
        }
      }
    }
  } finally {
    for (const s of servers) s.proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nredis-benchmark -t ${tests} -r 100000 -c ${clients}, ${rounds} rounds, medians (requests/s)`);
  console.log(`pipeline  test              redis        keel   keel/redis${bare ? '        bare   bare/redis   keel/bare' : ''}`);
  for (const p of pipelines) {
    for (const t of Object.keys(samples[p].redis)) {
      const r = median(samples[p].redis[t]);
      const k = samples[p].keel[t] ? median(samples[p].keel[t]) : NaN;
      let line = `-P ${String(p).padEnd(5)}  ${t.padEnd(14)} ${r.toFixed(0).padStart(10)} ${k.toFixed(0).padStart(10)}   ${(k / r).toFixed(2)}`;
      if (bare) {
        const b = samples[p].bare?.[t] ? median(samples[p].bare[t]) : NaN;
        line += `   ${b.toFixed(0).padStart(10)}   ${(b / r).toFixed(2).padStart(10)}   ${(k / b).toFixed(2).padStart(9)}`;
      }
      console.log(line);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
