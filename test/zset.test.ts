/**
 * The sorted set's skiplist against a model (a Map sorted on demand by (score, member), byte
 * order): after random inserts, score updates (in place and moved), deletes, range deletes and
 * pops, every query gives the model's answer and ZSet.check() finds order, spans, ranks, prev
 * links, tail, level and free lists consistent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ZSet, ZAdd, ZADD_NX, ZADD_XX, ZADD_GT, ZADD_LT, ZADD_INCR, type ScoreRange, type LexRange } from '../src/store/types/zset';

type Pair = [string, number];

function sorted(m: Map<string, number>): Pair[] {
  return [...m].sort((a, b) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function inScore(s: number, r: ScoreRange): boolean {
  return (r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max);
}
function inLex(m: string, r: LexRange): boolean {
  return (r.minInf || (r.minex ? m > r.min : m >= r.min)) && (r.maxInf || (r.maxex ? m < r.max : m <= r.max));
}
function window(items: Pair[], rev: boolean, offset: number, limit: number): Pair[] {
  const l = rev ? [...items].reverse() : items;
  return l.slice(offset, limit < 0 ? undefined : offset + limit);
}

function assertValid(z: ZSet): void {
  const problem = z.check();
  assert.equal(problem, null, problem ?? '');
}

/** Every read of the ZSet against the model. */
function assertSame(z: ZSet, m: Map<string, number>, probes: { ranges: ScoreRange[]; lex: LexRange[]; members: string[] }): void {
  assertValid(z);
  const s = sorted(m);
  assert.equal(z.size, m.size);
  assert.deepEqual([...z], s);
  assert.deepEqual(z.first(), s[0]);
  assert.deepEqual(z.last(), s[s.length - 1]);
  for (let i = -1; i <= s.length; i++) assert.deepEqual(z.at(i), s[i]);
  s.forEach(([member, score], i) => {
    assert.equal(z.rank(member), i);
    assert.equal(z.score(member), score);
  });
  for (const member of probes.members) {
    if (!m.has(member)) {
      assert.equal(z.rank(member), -1);
      assert.equal(z.score(member), undefined);
      assert.equal(z.has(member), false);
    }
  }
  for (let a = 0; a < s.length; a += 3) {
    for (const b of [a, a + 1, s.length - 1]) {
      if (b < a || b >= s.length) continue;
      assert.deepEqual(z.rangeByRank(a, b), s.slice(a, b + 1));
      assert.deepEqual(z.rangeByRank(a, b, true), [...s].reverse().slice(a, b + 1));
    }
  }
  for (const r of probes.ranges) {
    const empty = r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
    const hit = empty ? [] : s.filter(([, x]) => inScore(x, r));
    assert.equal(z.countInScore(r), hit.length);
    for (const rev of [false, true]) {
      for (const [off, lim] of [[0, -1], [0, 2], [1, 3], [2, -1], [20, 5], [0, 0]]) {
        assert.deepEqual(z.rangeByScore(r, rev, off, lim), window(hit, rev, off, lim), `${JSON.stringify(r)} rev=${rev} ${off} ${lim}`);
      }
    }
  }
  // lex order is only meaningful when the scores are all equal
  if (new Set(m.values()).size <= 1) {
    for (const r of probes.lex) {
      const empty = !r.minInf && !r.maxInf && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)));
      const hit = empty ? [] : s.filter(([x]) => inLex(x, r));
      assert.equal(z.countInLex(r), hit.length);
      for (const rev of [false, true]) {
        for (const [off, lim] of [[0, -1], [1, 2], [20, 3]]) {
          assert.deepEqual(z.rangeByLex(r, rev, off, lim), window(hit, rev, off, lim));
        }
      }
    }
  }
}

