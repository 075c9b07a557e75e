/**
 * Worker side of offload.ts: turns a snapshot's pieces into the file's final bytes (LZF for
 * the marked strings), checksums and writes them to the fd it was given, then on `end`
 * appends the CRC64 trailer, fsyncs and closes. It owns the fd from the start: the main
 * thread never writes or closes it, so nothing can write to a reused descriptor number.
 */
import fs from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Crc64 } from './rdb/crc64';
import { Out, finishDeferred } from './rdb/writer';
import { S_STATE, S_ACKED, S_ABORT, S_READY, RUNNING, DONE, FAILED, ABORTED, TRAILER_CRC, TRAILER_ZEROS, type ToWorker } from './offload';

const { fd, checksummed, status, port } = workerData as { fd: number; checksummed: boolean; status: Int32Array; port: MessagePort };
const crc = new Crc64();
const out = new Out(1024 * 1024);

function writeAll(b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
}

function settle(state: number, err?: NodeJS.ErrnoException): void {
  if (Atomics.load(status, S_STATE) !== RUNNING) return;
  try {
    fs.closeSync(fd);
  } catch (e) {
    if (state === DONE) {
      state = FAILED;
      err = e as NodeJS.ErrnoException;
    }
  }
  port.postMessage({ state, error: err ? { message: err.message, code: err.code } : null });
  Atomics.store(status, S_STATE, state);
  Atomics.notify(status, S_STATE);
  port.close();
  parentPort!.close();
}

parentPort!.on('message', (m: ToWorker) => {
  if (Atomics.load(status, S_STATE) !== RUNNING) return;
  if (m.t === 'abort' || Atomics.load(status, S_ABORT) !== 0) return settle(ABORTED);
  try {
    if (m.t === 'piece') {
      const piece = new Uint8Array(m.buf, m.off, m.len);
      let final: Uint8Array = piece;
      if (m.marks !== null) {
        out.pos = 0;
        finishDeferred(piece, m.marks, out);
        final = out.buf.subarray(0, out.pos);
      }
      if (checksummed) crc.update(final);
      writeAll(final);
      Atomics.add(status, S_ACKED, 1);
      Atomics.notify(status, S_ACKED);
      return;
    }
    if (m.trailer === TRAILER_CRC) writeAll(crc.bytes());
    else if (m.trailer === TRAILER_ZEROS) writeAll(Buffer.alloc(8));
    fs.fsyncSync(fd);
    settle(DONE);
  } catch (e) {
    settle(FAILED, e as NodeJS.ErrnoException);
  }
});

// whatever goes wrong outside a message's try (there is little) still settles and closes the fd:
// a blocking SAVE waits on the status cells and cannot hear of the thread's death
process.on('uncaughtException', (e) => settle(FAILED, e as NodeJS.ErrnoException));

Atomics.store(status, S_READY, 1);
Atomics.notify(status, S_READY);
