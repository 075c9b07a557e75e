/**
 * Test support: real Keel servers on free loopback ports, real clients, and a raw RESP
 * connection for byte-level assertions.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { startServer, type KeelServer, type ServerOptions } from '../src/index';
import type { RedisProcess } from './differential';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

const madeDirs: string[] = [];
// Swept when the test process exits, so a test that forgets its dir (or throws first) leaves no
// litter in /tmp; a dir still mounted (tmpfs) is left for trackResources to unmount.
process.once('exit', () => {
  for (const d of madeDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* busy: a mount point */
    }
  }
});

export function tempDir(prefix = 'keel-test-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  madeDirs.push(d);
  return d;
}

export interface TestServer {
  port: number;
  dir: string;
  keel: KeelServer;
  /** an ioredis client (closed by close()) */
  client(opts?: Record<string, unknown>): Redis;
  /** a raw RESP connection (closed by close()) */
  raw(): Promise<RawConn>;
  /** runs redis-cli against the server */
  cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }>;
  close(): Promise<void>;
}

/** Starts Keel in-process on a free port with test-friendly defaults (no saving, quiet logs). */
export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const dir = (options.dir as string) ?? tempDir();
  const keel = await startServer({
    port: 0,
    dir,
    save: '',
    appendonly: 'no',
    loglevel: 'warning',
    'enable-debug-command': 'yes',
    ...options,
  });
  const clients: Redis[] = [];
  const raws: RawConn[] = [];
  return {
    port: keel.port,
    dir,
    keel,
    client(opts = {}) {
      const r = new Redis({ port: keel.port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 0, ...opts });
      r.on('error', () => {});
      clients.push(r);
      return r;
    },
    async raw() {
      const r = await RawConn.connect(keel.port);
      raws.push(r);
      return r;
    },
    cli(...args: string[]) {
      return redisCli(keel.port, args);
    },
    async close() {
      for (const c of clients) c.disconnect();
      for (const r of raws) r.close();
      await keel.close({ save: false });
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function redisCli(port: number, args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const p = execFile('redis-cli', ['-p', String(port), ...args], { encoding: 'latin1', maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 });
    });
    p.stdin!.on('error', () => {}); // EPIPE when the program exits before reading it
    if (input !== undefined) p.stdin!.end(input);
  });
}

/** Starts `keel server` as a child process (for signals, crashes and the CLI). */
export async function spawnKeel(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ proc: ChildProcess; port: number; output: () => string }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, 'server', '--port', String(port), ...args], { cwd: opts.cwd, env: opts.env ?? process.env });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  try {
    await waitFor(async () => out.includes('Ready to accept connections') || proc.exitCode !== null, 20000);
  } catch (e) {
    await killProcess(proc); // never leave a server that did not become ready running
    throw e;
  }
  if (proc.exitCode !== null) throw new Error(`keel exited ${proc.exitCode}: ${out}`);
  return { proc, port, output: () => out };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(stepMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Makes one event-loop turn of the server on `port` read a long pipeline: while DEBUG SLEEP 1
 * holds the loop, 60,000 GETs of a 30 KB value (1.8 GB of replies) queue up on a new
 * connection; `meanwhile` runs during the sleep, before they are sent. The reply bytes are
 * counted, not kept, until all arrived or the server closed the connection.
 */
export async function longPipelineInOneTurn(port: number, meanwhile?: () => Promise<void>): Promise<{ got: number; expected: number }> {
  const c = await RawConn.connect(port);
  const sleeper = await RawConn.connect(port);
  try {
    if ((await c.call('SET', 'bv', 'x'.repeat(30000))) !== 'OK') throw new Error('SET bv failed');
    sleeper.send('DEBUG SLEEP 1\r\n');
    await sleep(100);
    await meanwhile?.();
    const n = 60000;
    const expected = n * ('$30000\r\n'.length + 30000 + 2) + '+PONG\r\n'.length;
    const got = await new Promise<number>((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => s.write('GET bv\r\n'.repeat(n) + 'PING\r\n'));
      let total = 0;
      s.on('data', (d) => {
        total += d.length;
        if (total >= expected) {
          s.destroy();
          resolve(total);
        }
      });
      s.on('close', () => resolve(total));
      s.on('error', reject);
    });
    return { got, expected };
  } finally {
    c.close();
    sleeper.close();
  }
}

/**
 * Sends DEL `key` and ten INCRs, shuts down the sending side at once, and asserts every reply
 * arrives (0, 1..10) before the server closes the connection.
 */
export async function assertAnsweredAfterHalfClose(conn: RawConn, key: string): Promise<void> {
  conn.send(`DEL ${key}\r\n` + `INCR ${key}\r\n`.repeat(10));
  conn.socket.end();
  assert.equal(await conn.reply(), 0);
  for (let i = 1; i <= 10; i++) assert.equal(await conn.reply(), i);
  await conn.waitClose();
}

