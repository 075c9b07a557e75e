const INT_RE = /^(?:0|-?[1-9][0-9]{0,18})$/;

/** A string Redis would store as an integer (string2ll round-trips and fits in a long long). */
export function isIntegerString(s: string): boolean {
  if (s.length === 0 || s.length > 20) return false;
  const c = s.charCodeAt(0);
  if (c !== 45 && (c < 48 || c > 57)) return false; // neither '-' nor a digit: the common non-integer
  if (!INT_RE.test(s)) return false;
  if (s.length < 19) return true;
  const n = BigInt(s);
  return n >= -9223372036854775808n && n <= 9223372036854775807n;
}
