/**
 * Commands as the AOF stores them: RESP multibulk, one latin1 byte per char, and the
 * "commands" layout of a BASE file written without an RDB preamble.
 */
import type { SnapshotFormat } from '../snapshot';
import { unpacked, type Stored } from '../../store/packed';
import { Deque } from '../../store/types/deque';
import { IndexedSet } from '../../store/types/indexed-set';
import { formatDouble17g } from '../../util/number';

/** `*N\r\n$len\r\narg\r\n...` (args are latin1 strings, so length is the byte count). */
export function respCommand(argv: string[]): string {
  let s = '*' + argv.length + '\r\n';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    s += '$' + a.length + '\r\n' + a + '\r\n';
  }
  return s;
}

/** AOF_REWRITE_ITEMS_PER_CMD: big collections become several commands of this many items. */
export const ITEMS_PER_CMD = 64;

function* batches(cmd: string, key: string, items: Iterable<string[]>): Generator<Buffer> {
  let argv: string[] = [cmd, key];
  let n = 0;
  for (const it of items) {
    for (const x of it) argv.push(x);
    if (++n === ITEMS_PER_CMD) {
      yield Buffer.from(respCommand(argv), 'latin1');
      argv = [cmd, key];
      n = 0;
    }
  }
  if (n > 0) yield Buffer.from(respCommand(argv), 'latin1');
}

/** The commands that rebuild one key (rewriteAppendOnlyFileRio): expired keys are left out. */
export function* entryCommands(key: string, stored: Stored, expireAt: number): Generator<Buffer> {
  if (expireAt >= 0 && expireAt < Date.now()) return;
  const v = unpacked(stored);
  if (typeof v === 'string') yield Buffer.from(respCommand(['SET', key, v]), 'latin1');
  else if (v instanceof Deque) yield* batches('RPUSH', key, map(v, (x) => [x]));
  else if (v instanceof IndexedSet) yield* batches('SADD', key, map(v, (x) => [x]));
  else if (v instanceof Map) yield* batches('HMSET', key, v);
  else yield* batches('ZADD', key, map(v, ([m, s]) => [formatDouble17g(s), m]));
  if (expireAt >= 0) yield Buffer.from(respCommand(['PEXPIREAT', key, String(expireAt)]), 'latin1');
}

function* map<T, U>(it: Iterable<T>, f: (x: T) => U): Generator<U> {
  for (const x of it) yield f(x);
}

/** A BASE of commands; with aof-timestamp-enabled it opens with a `#TS:` annotation, as Redis's does. */
export const aofCommandsFormat = (timestamp: boolean): SnapshotFormat => ({
  checksummed: false,
  header: () => (timestamp ? Buffer.from(`#TS:${Math.floor(Date.now() / 1000)}\r\n`, 'latin1') : Buffer.alloc(0)),
  select: (db) => Buffer.from(respCommand(['SELECT', String(db)]), 'latin1'),
  entry: (key, value, expireAt) => entryCommands(key, value, expireAt),
  trailer: () => Buffer.alloc(0),
});