// members include bytes above 0x7f and the empty string: byte order, not locale order
const member = fc.constantFrom('', 'a', 'b', 'ab', 'abc', 'b\x00', 'z', 'A', '0', '10', '9', '\x80', '\xff', '\xe9t\xe9', 'm1', 'm2', 'm3', 'm4');
const score = fc.constantFrom(0, 1, 1, 2, -1, 1.5, 1e300, -1e-300, Infinity, -Infinity, 3, 3, 7);
const scoreRange: fc.Arbitrary<ScoreRange> = fc.record({ min: score, max: score, minex: fc.boolean(), maxex: fc.boolean() });
const lexBound = fc.constantFrom('', 'a', 'ab', 'b', 'm', 'z', '\x80', '\xff');
const lexRange: fc.Arbitrary<LexRange> = fc.record({
  min: lexBound,
  max: lexBound,
  minex: fc.boolean(),
  maxex: fc.boolean(),
  minInf: fc.boolean(),
  maxInf: fc.boolean(),
});

type Op =
  | { t: 'set'; m: string; s: number }
  | { t: 'add'; m: string; s: number; f: number }
  | { t: 'del'; m: string }
  | { t: 'delRank'; a: number; b: number }
  | { t: 'delScore'; r: ScoreRange }
  | { t: 'delLex'; r: LexRange }
  | { t: 'pop'; max: boolean };

const flags = fc.constantFrom(0, ZADD_NX, ZADD_XX, ZADD_GT, ZADD_LT, ZADD_INCR, ZADD_XX | ZADD_GT, ZADD_XX | ZADD_LT, ZADD_INCR | ZADD_XX, ZADD_INCR | ZADD_NX);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ t: fc.constant('set' as const), m: member, s: score }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('add' as const), m: member, s: score, f: flags }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('del' as const), m: member }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delRank' as const), a: fc.integer({ min: -2, max: 12 }), b: fc.integer({ min: -2, max: 14 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delScore' as const), r: scoreRange }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delLex' as const), r: lexRange }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('pop' as const), max: fc.boolean() }) },
);

/** Applies one op to both; returns false when the op is one the model can't predict (lex deletes on mixed scores). */
function apply(z: ZSet, m: Map<string, number>, o: Op): void {
  switch (o.t) {
    case 'set': {
      const cur = m.get(o.m);
      m.set(o.m, o.s);
      assert.equal(z.set(o.m, o.s), cur === undefined ? 'added' : cur === o.s ? 'unchanged' : 'updated');
      return;
    }
    case 'add': {
      const cur = m.get(o.m);
      let want: ZAdd;
      let s = o.s;
      if (cur === undefined) want = o.f & ZADD_XX ? ZAdd.Nop : ZAdd.Added;
      else if (o.f & ZADD_NX) want = ZAdd.Nop;
      else {
        if (o.f & ZADD_INCR) s += cur;
        if (Number.isNaN(s)) want = ZAdd.NaN;
        else if ((o.f & ZADD_LT && s >= cur) || (o.f & ZADD_GT && s <= cur)) want = ZAdd.Nop;
        else want = s === cur ? ZAdd.Same : ZAdd.Updated;
      }
      assert.equal(z.add(o.m, o.s, o.f), want);
      if (want === ZAdd.Added || want === ZAdd.Updated || want === ZAdd.Same) {
        assert.equal(z.addedScore, s);
        m.set(o.m, s);
      }
      return;
    }
    case 'del':
      assert.equal(z.delete(o.m), m.delete(o.m));
      return;
    case 'delRank': {
      const s = sorted(m);
      const a = Math.max(0, o.a);
      const b = Math.min(s.length - 1, o.b);
      const victims = a > b ? [] : s.slice(a, b + 1);
      for (const [x] of victims) m.delete(x);
      assert.equal(z.deleteRangeByRank(o.a, o.b), victims.length);
      return;
    }
    case 'delScore': {
      const r = o.r;
      const empty = r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
      const victims = empty ? [] : sorted(m).filter(([, x]) => inScore(x, r));
      for (const [x] of victims) m.delete(x);
      assert.equal(z.deleteRangeByScore(r), victims.length);
      return;
    }
    case 'delLex': {
      if (new Set(m.values()).size > 1) return; // lex ranges assume equal scores
      const r = o.r;
      const empty = !r.minInf && !r.maxInf && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)));
      const victims = empty ? [] : sorted(m).filter(([x]) => inLex(x, r));
      for (const [x] of victims) m.delete(x);
      assert.equal(z.deleteRangeByLex(r), victims.length);
      return;
    }
    case 'pop': {
      const s = sorted(m);
      const want = o.max ? s[s.length - 1] : s[0];
      const got = o.max ? z.last() : z.first();
      assert.deepEqual(got, want);
      if (got) {
        z.delete(got[0]);
        m.delete(got[0]);
      }
      return;
    }
  }
}

