/**
 * Dict against Map: the same operations give the same results, and iterators opened at any
 * moment yield exactly what a Map iterator would, whatever inserts, deletes, clears and
 * rehashes happen while they are open (SCAN and the snapshot walk depend on this).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dict } from '../src/store/dict';

type Op =
  | { t: 'set'; k: string; v: number }
  | { t: 'del'; k: string }
  | { t: 'clear' }
  | { t: 'reserve'; n: number }
  | { t: 'open' }
  | { t: 'step'; it: number; n: number };

const key = fc.integer({ min: 0, max: 60 }).map((i) => `k${i}`);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ t: fc.constant('set' as const), k: key, v: fc.integer() }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('del' as const), k: key }) },
  { weight: 1, arbitrary: fc.constant({ t: 'clear' as const }) },
  // a loader's size hint: only an empty dict takes it
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reserve' as const), n: fc.integer({ min: 0, max: 200 }) }) },
  { weight: 2, arbitrary: fc.constant({ t: 'open' as const }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('step' as const), it: fc.nat(), n: fc.integer({ min: 1, max: 5 }) }) },
);

test('Dict behaves like Map, iterators included', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const m = new Map<string, number>();
      const d = new Dict<number>();
      const its: [Iterator<[string, number]>, Iterator<[string, number]>][] = [];
      for (const o of ops) {
        if (o.t === 'set') {
          m.set(o.k, o.v);
          d.set(o.k, o.v);
        } else if (o.t === 'del') {
          assert.equal(d.delete(o.k), m.delete(o.k));
        } else if (o.t === 'clear') {
          m.clear();
          d.clear();
        } else if (o.t === 'reserve') {
          d.reserve(o.n);
        } else if (o.t === 'open') {
          its.push([m.entries(), d.entries()]);
        } else if (its.length !== 0) {
          const [a, b] = its[o.it % its.length];
          for (let i = 0; i < o.n; i++) assert.deepEqual(b.next(), a.next());
        }
        assert.equal(d.size, m.size);
      }
      for (const [a, b] of its) {
        for (;;) {
          const x = a.next();
          assert.deepEqual(b.next(), x);
          if (x.done) break;
        }
      }
      assert.deepEqual([...d], [...m]);
      assert.deepEqual([...d.keys()], [...m.keys()]);
      assert.deepEqual([...d.values()], [...m.values()]);
      for (let i = 0; i <= 60; i++) {
        assert.equal(d.get(`k${i}`), m.get(`k${i}`));
        assert.equal(d.has(`k${i}`), m.has(`k${i}`));
      }
    }),
    { numRuns: 400 },
  );
});

test('Dict: many keys, growth and compaction under churn', () => {
  const m = new Map<string, number>();
  const d = new Dict<number>();
  const it = [m.entries(), d.entries()] as const;
  for (let i = 0; i < 50000; i++) {
    const k = `key:${(i * 7919) % 20011}`;
    if (i % 3 === 2) assert.equal(d.delete(k), m.delete(k));
    else {
      m.set(k, i);
      d.set(k, i);
    }
    if (i % 97 === 0) assert.deepEqual(it[1].next(), it[0].next());
  }
  assert.equal(d.size, m.size);
  assert.deepEqual([...d], [...m]);
  for (;;) {
    const x = it[0].next();
    assert.deepEqual(it[1].next(), x);
    if (x.done) break;
  }
});

test('Dict.randomEntry returns live entries, all of them eventually', () => {
  const d = new Dict<number>();
  assert.equal(d.randomEntry(), undefined);
  for (let i = 0; i < 100; i++) d.set(`k${i}`, i);
  for (let i = 0; i < 90; i++) d.delete(`k${i}`);
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const [k, v] = d.randomEntry()!;
    assert.equal(d.get(k), v);
    seen.add(k);
  }
  assert.equal(seen.size, 10);
});

test('Dict keys are binary-safe latin1 strings, the empty string included', () => {
  const d = new Dict<number>();
  const keys = ['', '\x00', '\x00\x00', '\xff', 'a\r\nb', 'é'];
  keys.forEach((k, i) => d.set(k, i));
  keys.forEach((k, i) => assert.equal(d.get(k), i));
  assert.equal(d.size, keys.length);
});

// An RDB load appends keys unindexed and indexes them in runs (Dict.append, indexAppended)
test('Dict.append then indexAppended: the same table as set(), and the first repeated key found', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 2000 }),
      fc.integer({ min: 0, max: 3000 }),
      fc.array(fc.nat(), { maxLength: 5 }),
      (raw, reserve, cuts) => {
        const keys = [...new Set(raw)].map((i) => `key:${i}`);
        const d = new Dict<number>();
        d.reserve(reserve);
        // indexed in runs of any length (a load indexes before each expired key's check)
        const at = new Set(cuts.map((c) => c % (keys.length + 1)));
        keys.forEach((k, i) => {
          if (at.has(i)) assert.equal(d.indexAppended(), -1);
          d.append(k, i);
        });
        assert.equal(d.indexAppended(), -1);
        assert.equal(d.size, keys.length);
        keys.forEach((k, i) => assert.equal(d.get(k), i));
        assert.equal(d.get('key:absent'), undefined);
        assert.deepEqual([...d.keys()], keys);
        // it goes on as an ordinary table
        d.set('new', -1);
        if (keys.length) assert.equal(d.delete(keys[0]), true);
        assert.equal(d.get('new'), -1);
        if (keys.length === 0) return;
        assert.equal(d.size, keys.length);
        // a key appended twice: the later copy's entry number
        const e = new Dict<number>();
        const j = raw.length % keys.length;
        keys.forEach((k, i) => e.append(k, i));
        e.append(keys[j], -1);
        e.append('after', 0);
        assert.equal(e.indexAppended(), keys.length);
        assert.equal(e.keyAt(keys.length), keys[j]);
      },
    ),
  );
});

test('Dict: a lookup on a table with a key appended twice throws instead of answering', () => {
  const d = new Dict<number>();
  d.append('a', 1);
  d.append('a', 2);
  assert.throws(() => d.get('a'), /appended twice/);
});
