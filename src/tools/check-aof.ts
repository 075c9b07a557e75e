/**
 * `keel check-aof [--fix [--yes]] [--truncate-to-timestamp <ts>] <file.manifest|file.aof>`:
 * validates an append-only file the way Redis 7.0's `redis-check-aof` does, with the same
 * report lines and exit codes, so scripts written for one work with the other.
 *
 * - A manifest (Redis 7.0 multi-part AOF) is parsed with Keel's own manifest grammar, then the
 *   BASE (an RDB file, or RESP commands) and every INCR file are checked in load order.
 * - A single file is an old-style AOF: RESP commands, optionally after an RDB preamble.
 *
 * RESP framing is read with the loader's AofCommandReader and an RDB part with the loader's RDB
 * parser (through checkRdbBuffer), so "valid" means "Keel loads it". On top of the framing, the
 * check follows MULTI/EXEC nesting as redis-check-aof does: an EXEC without MULTI, a nested
 * MULTI, or a MULTI still open at the end of a file is an error; a file that ends inside a
 * transaction is valid only up to its MULTI.
 *
 * `--fix` truncates the last file (only the last one: earlier files are followed by later
 * writes, so cutting them would silently drop data) at the end of its last valid command,
 * after asking on stdin exactly as redis-check-aof does; `--yes` answers that question.
 * `--truncate-to-timestamp` cuts the last file at the first `#TS:` annotation later than the
 * given unix time (point-in-time recovery, files written with aof-timestamp-enabled).
 *
 * Known differences from redis-check-aof:
 * - error lines (`0x<offset>: <reason>`) carry the offset where the failing command starts and
 *   the reader's reason; an unfinished MULTI is reported at the MULTI;
 * - ok_up_to_line counts, as Redis does, one line per CRLF-terminated element of the commands
 *   read so far (cumulated over the files of a manifest); the elements of a command that
 *   failed half-way are not counted, where Redis counts those it had read;
 * - a file whose name ends in `.manifest` is always checked as a manifest (Redis decides only
 *   on a line starting with `file`, and checks a manifest without one as an AOF);
 * - RDB data Keel cannot load (streams, modules, functions) fails the check;
 * - a `#TS:` cut inside a MULTI moves back to the MULTI, so the result never ends inside a
 *   transaction (Redis cuts at the annotation).
 */
import fs from 'node:fs';
import path from 'node:path';
import { openDataFile, readDataFile, regularFileSize, strerror } from '../persistence/fsutil';
import { AofCommandReader, AofParseError, hasRdbPreamble } from '../persistence/aof/reader';
import { Manifest, ManifestError } from '../persistence/aof/manifest';
import { checkRdbBuffer } from './check-rdb';

const USAGE = 'Usage: keel check-aof [--fix [--yes]] [--truncate-to-timestamp <timestamp>] <file.manifest|file.aof>\n';

export interface CheckAofOptions {
  fix: boolean;
  /** answer "y" to the --fix question without reading stdin */
  yes: boolean;
  /** unix seconds; 0 or null: off */
  truncateToTimestamp: number | null;
}

/** Thrown to end the run with an exit code once the reason is printed (redis-check-aof's exit(1)). */
class Exit {
  constructor(readonly code: number) {}
}

type Outcome = 'ok' | 'empty' | 'truncated' | 'timestamp-truncated';

/** One file to check, as redis-check-aof's checkSingleAof sees it. */
interface FileTarget {
  /** the name printed in most lines (the manifest's entry, or the path given) */
  name: string;
  /** the path opened, printed where redis-check-aof prints the path */
  path: string;
  /** only the last file of the chain may be truncated */
  last: boolean;
  /** the BASE of a manifest or an old-style file: may start with an RDB */
  mayHaveRdb: boolean;
}

/** redis-check-aof's error position: `0x%16llx`, hex right-aligned in 16 columns. */
function hexOffset(n: number): string {
  return `0x${n.toString(16).padStart(16, ' ')}`;
}

/** Reads one answer line from stdin; '' at end of input. */
function readAnswer(): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    let got = '';
    const done = () => {
      stdin.off('data', onData);
      stdin.off('end', done);
      stdin.off('error', done);
      stdin.pause();
      resolve(got);
    };
    const onData = (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\n')) done();
    };
    stdin.on('data', onData);
    stdin.once('end', done);
    stdin.once('error', done);
  });
}

