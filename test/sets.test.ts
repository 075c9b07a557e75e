/**
 * Sets beyond what byte comparison with redis-server can cover: the IndexedSet behind them
 * (checked against a plain JS Set), the distribution of SPOP / SRANDMEMBER over many calls,
 * SPOP with a count on big sets, and SSCAN / HSCAN / ZSCAN while the collection changes between calls.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IndexedSet } from '../src/store/types/indexed-set';
import { isIntegerString } from '../src/store/value';
import { startTestServer, type TestServer } from './helpers';
import { cachedScanCount, pruneScanCache } from '../src/commands/collscan';

/** Counts how often each member came up; every count must lie in [lo, hi]. */
function assertSpread(samples: string[], members: string[], lo: number, hi: number): void {
  const counts = new Map<string, number>(members.map((m) => [m, 0]));
  for (const s of samples) {
    assert.ok(counts.has(s), `unexpected member ${s}`);
    counts.set(s, counts.get(s)! + 1);
  }
  for (const [m, n] of counts) assert.ok(n >= lo && n <= hi, `member ${m} came up ${n} times, expected ${lo}..${hi}`);
}

describe('IndexedSet', () => {
  test('behaves as a Set under random adds, deletes, pops and clears', () => {
    const member = fc.oneof(fc.constantFrom('a', 'b', 'c', 'x y', '', '-0', '007'), fc.integer({ min: -20, max: 20 }).map(String));
    const op = fc.oneof(
      fc.tuple(fc.constant('add' as const), member),
      fc.tuple(fc.constant('delete' as const), member),
      fc.tuple(fc.constant('pop' as const), fc.constant('')),
      fc.tuple(fc.constant('clear' as const), fc.constant('')),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const s = new IndexedSet();
        const model = new Set<string>();
        for (const [o, m] of ops) {
          if (o === 'add') assert.equal(s.add(m), !model.has(m) && (model.add(m), true));
          else if (o === 'delete') assert.equal(s.delete(m), model.delete(m));
          else if (o === 'clear') {
            s.clear();
            model.clear();
          } else if (model.size > 0) {
            const p = s.popRandom();
            assert.ok(model.delete(p), `popped ${p}, not a member`);
          }
          assert.equal(s.size, model.size);
          assert.deepEqual([...s].sort(), [...model].sort());
          for (const x of model) assert.ok(s.has(x));
          assert.equal(s.allIntegers, [...model].every(isIntegerString));
          if (model.size > 0) assert.ok(model.has(s.random()));
        }
        const copy = s.clone();
        assert.deepEqual([...copy], [...s]);
        copy.add('only-in-copy');
        assert.ok(!s.has('only-in-copy'));
      }),
      { numRuns: 300 },
    );
  });

  test('sample() gives distinct members, in both of its regimes', () => {
    const s = new IndexedSet(Array.from({ length: 100 }, (_, i) => `m${i}`));
    for (const n of [0, 1, 5, 33, 34, 60, 99, 100]) {
      const got = s.sample(n);
      assert.equal(got.length, n);
      assert.equal(new Set(got).size, n);
      for (const m of got) assert.ok(s.has(m));
    }
  });

  test('scan() visits every member present throughout, whatever changes between steps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 7 }), fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 80 }), (n, count, churn) => {
        const stable = Array.from({ length: n }, (_, i) => `s${i}`);
        const s = new IndexedSet(stable);
        const extra: string[] = [];
        let next = 0;
        const seen = new Set<string>();
        let cursor = 0;
        let steps = 0;
        do {
          cursor = s.scan(cursor, count, (m) => seen.add(m));
          // between steps: add members, or delete added ones (moving others around)
          const [add, k] = churn[steps % Math.max(1, churn.length)] ?? [true, 0];
          if (add || extra.length === 0) {
            const m = `x${next++}`;
            s.add(m);
            extra.push(m);
          } else s.delete(extra.splice(k % extra.length, 1)[0]);
          steps++;
        } while (cursor !== 0 && steps < 10000);
        assert.equal(cursor, 0, 'the walk ends');
        for (const m of stable) assert.ok(seen.has(m), `missed ${m}`);
      }),
      { numRuns: 300 },
    );
  });
});

