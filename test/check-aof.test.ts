/**
 * `keel check-aof`, run as the real CLI on files written by real servers: Keel's own
 * appendonlydir (RDB and RESP BASE, after BGREWRITEAOF), redis-server's, a legacy single file;
 * and on damaged copies: a cut inside the last command (reported, refused without confirmation,
 * repaired with --fix), garbage between commands, an unfinished MULTI, a stray EXEC, a broken
 * manifest, a corrupt RDB preamble, and --truncate-to-timestamp.
 *
 * Wherever redis-check-aof 7.0 is installed, its verdict, offsets and report lines are compared
 * with ours, and repaired files must pass it too: the two tools are meant to be interchangeable.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { hasRedisServer, CLI, connectClient, trackResources, waitRewriteDone } from './helpers';
import { writeDataset } from './dataset';

/** Not a timing assertion: a bound that turns a hang into a failure (with the servers reaped). */
const HANG_GUARD_MS = 180_000;
const AOF_DIR = 'appendonlydir';
const MANIFEST = 'appendonly.aof.manifest';

function hasTool(name: string): boolean {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveRedis = hasRedisServer();
const haveCheckAof = hasTool('redis-check-aof');
const needRedis = haveRedis && haveCheckAof ? false : 'redis-server / redis-check-aof are not installed';

// ------------------------------------------------------------------ bookkeeping

/** Servers and temp dirs, released when the file's tests end (see trackResources). */
const tracked = trackResources('keel-check-aof-');
const dirFor = tracked.dir;
const keel = tracked.keel;

// ------------------------------------------------------------------ running the checkers

interface Run {
  code: number;
  out: string;
}

/** Runs a program with `input` on stdin (stdin closed at once without it, so a prompt reads EOF). */
function run(file: string, args: string[], input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const p = execFile(file, args, { encoding: 'latin1', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
    // a program that exits before reading its stdin makes this write fail with EPIPE: not a result
    p.stdin!.on('error', () => {});
    p.stdin!.end(input);
  });
}

function keelCheck(args: string[], input?: string): Promise<Run> {
  return run(process.execPath, [CLI, 'check-aof', ...args], input);
}

/** redis-check-aof's answer, or null where it is not installed (then only Keel's side is checked). */
async function redisCheck(args: string[], input?: string): Promise<Run | null> {
  return haveCheckAof ? run('redis-check-aof', args, input) : null;
}

/**
 * The report without the parts that legitimately differ: the RDB check's own lines (check-rdb
 * reports more), redis-server's log lines, and the `0x…` error detail lines (we report where
 * the failing command starts, Redis where its reader stopped).
 */
function comparable(out: string, opts: { lines?: boolean } = {}): string[] {
  return out
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('[') && !l.startsWith('0x') && !/^\d+:C /.test(l))
    .map((l) => (opts.lines === false ? l.replace(/ok_up_to_line=\d+/, 'ok_up_to_line=N') : l));
}

/** `AOF analyzed:` fields of the report, one object per file. */
function analyzed(out: string): Record<string, string>[] {
  return [...out.matchAll(/^AOF analyzed: (.*)$/gm)].map((m) => Object.fromEntries(m[1].split(', ').map((kv) => kv.split('=') as [string, string])));
}

function hex(offset: number): string {
  return `0x${offset.toString(16).padStart(16, ' ')}`;
}

// ------------------------------------------------------------------ producing files

function manifestEntries(aofDir: string): { name: string; type: string }[] {
  return fs
    .readFileSync(path.join(aofDir, MANIFEST), 'latin1')
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => {
      const m = /^file (\S+) seq \d+ type ([bhi])$/.exec(l);
      assert.ok(m, `manifest line ${JSON.stringify(l)}`);
      return { name: m[1], type: m[2] };
    });
}

interface AofFiles {
  /** the server's dir */
  dir: string;
  aofDir: string;
  manifest: string;
  base: string;
  incrs: string[];
}

