/**
 * LZF codec: whatever the compressor produces decompresses to the input (text-like data with
 * repeats, runs, random bytes), and malformed input throws instead of reading or writing out
 * of bounds. Redis interoperability of the format is covered by the RDB tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lzfCompress, lzfDecompress, lzfDecompressInto } from '../src/persistence/rdb/lzf';

const words = fc.constantFrom('user', 'id', ':', ' ', 'session', '0', '1', '42', 'x'.repeat(70), 'ab'.repeat(40));
const data = fc.oneof(
  fc.array(words, { minLength: 1, maxLength: 400 }).map((w) => Buffer.from(w.join(''), 'latin1')),
  fc.uint8Array({ minLength: 1, maxLength: 3000 }).map((a) => Buffer.from(a)),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 5000 })).map(([b, n]) => Buffer.alloc(n, b)),
);

test('LZF round trip', () => {
  fc.assert(
    fc.property(data, (input) => {
      const c = lzfCompress(input, input.length + 64);
      if (c === null) return;
      assert.deepEqual(lzfDecompress(c, input.length), input);
      // into a larger scratch buffer, from an offset inside a bigger input
      const framed = Buffer.concat([Buffer.from([9, 9, 9]), c, Buffer.from([7])]);
      const out = Buffer.alloc(input.length + 100);
      lzfDecompressInto(framed, 3, 3 + c.length, out, input.length);
      assert.deepEqual(out.subarray(0, input.length), input);
    }),
    { numRuns: 300 },
  );
});

test('LZF rejects truncated, corrupted and wrongly sized input', () => {
  fc.assert(
    fc.property(data, fc.nat(), fc.integer({ min: 0, max: 255 }), (input, at, byte) => {
      const c = lzfCompress(input, input.length + 64);
      if (c === null) return;
      assert.throws(() => lzfDecompress(c, input.length + 1), /LZF/);
      if (input.length > 1) assert.throws(() => lzfDecompress(c, input.length - 1), /LZF/);
      assert.throws(() => lzfDecompress(c.subarray(0, c.length - 1), input.length), /LZF/);
      const bad = Buffer.from(c);
      bad[at % bad.length] = byte;
      try {
        const out = lzfDecompress(bad, input.length);
        assert.equal(out.length, input.length);
      } catch (e) {
        assert.match((e as Error).message, /LZF/);
      }
    }),
    { numRuns: 300 },
  );
});
