/**
 * A forkless point-in-time snapshot of the keyspace, written as an RDB stream.
 *
 * Redis freezes the dataset with fork() and copy-on-write pages. Keel freezes it per key:
 *
 * - start() takes a new epoch E. Entries created from now on carry ver = E, so the walk
 *   skips them. The key maps of every database are captured as they are (O(1)).
 * - step() walks the captured maps a time slice at a time, writing each entry with ver < E
 *   and marking it ver = E.
 * - The keyspace calls beforeChange() before any entry with ver < E changes. A value that
 *   is about to be dropped (delete, expiry, overwrite) is kept by reference and written
 *   later; one about to be mutated in place is written right away when it is small. Big
 *   collections are never mutated while unsaved: the server's write gate holds the writing
 *   client and the snapshot serializes that key next, in bounded chunks. A value still
 *   packed from a load (store/packed.ts) never changes: like a string, it is kept by
 *   reference, and the walk writes its bytes without decoding it (Entry.stored).
 * - FLUSHDB/SWAPDB replace a database's maps; the captured maps stay with the snapshot, and
 *   each is written under the index it had when the snapshot started.
 *
 * RDB allows entries in any order within a database and repeated SELECTDB, so entries
 * written early (by the hook) and late (by the walk) make one valid file, each key once.
 */
import type { Db, Entry, Keyspace, SnapshotObserver } from '../store/keyspace';
import type { Dict } from '../store/dict';
import { Packed, type Stored } from '../store/packed';
import { Deque } from '../store/types/deque';
import { IndexedSet } from '../store/types/indexed-set';
import { Crc64 } from './rdb/crc64';
import { RDB_VERSION, OP } from './rdb/format';
import { auxBytes, entryChunks, selectDbBytes, resizeDbBytes, stringEntryInto, MAX_COMPRESS_LEN, Out, type EncodeOptions, type MarkedChunk } from './rdb/writer';

/**
 * How a snapshot lays its bytes out: an RDB file (BGSAVE, SAVE, the AOF's RDB preamble) or
 * a stream of commands (an AOF BASE file without preamble). The walk is the same.
 */
export interface SnapshotFormat {
  /** whether the file ends with a CRC64 of everything before it */
  readonly checksummed: boolean;
  header(aux: [string, string][]): Buffer;
  /** switching to database `db`; `size`/`expires` are given the first time only (else -1) */
  select(db: number, size: number, expires: number): Buffer;
  entry(key: string, value: Stored, expireAt: number, o: EncodeOptions): Generator<Buffer>;
  /** optional fast path: the same bytes as entry() for a string of at most MAX_COMPRESS_LEN */
  stringEntryInto?(out: Out, key: string, value: string, expireAt: number, o: EncodeOptions): void;
  /** bytes after the last entry (before the checksum) */
  trailer(): Buffer;
}