function filesOf(dir: string): AofFiles {
  const aofDir = path.join(dir, AOF_DIR);
  const entries = manifestEntries(aofDir);
  const base = entries.find((e) => e.type === 'b');
  assert.ok(base, 'the manifest has a BASE');
  return {
    dir,
    aofDir,
    manifest: path.join(aofDir, MANIFEST),
    base: path.join(aofDir, base.name),
    incrs: entries.filter((e) => e.type === 'i').map((e) => path.join(aofDir, e.name)),
  };
}

function lastIncr(f: AofFiles): string {
  assert.ok(f.incrs.length > 0, 'the manifest lists an INCR');
  return f.incrs[f.incrs.length - 1];
}

function copyDir(dir: string): string {
  const copy = dirFor('keel-check-aof-copy-');
  fs.cpSync(dir, copy, { recursive: true });
  return copy;
}

/** The encoding of the command every Keel-written INCR here ends with. */
const LAST_COMMAND = '*3\r\n$3\r\nset\r\n$8\r\nlast-key\r\n$10\r\nlast-value\r\n';

/**
 * Keel writes an appendonlydir: the dataset and a transaction go into the BASE by
 * BGREWRITEAOF, then more writes (another db, a transaction) into the INCR, which ends with
 * LAST_COMMAND right after `SET before-last 1`.
 */
async function keelWrites(preamble: 'yes' | 'no'): Promise<AofFiles> {
  const dir = dirFor();
  const s = await keel({ dir, appendonly: 'yes', 'aof-use-rdb-preamble': preamble });
  try {
    const r = s.client();
    await writeDataset(r);
    await r.multi().set('tx', '1').incr('tx').exec();
    assert.equal(await r.bgrewriteaof(), 'Background append only file rewriting started');
    await waitRewriteDone(r);
    await r.select(3);
    await r.rpush('db3:list', 'a', 'b');
    await r.select(0);
    await r.multi().set('tx2', 'x').append('tx2', 'y').exec();
    await r.set('before-last', '1');
    await r.set('last-key', 'last-value');
  } finally {
    await s.close();
  }
  const f = filesOf(dir);
  // the premises of the damage tests below
  assert.equal(f.incrs.length, 1);
  const incr = fs.readFileSync(lastIncr(f), 'latin1');
  assert.ok(incr.toLowerCase().endsWith(LAST_COMMAND), 'the INCR ends with SET last-key last-value');
  assert.ok(preamble === 'yes' ? f.base.endsWith('.base.rdb') : f.base.endsWith('.base.aof'));
  return f;
}

/** Keel loads the directory; returns a client's view of a few keys. */
async function keelLoads(dir: string, keys: string[]): Promise<(string | null)[]> {
  const s = await keel({ dir, appendonly: 'yes', 'aof-load-truncated': 'no' });
  try {
    const r = s.client();
    return await Promise.all(keys.map((k) => r.get(k)));
  } finally {
    await s.close();
  }
}

// ------------------------------------------------------------------ valid files

