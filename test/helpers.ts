/**
 * Test support: real Keel servers on free loopback ports, real clients, and a raw RESP
 * connection for byte-level assertions.
 */
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { startServer, type KeelServer, type ServerOptions } from '../src/index';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

export function tempDir(prefix = 'keel-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
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
  await waitFor(async () => out.includes('Ready to accept connections') || proc.exitCode !== null, 20000);
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
