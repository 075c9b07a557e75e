/**
 * Argument parsing shared by command families, with Redis 7.0's error replies.
 * Each helper replies the error itself and returns null, so handlers read:
 *   const n = intArg(c, argv[2]); if (n === null) return;
 */
import type { Client } from '../server/client';
import type { Entry } from '../store/keyspace';
import { WRONGTYPE } from '../store/value';
import { parseInt64, parseDouble, parseWideDouble, INT64_MAX } from '../util/number';

export const ERR_NOT_INT = 'ERR value is not an integer or out of range';
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';
export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_LOADING = 'LOADING Redis is loading the dataset in memory';
export const ERR_NO_SUCH_KEY = 'ERR no such key';
export { WRONGTYPE };

const SAFE_INT_RE = /^(?:0|-?[1-9][0-9]{0,14})$/;

/**
 * A long long argument as a JS number (exact when |n| < 2^53; beyond that the nearest
 * double, which is all callers that take counts, indexes and times need).
 */
export function intArg(c: Client, s: string, msg = ERR_NOT_INT): number | null {
  if (s.length <= 16 && SAFE_INT_RE.test(s)) return +s;
  const big = parseInt64(s);
  if (big === null) {
    c.error(msg);
    return null;
  }
  return Number(big);
}

/**
 * getIntFromObjectOrReply: an integer that fits in 32 bits. Outside that range the reply is
 * `msg` when given, else Redis's "value is out of range, value must between ..." (DB indexes).
 */
export function int32Arg(c: Client, s: string, msg?: string): number | null {
  const n = intArg(c, s, msg);
  if (n === null) return null;
  if (n < -2147483648 || n > 2147483647) {
    c.error(msg ?? 'ERR value is out of range, value must between -2147483648 and 2147483647');
    return null;
  }
  return n;
}

/**
 * C's atoi(), which Redis's genericGetKeys applies to numkeys: leading whitespace, an optional
 * sign, digits up to the first non-digit (strtol saturating at the long range, then truncated
 * to int). "2x" is 2; "x" is 0.
 */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  let v = BigInt(m[1]);
  if (v > 0x7fffffffffffffffn) v = 0x7fffffffffffffffn;
  if (v < -0x8000000000000000n) v = -0x8000000000000000n;
  return Number(BigInt.asIntN(32, v));
}

/**
 * COMMAND GETKEYS for a command whose keys follow a count at argv[at] (ZUNION, SINTERCARD,
 * LMPOP...), with a destination key at argv[dst] when dst > 0. Redis 7.0 tries the key specs
 * first: a strict integer count naming keys that all exist, destination first. When they
 * fail it falls back on genericGetKeys: atoi(count) keys, destination last. A count below 1 or
 * past the arguments gives no keys either way (GETKEYS then answers "Invalid arguments").
 */
export function keysAfterCount(argv: string[], at: number, dst = 0): number[] {
  const s = argv[at];
  const strict = s.length <= 16 && SAFE_INT_RE.test(s);
  const n = strict ? +s : atoi(s);
  if (n < 1 || n > argv.length - at - 1) return [];
  const keys = Array.from({ length: n }, (_, i) => at + 1 + i);
  if (dst === 0) return keys;
  return strict ? [dst, ...keys] : [...keys, dst];
}

/** As intArg, but rejects values outside [min, max] with `msg`. */
export function rangeIntArg(c: Client, s: string, min: number, max: number, msg: string): number | null {
  const n = intArg(c, s, msg);
  if (n === null) return null;
  if (n < min || n > max) {
    c.error(msg);
    return null;
  }
  return n;
}

/** An exact int64 (INCRBY and friends). */
export function int64Arg(c: Client, s: string, msg = ERR_NOT_INT): bigint | null {
  const n = parseInt64(s);
  if (n === null) c.error(msg);
  return n;
}

