#!/usr/bin/env node
/**
 * The ceiling for a Node.js RESP server on this machine: one Map, PING/SET/GET/INCR/MSET and the
 * CONFIG GET that redis-benchmark sends, nothing else (no expiry, no databases, no stats, no
 * persistence, no limits). It parses and replies the way Keel does (byte loops, latin1 strings,
 * one shared read buffer for every connection, one socket write per client at the end of each
 * event-loop turn: see src/server/shared-reads.ts), so throughput.js --bare can
 * show how much of the gap to redis-server is Node's own and how much is Keel's machinery.
 * Not a server to use.
 *
 *   node bench/bare-server.js <port>
 */
'use strict';
const net = require('node:net');

const map = new Map();
/** every connection reads into this (a chunk is valid until the next read) */
const SHARED = Buffer.allocUnsafe(64 * 1024);

/** Decimal digits of buf[from, to) (no sign); -1 if any other byte. */
function num(buf, from, to) {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function execute(a) {
  const c = a[0];
  if (c === 'PING' || c === 'ping') return '+PONG\r\n';
  if (c === 'SET' || c === 'set') {
    map.set(a[1], a[2]);
    return '+OK\r\n';
  }
  if (c === 'GET' || c === 'get') {
    const v = map.get(a[1]);
    return v === undefined ? '$-1\r\n' : '$' + v.length + '\r\n' + v + '\r\n';
  }
  if (c === 'INCR' || c === 'incr') {
    const n = Number(map.get(a[1]) ?? 0) + 1;
    map.set(a[1], String(n));
    return ':' + n + '\r\n';
  }
  if (c === 'MSET' || c === 'mset') {
    for (let i = 1; i + 1 < a.length; i += 2) map.set(a[i], a[i + 1]);
    return '+OK\r\n';
  }
  if (c === 'CONFIG' || c === 'config') return '*2\r\n$' + a[2].length + '\r\n' + a[2] + '\r\n$0\r\n\r\n';
  return "-ERR unknown command '" + c + "'\r\n";
}

/** sockets with replies waiting: written once at the end of the event-loop turn, as Keel does */
const toFlush = new Map();
let flushScheduled = false;

function flushAll() {
  flushScheduled = false;
  for (const [socket, out] of toFlush) socket.write(out, 'latin1');
  toFlush.clear();
}

function reply(socket, out) {
  const before = toFlush.get(socket);
  toFlush.set(socket, before === undefined ? out : before + out);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushAll);
  }
}

function serve(accepted) {
  // as shared-reads.ts: a socket around the paused connection's handle, reading into SHARED
  const socket = new net.Socket({
    handle: accepted._handle,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    onread: { buffer: SHARED, callback: (n, buf) => void onData(buf.subarray(0, n)) },
  });
  socket.setNoDelay(true);
  let pending = null;
  function onData(chunk) {
    let buf = chunk;
    if (pending !== null) {
      buf = Buffer.concat([pending, chunk]);
      pending = null;
    }
    let out = '';
    let p = 0;
    const end = buf.length;
    parse: while (p < end) {
      const start = p;
      let e = buf.indexOf(13, p);
      if (e < 0 || e + 1 >= end) break;
      if (buf[p] !== 42 /* '*' */) {
        // inline command (PING_INLINE)
        out += execute(buf.latin1Slice(p, e).split(' '));
        p = e + 2;
        continue;
      }
      const n = num(buf, p + 1, e);
      p = e + 2;
      const argv = new Array(n);
      for (let i = 0; i < n; i++) {
        e = buf.indexOf(13, p);
        if (e < 0 || e + 1 >= end) {
          p = start;
          break parse;
        }
        const len = num(buf, p + 1, e);
        p = e + 2;
        if (p + len + 2 > end) {
          p = start;
          break parse;
        }
        argv[i] = buf.latin1Slice(p, p + len);
        p += len + 2;
      }
      out += execute(argv);
    }
    if (p < end) pending = Buffer.from(buf.subarray(p));
    if (out.length !== 0) reply(socket, out);
  }
  socket.on('error', () => socket.destroy());
  socket.on('close', () => toFlush.delete(socket));
}

const port = Number(process.argv[2]);
if (!Number.isInteger(port)) {
  console.error('usage: node bench/bare-server.js <port>');
  process.exit(2);
}
net.createServer({ noDelay: true, pauseOnConnect: true }, serve).listen(port, '127.0.0.1');
