/**
 * Runs a forkless snapshot in the background (BGSAVE, AOF rewrite): a time slice of
 * serialization per event-loop turn, the bytes written asynchronously to a temp file, then
 * fsync and close. What the finished file becomes (dump.rdb, a new AOF BASE) is the
 * caller's business; on failure or abort the temp file is removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from '../server/server';
import { RDB_FORMAT, Snapshot, type SnapshotOptions } from './snapshot';
import { fsyncDirSync } from './fsutil';
import { OffloadedFile, OFFLOAD_MIN_KEYS, TRAILER_CRC, TRAILER_NONE, TRAILER_ZEROS } from './offload';

/**
 * The file's finishing work on a worker thread (offload.ts) for a snapshot of many keys, or
 * null to do it here: a small one, or when no worker can start. The worker then owns `fd`.
 */
function startOffload(server: Server, fd: number, opts: Omit<SnapshotOptions, 'sink'>, blocking: boolean): OffloadedFile | null {
  let keys = 0;
  for (const db of server.keyspace.dbs) keys += db.dict.size;
  if (keys < OFFLOAD_MIN_KEYS) return null;
  try {
    const off = new OffloadedFile(fd, (opts.format ?? RDB_FORMAT).checksummed);
    return !blocking || off.waitReady(WORKER_START_MS) ? off : null;
  } catch {
    return null;
  }
}

/** how long a blocking save waits for its worker to start before doing the work itself */
const WORKER_START_MS = 5000;

function trailerOf(opts: Omit<SnapshotOptions, 'sink'>, checksum: boolean): number {
  if (!(opts.format ?? RDB_FORMAT).checksummed) return TRAILER_NONE;
  return checksum ? TRAILER_CRC : TRAILER_ZEROS;
}

/**
 * A slice of serialization per event-loop turn: as long as the rest of the turn took (so a
 * snapshot under load gets about half the CPU, and a client's latency at most doubles), at
 * least MIN and at most MAX milliseconds (so no turn stalls for long).
 */
const MIN_STEP_MS = 2;
const MAX_STEP_MS = 10;
/**
 * serialization pauses while this much is waiting to be written: the snapshot's own memory.
 * 8 MB keeps the worker as busy as 32 MB did (SAVE and BGSAVE times alike) and halves what a
 * BGSAVE of 1,000,000 keys adds to the process (PSS +38 MB instead of +75 MB)
 */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

export class BackgroundSnapshot {
  readonly snapshot: Snapshot;
  readonly startedAt = Date.now();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writing = false;
  private error: Error | null = null;
  private finished = false;

  /**
   * Opens `tmp` and starts. `onDone(null)` once the file is complete, fsynced and closed;
   * `onDone(err)` after a failure (the temp file is gone). Throws when `tmp` cannot be opened.
   */
  constructor(
    private readonly server: Server,
    readonly tmp: string,
    opts: Omit<SnapshotOptions, 'sink'>,
    checksum: boolean,
    private readonly onDone: (err: Error | null) => void,
  ) {
    this.fd = fs.openSync(tmp, 'w', 0o644);
    this.keyDelayUs = opts.keyDelayUs ?? 0;
    const off = startOffload(server, this.fd, opts, false);
    this.offload = off;
    if (off !== null) {
      this.fd = -1; // the worker's now
      this.trailer = trailerOf(opts, checksum);
      off.whenSettled((err) => this.finish(err));
    }
    this.snapshot = new Snapshot(server.keyspace, {
      ...opts,
      offloaded: off !== null,
      sink:
        off !== null
          ? (b, marks, owned) => off.write(b, marks, owned)
          : (b) => {
              this.pending.push(b);
              this.pendingBytes += b.length;
            },
    });
    this.snapshot.checksum = checksum;
    setImmediate(() => this.drive());
  }

  private fd: number;
  private readonly keyDelayUs: number;
  /** the worker finishing and writing the file, when it does (then fd is not ours) */
  private readonly offload: OffloadedFile | null;
  private trailer = TRAILER_NONE;

  /** when the last slice ended: the time since then went to everything else */
  private lastStepEnd = performance.now();

  private drive(): void {
    if (this.finished) return;
    if (this.error) return this.finish(this.error);
    const snap = this.snapshot;
    const off = this.offload;
    if (off !== null && off.failed) return; // whenSettled reports it
    const backlog = off !== null ? off.backlog : this.pendingBytes;
    if (!snap.done && backlog < MAX_PENDING_BYTES) {
      // the slice runs from setImmediate, as the turn's replies do: they go first
      this.server.endTurnNow();
      try {
        const others = performance.now() - this.lastStepEnd;
        snap.step(Math.min(MAX_STEP_MS, Math.max(MIN_STEP_MS, others)));
        this.lastStepEnd = performance.now();
      } catch (e) {
        return this.finish(e as Error);
      }
      // writers held until a big value was saved may go on now
      if (this.server.gatedClients.length) this.server.releaseGatedClients();
      this.server.blocking.retryDeferred();
    }
    if (off !== null) {
      // the worker appends the trailer, fsyncs and closes; whenSettled takes it from there
      if (snap.done) return off.end(this.trailer);
    } else {
      this.flushPending();
      if (snap.done && this.pendingBytes === 0 && !this.writing) return this.complete();
    }
    if (this.keyDelayUs > 0 && !snap.done) setTimeout(() => this.drive(), Math.max(1, Math.ceil(this.keyDelayUs / 1000)));
    // waiting for the worker to catch up: spinning here would take CPU from it
    else if (off !== null && backlog >= MAX_PENDING_BYTES) setTimeout(() => this.drive(), 1);
    else setImmediate(() => this.drive());
  }

