/**
 * Numbers exactly as Redis 7.0 parses and prints them: string2ll, strtod, "%.17g", and the
 * x87 80-bit long double arithmetic behind INCRBYFLOAT (emulated with BigInt).
 */
export const INT64_MIN = -9223372036854775808n;
export const INT64_MAX = 9223372036854775807n;
/**
 * The latest expiry Keel can hold: the largest double below 2^63. A later one (Redis allows up
 * to 2^63 - 1 ms) would round to 2^63, which no int64 (RDB, AOF, DUMP) can carry.
 */
export const MAX_EXPIRE_MS = 9223372036854774784;

const INT_RE = /^(?:0|-?[1-9][0-9]{0,19})$/;

/** string2ll: no '+', no spaces, no leading zeros, "-0" rejected, must fit int64. */
export function parseInt64(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !INT_RE.test(s)) return null;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INF_RE = /^[+-]?(?:inf|infinity)$/i;
/** strtod's hexadecimal form: 0x1.8p1, 0x10, 0x.8 */
const HEX_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;

/** A hexadecimal float as an exact (-1)^neg * m * 2^e, or null when it is not one. */
function parseHexFloat(s: string): { neg: boolean; m: bigint; e: number } | null {
  const h = HEX_RE.exec(s);
  if (h === null || h[2].length + (h[3] ?? '').length === 0 || Math.abs(Number(h[4] ?? 0)) > 100000) return null;
  const frac = h[3] ?? '';
  return { neg: h[1] === '-', m: BigInt('0x' + (h[2] + frac || '0')), e: Number(h[4] ?? 0) - 4 * frac.length };
}

/** strtod as Redis uses it for scores and floats: whole string, no leading space, no NaN, no ERANGE. */
export function parseDouble(s: string): number | null {
  const n = s.length;
  if (n === 0 || n > 5120) return null;
  if (n <= 15) {
    // fast path: [-]digits (at most 15, so exact), the usual shape of a score
    let i = s.charCodeAt(0) === 45 ? 1 : 0;
    if (i < n) {
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c < 48 || c > 57) break;
      }
      if (i === n) return Number(s);
    }
  }
  if (INF_RE.test(s)) return s[0] === '-' ? -Infinity : Infinity;
  if (!FLOAT_RE.test(s)) {
    const x = parseHexFloat(s);
    if (x === null) return null;
    // scaling by a power of two is exact: Number(m) is the one rounding (barring subnormals)
    const d = (x.neg ? -1 : 1) * Number(x.m) * 2 ** x.e;
    if (!Number.isFinite(d) || (d === 0 && x.m !== 0n)) return null; // ERANGE
    return d;
  }
  const d = Number(s);
  if (!Number.isFinite(d)) return null; // overflow is ERANGE in strtod
  if (d === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ''))) return null; // underflow to zero
  return d;
}

/**
 * strtod as zslParseRange uses it for score ranges (ZCOUNT, ZRANGEBYSCORE...): leading
 * whitespace skipped, the rest must be read whole, NaN refused, and nothing else checked, so a
 * decimal past a double's range is ±Infinity (1e1000), one below it 0 (1e-400), and an empty
 * string, which strtod reads as nothing, is 0.
 */
export function parseRangeDouble(s: string): number | null {
  let i = 0;
  while (i < s.length && isCSpace(s.charCodeAt(i))) i++;
  // nothing read: strtod's end is where it began, which must be the end of the string
  if (i === s.length) return i === 0 ? 0 : null;
  const t = i === 0 ? s : s.slice(i);
  if (INF_RE.test(t)) return t[0] === '-' ? -Infinity : Infinity;
  if (FLOAT_RE.test(t)) return Number(t);
  const x = parseHexFloat(t);
  if (x === null) return null;
  return (x.neg ? -1 : 1) * Number(x.m) * 2 ** x.e;
}

/** C's isspace in the "C" locale */
function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * A float as strtold reads it, as a double: like parseDouble, but a decimal past a double's
 * range is ±Infinity instead of an error (1e400 is a long double). For timeouts.
 */
export function parseWideDouble(s: string): number | null {
  return parseDouble(s) ?? (FLOAT_RE.test(s) ? Number(s) : null);
}

