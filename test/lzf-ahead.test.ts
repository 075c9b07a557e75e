import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRdbSteps, RdbError } from '../src/persistence/rdb/reader';
import { lzfAheadFor, RING_BYTES, TABLE_SLOTS } from '../src/persistence/rdb/lzf-ahead';
import { lzfCompress } from '../src/persistence/rdb/lzf';
import { stringBytes, lenBytes } from '../src/persistence/rdb/writer';
import type { Value } from '../src/store/value';
import { unpacked } from '../src/store/packed';

// A load decompresses LZF strings on a worker ahead of the parse (files of 4 MB and more):
// whatever the worker does, the parse must give the same keys, values and errors as without it.

/** compressible text, different per i */
function text(i: number, len: number): string {
  let s = '';
  while (s.length < len) s += `item ${i} alpha beta ${i % 97} gamma delta `;
  return s.slice(0, len);
}

/** An RDB (no checksum) of string keys, in a SharedArrayBuffer as the loader reads big files. */
function rdbOf(pieces: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), ...pieces, Buffer.from([0xff]), Buffer.alloc(8)]);
  const shared = Buffer.from(new SharedArrayBuffer(body.length));
  body.copy(shared);
  return shared;
}

function stringKey(key: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0]), stringBytes(key, true), stringBytes(value, true)]);
}

/** An LZF string bigger than the writer ever compresses (so bigger than the worker takes). */
function bigLzfKey(key: string, value: string): Buffer {
  const raw = Buffer.from(value, 'latin1');
  const c = lzfCompress(raw, raw.length - 1)!;
  return Buffer.concat([Buffer.from([0]), stringBytes(key, true), Buffer.from([0xc3]), lenBytes(c.length), lenBytes(raw.length), c]);
}

function parse(buf: Buffer, ahead: boolean, headStartMs = 0): { entries: [string, Value][]; hits: number } {
  const entries: [string, Value][] = [];
  const worker = ahead ? lzfAheadFor(buf) : null;
  if (ahead) assert.ok(worker, 'a shared buffer of 4 MB or more gets a worker');
  // the worker fills its whole ring meanwhile: every later string waits for space to be released
  if (headStartMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, headStartMs);
  const steps = parseRdbSteps(buf, { entry: (_db, key, value) => void entries.push([key, unpacked(value)]) }, -1, false, undefined, worker);
  for (let r = steps.next(); !r.done; r = steps.next());
  return { entries, hits: worker?.hits ?? 0 };
}

test('the parse gives the same dataset with and without the worker, through ring and table wrap-arounds', () => {
  const pieces: Buffer[] = [];
  // more strings than table slots and more bytes than the ring holds
  const n = TABLE_SLOTS + 20000;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const v = text(i, 200 + (i % 300));
    bytes += v.length;
    pieces.push(stringKey(`k:${i}`, v));
    if (i === 1000) pieces.push(bigLzfKey('big', text(7, RING_BYTES / 2))); // left to the parser
  }
  assert.ok(bytes > RING_BYTES);
  const buf = rdbOf(pieces);
  const plain = parse(buf, false);
  const fast = parse(buf, true);
  assert.equal(fast.entries.length, n + 1);
  assert.deepEqual(fast.entries, plain.entries);
  const late = parse(buf, true, 1000);
  assert.deepEqual(late.entries, plain.entries);
  assert.ok(late.hits > n / 2, `the worker decompressed ${late.hits} of ${n} strings`);
  assert.deepEqual(fast.entries, plain.entries);
  assert.ok(fast.hits > 0, `the worker decompressed none of ${n} strings`);
});

test('a corrupt LZF string is reported at the same offset with the worker', () => {
  const pieces: Buffer[] = [];
  let data = -1;
  let offset = 9;
  for (let i = 0; i < 120000; i++) {
    const piece = stringKey(`k:${i}`, text(i, 300));
    if (i === 90000) {
      // [type][key][0xc3][clen][olen][data]: make the data's first token a back reference before the output start
      const valueAt = 1 + stringBytes(`k:${i}`, true).length;
      assert.equal(piece[valueAt], 0xc3);
      const lenAt = (p: number): number => (piece[p] >> 6 === 0 ? 1 : 2); // lengths < 16384 here
      const clenSize = lenAt(valueAt + 1);
      data = offset + valueAt + 1 + clenSize + lenAt(valueAt + 1 + clenSize);
    }
    offset += piece.length;
    pieces.push(piece);
  }
  const buf = rdbOf(pieces);
  buf[data] = 0xe0;
  buf[data + 1] = 0xff;
  const errOf = (ahead: boolean): RdbError => {
    try {
      parse(buf, ahead);
    } catch (e) {
      assert.ok(e instanceof RdbError, String(e));
      return e;
    }
    assert.fail('the corrupt file parsed');
  };
  const plain = errOf(false);
  const fast = errOf(true);
  assert.match(plain.message, /invalid LZF compressed string/);
  assert.equal(fast.message, plain.message);
});