export class AofChecker {
  /** redis-check-aof's global line counter: starts at 1 and is never reset between files */
  private line = 1;

  constructor(
    private readonly opts: CheckAofOptions,
    private readonly out: (s: string) => void,
    /** the --fix question's answer; only called when one is needed */
    private readonly ask: () => Promise<string>,
  ) {}

  private println(s: string): void {
    this.out(s + '\n');
  }

  /** Checks the file or manifest at `file`; returns the exit code. */
  async run(file: string): Promise<number> {
    try {
      const kind = fileKind(file);
      if (typeof kind !== 'string') {
        this.println(`Cannot open file ${file}: ${strerror(kind.error)}`);
        return 1;
      }
      if (kind === 'manifest') await this.checkMultiPart(file);
      else await this.checkOldStyle(file);
      return 0;
    } catch (e) {
      if (e instanceof Exit) return e.code;
      throw e;
    }
  }

  private async checkOldStyle(file: string): Promise<void> {
    this.println('Start checking Old-Style AOF');
    const r = await this.checkSingle({ name: file, path: file, last: true, mayHaveRdb: true });
    this.println(this.outcomeLine('AOF', file, r));
  }

  private async checkMultiPart(manifestPath: string): Promise<void> {
    this.println('Start checking Multi Part AOF');
    const m = this.loadManifest(manifestPath);
    // Redis joins the manifest's directory and the entry with a '/', so "./x" for a bare name.
    const dir = path.dirname(manifestPath);
    const files = m.loadOrder();
    let n = 0;
    if (m.base) {
      const base = m.base;
      const p = `${dir}/${base.name}`;
      const last = ++n === files.length;
      const buf = this.readFile(p, '');
      this.println(`Start to check BASE AOF (${hasRdbPreamble(buf) && buf.length >= 8 ? 'RDB' : 'RESP'} format).`);
      const r = await this.checkSingle({ name: base.name, path: p, last, mayHaveRdb: true }, buf);
      this.println(this.outcomeLine('BASE AOF', base.name, r));
    }
    if (m.incrs.length > 0) {
      this.println('Start to check INCR files.');
      for (const f of m.incrs) {
        const p = `${dir}/${f.name}`;
        const last = ++n === files.length;
        const r = await this.checkSingle({ name: f.name, path: p, last, mayHaveRdb: false });
        this.println(this.outcomeLine('INCR AOF', f.name, r));
      }
    }
    this.println('All AOF files and manifest are valid');
  }

  private outcomeLine(what: string, name: string, r: Outcome): string {
    switch (r) {
      case 'ok':
        return `${what} ${name} is valid`;
      case 'empty':
        return `${what} ${name} is empty`;
      case 'timestamp-truncated':
        return `Successfully truncated AOF ${name} to timestamp ${this.opts.truncateToTimestamp}`;
      case 'truncated':
        return `Successfully truncated AOF ${name}`;
    }
  }

  /** Parses the manifest; on a grammar error prints Redis's fatal manifest report (with the line) and exits 1. */
  private loadManifest(file: string): Manifest {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch (e) {
      this.println(`Cannot open file ${file}: ${strerror(e)}`);
      throw new Exit(1);
    }
    const prefix = path.basename(file).replace(/\.manifest$/, '');
    try {
      return Manifest.parse(text, prefix);
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      this.println('*** FATAL AOF MANIFEST FILE ERROR ***');
      if (e.line > 0) {
        this.println(`Reading the manifest file, at line ${e.line}`);
        this.println(`>>> '${e.lineText}'`);
      }
      this.println(e.message);
      throw new Exit(1);
    }
  }

  /** `tail`: redis-check-aof says ", aborting..." except when it opens a BASE to sniff its format */
  private readFile(p: string, tail = ', aborting...'): Buffer {
    try {
      return readDataFile(p);
    } catch (e) {
      this.println(`Cannot open file ${p}: ${strerror(e)}${tail}`);
      throw new Exit(1);
    }
  }