describe('valid files pass keel check-aof and redis-check-aof alike', { timeout: HANG_GUARD_MS }, () => {
  for (const preamble of ['yes', 'no'] as const) {
    test(`Keel's appendonlydir after BGREWRITEAOF, aof-use-rdb-preamble ${preamble}`, async () => {
      const f = await keelWrites(preamble);
      const k = await keelCheck([f.manifest]);
      assert.equal(k.code, 0, k.out);
      assert.match(k.out, /^Start checking Multi Part AOF$/m);
      assert.match(k.out, new RegExp(`^Start to check BASE AOF \\(${preamble === 'yes' ? 'RDB' : 'RESP'} format\\)\\.$`, 'm'));
      if (preamble === 'yes') assert.match(k.out, /^RDB preamble is OK, proceeding with AOF tail\.\.\.$/m);
      assert.match(k.out, new RegExp(`^BASE AOF ${path.basename(f.base)} is valid$`, 'm'));
      assert.match(k.out, new RegExp(`^INCR AOF ${path.basename(lastIncr(f))} is valid$`, 'm'));
      assert.match(k.out, /All AOF files and manifest are valid\n$/);
      for (const a of analyzed(k.out)) assert.equal(a.diff, '0');
      const r = await redisCheck([f.manifest]);
      if (r) {
        assert.equal(r.code, 0, r.out);
        // every line outside the RDB report, ok_up_to_line included, is redis-check-aof's
        assert.deepEqual(comparable(k.out), comparable(r.out));
      }
    });
  }

  for (const preamble of ['yes', 'no'] as const) {
    test(`redis-server's appendonlydir, aof-use-rdb-preamble ${preamble}, with #TS annotations and transactions`, { skip: needRedis }, async () => {
      const dir = dirFor();
      // appendfsync always: every reply follows its write, so the SIGKILL in stop() loses nothing
      const redis = await tracked.redis(['--appendonly', 'yes', '--dir', dir, '--appendfsync', 'always', '--aof-timestamp-enabled', 'yes', '--aof-use-rdb-preamble', preamble]);
      const r = connectClient(redis.port);
      try {
        await writeDataset(r);
        await r.multi().set('tx', '1').incr('tx').exec();
        await r.bgrewriteaof();
        await waitRewriteDone(r);
        await r.multi().set('tx', '1').incr('tx').exec();
        await r.set('after', 'rewrite');
      } finally {
        r.disconnect();
        await redis.stop();
      }
      const f = filesOf(dir);
      if (preamble === 'yes') assert.ok(f.base.endsWith('.base.rdb'));
      // Redis starts a RESP BASE with a #TS annotation: the annotation path is exercised
      else assert.ok(fs.readFileSync(f.base, 'latin1').startsWith('#TS:'), 'the BASE starts with an annotation');
      assert.match(fs.readFileSync(lastIncr(f), 'latin1'), /MULTI/);
      const k = await keelCheck([f.manifest]);
      assert.equal(k.code, 0, k.out);
      assert.match(k.out, /All AOF files and manifest are valid\n$/);
      const rc = await redisCheck([f.manifest]);
      assert.equal(rc!.code, 0, rc!.out);
      assert.deepEqual(comparable(k.out), comparable(rc!.out));
    });
  }

  test('a legacy single file (RDB preamble + commands) is checked as an old-style AOF', async () => {
    const f = await keelWrites('yes');
    const legacy = path.join(f.dir, 'appendonly.aof');
    fs.writeFileSync(legacy, Buffer.concat([fs.readFileSync(f.base), fs.readFileSync(lastIncr(f))]));
    const k = await keelCheck([legacy]);
    assert.equal(k.code, 0, k.out);
    assert.match(k.out, /^Start checking Old-Style AOF$/m);
    assert.match(k.out, /^RDB preamble is OK, proceeding with AOF tail\.\.\.$/m);
    const [a] = analyzed(k.out);
    assert.equal(a.size, String(fs.statSync(legacy).size));
    assert.equal(a.ok_up_to, a.size);
    assert.match(k.out, new RegExp(`^AOF ${legacy} is valid$`, 'm'));
    const r = await redisCheck([legacy]);
    if (r) {
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(comparable(k.out), comparable(r.out));
    }
  });
});

// ------------------------------------------------------------------ damage