const probes = fc.record({
  ranges: fc.array(scoreRange, { maxLength: 4 }),
  lex: fc.array(lexRange, { maxLength: 4 }),
  members: fc.constant<string[]>(['nope', 'a', 'm9', '\xfe']),
});

test('ZSet matches a sorted model after random operations, invariants hold throughout', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 150, size: 'max' }), probes, (ops, p) => {
      const z = new ZSet();
      const m = new Map<string, number>();
      ops.forEach((o, i) => {
        apply(z, m, o);
        assertValid(z);
        if (i % 25 === 24) assertSame(z, m, p);
      });
      assertSame(z, m, p);
    }),
    { numRuns: 300 },
  );
});

test('ZSet with equal scores: lex ranges, lex counts and lex deletes match the model', () => {
  const zeroOps = op.map((o): Op => ('s' in o ? { ...o, s: 0, ...(o.t === 'add' ? { f: o.f & ~ZADD_INCR } : {}) } : o.t === 'delScore' ? { t: 'delLex', r: { min: 'a', max: 'm', minex: false, maxex: true } } : o));
  fc.assert(
    fc.property(fc.array(zeroOps, { maxLength: 120, size: 'max' }), probes, (ops, p) => {
      const z = new ZSet();
      const m = new Map<string, number>();
      for (const o of ops) {
        apply(z, m, o);
        assertValid(z);
      }
      assertSame(z, m, p);
    }),
    { numRuns: 200 },
  );
});