  /**
   * redis-check-aof's checkSingleAof: an optional RDB part, then commands; prints the
   * "AOF analyzed" line, and on an error fixes (last file, confirmed) or exits 1.
   */
  private async checkSingle(t: FileTarget, buf = this.readFile(t.path)): Promise<Outcome> {
    const size = buf.length;
    if (size === 0) return 'empty';

    let from = 0;
    if (t.mayHaveRdb && size >= 8 && hasRdbPreamble(buf)) {
      const rdb = checkRdbBuffer(buf, (l) => this.println(l), { name: t.name, allowTrailing: true });
      if (!rdb.ok) {
        if (rdb.error?.unsupported) this.println('RDB preamble holds data Keel cannot load (the file may still be valid for Redis), aborting.');
        else this.println('RDB preamble of AOF file is not sane, aborting.');
        throw new Exit(1);
      }
      this.println('RDB preamble is OK, proceeding with AOF tail...');
      from = rdb.endOffset;
    }

    const ts = this.opts.truncateToTimestamp;
    const reader = new AofCommandReader(buf, from, true);
    /** redis-check-aof's "multi": MULTI depth, -1 after a stray EXEC */
    let multi = 0;
    let multiStart = 0;
    /** the end of the valid part: before an open MULTI, else after the last complete item */
    let ok = from;
    let error: { offset: number; reason: string } | null = null;
    let formatError = false;

    /**
     * The `#` annotations between `p` and `end` (the reader steps over them; they are
     * whole lines). Only `#TS:` matters, and only with --truncate-to-timestamp. Returns the
     * offset to cut at, or -1.
     */
    const annotations = (p: number, end: number): number => {
      if (!ts) return -1;
      while (p < end) {
        const eol = buf.indexOf(0x0a, p);
        const stop = eol < 0 || eol > end ? end : eol;
        const text = buf.toString('latin1', p, stop);
        if (text.startsWith('#TS:')) {
          if (!/^#TS:-?\d+\r?$/.test(text)) {
            this.println('Invalid timestamp annotation');
            throw new Exit(1);
          }
          if (Number(text.slice(4).replace(/\r$/, '')) > ts) return p;
        }
        p = stop + 1;
      }
      return -1;
    };

    for (;;) {
      const before = reader.pos;
      let argv: string[] | null;
      try {
        argv = reader.next();
      } catch (e) {
        if (!(e instanceof AofParseError)) throw e;
        const cut = annotations(before, e.offset);
        if (cut >= 0) return this.truncateAtTimestamp(t, cut, multi > 0 ? multiStart : cut);
        error = { offset: e.offset, reason: e.reason };
        formatError = buf[e.offset] !== 0x2a && buf[e.offset] !== 0x23;
        if (multi === 0) ok = e.offset;
        break;
      }
      const cut = annotations(before, argv === null ? size : reader.start);
      if (cut >= 0) return this.truncateAtTimestamp(t, cut, multi > 0 ? multiStart : cut);
      if (argv === null) {
        if (multi === 0) ok = size;
        else error = { offset: multiStart, reason: 'Reached EOF before reading EXEC for MULTI' };
        break;
      }
      if (multi === 0) ok = reader.start;
      // counted before the MULTI/EXEC checks: redis-check-aof has read the whole command when it objects
      this.line += 1 + 2 * argv.length;
      const name = argv[0].toLowerCase();
      if (name === 'multi') {
        if (multi++ > 0) {
          error = { offset: reader.start, reason: `Unexpected MULTI in AOF ${t.path}` };
          break;
        }
        multiStart = reader.start;
      } else if (name === 'exec') {
        if (--multi !== 0) {
          error = { offset: reader.start, reason: `Unexpected EXEC in AOF ${t.path}` };
          break;
        }
      }
    }

    if (formatError) this.println(`AOF ${t.name} format error`);
    if (error) this.println(`${hexOffset(error.offset)}: ${error.reason}`);

    const diff = size - ok;
    if (diff === 0 && ts) {
      this.println(`Truncate nothing in AOF ${t.name} to timestamp ${ts}`);
      return 'ok';
    }
    this.println(`AOF analyzed: filename=${t.name}, size=${size}, ok_up_to=${ok}, ok_up_to_line=${this.line}, diff=${diff}`);
    if (diff === 0) return 'ok';
    if (!this.opts.fix) {
      this.println(`AOF ${t.name} is not valid. Use the --fix option to try fixing it.`);
      throw new Exit(1);
    }
    if (!t.last) {
      this.println(`Failed to truncate AOF ${t.name} because it is not the last file`);
      throw new Exit(1);
    }
    this.println(`This will shrink the AOF ${t.name} from ${size} bytes, with ${diff} bytes, to ${ok} bytes`);
    this.out('Continue? [y/N]: ');
    let answer: string;
    if (this.opts.yes) {
      answer = 'y';
      this.out('y (--yes)\n');
    } else {
      answer = await this.ask();
    }
    if (answer[0] !== 'y' && answer[0] !== 'Y') {
      this.println('Aborting...');
      throw new Exit(1);
    }
    if (!truncate(t.path, ok)) {
      this.println(`Failed to truncate AOF ${t.name}`);
      throw new Exit(1);
    }
    return 'truncated';
  }