/**
 * d.toExponential(16) (17 significant digits) rounded as printf rounds: a value exactly halfway
 * between two 17-digit decimals goes to the even one, where JavaScript goes away from zero.
 */
function toExponential16(d: number): string {
  const s = d.toExponential(16);
  // an exact 18-digit decimal has at most 18 - exp decimals, so d * 2^(18 - exp) is an integer;
  // most doubles (0.1, 3.14) fail this at once
  if (!Number.isInteger(d * 2 ** (18 - Number(s.slice(s.indexOf('e') + 1))))) return s;
  const t = d.toExponential(17);
  if (t.charCodeAt(t.indexOf('e') - 1) !== 53 /* '5' */) return s;
  const [m18, e18] = t.split('e');
  if (!isExactDecimal(d, BigInt(m18.replace(/[-.]/g, '')), Number(e18) - 17)) return s;
  const m17 = m18.slice(0, -1);
  return (m17.charCodeAt(m17.length - 1) - 48) % 2 === 0 ? `${m17}e${e18}` : s;
}

const f64 = new DataView(new ArrayBuffer(8));

/** Whether |d| is exactly n * 10^k. */
function isExactDecimal(d: number, n: bigint, k: number): boolean {
  f64.setFloat64(0, Math.abs(d));
  const bits = f64.getBigUint64(0);
  const biased = Number(bits >> 52n);
  let l = bits & 0xfffffffffffffn;
  let e2 = -1074;
  if (biased !== 0) {
    l |= 1n << 52n;
    e2 = biased - 1075;
  }
  let r = n;
  if (e2 >= 0) l <<= BigInt(e2);
  else r <<= BigInt(-e2);
  if (k >= 0) r *= 10n ** BigInt(k);
  else l *= 10n ** BigInt(-k);
  return l === r;
}

