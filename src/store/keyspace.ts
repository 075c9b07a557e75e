/**
 * The keyspace: numbered databases of key -> Entry, with expiry, and the one narrow API
 * every command mutates data through. Going through it is what lets the rest of the server
 * stay correct without each command remembering to:
 *   - expire a key lazily when it is touched (and propagate that as a DEL),
 *   - bump the dirty counter (what `save <seconds> <changes>` counts; commands do it),
 *   - tell an active snapshot "this key is about to change" (copy-on-write per key),
 *   - invalidate WATCHers and send keyspace notifications.
 */
import type { Value } from './value';
import { Packed, type Stored } from './packed';
import { MAX_EXPIRE_MS } from '../util/number';
import { Dict } from './dict';

const EXP_SPLIT = 1 << 20;

export const STR_BY_CONTENT = 0;
export const STR_NOT_INT = 1;
export const STR_RAW = 2;

export class Entry {
  /**
   * expireAt split in two small integers (high and low 20 bits): V8 keeps a field that ever
   * held a non-small-integer number (a millisecond timestamp) in a heap box of its own, an
   * extra object per key for the garbage collector to copy and trace; these two stay inline.
   */
  private expHi = 0;
  private expLo = 0;
  constructor(
    /** the value, or a collection an RDB load left packed (see packed.ts) */
    private held: Stored,
    expireAt: number,
    /** LRU clock (seconds) of the last access, for OBJECT IDLETIME */
    public lru: number,
    /** snapshot epoch this entry is current for: >= a snapshot's epoch means "not in it / already saved" */
    public ver: number,
    /** insertion sequence, monotone across the server: SCAN cursors are built on it */
    public seq: number,
  ) {
    this.expireAt = expireAt;
  }

  /** The value; a packed one is decoded on first use and kept decoded. */
  get value(): Value {
    const v = this.held;
    if (v instanceof Packed) return (this.held = v.unpack());
    return v;
  }

  set value(v: Value) {
    this.held = v;
  }

  /** The value as held, packed or not: for snapshots, which write a packed value's bytes as they are. */
  get stored(): Stored {
    return this.held;
  }

  /** absolute unix ms, or -1 for no TTL */
  get expireAt(): number {
    return this.expHi * EXP_SPLIT + this.expLo;
  }

  /** capped at MAX_EXPIRE_MS: commands log the expiry the entry holds, which an int64 carries */
  set expireAt(ms: number) {
    if (ms > MAX_EXPIRE_MS) ms = MAX_EXPIRE_MS;
    this.expHi = Math.floor(ms / EXP_SPLIT);
    this.expLo = ms - this.expHi * EXP_SPLIT;
  }
  /**
   * How Redis encodes this string, where its content does not tell: STR_RAW for one edited in
   * place (APPEND, SETRANGE: "raw" whatever its size), STR_NOT_INT for one Redis never tried to
   * encode as an integer (INCRBYFLOAT's result: "embstr" or "raw" by length), else STR_BY_CONTENT.
   */
  strEnc = STR_BY_CONTENT;
}

export class Db {
  dict = new Dict<Entry>();
  /** the entries of `dict` that have a TTL (same Entry objects) */
  expires = new Dict<Entry>();
  /** active-expire position, kept across cron ticks */
  expireCursor: Iterator<[string, Entry]> | null = null;
  /** sum/count of TTLs seen by the last active-expire pass, for INFO keyspace avg_ttl */
  avgTtl = 0;
  constructor(public readonly id: number) {}
}

/** What a point-in-time snapshot needs to hear before anything changes. */
export interface SnapshotObserver {
  /**
   * `entry` (current value of `key` in `db`) is about to change. `detach` means the value
   * object itself will not be touched again (the key is deleted, expired or given a new
   * value), so holding a reference is enough; otherwise it is about to be mutated in place.
   */
  beforeChange(db: Db, key: string, entry: Entry, detach: boolean): void;
  /** `db.dict` / `db.expires` are about to be replaced wholesale (FLUSHDB, FLUSHALL, SWAPDB). */
  beforeReplaceMaps(db: Db): void;
  /**
   * `value` (already saved or being saved) is about to be mutated in place. The write gate
   * holds such writes; this is the net under it: a value still being streamed must be
   * finished first, or the file would hold half of each version.
   */
  beforeMutate(value: Stored): void;
}

/** Events the keyspace raises; the server wires them to propagation, WATCH and notifications. */
export interface KeyspaceEvents {
  /** a key expired (lazily or actively): propagate `DEL key` for persistence. */
  expired(db: Db, key: string): void;
  /** a key's value changed (WATCH invalidation). */
  modified(db: Db, key: string): void;
  /** a key was created, by any command (dbAdd: blocked clients may be served, the `new` event). */
  added(db: Db, key: string): void;
  /** a read found no key (the `keymiss` event). */
  missed(db: Db, key: string): void;
  /** a whole db changed (flush / swap); `previous` is the dict it held before. */
  dbReplaced(db: Db, previous: Dict<Entry>): void;
}

