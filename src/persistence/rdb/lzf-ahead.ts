/**
 * LZF strings of a big RDB decompressed on another core, ahead of the main thread's parse.
 *
 * Decompressing is about a sixth of a load's main-thread time and needs nothing but the bytes,
 * so a worker walks the file's structure (lzf-ahead-worker.ts: it skips values instead of
 * building them), decompresses each LZF string into a shared ring, and lists it in a shared
 * table by its offset in the file. When the parser meets an LZF string it asks take(offset):
 * a hit is the decompressed bytes, a miss (the worker is behind, or stopped on something it
 * does not know) means the parser decompresses it itself, as it would without the worker.
 * So the worker only ever saves time: the parse, its checks and its error offsets do not
 * depend on it, and a corrupt string the worker could not decompress is simply not listed.
 *
 * Protocol (all in SharedArrayBuffers): the worker fills table slots in file order and
 * publishes their count; the parser releases every entry before the one it took last (that
 * one stays valid until its next take, as transient views of it may still be read), and the
 * worker reuses the ring space of released entries only.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { worthAWorker } from './parallel-crc';

export const TABLE_SLOTS = 1 << 16;
export const RING_BYTES = 16 * 1024 * 1024;

/** the parser wakes a worker waiting for ring space every this many strings (a power of 2) */
const WAKE_EVERY = 1024;

/** ctrl cells */
export const C_PUBLISHED = 0;
export const C_RELEASED = 1;
export const C_STOP = 2;
export const C_WAITING = 3;

export interface AheadShared {
  file: SharedArrayBuffer;
  ctrl: SharedArrayBuffer; // Int32Array: published, released, stop, worker waiting
  mainPos: SharedArrayBuffer; // Float64Array[1]: where the parser is (the worker skips up to it)
  offsets: SharedArrayBuffer; // Float64Array: file offset of each entry
  starts: SharedArrayBuffer; // Int32Array: its start in the ring
  ring: SharedArrayBuffer;
}

export class LzfAhead {
  /** the decompressed bytes of the last hit are ring[start, start + length) */
  readonly ring: Buffer;
  private readonly ctrl: Int32Array;
  private readonly mainPos: Float64Array;
  private readonly offsets: Float64Array;
  private readonly starts: Int32Array;
  private next = 0;
  private published = 0;
  /** strings the parser took from the worker (tests check the worker did its part) */
  hits = 0;

  constructor(shared: AheadShared) {
    this.ring = Buffer.from(shared.ring);
    this.ctrl = new Int32Array(shared.ctrl);
    this.mainPos = new Float64Array(shared.mainPos);
    this.offsets = new Float64Array(shared.offsets);
    this.starts = new Int32Array(shared.starts);
  }

  /**
   * The ring start of the LZF string whose header begins at `at` (just past its encoding
   * byte), or -1 when the worker has not decompressed it.
   */
  take(at: number): number {
    if (this.next >= this.published) {
      this.published = Atomics.load(this.ctrl, C_PUBLISHED);
      if (this.next >= this.published) return this.miss(at);
    }
    const offsets = this.offsets;
    let i = this.next;
    while (offsets[i % TABLE_SLOTS] < at) {
      if (++i >= this.published) {
        this.next = i;
        return this.miss(at);
      }
    }
    if (offsets[i % TABLE_SLOTS] !== at) {
      this.next = i;
      return this.miss(at);
    }
    this.next = i + 1;
    this.hits++;
    // everything before this entry may be reused; this one stays until the next take
    Atomics.store(this.ctrl, C_RELEASED, i);
    // a waiting worker is woken once a batch is free (a wake per string would cost more than the string)
    if ((i & (WAKE_EVERY - 1)) === 0 && Atomics.load(this.ctrl, C_WAITING) !== 0) Atomics.notify(this.ctrl, C_RELEASED);
    return this.starts[i % TABLE_SLOTS];
  }

  private miss(at: number): number {
    this.mainPos[0] = at; // the worker skips what the parser has passed
    return -1;
  }

  /** Stops the worker (the parse ended, one way or another). */
  stop(): void {
    Atomics.store(this.ctrl, C_STOP, 1);
    Atomics.store(this.ctrl, C_RELEASED, this.published);
    Atomics.notify(this.ctrl, C_RELEASED);
  }
}

/** Starts a worker over `buf` when it is big and shared; null otherwise (the parse does without). */
export function lzfAheadFor(buf: Buffer): LzfAhead | null {
  if (!worthAWorker(buf)) return null;
  const shared: AheadShared = {
    file: buf.buffer as SharedArrayBuffer,
    ctrl: new SharedArrayBuffer(4 * 4),
    mainPos: new SharedArrayBuffer(8),
    offsets: new SharedArrayBuffer(8 * TABLE_SLOTS),
    starts: new SharedArrayBuffer(4 * TABLE_SLOTS),
    ring: new SharedArrayBuffer(RING_BYTES),
  };
  try {
    const worker = new Worker(path.join(__dirname, 'lzf-ahead-worker.js'), { workerData: { ...shared, length: buf.length } });
    worker.on('error', () => {}); // the parser just stops getting hits
    worker.unref();
  } catch {
    return null;
  }
  return new LzfAhead(shared);
}
