/**
 * Collections an RDB load keeps packed (store/packed.ts, persistence/rdb/pack.ts): which ones
 * are, that unpacking gives exactly what decoding gives, that a packed value is written back as
 * the same bytes, and that every unusual value still goes through the reader's decoding (its
 * errors, its conversions) instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { entryChunks, lenBytes, stringBytes, type EncodeOptions } from '../src/persistence/rdb/writer';
import { parseRdb, RdbError } from '../src/persistence/rdb/reader';
import { encodeListpack } from '../src/persistence/rdb/compact';
import { T } from '../src/persistence/rdb/format';
import { Packed, unpacked, type Stored } from '../src/store/packed';
import { Deque } from '../src/store/types/deque';
import { IndexedSet } from '../src/store/types/indexed-set';
import { ZSet } from '../src/store/types/zset';
import type { EncodingLimits, Value } from '../src/store/value';

const OPTS: EncodeOptions = {
  compression: true,
  hashMaxListpackEntries: 128,
  hashMaxListpackValue: 64,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  listMaxListpackSize: 4, // several nodes for small lists
};
const LIMITS: EncodingLimits = OPTS;

function rdbOf(entries: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from('REDIS0010\xfe\x00', 'latin1'), ...entries, Buffer.from([0xff]), Buffer.alloc(8)]);
}

function entryBytes(key: string, v: Stored, o = OPTS): Buffer {
  return Buffer.concat([...entryChunks(key, v, -1, o)]);
}

/** type byte, key, then `payload` as the value */
function rawEntry(type: number, key: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), stringBytes(key, false), payload]);
}

/** `pack` null: every value decoded */
function load(rdb: Buffer, pack: EncodingLimits | null = LIMITS): Map<string, Stored> {
  const got = new Map<string, Stored>();
  parseRdb(rdb, { entry: (_db, key, value) => void got.set(key, value), pack: pack ?? undefined }, -1);
  return got;
}

/** a comparable form of a value */
function plain(v: Value): unknown {
  if (typeof v === 'string') return v;
  if (v instanceof Deque) return ['list', [...v]];
  if (v instanceof Map) return ['hash', [...v]];
  if (v instanceof IndexedSet) return ['set', [...v].sort()];
  return ['zset', [...(v as ZSet)].map(([m, s]) => [m, Object.is(s, -0) ? '-0' : s])];
}

function zset(pairs: [string, number][]): ZSet {
  const z = new ZSet();
  for (const [m, s] of pairs) z.set(m, s);
  return z;
}

test('small collections load packed; unpacking gives what decoding gives, and they save as the same bytes', () => {
  const values: Record<string, Value> = {
    hash: new Map([
      ['f', 'v'],
      ['n', '42'],
      ['neg', '-9000000000'],
      ['empty', ''],
      ['long', 'x'.repeat(64)],
    ]),
    zset: zset([
      ['a', 1],
      ['b', 2.5],
      ['c', -3],
      ['top', Infinity],
      ['bottom', -Infinity],
      ['tenth', 0.1],
      ['big', 1125899906842624.2],
    ]),
    intset: new IndexedSet(['1', '-3', '70000', '5000000000']),
    list: new Deque(['a', 'b', '1', '-7', '', 'x'.repeat(300), 'c', 'd', 'e']),
  };
  const rdb = rdbOf(Object.entries(values).map(([k, v]) => entryBytes(k, v)));
  const eager = load(rdb, null);
  const got = load(rdb);
  for (const [k, v] of Object.entries(values)) {
    const p = got.get(k);
    assert.ok(p instanceof Packed, `${k} is packed`);
    assert.deepEqual(plain(p.unpack()), plain(v), k);
    assert.deepEqual(plain(p.unpack()), plain(eager.get(k) as Value), `${k}: as the reader decodes it`);
    assert.deepEqual(entryBytes(k, p), entryBytes(k, v), `${k}: written back as the same bytes`);
    assert.deepEqual(entryBytes(k, p, { ...OPTS, compression: false }), entryBytes(k, v, { ...OPTS, compression: false }));
  }
  assert.equal((got.get('list') as Packed).count, 9);
  assert.equal((got.get('hash') as Packed).count, 5);
});

test('values past the encoding limits are decoded at load, as Redis converts them', () => {
  const rdb = rdbOf([
    entryBytes('hash', new Map([['f', 'v'], ['g', 'w'], ['h', 'x']])),
    entryBytes('zset', zset([['a', 1], ['b', 2], ['c', 3]])),
    entryBytes('intset', new IndexedSet(['1', '2', '3'])),
    entryBytes('longval', new Map([['f', 'y'.repeat(40)]])),
  ]);
  const got = load(rdb, { hashMaxListpackEntries: 2, hashMaxListpackValue: 30, zsetMaxListpackEntries: 2, zsetMaxListpackValue: 64, setMaxIntsetEntries: 2 });
  assert.ok(got.get('hash') instanceof Map);
  assert.ok(got.get('zset') instanceof ZSet);
  assert.ok(got.get('intset') instanceof IndexedSet);
  assert.ok(got.get('longval') instanceof Map);
});