export interface KeyspaceStats {
  expiredKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  expiredStalePerc: number;
  expiredTimeCapReached: number;
}

export class Keyspace {
  dbs: Db[];
  /** changes since the last successful save */
  dirty = 0;
  /** bumped when a snapshot starts; new entries take it as their `ver` */
  epoch = 0;
  /** the active snapshot, if any */
  observer: SnapshotObserver | null = null;
  /** LRU clock in seconds, refreshed by the server cron */
  lruClock = Math.floor(Date.now() / 1000) & 0xffffff;
  /** while loading a dataset nothing expires (the loader decides) */
  loading = false;
  /** DEBUG SET-ACTIVE-EXPIRE */
  activeExpireEnabled = true;
  /**
   * Unix ms at which CLIENT PAUSE (WRITE or ALL) ends, 0 when clients are not paused. The
   * server's pause state lives here (Server.clientsPausedUntil reads and writes it) because
   * expiry depends on it: while clients are paused the dataset stays constant, as in Redis
   * 7.0 (expireIfNeeded and activeExpireCycle ask checkClientPauseTimeoutAndReturnIfPaused).
   * See expiryPaused().
   */
  pausedUntil = 0;
  private seq = 0;
  stats: KeyspaceStats = { expiredKeys: 0, keyspaceHits: 0, keyspaceMisses: 0, expiredStalePerc: 0, expiredTimeCapReached: 0 };

  constructor(count: number, public events: KeyspaceEvents) {
    this.dbs = [];
    for (let i = 0; i < count; i++) this.dbs.push(new Db(i));
  }

  /**
   * True while clients are paused (CLIENT PAUSE WRITE or ALL, until its deadline). Then a key
   * whose TTL has passed is reported missing by every lookup but stays in place: no DEL is
   * propagated, no `expired` event raised, expired_keys is not counted, and the active expire
   * cycle does not run (Redis 7.0's expireIfNeeded returns "expired" without deleting, and
   * activeExpireCycle returns at once). DBSIZE and INFO keyspace still count such a key. Once
   * the pause ends the key expires normally, lazily or by the cycle.
   */
  expiryPaused(): boolean {
    return this.pausedUntil !== 0 && Date.now() < this.pausedUntil;
  }

  /**
   * Looks a key up for reading: expires it if due, counts a hit or a miss, raises `keymiss`
   * (not with `notifyMiss` false: OBJECT) and records the access (not with `touch` false:
   * TTL, OBJECT), as Redis's lookupKeyReadWithFlags.
   */
  lookupRead(db: Db, key: string, touch = true, notifyMiss = true): Entry | undefined {
    const e = db.dict.get(key);
    if (e === undefined) {
      this.stats.keyspaceMisses++;
      if (notifyMiss) this.events.missed(db, key);
      return undefined;
    }
    if (this.isExpired(e)) {
      if (!this.expiryPaused()) this.expireNow(db, key, e);
      this.stats.keyspaceMisses++;
      if (notifyMiss) this.events.missed(db, key);
      return undefined;
    }
    if (touch) e.lru = this.lruClock;
    this.stats.keyspaceHits++;
    return e;
  }

  /**
   * Looks a key up with the intent to modify its value in place (LPUSH, SADD, APPEND...).
   * An active snapshot saves the current value first. A due key is missing; while clients
   * are paused it is left in place like on a read (add() and set() expire it if a write
   * gets to run during the pause, e.g. one queued in a MULTI after CLIENT PAUSE).
   */
  lookupWrite(db: Db, key: string): Entry | undefined {
    const e = db.dict.get(key);
    if (e === undefined) return undefined;
    if (this.isExpired(e)) {
      if (!this.expiryPaused()) this.expireNow(db, key, e);
      return undefined;
    }
    e.lru = this.lruClock;
    if (this.observer !== null) {
      if (e.ver < this.epoch) this.observer.beforeChange(db, key, e, false);
      else this.observer.beforeMutate(e.stored);
    }
    return e;
  }

  /** Existence check that honours expiry but counts no hit/miss (EXISTS counts; TYPE etc. use lookupRead). */
  peek(db: Db, key: string): Entry | undefined {
    const e = db.dict.get(key);
    if (e === undefined) return undefined;
    if (this.isExpired(e)) {
      if (!this.expiryPaused()) this.expireNow(db, key, e);
      return undefined;
    }
    return e;
  }

