/**
 * RDB persistence for a running server: SAVE, BGSAVE (forkless, see snapshot.ts), the
 * `save <seconds> <changes>` rules, save on shutdown and FLUSHALL, MISCONF after a failed
 * background save, loading at startup while already answering -LOADING, and INFO fields.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from '../server/server';
import type { Client } from '../server/client';
import type { Command } from '../commands/spec';
import type { Db, Entry } from '../store/keyspace';
import { Dict } from '../store/dict';
import { ZSet } from '../store/types/zset';
import { dropListpackNegativeZeros, encodingLimitsOf } from '../store/value';
import { Snapshot } from './snapshot';
import { BackgroundSnapshot, writeSnapshotSync } from './background';
import { parseRdbSteps, RdbError } from './rdb/reader';
import { checksumFor, readFileShared } from './rdb/parallel-crc';
import { lzfAheadFor } from './rdb/lzf-ahead';
import type { EncodeOptions } from './rdb/writer';
import { fsyncDir, strerror } from './fsutil';
import { REDIS_VERSION, usedMemory } from '../server/server';

/** a failed background save is retried by the save rules only after this long */
const BGSAVE_RETRY_DELAY_MS = 5000;

export const MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

export function encodeOptions(server: Server): EncodeOptions {
  const c = server.config;
  return {
    compression: c.bool('rdbcompression'),
    ...encodingLimitsOf(c),
    listMaxListpackSize: c.num('list-max-listpack-size'),
  };
}

export function rdbAux(server: Server, aofBase: boolean): [string, string][] {
  return [
    ['redis-ver', REDIS_VERSION],
    ['redis-bits', '64'],
    ['ctime', String(Math.floor(Date.now() / 1000))],
    ['used-mem', String(usedMemory())],
    ['aof-base', aofBase ? '1' : '0'],
  ];
}

export interface RdbLoader {
  /** Parses for up to `budgetMs`; the result once the whole RDB is loaded and installed. */
  step(budgetMs: number): { keys: number; expired: number; end: number } | null;
  /** Gives the load up (the server is closing): stops its worker thread at once. */
  abort(): void;
}

interface BgJob {
  bg: BackgroundSnapshot;
  /** the dump.rdb path when it started */
  target: string;
  startedAt: number;
  dirtyAtStart: number;
  resolve: (ok: boolean) => void;
  done: Promise<boolean>;
}

let tempCounter = 0;

export class RdbPersistence {
  bgsave: BgJob | null = null;
  bgsaveScheduled = false;
  lastBgsaveStatus: 'ok' | 'err' = 'ok';
  lastBgsaveTimeSec = -1;
  lastBgsaveTry = 0;
  saves = 0;
  lastCowSize = 0;
  /** loading progress, for INFO */
  loadingStart = 0;
  loadingTotal = 0;
  loadingLoaded = 0;
  /** other background jobs (the AOF rewrite) that exclude a BGSAVE */
  otherChildActive: () => boolean = () => false;
  /** called when a background save ends, so a scheduled AOF rewrite can start */
  readonly onBackgroundDone: (() => void)[] = [];

  constructor(readonly server: Server) {
    server.infoProviders.set('persistence', () => this.info());
    server.writeRefusal = () => this.refusal();
    server.writeGate = (c, cmd, argv) => this.gate(c, cmd, argv);
    server.cronHooks.push(() => this.cron());
    server.shutdownHooks.push((o) => this.onShutdown(o));
  }

  get path(): string {
    return this.server.config.path('dbfilename');
  }

  private refusal(): string | null {
    const cfg = this.server.config;
    // the status first: this runs for every write command, the config lookups only after a failure
    if (this.lastBgsaveStatus === 'err' && cfg.bool('stop-writes-on-bgsave-error') && cfg.saveRules().length > 0) return MISCONF;
    return null;
  }

  /** The write gate: a write touching a big value the running snapshot has not saved waits. */
  private gate(c: Client, cmd: Command, argv: string[]): boolean {
    const snap = this.server.keyspace.observer;
    if (!(snap instanceof Snapshot)) return false;
    const dbs = this.server.keyspace.dbs;
    const check = (command: Command, args: string[], inDbs: readonly Db[]): boolean => {
      if (!command.isWrite) return false;
      let held = false;
      for (const i of command.keyIndexes(args)) for (const db of inDbs) if (snap.mustHold(db, args[i])) held = true;
      return held;
    };
    if (cmd.name !== 'exec') return check(cmd, argv, [c.db]);
    // a transaction's writes land in the db its SELECTs choose; after a SWAPDB, in any of them
    let inDbs: readonly Db[] = [c.db];
    let held = false;
    for (const q of c.multiQueue) {
      if (q.cmd.name === 'select') {
        const db = dbs[Number(q.argv[1])];
        if (db !== undefined && inDbs.length === 1) inDbs = [db];
      } else if (q.cmd.name === 'swapdb') {
        inDbs = dbs;
      }
      if (check(q.cmd, q.argv, inDbs)) held = true;
    }
    return held;
  }

