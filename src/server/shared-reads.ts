/**
 * Every connection reads into one shared 64 KB buffer. By default Node gives each socket read
 * a fresh ArrayBuffer (allocated, shrunk to the bytes read, tracked as external memory, later
 * collected): under pipelined load that costs more than parsing the commands in it
 * (bench/bare-server.js, redis-benchmark -t set -P 16: 0.65 of redis-server with 'data'
 * events, 0.77 with a shared buffer). Node offers a caller's buffer (`onread`) only to sockets
 * it creates, so an accepted connection, paused before its first read, is handed to a new
 * Socket made around its handle with `onread`. Without a handle (a Node that does this some
 * other way) the connection keeps 'data' events.
 *
 * A chunk is valid only until the next read: the reader (RequestParser) copies what it keeps.
 */
import net from 'node:net';

const SHARED = Buffer.allocUnsafe(64 * 1024);

type Internals = { _handle?: object | null; server?: net.Server; _server?: net.Server };

/**
 * Takes over a socket accepted with `pauseOnConnect`, calling onChunk for each read, and
 * returns the socket to use from now on (the given one is then abandoned).
 */
export function readShared(accepted: net.Socket, onChunk: (chunk: Buffer) => void): net.Socket {
  const old = accepted as unknown as Internals;
  const handle = old._handle;
  if (!handle) {
    accepted.on('data', onChunk);
    accepted.resume();
    return accepted;
  }
  const socket = new net.Socket({
    handle,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    onread: { buffer: SHARED, callback: (n: number, buf: Buffer) => void onChunk(buf.subarray(0, n)) },
  } as net.SocketConstructorOpts);
  // the listening server counts its connections down when this one closes
  const s = socket as unknown as Internals;
  s.server = old.server;
  s._server = old._server;
  return socket;
}