/** A deterministic pseudo-random sequence (tests must not depend on Math.random's seed for their inputs). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

test('a large set: updates that move or stay, range deletes, shrinking and compaction keep the invariants', () => {
  const rnd = lcg(42);
  const z = new ZSet();
  const m = new Map<string, number>();
  const N = 20000;
  for (let i = 0; i < N; i++) {
    const k = `m:${Math.floor(rnd() * N * 2)}`;
    const s = Math.floor(rnd() * 1000);
    z.set(k, s);
    m.set(k, s);
  }
  assertValid(z);
  // small moves (most stay in place between neighbours of the same score run) and big ones
  const keys = [...m.keys()];
  for (let i = 0; i < 20000; i++) {
    const k = keys[Math.floor(rnd() * keys.length)];
    const s = i % 2 ? m.get(k)! + (rnd() - 0.5) * 1e-9 : Math.floor(rnd() * 1000);
    z.set(k, s);
    m.set(k, s);
  }
  assertValid(z);
  let s = sorted(m);
  assert.deepEqual([...z], s);
  for (let i = 0; i < s.length; i += 97) {
    assert.equal(z.rank(s[i][0]), i);
    assert.deepEqual(z.at(i), s[i]);
  }
  // LIMIT with a big offset (skipped by rank) equals the walk
  const r: ScoreRange = { min: 100, max: 900, minex: true, maxex: false };
  const hit = s.filter(([, x]) => inScore(x, r));
  for (const [off, lim] of [[0, 10], [17, 10], [500, 10], [hit.length - 3, 10], [hit.length, 10], [5000, -1]]) {
    assert.deepEqual(z.rangeByScore(r, false, off, lim), window(hit, false, off, lim));
    assert.deepEqual(z.rangeByScore(r, true, off, lim), window(hit, true, off, lim));
  }
  assert.equal(z.countInScore(r), hit.length);
  // range deletes, then shrink below a quarter of the buffer
  const victims = s.filter(([, x]) => x >= 200 && x < 300);
  assert.equal(z.deleteRangeByScore({ min: 200, max: 300, minex: false, maxex: true }), victims.length);
  for (const [k] of victims) m.delete(k);
  assertValid(z);
  s = sorted(m);
  assert.equal(z.deleteRangeByRank(10, 5009), 5000);
  for (const [k] of s.slice(10, 5010)) m.delete(k);
  assertValid(z);
  for (const k of [...m.keys()]) {
    if (rnd() < 0.9) {
      assert.equal(z.delete(k), true);
      m.delete(k);
    }
  }
  assertValid(z);
  assert.deepEqual([...z], sorted(m));
  // and grows again after compaction
  for (let i = 0; i < 3000; i++) {
    const k = `n:${i}`;
    z.set(k, i % 7);
    m.set(k, i % 7);
  }
  assertValid(z);
  assert.deepEqual([...z], sorted(m));
  while (z.size > 0) {
    const f = z.first()!;
    assert.equal(z.delete(f[0]), true);
  }
  assertValid(z);
  assert.equal(z.first(), undefined);
  assert.equal(z.last(), undefined);
  assert.deepEqual([...z], []);
});

test('rangeByScore with LIMIT on a 100k set: starts found by search, big offsets skipped by rank', () => {
  const name = (i: number) => `m:${String(i).padStart(12, '0')}`;
  const N = 100000;
  const z = new ZSet();
  for (let i = 0; i < N; i++) z.set(name(i), i);
  assertValid(z);
  const expect = (from: number, n: number): Pair[] => {
    const out: Pair[] = [];
    for (let i = from; i < Math.min(from + n, N); i++) out.push([name(i), i]);
    return out;
  };
  const all: ScoreRange = { min: -Infinity, max: Infinity, minex: false, maxex: false };
  for (const start of [0, 1, 4242, 98999, 99990, 99999, 100000]) {
    const r: ScoreRange = { min: start, max: Infinity, minex: false, maxex: false };
    assert.deepEqual(z.rangeByScore(r, false, 0, 10), expect(start, 10));
    assert.deepEqual(z.rangeByScore(r, false, 1000, 2), expect(start + 1000, 2));
    assert.deepEqual(z.rangeByScore({ ...r, minex: true }, false, 16, 3), expect(start + 17, 3));
    assert.deepEqual(z.rangeByScore({ ...all, max: start }, true, 1000, 2), start >= 1000 ? expect(Math.min(start, N - 1) - 1001, 2).reverse() : []);
    assert.equal(z.countInScore(r), Math.max(0, N - start));
  }
});

test('nodes of the maximum level (forced through Math.random) link, unlink and compact like any other', () => {
  const rnd = lcg(7);
  const real = Math.random;
  const z = new ZSet();
  const m = new Map<string, number>();
  try {
    for (let i = 0; i < 6000; i++) {
      // every 500th insert gets level 32 (all random bits zero), the others a deterministic level
      Math.random = i % 500 === 0 ? () => 0 : rnd;
      const k = `k${Math.floor(rnd() * 8000)}`;
      const s = Math.floor(rnd() * 50);
      z.set(k, s);
      m.set(k, s);
    }
  } finally {
    Math.random = real;
  }
  assertValid(z);
  assert.deepEqual([...z], sorted(m));
  const s = sorted(m);
  for (let i = 0; i < s.length; i += 37) assert.equal(z.rank(s[i][0]), i);
  // remove everything but a few: the level drops back, the buffer is compacted
  for (const [k] of s.slice(3)) {
    z.delete(k);
    m.delete(k);
  }
  assertValid(z);
  assert.deepEqual([...z], sorted(m));
});

test('deleteRangeByRank and at() where the rank walk reaches its target on an upper level', () => {
  // shrinking a 600-member set from scattered starts: many starts follow an upper-level node,
  // where the walk stops early and the levels below must get that same predecessor
  const z = new ZSet();
  const m = new Map<string, number>();
  for (let i = 0; i < 600; i++) {
    z.set(`k${i}`, i % 97);
    m.set(`k${i}`, i % 97);
  }
  let step = 0;
  while (m.size > 0) {
    const s = sorted(m);
    for (let i = 0; i < s.length; i += 11) assert.deepEqual(z.at(i), s[i]);
    const a = (step * 37) % s.length;
    const b = a + (step % 3);
    for (const [x] of s.slice(a, b + 1)) m.delete(x);
    assert.equal(z.deleteRangeByRank(a, b), Math.min(b, s.length - 1) - a + 1);
    assertValid(z);
    step++;
  }
  assert.equal(z.size, 0);
});
