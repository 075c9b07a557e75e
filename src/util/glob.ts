/**
 * Redis's glob matcher (util.c stringmatchlen), byte for byte: `*`, `?`, `[...]` with ranges
 * and `^` negation, `\` escapes. Used by KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET.
 */
export function stringMatch(pattern: string, str: string, nocase = false): boolean {
  return match(pattern, 0, str, 0, nocase, 0) === 1;
}

/** 1 = match, 0 = no match, -1 = give up (the string is exhausted; no later `*` can help). */
function match(p: string, pi: number, s: string, si: number, nocase: boolean, depth: number): number {
  // Redis caps recursion to defend against patterns like "a*a*a*a*...b"
  if (depth > 1000) return 0;
  const plen = p.length;
  const slen = s.length;
  while (pi < plen && si < slen) {
    const pc = p[pi];
    if (pc === '*') {
      while (pi + 1 < plen && p[pi + 1] === '*') pi++;
      if (pi + 1 === plen) return 1;
      while (si < slen) {
        const r = match(p, pi + 1, s, si, nocase, depth + 1);
        if (r === 1) return 1;
        if (r === -1) return -1;
        si++;
      }
      return -1;
    } else if (pc === '?') {
      si++;
    } else if (pc === '[') {
      pi++;
      const not = p[pi] === '^';
      if (not) pi++;
      let matched = false;
      for (;;) {
        if (pi < plen && p[pi] === '\\' && pi + 1 < plen) {
          pi++;
          if (p[pi] === s[si]) matched = true;
        } else if (pi >= plen || p[pi] === ']') {
          break;
        } else if (pi + 2 < plen && p[pi + 1] === '-') {
          let start = p.charCodeAt(pi);
          let end = p.charCodeAt(pi + 2);
          let c = s.charCodeAt(si);
          if (start > end) [start, end] = [end, start];
          if (nocase) {
            start = lower(start);
            end = lower(end);
            c = lower(c);
          }
          pi += 2;
          if (c >= start && c <= end) matched = true;
        } else if (nocase ? lower(p.charCodeAt(pi)) === lower(s.charCodeAt(si)) : p[pi] === s[si]) {
          matched = true;
        }
        pi++;
      }
      if (pi >= plen) pi = plen - 1; // an unterminated class ends at the pattern's end
      if (not) matched = !matched;
      if (!matched) return 0;
      si++;
    } else {
      let lit = pc;
      if (pc === '\\' && pi + 1 < plen) lit = p[++pi];
      if (nocase ? lower(lit.charCodeAt(0)) !== lower(s.charCodeAt(si)) : lit !== s[si]) return 0;
      si++;
    }
    pi++;
    if (si === slen) {
      while (pi < plen && p[pi] === '*') pi++;
      break;
    }
  }
  return pi === plen && si === slen ? 1 : 0;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** True when the pattern matches only itself (no special characters), so lookups can be direct. */
export function isPatternLiteral(p: string): boolean {
  return !/[*?[\\]/.test(p);
}