/** True once the child process has exited or been killed by a signal. */
export function hasExited(p: ChildProcess): boolean {
  return p.exitCode !== null || p.signalCode !== null;
}

/** Resolves when the process has exited (at once if it already has). */
export function exited(p: ChildProcess): Promise<void> {
  if (hasExited(p)) return Promise.resolve();
  return new Promise((res) => p.once('exit', () => res()));
}

/** SIGKILLs the process (a no-op once it has exited) and resolves when it is gone. */
export async function killProcess(p: ChildProcess): Promise<void> {
  if (!hasExited(p)) p.kill('SIGKILL');
  await exited(p);
}

/** An ioredis client to 127.0.0.1:port (3 retries a request unless opts say otherwise), its errors ignored. */
export function connectClient(port: number, opts: Record<string, unknown> = {}): Redis {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 3, ...opts });
  r.on('error', () => {});
  return r;
}

/** INFO persistence as field -> value. */
export async function persistenceInfo(r: Redis): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await r.info('persistence')).split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Polls INFO persistence until no AOF rewrite runs or is scheduled; returns the last INFO read. */
export async function waitRewriteDone(r: Redis, timeoutMs = 30_000): Promise<Record<string, string>> {
  let last: Record<string, string> = {};
  await waitFor(
    async () => {
      last = await persistenceInfo(r);
      return last.aof_rewrite_in_progress === '0' && last.aof_rewrite_scheduled === '0';
    },
    timeoutMs,
    20,
  );
  return last;
}

/** SHUTDOWN [args] on a raw connection, waiting for the server to close it (Redis replies nothing on success). */
export async function shutdownCommand(port: number, ...args: string[]): Promise<void> {
  const conn = await RawConn.connect(port);
  try {
    conn.command('SHUTDOWN', ...args);
    await conn.waitClose(10000);
  } finally {
    conn.close();
  }
}

/** What a test file started and must release: see trackResources. */
export interface Tracked {
  children: Set<ChildProcess>;
  servers: Set<TestServer>;
  redises: Set<RedisProcess>;
  clients: Set<Redis>;
  raws: Set<RawConn>;
  mounts: Set<string>;
  dirs: Set<string>;
  /** startTestServer, registered until its close() */
  keel(options?: ServerOptions): Promise<TestServer>;
  /** startRedis (test/differential.ts), registered until its stop() */
  redis(extra?: string[]): Promise<RedisProcess>;
  /** spawnKeel, the child killed at the end if still running */
  spawn(args: string[]): Promise<Awaited<ReturnType<typeof spawnKeel>>>;
  /** a temp dir removed at the end */
  dir(prefix?: string): string;
  /**
   * A fresh tmpfs of `size` (mount's syntax, `2m`) on a temp dir, unmounted at the end (or by
   * unmount()); null after skipping `test` with the reason when mounting is not permitted here.
   */
  tmpfs(test: { skip(msg: string): void }, size: string): string | null;
  unmount(mnt: string): void;
}

/**
 * Registers an after() hook in the calling test file that releases everything started through
 * the returned object, whatever failed: clients and raw connections are closed, `keel server`
 * children SIGKILLed (and waited for), in-process servers closed, redis-servers stopped, tmpfs
 * mounts unmounted, temp dirs removed. A test that throws before its own cleanup thus never
 * leaves a server behind (which would also keep the test process alive, hanging the run).
 */
