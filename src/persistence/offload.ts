/**
 * The file side of a big snapshot on another core.
 *
 * A SAVE of a large dataset spends about half its time after serialization proper: LZF
 * compression of strings, the CRC64, and the writes. None of that needs the keyspace, so for
 * a big snapshot a worker thread does it while the main thread walks: the snapshot writes
 * compressible strings raw and marks them (Out.marks), and the worker compresses them
 * exactly as the main thread would have, checksums, writes, fsyncs and closes the file.
 * The bytes are the same either way; only the core doing the work changes.
 *
 * The worker owns the file descriptor once started. Progress and the outcome are kept in a
 * SharedArrayBuffer, so SAVE (which blocks the main thread) can wait on them with
 * Atomics.wait; a background save hears of the outcome as a message instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** below this many keys the worker's start-up (tens of ms) costs more than it saves */
export const OFFLOAD_MIN_KEYS = 20_000;

// status cells
export const S_STATE = 0;
export const S_ACKED = 1;
export const S_ABORT = 2;
export const S_READY = 3;
// states
export const RUNNING = 0;
export const DONE = 1;
export const FAILED = 2;
export const ABORTED = 3;
// what follows the last piece
export const TRAILER_NONE = 0;
export const TRAILER_CRC = 1;
export const TRAILER_ZEROS = 2;

export type ToWorker =
  | { t: 'piece'; buf: ArrayBufferLike; off: number; len: number; marks: Int32Array | null }
  | { t: 'end'; trailer: number }
  | { t: 'abort' };

interface Settled {
  state: number;
  error: { message: string; code?: string } | null;
}

function toError(s: Settled): Error | null {
  if (s.state === DONE) return null;
  if (s.state === ABORTED) return new Error('snapshot aborted');
  const e = new Error(s.error?.message ?? 'snapshot writer failed') as NodeJS.ErrnoException;
  if (s.error?.code) e.code = s.error.code;
  return e;
}

export class OffloadedFile {
  private readonly status = new Int32Array(new SharedArrayBuffer(4 * 4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  /** sizes of the pieces posted and not yet acknowledged, oldest first */
  private readonly sizes: number[] = [];
  private sizesHead = 0;
  /** pieces acknowledged so far */
  private popped = 0;
  private inFlight = 0;
  private settled: Settled | null = null;
  private onSettle: ((err: Error | null) => void) | null = null;

  /**
   * Starts the worker on `fd` (which it then owns and closes), checksumming what it writes
   * when `checksummed`. Throws when it cannot start.
   */
  constructor(fd: number, checksummed: boolean) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(path.join(__dirname, 'offload-worker.js'), {
      workerData: { fd, checksummed, status: this.status, port: port2 },
      transferList: [port2],
      // the fd is opened by the main thread and closed here on purpose
      trackUnmanagedFds: false,
    });
    this.port.on('message', (s: Settled) => this.settle(s));
    this.worker.on('error', (e) => this.died(`snapshot writer thread: ${e.message}`, fd));
    this.worker.on('exit', (code) => this.died(`snapshot writer thread exited (${code})`, fd));
    this.worker.unref();
    this.port.unref();
  }

  /**
   * Blocks until the worker runs (true), or gives up after `ms` and stops it (false). A
   * blocking caller must know the worker is alive before it waits on it: while the main
   * thread blocks, it cannot hear of a worker that died.
   */
  waitReady(ms: number): boolean {
    if (Atomics.wait(this.status, S_READY, 0, ms) === 'timed-out' && Atomics.load(this.status, S_READY) === 0) {
      // the caller keeps the fd: a late start does nothing (the state is no longer RUNNING), and
      // the exit handler must not close it
      Atomics.store(this.status, S_STATE, ABORTED);
      this.settled = { state: ABORTED, error: null };
      void this.worker.terminate();
      return false;
    }
    return true;
  }

  /**
   * The worker stopped without settling (it failed to start, or died): the fd is still open
   * and nobody else will close it; the worker is gone, so closing it here is safe.
   */
  private died(message: string, fd: number): void {
    if (Atomics.load(this.status, S_STATE) !== RUNNING) return;
    Atomics.store(this.status, S_STATE, FAILED);
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
    this.settle({ state: FAILED, error: { message } });
  }

  private settle(s: Settled): void {
    if (this.settled !== null) return;
    this.settled = s;
    const cb = this.onSettle;
    this.onSettle = null;
    cb?.(toError(s));
  }

  /**
   * Hands a piece over (written with marks when `marks` is set). An `owned` piece is the only
   * view of its memory: it moves to the worker and the caller must not touch it again; any
   * other piece is copied.
   */
  write(piece: Buffer, marks: Int32Array | null, owned: boolean): void {
    if (this.settled !== null || Atomics.load(this.status, S_STATE) !== RUNNING) return;
    // read before the transfer: it leaves `piece` a view of nothing (byteLength 0)
    const len = piece.byteLength;
    const buf = owned ? piece.buffer : piece.buffer.slice(piece.byteOffset, piece.byteOffset + len);
    const off = owned ? piece.byteOffset : 0;
    const msg: ToWorker = { t: 'piece', buf, off, len, marks };
    const transfer = [buf as ArrayBuffer];
    if (marks !== null) transfer.push(marks.buffer as ArrayBuffer);
    this.worker.postMessage(msg, transfer);
    this.sizes.push(len);
    this.inFlight += len;
  }

  /** Bytes handed over and not yet written. */
  get backlog(): number {
    const acked = Atomics.load(this.status, S_ACKED);
    while (this.popped < acked) {
      this.inFlight -= this.sizes[this.sizesHead++];
      this.popped++;
    }
    if (this.sizesHead > 1024 && this.sizesHead * 2 > this.sizes.length) {
      this.sizes.splice(0, this.sizesHead);
      this.sizesHead = 0;
    }
    return this.inFlight;
  }

  /** Blocks until the backlog is at most `bytes` (or the worker stopped). */
  waitBacklog(bytes: number): void {
    while (this.backlog > bytes && Atomics.load(this.status, S_STATE) === RUNNING) {
      Atomics.wait(this.status, S_ACKED, Atomics.load(this.status, S_ACKED), 100);
    }
  }

  /** No more pieces: the worker appends the trailer, fsyncs and closes. */
  end(trailer: number): void {
    this.worker.postMessage({ t: 'end', trailer } satisfies ToWorker);
  }

  /** Blocks until the worker is done; returns its error, if any. */
  waitSettled(): Error | null {
    while (Atomics.load(this.status, S_STATE) === RUNNING) Atomics.wait(this.status, S_STATE, RUNNING, 1000);
    if (this.settled === null) {
      const m = receiveMessageOnPort(this.port);
      this.settle(
        m ? (m.message as Settled) : { state: Atomics.load(this.status, S_STATE), error: null },
      );
    }
    return toError(this.settled!);
  }

  /** Calls back once the worker is done (at once if it already is). */
  whenSettled(cb: (err: Error | null) => void): void {
    if (this.settled !== null) return cb(toError(this.settled));
    this.onSettle = cb;
    this.port.ref();
  }

  /** Stops the worker at the next piece: it closes the file without finishing it. */
  abort(): void {
    Atomics.store(this.status, S_ABORT, 1);
    this.worker.postMessage({ t: 'abort' } satisfies ToWorker);
  }

  get failed(): boolean {
    const s = Atomics.load(this.status, S_STATE);
    return s === FAILED || s === ABORTED;
  }
}
