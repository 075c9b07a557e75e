/**
 * The server as a process, configured as redis-server is: a redis.conf written for Redis 7.0
 * (Debian's own), daemonize and the pid file, the process title, shutdown-on-sigterm/-sigint,
 * oom-score-adj; and CONFIG GET/SET of those directives compared with redis-server.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { CLI, freePort, tempDir, waitFor, sleep, spawnKeel, exited, killProcess, connectClient, hasRedisServer } from './helpers';
import { ByteConn, assertSameReplies, startRedis } from './differential';

const STOCK_CONF = '/etc/redis/redis.conf';
const run = hasRedisServer();

function runCli(args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
    p.stdin!.on('error', () => {});
    if (input !== undefined) p.stdin!.end(input);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0+$/, '').replace(/\0/g, ' ');
}

describe('CONFIG GET/SET of the directives a Redis 7.0 redis.conf may hold', () => {
  test('replies match redis-server byte for byte', { skip: run ? false : 'redis-server is not installed' }, async () => {
    const k = await spawnKeel(['--save', '', '--dir', tempDir()]);
    const redis = await startRedis();
    try {
      const names = [
        'daemonize', 'set-proc-title', 'proc-title-template', 'oom-score-adj', 'oom-score-adj-values', 'shutdown-on-sigterm',
        'shutdown-on-sigint', 'shutdown-timeout', 'always-show-logo', 'lazyfree-lazy-eviction', 'lazyfree-lazy-expire',
        'lazyfree-lazy-server-del', 'lazyfree-lazy-user-del', 'lazyfree-lazy-user-flush', 'replica-lazy-flush', 'slave-lazy-flush',
        'activerehashing', 'jemalloc-bg-thread', 'disable-thp', 'activedefrag', 'replica-serve-stale-data', 'slave-serve-stale-data',
        'replica-read-only', 'slave-read-only', 'repl-diskless-sync', 'repl-diskless-sync-delay', 'repl-diskless-sync-max-replicas',
        'repl-diskless-load', 'repl-disable-tcp-nodelay', 'replica-priority', 'slave-priority', 'acllog-max-len',
        'hll-sparse-max-bytes', 'stream-node-max-bytes', 'stream-node-max-entries', 'unixsocket', 'unixsocketperm',
        'latency-tracking', 'latency-tracking-info-percentiles', 'repl-timeout', 'repl-ping-replica-period', 'repl-ping-slave-period',
        'repl-backlog-size', 'repl-backlog-ttl', 'replica-announce-ip', 'slave-announce-ip', 'replica-announce-port', 'slave-announce-port',
        'replica-announced', 'replica-ignore-maxmemory', 'slave-ignore-maxmemory', 'replica-ignore-disk-write-errors', 'sanitize-dump-payload',
        'maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'maxmemory-eviction-tenacity', 'maxmemory-clients',
      ];
      const scenario: string[][] = names.map((n) => ['CONFIG', 'GET', n]);
      const set = (n: string, v: string) => scenario.push(['CONFIG', 'SET', n, v], ['CONFIG', 'GET', n]);
      set('daemonize', 'yes');
      set('set-proc-title', 'no');
      set('disable-thp', 'no');
      set('proc-title-template', '{title} {{port}');
      set('proc-title-template', '{nope}');
      set('proc-title-template', '{title');
      set('proc-title-template', ' ');
      set('proc-title-template', '{title}');
      set('proc-title-template', '{listen-addr} {server-mode}');
      set('proc-title-template', '{port}');
      set('proc-title-template', '{title} {listen-addr} {server-mode}');
      set('oom-score-adj', 'maybe');
      set('oom-score-adj-values', '0 200');
      set('oom-score-adj-values', '0 200 2001');
      set('oom-score-adj-values', 'a b c');
      set('oom-score-adj-values', '0  200 800');
      set('oom-score-adj-values', '0 200 800 ');
      set('oom-score-adj-values', '0 200 800');
      set('shutdown-on-sigterm', 'nosave now');
      set('shutdown-on-sigterm', 'save nosave');
      set('shutdown-on-sigterm', 'default force');
      set('shutdown-on-sigterm', 'SAVE');
      set('shutdown-on-sigterm', 'later');
      set('shutdown-on-sigint', 'default');
      set('shutdown-timeout', '-1');
      set('shutdown-timeout', '30');
      set('activedefrag', 'yes');
      set('activedefrag', 'no');
      set('lazyfree-lazy-user-flush', 'yes');
      set('slave-lazy-flush', 'yes');
      set('replica-read-only', 'maybe');
      set('slave-priority', '7');
      set('repl-diskless-load', 'swapdb');
      set('repl-diskless-load', 'sometimes');
      set('hll-sparse-max-bytes', '1kb');
      set('stream-node-max-bytes', '-1');
      set('stream-node-max-entries', '50');
      set('acllog-max-len', '-1');
      set('latency-tracking-info-percentiles', '50 99.99 0 100 33.333333333');
      set('latency-tracking-info-percentiles', '101');
      set('latency-tracking-info-percentiles', 'abc');
      set('latency-tracking-info-percentiles', '');
      set('latency-tracking-info-percentiles', '50 99 99.9');
      set('latency-tracking', 'maybe');
      set('repl-timeout', '0');
      set('repl-backlog-size', '2mb');
      set('repl-backlog-size', '0');
      set('slave-announce-port', '70000');
      set('slave-announce-ip', '10.0.0.1');
      set('replica-announced', 'no');
      set('sanitize-dump-payload', 'sometimes');
      set('unixsocket', '/tmp/x.sock');
      set('unixsocketperm', '700');
      // no limit, Redis's default: any policy but LFU (see the next test) behaves the same
      set('maxmemory', '0');
      set('maxmemory-policy', 'allkeys-lru');
      set('maxmemory-policy', 'sometimes');
      set('maxmemory-samples', '0');
      set('maxmemory-samples', '7');
      set('maxmemory-eviction-tenacity', '101');
      set('maxmemory-clients', '0');
      set('maxmemory-clients', '-1');
      await assertSameReplies(k.port, redis.port, scenario);
    } finally {
      await killProcess(k.proc);
      await redis.stop();
    }
  });
});

describe("a redis.conf written for Redis 7.0", () => {
  const skip = !run ? 'redis-server is not installed' : !fs.existsSync(STOCK_CONF) ? `${STOCK_CONF} is not there` : false;
  test(`Keel starts with ${STOCK_CONF} and CONFIG GET shows what redis-server shows for every directive in it`, { skip }, async () => {
    const names = new Set<string>();
    for (const line of fs.readFileSync(STOCK_CONF, 'latin1').split('\n')) {
      const m = /^\s*([a-z][a-z0-9-]*)\s/.exec(line);
      if (m) names.add(m[1]);
    }
    // where each server keeps its files, and how it runs, are the test's own
    for (const n of ['port', 'dir', 'pidfile', 'logfile', 'daemonize']) names.delete(n);
    assert.ok(names.size > 40, `${names.size} directives`);
    const kdir = tempDir();
    const rdir = tempDir('keel-redis-');
    const overrides = (dir: string, port: number) => ['--port', String(port), '--daemonize', 'no', '--pidfile', path.join(dir, 'pid'), '--logfile', '', '--dir', dir];
    const rport = await freePort();
    const redis = spawn('redis-server', [STOCK_CONF, ...overrides(rdir, rport)], { stdio: 'ignore' });
    const { proc, port } = await (async () => {
      const p = await freePort();
      const child = spawn(process.execPath, [CLI, 'server', STOCK_CONF, ...overrides(kdir, p)]);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      await waitFor(() => out.includes('Ready to accept connections') || child.exitCode !== null, 20000);
      assert.equal(child.exitCode, null, out);
      return { proc: child, port: p };
    })();
    try {
      await waitFor(async () => {
        try {
          (await ByteConn.connect(rport)).close();
          return true;
        } catch {
          return false;
        }
      }, 10000);
      await assertSameReplies(port, rport, [...names].map((n) => ['CONFIG', 'GET', n]));
      assert.equal(fs.readFileSync(path.join(kdir, 'pid'), 'latin1'), `${proc.pid}\n`);
    } finally {
      await killProcess(proc);
      redis.kill('SIGKILL');
      await exited(redis);
    }
  });
});

describe('daemonize, the pid file and the process title', () => {
  // found by a review helper: the pid file was written before listening and left behind, and a
  // daemon's log never said why it stopped
  test('a daemon that cannot listen logs why and leaves no pid file', async () => {
    const dir = tempDir();
    const busy = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    const port = (busy.address() as net.AddressInfo).port;
    const pidFile = path.join(dir, 'keel.pid');
    const log = path.join(dir, 'keel.log');
    try {
      const r = await runCli(['server', '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'yes', '--pidfile', pidFile, '--logfile', log, '--dir', dir, '--save', '']);
      assert.equal(r.code, 0, r.out);
      await waitFor(() => fs.existsSync(log) && /Could not create server TCP listening socket/.test(fs.readFileSync(log, 'latin1')), 20000);
      await sleep(300);
      assert.equal(fs.existsSync(pidFile), false);
    } finally {
      busy.close();
    }
  });

  test('daemonize yes: the command returns at once, the server runs detached, writes its pid file and removes it on SHUTDOWN', async () => {
    const dir = tempDir();
    const port = await freePort();
    const pidFile = path.join(dir, 'keel.pid');
    const log = path.join(dir, 'keel.log');
    const r = await runCli(['server', '--port', String(port), '--daemonize', 'yes', '--pidfile', pidFile, '--logfile', log, '--dir', dir, '--save', '']);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, '');
    await waitFor(() => fs.existsSync(log) && fs.readFileSync(log, 'latin1').includes('Ready to accept connections'), 20000);
    const pid = Number(fs.readFileSync(pidFile, 'latin1'));
    assert.ok(alive(pid));
    const c = connectClient(port);
    try {
      assert.equal(await c.call('CONFIG', 'GET', 'daemonize').then((x) => (x as string[])[1]), 'yes');
      assert.equal(await c.call('INFO', 'server').then((s) => /process_id:(\d+)/.exec(s as string)![1]), String(pid));
      // set-proc-title yes (the default): the title proc-title-template gives
      assert.equal(cmdline(pid), `keel-server 127.0.0.1:${port}`);
      await c.call('CONFIG', 'SET', 'proc-title-template', '{title} port {port} {{literal}');
      assert.equal(cmdline(pid), `keel-server port ${port} {literal}`);
      await c.call('SHUTDOWN').catch(() => {});
    } finally {
      c.disconnect();
    }
    await waitFor(() => !alive(pid), 10000);
    assert.equal(fs.existsSync(pidFile), false, 'the pid file is removed');
    assert.match(fs.readFileSync(log, 'latin1'), /Removing the pid file\./);
  });

  test('daemonize yes with the configuration on stdin: the detached server gets it too', async () => {
    const dir = tempDir();
    const port = await freePort();
    const pidFile = path.join(dir, 'keel.pid');
    const log = path.join(dir, 'keel.log');
    const conf = `port ${port}\ndaemonize yes\npidfile "${pidFile}"\nlogfile "${log}"\ndir "${dir}"\nsave ""\nhz 17\n`;
    const r = await runCli(['server', '-'], conf);
    assert.equal(r.code, 0, r.out);
    await waitFor(() => fs.existsSync(pidFile), 20000);
    const pid = Number(fs.readFileSync(pidFile, 'latin1'));
    const c = connectClient(port);
    try {
      await waitFor(async () => (await c.ping().catch(() => '')) === 'PONG', 20000);
      assert.deepEqual(await c.call('CONFIG', 'GET', 'hz'), ['hz', '17']);
    } finally {
      c.disconnect();
    }
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !alive(pid), 10000);
    assert.equal(fs.existsSync(pidFile), false);
  });

  // found by a review helper: redis-server takes the argument after a bare option name as its
  // value even when it starts with --, and reads stdin for a `-` given last
  test('command line as redis-server parses it: a value starting with --, and - last for stdin', async () => {
    const dir = tempDir();
    const port = await freePort();
    const pidFile = path.join(dir, 'keel.pid');
    const conf = `port ${port}\ndaemonize yes\npidfile "${pidFile}"\nlogfile "${path.join(dir, 'keel.log')}"\ndir "${dir}"\nsave ""\nhz 21\nuser default on nopass ~* &* +@all\n`;
    const r = await runCli(['server', '--requirepass', '--secret', '--maxclients', '77', '-'], conf);
    assert.equal(r.code, 0, r.out);
    await waitFor(() => fs.existsSync(pidFile), 20000);
    const pid = Number(fs.readFileSync(pidFile, 'latin1'));
    const c = connectClient(port, { password: '--secret' });
    try {
      await waitFor(async () => (await c.ping().catch(() => '')) === 'PONG', 20000);
      assert.deepEqual(await c.call('CONFIG', 'GET', 'hz'), ['hz', '21']);
      assert.deepEqual(await c.call('CONFIG', 'GET', 'maxclients'), ['maxclients', '77']);
    } finally {
      c.disconnect();
    }
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !alive(pid), 10000);
  });

  test('a bad configuration is still reported on the terminal, before daemonizing', async () => {
    const r = await runCli(['server', '--daemonize', 'yes', '--hz', 'fast']);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /hz/);
  });

  test('a pid file that cannot be written is logged and the server runs on', async () => {
    const k = await spawnKeel(['--save', '', '--dir', tempDir(), '--pidfile', '/nonexistent-dir/keel.pid']);
    try {
      assert.match(k.output(), /Failed to write PID file: .*ENOENT/);
    } finally {
      await killProcess(k.proc);
    }
  });

  test('set-proc-title no leaves the command line alone', async () => {
    const k = await spawnKeel(['--save', '', '--dir', tempDir(), '--set-proc-title', 'no']);
    try {
      assert.match(cmdline(k.proc.pid!), /cli\.js server/);
    } finally {
      await killProcess(k.proc);
    }
  });
});

describe('unixsocket', () => {
  test('clients connect through the socket file, with unixsocketperm; the file goes on shutdown', async () => {
    const dir = tempDir();
    const sock = path.join(dir, 'keel.sock');
    fs.writeFileSync(sock, 'stale'); // left by a crash: replaced
    const k = await spawnKeel(['--save', '', '--dir', dir, '--unixsocket', sock, '--unixsocketperm', '700']);
    try {
      assert.match(k.output(), new RegExp(`ready to accept connections at ${sock}`));
      assert.equal(fs.statSync(sock).mode & 0o777, 0o700);
      assert.ok(fs.statSync(sock).isSocket());
      const cli = (args: string[]) =>
        new Promise<string>((resolve) => execFile('redis-cli', ['-s', sock, ...args], (_e, out) => resolve(out.trim())));
      if (run) {
        assert.equal(await cli(['SET', 'k', 'v']), 'OK');
        assert.match(await cli(['CLIENT', 'INFO']), new RegExp(`addr=${sock}:0 laddr=${sock}:0 .*flags=U `));
        assert.deepEqual((await cli(['CONFIG', 'GET', 'unixsocketperm'])).split('\n'), ['unixsocketperm', '700']);
      }
      const c = connectClient(0, { path: sock });
      assert.equal(await c.get('k'), run ? 'v' : null);
      await c.call('SHUTDOWN').catch(() => {});
      c.disconnect();
      await exited(k.proc);
      assert.equal(fs.existsSync(sock), false);
      assert.match(k.output(), /Removing the unix socket file/);
    } finally {
      await killProcess(k.proc);
    }
  });

  test('a socket that cannot be opened stops startup with the reason', async () => {
    const r = await runCli(['server', '--port', String(await freePort()), '--unixsocket', '/nonexistent-dir/keel.sock']);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /Failed opening Unix socket: .*\/nonexistent-dir\/keel.sock/);
    const r2 = await runCli(['server', '--unixsocketperm', '800']);
    assert.match(r2.out, /argument couldn't be parsed as an octal number/);
  });

  test('a logfile that cannot be opened stops startup, as in Redis', async () => {
    const r = await runCli(['server', '--port', String(await freePort()), '--save', '', '--logfile', '/nonexistent-dir/keel.log']);
    assert.equal(r.code, 1);
    assert.match(r.out, /Can't open the log file: No such file or directory/);
  });

  // a daemonized server has only its log to say why it stopped
  test('a data directory that is a file, or an AOF that cannot load, stops startup with the reason in the log', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'keel.log');
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    let r = await runCli(['server', '--port', String(await freePort()), '--save', '', '--dir', file, '--logfile', log]);
    assert.equal(r.code, 1);
    assert.match(fs.readFileSync(log, 'latin1'), /# Can't open or create the working directory .*not-a-dir: Not a directory/);
    // Redis 7.0's words for an append-only dir that is a file
    fs.writeFileSync(path.join(dir, 'appendonlydir'), 'x');
    r = await runCli(['server', '--port', String(await freePort()), '--save', '', '--dir', dir, '--appendonly', 'yes', '--logfile', log]);
    assert.equal(r.code, 1);
    assert.match(r.out, /Can't open or create append-only dir appendonlydir: Not a directory/);
    assert.match(fs.readFileSync(log, 'latin1'), /# Can't open or create append-only dir appendonlydir: Not a directory/);
    fs.rmSync(path.join(dir, 'appendonlydir'));
    fs.mkdirSync(path.join(dir, 'appendonlydir'));
    fs.writeFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'file appendonly.aof.1.incr.aof seq 1 type i\n');
    fs.writeFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), '*1\r\n$3\r\nGETx\r\n');
    r = await runCli(['server', '--port', String(await freePort()), '--save', '', '--dir', dir, '--appendonly', 'yes', '--logfile', log]);
    assert.equal(r.code, 1);
    assert.match(fs.readFileSync(log, 'latin1'), /# Bad file format reading the append only file .*appendonly\.aof\.1\.incr\.aof at offset/);
  });
});

describe('shutdown-on-sigterm and shutdown-on-sigint', () => {
  async function keyAfterSignal(args: string[], signal: 'SIGTERM' | 'SIGINT'): Promise<boolean> {
    const dir = tempDir();
    const k = await spawnKeel(['--dir', dir, ...args]);
    const c = connectClient(k.port);
    await c.set('k', 'v');
    c.disconnect();
    k.proc.kill(signal);
    await exited(k.proc);
    assert.equal(k.proc.exitCode, 0, k.output());
    return fs.existsSync(path.join(dir, 'dump.rdb'));
  }

  test('default saves when save rules are set, nosave does not, save does without rules', async () => {
    assert.equal(await keyAfterSignal(['--save', '3600 1'], 'SIGTERM'), true);
    assert.equal(await keyAfterSignal(['--save', '3600 1', '--shutdown-on-sigterm', 'nosave'], 'SIGTERM'), false);
    assert.equal(await keyAfterSignal(['--save', '', '--shutdown-on-sigterm', 'save'], 'SIGTERM'), true);
    assert.equal(await keyAfterSignal(['--save', '', '--shutdown-on-sigint', 'save now'], 'SIGINT'), true);
    assert.equal(await keyAfterSignal(['--save', '3600 1', '--shutdown-on-sigint', 'nosave'], 'SIGINT'), false);
  });
});

describe('oom-score-adj', () => {
  const skip = fs.existsSync('/proc/self/oom_score_adj') ? false : 'no /proc/self/oom_score_adj here';
  test('yes adds the first of oom-score-adj-values to the score the process had, absolute replaces it, no restores it', { skip }, async () => {
    const k = await spawnKeel(['--save', '', '--dir', tempDir(), '--oom-score-adj', 'absolute', '--oom-score-adj-values', '300 0 0']);
    const score = () => Number(fs.readFileSync(`/proc/${k.proc.pid}/oom_score_adj`, 'latin1'));
    const c = connectClient(k.port);
    try {
      assert.equal(score(), 300, 'applied at startup');
      await c.call('CONFIG', 'SET', 'oom-score-adj', 'no');
      const base = score();
      await c.call('CONFIG', 'SET', 'oom-score-adj-values', '100 0 0', 'oom-score-adj', 'yes');
      assert.equal(score(), Math.min(1000, base + 100));
      await c.call('CONFIG', 'SET', 'oom-score-adj-values', '2000 0 0');
      assert.equal(score(), 1000, 'clamped');
      await c.call('CONFIG', 'SET', 'oom-score-adj', 'absolute', 'oom-score-adj-values', '250 0 0');
      assert.equal(score(), 250);
      await c.call('CONFIG', 'SET', 'oom-score-adj', 'no');
      assert.equal(score(), base);
    } finally {
      c.disconnect();
      await killProcess(k.proc);
    }
  });
});


describe('rename-command', () => {
  const renames = ['--rename-command', 'FLUSHALL', '', '--rename-command', 'config', 'myconfig', '--rename-command', 'set', 'myset'];

  test('renamed and removed commands answer as on redis-server with the same lines', { skip: run ? false : 'redis-server is not installed' }, async () => {
    const k = await spawnKeel(['--save', '', '--dir', tempDir(), ...renames]);
    const redis = await startRedis(renames);
    try {
      await assertSameReplies(k.port, redis.port, [
        ['FLUSHALL'], ['CONFIG', 'GET', 'hz'], ['myconfig', 'GET', 'hz'], ['MyConfig', 'SET', 'hz', '11'], ['myconfig', 'GET', 'hz'],
        ['SET', 'k', 'v'], ['myset', 'k', 'v'], ['GET', 'k'], ['MYSET', 'k', 'w', 'XX', 'GET'], ['flushdb'], ['DBSIZE'],
      ]);
    } finally {
      await killProcess(k.proc);
      await redis.stop();
    }
  });

  test('a memory limit or an LFU policy, which Keel cannot honour, is refused at startup and by CONFIG SET', async () => {
    const r1 = await runCli(['server', '--maxmemory', '1gb']);
    assert.notEqual(r1.code, 0);
    assert.match(r1.out, /Keel does not implement maxmemory \(eviction\): only 0, no limit, is supported/);
    const r2 = await runCli(['server', '--maxmemory-policy', 'allkeys-lfu']);
    assert.notEqual(r2.code, 0);
    assert.match(r2.out, /Keel does not track LFU access frequency/);
    const k = await spawnKeel(['--save', '', '--dir', tempDir(), '--maxmemory', '0', '--maxmemory-policy', 'volatile-ttl']);
    const c = connectClient(k.port);
    try {
      await assert.rejects(c.call('CONFIG', 'SET', 'maxmemory', '100mb'), /Keel does not implement maxmemory/);
      await assert.rejects(c.call('CONFIG', 'SET', 'maxmemory-clients', '5%'), /Keel does not implement maxmemory-clients/);
      await assert.rejects(c.call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-lfu'), /LFU/);
      assert.deepEqual(await c.call('CONFIG', 'GET', 'maxmemory'), ['maxmemory', '0']);
      assert.match((await c.call('INFO', 'memory')) as string, /^maxmemory_policy:volatile-ttl\r$/m);
    } finally {
      c.disconnect();
      await killProcess(k.proc);
    }
  });

  test('a bad rename-command line stops startup with Redis’s reason', async () => {
    const r1 = await runCli(['server', '--rename-command', 'nosuch', 'x']);
    assert.notEqual(r1.code, 0);
    assert.match(r1.out, /No such command in rename-command/);
    const r2 = await runCli(['server', '--rename-command', 'get', 'SET']);
    assert.match(r2.out, /Target command name already exists/);
    const r3 = await runCli(['server', '--rename-command', 'get']);
    assert.match(r3.out, /Bad directive or wrong number of arguments/);
  });

  test('an AOF written under renames loads again, with the commands logged under their own names too', async () => {
    const dir = tempDir();
    const args = ['--save', '', '--dir', dir, '--appendonly', 'yes', ...renames];
    const k = await spawnKeel(args);
    const c = connectClient(k.port);
    await c.call('myset', 'a', '1');
    await c.call('myset', 'b', '2', 'EX', '1000'); // logged as SET b 2 PXAT <ms>
    await c.call('FLUSHDB');
    await c.call('myset', 'c', '3');
    c.disconnect();
    k.proc.kill('SIGKILL');
    await exited(k.proc);
    const incr = fs.readdirSync(path.join(dir, 'appendonlydir')).find((f) => f.endsWith('.incr.aof'))!;
    const log = fs.readFileSync(path.join(dir, 'appendonlydir', incr), 'latin1');
    assert.match(log, /myset/);
    assert.match(log, /\$3\r\nSET\r\n/);
    const k2 = await spawnKeel(args);
    const c2 = connectClient(k2.port);
    try {
      assert.deepEqual(await c2.call('KEYS', '*'), ['c']);
    } finally {
      c2.disconnect();
      await killProcess(k2.proc);
    }
  });
});