  private flushPending(): void {
    if (this.writing || this.pending.length === 0) return;
    const buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    this.writing = true;
    const write = (off: number) => {
      fs.write(this.fd, buf, off, buf.length - off, null, (err, n) => {
        if (this.finished) return this.ioDone();
        if (err) {
          this.writing = false;
          this.error = err;
          return;
        }
        if (off + n < buf.length) return write(off + n);
        this.pendingBytes -= buf.length;
        this.writing = false;
      });
    };
    write(0);
  }

  private complete(): void {
    this.writing = true;
    fs.fsync(this.fd, (err) => {
      if (this.finished) return this.ioDone();
      this.writing = false;
      if (err) return this.finish(err);
      const fd = this.fd;
      this.fd = -1;
      fs.close(fd, (err2) => this.finish(err2 ?? null));
    });
  }

  private finish(err: Error | null): void {
    if (!this.stop(err !== null)) return;
    this.onDone(err);
  }

  /** Stops at once: the temp file is removed and onDone is not called. */
  abort(): void {
    this.stop(true);
  }

  /** The write or fsync that was running when the job stopped has returned. */
  private ioDone(): void {
    this.writing = false;
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd < 0) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.fd = -1;
  }

  /** Ends the job once: detach, close, optionally remove the temp file, let held writers go. */
  private stop(removeTmp: boolean): boolean {
    if (this.finished) return false;
    this.finished = true;
    this.snapshot.detach();
    if (removeTmp) this.offload?.abort();
    // a write or fsync still running on fd must finish first: closing now would let the number
    // be reused (by a client's socket, say) and the late write land there
    if (!this.writing) this.closeFd();
    if (removeTmp) fs.rmSync(this.tmp, { force: true });
    if (this.server.gatedClients.length) this.server.releaseGatedClients();
    this.server.blocking.retryDeferred();
    return true;
  }
}

/** Gather the snapshot's many small pieces into writes of about this size. */
const SYNC_WRITE_CHUNK = 1024 * 1024;

/**
 * The foreground counterpart (SAVE, shutdown, the first AOF BASE): the whole snapshot now,
 * into `tmp`, fsynced, renamed over `target`, the directory fsynced. On failure the temp
 * file is removed and the error thrown; `target` is untouched.
 */
export function writeSnapshotSync(server: Server, tmp: string, target: string, opts: Omit<SnapshotOptions, 'sink'>, checksum: boolean): Snapshot {
  const fd = fs.openSync(tmp, 'w', 0o644);
  const off = startOffload(server, fd, opts, true);
  if (off !== null) return offloadedSnapshotSync(server, off, tmp, target, opts, checksum);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const writeOut = () => {
    const b = pending.length === 1 ? pending[0] : Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    let off = 0;
    while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
  };
  let snap: Snapshot;
  try {
    const sink = (b: Buffer) => {
      pending.push(b);
      pendingBytes += b.length;
      if (pendingBytes >= SYNC_WRITE_CHUNK) writeOut();
    };
    snap = runSnapshot(server, { ...opts, sink }, checksum);
    if (pendingBytes > 0) writeOut();
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  publish(tmp, target);
  return snap;
}

/** Runs a snapshot to its end, observing the keyspace only meanwhile. */
function runSnapshot(server: Server, opts: SnapshotOptions, checksum: boolean): Snapshot {
  const snap = new Snapshot(server.keyspace, opts);
  snap.checksum = checksum;
  try {
    snap.runSync();
  } finally {
    snap.detach();
  }
  return snap;
}

/** The finished, fsynced temp file replaces `target`, then the directory is fsynced. */
function publish(tmp: string, target: string): void {
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDirSync(path.dirname(target));
}

/** writeSnapshotSync with the file's finishing work on the worker `off`, which owns the fd. */
function offloadedSnapshotSync(server: Server, off: OffloadedFile, tmp: string, target: string, opts: Omit<SnapshotOptions, 'sink'>, checksum: boolean): Snapshot {
  let snap: Snapshot;
  try {
    const sink = (b: Buffer, marks: Int32Array | null, owned: boolean) => {
      if (off.failed) throw off.waitSettled();
      off.write(b, marks, owned);
      if (off.backlog > MAX_PENDING_BYTES) off.waitBacklog(MAX_PENDING_BYTES / 2);
    };
    snap = runSnapshot(server, { ...opts, offloaded: true, sink }, checksum);
  } catch (e) {
    off.abort();
    off.waitSettled();
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  off.end(trailerOf(opts, checksum));
  const err = off.waitSettled();
  if (err !== null) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  publish(tmp, target);
  return snap;
}
