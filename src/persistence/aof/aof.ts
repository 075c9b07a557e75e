/**
 * The append-only file of a running server, in Redis 7.0's multi-part layout
 * (`dir/appenddirname/`: one BASE, INCR files, a manifest).
 *
 * Write path. Every unit of the propagation stream is encoded as RESP (with SELECT when the
 * database changes) into `buf`. Once per event-loop turn the buffer goes to the current INCR
 * file; a client's replies are held until what it could have seen is on disk:
 *   - everysec / no: written to the kernel (a synchronous write, as Redis does), so killing
 *     the process loses no acknowledged write; everysec fsyncs in the background once a second
 *     and, while an fsync is still running, postpones writes for up to 2 s (aof_delayed_fsync).
 *   - always: group commit. The turn's writes go to the kernel as above; one fdatasync runs
 *     in the background at a time and covers everything written before it started; replies
 *     wait for the fsync that covers them. The next fsync gathers the clients the last one
 *     answered before it starts (syncForReplies). The event loop never waits on the disk.
 * Offsets (`appended`, `written`, `synced`) count bytes since start, across files.
 *
 * Rewrite (BGREWRITEAOF, auto rewrite, turning the AOF on). In one synchronous step: write
 * out the buffer, open a new INCR file and publish a manifest that lists it, and start a
 * forkless snapshot. The snapshot is the dataset at that instant and the new INCR holds
 * everything after it, so no rewrite buffer is needed. When the snapshot file is complete it
 * becomes the new BASE, older files become history, and the manifest is replaced atomically.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Server, PropagatedOp } from '../../server/server';
import type { Client } from '../../server/client';
import { Manifest, readManifest, manifestName, type AofInfo } from './manifest';
import { aofCommandsFormat } from './resp';
import { AofBuffer } from './aof-buffer';
import { AofFileLoader, AofLoadError } from './loader';
import { BackgroundSnapshot, writeSnapshotSync } from '../background';
import { RDB_FORMAT } from '../snapshot';
import { encodeOptions, rdbAux } from '../rdb-persistence';
import { ensureDir, fsyncDirSync } from '../fsutil';

type State = 'off' | 'on' | 'wait-rewrite';

interface IncrFile {
  info: AofInfo;
  fd: number;
  size: number;
  /** asynchronous operations on fd still running: it is closed when they are done */
  inflight: number;
  retired: boolean;
  /** the stream offset where this file's bytes end, set when it stops taking appends */
  endOffset: number;
  /** an fsync of it failed: its bytes are never counted as durable */
  fsyncFailed: boolean;
}

interface RewriteJob {
  bg: BackgroundSnapshot;
  preamble: boolean;
  startedAt: number;
  /** the first BASE after CONFIG SET appendonly yes: the INCR is listed only once it exists */
  first: boolean;
}

/** always: the longest an fsync waits for the clients the last one answered (see syncForReplies). */
const GATHER_MS = 1;
/** How long everysec postpones a write behind a running fsync (Redis: 2 seconds). */
const MAX_POSTPONE_MS = 2000;
export class AofPersistence {
  /** changed only through setState, which keeps the propagation listener in step */
  private state: State = 'off';
  manifest: Manifest | null = null;
  private file: IncrFile | null = null;
  /** appended but not yet written (aof_buf) */
  private readonly buf = new AofBuffer();

  /** bytes logged and not yet written (INFO aof_buffer_length, mem_aof_buffer) */
  get bufferLength(): number {
    return this.buf.length;
  }
  private selectedDb = -1;
  private lastTimestamp = 0;
  appended = 0;
  written = 0;
  synced = 0;
  private turnScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** fdatasync calls running: at most one */
  private fsyncsInFlight = 0;
  /** retired files still open (an fsync running on them), and what is durable once they close */
  private openRetired = 0;
  private pendingSynced = 0;
  /** the highest offset an fsync in flight will make durable */
  private syncingUpTo = 0;
  /**
   * always: how many held clients the next fsync waits for before it starts (the clients the
   * last one answered, coming back with their next command), and the timer that starts it
   * anyway when some of them do not come back.
   */
  private gatherTarget = 0;
  private gatherTimer: NodeJS.Timeout | null = null;
  private lastFsync = Date.now();
  private postponedSince = 0;
  delayedFsync = 0;
  lastWriteStatus: 'ok' | 'err' = 'ok';
  private lastWriteError = '';
  private fsyncError: string | null = null;
  private lastWriteRetry = 0;
  currentSize = 0;
  baseSize = 0;
  /** aof_current_size right after the last rewrite: the auto-rewrite growth is measured from it */
  private rewriteBaseSize = 0;
  private readonly held = new Set<Client>();
  rewrite: RewriteJob | null = null;
  rewriteScheduled = false;
  lastRewriteTimeSec = -1;
  lastBgrewriteStatus: 'ok' | 'err' = 'ok';
  rewrites = 0;
  private consecutiveFailures = 0;
  private lastRewriteFailure = 0;
  private lastCowSize = 0;