describe('damaged files: offsets, --fix and its confirmation', { timeout: HANG_GUARD_MS }, () => {
  test('a cut inside the last command is reported at that command; without --fix nothing changes', async () => {
    const f = await keelWrites('yes');
    const incr = lastIncr(f);
    const good = fs.readFileSync(incr);
    const lastStart = good.length - LAST_COMMAND.length;
    const cut = lastStart + 11; // inside "last-key"
    fs.truncateSync(incr, cut);
    const damaged = fs.readFileSync(incr);

    const k = await keelCheck([f.manifest]);
    assert.equal(k.code, 1, k.out);
    const a = analyzed(k.out);
    assert.equal(a.length, 2, 'the BASE, then the INCR');
    assert.deepEqual(a[1], { ...a[1], filename: path.basename(incr), size: String(cut), ok_up_to: String(lastStart), diff: String(cut - lastStart) });
    assert.match(k.out, new RegExp(`^${hex(lastStart)}: unexpected end of file`, 'm'));
    assert.match(k.out, new RegExp(`^AOF ${path.basename(incr)} is not valid\\. Use the --fix option to try fixing it\\.$`, 'm'));
    assert.doesNotMatch(k.out, /All AOF files/);
    assert.ok(fs.readFileSync(incr).equals(damaged), 'checking alone never writes');

    const r = await redisCheck([f.manifest]);
    if (r) {
      assert.equal(r.code, 1);
      assert.deepEqual(comparable(k.out, { lines: false }), comparable(r.out, { lines: false }));
    }
  });

  test('--fix asks "Continue? [y/N]:"; "n" or no answer aborts and leaves the file; "y" truncates; both checkers and Keel accept the result', async () => {
    const f = await keelWrites('no');
    const incr = lastIncr(f);
    const good = fs.readFileSync(incr);
    const lastStart = good.length - LAST_COMMAND.length;
    fs.truncateSync(incr, good.length - 3);
    const damaged = fs.readFileSync(incr);

    for (const input of ['n\n', '', '\n']) {
      const k = await keelCheck(['--fix', f.manifest], input);
      assert.equal(k.code, 1, k.out);
      assert.match(k.out, new RegExp(`This will shrink the AOF ${path.basename(incr)} from ${damaged.length} bytes, with ${damaged.length - lastStart} bytes, to ${lastStart} bytes\nContinue\\? \\[y/N\\]: Aborting\\.\\.\\.\n$`));
      assert.ok(fs.readFileSync(incr).equals(damaged), `answer ${JSON.stringify(input)} leaves the file alone`);
    }
    if (haveCheckAof) {
      // redis-check-aof asks the same question with the same wording, on a copy
      const copy = filesOf(copyDir(f.dir));
      const [k, r] = [await keelCheck(['--fix', f.manifest], 'n\n'), await redisCheck(['--fix', copy.manifest], 'n\n')];
      assert.deepEqual(comparable(k.out, { lines: false }), comparable(r!.out, { lines: false }));
    }

    const k = await keelCheck(['--fix', f.manifest], 'y\n');
    assert.equal(k.code, 0, k.out);
    assert.match(k.out, new RegExp(`Continue\\? \\[y/N\\]: Successfully truncated AOF ${path.basename(incr)}\nAll AOF files and manifest are valid\n$`));
    assert.ok(fs.readFileSync(incr).equals(good.subarray(0, lastStart)), 'cut exactly before the broken command');

    assert.equal((await keelCheck([f.manifest])).code, 0);
    const r = await redisCheck([f.manifest]);
    if (r) assert.equal(r.code, 0, r.out);
    assert.deepEqual(await keelLoads(f.dir, ['before-last', 'last-key', 'tx2']), ['1', null, 'xy']);
  });

  test('--fix --yes repairs without reading stdin, to the same bytes as redis-check-aof --fix', async () => {
    const f = await keelWrites('yes');
    const incr = lastIncr(f);
    const good = fs.readFileSync(incr);
    fs.truncateSync(incr, good.length - 20);
    const copy = filesOf(copyDir(f.dir));

    const k = await keelCheck(['--fix', '--yes', f.manifest]); // stdin is closed: an answer read from it would abort
    assert.equal(k.code, 0, k.out);
    assert.match(k.out, /Continue\? \[y\/N\]: y \(--yes\)\nSuccessfully truncated AOF /);
    assert.ok(fs.readFileSync(incr).equals(good.subarray(0, good.length - LAST_COMMAND.length)));
    assert.equal((await keelCheck([f.manifest])).code, 0);

    const r = await redisCheck(['--fix', copy.manifest], 'y\n');
    if (r) {
      assert.equal(r.code, 0, r.out);
      assert.ok(fs.readFileSync(lastIncr(copy)).equals(fs.readFileSync(incr)), 'both tools cut at the same offset');
      assert.equal((await redisCheck([f.manifest]))!.code, 0);
    }
    assert.deepEqual(await keelLoads(f.dir, ['before-last', 'last-key']), ['1', null]);
  });

  test('garbage between two commands is a format error at its offset; --fix cuts there', async () => {
    const f = await keelWrites('no');
    const incr = lastIncr(f);
    const good = fs.readFileSync(incr);
    const at = good.length - LAST_COMMAND.length;
    fs.writeFileSync(incr, Buffer.concat([good.subarray(0, at), Buffer.from('garbage\r\n'), good.subarray(at)]));

    const k = await keelCheck([f.manifest]);
    assert.equal(k.code, 1, k.out);
    assert.match(k.out, new RegExp(`^AOF ${path.basename(incr)} format error$`, 'm'));
    assert.match(k.out, new RegExp(`^${hex(at)}: expected '\\*', got 'g'$`, 'm'));
    assert.equal(analyzed(k.out)[1].ok_up_to, String(at));
    const r = await redisCheck([f.manifest]);
    if (r) {
      assert.equal(r.code, 1);
      assert.deepEqual(comparable(k.out), comparable(r.out), 'same report, ok_up_to_line included');
    }

    assert.equal((await keelCheck(['--fix', '--yes', f.manifest])).code, 0);
    assert.ok(fs.readFileSync(incr).equals(good.subarray(0, at)));
    assert.deepEqual(await keelLoads(f.dir, ['before-last', 'last-key']), ['1', null]);
  });

  test('a length line ending in a bare LF: the server loads it (as Redis does), the checkers both refuse it', async () => {
    const f = await keelWrites('no');
    const incr = lastIncr(f);
    const at = fs.readFileSync(incr).length;
    fs.appendFileSync(incr, '*3\n$3\nSET\r\n$2\nlf\r\n$1\n1\r\n');

    const k = await keelCheck([f.manifest]);
    assert.equal(k.code, 1, k.out);
    assert.match(k.out, new RegExp(`^${hex(at)}: expected CRLF after a length$`, 'm'));
    assert.equal(analyzed(k.out)[1].ok_up_to, String(at));
    const r = await redisCheck([f.manifest]);
    if (r) {
      assert.equal(r.code, 1, r.out);
      assert.deepEqual(comparable(k.out), comparable(r.out));
    }
    assert.deepEqual(await keelLoads(copyDir(f.dir), ['before-last', 'last-key', 'lf']), ['1', 'last-value', '1']);
  });

  test('damage in a file that is not the last one is reported, and --fix refuses to cut it', async () => {
    const f = await keelWrites('no');
    const base = fs.readFileSync(f.base);
    const at = base.length;
    fs.appendFileSync(f.base, 'xx\r\n');
    const damaged = fs.readFileSync(f.base);

    const k = await keelCheck(['--fix', '--yes', f.manifest]);
    assert.equal(k.code, 1, k.out);
    assert.match(k.out, new RegExp(`^AOF ${path.basename(f.base)} format error$`, 'm'));
    assert.equal(analyzed(k.out)[0].ok_up_to, String(at));
    assert.match(k.out, new RegExp(`^Failed to truncate AOF ${path.basename(f.base)} because it is not the last file$`, 'm'));
    assert.doesNotMatch(k.out, /INCR AOF/, 'stops at the first bad file');
    assert.ok(fs.readFileSync(f.base).equals(damaged));
    const r = await redisCheck(['--fix', f.manifest], 'y\n');
    if (r) {
      assert.equal(r.code, 1);
      assert.deepEqual(comparable(k.out, { lines: false }), comparable(r.out, { lines: false }));
      assert.ok(fs.readFileSync(f.base).equals(damaged));
    }
  });

  test('an unfinished MULTI at the end is an error at the MULTI, and --fix removes the whole transaction', async () => {
    const f = await keelWrites('yes');
    const incr = lastIncr(f);
    const good = fs.readFileSync(incr);
    fs.appendFileSync(incr, '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$2\r\ntx\r\n$4\r\nhalf\r\n');

    const k = await keelCheck([f.manifest]);
    assert.equal(k.code, 1, k.out);
    assert.match(k.out, new RegExp(`^${hex(good.length)}: Reached EOF before reading EXEC for MULTI$`, 'm'));
    assert.equal(analyzed(k.out)[1].ok_up_to, String(good.length));
    const r = await redisCheck([f.manifest]);
    if (r) {
      assert.equal(r.code, 1);
      assert.deepEqual(comparable(k.out), comparable(r.out), 'same report, ok_up_to_line included');
    }

    assert.equal((await keelCheck(['--fix', '--yes', f.manifest])).code, 0);
    assert.ok(fs.readFileSync(incr).equals(good), 'back to the bytes before the MULTI');
    if (r) assert.equal((await redisCheck([f.manifest]))!.code, 0);
  });

  test('EXEC without MULTI, and a MULTI inside a MULTI, are errors', async () => {
    const f = await keelWrites('no');
    const incr = lastIncr(f);
    const good = fs.readFileSync(incr);
    const multi = '*1\r\n$5\r\nMULTI\r\n';
    for (const [tail, message, okUpTo] of [
      ['*1\r\n$4\r\nEXEC\r\n', 'Unexpected EXEC', good.length],
      [multi + multi, 'Unexpected MULTI', good.length],
    ] as const) {
      fs.writeFileSync(incr, Buffer.concat([good, Buffer.from(tail)]));
      const k = await keelCheck([f.manifest]);
      assert.equal(k.code, 1, k.out);
      assert.match(k.out, new RegExp(`^0x +[0-9a-f]+: ${message} in AOF ${f.aofDir}/${path.basename(incr)}$`, 'm'));
      assert.equal(analyzed(k.out)[1].ok_up_to, String(okUpTo));
      const r = await redisCheck([f.manifest]);
      if (r) {
        assert.equal(r.code, 1);
        assert.deepEqual(comparable(k.out), comparable(r.out));
      }
    }
  });

  test('a broken manifest: the line and the reason; a missing file', async () => {
    const f = await keelWrites('no');
    const good = fs.readFileSync(f.manifest, 'latin1');
    const [first] = good.split('\n');
    for (const [text, line, reason] of [
      [`# a comment\n${good}${first}\n`, 4, 'Found duplicate base file information'],
      [`${first}\nfile x seq 1\n`, 2, 'Invalid AOF manifest file format'],
      [`${first.replace(/type b$/, 'type z')}\n`, 1, 'Unknown AOF file type'],
      [`file ../victim.aof seq 1 type b\n`, 1, "File can't be a path, just a filename"],
      [`${first.replace(/seq \d+/, 'seq 0')}\n`, 1, 'Invalid AOF manifest file format'],
    ] as const) {
      fs.writeFileSync(f.manifest, text);
      const k = await keelCheck([f.manifest]);
      assert.equal(k.code, 1, k.out);
      assert.match(k.out, new RegExp(`\\*\\*\\* FATAL AOF MANIFEST FILE ERROR \\*\\*\\*\nReading the manifest file, at line ${line}\n>>> '.*'\n${reason}`));
      assert.doesNotMatch(k.out, /AOF analyzed/);
      const r = await redisCheck([f.manifest]);
      if (r) {
        assert.equal(r.code, 1);
        assert.match(r.out, new RegExp(`at line ${line}\n[^]*${reason}`));
      }
    }
    fs.writeFileSync(f.manifest, good);
    fs.rmSync(lastIncr(f));
    const k = await keelCheck([f.manifest]);
    assert.equal(k.code, 1, k.out);
    assert.match(k.out, new RegExp(`^Cannot open file ${f.aofDir}/${path.basename(lastIncr(f))}: No such file or directory, aborting\\.\\.\\.$`, 'm'));
  });

  test('a corrupt RDB preamble fails the check with the RDB error, and --fix cannot repair it', async () => {
    const f = await keelWrites('yes');
    const base = fs.readFileSync(f.base);
    const at = Math.floor(base.length / 2);
    base[at] ^= 0xff; // any changed byte fails the CRC64 if not the parse
    fs.writeFileSync(f.base, base);
    for (const args of [[f.manifest], ['--fix', '--yes', f.manifest]]) {
      const k = await keelCheck(args);
      assert.equal(k.code, 1, k.out);
      assert.match(k.out, /^--- RDB ERROR DETECTED ---$/m);
      assert.match(k.out, /^RDB preamble of AOF file is not sane, aborting\.$/m);
      assert.doesNotMatch(k.out, /AOF analyzed|INCR AOF/);
      assert.ok(fs.readFileSync(f.base).equals(base), 'left alone');
    }
    const r = await redisCheck([f.manifest]);
    if (r) assert.equal(r.code, 1, 'redis-check-aof rejects it too');
  });
});

