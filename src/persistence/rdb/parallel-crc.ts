/**
 * The CRC64 of a big RDB computed on another core while the main thread parses it.
 *
 * Checking the checksum is about a tenth of a load's CPU time and needs nothing from the
 * parse, so a worker thread computes it over a SharedArrayBuffer copy of the file from the
 * start; the parser asks for the result at the end (Atomics.wait: by then it is normally long
 * done). Anything unusual — a worker that cannot start or fails, an RDB that does not end
 * where the file does (an AOF preamble followed by commands) — falls back to computing the
 * CRC inline, so the check itself never depends on the worker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Crc64 } from './crc64';
import { openDataFile, regularFileSize } from '../fsutil';

/** below this a worker's start-up costs more than it saves */
const MIN_PARALLEL = 4 * 1024 * 1024;
/** how long the parser waits for the worker before computing the CRC itself */
const WAIT_MS = 30_000;

/** Reads a file into a Buffer over a SharedArrayBuffer (so a worker can see it without a copy). */
export function readFileShared(file: string): Buffer {
  const fd = openDataFile(file);
  try {
    const size = regularFileSize(fd, file);
    if (size < MIN_PARALLEL) return fs.readFileSync(fd);
    const buf = Buffer.from(new SharedArrayBuffer(size));
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, buf, off, Math.min(size - off, 1 << 24), off);
      if (n === 0) break; // the file shrank while we read it: parse what we got (it will fail as truncated)
      off += n;
    }
    return off === size ? buf : buf.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}

/** A whole file read by readFileShared, big enough for a worker thread to pay off. */
export function worthAWorker(buf: Buffer): boolean {
  return buf.buffer instanceof SharedArrayBuffer && buf.length >= MIN_PARALLEL && buf.byteOffset === 0;
}

/** Returns crcOf(end) for the parser: CRC64 bytes of buf[0, end), from the worker when it can. */
export function checksumFor(buf: Buffer): (end: number) => Buffer {
  const inline = (end: number): Buffer => new Crc64().update(buf, 0, end).bytes();
  if (!worthAWorker(buf)) return inline;
  const end = buf.length - 8;
  // [state (0 running, 1 done, 2 failed), lo, hi]
  const result = new Int32Array(new SharedArrayBuffer(12));
  try {
    const worker = new Worker(path.join(__dirname, 'crc-worker.js'), { workerData: { data: buf.buffer, end, result } });
    worker.on('error', () => {
      Atomics.store(result, 0, 2);
      Atomics.notify(result, 0);
    });
    worker.unref();
  } catch {
    return inline;
  }
  return (at: number): Buffer => {
    if (at !== end) return inline(at);
    if (Atomics.load(result, 0) === 0) Atomics.wait(result, 0, 0, WAIT_MS);
    if (Atomics.load(result, 0) !== 1) return inline(at);
    const b = Buffer.alloc(8);
    b.writeInt32LE(Atomics.load(result, 1), 0);
    b.writeInt32LE(Atomics.load(result, 2), 4);
    return b;
  };
}