  /** --truncate-to-timestamp found a later `#TS:` at `at`; cut the file at `cut` (`at`, or its open MULTI). */
  private truncateAtTimestamp(t: FileTarget, at: number, cut: number): Outcome {
    const ts = this.opts.truncateToTimestamp;
    if (cut === 0) {
      this.println(`AOF ${t.path} has nothing before timestamp ${ts}, aborting...`);
      throw new Exit(1);
    }
    if (!t.last) {
      this.println(`Failed to truncate AOF ${t.path} to timestamp ${ts} to offset ${at} because it is not the last file.`);
      this.println(
        'If you insist, please delete all files after this file according to the manifest file and delete the corresponding records in manifest file manually. Then re-run keel check-aof.',
      );
      throw new Exit(1);
    }
    if (!truncate(t.path, cut)) {
      this.println(`Failed to truncate AOF ${t.path} to timestamp ${ts}`);
      throw new Exit(1);
    }
    return 'timestamp-truncated';
  }
}

/** Cuts the file at `len` and makes that durable before reporting success. */
function truncate(file: string, len: number): boolean {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r+');
    fs.ftruncateSync(fd, len);
    fs.fsyncSync(fd);
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * A manifest is named `*.manifest` or has a first non-comment line starting with `file`
 * (redis-check-aof looks at every line, which mistakes an AOF holding the value "file" for a
 * manifest; an AOF's first line is a `*` command or a `#` annotation).
 */
function fileKind(file: string): 'manifest' | 'aof' | { error: unknown } {
  let head: Buffer;
  try {
    const fd = openDataFile(file);
    try {
      regularFileSize(fd, file);
      // a manifest is small; its first 64 KiB are enough, and cheap on a multi-GB AOF
      const b = Buffer.alloc(65536);
      head = b.subarray(0, fs.readSync(fd, b, 0, b.length, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    return { error: e };
  }
  if (file.endsWith('.manifest')) return 'manifest';
  if (hasRdbPreamble(head)) return 'aof';
  const first = head.toString('latin1').split('\n').find((l) => l.length > 0 && l[0] !== '#');
  return first !== undefined && first.startsWith('file') ? 'manifest' : 'aof';
}

/** Parses `keel check-aof` arguments; null (after printing the usage) when they are invalid. */
export function parseCheckAofArgs(args: string[], err: (s: string) => void): { file: string; opts: CheckAofOptions } | null {
  const opts: CheckAofOptions = { fix: false, yes: false, truncateToTimestamp: null };
  let file: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--fix') opts.fix = true;
    else if (a === '--yes' || a === '-y') opts.yes = true;
    else if (a === '--truncate-to-timestamp') {
      const v = args[++i];
      if (v === undefined || !/^-?\d+$/.test(v)) {
        err('Invalid timestamp, aborting...\n');
        return null;
      }
      opts.truncateToTimestamp = Number(v);
    } else if (a.startsWith('-') || file !== null) {
      err(USAGE);
      return null;
    } else file = a;
  }
  if (file === null || (opts.yes && !opts.fix)) {
    err(USAGE);
    return null;
  }
  return { file, opts };
}

/** The `keel check-aof` subcommand; returns the exit code. */
export async function runCheckAof(args: string[]): Promise<number> {
  const out = (s: string) => void process.stdout.write(s);
  const parsed = parseCheckAofArgs(args, out);
  if (!parsed) return 1;
  return new AofChecker(parsed.opts, out, readAnswer).run(parsed.file);
}