/** a listpack whose elements are all in the string encoding (lpAppend would make "5" an integer) */
function stringListpack(items: string[]): Buffer {
  const parts = items.map((s) => {
    const head = s.length < 64 ? [0x80 | s.length] : [0xe0 | (s.length >> 8), s.length & 0xff];
    const size = head.length + s.length; // under 128 here: a one-byte back-length
    return Buffer.concat([Buffer.from(head), Buffer.from(s, 'latin1'), Buffer.from([size])]);
  });
  const body = Buffer.concat(parts);
  const out = Buffer.alloc(6 + body.length + 1);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt16LE(items.length, 4);
  body.copy(out, 6);
  out[out.length - 1] = 0xff;
  return out;
}

test('a repeated field is still refused, also when one copy is an integer and the other its digits', () => {
  const plainDup = rawEntry(T.HASH_LISTPACK, 'h', stringBytes(encodeListpack(['a', '1', 'a', '2']).toString('latin1'), false));
  assert.throws(() => load(rdbOf([plainDup])), (e: unknown) => e instanceof RdbError && /duplicate hash field/.test(e.message));
  // "5" as a string next to 5 as an integer (each integer encoding): the same field
  for (const n of ['5', '-7', '300', '-4000', '70000', '-9000000', '2147483647', '-9000000000', '9007199254740993', '-9223372036854775808']) {
    const mixed = Buffer.concat([stringListpack([n, 'x']).subarray(0, -1), encodeListpack([n, 'y']).subarray(6)]);
    mixed.writeUInt32LE(mixed.length, 0);
    mixed.writeUInt16LE(4, 4);
    assert.throws(() => load(rdbOf([rawEntry(T.HASH_LISTPACK, 'h', stringBytes(mixed.toString('latin1'), false))])), /duplicate hash field/, n);
  }
  const zdup = rawEntry(T.ZSET_LISTPACK, 'z', stringBytes(encodeListpack(['m', '1', 'm', '2']).toString('latin1'), false));
  assert.throws(() => load(rdbOf([zdup])), /duplicate zset member/);
});

test('corrupt, empty and odd values get the reader: its errors, its skips, its repairs', () => {
  const lp = encodeListpack(['f', 'v']);
  const bad = Buffer.from(lp);
  bad[bad.length - 1] = 0x00; // no terminator
  assert.throws(() => load(rdbOf([rawEntry(T.HASH_LISTPACK, 'h', stringBytes(bad.toString('latin1'), false))])), /terminator/);
  // a score that is not a number
  const nan = rawEntry(T.ZSET_LISTPACK, 'z', stringBytes(stringListpack(['m', 'abc']).toString('latin1'), false));
  assert.throws(() => load(rdbOf([nan])), /invalid zset score "abc"/);
  // an empty listpack: an empty key, skipped
  let empties = 0;
  parseRdb(rdbOf([rawEntry(T.HASH_LISTPACK, 'h', stringBytes(encodeListpack([]).toString('latin1'), false))]), { entry: () => assert.fail('loaded'), emptyKey: () => void empties++, pack: LIMITS }, -1);
  assert.equal(empties, 1);
  // -0 in a listpack is left to the loader's repair (it becomes 0), and so are score texts
  // other than plain decimals, which strtod may read otherwise than JS ("0b1", a leading space)
  for (const score of ['-0', '-0.0', '0b1', '0o7', '0x10', '\xa05', ' 5', ' '.repeat(100) + '5', '+5', '1.', '.5', 'Infinity']) {
    const z = rawEntry(T.ZSET_LISTPACK, 'z', stringBytes(stringListpack(['m', score]).toString('latin1'), false));
    assert.ok(load(rdbOf([z])).get('z') instanceof ZSet, JSON.stringify(score));
  }
  // the texts Redis writes (d2string: %.17g, inf), and plain decimals, stay packed
  for (const score of ['0.10000000000000001', '0.1', '1.50', '2.5', 'inf', '-inf', '-3.5', '1e+20', '1e20', '1' + '0'.repeat(100)]) {
    const z = rawEntry(T.ZSET_LISTPACK, 'z', stringBytes(stringListpack(['m', score]).toString('latin1'), false));
    const got = load(rdbOf([z])).get('z');
    assert.ok(got instanceof Packed, score);
    assert.equal((unpacked(got) as ZSet).score('m'), score === 'inf' ? Infinity : score === '-inf' ? -Infinity : Number(score));
  }
  // an intset out of order is decoded (duplicates dropped as Redis's load does), not packed
  const intset = Buffer.alloc(8 + 3 * 2);
  intset.writeUInt32LE(2, 0);
  intset.writeUInt32LE(3, 4);
  [5, 5, 1].forEach((v, i) => intset.writeInt16LE(v, 8 + i * 2));
  const s = load(rdbOf([rawEntry(T.SET_INTSET, 's', stringBytes(intset.toString('latin1'), false))])).get('s');
  assert.ok(s instanceof IndexedSet);
  assert.deepEqual([...s].sort(), ['1', '5']);
  // a list with an empty node: decoded, the node skipped
  const list = Buffer.concat([lenBytes(2), lenBytes(2), stringBytes(encodeListpack([]).toString('latin1'), false), lenBytes(2), stringBytes(encodeListpack(['a']).toString('latin1'), false)]);
  const l = load(rdbOf([rawEntry(T.LIST_QUICKLIST_2, 'l', list)])).get('l');
  assert.ok(l instanceof Deque);
  assert.deepEqual([...l], ['a']);
});