export function trackResources(dirPrefix = 'keel-test-'): Tracked {
  // imported lazily: differential.ts imports this module, and node:test only where a test file asks
  const { after } = require('node:test') as typeof import('node:test');
  const t: Tracked = {
    children: new Set(),
    servers: new Set(),
    redises: new Set(),
    clients: new Set(),
    raws: new Set(),
    mounts: new Set(),
    dirs: new Set(),
    async keel(options = {}) {
      const s = await startTestServer(options);
      t.servers.add(s);
      const close = s.close;
      s.close = () => {
        t.servers.delete(s);
        return close();
      };
      return s;
    },
    async redis(extra = []) {
      const { startRedis } = require('./differential') as typeof import('./differential');
      const r = await startRedis(extra);
      t.redises.add(r);
      const stop = r.stop;
      r.stop = () => {
        t.redises.delete(r);
        return stop();
      };
      return r;
    },
    tmpfs(test, size) {
      const mnt = t.dir(`${dirPrefix}tmpfs-`);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { stdio: 'pipe' });
      } catch (e) {
        test.skip(`mounting a tmpfs is not permitted here: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
        return null;
      }
      t.mounts.add(mnt);
      return mnt;
    },
    unmount(mnt) {
      execFileSync('umount', [mnt]);
      t.mounts.delete(mnt);
    },
    async spawn(args) {
      const k = await spawnKeel(args);
      t.children.add(k.proc);
      return k;
    },
    dir(prefix = dirPrefix) {
      const d = tempDir(prefix);
      t.dirs.add(d);
      return d;
    },
  };
  after(async () => {
    for (const c of t.clients) c.disconnect();
    for (const r of t.raws) r.close();
    for (const p of t.children) if (!hasExited(p)) p.kill('SIGKILL');
    await Promise.all([...t.children].map(exited));
    for (const s of [...t.servers]) await s.close().catch(() => {});
    for (const r of [...t.redises]) await r.stop().catch(() => {});
    for (const m of t.mounts) {
      try {
        execFileSync('umount', [m], { stdio: 'pipe' });
      } catch {
        /* reported by the test that mounted it */
      }
    }
    for (const d of t.dirs) rmSync(d, { recursive: true, force: true });
  });
  return t;
}

export function hasRedisServer(): boolean {
  try {
    require('node:child_process').execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ raw RESP

export type RespValue = string | number | bigint | null | boolean | RespValue[] | RespError | RespMap | RespPush | RespVerbatim;
export class RespError {
  constructor(public message: string) {}
}
export class RespMap {
  constructor(public entries: [RespValue, RespValue][]) {}
}
export class RespPush {
  constructor(public items: RespValue[]) {}
}
export class RespVerbatim {
  constructor(public format: string, public text: string) {}
}

/**
 * A raw socket speaking RESP: `send` writes exact bytes, `reply()` reads one decoded reply,
 * `readRaw` returns the bytes received so far. Nothing is hidden: tests see the wire.
 */
export class RawConn {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new RawConn(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private more(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('connection closed'));
      const t = setTimeout(() => reject(new Error('timed out waiting for reply')), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Sends a command as a multibulk. */
  command(...args: (string | number)[]): void {
    let s = `*${args.length}\r\n`;
    for (const a of args) {
      const v = String(a);
      s += `$${Buffer.byteLength(v, 'latin1')}\r\n${v}\r\n`;
    }
    this.send(s);
  }

  async call(...args: (string | number)[]): Promise<RespValue> {
    this.command(...args);
    return this.reply();
  }

  /** Reads exactly one reply. */
  async reply(timeoutMs = 5000): Promise<RespValue> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = parseReply(this.buf, 0);
      if (r !== undefined) {
        this.buf = this.buf.subarray(r.end);
        return r.value;
      }
      await this.more(Math.max(1, end - Date.now()));
    }
  }

  /** Waits until at least n bytes are buffered, then returns and consumes them all as latin1. */
  async readRaw(minBytes = 1, timeoutMs = 5000): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (this.buf.length < minBytes) await this.more(Math.max(1, end - Date.now()));
    const s = this.buf.toString('latin1');
    this.buf = Buffer.alloc(0);
    return s;
  }

  /** Resolves when the server closes the connection. */
  async waitClose(timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.closed) await this.more(Math.max(1, end - Date.now())).catch((e) => {
      if (!this.closed) throw e;
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function parseReply(buf: Buffer, pos: number): { value: RespValue; end: number } | undefined {
  if (pos >= buf.length) return undefined;
  const nl = buf.indexOf('\r\n', pos);
  if (nl < 0) return undefined;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('latin1', pos + 1, nl);
  const next = nl + 2;
  const aggregate = (n: number): { items: RespValue[]; end: number } | undefined => {
    const items: RespValue[] = [];
    let p = next;
    for (let i = 0; i < n; i++) {
      const r = parseReply(buf, p);
      if (!r) return undefined;
      items.push(r.value);
      p = r.end;
    }
    return { items, end: p };
  };
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '(':
      return { value: BigInt(line), end: next };
    case ',':
      return { value: line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line), end: next };
    case '#':
      return { value: line === 't', end: next };
    case '_':
      return { value: null, end: next };
    case '$':
    case '=': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (buf.length < next + n + 2) return undefined;
      const s = buf.toString('latin1', next, next + n);
      return { value: type === '=' ? new RespVerbatim(s.slice(0, 3), s.slice(4)) : s, end: next + n + 2 };
    }
    case '*':
    case '~':
    case '>': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const r = aggregate(n);
      if (!r) return undefined;
      return { value: type === '>' ? new RespPush(r.items) : r.items, end: r.end };
    }
    case '%': {
      const r = aggregate(Number(line) * 2);
      if (!r) return undefined;
      const entries: [RespValue, RespValue][] = [];
      for (let i = 0; i < r.items.length; i += 2) entries.push([r.items[i], r.items[i + 1]]);
      return { value: new RespMap(entries), end: r.end };
    }
    default:
      throw new Error(`bad reply type ${JSON.stringify(type)} in ${JSON.stringify(buf.toString('latin1', pos, pos + 40))}`);
  }
}