// ------------------------------------------------------------------ --truncate-to-timestamp

describe('--truncate-to-timestamp', { timeout: HANG_GUARD_MS }, () => {
  const cmd = (...argv: string[]) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('');

  /** A hand-written appendonlydir (a RESP BASE and one INCR) whose INCR has #TS annotations. */
  function handWritten(incr: string): AofFiles {
    const dir = dirFor();
    const aofDir = path.join(dir, AOF_DIR);
    fs.mkdirSync(aofDir);
    fs.writeFileSync(path.join(aofDir, MANIFEST), 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    fs.writeFileSync(path.join(aofDir, 'appendonly.aof.1.base.aof'), cmd('SELECT', '0') + cmd('SET', 'k0', 'v'));
    fs.writeFileSync(path.join(aofDir, 'appendonly.aof.1.incr.aof'), incr);
    return filesOf(dir);
  }

  test('cuts the last file at the first later #TS, as redis-check-aof does', async () => {
    const head = '#TS:100\r\n' + cmd('SET', 'k1', 'v');
    const f = handWritten(head + '#TS:200\r\n' + cmd('SET', 'k2', 'v') + '#TS:300\r\n' + cmd('SET', 'k3', 'v'));
    const copy = filesOf(copyDir(f.dir));
    const k = await keelCheck(['--truncate-to-timestamp', '150', f.manifest]);
    assert.equal(k.code, 0, k.out);
    assert.match(k.out, /^Truncate nothing in AOF appendonly\.aof\.1\.base\.aof to timestamp 150$/m);
    assert.match(k.out, /^Successfully truncated AOF appendonly\.aof\.1\.incr\.aof to timestamp 150$/m);
    assert.equal(fs.readFileSync(lastIncr(f), 'latin1'), head);
    assert.deepEqual(await keelLoads(f.dir, ['k0', 'k1', 'k2']), ['v', 'v', null]);
    const r = await redisCheck(['--truncate-to-timestamp', '150', copy.manifest]);
    if (r) {
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(comparable(k.out), comparable(r.out));
      assert.equal(fs.readFileSync(lastIncr(copy), 'latin1'), head);
    }
    // a timestamp after every annotation: nothing to do
    const again = await keelCheck(['--truncate-to-timestamp', '1000', f.manifest]);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /^Truncate nothing in AOF appendonly\.aof\.1\.incr\.aof to timestamp 1000$/m);
    assert.equal(fs.readFileSync(lastIncr(f), 'latin1'), head);
  });

  test('a later #TS inside a MULTI cuts before the MULTI (never leaves half a transaction)', async () => {
    const head = '#TS:100\r\n' + cmd('SET', 'k1', 'v');
    const f = handWritten(head + cmd('MULTI') + cmd('SET', 'k2', 'v') + '#TS:200\r\n' + cmd('SET', 'k3', 'v') + cmd('EXEC'));
    const k = await keelCheck(['--truncate-to-timestamp', '150', f.manifest]);
    assert.equal(k.code, 0, k.out);
    assert.equal(fs.readFileSync(lastIncr(f), 'latin1'), head);
    assert.equal((await keelCheck([f.manifest])).code, 0);
    const r = await redisCheck([f.manifest]);
    if (r) assert.equal(r.code, 0, r.out);
  });

  test('refuses when nothing precedes the timestamp, or when the cut is not in the last file', async () => {
    const f = handWritten('#TS:200\r\n' + cmd('SET', 'k1', 'v'));
    const incr = fs.readFileSync(lastIncr(f));
    const single = await keelCheck(['--truncate-to-timestamp', '150', lastIncr(f)]);
    assert.equal(single.code, 1, single.out);
    assert.match(single.out, new RegExp(`^AOF ${lastIncr(f)} has nothing before timestamp 150, aborting\\.\\.\\.$`, 'm'));

    fs.writeFileSync(f.base, cmd('SELECT', '0') + '#TS:200\r\n' + cmd('SET', 'k0', 'v'));
    const base = fs.readFileSync(f.base);
    const k = await keelCheck(['--truncate-to-timestamp', '150', f.manifest]);
    assert.equal(k.code, 1, k.out);
    assert.match(k.out, /^Failed to truncate AOF .*appendonly\.aof\.1\.base\.aof to timestamp 150 to offset 23 because it is not the last file\.$/m);
    assert.ok(fs.readFileSync(f.base).equals(base) && fs.readFileSync(lastIncr(f)).equals(incr), 'nothing cut');
    const r = await redisCheck(['--truncate-to-timestamp', '150', f.manifest]);
    if (r) assert.equal(r.code, 1);
  });
});