describe('SPOP, SRANDMEMBER and HRANDFIELD', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.close();
  });

  const members = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  test('SRANDMEMBER without a count picks every member about equally often', async () => {
    const r = srv.client();
    const m = members('m', 20);
    await r.del('s');
    await r.sadd('s', ...m);
    const p = r.pipeline();
    for (let i = 0; i < 4000; i++) p.srandmember('s');
    const got = (await p.exec())!.map(([, v]) => v as string);
    assertSpread(got, m, 100, 320); // 200 expected each
  });

  test('SRANDMEMBER with a count: distinct members, uniform, in both sampling regimes', async () => {
    const r = srv.client();
    const m = members('m', 30);
    await r.del('s');
    await r.sadd('s', ...m);
    for (const [count, lo, hi] of [
      [5, 180, 500], // 333 expected each (sparse: random indices)
      [20, 1100, 1570], // 1333 expected each (dense: partial shuffle)
    ]) {
      const p = r.pipeline();
      for (let i = 0; i < 2000; i++) p.srandmember('s', count);
      const all: string[] = [];
      for (const [, v] of (await p.exec())!) {
        const got = v as string[];
        assert.equal(got.length, count);
        assert.equal(new Set(got).size, count, 'no member twice');
        all.push(...got);
      }
      assertSpread(all, m, lo, hi);
    }
    const neg = (await r.srandmember('s', -6000)) as string[];
    assert.equal(neg.length, 6000);
    assertSpread(neg, m, 100, 320); // 200 expected each
    assert.equal(await r.scard('s'), 30, 'SRANDMEMBER leaves the set alone');
  });

  test('SPOP picks every member about equally often', async () => {
    const r = srv.client();
    const m = members('m', 10);
    const p = r.pipeline();
    for (let i = 0; i < 3000; i++) {
      p.del('s');
      p.sadd('s', ...m);
      p.spop('s');
    }
    const res = (await p.exec())!;
    const got = res.filter((_, i) => i % 3 === 2).map(([, v]) => v as string);
    assertSpread(got, m, 180, 420); // 300 expected each
  });

  test('SPOP with a count on a big set pops distinct members and leaves the rest', async () => {
    const r = srv.client();
    const m = members('big:', 200000);
    await r.del('big');
    for (let i = 0; i < m.length; i += 10000) await r.sadd('big', ...m.slice(i, i + 10000));
    const left = new Set(m);
    // small against the set (removed one by one), then most of what is left (Redis rebuilds)
    for (const [count, remaining] of [
      [1000, 199000],
      [190000, 9000],
    ]) {
      const popped = (await r.spop('big', count)) as string[];
      assert.equal(popped.length, count);
      assert.equal(new Set(popped).size, count);
      for (const x of popped) assert.ok(left.delete(x), `popped ${x} twice or never added`);
      assert.equal(await r.scard('big'), remaining);
    }
    const rest = await r.smembers('big');
    assert.deepEqual(rest.sort(), [...left].sort());
    assert.equal(await r.call('OBJECT', 'ENCODING', 'big'), 'hashtable');
    const all = (await r.spop('big', 100000)) as string[];
    assert.equal(all.length, 9000);
    assert.equal(await r.exists('big'), 0);
  });

  test('SPOP with a count that leaves few members of an intset replies ascending', async () => {
    const r = srv.client();
    for (let i = 0; i < 20; i++) {
      await r.del('i');
      await r.sadd('i', '10', '3', '7', '1', '5', '2');
      const popped = (await r.spop('i', 5)) as string[];
      assert.deepEqual(popped, [...popped].sort((a, b) => Number(a) - Number(b)));
      assert.equal(await r.call('OBJECT', 'ENCODING', 'i'), 'intset');
    }
    // a hashtable of integers that SPOP rebuilds is an intset again (checked with redis-server 7.0)
    await r.del('h');
    await r.sadd('h', ...Array.from({ length: 600 }, (_, i) => String(i)));
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), 'hashtable');
    await r.spop('h', 550);
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), 'intset');
    await r.del('h');
    await r.sadd('h', ...Array.from({ length: 600 }, (_, i) => String(i)));
    await r.spop('h', 400);
    assert.equal(await r.call('OBJECT', 'ENCODING', 'h'), 'hashtable');
  });

  test('SSCAN returns every member present throughout while members come and go', async () => {
    const r = srv.client();
    const stable = members('stable:', 3000);
    await r.del('s');
    await r.sadd('s', ...stable);
    const seen = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, got] = (await r.sscan('s', cursor, 'COUNT', 37)) as [string, string[]];
      got.forEach((m) => seen.add(m));
      cursor = next;
      // churn: add members, remove earlier added ones (each removal moves another member)
      await r.sadd('s', `churn:${round}`, `churn2:${round}`);
      if (round > 2) await r.srem('s', `churn:${round - 2}`, `churn2:${round - 3}`);
      round++;
    } while (cursor !== '0' && round < 100000);
    assert.equal(cursor, '0');
    for (const m of stable) assert.ok(seen.has(m), `missing ${m}`);
  });

  test('HSCAN and ZSCAN return every element present throughout while two scans run and the first deletes what it got', async () => {
    const r = srv.client();
    const r2 = srv.client();
    for (const kind of ['hash', 'zset'] as const) {
      await r.del('c');
      const names = members('e', 1000);
      if (kind === 'hash') await r.hset('c', ...names.flatMap((n, i) => [n, String(i)]));
      else await r.zadd('c', ...names.flatMap((n, i) => [String(i % 7), n]));
      const scan = (cl: typeof r, cur: string) => (kind === 'hash' ? cl.hscan('c', cur, 'COUNT', 10) : cl.zscan('c', cur, 'COUNT', 10)) as Promise<[string, string[]]>;
      const deleted = new Set<string>();
      const seenA = new Set<string>();
      const seenB = new Set<string>();
      let [ca, ga] = await scan(r, '0');
      let [cb, gb] = await scan(r2, '0');
      for (;;) {
        const mine = ga.filter((_, i) => i % 2 === 0);
        mine.forEach((m) => seenA.add(m));
        gb.filter((_, i) => i % 2 === 0).forEach((m) => seenB.add(m));
        // the first scanner deletes what it was given: the elements after them must not be skipped
        if (mine.length) {
          if (kind === 'hash') await r.hdel('c', ...mine);
          else await r.zrem('c', ...mine);
          mine.forEach((m) => deleted.add(m));
        }
        if (ca === '0' && cb === '0') break;
        if (ca !== '0') [ca, ga] = await scan(r, ca);
        else ga = [];
        if (cb !== '0') [cb, gb] = await scan(r2, cb);
        else gb = [];
      }
      for (const n of names) {
        if (deleted.has(n)) continue;
        assert.ok(seenA.has(n), `${kind}: the deleting scan missed ${n}`);
        assert.ok(seenB.has(n), `${kind}: the other scan missed ${n}`);
      }
    }
    r2.disconnect();
  });

  test('an HSCAN nobody continues lets its cached iterator go after a minute of idleness', async () => {
    const r = srv.client();
    await r.del('idle');
    await r.hset('idle', ...members('f', 600).flatMap((f) => [f, 'v']));
    const before = cachedScanCount();
    const [cursor] = (await r.hscan('idle', '0', 'COUNT', 10)) as [string, string[]];
    assert.notEqual(cursor, '0');
    assert.equal(cachedScanCount(), before + 1);
    pruneScanCache(Date.now());
    assert.equal(cachedScanCount(), before + 1, 'a fresh one stays');
    pruneScanCache(Date.now() + 61_000);
    assert.equal(cachedScanCount(), 0);
    // the scan still goes on, by position
    const seen = new Set<string>();
    let cur = cursor;
    while (cur !== '0') {
      const [next, got] = (await r.hscan('idle', cur, 'COUNT', 100)) as [string, string[]];
      got.forEach((x, i) => i % 2 === 0 && seen.add(x));
      cur = next;
    }
    assert.equal(seen.size, 590);
  });

  test('sets survive DEBUG RELOAD and COPY with their members and encodings', async () => {
    const r = srv.client();
    await r.flushall();
    await r.sadd('big', ...members('m', 1000));
    await r.srem('big', ...members('m', 300));
    await r.sadd('conv', '1', '2', 'x');
    await r.srem('conv', 'x');
    await r.sadd('ints', '3', '1', '2');
    const before = { big: (await r.smembers('big')).sort(), digest: await r.call('DEBUG', 'DIGEST') };
    await r.call('COPY', 'conv', 'conv2');
    assert.equal(await r.call('OBJECT', 'ENCODING', 'conv2'), 'hashtable', 'COPY keeps a hashtable a hashtable, as setTypeDup');
    await r.del('conv2');
    await r.call('DEBUG', 'RELOAD');
    assert.deepEqual((await r.smembers('big')).sort(), before.big);
    assert.equal(await r.call('DEBUG', 'DIGEST'), before.digest);
    assert.deepEqual(await r.smembers('ints'), ['1', '2', '3']);
    assert.equal(await r.call('OBJECT', 'ENCODING', 'conv'), 'intset', 'a reload builds the set from its content');
  });

  // HRANDFIELD keeps a field list per hash between calls: commands that add or remove fields
  // must drop it, or a deleted field could come back (a swap keeps the size the same)
  test('follows every change to the set of fields (HSET, HSETNX, HDEL, HINCRBY, HINCRBYFLOAT)', async () => {
    const r = srv.client();
    await r.del('h');
    await r.hset('h', Object.fromEntries(members('f', 1000).map((f) => [f, 'v'])));
    assert.match((await r.hrandfield('h')) as string, /^f\d+$/);
    await r.hdel('h', ...members('f', 998));
    for (let i = 0; i < 20; i++) assert.match((await r.hrandfield('h')) as string, /^f99[89]$/);
    const seen = async () => [...new Set((await r.call('HRANDFIELD', 'h', '-300')) as string[])].sort();
    assert.deepEqual(await seen(), ['f998', 'f999']);
    const adds: [string, () => Promise<unknown>][] = [
      ['a', () => r.hset('h', 'a', '1')],
      ['b', () => r.hsetnx('h', 'b', '1')],
      ['c', () => r.hincrby('h', 'c', 1)],
      ['d', () => r.hincrbyfloat('h', 'd', 1.5)],
    ];
    let present = ['f998', 'f999'];
    for (const [field, add] of adds) {
      // a swap between two calls: one field out, one in, the same size
      const out = present[0];
      await r.hdel('h', out);
      await add();
      present = [...present.slice(1), field].sort();
      assert.deepEqual(await seen(), present, `after HDEL ${out} and adding ${field}`);
    }
    // values are read at pick time
    await r.hset('h', present[0], 'new');
    const pairs = (await r.hrandfield('h', 2, 'WITHVALUES')) as string[];
    assert.equal(pairs[pairs.indexOf(present[0]) + 1], 'new');
  });

  test('a count below the size gives distinct fields with their values, in both sampling regimes', async () => {
    const r = srv.client();
    await r.del('h');
    await r.hset('h', Object.fromEntries(members('f', 300).map((f) => [f, `v-${f}`])));
    for (const count of [5, 250]) {
      const got = (await r.hrandfield('h', count, 'WITHVALUES')) as string[]; // flat: ioredis's call() nests WITHVALUES pairs
      assert.equal(got.length, 2 * count);
      const names = got.filter((_, i) => i % 2 === 0);
      assert.equal(new Set(names).size, count, 'distinct');
      for (let i = 0; i < got.length; i += 2) assert.equal(got[i + 1], `v-${got[i]}`);
    }
    assert.equal(((await r.call('HRANDFIELD', 'h', '300')) as string[]).length, 300);
  });
});
