import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Out, stringBytes } from '../src/persistence/rdb/writer';
import { parseRdb } from '../src/persistence/rdb/reader';

// The snapshot hands detached pieces to a writer that may queue megabytes of them: a piece must
// not keep a much larger buffer alive than its own bytes.
test('Out.detach hands over the buffer when it is at least half full, else an exact copy', () => {
  const o = new Out(1024);
  o.latin1('x'.repeat(600));
  const full = o.detach();
  assert.equal(full.length, 600);
  assert.equal(full.buffer.byteLength, 1024, 'no copy when half full or more');
  assert.equal(o.pos, 0);
  o.latin1('y'.repeat(100));
  const small = o.detach();
  assert.equal(small.toString('latin1'), 'y'.repeat(100));
  assert.equal(small.buffer.byteLength, 100, 'a copy of just the bytes');
  o.latin1('z'.repeat(5000)); // grows past the initial size
  assert.ok(o.buf.length >= 5000);
  o.detach();
  assert.equal(o.buf.length, 1024, 'back to the initial size after a big piece');
  o.latin1('w'.repeat(10));
  assert.equal(o.detach().toString('latin1'), 'w'.repeat(10));
});

// rdbLoadTime reads the legacy second-resolution expiry as a signed int32: 4,000,000,000 is a
// time before 1970, so the key is expired (Keel once read it unsigned, as a date in 2096).
test('a legacy EXPIRETIME is a signed 32-bit number of seconds', () => {
  const expiry = Buffer.alloc(4);
  expiry.writeUInt32LE(4_000_000_000);
  const rdb = Buffer.concat([
    Buffer.from('REDIS0010\xfe\x00\xfd', 'latin1'),
    expiry,
    Buffer.from([0]),
    stringBytes('old', false),
    stringBytes('v', false),
    Buffer.from('\xfd', 'latin1'),
    Buffer.from([0x00, 0x5e, 0xd0, 0xb2]), // 3000000000 as int32: also before 1970
    Buffer.from([0]),
    stringBytes('older', false),
    stringBytes('v', false),
    Buffer.from([0]),
    stringBytes('kept', false),
    stringBytes('v', false),
    Buffer.from([0xff]),
    Buffer.alloc(8),
  ]);
  const keys: string[] = [];
  const sum = parseRdb(rdb, { entry: (_db, key) => void keys.push(key) });
  assert.deepEqual(keys, ['kept']);
  assert.equal(sum.expired, 2);
});
