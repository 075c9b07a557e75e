import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Out } from '../src/persistence/rdb/writer';

// The snapshot hands detached pieces to a writer that may queue 32 MB of them: a piece must
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