  /**
   * While a command runs (`inCommand`, set by the server around the outermost one), the clock
   * expiry is judged by stands still (Redis's fixed_time_expire), so a key cannot expire
   * half-way through a command or an EXEC: `commandTime` is fixed by the first check that
   * needs it (commands that touch no TTL never read the clock) and is 0 between commands.
   */
  inCommand = false;
  commandTime = 0;

  /** The time expiry is judged by: the command's fixed clock while one runs, else the wall clock. */
  now(): number {
    let now = this.commandTime;
    if (now === 0) {
      now = Date.now();
      if (this.inCommand) this.commandTime = now;
    }
    return now;
  }

  /** Whether an entry is due, counting and deleting nothing (Redis's keyIsExpired). */
  isExpired(e: Entry): boolean {
    return e.expireAt >= 0 && !this.loading && e.expireAt <= this.now();
  }

  /**
   * Before a write adds `key` while clients are paused: a due key that the lookups left in
   * place (they report it missing) is expired now, so the write starts from the same state it
   * would outside a pause and `dict` and `expires` stay in step. Writes are held during a
   * pause; this covers those that still run (queued in a MULTI after CLIENT PAUSE). Redis 7.0
   * would hit an assertion in dbAdd there.
   */
  private expireKept(db: Db, key: string): void {
    const e = db.dict.get(key);
    if (e !== undefined && this.isExpired(e)) this.expireNow(db, key, e);
  }

  /** A new entry for a loader filling fresh maps (installed later with installMaps). */
  newEntry(value: Stored, expireAt: number): Entry {
    return new Entry(value, expireAt, this.lruClock, this.epoch, ++this.seq);
  }

  /**
   * Replaces every database's contents with loaded maps (RDB/AOF load, DEBUG RELOAD). The
   * loader may pass the TTL maps it built alongside; otherwise they are derived here.
   */
  installMaps(dicts: Dict<Entry>[], expiresByDb?: Dict<Entry>[]): void {
    this.dbs.forEach((db, i) => {
      this.flushDb(db);
      const dict = dicts[i] ?? new Dict<Entry>();
      let expires = expiresByDb?.[i];
      if (expires === undefined) {
        expires = new Dict<Entry>();
        for (const [k, e] of dict) if (e.expireAt >= 0) expires.set(k, e);
      }
      const previous = db.dict;
      db.dict = dict;
      db.expires = expires;
      this.events.dbReplaced(db, previous);
    });
  }

  /** Adds a key that does not exist (caller checked). */
  add(db: Db, key: string, value: Value, expireAt = -1): Entry {
    if (this.pausedUntil !== 0) this.expireKept(db, key);
    return this.insert(db, key, value, expireAt);
  }

  private insert(db: Db, key: string, value: Value, expireAt: number): Entry {
    const e = new Entry(value, expireAt, this.lruClock, this.epoch, ++this.seq);
    db.dict.set(key, e);
    if (expireAt >= 0) db.expires.set(key, e);
    this.events.added(db, key);
    this.events.modified(db, key);
    return e;
  }

  /**
   * SET semantics: create or overwrite, dropping the TTL unless keepTtl. A due key is expired
   * first (setKey's lookupKeyWrite: the `expired` event, a DEL logged, then a `new` key).
   * Overwriting reuses the Entry so the key keeps its SCAN position.
   */
  set(db: Db, key: string, value: Value, keepTtl = false, expireAt = -1): Entry {
    const e = db.dict.get(key);
    if (e === undefined) return this.insert(db, key, value, expireAt);
    if (this.isExpired(e)) {
      this.expireNow(db, key, e);
      return this.insert(db, key, value, expireAt);
    }
    if (this.observer !== null && e.ver < this.epoch) this.observer.beforeChange(db, key, e, true);
    e.value = value;
    e.strEnc = STR_BY_CONTENT;
    e.lru = this.lruClock;
    if (!keepTtl) {
      if (expireAt >= 0) {
        if (e.expireAt < 0) db.expires.set(key, e);
        e.expireAt = expireAt;
      } else if (e.expireAt >= 0) {
        e.expireAt = -1;
        db.expires.delete(key);
      }
    }
    this.events.modified(db, key);
    return e;
  }

  /** Replaces the value of an entry obtained through lookupWrite (snapshot already told). */
  replaceValue(db: Db, key: string, e: Entry, value: Value): void {
    e.value = value;
    e.strEnc = STR_BY_CONTENT;
    this.events.modified(db, key);
  }

  delete(db: Db, key: string): boolean {
    const e = db.dict.get(key);
    if (e === undefined) return false;
    if (this.observer !== null && e.ver < this.epoch) this.observer.beforeChange(db, key, e, true);
    db.dict.delete(key);
    if (e.expireAt >= 0) db.expires.delete(key);
    this.events.modified(db, key);
    return true;
  }