export function doubleArg(c: Client, s: string, msg = ERR_NOT_FLOAT): number | null {
  const d = parseDouble(s);
  if (d === null) c.error(msg);
  return d;
}

/** The string held by an entry, or WRONGTYPE (null) — undefined entry gives undefined. */
export function stringValue(c: Client, e: Entry | undefined): string | undefined | null {
  if (e === undefined) return undefined;
  if (typeof e.value !== 'string') {
    c.error(WRONGTYPE);
    return null;
  }
  return e.value;
}

export function eqIgnoreCase(a: string, lower: string): boolean {
  return a.length === lower.length && a.toLowerCase() === lower;
}

/** Keyspace notification for the current command's key (no-op unless enabled). */
export function notify(c: Client, cls: number, event: string, key: string): void {
  c.server.notifyKeyspaceEvent(cls, event, key, c.db.id);
}

/** Redis index normalisation for LRANGE/GETRANGE style [start, end]: null when empty. */
export function clampRange(start: number, end: number, len: number): [number, number] | null {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return null;
  if (end >= len) end = len - 1;
  return [start, end];
}

/** getTimeoutFromObjectOrReply: seconds (fractional) to ms; 0 = forever; null after an error. */
export function timeoutArg(c: Client, s: string): number | null {
  const d = parseWideDouble(s);
  if (d === null || Number.isNaN(d)) {
    c.error('ERR timeout is not a float or out of range');
    return null;
  }
  // Redis converts the milliseconds to a long long: past its range (inf included) that gives
  // LLONG_MIN on x86, so it answers "negative" there too
  // rounded up first, then checked: -0.0001 s is 0 (wait forever), as Redis's ceill gives
  let ms = Math.ceil(d * 1000);
  // a positive timeout below a double's range (1e-400) is still above 0 in Redis's long double
  if (d === 0 && s.trim()[0] !== '-' && /[1-9]/.test(s.split(/[eE]/)[0])) ms = 1;
  if (ms < 0 || (ms >= 9223372036854775807 && !fitsLongLongMs(s))) {
    c.error('ERR timeout is negative');
    return null;
  }
  return ms === 0 ? 0 : ms; // not -0
}

/**
 * Whether seconds written as a plain decimal, times 1000 and rounded up, fit a long long:
 * near that limit a double cannot tell (Redis computes it in a long double).
 */
function fitsLongLongMs(s: string): boolean {
  const m = /^\+?(\d+)(?:\.(\d*))?$/.exec(s.trim());
  if (m === null) return false;
  const frac = (m[2] ?? '').padEnd(3, '0');
  let ms = BigInt(m[1]) * 1000n + BigInt(frac.slice(0, 3));
  if (/[1-9]/.test(frac.slice(3))) ms += 1n;
  return ms <= 9223372036854775807n;
}

/** getPositiveLongFromObjectOrReply / getRangeLong...: an integer in [min, max] or `msg`. */
export function countArg(c: Client, s: string, min: number, msg: string): number | null {
  const n = intArg(c, s, `ERR ${msg}`); // Redis answers `msg` for a non-integer too
  if (n === null) return null;
  if (n < min) {
    c.error(`ERR ${msg}`);
    return null;
  }
  return n;
}

/** True when blocking commands must act as non-blocking (inside MULTI/EXEC). */
export function cannotBlock(c: Client): boolean {
  return c.server.execDepth > 0 || c.inMulti;
}

export const ERR_LONG_RANGE = 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807';

/**
 * A count for HRANDFIELD / SRANDMEMBER / ZRANDMEMBER: getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX).
 * Returned as a bigint so the range checks are exact.
 */
export function randCountArg(c: Client, s: string): bigint | null {
  const n = parseInt64(s);
  if (n === null) {
    c.error('ERR value is not an integer or out of range');
    return null;
  }
  if (n < -INT64_MAX) {
    c.error(ERR_LONG_RANGE);
    return null;
  }
  return n;
}