  // ---------------------------------------------------------------- saving

  /** SAVE: synchronous; throws on failure. */
  saveSync(reason = 'DB saved on disk'): void {
    const target = this.path;
    const tmp = path.join(path.dirname(target), `temp-${process.pid}-${++tempCounter}.rdb`);
    const ks = this.server.keyspace;
    const dirtyBefore = ks.dirty;
    try {
      writeSnapshotSync(
        this.server,
        tmp,
        target,
        { encode: encodeOptions(this.server), aux: rdbAux(this.server, false), keyDelayUs: this.server.config.num('rdb-key-save-delay') },
        this.server.config.bool('rdbchecksum'),
      );
    } catch (e) {
      this.server.log.warning(`Failed saving the DB: ${(e as Error).message}`);
      throw e;
    }
    ks.dirty -= dirtyBefore;
    this.server.lastSaveTime = Math.floor(Date.now() / 1000);
    this.lastBgsaveStatus = 'ok';
    this.saves++;
    this.server.log.notice(reason);
  }

  /**
   * BGSAVE: starts a background snapshot; false when one is running already. A temp file that
   * cannot be created makes a save that started and failed at once, as a forked child's would.
   */
  startBgsave(): boolean {
    if (this.bgsave !== null) return false;
    const ks = this.server.keyspace;
    const target = this.path;
    const tmp = path.join(path.dirname(target), `temp-${process.pid}-${++tempCounter}.rdb`);
    let resolve!: (ok: boolean) => void;
    const done = new Promise<boolean>((r) => (resolve = r));
    const dirtyAtStart = ks.dirty;
    let job: BgJob;
    try {
      const bg = new BackgroundSnapshot(
        this.server,
        tmp,
        { encode: encodeOptions(this.server), aux: rdbAux(this.server, false), keyDelayUs: this.server.config.num('rdb-key-save-delay') },
        this.server.config.bool('rdbchecksum'),
        (err) => this.onBgsaveWritten(job, err),
      );
      job = { bg, target, startedAt: bg.startedAt, dirtyAtStart, resolve, done };
    } catch (e) {
      // where Redis's fork succeeds and its child fails to open the file: the save started and
      // failed (rdb_last_bgsave_status:err, and MISCONF with stop-writes-on-bgsave-error)
      this.server.log.notice('Background saving started');
      this.server.log.warning(`Failed opening the temp RDB file ${path.basename(tmp)} (in server root dir ${path.dirname(tmp)}) for saving: ${strerror(e)}`);
      this.server.log.warning('Background saving error');
      this.lastBgsaveStatus = 'err';
      this.lastBgsaveTry = Date.now();
      this.bgsaveScheduled = false;
      return true;
    }
    this.bgsave = job;
    this.lastBgsaveTry = Date.now();
    this.bgsaveScheduled = false;
    this.server.log.notice(`Background saving started`);
    return true;
  }

  /** The temp file is complete (or failed): publish it over dump.rdb. */
  private onBgsaveWritten(job: BgJob, err: Error | null): void {
    if (err) return this.finishBgsave(job, err);
    // the name it started with, as a forked child keeps it (CONFIG SET dbfilename meanwhile)
    fs.rename(job.bg.tmp, job.target, (err2) => {
      if (err2) {
        fs.rm(job.bg.tmp, { force: true }, () => {});
        return this.finishBgsave(job, err2);
      }
      fsyncDir(path.dirname(job.target)).then(
        () => this.finishBgsave(job, null),
        (e) => this.finishBgsave(job, e as Error),
      );
    });
  }

  private finishBgsave(job: BgJob, err: Error | null): void {
    if (this.bgsave !== job) return;
    this.bgsave = null;
    const secs = Math.round((Date.now() - job.startedAt) / 1000);
    this.lastBgsaveTimeSec = secs;
    if (err) {
      this.lastBgsaveStatus = 'err';
      this.server.log.warning(`Background saving error: ${err.message}`);
      this.server.log.warning(`Write error saving DB on disk: ${err.message}`);
    } else {
      const ks = this.server.keyspace;
      ks.dirty -= job.dirtyAtStart;
      this.server.lastSaveTime = Math.floor(Date.now() / 1000);
      this.lastBgsaveStatus = 'ok';
      this.lastCowSize = job.bg.snapshot.cowBytes;
      this.saves++;
      this.server.log.notice('Background saving terminated with success');
    }
    job.resolve(!err);
    for (const f of this.onBackgroundDone) f();
  }

