/**
 * The Redis 7.0 multi-part AOF manifest: which BASE file, which INCR files (in order) and
 * which HISTORY files (to delete) make up the append-only file.
 *
 *   file appendonly.aof.1.base.rdb seq 1 type b
 *   file appendonly.aof.1.incr.aof seq 1 type i
 *
 * One line per file, `#` lines are comments, file names are quoted when they need it
 * (sdssplitargs / sdscatrepr rules). The grammar and the error messages follow aof.c.
 */
import fs from 'node:fs';
import path from 'node:path';
import { splitInlineArgs } from '../../protocol/parser';
import { writeFileAtomicSync } from '../fsutil';

export type AofFileType = 'b' | 'h' | 'i';

export interface AofInfo {
  name: string;
  seq: number;
  type: AofFileType;
}

export class ManifestError extends Error {
  /** the 1-based line the error is about (0 when it is about the whole file) */
  line = 0;
  /** that line's text */
  lineText = '';
}

const MAX_LINE = 1024;

export class Manifest {
  base: AofInfo | null = null;
  incrs: AofInfo[] = [];
  history: AofInfo[] = [];
  baseSeq = 0;
  incrSeq = 0;

  constructor(readonly prefix: string) {}

  static parse(text: string, prefix: string): Manifest {
    const lines = text.split('\n');
    let at = 0;
    try {
      return Manifest.parseLines(lines, prefix, (i) => (at = i));
    } catch (e) {
      if (e instanceof ManifestError && at > 0 && !/empty AOF manifest/.test(e.message)) {
        e.line = at;
        e.lineText = (lines[at - 1] ?? '').replace(/\r$/, '');
      }
      throw e;
    }
  }

  private static parseLines(parts: string[], prefix: string, reading: (line: number) => void): Manifest {
    const m = new Manifest(prefix);
    let lines = 0;
    // fgets semantics, as aof.c reads it: every line ends in \n, and a blank one is an error
    for (let n = 0; n < parts.length; n++) {
      const raw = parts[n];
      reading(n + 1);
      if (n === parts.length - 1) {
        if (raw.length > 0 && raw[0] !== '#') throw new ManifestError('The AOF manifest file contains too long line');
        break;
      }
      if (raw.length > MAX_LINE) throw new ManifestError('The AOF manifest file contains too long line');
      if (raw[0] === '#') continue;
      if (raw.trim().length === 0) throw new ManifestError('Invalid AOF manifest file format');
      lines++;
      let args: string[] | null;
      try {
        args = splitInlineArgs(raw.replace(/\r$/, ''));
      } catch {
        args = null;
      }
      if (args === null || args.length < 6 || args.length % 2 !== 0) throw new ManifestError('Invalid AOF manifest file format');
      const info: Partial<AofInfo> = {};
      for (let i = 0; i < args.length; i += 2) {
        const k = args[i].toLowerCase();
        if (k === 'file') {
          info.name = args[i + 1];
          // a name like ../x would reach (and, as history, delete) files outside the directory
          if (/[/\\]/.test(info.name)) throw new ManifestError("File can't be a path, just a filename");
        } else if (k === 'seq') info.seq = Number(args[i + 1]);
        else if (k === 'type') info.type = args[i + 1][0] as AofFileType; // Redis reads the first character
        // unknown keys are ignored, as Redis does, for forward compatibility
      }
      if (!info.name || info.seq === undefined || !Number.isInteger(info.seq) || info.seq === 0 || !info.type) throw new ManifestError('Invalid AOF manifest file format');
      const f = info as AofInfo;
      if (f.type === 'b') {
        if (m.base) throw new ManifestError('Found duplicate base file information');
        m.base = f;
        m.baseSeq = f.seq;
      } else if (f.type === 'h') {
        m.history.push(f);
      } else if (f.type === 'i') {
        if (f.seq <= m.incrSeq) throw new ManifestError('Found a non-monotonic sequence number');
        m.incrs.push(f);
        m.incrSeq = f.seq;
      } else {
        throw new ManifestError(`Unknown AOF file type: ${f.type}`);
      }
    }
    if (lines === 0) throw new ManifestError('Found an empty AOF manifest');
    return m;
  }

  format(): string {
    let s = '';
    const line = (f: AofInfo) => (s += `file ${quoteName(f.name)} seq ${f.seq} type ${f.type}\n`);
    if (this.base) line(this.base);
    for (const f of this.history) line(f);
    for (const f of this.incrs) line(f);
    return s;
  }

  /** Names in load order: the BASE, then every INCR. */
  loadOrder(): AofInfo[] {
    return this.base ? [this.base, ...this.incrs] : [...this.incrs];
  }

  /** Starts a new BASE (`rdb` or `aof` suffix); the old one becomes history. */
  newBase(rdbPreamble: boolean): AofInfo {
    if (this.base) this.history.push({ ...this.base, type: 'h' });
    this.base = { name: `${this.prefix}.${++this.baseSeq}.base.${rdbPreamble ? 'rdb' : 'aof'}`, seq: this.baseSeq, type: 'b' };
    return this.base;
  }

  newIncr(): AofInfo {
    const f: AofInfo = { name: `${this.prefix}.${++this.incrSeq}.incr.aof`, seq: this.incrSeq, type: 'i' };
    this.incrs.push(f);
    return f;
  }

  /** After a rewrite: every INCR older than `keepFrom` (matched by name) becomes history. */
  retireIncrsBefore(keepFrom: AofInfo): void {
    const i = this.incrs.findIndex((f) => f.name === keepFrom.name);
    const old = this.incrs.splice(0, Math.max(0, i));
    for (const f of old) this.history.push({ ...f, type: 'h' });
  }

  clone(): Manifest {
    const m = new Manifest(this.prefix);
    m.base = this.base && { ...this.base };
    m.incrs = this.incrs.map((f) => ({ ...f }));
    m.history = this.history.map((f) => ({ ...f }));
    m.baseSeq = this.baseSeq;
    m.incrSeq = this.incrSeq;
    return m;
  }

  /** Replaces the manifest on disk atomically (temp file, fsync, rename, directory fsync). */
  persist(dir: string): void {
    writeFileAtomicSync(path.join(dir, manifestName(this.prefix)), this.format());
  }
}

export function manifestName(prefix: string): string {
  return `${prefix}.manifest`;
}

/** Reads `dir/<prefix>.manifest`; null when it does not exist. */
export function readManifest(dir: string, prefix: string): Manifest | null {
  const file = path.join(dir, manifestName(prefix));
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    return Manifest.parse(text, prefix);
  } catch (e) {
    if (e instanceof ManifestError) throw new ManifestError(`${e.message} (${file})`);
    throw e;
  }
}

/** sdscatrepr quoting, only when the name needs it (sdsneedsrepr). */
function quoteName(s: string): string {
  if (!/[\s"'\\\x00-\x1f\x7f-\xff]/.test(s) && s.length > 0) return s;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const c = s[i];
    if (c === '\\' || c === '"') out += '\\' + c;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '\x07') out += '\\a';
    else if (c === '\b') out += '\\b';
    else if (ch < 32 || ch > 126) out += '\\x' + ch.toString(16).padStart(2, '0');
    else out += c;
  }
  return out + '"';
}