export const RDB_FORMAT: SnapshotFormat = {
  checksummed: true,
  header(aux) {
    return Buffer.concat([Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, '0')}`, 'latin1'), ...aux.map(([k, v]) => auxBytes(k, v))]);
  },
  select(db, size, expires) {
    return size < 0 ? selectDbBytes(db) : Buffer.concat([selectDbBytes(db), resizeDbBytes(size, expires)]);
  },
  entry: entryChunks,
  stringEntryInto,
  trailer() {
    return Buffer.from([OP.EOF]);
  },
};

/** Collections above this size are "big": serialized in chunks, guarded by the write gate. */
export const BIG_VALUE = 4096;
/** pieces at least this big go to the sink as they are; smaller ones are gathered first */
const GATHER_BYTES = 64 * 1024;

export function isBig(v: Stored): boolean {
  if (typeof v === 'string' || v instanceof Packed) return false;
  return (v instanceof Deque ? v.length : v.size) > BIG_VALUE;
}

interface Pending {
  db: number;
  key: string;
  value: Stored;
  expireAt: number;
}

export interface SnapshotOptions {
  encode: EncodeOptions;
  aux: [string, string][];
  /**
   * Receives the file's bytes in order. `owned`: the chunk is the only view of its memory.
   * With `offloaded`, a chunk may come with marks (see Out.marks) and the sink finishes it.
   */
  sink: (chunk: Buffer, marks: Int32Array | null, owned: boolean) => void;
  /**
   * The sink does the file's finishing work (offload.ts): compressible strings come marked
   * instead of compressed, and the CRC64 and the checksum trailer are left to it.
   */
  offloaded?: boolean;
  /** rdb-key-save-delay, microseconds per key (tests use it to slow a save down) */
  keyDelayUs?: number;
  /** RDB (the default) or AOF commands */
  format?: SnapshotFormat;
}

export class Snapshot implements SnapshotObserver {
  readonly epoch: number;
  private readonly maps: { index: number; map: Dict<Entry>; it: Iterator<[string, Entry]> | null; sized: boolean; expires: number }[];
  private readonly mapIndex = new WeakMap<Dict<Entry>, number>();
  private dbCursor = 0;
  private currentDb = -1;
  private readonly detached = new Deque<Pending>();
  /** keys a held writer waits for: serialized before anything else */
  private readonly urgent = new Deque<{ db: number; key: string; entry: Entry }>();
  private readonly urgentEntries = new Set<Entry>();
  private current: { gen: Generator<Buffer>; value: Stored } | null = null;
  private readonly crc = new Crc64();
  private readonly format: SnapshotFormat;
  done = false;
  keysWritten = 0;
  readonly keysTotal: number;
  /** bytes written on behalf of changes (the copy-on-write cost), for rdb_last_cow_size */
  cowBytes = 0;

  constructor(
    private readonly ks: Keyspace,
    private readonly opts: SnapshotOptions,
  ) {
    // A blocking save while a background snapshot (BGSAVE, AOF rewrite) observes the keyspace:
    // nothing changes while it runs, so it needs no copy-on-write, and it must leave the epoch,
    // the entries' marks and the observer alone, or the background one would skip or repeat keys.
    this.passive = ks.observer !== null;
    this.epoch = this.passive ? ks.epoch : ++ks.epoch;
    this.maps = ks.dbs.map((db: Db) => ({ index: db.id, map: db.dict, it: null, sized: false, expires: db.expires.size }));
    let total = 0;
    for (const m of this.maps) {
      this.mapIndex.set(m.map, m.index);
      total += m.map.size;
    }
    this.keysTotal = total;
    if (!this.passive) ks.observer = this;
    this.format = opts.format ?? RDB_FORMAT;
    this.offloaded = opts.offloaded ?? false;
    if (this.offloaded) {
      this.gathered.marks = [];
      this.encode = { ...opts.encode, deferCompression: true };
    } else {
      this.encode = opts.encode;
    }
    this.emit(this.format.header(opts.aux));
  }

  /**
   * Bytes not yet handed to the sink: small pieces (most entries are a few dozen bytes) are
   * gathered here, so the CRC and the sink see ~64 KB at a time. Flushed whenever step()
   * returns, so nothing waits here between slices.
   */
  private readonly gathered = new Out(GATHER_BYTES + 16 * 1024);

  private readonly offloaded: boolean;
  /** opts.encode, deferring compression when offloaded */
  private readonly encode: EncodeOptions;

  private emit(b: MarkedChunk): void {
    if (b.length === 0) return;
    const marks = b.marks ?? null;
    if (b.length >= GATHER_BYTES) {
      this.flushGathered();
      this.send(b, marks, false);
      return;
    }
    const g = this.gathered;
    g.ensure(b.length);
    b.copy(g.buf, g.pos);
    if (marks !== null) for (let i = 0; i < marks.length; i += 2) g.marks!.push(g.pos + marks[i], marks[i + 1]);
    g.pos += b.length;
    if (g.pos >= GATHER_BYTES) this.flushGathered();
  }

  private flushGathered(): void {
    const g = this.gathered;
    if (g.pos === 0) return;
    const marks = g.takeMarks();
    this.send(g.detach(), marks, true);
  }

  private send(b: Buffer, marks: Int32Array | null, owned: boolean): void {
    if (this.format.checksummed && !this.offloaded) this.crc.update(b);
    this.opts.sink(b, marks, owned);
  }

  private select(db: number): void {
    if (db === this.currentDb) return;
    this.currentDb = db;
    const m = this.maps.find((x) => x.index === db)!;
    if (!m.sized) {
      m.sized = true;
      this.emit(this.format.select(db, m.map.size, m.expires));
    } else {
      this.emit(this.format.select(db, -1, -1));
    }
  }

  /** Serializes an entry now; its bytes go out at once, or after the entry being streamed. */
  private writeWhole(p: Pending): void {
    const chunks = [...this.format.entry(p.key, p.value, p.expireAt, this.encode)];
    for (const c of chunks) this.cowBytes += c.length;
    if (this.current !== null) {
      this.ready.push({ db: p.db, chunks });
      return;
    }
    this.emitEntry(p.db, chunks);
  }

  private emitEntry(db: number, chunks: Buffer[]): void {
    this.select(db);
    for (const c of chunks) this.emit(c);
    this.keysWritten++;
  }

  /** entries serialized while another was mid-stream, waiting their turn */
  private readonly ready: { db: number; chunks: Buffer[] }[] = [];

  // ---------------------------------------------------------------- keyspace hooks

  beforeChange(db: Db, key: string, entry: Entry, detach: boolean): void {
    entry.ver = this.epoch;
    const index = this.mapIndex.get(db.dict);
    if (index === undefined) return; // not a map this snapshot covers
    const value = entry.stored;
    const p: Pending = { db: index, key, value, expireAt: entry.expireAt };
    // strings and packed values are immutable; a detached value will not change: keep a reference
    if (detach || typeof value === 'string' || value instanceof Packed) {
      this.detached.push(p);
      return;
    }
    // about to be mutated in place: write it now (big values normally never get here:
    // the write gate holds their writers until the walk has saved them)
    this.writeWhole(p);
  }

  beforeReplaceMaps(): void {
    // the captured maps are kept by this snapshot; nothing to do
  }

  beforeMutate(value: Stored): void {
    const cur = this.current;
    if (cur === null || cur.value !== value || typeof value === 'string') return;
    // a write the gate did not hold: finish streaming this value now, before it changes
    for (let r = cur.gen.next(); !r.done; r = cur.gen.next()) this.emit(r.value);
    this.endCurrent();
  }

  /** The streamed entry is complete: the entries serialized meanwhile follow it. */
  private endCurrent(): void {
    this.current = null;
    this.keysWritten++;
    for (const r of this.ready.splice(0)) this.emitEntry(r.db, r.chunks);
  }

  // ---------------------------------------------------------------- the write gate

  /** True when a write to `key` must wait: its big value is unsaved or being saved. */
  mustHold(db: Db, key: string): boolean {
    const e = db.dict.get(key);
    if (e === undefined) return false;
    if (this.current !== null && this.current.value === e.stored) return true;
    if (e.ver >= this.epoch || !isBig(e.stored)) return false;
    const index = this.mapIndex.get(db.dict);
    if (index === undefined) return false;
    if (!this.urgentEntries.has(e)) {
      this.urgentEntries.add(e);
      this.urgent.push({ db: index, key, entry: e });
    }
    return true;
  }

  // ---------------------------------------------------------------- the walk

  /** see the constructor: such a snapshot only runs to completion in one go (runSync) */
  private readonly passive: boolean;
  private runningSync = false;

  /** Does up to `budgetMs` of work; returns true when the snapshot body is complete. */
  step(budgetMs: number): boolean {
    if (this.done) return true;
    if (this.passive && !this.runningSync) throw new Error('another snapshot is in progress');
    const complete = this.walk(budgetMs);
    if (!complete) this.flushGathered();
    return complete;
  }

  private walk(budgetMs: number): boolean {
    const end = performance.now() + budgetMs;
    const delay = this.opts.keyDelayUs ?? 0;
    let keysThisStep = 0;
    for (;;) {
      if (this.current !== null) {
        const r = this.current.gen.next();
        if (!r.done) {
          this.emit(r.value);
          if (performance.now() >= end) return false;
          continue;
        }
        this.endCurrent();
        if (delay > 0 && ++keysThisStep >= 1) return false;
        if (performance.now() >= end) return false;
      }
      const next = this.nextEntry();
      if (next === null) break;
      this.select(next.db);
      const v = next.value;
      const fast = this.format.stringEntryInto;
      if (typeof v === 'string' && v.length <= MAX_COMPRESS_LEN && fast !== undefined) {
        fast(this.gathered, next.key, v, next.expireAt, this.encode);
        this.keysWritten++;
        if (this.gathered.pos >= GATHER_BYTES) this.flushGathered();
        if (delay > 0 && ++keysThisStep >= 1) return false;
        if (performance.now() >= end) return false;
        continue;
      }
      this.current = { gen: this.format.entry(next.key, next.value, next.expireAt, this.encode), value: next.value };
    }
    this.finish();
    return true;
  }

  private nextEntry(): Pending | null {
    while (this.urgent.length) {
      const u = this.urgent.shift()!;
      this.urgentEntries.delete(u.entry);
      if (u.entry.ver >= this.epoch) continue;
      u.entry.ver = this.epoch;
      return { db: u.db, key: u.key, value: u.entry.stored, expireAt: u.entry.expireAt };
    }
    const d = this.detached.shift();
    if (d) {
      this.cowBytes += estimate(d.value);
      return d;
    }
    while (this.dbCursor < this.maps.length) {
      const m = this.maps[this.dbCursor];
      if (m.it === null) m.it = m.map.entries();
      for (;;) {
        const r = m.it.next();
        if (r.done) break;
        const [key, e] = r.value;
        if (!this.passive) {
          if (e.ver >= this.epoch) continue;
          e.ver = this.epoch;
        }
        return { db: m.index, key, value: e.stored, expireAt: e.expireAt };
      }
      this.dbCursor++;
    }
    return null;
  }

  private finish(): void {
    for (const r of this.ready.splice(0)) this.emitEntry(r.db, r.chunks);
    this.emit(this.format.trailer());
    this.flushGathered();
    this.done = true;
    this.detach();
    if (!this.format.checksummed || this.offloaded) return;
    this.opts.sink(this.checksum ? this.crc.bytes() : Buffer.alloc(8), null, false);
  }

  /** rdbchecksum: false writes 8 zero bytes instead of the CRC64 */
  checksum = true;

  /** Stops observing the keyspace (on completion or abort). */
  detach(): void {
    if (this.ks.observer === this) this.ks.observer = null;
  }

  /**
   * Runs to completion synchronously (SAVE, shutdown). rdb-key-save-delay applies here too:
   * Redis sleeps after every key in rdbSaveKeyValuePair whether SAVE or the BGSAVE child
   * runs it, so a SAVE can be slowed down (and crashed into) by tests.
   */
  runSync(): void {
    const delayMs = (this.opts.keyDelayUs ?? 0) / 1000;
    this.runningSync = true;
    while (!this.step(Infinity)) {
      if (delayMs > 0) Atomics.wait(SYNC_SLEEP, 0, 0, delayMs);
    }
  }

  get progressKey(): Stored | null {
    return this.current?.value ?? null;
  }
}

/** a cell nobody notifies: Atomics.wait on it is a synchronous sleep */
const SYNC_SLEEP = new Int32Array(new SharedArrayBuffer(4));

/** A rough serialized size, for the copy-on-write figure of values kept by reference. */
function estimate(v: Stored): number {
  if (typeof v === 'string') return v.length;
  if (v instanceof Packed) return v.bytes.length;
  if (v instanceof Deque) {
    let n = 0;
    for (const x of v) n += x.length + 2;
    return n;
  }
  if (v instanceof Map) {
    let n = 0;
    for (const [f, x] of v) n += f.length + x.length + 4;
    return n;
  }
  if (v instanceof IndexedSet) {
    let n = 0;
    for (const x of v) n += x.length + 2;
    return n;
  }
  let n = 0;
  for (const [m] of v) n += m.length + 10;
  return n;
}
