/**
 * What the benchmarks share: argument parsing, free ports, medians, INFO parsing, and a
 * minimal RESP client (no dependency, so the same bytes go to Keel and redis-server).
 */
'use strict';
const net = require('node:net');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

/** `--k v`, `--k=v`, bare `--flag`; values of `*-args` options start with `--` themselves. */
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

/** Waits until something accepts connections on `port` (or `proc` exits). */
async function waitPort(port, proc, name) {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}`);
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not start on port ${port}`);
}

/** The median of the numbers in `xs` (NaN when there are none). */
function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function parseInfo(s) {
  const o = {};
  for (const line of String(s).split('\r\n')) {
    const k = line.indexOf(':');
    if (k > 0 && line[0] !== '#') o[line.slice(0, k)] = line.slice(k + 1);
  }
  return o;
}

/** HEAD and whether src/ has uncommitted edits, recorded with results (null outside git). */
function gitState() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { head, src_dirty: dirty !== '' };
  } catch {
    return null;
  }
}

/** A command as RESP (args are latin1 strings). */
function resp(args) {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
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

/**
 * A pipelining RESP client over one socket.
 * `timeoutMs` (0: no limit): a send whose replies have not all arrived within it fails, and so
 * does the connection (the reply order is lost): every pending and later call rejects.
 */
class Client {
  constructor(port, { timeoutMs = 0 } = {}) {
    this.port = port;
    this.timeoutMs = timeoutMs;
    this.buf = Buffer.alloc(0);
    this.waiting = []; // {n, replies, resolve, reject, timer}
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
        clearTimeout(w.timer);
        w.resolve(w.replies);
      }
    }
    this.buf = p === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(p);
  }

  fail(e) {
    this.closed ??= e;
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(e);
    }
  }

  /**
   * sends raw RESP holding n commands; resolves with (the first few and any error) replies;
   * `what` names them in the timeout error
   */
  raw(text, n, what = `${n} command(s)`) {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const w = { n, replies: [], resolve, reject, timer: undefined };
      if (this.timeoutMs > 0) {
        w.timer = setTimeout(() => {
          this.fail(new Error(`${what}: no reply within ${this.timeoutMs} ms`));
          this.sock.destroy();
        }, this.timeoutMs);
      }
      this.waiting.push(w);
      this.sock.write(text, 'latin1');
    });
  }

  /** one command; an error reply resolves to an Error instance */
  async call(...a) {
    return (await this.raw(resp(a.map(String)), 1, String(a[0])))[0];
  }

  async ok(...a) {
    const r = await this.call(...a);
    if (r instanceof Error) throw new Error(`${a.join(' ')}: ${r.message}`);
    return r;
  }

  close() {
    this.sock?.destroy();
  }
}

module.exports = { ROOT, CLI, parseArgs, splitWords, sleep, freePort, waitPort, median, parseInfo, gitState, resp, parseReply, Client };
