/**
 * Differential testing against the real redis-server 7.0: the same commands go to both
 * servers over raw sockets and the reply bytes are compared, one command at a time.
 */
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, waitFor, tempDir } from './helpers';

/** A raw connection that returns the exact bytes of each reply. */
export class ByteConn {
  private buf = '';
  private waiter: (() => void) | null = null;
  private constructor(private readonly s: net.Socket) {
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      this.buf += d;
      this.waiter?.();
    });
    s.on('error', () => {});
  }
  static connect(port: number): Promise<ByteConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new ByteConn(s)));
      s.once('error', reject);
    });
  }
  /** Sends commands (pipelined, in one write) without waiting for their replies. */
  send(...cmds: string[][]): void {
    let out = '';
    for (const argv of cmds) {
      out += `*${argv.length}\r\n`;
      for (const a of argv) out += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
    }
    this.s.write(out, 'latin1');
  }

  /** Sends one command and returns its raw reply bytes. */
  async call(argv: string[]): Promise<string> {
    this.send(argv);
    const deadline = Date.now() + 10000;
    for (;;) {
      const end = replyEnd(this.buf, 0);
      if (end > 0) {
        const r = this.buf.slice(0, end);
        this.buf = this.buf.slice(end);
        return r;
      }
      if (Date.now() > deadline) throw new Error(`no complete reply to ${argv.join(' ')}: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
    }
  }
  /** Everything received within `ms` that no call() consumed (pub/sub pushes). */
  async drain(ms: number): Promise<string> {
    await new Promise((r) => setTimeout(r, ms));
    const out = this.buf;
    this.buf = '';
    return out;
  }
  close(): void {
    this.s.destroy();
  }
}

/** End offset of the RESP reply starting at `i`, or -1 if incomplete. */
function replyEnd(b: string, i: number): number {
  if (i >= b.length) return -1;
  const nl = b.indexOf('\r\n', i);
  if (nl < 0) return -1;
  const t = b[i];
  const line = b.slice(i + 1, nl);
  let p = nl + 2;
  if (t === '$' || t === '=' || t === '!') {
    const n = Number(line);
    if (n < 0) return p;
    return b.length >= p + n + 2 ? p + n + 2 : -1;
  }
  if (t === '*' || t === '~' || t === '>' || t === '%' || t === '|') {
    let n = Number(line);
    if (n < 0) return p;
    if (t === '%' || t === '|') n *= 2;
    for (let k = 0; k < n; k++) {
      p = replyEnd(b, p);
      if (p < 0) return -1;
    }
    return p;
  }
  return p;
}

export interface RedisProcess {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a throwaway redis-server on a free port, no persistence. */
export async function startRedis(extra: string[] = []): Promise<RedisProcess> {
  const port = await freePort();
  const dir = tempDir('keel-redis-');
  const proc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--enable-debug-command', 'yes', ...extra], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    proc.kill('SIGKILL'); // a no-op once it has exited; `exited` is settled by then
    await exited;
  };
  try {
    await waitFor(async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`redis-server exited (${proc.exitCode ?? proc.signalCode}) before accepting connections`);
      try {
        const c = await ByteConn.connect(port);
        c.close();
        return true;
      } catch {
        return false;
      }
    }, 10000);
  } catch (e) {
    await stop(); // never leave a half-started server behind
    throw e;
  }
  return { port, proc, stop };
}

/**
 * Registers one test per scenario: each runs on a flushed Keel and a flushed redis-server
 * and compares every reply byte for byte (on RESP3 connections with `resp3`, see
 * assertSameReplies). Skipped (with the reason) only without redis-server.
 */
export function diffScenarios(title: string, scenarios: string[][][], keelOptions: Record<string, string> = {}, opts: { resp3?: boolean } = {}): void {
  // imported lazily so this module stays usable from non-test code
  const { test, before, after } = require('node:test') as typeof import('node:test');
  const { startTestServer, hasRedisServer } = require('./helpers') as typeof import('./helpers');
  const run = hasRedisServer();
  let keel: Awaited<ReturnType<typeof startTestServer>> | undefined;
  let redis: RedisProcess | undefined;
  before(async () => {
    if (!run) return;
    keel = await startTestServer(keelOptions);
    redis = await startRedis();
  });
  after(async () => {
    await keel?.close();
    await redis?.stop();
  });
  scenarios.forEach((scenario, i) => {
    test(`${title} ${i}: ${opts.resp3 ? 'RESP3 ' : ''}replies match redis-server byte for byte`, { skip: run ? false : 'redis-server is not installed' }, async () => {
      await assertSameReplies(keel!.port, redis!.port, scenario, opts);
    });
  });
}

/**
 * Opens a connection to each server, sends HELLO 3 to both first when `resp3` (its reply,
 * which holds the client id, is not compared), then FLUSHALL and every command of the
 * scenario, asserting that each reply is the same bytes on both.
 */
export async function assertSameReplies(keelPort: number, redisPort: number, scenario: string[][], opts: { resp3?: boolean } = {}): Promise<void> {
  const assert: typeof import('node:assert/strict') = require('node:assert/strict');
  const a = await ByteConn.connect(keelPort);
  const b = await ByteConn.connect(redisPort);
  try {
    if (opts.resp3) {
      await a.call(['HELLO', '3']);
      await b.call(['HELLO', '3']);
    }
    for (const argv of [['FLUSHALL'], ...scenario]) {
      const [got, want] = [await a.call(argv), await b.call(argv)];
      assert.equal(JSON.stringify(got), JSON.stringify(want), `reply to ${JSON.stringify(argv)}`);
    }
  } finally {
    a.close();
    b.close();
  }
}