// Found in review: the member table was sized from the header's count, and a full table made
// the duplicate check spin for ever (a hash listpack past the limits, 65535 "count unknown", a
// header that understates). Run in a child process, so a regression fails instead of hanging.
function loadsInChild(rdb: Buffer): string {
  const script = `
    const { parseRdb } = require(${JSON.stringify(path.join(__dirname, '../src/persistence/rdb/reader'))});
    const rdb = Buffer.from(${JSON.stringify(rdb.toString('base64'))}, 'base64');
    try { let n = 0; parseRdb(rdb, { entry: () => void n++, pack: ${JSON.stringify(LIMITS)} }, -1); console.log('loaded ' + n); }
    catch (e) { console.log('error: ' + e.message); }`;
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 20000, encoding: 'utf8' });
  assert.equal(r.signal, null, 'the load did not finish within 20 s');
  return r.stdout.trim();
}

test('listpacks longer than the limits or than their header says end the check instead of looping', () => {
  const items: string[] = [];
  for (let i = 0; i < 2100; i++) items.push(`f${i}`, 'v');
  const big = encodeListpack(items);
  big.writeUInt16LE(65535, 4); // "count unknown", as Redis writes past 65534 elements
  assert.equal(loadsInChild(rdbOf([rawEntry(T.HASH_LISTPACK, 'h', stringBytes(big.toString('latin1'), false))])), 'loaded 1');
  const understated = encodeListpack(items.slice(0, 40));
  understated.writeUInt16LE(4, 4);
  assert.match(loadsInChild(rdbOf([rawEntry(T.HASH_LISTPACK, 'h', stringBytes(understated.toString('latin1'), false))])), /header says 4 elements, found 40/);
  // within the limits (a big hash-max-listpack-entries) but past what the header says
  const lim = { ...LIMITS, hashMaxListpackEntries: 100000 };
  const packedBig = encodeListpack(items);
  packedBig.writeUInt16LE(65535, 4);
  const got = load(rdbOf([rawEntry(T.HASH_LISTPACK, 'h', stringBytes(packedBig.toString('latin1'), false))]), lim).get('h');
  assert.ok(got instanceof Packed);
  assert.equal(got.count, 2100);
});

// Found in review: bytes the reader tolerates but would not write (a wrong back-length, a zset
// out of order) were written back as they came. Such values are decoded, so a save re-encodes them.
test('a value the reader would repair is decoded, so a save writes it repaired', () => {
  const lp = encodeListpack(['f', 'v', 'g', 'w']);
  lp[8] = 0x05; // back-length of "f" (2) made 5
  assert.ok(load(rdbOf([rawEntry(T.HASH_LISTPACK, 'h', stringBytes(lp.toString('latin1'), false))])).get('h') instanceof Map);
  for (const items of [['b', '2', 'a', '1'], ['b', '1', 'a', '1'], ['a', '1', 'a2', '0.5']]) {
    const z = load(rdbOf([rawEntry(T.ZSET_LISTPACK, 'z', stringBytes(encodeListpack(items).toString('latin1'), false))])).get('z');
    assert.ok(z instanceof ZSet, `${items} is decoded`);
  }
  // in order (score, then member bytes; integers compared as their digits): packed
  for (const items of [['a', '1', 'b', '1', 'c', '2'], ['10', '1', '9', '1'], ['x', '-inf', 'y', '0', 'z', 'inf']]) {
    assert.ok(load(rdbOf([rawEntry(T.ZSET_LISTPACK, 'z', stringBytes(encodeListpack(items).toString('latin1'), false))])).get('z') instanceof Packed, `${items} is packed`);
  }
});
