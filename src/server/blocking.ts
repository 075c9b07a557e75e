/**
 * Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, ...), as Redis 7.0's blocked.c does it:
 *
 * - A blocking command that finds nothing calls `block()`: the client stops processing input
 *   and waits, first-come-first-served per key, until a key is signalled ready, the timeout
 *   fires, CLIENT UNBLOCK arrives or it disconnects.
 * - A write that may serve waiters calls `signalKeyReady(db, key)`. After the command (after
 *   the whole transaction, for EXEC) the server re-runs each waiter's command in arrival
 *   order while the key still holds data. A re-run that still cannot be served calls
 *   `block()` again, which keeps the client's place in line.
 * - The re-run goes through Server.call, so what is propagated is whatever the handler says
 *   it did (a plain pop), never the blocking form.
 */
import type { Client } from './client';
import type { Server } from './server';
import type { Db } from '../store/keyspace';
import type { Command } from '../commands/spec';

interface BlockState {
  db: Db;
  keys: string[];
  cmd: Command;
  argv: string[];
  timer: NodeJS.Timeout | null;
}

export class Blocking {
  /** db -> key -> clients in arrival order */
  private readonly waiting = new Map<Db, Map<string, Client[]>>();
  private readonly states = new Map<Client, BlockState>();
  private ready: { db: Db; key: string }[] = [];
  private readySet = new Set<string>();
  /** the client currently being re-run (block() then means "still waiting") */
  private retrying: Client | null = null;
  private retryBlockedAgain = false;

  constructor(private readonly server: Server) {}

  /** waiters whose retry a snapshot deferred */
  private deferred: Client[] = [];

  /** Retries the waiters a snapshot held back (called as it saves values). */
  retryDeferred(): void {
    const list = this.deferred.splice(0);
    for (const c of list) {
      const st = this.states.get(c);
      if (st) for (const k of st.keys) this.signalKeyReady(st.db, k);
    }
    if (list.length) this.handleReady();
  }

  get count(): number {
    return this.states.size;
  }

  /** True while a blocked client's command is being re-run after its key became ready. */
  isRetry(c: Client): boolean {
    return this.retrying === c;
  }

  /**
   * Blocks `c` on `keys` until one is ready or `timeoutMs` passes (0 = forever).
   * Called by a blocking command's handler when it has nothing to serve.
   */
  block(c: Client, keys: string[], timeoutMs: number, cmd: Command, argv: string[]): void {
    if (this.retrying === c) {
      this.retryBlockedAgain = true;
      return;
    }
    const state: BlockState = { db: c.db, keys: [...new Set(keys)], cmd, argv, timer: null };
    let byKey = this.waiting.get(c.db);
    if (!byKey) this.waiting.set(c.db, (byKey = new Map()));
    for (const k of state.keys) {
      let q = byKey.get(k);
      if (!q) byKey.set(k, (q = []));
      q.push(c);
    }
    if (timeoutMs > 0) {
      state.timer = setTimeout(() => this.timeout(c), timeoutMs);
    }
    this.states.set(c, state);
    c.blocked = true;
    c.blockedOn = 'list';
  }

  /** A key that blocked clients may wait on received data. */
  signalKeyReady(db: Db, key: string): void {
    if (this.states.size === 0) return;
    if (!this.waiting.get(db)?.has(key)) return;
    const id = db.id + '\0' + key;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push({ db, key });
  }

  get hasReady(): boolean {
    return this.ready.length !== 0;
  }

  /** A whole db changed (SWAPDB, FLUSHDB...): every waited key that now exists is ready. */
  signalDbReady(db: Db): void {
    const byKey = this.waiting.get(db);
    if (!byKey) return;
    for (const k of byKey.keys()) if (db.dict.has(k)) this.signalKeyReady(db, k);
  }

  private handling = false;

  /** Serves waiters of keys signalled ready (called after each command / transaction). */
  handleReady(): void {
    if (this.handling) return;
    this.handling = true;
    try {
      this.serveReady();
    } finally {
      this.handling = false;
    }
  }

  private serveReady(): void {
    while (this.ready.length !== 0) {
      const batch = this.ready;
      this.ready = [];
      this.readySet.clear();
      for (const { db, key } of batch) {
        const q = this.waiting.get(db)?.get(key);
        if (!q) continue;
        for (const c of [...q]) {
          if (!db.dict.has(key)) break;
          if (!this.states.has(c)) continue;
          this.retry(c);
        }
      }
    }
  }

  private retry(c: Client): void {
    const st = this.states.get(c)!;
    // a snapshot still saving the value: try again once it is saved
    if (this.server.writeGate !== null && this.server.writeGate(c, st.cmd, st.argv)) {
      this.deferred.push(c);
      return;
    }
    this.retrying = c;
    this.retryBlockedAgain = false;
    try {
      this.server.call(c, st.cmd, st.argv);
    } finally {
      this.retrying = null;
    }
    if (this.retryBlockedAgain) return;
    this.resume(c);
  }

  private timeout(c: Client): void {
    if (!this.states.has(c)) return;
    c.nullArray();
    this.resume(c);
  }

  /** CLIENT UNBLOCK: false when the client is not blocked on keys. */
  unblock(c: Client, withError: boolean): boolean {
    if (!this.states.has(c)) return false;
    if (withError) c.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    else c.nullArray();
    this.resume(c);
    return true;
  }

  /** Forgets a disconnected client. */
  remove(c: Client): void {
    if (this.states.has(c)) this.unregister(c);
  }

  private unregister(c: Client): void {
    const st = this.states.get(c)!;
    this.states.delete(c);
    if (st.timer) clearTimeout(st.timer);
    const byKey = this.waiting.get(st.db);
    if (byKey) {
      for (const k of st.keys) {
        const q = byKey.get(k);
        if (!q) continue;
        const i = q.indexOf(c);
        if (i >= 0) q.splice(i, 1);
        if (q.length === 0) byKey.delete(k);
      }
      if (byKey.size === 0) this.waiting.delete(st.db);
    }
    c.blocked = false;
    c.blockedOn = null;
  }

  /** Unblocks and lets the client go on with whatever it pipelined meanwhile. */
  private resume(c: Client): void {
    this.unregister(c);
    if (c.closing) return;
    c.processInput();
    this.server.schedulePendingWrite(c);
  }
}