  constructor(readonly server: Server) {
    const rdb = server.rdb!;
    rdb.otherChildActive = () => this.rewrite !== null;
    rdb.onBackgroundDone.push(() => this.cron());
    rdb.aofInfo = () => this.info();
    const rdbRefusal = server.writeRefusal;
    server.writeRefusal = () => rdbRefusal?.() ?? this.refusal();
    server.cronHooks.push(() => this.cron());
    // first of all hooks, as Redis's finishShutdown checks it before anything is saved
    server.shutdownHooks.unshift((o) => this.refuseShutdownBeforeFirstBase(o.force));
    server.shutdownHooks.push(() => this.onShutdown());
    server.clientCloseHooks.push((c) => this.held.delete(c));
    server.beforeRepliesHooks.push(this.endOfTurn);
    const cfg = server.config;
    this.readSettings();
    cfg.onAnyChange(() => this.readSettings());
    cfg.onChange('appendonly', (v) => {
      if (v && this.state === 'off') this.start();
      else if (!v && this.state !== 'off') this.stop();
    });
    cfg.onChange('appendfsync', () => {
      this.readSettings();
      // under always every reply waits for an fsync covering what was written: start one for
      // what everysec/no left unsynced, or nothing would release them until the next write
      if (this.policy === 'always' && this.state !== 'off') this.syncForReplies(true);
      this.releaseHeld();
    });
  }

  // ---------------------------------------------------------------- paths and settings

  get dir(): string {
    return this.server.config.path('appenddirname');
  }

  private get prefix(): string {
    return this.server.config.str('appendfilename');
  }

  /** appendfsync and aof-timestamp-enabled, read on every write: cached, refreshed on CONFIG SET */
  private policy = 'everysec';
  private timestamps = false;

  private readSettings(): void {
    this.policy = this.server.config.str('appendfsync');
    this.timestamps = this.server.config.bool('aof-timestamp-enabled');
  }

  private ensureDir(): void {
    ensureDir(this.dir, 'append-only dir', this.server.config.str('appenddirname'));
  }

  /** The repair hint errors carry. */
  private get hint(): string {
    return `keel check-aof --fix ${path.join(this.dir, manifestName(this.prefix))}`;
  }

  // ---------------------------------------------------------------- the write path

