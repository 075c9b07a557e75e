/**
 * Odd and damaged files found by a robustness test helper, each compared with what
 * redis-server 7.0.15 does on the same bytes: a clear error naming the file and offset where
 * Redis refuses, the same data where Redis loads, and never a hang or a silent loss.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { startTestServer, tempDir, CLI } from './helpers';
import { Crc64 } from '../src/persistence/rdb/crc64';
import { encodeListpack } from '../src/persistence/rdb/compact';

const resp = (...argv: string[]) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('');

function checkRdb(file: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, 'check-rdb', file], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr })),
  );
}

function writeDump(dir: string, body: Buffer): string {
  const file = path.join(dir, 'dump.rdb');
  fs.writeFileSync(file, Buffer.concat([Buffer.from('REDIS0010', 'latin1'), body, Buffer.from([0xff]), Buffer.alloc(8)]));
  return file;
}

async function keysAfterStart(options: Record<string, string>): Promise<string[]> {
  const srv = await startTestServer({ save: '', ...options });
  try {
    return ((await srv.client().keys('*')) as string[]).sort();
  } finally {
    await srv.close();
  }
}

function writeAof(dir: string, manifest: string, files: Record<string, string>): void {
  const d = path.join(dir, 'appendonlydir');
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'appendonly.aof.manifest'), manifest);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(d, name), text, 'latin1');
}

describe('damaged and odd RDB files', () => {
  test('an LZF string claiming more than its bytes can hold is refused with its offset, never allocated', async () => {
    const dir = tempDir();
    // string "k": LZF, 2 compressed bytes said to expand to 2^48 - 1
    const file = writeDump(dir, Buffer.from([0x00, 0x01, 0x6b, 0xc3, 0x02, 0x81, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x61]));
    await assert.rejects(startTestServer({ dir, save: '' }), /invalid LZF compressed string.*at offset 13/);
    const r = await checkRdb(file);
    assert.equal(r.code, 1);
    assert.match(r.out, /\[offset 13\] invalid LZF compressed string/);
  });

  test('a dump.rdb that is a device is refused at once (it would be read forever)', async () => {
    const dir = tempDir();
    fs.symlinkSync('/dev/zero', path.join(dir, 'dump.rdb'));
    await assert.rejects(startTestServer({ dir, save: '' }), /not a regular file/);
    assert.match((await checkRdb(path.join(dir, 'dump.rdb'))).out, /not a regular file/);
  });

  // found by a review helper: opening a pipe for reading waits for a writer, so the server
  // hung before the regular-file check could run (and ignored SIGTERM)
  test('a dump.rdb or an AOF that is a named pipe is refused at once, not waited on', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [path.join(dir, 'dump.rdb')]);
    await assert.rejects(startTestServer({ dir, save: '' }), /not a regular file/);
    assert.match((await checkRdb(path.join(dir, 'dump.rdb'))).out, /not a regular file/);
    const aof = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(process.execPath, [CLI, 'check-aof', path.join(dir, 'dump.rdb')], { timeout: 20_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
    assert.equal(aof.code, 1);
    assert.match(aof.out, /not a regular file/);
  });

  test('rdbchecksum no loads a dump whose checksum is wrong, as Redis does; yes names both values', async () => {
    const dir = tempDir();
    const srv = await startTestServer({ dir, save: '' });
    await srv.client().set('a', '1');
    await srv.client().save();
    await srv.close();
    const file = path.join(dir, 'dump.rdb');
    const buf = fs.readFileSync(file);
    const stored = Buffer.from(buf.subarray(buf.length - 8));
    buf[buf.length - 8] ^= 1;
    fs.writeFileSync(file, buf);
    assert.deepEqual(await keysAfterStart({ dir, rdbchecksum: 'no' }), ['a']);
    const hex = (b: Buffer) => Buffer.from(b).reverse().toString('hex');
    const flipped = buf.subarray(buf.length - 8);
    // as Redis words it: expected is what the bytes hash to, got is what the file says
    await assert.rejects(startTestServer({ dir, save: '' }), new RegExp(`wrong RDB checksum: expected ${hex(stored)}, got ${hex(flipped)}`));
  });

  // the server's load indexes keys in runs (Dict.append): a repeated key is still refused, at
  // the offset where its second copy begins, as check-rdb reports it. Redis aborts on it.
  test('a key repeated in a dump is refused with its offset, live or expired, as check-rdb reports it', async () => {
    const ms = Buffer.alloc(8);
    ms.writeBigUInt64LE(1000n);
    const str = (k: string, v: string) => Buffer.from([0x00, k.length, ...Buffer.from(k), v.length, ...Buffer.from(v)]);
    const cases: [Buffer, number][] = [
      // SELECTDB 0 at 9; "a" at 11, "b" at 16, "a" again at 21
      [Buffer.concat([Buffer.from([0xfe, 0x00]), str('a', '1'), str('b', '2'), str('a', '3')]), 21],
      // the second "a" expired in 1970: a load skips it, but not before judging it a repeat
      [Buffer.concat([Buffer.from([0xfe, 0x00]), str('a', '1'), str('b', '2'), Buffer.from([0xfc]), ms, str('a', '3')]), -1],
      // the first copy in db 1, the repeat in db 1 after db 0 (other tables in between)
      [Buffer.concat([Buffer.from([0xfe, 0x01]), str('a', '1'), Buffer.from([0xfe, 0x00]), str('a', '2'), Buffer.from([0xfe, 0x01]), str('c', '3'), str('a', '4')]), -1],
      // found by a review helper: the first repeat in the file is the one reported, whatever
      // its db (Redis and check-rdb name db 1's, at 16), also when an expired key comes after
      [Buffer.concat([Buffer.from([0xfe, 0x01]), str('a', '1'), str('a', '1'), Buffer.from([0xfe, 0x00]), str('y', '1'), str('y', '1')]), 16],
      [Buffer.concat([Buffer.from([0xfe, 0x01]), str('a', '1'), str('a', '1'), Buffer.from([0xfe, 0x00]), str('b', '1'), Buffer.from([0xfc]), ms, str('b', '1')]), 16],
    ];
    for (const [body, offset] of cases) {
      const dir = tempDir();
      const file = writeDump(dir, body);
      const r = await checkRdb(file);
      assert.equal(r.code, 1, r.out);
      const m = /\[offset (\d+)\] duplicate key "a" in db (\d)/.exec(r.out);
      assert.ok(m, r.out);
      if (offset >= 0) assert.equal(Number(m[1]), offset);
      await assert.rejects(startTestServer({ dir, save: '' }), new RegExp(`duplicate key "a" in db ${m[2]} \\(at offset ${m[1]}\\)`));
    }
  });

  test('a key repeated after an expired copy is no duplicate: the server and check-rdb both accept it', async () => {
    const dir = tempDir();
    const ms = Buffer.alloc(8);
    ms.writeBigUInt64LE(1000n);
    // SELECTDB 0; "a" = "1" expired in 1970; "a" = "2"
    const file = writeDump(dir, Buffer.concat([Buffer.from([0xfe, 0x00, 0xfc]), ms, Buffer.from([0x00, 0x01, 0x61, 0x01, 0x31, 0x00, 0x01, 0x61, 0x01, 0x32])]));
    const r = await checkRdb(file);
    assert.equal(r.code, 0, r.out);
    const srv = await startTestServer({ dir, save: '' });
    try {
      assert.equal(await srv.client().get('a'), '2');
    } finally {
      await srv.close();
    }
  });
});

describe('damaged and odd AOFs', () => {
  const manifest = 'file appendonly.aof.1.incr.aof seq 1 type i\n';

  test('a MULTI inside a transaction is an error there and the rest still loads (nothing dropped)', async () => {
    const dir = tempDir();
    writeAof(dir, manifest, {
      'appendonly.aof.1.incr.aof': resp('MULTI') + resp('SET', 'a', '1') + resp('MULTI') + resp('SET', 'b', '2') + resp('EXEC') + resp('SET', 'c', '3'),
    });
    assert.deepEqual(await keysAfterStart({ dir, appendonly: 'yes' }), ['a', 'b', 'c']);
  });

  test('a #TS annotation cut short by a crash is an annotation: it loads even with aof-load-truncated no, and nothing is cut', async () => {
    const dir = tempDir();
    const text = resp('SET', 'a', '1') + '#TS:17000';
    writeAof(dir, manifest, { 'appendonly.aof.1.incr.aof': text });
    assert.deepEqual(await keysAfterStart({ dir, appendonly: 'yes', 'aof-load-truncated': 'no' }), ['a']);
    assert.equal(fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1').startsWith(text), true);
  });

  test('an old appendonly.aof with a manifest that lists only history is upgraded and loaded, as Redis 7.0 does', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'appendonly.aof'), resp('SET', 'a', '1') + resp('SET', 'b', '2'));
    writeAof(dir, 'file appendonly.aof.1.incr.aof seq 1 type h\n', { 'appendonly.aof.1.incr.aof': resp('SET', 'old', 'x') });
    assert.deepEqual(await keysAfterStart({ dir, appendonly: 'yes' }), ['a', 'b']);
    assert.equal(fs.existsSync(path.join(dir, 'appendonly.aof')), false, 'moved into the AOF directory');
  });
});

describe('sanitize-dump-payload and intsets', () => {
  // an intset of 3 members, 1 1 2: a duplicate, which only a deep check notices
  const intset = Buffer.from([2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 1, 0, 2, 0]);

  test('check-rdb makes the deep check; a load makes it with sanitize-dump-payload yes', async () => {
    const dir = tempDir();
    const file = writeDump(dir, Buffer.concat([Buffer.from([0xfe, 0x00, 0x0b, 0x01, 0x73, intset.length]), intset]));
    const r = await checkRdb(file);
    assert.equal(r.code, 1);
    assert.match(r.out, /Intset integrity check failed/);
    const srv = await startTestServer({ dir, save: '' });
    try {
      assert.deepEqual((await srv.client().smembers('s')).sort(), ['1', '2']);
    } finally {
      await srv.close();
    }
    await assert.rejects(startTestServer({ dir, save: '', 'sanitize-dump-payload': 'yes' }), /Intset integrity check failed/);
  });

  // found by a review helper: a listpack entry's back-length was never checked, where
  // redis-check-rdb and a load with sanitize-dump-payload yes refuse a wrong one
  test('a listpack entry with a wrong back-length: check-rdb and sanitize yes refuse it, a plain load takes it', async () => {
    const lp = encodeListpack(['a', '1']);
    assert.equal(lp[8], 2, "the back-length of entry 'a' (2 bytes)");
    lp[8] = 3;
    const dir = tempDir();
    const file = writeDump(dir, Buffer.concat([Buffer.from([0xfe, 0x00, 0x10, 0x01, 0x68, lp.length]), lp]));
    const r = await checkRdb(file);
    assert.equal(r.code, 1);
    assert.match(r.out, /Listpack integrity check failed/);
    const srv = await startTestServer({ dir, save: '' });
    try {
      assert.equal(await srv.client().hget('h', 'a'), '1');
    } finally {
      await srv.close();
    }
    await assert.rejects(startTestServer({ dir, save: '', 'sanitize-dump-payload': 'yes' }), /Listpack integrity check failed/);
  });

  test('RESTORE of such a payload: accepted with no, Bad data format with yes or clients', async () => {
    const body = Buffer.concat([Buffer.from([0x0b, intset.length]), intset, Buffer.from([10, 0])]);
    const payload = Buffer.concat([body, new Crc64().update(body).bytes()]);
    const srv = await startTestServer({ save: '' });
    const r = srv.client();
    try {
      assert.equal(await r.call('RESTORE', 'a', '0', payload), 'OK');
      for (const mode of ['yes', 'clients']) {
        await r.config('SET', 'sanitize-dump-payload', mode);
        await assert.rejects(r.call('RESTORE', 'b', '0', payload), /ERR Bad data format/);
      }
    } finally {
      await srv.close();
    }
  });
});
