/**
 * `keel check-rdb <file>`: validates an RDB file the way `redis-check-rdb` does, with the same
 * `[offset N] ...` report, using the loader's own parser so that "looks OK" means "Keel loads it".
 * `checkRdbBuffer` is also the RDB-preamble check for `keel check-aof`.
 */
import { readDataFile } from '../persistence/fsutil';
import { parseRdbSteps, RdbError } from '../persistence/rdb/reader';
import { TYPE_NAMES } from '../persistence/rdb/format';
import { typeOf } from '../store/value';

export interface CheckRdbOptions {
  /** printed in the first line (`Checking RDB file <name>`); no such line without it */
  name?: string;
  /** an AOF preamble: bytes after the checksum belong to the caller instead of being an error */
  allowTrailing?: boolean;
  /** the clock for "already expired" (ms); defaults to Date.now() */
  now?: number;
}

export interface CheckRdbResult {
  ok: boolean;
  /** on success, the offset just past the RDB's checksum (where an AOF preamble's commands start); on error, the error's offset */
  endOffset: number;
  /** the first problem; `unsupported` when the file is readable but holds data Keel cannot represent (streams, modules, functions) */
  error?: { offset: number; reason: string; unsupported: boolean };
  /** RDB format version, when the header was readable */
  version?: number;
  keys: number;
  expires: number;
  alreadyExpired: number;
  /** key counts per database id */
  byDb: Map<number, number>;
  /** key counts per value type (string, list, set, zset, hash) */
  byType: Map<string, number>;
  /** key counts per RDB object type name (quicklist-v2, hash-listpack, ...) */
  byEncoding: Map<string, number>;
}

/** Printable form of a latin1 byte string, like redis-check-rdb's quoted values but escaping control and high bytes. */
export function printable(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x27) out += "\\'";
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function typeLabel(type: number): string {
  return `${type} (${TYPE_NAMES[type] ?? 'unknown'})`;
}

function bump<K>(m: Map<K, number>, k: K): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/**
 * Checks one RDB held in memory, reporting through `out` (one line per call, no newline).
 * Never throws for bad input: the result says what went wrong and where.
 */
export function checkRdbBuffer(buf: Buffer, out: (line: string) => void, opts: CheckRdbOptions = {}): CheckRdbResult {
  const now = opts.now ?? Date.now();
  const res: CheckRdbResult = { ok: false, endOffset: 0, keys: 0, expires: 0, alreadyExpired: 0, byDb: new Map(), byType: new Map(), byEncoding: new Map() };
  if (opts.name !== undefined) out(`[offset 0] Checking RDB file ${opts.name}`);
  // The version line is printed before parsing so a report on an unreadable body still says which format it claimed to be.
  if (buf.length >= 9 && buf.toString('latin1', 0, 5) === 'REDIS' && /^\d{4}$/.test(buf.toString('latin1', 5, 9))) {
    res.version = Number(buf.toString('latin1', 5, 9));
    out(`[offset 9] RDB version ${res.version}`);
  }
  const expiresByDb = new Map<number, number>();
  try {
    const steps = parseRdbSteps(
      buf,
      {
        aux: (k, v, at) => out(`[offset ${at}] AUX FIELD ${printable(k)} = '${printable(v)}'`),
        selectDb: (id, at) => out(`[offset ${at}] Selecting DB ID ${id}`),
        entry: (db, _key, value, expireAt, type) => {
          res.keys++;
          bump(res.byDb, db);
          bump(res.byType, typeOf(value));
          bump(res.byEncoding, TYPE_NAMES[type] ?? String(type));
          if (expireAt >= 0) {
            res.expires++;
            bump(expiresByDb, db);
            if (expireAt < now) res.alreadyExpired++;
          }
        },
        unsupported: (what, at) => {
          throw new RdbError(`the file contains ${what}, which Keel does not support`, at, true);
        },
        // redis-check-rdb fails on one too (the server skips it)
        emptyKey: (_db, key, type, at) => {
          throw new RdbError(`key "${printable(key)}" is an empty ${TYPE_NAMES[type] ?? type} (a Redis server skips it when loading)`, at);
        },
      },
      -1, // keep expired keys: they are counted, not dropped
      true, // a preamble's AOF part, or bytes a server ignores: reported below, not an error
      undefined,
      null,
      true, // the deep integrity checks redis-check-rdb makes
    );
    let r = steps.next();
    while (!r.done) r = steps.next();
    const sum = r.value;
    if (sum.version >= 5) {
      if (buf.subarray(sum.end - 8, sum.end).equals(Buffer.alloc(8))) out(`[offset ${sum.end}] Checksum is zero (written with rdbchecksum no), not verified`);
      else out(`[offset ${sum.end}] Checksum OK`);
    } else {
      out(`[offset ${sum.end}] No checksum (RDB version ${sum.version} < 5)`);
    }
    if (!opts.allowTrailing && sum.end < buf.length) {
      out(`[offset ${sum.end}] ${buf.length - sum.end} bytes after the end of the RDB: ignored, as Redis's loader ignores them`);
    }
    out(`[offset ${sum.end}] \\o/ RDB looks OK! \\o/`);
    res.ok = true;
    res.endOffset = sum.end;
  } catch (e) {
    if (!(e instanceof RdbError)) throw e;
    res.error = { offset: e.offset, reason: e.reason, unsupported: e.unsupported };
    res.endOffset = e.offset;
    if (e.unsupported) {
      out('--- DATA NOT SUPPORTED BY KEEL ---');
      out(`[offset ${e.offset}] ${e.reason}`);
      out('[additional info] This is not corruption: the file may be a valid Redis RDB, but Keel cannot load it');
    } else {
      out('--- RDB ERROR DETECTED ---');
      out(`[offset ${e.offset}] ${e.reason}`);
    }
    if (e.entry) {
      if (e.entry.key !== undefined) out(`[additional info] Reading key '${printable(e.entry.key)}'`);
      out(`[additional info] Reading type ${typeLabel(e.entry.type)} at offset ${e.entry.offset}`);
    }
  }
  out(`[info] ${res.keys} keys read`);
  out(`[info] ${res.expires} expires`);
  out(`[info] ${res.alreadyExpired} already expired`);
  for (const db of [...res.byDb.keys()].sort((a, b) => a - b)) {
    out(`[info] db ${db}: ${res.byDb.get(db)} keys, ${expiresByDb.get(db) ?? 0} expires`);
  }
  for (const [t, n] of [...res.byType].sort()) out(`[info] type ${t}: ${n} keys`);
  for (const [t, n] of [...res.byEncoding].sort()) out(`[info] RDB encoding ${t}: ${n} keys`);
  return res;
}

/** The `keel check-rdb` subcommand; returns the exit code. */
export function runCheckRdb(args: string[]): number {
  if (args.length !== 1 || args[0].startsWith('-')) {
    process.stderr.write('Usage: keel check-rdb <rdb-file>\n');
    return 1;
  }
  const file = args[0];
  let buf: Buffer;
  try {
    buf = readDataFile(file);
  } catch (e) {
    process.stdout.write(`[offset 0] Checking RDB file ${file}\n`);
    process.stdout.write(`--- RDB ERROR DETECTED ---\n[offset 0] Cannot read the file: ${(e as Error).message}\n`);
    return 1;
  }
  const lines: string[] = [];
  const res = checkRdbBuffer(buf, (l) => lines.push(l), { name: file });
  process.stdout.write(lines.join('\n') + '\n');
  return res.ok ? 0 : 1;
}