  /** Stops a background save (FLUSHALL, shutdown, DEBUG RELOAD): the temp file is removed. */
  abortBgsave(why: string): void {
    const job = this.bgsave;
    if (!job) return;
    this.bgsave = null;
    job.bg.abort();
    this.server.log.warning(`Background saving aborted: ${why}`);
    job.resolve(false);
  }

  private cron(): void {
    const now = Date.now();
    if (this.bgsave === null && this.bgsaveScheduled && !this.otherChildActive()) {
      this.startBgsave();
      return;
    }
    if (this.bgsave !== null || this.otherChildActive() || this.server.loading) return;
    const ks = this.server.keyspace;
    const since = now / 1000 - this.server.lastSaveTime;
    for (const r of this.server.config.saveRules()) {
      if (ks.dirty >= r.changes && since > r.seconds && (now - this.lastBgsaveTry > BGSAVE_RETRY_DELAY_MS || this.lastBgsaveStatus === 'ok')) {
        this.server.log.notice(`${r.changes} changes in ${r.seconds} seconds. Saving...`);
        this.startBgsave();
        break;
      }
    }
  }

  private onShutdown(o: { save: boolean | null; now: boolean; force: boolean }): void {
    const rules = this.server.config.saveRules().length > 0;
    if (this.bgsave) this.abortBgsave('the server is shutting down');
    if (o.save === false || (o.save === null && !rules)) return;
    this.server.log.notice('Saving the final RDB snapshot before exiting.');
    try {
      this.saveSync('DB saved on disk');
    } catch (e) {
      if (o.force) {
        this.server.log.warning(`Error trying to save the DB, but FORCE was given: exiting anyway`);
        return;
      }
      this.server.log.warning('Error trying to save the DB, can\'t exit.');
      throw e;
    }
  }

  /** FLUSHALL with save rules writes a fresh (empty) snapshot, as Redis 7.0 does. */
  onFlushAll(): void {
    if (this.bgsave) this.abortBgsave('FLUSHALL');
    if (this.server.config.saveRules().length > 0) {
      try {
        this.saveSync();
      } catch {
        /* logged; the MISCONF logic only tracks background saves */
      }
    }
  }

  // ---------------------------------------------------------------- loading

  /** INFO rdb_last_load_keys_loaded / _expired: the last RDB (or AOF preamble) loaded */
  private lastLoadKeys = 0;
  private lastLoadExpired = 0;

  /** A loader over an RDB file: parse steps into fresh maps, installed only at the end. */
  private loader(file: string): RdbLoader {
    const buf = readFileShared(file);
    // the load's progress in INFO (an AOF's loader keeps its own, over all of its files)
    this.loadingStart = Date.now();
    this.loadingTotal = buf.length;
    this.loadingLoaded = 0;
    const l = this.loaderFor(buf, false, true);
    return {
      abort: l.abort,
      step: (budgetMs) => {
        const r = l.step(budgetMs);
        // Redis stops reading at the checksum and ignores whatever follows; say so, with where
        if (r !== null && r.end < buf.length) {
          this.server.log.warning(`${file}: ${buf.length - r.end} bytes after the end of the RDB (offset ${r.end}) were ignored, as Redis ignores them`);
        }
        return r;
      },
    };
  }