/** printf("%.17g") */
export function formatDouble17g(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  // a safe integer (the common zset score) has at most 16 digits, all exact: it prints as itself
  if (Number.isSafeInteger(d)) return String(d);
  const exp = toExponential16(d);
  const [mant, e] = exp.split('e');
  const x = Number(e);
  if (x < -4 || x >= 17) {
    let m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    if (m === '') m = '0';
    const ae = Math.abs(x);
    return `${m}e${x < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  // fixed notation with 17 significant digits, trailing zeros removed
  const digits = mant.replace('-', '').replace('.', '');
  const neg = d < 0 ? '-' : '';
  let out: string;
  if (x >= 0) {
    const intPart = digits.slice(0, x + 1);
    const frac = digits.slice(x + 1);
    out = frac.length ? `${intPart}.${frac}` : intPart;
  } else {
    out = `0.${'0'.repeat(-x - 1)}${digits}`;
  }
  if (out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
  return neg + out;
}

// ------------------------------------------------------------------ long double

/** sign * m * 2^e with m < 2^64 (0 when m = 0). */
interface LD {
  neg: boolean;
  m: bigint;
  e: number;
}

const BITS = 64n;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Rounds the exact positive rational p/q to 64 significant bits, half to even. */
function roundRational(neg: boolean, p: bigint, q: bigint): LD {
  if (p === 0n) return { neg, m: 0n, e: 0 };
  let e = bitLength(p) - bitLength(q) - Number(BITS);
  let num = p;
  let den = q;
  if (e >= 0) den <<= BigInt(e);
  else num <<= BigInt(-e);
  let m = num / den;
  let r = num % den;
  if (m >= 1n << BITS) {
    // one bit too many: fold it into the remainder
    r = r + (m & 1n) * den;
    den <<= 1n;
    m >>= 1n;
    e++;
  } else if (m < 1n << (BITS - 1n)) {
    num <<= 1n;
    e--;
    m = num / den;
    r = num % den;
  }
  const twice = 2n * r;
  if (twice > den || (twice === den && (m & 1n) === 1n)) {
    m++;
    if (m === 1n << BITS) {
      m >>= 1n;
      e++;
    }
  }
  return { neg, m, e };
}

/** strtold of a decimal string (already validated), rounded to long double. */
function parseLongDouble(s: string): LD | 'inf' | null {
  if (INF_RE.test(s)) return 'inf';
  if (!FLOAT_RE.test(s)) {
    const x = parseHexFloat(s);
    if (x === null) return null;
    if (x.m === 0n) return { neg: x.neg, m: 0n, e: 0 };
    const r = x.e >= 0 ? roundRational(x.neg, x.m << BigInt(x.e), 1n) : roundRational(x.neg, x.m, 1n << BigInt(-x.e));
    if (r.e + 64 > 16384) return null; // overflow: strtold's ERANGE, which string2ld refuses
    if (r.e + 63 < -16382) return null; // below the smallest normal long double: ERANGE
    return r;
  }
  const neg = s[0] === '-';
  const body = s.replace(/^[+-]/, '');
  const [mantissa, expPart] = body.split(/[eE]/);
  const [ip, fp = ''] = mantissa.split('.');
  let exp10 = (expPart ? Number(expPart) : 0) - fp.length;
  const digits = BigInt((ip + fp).replace(/^0+(?=\d)/, '') || '0');
  if (digits === 0n) return { neg, m: 0n, e: 0 };
  // strtold's ERANGE: Redis refuses an overflow and an underflow (below the smallest normal
  // long double); only a spelled-out infinity is one
  if (Math.abs(exp10) > 6000) return null;
  let p = digits;
  let q = 1n;
  if (exp10 >= 0) p *= 10n ** BigInt(exp10);
  else q = 10n ** BigInt(-exp10);
  exp10 = 0;
  const r = roundRational(neg, p, q);
  if (r.e + 64 > 16384) return null;
  if (r.e + 63 < -16382) return null;
  return r;
}

function addLD(a: LD, b: LD): LD {
  // exact sum as a rational with a power-of-two denominator, then round once
  const e = Math.min(a.e, b.e);
  const av = (a.neg ? -a.m : a.m) << BigInt(a.e - e);
  const bv = (b.neg ? -b.m : b.m) << BigInt(b.e - e);
  const sum = av + bv;
  const neg = sum < 0n;
  const mag = neg ? -sum : sum;
  if (e >= 0) return roundRational(neg, mag << BigInt(e), 1n);
  return roundRational(neg, mag, 1n << BigInt(-e));
}

/** printf("%.17Lf") of a long double, then trailing zeros (and '.') removed. */
function formatLDHuman(x: LD): string {
  if (x.m === 0n) return '0';
  let scaled: bigint; // round(|x| * 10^17), half to even
  const ten17 = 10n ** 17n;
  if (x.e >= 0) scaled = (x.m << BigInt(x.e)) * ten17;
  else {
    const den = 1n << BigInt(-x.e);
    const num = x.m * ten17;
    scaled = num / den;
    const r = num % den;
    if (2n * r > den || (2n * r === den && (scaled & 1n) === 1n)) scaled++;
  }
  const str = scaled.toString().padStart(18, '0');
  const intPart = str.slice(0, -17);
  const frac = str.slice(-17).replace(/0+$/, '');
  const body = frac.length ? `${intPart}.${frac}` : intPart;
  return (x.neg && body !== '0' ? '-' : '') + body;
}

export function formatLongDoubleHuman(d: number): string {
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : d < 0 ? '-inf' : 'nan';
  // a double converts to long double exactly: take its bits
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, d);
  const hi = v.getUint32(0);
  const ex = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(v.getUint32(4));
  if (ex !== 0) m |= 1n << 52n;
  return formatLDHuman({ neg: hi >>> 31 === 1, m, e: ex === 0 ? -1074 : ex - 1075 });
}

/** INCRBYFLOAT: current + increment in long double, formatted as Redis stores it. */
export function incrByFloat(current: string, increment: string): { value: string } | { error: string } {
  const cur = parseLongDouble(current);
  if (cur === null || /^\s|\s$/.test(current)) return { error: 'ERR value is not a valid float' };
  const inc = parseLongDouble(increment);
  if (inc === null) return { error: 'ERR value is not a valid float' };
  if (cur === 'inf' || inc === 'inf') return { error: 'ERR increment would produce NaN or Infinity' };
  const sum = addLD(cur, inc);
  if (sum.m !== 0n && sum.e + 64 > 16384) return { error: 'ERR increment would produce NaN or Infinity' };
  return { value: formatLDHuman(sum) };
}
