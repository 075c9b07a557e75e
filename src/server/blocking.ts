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
import { ReplyMode, type Client } from './client';
import type { Server } from './server';
import type { Db } from '../store/keyspace';
import type { Command } from '../commands/spec';
import { Deque } from '../store/types/deque';
import { ZSet } from '../store/types/zset';

/** setTimeout's limit (a longer delay fires at once): longer timeouts are re-armed */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface BlockState {
  db: Db;
  keys: string[];
  cmd: Command;
  argv: string[];
  timer: NodeJS.Timeout | null;
  /** when the timeout fires (performance.now() ms), or 0 for never */
  deadline: number;
}

/** The type of value a blocked command waits for: BZPOPMIN and BZMPOP a zset, the rest a list. */
function waitsForZset(cmd: Command): boolean {
  return cmd.name.startsWith('bz');
}

/**
 * The command re-run for one ready key: Redis serves a client waiting on several keys from
 * the key that became ready first, not from the first of its keys that holds data.
 */
function argvForKey(cmd: Command, argv: string[], key: string): string[] {
  switch (cmd.name) {
    case 'blpop':
    case 'brpop':
    case 'bzpopmin':
    case 'bzpopmax':
      return [argv[0], key, argv[argv.length - 1]];
    case 'blmpop':
    case 'bzmpop':
      return [argv[0], argv[1], '1', key, ...argv.slice(3 + Number(argv[2]))];
    default:
      return argv;
  }
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
    // inside a command (a FLUSHALL that aborted a snapshot), the command's end serves them,
    // after its own write is propagated
    if (list.length && this.server.currentClient === null) this.handleReady();
  }

  get count(): number {
    return this.states.size;
  }

  /** clients_in_timeout_table: the blocked clients that have a timeout */
  get withTimeout(): number {
    let n = 0;
    for (const st of this.states.values()) if (st.deadline !== 0) n++;
    return n;
  }

  /** The arguments a blocked client sent (its retries run with one key chosen). */
  sentArgv(c: Client): string[] | undefined {
    return this.states.get(c)?.argv;
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
    const state: BlockState = { db: c.db, keys: [...new Set(keys)], cmd, argv, timer: null, deadline: 0 };
    let byKey = this.waiting.get(c.db);
    if (!byKey) this.waiting.set(c.db, (byKey = new Map()));
    for (const k of state.keys) {
      let q = byKey.get(k);
      if (!q) byKey.set(k, (q = []));
      q.push(c);
    }
    this.states.set(c, state);
    if (timeoutMs > 0) {
      state.deadline = performance.now() + timeoutMs;
      this.armTimer(c, state);
    }
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

  private armTimer(c: Client, st: BlockState): void {
    const left = st.deadline - performance.now();
    st.timer = setTimeout(() => (left > MAX_TIMER_MS ? this.armTimer(c, st) : this.timeout(c)), Math.min(Math.max(left, 0), MAX_TIMER_MS));
  }

  private handling = false;
  /** clients served while handling ready keys: their pipelined commands wait until all are served */
  private unblocked: Client[] = [];

  /**
   * Serves waiters of keys signalled ready (called after each command / transaction). As in
   * Redis, every waiter of the ready keys is served before a served client's pipelined
   * commands run (Redis runs those from its unblocked-clients queue before it sleeps).
   */
  handleReady(): void {
    if (this.handling) return;
    this.handling = true;
    try {
      do {
        this.serveReady();
        for (const c of this.unblocked.splice(0)) {
          if (c.closing) continue;
          if (!c.blocked) c.processInput();
          this.server.schedulePendingWrite(c);
        }
      } while (this.ready.length !== 0);
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
          const e = db.dict.get(key);
          if (e === undefined) break;
          const st = this.states.get(c);
          if (st === undefined) continue;
          // a key now holding another type serves nobody waiting for this one (they stay blocked)
          if (waitsForZset(st.cmd) ? !(e.value instanceof ZSet) : !(e.value instanceof Deque)) continue;
          this.retry(c, key);
        }
      }
    }
  }

  private retry(c: Client, key: string): void {
    const st = this.states.get(c)!;
    const argv = argvForKey(st.cmd, st.argv, key);
    // a snapshot still saving the value: try again once it is saved
    if (this.server.writeGate !== null && this.server.writeGate(c, st.cmd, argv)) {
      this.deferred.push(c);
      return;
    }
    this.retrying = c;
    this.retryBlockedAgain = false;
    try {
      c.underReplyMode(() => this.server.call(c, st.cmd, argv));
    } finally {
      this.retrying = null;
    }
    if (this.retryBlockedAgain) return;
    this.resume(c);
  }

  private timeout(c: Client): void {
    if (!this.states.has(c)) return;
    c.underReplyMode(() => c.nullArray());
    this.resume(c);
  }

  /** CLIENT UNBLOCK: false when the client is not blocked on keys. */
  unblock(c: Client, withError: boolean): boolean {
    if (!this.states.has(c)) return false;
    c.underReplyMode(() => (withError ? c.error('UNBLOCKED client unblocked via CLIENT UNBLOCK') : c.nullArray()));
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
    // the reply CLIENT REPLY SKIP dropped has gone: the next command answers again
    if (c.replyMode === ReplyMode.SkipThis) c.replyMode = ReplyMode.On;
    if (c.closing) return;
    if (this.handling) {
      this.unblocked.push(c);
      return;
    }
    c.processInput();
    this.server.schedulePendingWrite(c);
  }
}