  /**
   * A loader over RDB bytes. With `allowTrailing` (an AOF's RDB `preamble`, or a dump file,
   * where Redis ignores what follows the checksum) the RDB may be followed by other data; `end`
   * says where it stopped. A preamble keeps its expired keys, as
   * Redis's RDBFLAGS_AOF_PREAMBLE load does: the commands after it may still change them (a
   * PERSIST, a new PEXPIRE), and expiry removes them once the load is done.
   */
  loaderFor(buf: Buffer, preamble = false, allowTrailing = preamble): RdbLoader {
    const server = this.server;
    const dbs = server.keyspace.dbs.length;
    const dicts: Dict<Entry>[] = Array.from({ length: dbs }, () => new Dict<Entry>());
    const expires: Dict<Entry>[] = Array.from({ length: dbs }, () => new Dict<Entry>());
    const ks = server.keyspace;
    /** where each appended key began in the file, per db, for the error about a repeated one */
    const offsets: number[][] = Array.from({ length: dbs }, () => []);
    /** Indexes every table; a repeated key fails the load, the first in the file whatever its db. */
    const indexLoaded = (): void => {
      let first: RdbError | null = null;
      for (let db = 0; db < dbs; db++) {
        const dup = dicts[db].indexAppended();
        if (dup >= 0 && (first === null || offsets[db][dup] < first.offset)) {
          first = new RdbError(`duplicate key "${dicts[db].keyAt(dup)}" in db ${db}`, offsets[db][dup]);
        }
        expires[db].indexAppended();
      }
      if (first !== null) throw first;
    };
    let emptySkipped = 0;
    let db = 0;
    /** a key takes 3 bytes of the file at least */
    let reserveBudget = Math.floor(buf.length / 3);
    const limits = encodingLimitsOf(server.config);
    const ahead = lzfAheadFor(buf);
    const steps = parseRdbSteps(buf, {
      aux: (k, v) => {
        if (k === 'redis-ver') server.log.notice(`Loading RDB produced by version ${v}`);
        else if (k === 'ctime') server.log.notice(`RDB age ${Math.max(0, Math.floor(Date.now() / 1000) - Number(v))} seconds`);
        else if (k === 'used-mem') server.log.notice(`RDB memory usage when created ${(Number(v) / 1024 / 1024).toFixed(2)} Mb`);
      },
      selectDb: (id) => {
        if (id >= dbs) throw new Error(`FATAL: Data file was created with a Redis server configured to handle more than ${dbs} databases. Exiting`);
        db = id;
      },
      // RESIZEDB sizes the tables up front (growing them step by step cost a twentieth of a load);
      // it is only a hint: all the hints together get no more room than the file has keys for
      resizeDb: (size, exp) => {
        const keys = Math.min(size, reserveBudget);
        dicts[db].reserve(keys);
        expires[db].reserve(Math.min(exp, keys));
        reserveBudget -= keys;
      },
      // keys are appended unindexed and indexed in runs (Dict.append): a repeated key is found
      // then, and reported at the offset where its second copy began
      entry: (db, key, value, expireAt, _type, _meta, offset) => {
        // Redis converts a small skiplist zset to a listpack on load, where -0 becomes 0
        if (value instanceof ZSet) dropListpackNegativeZeros(value, limits);
        const e = ks.newEntry(value, expireAt);
        dicts[db].append(key, e);
        offsets[db].push(offset);
        if (expireAt >= 0) expires[db].append(key, e);
        return true;
      },
      has: (db, key) => {
        indexLoaded();
        return dicts[db].has(key);
      },
      // small collections stay in the file's listpacks until first used (store/packed.ts)
      pack: limits,
      emptyKey: (_db, key) => {
        if (emptySkipped++ < 10) server.log.warning(`rdbLoadObject skipping empty key: ${key}`);
      },
      unsupported: (what, offset) => {
        throw new RdbError(`the file contains ${what}, which Keel does not support`, offset);
      },
    // rdbchecksum no: the checksum is not verified on load either, as in Redis
    }, preamble ? -1 : Date.now(), allowTrailing, server.config.bool('rdbchecksum') ? checksumFor(buf) : () => null, ahead, server.config.str('sanitize-dump-payload') === 'yes');
    // key-load-delay (Redis's test knob, microseconds per key; negative: 1 µs every -N keys) slows
    // the load down so tests can watch it; the parser reports every 64 keys
    const delayUs = server.config.num('key-load-delay');
    const delayPerStepMs = delayUs > 0 ? (64 * delayUs) / 1000 : delayUs < 0 ? 64 / -delayUs / 1000 : 0;
    return {
      abort: () => ahead?.stop(),
      step: (budgetMs) => {
        const t = performance.now();
        for (;;) {
          const r = steps.next();
          if (r.done) {
            indexLoaded();
            ks.installMaps(dicts, expires);
            this.loadingLoaded = buf.length;
            this.lastLoadKeys = r.value.keys - r.value.expired;
            this.lastLoadExpired = r.value.expired;
            return { keys: r.value.keys - r.value.expired, expired: r.value.expired, end: r.value.end };
          }
          this.loadingLoaded = r.value;
          if (delayPerStepMs > 0) {
            // a busy wait, as Redis's usleep blocks its loader; clients are still served between steps
            const until = performance.now() + delayPerStepMs;
            while (performance.now() < until);
          }
          if (performance.now() - t >= budgetMs) return null;
        }
      },
    };
  }

  /** Loads an RDB synchronously (DEBUG RELOAD); throws RdbError with the offset. */
  loadSync(file: string): { keys: number; expired: number } {
    return this.loader(file).step(Infinity)!;
  }

