/**
 * A big snapshot's file is finished on a worker thread (src/persistence/offload.ts): strings
 * marked instead of compressed, LZF, CRC64 and writes over there. The file must be byte for
 * byte what the main thread alone writes for the same dataset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServer } from '../src/index';
import { Snapshot } from '../src/persistence/snapshot';
import { writeSnapshotSync } from '../src/persistence/background';
import { encodeOptions } from '../src/persistence/rdb-persistence';
import { OFFLOAD_MIN_KEYS, OffloadedFile, TRAILER_NONE } from '../src/persistence/offload';
import { aofCommandsFormat } from '../src/persistence/aof/resp';
import { Out, finishDeferred, stringEntryInto, type EncodeOptions } from '../src/persistence/rdb/writer';
import { Deque } from '../src/store/types/deque';
import { IndexedSet } from '../src/store/types/indexed-set';
import { ZSet } from '../src/store/types/zset';

test('finishDeferred turns marked strings into what the main thread writes for them', () => {
  const o: EncodeOptions = { compression: true, hashMaxListpackEntries: 128, hashMaxListpackValue: 64, zsetMaxListpackEntries: 128, zsetMaxListpackValue: 64, setMaxIntsetEntries: 512, listMaxListpackSize: -2 };
  const strings = ['', 'a'.repeat(21), 'abc'.repeat(40), randomBytes(300).toString('latin1'), '12345', 'x'.repeat(20), 'y'.repeat(5000)];
  const inline = new Out(64);
  const marked = new Out(64);
  marked.marks = [];
  for (const s of strings) {
    stringEntryInto(inline, s, s, -1, o);
    stringEntryInto(marked, s, s, -1, o);
  }
  const want = inline.detach();
  const marks = marked.takeMarks();
  assert.ok(marks !== null && marks.length > 0, 'compressible strings were marked');
  const got = new Out(64);
  finishDeferred(marked.detach(), marks, got);
  assert.ok(got.detach().equals(want));
});

test('a snapshot finished on the worker thread is byte for byte the one written inline (RDB with and without checksum, AOF commands)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-offload-'));
  const s = await startServer({ port: 0, dir, save: '', loglevel: 'warning' });
  try {
    const srv = s.server;
    const ks = srv.keyspace;
    const db0 = ks.dbs[0];
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa'.split(' ');
    const n = Math.ceil(OFFLOAD_MIN_KEYS * 1.3);
    for (let i = 0; i < n; i++) {
      let v: string;
      switch (i % 5) {
        case 0:
          v = String(i); // integer-encoded
          break;
        case 1:
          v = `${words[i % 10]} ${words[(i >> 3) % 10]} ${words[i % 7]} ${i}`.repeat(1 + (i % 4)); // compressible
          break;
        case 2:
          v = randomBytes(24 + (i % 200)).toString('latin1'); // does not compress
          break;
        case 3:
          v = 'z'.repeat(i % 21); // too short to compress
          break;
        default:
          v = 'w'.repeat(70_000 + i); // longer than a gathering buffer
      }
      if (i % 5 === 4 && i > 200) continue; // a few long ones are enough
      ks.set(db0, `key:${i}`, v, false, i % 7 === 0 ? Date.now() + 3_600_000 + i : -1);
    }
    // collections take the generator path (compressed on the main thread), between marked pieces
    for (let i = 0; i < 300; i++) {
      const size = i % 3 === 0 ? 5 : 300; // listpack / plain encodings
      const h = new Map<string, string>();
      const l = new Deque<string>();
      const st = new IndexedSet();
      const z = new ZSet();
      for (let j = 0; j < size; j++) {
        h.set(`field:${j}`, `value ${j} ${words[j % 10]} ${words[(j + i) % 10]}`);
        l.push(`item ${j} ${words[j % 10]}`);
        st.add(i % 2 ? String(j) : `member:${j}:${words[j % 10]}`);
        z.add(`member:${j}`, j * 1.5, 0);
      }
      ks.set(db0, `hash:${i}`, h);
      ks.set(db0, `list:${i}`, l);
      ks.set(db0, `set:${i}`, st);
      ks.set(db0, `zset:${i}`, z);
    }
    assert.ok(db0.dict.size >= OFFLOAD_MIN_KEYS, 'enough keys for the worker thread');
    const encode = encodeOptions(srv);
    const aux: [string, string][] = [['redis-ver', '7.0.15']];
    for (const checksum of [true, false]) {
      const chunks: Buffer[] = [];
      const inline = new Snapshot(ks, { encode, aux, sink: (b) => chunks.push(Buffer.from(b)) });
      inline.checksum = checksum;
      inline.runSync();
      inline.detach();
      const want = Buffer.concat(chunks);
      const target = path.join(dir, `offloaded-${checksum}.rdb`);
      writeSnapshotSync(srv, path.join(dir, 'temp.rdb'), target, { encode, aux }, checksum);
      const got = fs.readFileSync(target);
      assert.equal(got.length, want.length, `same length (checksum ${checksum})`);
      assert.ok(got.equals(want), `same bytes (checksum ${checksum})`);
    }
    // an AOF BASE without preamble: commands, no marks, no checksum
    const format = aofCommandsFormat(false);
    const chunks: Buffer[] = [];
    const inline = new Snapshot(ks, { encode, aux, format, sink: (b) => chunks.push(Buffer.from(b)) });
    inline.runSync();
    inline.detach();
    const target = path.join(dir, 'offloaded.aof');
    writeSnapshotSync(srv, path.join(dir, 'temp.aof'), target, { encode, aux, format }, true);
    assert.ok(fs.readFileSync(target).equals(Buffer.concat(chunks)), 'same bytes (AOF commands)');
  } finally {
    await s.close({ save: false });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The SAVE/BGSAVE back-pressure rests on this count; it once read each piece's length after the
// transfer had emptied it, so it stayed 0 and the worker's queue grew with the whole file.
test('OffloadedFile counts the bytes it handed over until the worker has written them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-offload-'));
  try {
    const file = path.join(dir, 'out');
    const off = new OffloadedFile(fs.openSync(file, 'w'), false);
    assert.ok(off.waitReady(10_000), 'the worker starts');
    const piece = 4 * 1024 * 1024;
    // read right after each hand-over: the worker may have written earlier pieces already (it
    // runs meanwhile), but it cannot have written the one just handed over
    let most = 0;
    for (let i = 0; i < 8; i++) {
      off.write(Buffer.allocUnsafeSlow(piece).fill(i), null, true);
      const backlog = off.backlog;
      assert.ok(backlog <= (i + 1) * piece, `backlog ${backlog} after ${i + 1} pieces`);
      most = Math.max(most, backlog);
    }
    assert.ok(most >= piece, `backlog at most ${most} right after handing over pieces of ${piece}`);
    off.waitBacklog(0);
    assert.equal(off.backlog, 0);
    off.end(TRAILER_NONE);
    assert.equal(off.waitSettled(), null);
    const data = fs.readFileSync(file);
    assert.equal(data.length, 8 * piece);
    for (let i = 0; i < 8; i++) assert.equal(data[i * piece], i, `piece ${i} in order`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