  setExpire(db: Db, key: string, e: Entry, when: number): void {
    if (this.observer !== null && e.ver < this.epoch) this.observer.beforeChange(db, key, e, false);
    if (e.expireAt < 0) db.expires.set(key, e);
    e.expireAt = when;
    this.events.modified(db, key);
  }

  /** Removes a TTL; false when there was none. */
  persist(db: Db, key: string, e: Entry): boolean {
    if (e.expireAt < 0) return false;
    if (this.observer !== null && e.ver < this.epoch) this.observer.beforeChange(db, key, e, false);
    e.expireAt = -1;
    db.expires.delete(key);
    this.events.modified(db, key);
    return true;
  }

  /** Deletes an expired key and raises the `expired` event (propagated as DEL). */
  expireNow(db: Db, key: string, e: Entry): void {
    if (this.observer !== null && e.ver < this.epoch) this.observer.beforeChange(db, key, e, true);
    db.dict.delete(key);
    db.expires.delete(key);
    this.stats.expiredKeys++;
    this.events.expired(db, key);
    this.events.modified(db, key);
  }

  /** Empties one database; returns how many keys it held. */
  flushDb(db: Db): number {
    const n = db.dict.size;
    if (this.observer !== null) this.observer.beforeReplaceMaps(db);
    const previous = db.dict;
    db.dict = new Dict<Entry>();
    db.expires = new Dict<Entry>();
    db.expireCursor = null;
    db.avgTtl = 0;
    this.events.dbReplaced(db, previous);
    return n;
  }

  swapDb(a: Db, b: Db): void {
    if (this.observer !== null) {
      this.observer.beforeReplaceMaps(a);
      this.observer.beforeReplaceMaps(b);
    }
    const d = a.dict;
    const x = a.expires;
    const t = a.avgTtl;
    a.dict = b.dict;
    a.expires = b.expires;
    a.avgTtl = b.avgTtl;
    b.dict = d;
    b.expires = x;
    b.avgTtl = t;
    a.expireCursor = b.expireCursor = null;
    this.events.dbReplaced(a, d);
    this.events.dbReplaced(b, a.dict);
  }

  /** Total keys across databases. */
  size(): number {
    let n = 0;
    for (const db of this.dbs) n += db.dict.size;
    return n;
  }

  /**
   * Redis's active expire cycle (slow mode): per db, look at 20 keys with a TTL at a time,
   * deleting the expired ones, and go on while more than 10% of a sample was stale, within a
   * time budget. Keel walks each db's `expires` map with a cursor kept across calls rather
   * than sampling at random: every key with a TTL is visited within a bounded number of
   * cycles, which is what sampling achieves statistically.
   */
  activeExpireCycle(budgetMs: number, effort: number): void {
    // while clients are paused the dataset stays constant (expiryPaused)
    if (!this.activeExpireEnabled || this.loading || this.expiryPaused()) return;
    const perLoop = 20 + Math.floor((20 / 4) * (effort - 1));
    const acceptableStale = 10 - (effort - 1);
    const start = Date.now();
    let sampledTotal = 0;
    let expiredTotal = 0;
    for (const db of this.dbs) {
      if (db.expires.size === 0) continue;
      for (let iteration = 0; ; iteration++) {
        const now = Date.now();
        let sampled = 0;
        let expired = 0;
        let ttlSum = 0;
        let ttlSamples = 0;
        let it = db.expireCursor ?? db.expires.entries();
        const n = Math.min(perLoop, db.expires.size);
        while (sampled < n) {
          let r = it.next();
          if (r.done) {
            it = db.expires.entries();
            r = it.next();
            if (r.done) break;
          }
          const [key, e] = r.value;
          sampled++;
          if (e.expireAt <= now) {
            this.expireNow(db, key, e);
            expired++;
          } else {
            ttlSum += e.expireAt - now;
            ttlSamples++;
          }
        }
        db.expireCursor = it;
        sampledTotal += sampled;
        expiredTotal += expired;
        if (ttlSamples > 0) {
          const avg = ttlSum / ttlSamples;
          db.avgTtl = db.avgTtl === 0 ? avg : (db.avgTtl / 50) * 49 + avg / 50;
        }
        if ((iteration & 15) === 15 && Date.now() - start > budgetMs) {
          this.stats.expiredTimeCapReached++;
          return this.noteStale(sampledTotal, expiredTotal);
        }
        if (sampled === 0 || (expired * 100) / sampled <= acceptableStale) break;
      }
    }
    this.noteStale(sampledTotal, expiredTotal);
  }

  private noteStale(sampled: number, expired: number): void {
    const current = sampled ? expired / sampled : 0;
    this.stats.expiredStalePerc = current * 0.05 + this.stats.expiredStalePerc * 0.95;
  }
}