  /**
   * Loads an RDB a few milliseconds per event-loop turn, so clients get -LOADING meanwhile;
   * null when the server was shut down before the load ended (nothing is installed then).
   */
  async loadAsync(file: string): Promise<{ keys: number; expired: number } | null> {
    const l = this.loader(file);
    for (;;) {
      const r = l.step(5);
      if (r) return r;
      await new Promise((res) => setImmediate(res));
      if (this.server.isClosed) {
        l.abort();
        return null;
      }
    }
  }

  /** Startup: loads dir/dbfilename if present, answering -LOADING meanwhile. */
  async loadAtStartup(): Promise<void> {
    const file = this.path;
    if (!fs.existsSync(file)) return;
    const server = this.server;
    const t0 = Date.now();
    server.loading = true;
    try {
      const r = await this.loadAsync(file);
      if (r === null) return; // shut down while loading
      const { keys, expired } = r;
      server.log.notice(`Done loading RDB, keys loaded: ${keys}, keys expired: ${expired}.`);
      server.log.notice(`DB loaded from disk: ${((Date.now() - t0) / 1000).toFixed(3)} seconds`);
    } catch (e) {
      // Redis's words for a file cut short; other damage is named by the reader's message
      const short = e instanceof RdbError && e.reason.startsWith('unexpected end of file');
      server.log.warning(`${short ? 'Short read or OOM loading DB. Unrecoverable error, aborting now. ' : ''}${file}: ${(e as Error).message}`);
      // boot() logs this one too
      throw new Error(`Fatal error loading the DB (${file}): ${(e as Error).message}`);
    } finally {
      server.loading = false;
    }
  }

  // ---------------------------------------------------------------- INFO

  private info(): [string, string | number][] {
    const s = this.server;
    const job = this.bgsave;
    const now = Date.now();
    const loadingFields: [string, string | number][] = s.loading
      ? [
          ['loading_start_time', Math.floor(this.loadingStart / 1000)],
          ['loading_total_bytes', this.loadingTotal],
          ['loading_rdb_used_mem', 0],
          ['loading_loaded_bytes', this.loadingLoaded],
          ['loading_loaded_perc', ((this.loadingLoaded / Math.max(1, this.loadingTotal)) * 100).toFixed(2)],
          [
            'loading_eta_seconds',
            this.loadingLoaded ? Math.round(((now - this.loadingStart) / this.loadingLoaded) * (this.loadingTotal - this.loadingLoaded) / 1000) : 1,
          ],
        ]
      : [];
    return [
      ['loading', s.loading ? 1 : 0],
      ['async_loading', 0],
      ...loadingFields,
      ['current_cow_peak', job ? job.bg.snapshot.cowBytes : 0],
      ['current_cow_size', job ? job.bg.snapshot.cowBytes : 0],
      ['current_cow_size_age', 0],
      ['current_fork_perc', job ? ((job.bg.snapshot.keysWritten / Math.max(1, job.bg.snapshot.keysTotal)) * 100).toFixed(2) : '0.00'],
      ['current_save_keys_processed', job ? job.bg.snapshot.keysWritten : 0],
      ['current_save_keys_total', job ? job.bg.snapshot.keysTotal : 0],
      ['rdb_changes_since_last_save', s.keyspace.dirty],
      ['rdb_bgsave_in_progress', job ? 1 : 0],
      ['rdb_last_save_time', s.lastSaveTime],
      ['rdb_last_bgsave_status', this.lastBgsaveStatus],
      ['rdb_last_bgsave_time_sec', this.lastBgsaveTimeSec],
      ['rdb_current_bgsave_time_sec', job ? Math.round((now - job.startedAt) / 1000) : -1],
      ['rdb_saves', this.saves],
      ['rdb_last_cow_size', this.lastCowSize],
      ['rdb_last_load_keys_expired', this.lastLoadExpired],
      ['rdb_last_load_keys_loaded', this.lastLoadKeys],
      ...this.aofInfo(),
    ];
  }

  /** AOF fields; the AOF module replaces this. */
  aofInfo: () => [string, string | number][] = () => [
    ['aof_enabled', 0],
    ['aof_rewrite_in_progress', 0],
    ['aof_rewrite_scheduled', 0],
    ['aof_last_rewrite_time_sec', -1],
    ['aof_current_rewrite_time_sec', -1],
    ['aof_last_bgrewrite_status', 'ok'],
    ['aof_rewrites', 0],
    ['aof_last_write_status', 'ok'],
    ['aof_last_cow_size', 0],
    ['module_fork_in_progress', 0],
    ['module_fork_last_cow_size', 0],
  ];
}

