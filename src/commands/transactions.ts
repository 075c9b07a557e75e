/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH (multi.c).
 *
 * Queueing happens in Server.processCommand; EXEC runs the queue through Server.call with
 * propagation held back (execDepth) so the transaction's writes reach persistence as one
 * unit, wrapped in MULTI … EXEC when there is more than one.
 */
import type { CommandSpec } from './spec';
import type { Client } from '../server/client';

export function discardTransaction(c: Client): void {
  c.inMulti = false;
  c.multiQueue = [];
  c.multiError = false;
  c.server.unwatchAll(c);
}

function multi(c: Client): void {
  if (c.inMulti) return c.error('ERR MULTI calls can not be nested');
  c.inMulti = true;
  c.multiQueue = [];
  c.multiError = false;
  c.ok();
}

function discard(c: Client): void {
  if (!c.inMulti) return c.error('ERR DISCARD without MULTI');
  discardTransaction(c);
  c.ok();
}

/** A watched key that has logically expired since WATCH counts as modified (Redis 7.0). */
function watchedKeyExpired(c: Client): boolean {
  const now = c.server.keyspace.now();
  for (const w of c.watched) {
    if (w.expiredAtWatch) continue;
    const e = w.db.dict.get(w.key);
    if (e !== undefined && e.expireAt >= 0 && e.expireAt <= now) return true;
  }
  return false;
}

function exec(c: Client): void {
  const s = c.server;
  if (!c.inMulti) return c.error('ERR EXEC without MULTI');
  if (c.multiError) {
    discardTransaction(c);
    return c.error('EXECABORT Transaction discarded because of previous errors.');
  }
  if (c.watchDirty || watchedKeyExpired(c)) {
    discardTransaction(c);
    return c.nullArray();
  }
  const queue = c.multiQueue;
  c.inMulti = false;
  c.multiQueue = [];
  s.unwatchAll(c);
  c.arrayLen(queue.length);
  s.execDepth++;
  try {
    for (const { cmd, argv } of queue) {
      // after a CLIENT REPLY OFF in the transaction, its replies go nowhere (pub/sub frames still do)
      c.underReplyMode(() => {
        // A write refused since it was queued (MISCONF) fails alone, as in Redis.
        const why = cmd.isWrite && s.writeRefusal !== null ? s.writeRefusal() : null;
        if (why !== null) c.error(why);
        else s.call(c, cmd, argv);
      });
    }
  } finally {
    s.execDepth--;
  }
  // EXEC itself is not propagated: its commands were, as one unit.
  c.preventProp = true;
}

function watch(c: Client, argv: string[]): void {
  if (c.inMulti) return c.error('ERR WATCH inside MULTI is not allowed');
  const s = c.server;
  const now = c.server.keyspace.now();
  for (let i = 1; i < argv.length; i++) {
    const e = c.db.dict.get(argv[i]);
    s.watch(c, c.db, argv[i], e !== undefined && e.expireAt >= 0 && e.expireAt <= now);
  }
  c.ok();
}

function unwatch(c: Client): void {
  c.server.unwatchAll(c);
  c.ok();
}

const tx = { group: 'transactions', acl: ['transaction'] };
export const commands: CommandSpec[] = [
  { name: 'multi', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], summary: 'Mark the start of a transaction block', since: '1.2.0', complexity: 'O(1)', handler: multi, ...tx },
  { name: 'exec', arity: 1, flags: ['noscript', 'loading', 'stale', 'skip_slowlog'], summary: 'Execute all commands issued after MULTI', since: '1.2.0', complexity: 'Depends on commands in the transaction', handler: exec, ...tx },
  { name: 'discard', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], summary: 'Discard all commands issued after MULTI', since: '2.0.0', complexity: 'O(N), when N is the number of queued commands', handler: discard, ...tx },
  { name: 'watch', arity: -2, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], firstKey: 1, lastKey: -1, step: 1, summary: 'Watch the given keys to determine execution of the MULTI/EXEC block', since: '2.2.0', complexity: 'O(1) for every key.', handler: watch, ...tx },
  { name: 'unwatch', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], summary: 'Forget about all watched keys', since: '2.2.0', complexity: 'O(1)', handler: unwatch, ...tx },
];
