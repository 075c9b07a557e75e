/**
 * `keel rdb <file> [--json]`: the keys of an RDB file as JSON lines, one per key, written as
 * the file is parsed.
 *
 *   {"db":0,"key":"k","type":"string|list|set|zset|hash","expireAt":<unix ms>|null,"value":...}
 *
 * value: string -> a byte string; list and set -> [byte string, ...]; hash -> [[field, value], ...];
 * zset -> [[member, score], ...] in score order, scores as JSON numbers or "inf" / "-inf".
 * A byte string is a JSON string when its bytes are valid UTF-8, otherwise {"base64":"..."}.
 * Keys whose expireAt has passed are still listed (this shows the file, not a live server).
 */
import { readDataFile } from '../persistence/fsutil';
import { isUtf8 } from 'node:buffer';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { parseRdbSteps, RdbError } from '../persistence/rdb/reader';
import { Deque } from '../store/types/deque';
import { IndexedSet } from '../store/types/indexed-set';
import { typeOf, type Value } from '../store/value';
import { unpacked } from '../store/packed';

const ASCII = /^[\x00-\x7f]*$/;

/** JSON for one latin1 byte string (see the module comment). */
export function jsonBytes(s: string): string {
  if (ASCII.test(s)) return JSON.stringify(s);
  const b = Buffer.from(s, 'latin1');
  if (isUtf8(b)) return JSON.stringify(b.toString('utf8'));
  return `{"base64":"${b.toString('base64')}"}`;
}

function jsonScore(d: number): string {
  if (d === Infinity) return '"inf"';
  if (d === -Infinity) return '"-inf"';
  // String(-0) is "0"; "-0" is valid JSON and keeps the sign a zset can hold.
  return Object.is(d, -0) ? '-0' : String(d);
}

export function jsonValue(v: Value): string {
  if (typeof v === 'string') return jsonBytes(v);
  const parts: string[] = [];
  if (v instanceof Deque || v instanceof IndexedSet) {
    for (const x of v) parts.push(jsonBytes(x));
  } else if (v instanceof Map) {
    for (const [f, x] of v) parts.push(`[${jsonBytes(f)},${jsonBytes(x)}]`);
  } else {
    for (const [m, s] of v) parts.push(`[${jsonBytes(m)},${jsonScore(s)}]`);
  }
  return `[${parts.join(',')}]`;
}

export function jsonLine(db: number, key: string, value: Value, expireAt: number): string {
  return `{"db":${db},"key":${jsonBytes(key)},"type":"${typeOf(value)}","expireAt":${expireAt >= 0 ? expireAt : 'null'},"value":${jsonValue(value)}}\n`;
}

const FLUSH_AT = 64 * 1024;

/**
 * Writes one JSON line per key of `buf` to `out`, waiting for `out` to drain so memory stays
 * bounded by one key's line plus a small batch. Throws RdbError (after the keys before it have
 * been written) on a corrupt or unsupported file. Returns the number of keys written, or stops
 * early without error if `out` closes (e.g. `| head`).
 */
export async function streamRdbJson(buf: Buffer, out: Writable, onTrailing?: (offset: number, bytes: number) => void): Promise<number> {
  let pending = '';
  let keys = 0;
  let closed = false;
  const onError = (): void => {
    closed = true;
  };
  out.on('error', onError);
  const flush = async (): Promise<void> => {
    if (pending === '' || closed) return;
    const chunk = pending;
    pending = '';
    if (!out.write(chunk)) {
      try {
        await once(out, 'drain'); // rejects if `out` errors (EPIPE) while we wait
      } catch {
        closed = true;
      }
    }
  };
  try {
    const steps = parseRdbSteps(
      buf,
      {
        entry: (db, key, value, expireAt) => {
          pending += jsonLine(db, key, unpacked(value), expireAt);
          keys++;
        },
        unsupported: (what, at) => {
          throw new RdbError(`the file contains ${what}, which Keel does not support`, at, true);
        },
      },
      -1,
      true, // what follows the checksum is reported below, as a server ignores it
    );
    for (;;) {
      let r;
      try {
        r = steps.next();
      } catch (e) {
        await flush();
        throw e;
      }
      if (r.done) {
        if (r.value.end < buf.length) onTrailing?.(r.value.end, buf.length - r.value.end);
        break;
      }
      if (pending.length >= FLUSH_AT) await flush();
      if (closed) return keys;
    }
    await flush();
    return keys;
  } finally {
    out.off('error', onError);
  }
}

/** The `keel rdb` subcommand; returns the exit code. */
export async function runRdbJson(args: string[]): Promise<number> {
  const files = args.filter((a) => a !== '--json');
  if (files.length !== 1 || files[0].startsWith('-')) {
    process.stderr.write('Usage: keel rdb <rdb-file> [--json]\n');
    return 1;
  }
  let buf: Buffer;
  try {
    buf = readDataFile(files[0]);
  } catch (e) {
    process.stderr.write(`keel rdb: cannot read ${files[0]}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    await streamRdbJson(buf, process.stdout, (offset, n) => {
      process.stderr.write(`keel rdb: ${files[0]}: ${n} bytes after the end of the RDB (offset ${offset}) were ignored, as Redis ignores them\n`);
    });
    return 0;
  } catch (e) {
    if (!(e instanceof RdbError)) throw e;
    const kind = e.unsupported ? 'unsupported data' : 'corrupt RDB';
    process.stderr.write(`keel rdb: ${files[0]}: ${kind} at offset ${e.offset}: ${e.reason}\n`);
    return 1;
  }
}