describe('command line', () => {
  test('bad arguments print the usage and exit 1', async () => {
    for (const args of [[], ['--yes', 'x.aof'], ['--bogus', 'x.aof'], ['a.aof', 'b.aof']]) {
      const k = await keelCheck(args);
      assert.equal(k.code, 1, `${args.join(' ')}: ${k.out}`);
      assert.match(k.out, /^Usage: keel check-aof \[--fix \[--yes\]\]/);
    }
    const bad = await keelCheck(['--truncate-to-timestamp', '12x', 'x.aof']);
    assert.equal(bad.code, 1);
    assert.equal(bad.out, 'Invalid timestamp, aborting...\n');
    const missing = await keelCheck([path.join(dirFor(), 'nope.aof')]);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /^Cannot open file .*nope\.aof: No such file or directory\n$/);
  });

  test('an empty file is valid (as Redis says), a file of garbage is not', async () => {
    const d = dirFor();
    const empty = path.join(d, 'empty.aof');
    fs.writeFileSync(empty, '');
    const e = await keelCheck([empty]);
    assert.equal(e.code, 0, e.out);
    assert.match(e.out, new RegExp(`^AOF ${empty} is empty$`, 'm'));
    const junk = path.join(d, 'junk.aof');
    fs.writeFileSync(junk, 'hello\n');
    const j = await keelCheck([junk]);
    assert.equal(j.code, 1, j.out);
    assert.equal(analyzed(j.out)[0].ok_up_to, '0');
    for (const file of [empty, junk]) {
      const r = await redisCheck([file]);
      if (r) assert.deepEqual(comparable((await keelCheck([file])).out), comparable(r.out));
    }
  });
});