  private readonly onOps = (ops: PropagatedOp[]): void => {
    const buf = this.buf;
    const before = buf.length;
    if (this.timestamps) {
      const now = Math.floor(Date.now() / 1000);
      if (now !== this.lastTimestamp) {
        buf.appendText(`#TS:${now}\r\n`);
        this.lastTimestamp = now;
      }
    }
    for (const op of ops) {
      if (op.db !== this.selectedDb) {
        buf.appendCommand(['SELECT', String(op.db)]);
        this.selectedDb = op.db;
      }
      buf.appendCommand(op.argv);
    }
    this.appended += buf.length - before;
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      this.server.scheduleTurnEnd();
    }
  };

  /** Once per event-loop turn, before the replies go out: flushAppendOnlyFile. */
  private readonly endOfTurn = (): void => {
    if (!this.turnScheduled) return;
    this.turnScheduled = false;
    this.flush(false);
  };

  /** The offset every reply may reveal without risk: written (everysec, no) or synced (always). */
  private durable(): number {
    return this.policy === 'always' ? this.synced : this.written;
  }

  /** The reply gate: hold `c`'s replies while anything it may have seen is not durable yet. */
  private readonly gate = (c: Client): boolean => {
    const target = this.appended;
    if (target <= this.durable()) {
      this.held.delete(c);
      return false;
    }
    // a write error under everysec/no answers clients as Redis does (new writes get MISCONF)
    if (this.lastWriteStatus === 'err' && this.policy !== 'always') return false;
    c.aofWait = target;
    // what it says now waits for `target`; replies it makes meanwhile (the rest of a pipeline,
    // a served pop) may reveal later writes and must come back through here
    c.sealOutput();
    this.held.add(c);
    // a client that only read may complete the group an fsync is gathering
    if (this.gatherTimer !== null && this.buf.length === 0) this.syncForReplies();
    return true;
  };

  private releaseHeld(): void {
    if (this.held.size === 0) return;
    const durable = this.durable();
    for (const c of [...this.held]) {
      if (c.aofWait > durable && !(this.lastWriteStatus === 'err' && this.policy !== 'always')) continue;
      this.held.delete(c);
      c.flushSealed();
      c.flush();
    }
  }

  /** flushAppendOnlyFile: write what the buffer holds, then fsync by the policy. */
  flush(force: boolean): void {
    if (this.file === null) return;
    const policy = this.policy;
    if (this.buf.length === 0) return this.releaseHeld();
    if (policy === 'everysec' && this.fsyncsInFlight !== 0 && !force) {
      const now = Date.now();
      if (this.postponedSince === 0) this.postponedSince = now;
      if (now - this.postponedSince < MAX_POSTPONE_MS) return this.retrySoon();
      this.delayedFsync++;
      this.server.log.notice(
        'Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.',
      );
    }
    this.postponedSince = 0;
    if (!this.writeBuffer()) return;
    if (policy === 'always') return this.syncForReplies();
    this.releaseHeld();
    if (policy === 'everysec' && this.fsyncsInFlight === 0 && Date.now() - this.lastFsync >= 1000) this.backgroundFsync();
  }

  private retrySoon(): void {
    if (this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.flush(false);
    }, 10);
  }

  /** A synchronous write of the whole buffer (everysec, no); false after a write error. */
  private writeBuffer(): boolean {
    const f = this.file!;
    const data = this.buf.view();
    let off = 0;
    try {
      while (off < data.length) off += fs.writeSync(f.fd, data, off, data.length - off);
    } catch (e) {
      // drop a partial write, so the file never ends in half a command
      if (off > 0) {
        try {
          fs.ftruncateSync(f.fd, f.size);
          off = 0;
        } catch {
          // could not remove it: keep it, and write only the rest next time
        }
      }
      this.advance(f, off);
      this.buf.consume(off);
      const msg = (e as Error).message;
      if (this.lastWriteStatus === 'ok' || msg !== this.lastWriteError) this.server.log.warning(`Error writing to the AOF file: ${msg}`);
      this.lastWriteStatus = 'err';
      this.lastWriteError = msg;
      this.lastWriteRetry = Date.now();
      // the write can be neither acknowledged nor taken back
      if (this.policy === 'always') this.server.fatal("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
      this.releaseHeld();
      return false;
    }
    this.advance(f, data.length);
    this.buf.clear();
    if (this.lastWriteStatus === 'err') {
      this.server.log.warning('AOF write error looks solved, Redis can write again.');
      this.lastWriteStatus = 'ok';
      this.lastWriteError = '';
    }
    return true;
  }

  private advance(f: IncrFile, n: number): void {
    f.size += n;
    this.written += n;
    this.currentSize += n;
  }

  /**
   * always: start an fsync for what was written, unless one in flight already covers it.
   * Group commit gathers first: the clients the last fsync answered usually come back with
   * their next command within a few microseconds, and an fsync started before they do covers
   * only the stragglers, so every client would wait for two. The fsync starts once as many
   * clients wait as the last one answered, or after GATHER_MS, whichever comes first.
   */
  private syncForReplies(now = false): void {
    if (this.written <= this.syncingUpTo || this.fsyncsInFlight !== 0 || this.file === null) return;
    if (now || this.held.size >= this.gatherTarget) {
      if (this.gatherTimer !== null) {
        clearTimeout(this.gatherTimer);
        this.gatherTimer = null;
      }
      this.backgroundFsync();
    } else if (this.gatherTimer === null) {
      this.gatherTimer = setTimeout(() => {
        this.gatherTimer = null;
        this.syncForReplies(true);
      }, GATHER_MS);
    }
  }

  /**
   * fdatasync in the background (libuv's pool); writes go on meanwhile. Under always a failed
   * fsync is fatal, as Redis makes it; under everysec it refuses writes until one succeeds.
   */
  private backgroundFsync(): void {
    const f = this.file!;
    const upto = this.written;
    f.inflight++;
    this.fsyncsInFlight++;
    this.syncingUpTo = upto;
    fs.fdatasync(f.fd, (err) => {
      f.inflight--;
      this.fsyncsInFlight--;
      this.lastFsync = Date.now();
      if (err) {
        f.fsyncFailed = true;
        this.closeIfRetired(f);
        if (this.policy === 'always') this.server.fatal(`Can't persist the AOF with fsync under appendfsync always: ${err.message}. Exiting...`);
        if (this.fsyncError === null) this.server.log.warning(`Fsync of the AOF file failed: ${err.message}`);
        this.fsyncError = err.message;
        return;
      }
      if (this.fsyncError !== null) this.server.log.warning('AOF fsync error looks solved, Redis can write again.');
      this.fsyncError = null;
      // an fsync makes durable everything written to its file before it started
      this.credit(upto);
      this.closeIfRetired(f);
      if (this.policy === 'always') {
        if (this.buf.length !== 0) this.writeBuffer();
        this.gatherTarget = this.held.size;
        this.releaseHeld();
        this.syncForReplies();
      }
    });
  }

  /** MISCONF while the AOF cannot be written or fsynced (writeCommandsDeniedByDiskError). */
  private refusal(): string | null {
    if (this.state === 'off') return null;
    const err = this.lastWriteStatus === 'err' ? this.lastWriteError : this.fsyncError;
    return err === null || err === '' ? null : `MISCONF Errors writing to the AOF file: ${err}`;
  }

  // ---------------------------------------------------------------- files

  /**
   * Opens an INCR for appending. A new one (`fresh`) is truncated: a file of that name can be
   * left over from a first BASE that never completed (a crash, or appendonly turned off
   * meanwhile), never listed in the manifest, and its commands must not be replayed on top of
   * a newer BASE (Redis 7.0 truncates too). Only the manifest's last INCR is reopened as is.
   */
  private openIncr(info: AofInfo, fresh: boolean): IncrFile {
    const file = path.join(this.dir, info.name);
    // O_APPEND either way: after a failed write is trimmed off, the next one must land at the end
    const { O_WRONLY, O_CREAT, O_APPEND, O_TRUNC } = fs.constants;
    const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_APPEND | (fresh ? O_TRUNC : 0), 0o644);
    return { info, fd, size: fs.fstatSync(fd).size, inflight: 0, retired: false, endOffset: -1, fsyncFailed: false };
  }

  /** Stops appending to the current INCR: closes it once no write or fsync is running on it. */
  private retireCurrent(): void {
    const f = this.file;
    if (f === null) return;
    this.file = null;
    f.retired = true;
    f.endOffset = this.written;
    this.openRetired++;
    this.closeIfRetired(f);
  }

  /**
   * `offset` is on disk as far as its own file goes. While an older retired file is still open
   * (its fsync running), the bytes at its end are not, so the credit waits for it to close.
   */
  private credit(offset: number): void {
    if (this.openRetired > 0) {
      if (offset > this.pendingSynced) this.pendingSynced = offset;
    } else if (offset > this.synced) this.synced = offset;
  }

  private closeIfRetired(f: IncrFile): void {
    if (!f.retired || f.fd < 0 || f.inflight !== 0) return;
    let synced = true;
    try {
      fs.fsyncSync(f.fd);
    } catch (e) {
      synced = false;
      this.server.log.warning(`Fsync of the retired AOF file ${f.info.name} failed: ${(e as Error).message}`);
    }
    fs.closeSync(f.fd);
    f.fd = -1;
    this.openRetired--;
    // everything up to the end of this file is on disk: replies waiting for it may go
    if (synced && !f.fsyncFailed) {
      this.credit(f.endOffset);
      if (this.openRetired === 0) this.credit(this.pendingSynced);
    }
    if (this.openRetired === 0) this.pendingSynced = 0;
    this.releaseHeld();
  }

  /** Deletes the files the manifest lists as history, then forgets them. */
  private deleteHistory(): void {
    const m = this.manifest;
    if (m === null || m.history.length === 0) return;
    for (const h of m.history) {
      this.server.log.notice(`Removing the history file ${h.name} in the background`);
      try {
        fs.rmSync(path.join(this.dir, h.name), { force: true });
      } catch (e) {
        // as Redis: a history file that cannot be removed is logged, not fatal
        this.server.log.warning(`Failed to remove the history file ${h.name}: ${(e as Error).message}`);
      }
    }
    m.history = [];
    m.persist(this.dir);
  }

  private sizeOf(name: string): number {
    try {
      return fs.statSync(path.join(this.dir, name)).size;
    } catch {
      return 0;
    }
  }

  private recomputeSizes(): void {
    const m = this.manifest;
    this.baseSize = m?.base ? this.sizeOf(m.base.name) : 0;
    let incr = 0;
    for (const f of m?.incrs ?? []) incr += this.sizeOf(f.name);
    this.currentSize = this.baseSize + incr;
  }

  // ---------------------------------------------------------------- startup

  /**
   * Startup with `appendonly yes`: upgrade a legacy single file, load BASE then INCRs (the
   * AOF wins over dump.rdb), then make sure there is a BASE and an INCR to append to.
   */
  async loadAtStartup(): Promise<void> {
    const server = this.server;
    // as Redis 7.0 refuses to start (aofOpenIfNeededOnServerStart), before reading anything
    this.ensureDir();
    const found = readManifest(this.dir, this.prefix);
    this.manifest = this.upgradeLegacy(found) ?? found;
    const t0 = Date.now();
    if (this.manifest !== null) {
      this.deleteHistory();
      server.loading = true;
      try {
        const loaded = await this.loadFiles(this.manifest, 5);
        // shut down while loading: what is in memory is part of the dataset, write nothing
        if (server.isClosed) return;
        if (loaded) server.log.notice(`DB loaded from append only file: ${((Date.now() - t0) / 1000).toFixed(3)} seconds`);
      } finally {
        server.loading = false;
      }
    }
    this.openOnStart();
  }

  /**
   * A Redis < 7 `appendonly.aof` in `dir`: move it into the AOF directory as the BASE. As in
   * Redis 7.0 (loadAppendOnlyFiles), when there is no manifest or one with neither a BASE nor
   * an INCR (only history), and also to finish an upgrade a crash interrupted: the manifest
   * lists only that BASE, and the file was not moved yet.
   */
  private upgradeLegacy(found: Manifest | null): Manifest | null {
    const legacy = this.server.config.path('appendfilename');
    if (!fs.existsSync(legacy)) return null;
    const interrupted =
      found !== null && found.incrs.length === 0 && found.base?.name === this.prefix && !fs.existsSync(path.join(this.dir, this.prefix));
    const nothingToLoad = found !== null && found.base === null && found.incrs.length === 0;
    if (found !== null && !interrupted && !nothingToLoad) return null;
    this.ensureDir();
    const m = new Manifest(this.prefix);
    // history files stay listed, to be deleted as usual
    if (found !== null) m.history = found.history;
    m.base = { name: this.prefix, seq: 1, type: 'b' };
    m.baseSeq = 1;
    m.persist(this.dir);
    fs.renameSync(legacy, path.join(this.dir, this.prefix));
    fsyncDirSync(this.dir);
    fsyncDirSync(this.server.config.path('dir'));
    this.server.log.notice('Successfully migrated an old-style AOF into the AOF directory');
    return m;
  }

  /**
   * Replays every file of `m`, yielding between slices of `budgetMs`; returns false when
   * there was nothing to load.
   */
  private *loadSteps(m: Manifest, budgetMs: number): Generator<void, boolean> {
    const files = m.loadOrder();
    if (files.length === 0) return false;
    const ks = this.server.keyspace;
    const dirtyBefore = ks.dirty;
    const rdb = this.server.rdb!;
    let total = 0;
    for (const f of files) {
      const p = path.join(this.dir, f.name);
      if (!fs.existsSync(p)) throw new AofLoadError(`The AOF file ${f.name} doesn't exist`, p, 0);
      total += fs.statSync(p).size;
    }
    rdb.loadingStart = Date.now();
    rdb.loadingTotal = total;
    rdb.loadingLoaded = 0;
    let done = 0;
    for (let i = 0; i < files.length; i++) {
      const f = files[i];
      const loader = new AofFileLoader(this.server, path.join(this.dir, f.name), i === files.length - 1, this.hint, i === 0 && f === m.base);
      const kind = f.type === 'b' ? 'base' : 'incr';
      try {
        for (;;) {
          const r = loader.step(budgetMs);
          rdb.loadingLoaded = done + loader.position;
          if (r !== null) {
            if (r.empty) this.server.log.notice(`DB ${f.name} is empty`);
            else this.server.log.notice(`DB loaded from ${kind} file ${f.name}: ${r.commands} commands`);
            break;
          }
          yield;
        }
      } finally {
        loader.abort(); // a load given up (steps.return()) stops the preamble's worker too
      }
      done += loader.size;
    }
    ks.dirty = dirtyBefore;
    return true;
  }

  private async loadFiles(m: Manifest, budgetMs: number): Promise<boolean> {
    const steps = this.loadSteps(m, budgetMs);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      await new Promise((res) => setImmediate(res));
      if (this.server.isClosed) {
        steps.return(false);
        return false;
      }
    }
  }

  /** aofOpenIfNeededOnServerStart: a BASE from the data in memory if there is none, then an INCR. */
  private openOnStart(): void {
    if (!this.server.config.bool('appendonly')) return;
    this.ensureDir();
    let m = this.manifest ?? new Manifest(this.prefix);
    if (m.base === null && m.incrs.length === 0) {
      m = m.clone();
      const base = m.newBase(this.server.config.bool('aof-use-rdb-preamble'));
      this.writeBaseSync(base.name);
      m.persist(this.dir);
      this.manifest = m;
      this.deleteHistory();
      m = this.manifest;
    }
    let incr = m.incrs[m.incrs.length - 1];
    const fresh = incr === undefined;
    if (incr === undefined) {
      m = m.clone();
      incr = m.newIncr();
      fs.closeSync(fs.openSync(path.join(this.dir, incr.name), 'w', 0o644));
      m.persist(this.dir);
      this.manifest = m;
    }
    this.file = this.openIncr(incr, fresh);
    this.recomputeSizes();
    this.rewriteBaseSize = this.currentSize;
    this.turnOn();
  }

  /** Only while appending does the AOF take the propagation stream: with it off, writes build no ops. */
  private setState(s: State): void {
    if (s === 'on' && this.state !== 'on') this.server.addPropagationListener(this.onOps);
    if (s !== 'on' && this.state === 'on') this.server.removePropagationListener(this.onOps);
    this.state = s;
  }

  private turnOn(): void {
    this.setState('on');
    this.selectedDb = -1;
    this.server.replyGate = this.gate;
  }

  /** A BASE written in the foreground (startup with no AOF yet), by temp file and rename. */
  private writeBaseSync(name: string): void {
    writeSnapshotSync(
      this.server,
      path.join(this.dir, `temp-rewriteaof-${process.pid}.aof`),
      path.join(this.dir, name),
      {
        encode: encodeOptions(this.server),
        aux: rdbAux(this.server, true),
        format: this.server.config.bool('aof-use-rdb-preamble') ? RDB_FORMAT : aofCommandsFormat(this.timestamps),
      },
      this.server.config.bool('rdbchecksum'),
    );
  }

  // ---------------------------------------------------------------- DEBUG LOADAOF

  /** Flush, empty the dataset, load the AOF back (synchronously, as Redis does). */
  reload(): void {
    if (this.state === 'on') {
      this.flush(true);
      if (this.file) fs.fsyncSync(this.file.fd);
    }
    const m = readManifest(this.dir, this.prefix);
    if (m === null) throw new Error(`there is no AOF manifest in ${this.dir}`);
    this.server.keyspace.installMaps([]);
    this.manifest = m;
    this.deleteHistory();
    const steps = this.loadSteps(m, Infinity);
    while (!steps.next().done) {
      /* synchronous: DEBUG LOADAOF blocks the server, as in Redis */
    }
    // a first BASE being written: its INCR, the file appends go to, is not on disk in the
    // manifest yet (it is listed with that BASE). The manifest read back must still know it,
    // or the BASE would be published with the old INCRs instead, and the next INCR would reuse its name.
    const f = this.file;
    if (f !== null && !m.incrs.some((i) => i.name === f.info.name)) {
      const known = m.clone();
      known.incrs.push({ ...f.info });
      known.incrSeq = Math.max(known.incrSeq, f.info.seq);
      this.manifest = known;
    }
  }

  // ---------------------------------------------------------------- rewrite

  /**
   * BGREWRITEAOF. Returns 'started', 'scheduled' (a BGSAVE is running: it starts after), or
   * 'in-progress'; throws when it cannot start.
   */
  requestRewrite(): 'started' | 'scheduled' | 'in-progress' {
    if (this.rewrite !== null) return 'in-progress';
    if (this.server.rdb!.bgsave !== null || this.server.execDepth > 0) {
      this.rewriteScheduled = true;
      return 'scheduled';
    }
    this.startRewrite();
    return 'started';
  }

  /** rewriteAppendOnlyFileBackground: a failure to start is a failed rewrite (aof_last_bgrewrite_status:err), as in Redis. */
  startRewrite(): void {
    try {
      this.beginRewrite();
    } catch (e) {
      this.lastBgrewriteStatus = 'err';
      throw e;
    }
  }

  private beginRewrite(): void {
    const server = this.server;
    this.ensureDir();
    let m = (this.manifest ?? readManifest(this.dir, this.prefix) ?? new Manifest(this.prefix)).clone();
    // everything appended so far belongs to the current INCR
    if (this.state === 'on' && this.buf.length !== 0 && !this.writeBuffer()) {
      throw new Error(`the AOF buffer could not be written: ${this.lastWriteError}`);
    }
    let next: IncrFile | null = null;
    const first = this.state === 'wait-rewrite';
    if (this.state !== 'off') {
      const info = m.newIncr();
      next = this.openIncr(info, true);
      try {
        // a crash before the rewrite ends loads the old BASE and INCRs plus this one; when the
        // AOF is just being turned on, the old files are stale, so it is listed only with its BASE
        if (!first) m.persist(this.dir);
      } catch (e) {
        fs.closeSync(next.fd);
        fs.rmSync(path.join(this.dir, info.name), { force: true });
        throw e;
      }
    }
    this.manifest = m;
    if (next !== null) {
      this.retireCurrent();
      this.file = next;
      if (this.state === 'wait-rewrite') this.turnOn();
      this.selectedDb = -1;
    }
    const preamble = server.config.bool('aof-use-rdb-preamble');
    const tmp = path.join(this.dir, `temp-rewriteaof-bg-${process.pid}.aof`);
    const job: RewriteJob = { bg: null as unknown as BackgroundSnapshot, preamble, startedAt: Date.now(), first };
    job.bg = new BackgroundSnapshot(
      server,
      tmp,
      {
        encode: encodeOptions(server),
        aux: rdbAux(server, true),
        format: preamble ? RDB_FORMAT : aofCommandsFormat(this.timestamps),
        keyDelayUs: server.config.num('rdb-key-save-delay'),
      },
      server.config.bool('rdbchecksum'),
      (err) => this.rewriteDone(job, err),
    );
    this.rewrite = job;
    this.rewriteScheduled = false;
    server.log.notice(`Background append only file rewriting started`);
  }

  private rewriteDone(job: RewriteJob, err: Error | null): void {
    if (this.rewrite !== job) return;
    this.rewrite = null;
    const server = this.server;
    this.lastRewriteTimeSec = Math.round((Date.now() - job.startedAt) / 1000);
    if (err === null) {
      try {
        this.publishBase(job);
      } catch (e) {
        err = e as Error;
      }
    }
    if (err !== null) {
      fs.rmSync(job.bg.tmp, { force: true });
      this.lastBgrewriteStatus = 'err';
      this.consecutiveFailures++;
      this.lastRewriteFailure = Date.now();
      server.log.warning(`Background AOF rewrite terminated with error: ${err.message}`);
      if (job.first && this.state === 'on') this.backToWaiting();
    } else {
      this.lastBgrewriteStatus = 'ok';
      this.consecutiveFailures = 0;
      this.rewrites++;
      this.lastCowSize = job.bg.snapshot.cowBytes;
      server.log.notice('Background AOF rewrite terminated with success');
      server.log.notice('Background AOF rewrite finished successfully');
    }
    // a BGSAVE scheduled behind the rewrite may start now
    if (server.rdb!.bgsaveScheduled) server.rdb!.startBgsave();
  }

  /** The snapshot becomes the BASE; older files become history and are deleted. */
  private publishBase(job: RewriteJob): void {
    const m = this.manifest!.clone();
    const base = m.newBase(job.preamble);
    fs.renameSync(job.bg.tmp, path.join(this.dir, base.name));
    if (this.file !== null) m.retireIncrsBefore(this.file.info);
    else for (const f of m.incrs.splice(0)) m.history.push({ ...f, type: 'h' });
    m.persist(this.dir);
    this.manifest = m;
    this.deleteHistory();
    this.recomputeSizes();
    this.rewriteBaseSize = this.currentSize;
  }

  /**
   * Turning the AOF on failed: its INCR is not in any manifest, so appending to it would be
   * writing to nowhere. Drop it and try again from the cron, as Redis keeps AOF_WAIT_REWRITE.
   */
  private backToWaiting(): void {
    const f = this.file;
    this.dropBuffer();
    this.retireCurrent();
    if (f !== null) {
      fs.rmSync(path.join(this.dir, f.info.name), { force: true });
      this.manifest = readManifest(this.dir, this.prefix);
    }
    this.setState('wait-rewrite');
    this.rewriteScheduled = true;
    this.ungate();
  }

  /**
   * Forgets what the buffer holds, for a file that is being given up (the AOF turned off, or a
   * first BASE that failed): those writes are in the dataset, and the next BASE will hold them.
   * Left in the buffer, they would be written into the next INCR on top of that BASE, twice;
   * and counted in `appended`, they would hold every later reply for bytes that never come.
   * A write error on the abandoned file is over with it.
   */
  private dropBuffer(): void {
    this.appended -= this.buf.length;
    this.buf.clear();
    this.lastWriteStatus = 'ok';
    this.lastWriteError = '';
  }

  /** No more reply gating: the AOF is off or not yet writing; held replies go now. */
  private ungate(): void {
    this.server.replyGate = null;
    for (const c of [...this.held]) {
      this.held.delete(c);
      c.flush();
    }
  }

  private abortRewrite(why: string): void {
    const job = this.rewrite;
    if (job === null) return;
    this.rewrite = null;
    job.bg.abort();
    this.server.log.warning(`Background AOF rewrite aborted: ${why}`);
  }

  // ---------------------------------------------------------------- CONFIG SET appendonly

  /** startAppendOnly: the first BASE comes from a rewrite; appends start at once. */
  private start(): void {
    this.setState('wait-rewrite');
    const log = this.server.log;
    if (this.server.rdb!.bgsave !== null) {
      log.warning('AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.');
      this.rewriteScheduled = true;
      return;
    }
    // the transaction's earlier writes are still to be propagated: a BASE taken now would hold
    // them and the new INCR would get them again
    if (this.server.execDepth > 0) {
      log.warning('AOF was enabled during a transaction. An AOF background was scheduled to start when possible.');
      this.rewriteScheduled = true;
      return;
    }
    // a rewrite started while the AOF was off has no INCR to follow it: a new one replaces it
    if (this.rewrite !== null) {
      log.warning('AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.');
      this.abortRewrite('the AOF was enabled');
    }
    try {
      this.startRewrite();
    } catch (e) {
      this.setState('off');
      this.server.log.warning(`Redis needs to enable the AOF but can't trigger a background AOF rewrite operation: ${(e as Error).message}`);
      // CONFIG SET's reason, in Redis's words; the log has the cause
      throw new Error('Unable to turn on AOF. Check server logs.');
    }
  }

  /** stopAppendOnly: write and fsync what is buffered, close the file. */
  private stop(): void {
    // on the spot, as Redis does: the replies held for it are released just below
    if (this.state === 'on' && this.file !== null) this.syncNow('when turning the AOF off');
    this.abortRewrite('the AOF was turned off');
    // what could not be written (a full disk) stays out of the AOF: turning it on again starts from a BASE
    this.dropBuffer();
    this.retireCurrent();
    this.setState('off');
    this.rewriteScheduled = false;
    this.ungate();
  }

  // ---------------------------------------------------------------- cron, shutdown, INFO

  private cron(): void {
    if (this.state === 'off' && this.rewrite === null && !this.rewriteScheduled) return;
    const now = Date.now();
    const rdb = this.server.rdb!;
    // after a failed rewrite, retry at most once a second (a full disk would otherwise be hammered)
    const backoff = now - this.lastRewriteFailure < 1000;
    if (this.rewrite === null && rdb.bgsave === null && this.rewriteScheduled && !this.server.loading && !backoff) {
      try {
        this.startRewrite();
      } catch (e) {
        this.server.log.warning(`Can't start the scheduled AOF rewrite: ${(e as Error).message}`);
      }
      return;
    }
    if (this.state !== 'on') return;
    if (this.lastWriteStatus === 'err' && now - this.lastWriteRetry >= 1000) {
      this.lastWriteRetry = now;
      this.flush(false);
    }
    if (this.policy === 'everysec' && this.written > this.synced && this.fsyncsInFlight === 0 && now - this.lastFsync >= 1000) this.backgroundFsync();
    const perc = this.server.config.num('auto-aof-rewrite-percentage');
    if (this.rewrite === null && rdb.bgsave === null && !backoff && perc > 0 && this.currentSize > this.server.config.num('auto-aof-rewrite-min-size')) {
      const base = this.rewriteBaseSize || 1;
      const growth = Math.floor((this.currentSize * 100) / base) - 100;
      if (growth >= perc) {
        this.server.log.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
        try {
          this.startRewrite();
        } catch (e) {
          this.server.log.warning(`Can't start the automatic AOF rewrite: ${(e as Error).message}`);
        }
      }
    }
  }

  /**
   * AOF turned on at run time and its first BASE not written yet: the AOF holds no dataset, and
   * a restart with appendonly yes would come up empty. Redis refuses to exit then, unless FORCE.
   */
  private refuseShutdownBeforeFirstBase(force: boolean): void {
    if (this.rewrite === null || !this.rewrite.first) return;
    if (force) {
      this.server.log.warning('Writing initial AOF. Exit anyway.');
      return;
    }
    this.server.log.warning("Writing initial AOF, can't exit.");
    throw new Error("Writing initial AOF, can't exit.");
  }

  /** Writes the buffer and fsyncs it synchronously, then releases the replies that waited for it. */
  private syncNow(when: string): void {
    if (this.buf.length !== 0) this.writeBuffer();
    try {
      fs.fsyncSync(this.file!.fd);
      this.credit(this.written);
    } catch (e) {
      this.server.log.warning(`Fsync of the AOF file failed ${when}: ${(e as Error).message}`);
    }
    this.releaseHeld();
  }

  private onShutdown(): void {
    this.abortRewrite('the server is shutting down');
    if (this.state !== 'on' || this.file === null) return;
    this.server.log.notice('Calling fsync() on the AOF file.');
    this.syncNow('on shutdown');
    // closed once no fsync runs on it: an embedding that starts servers again leaks no fds
    this.retireCurrent();
  }

  private info(): [string, string | number][] {
    const now = Date.now();
    const out: [string, string | number][] = [
      ['aof_enabled', this.state !== 'off' ? 1 : 0],
      ['aof_rewrite_in_progress', this.rewrite ? 1 : 0],
      ['aof_rewrite_scheduled', this.rewriteScheduled ? 1 : 0],
      ['aof_last_rewrite_time_sec', this.lastRewriteTimeSec],
      ['aof_current_rewrite_time_sec', this.rewrite ? Math.round((now - this.rewrite.startedAt) / 1000) : -1],
      ['aof_last_bgrewrite_status', this.lastBgrewriteStatus],
      ['aof_rewrites', this.rewrites],
      ['aof_rewrites_consecutive_failures', this.consecutiveFailures],
      ['aof_last_write_status', this.lastWriteStatus === 'ok' && this.fsyncError === null ? 'ok' : 'err'],
      ['aof_last_cow_size', this.lastCowSize],
      ['module_fork_in_progress', 0],
      ['module_fork_last_cow_size', 0],
    ];
    if (this.state === 'on') {
      out.push(
        ['aof_current_size', this.currentSize],
        ['aof_base_size', this.baseSize],
        ['aof_pending_rewrite', this.rewriteScheduled ? 1 : 0],
        ['aof_buffer_length', this.bufferLength],
        ['aof_pending_bio_fsync', this.fsyncsInFlight],
        ['aof_delayed_fsync', this.delayedFsync],
      );
    }
    return out;
  }
}
