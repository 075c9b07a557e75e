/**
 * Durable file replacement: write a temp file, fsync it, rename it over the target, fsync
 * the directory. A crash at any point leaves either the old file or the new one, whole.
 */
import { promises as fsp, constants, openSync, fsyncSync, closeSync, renameSync, writeSync, fstatSync, readFileSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** "ENOENT: no such file or directory, open 'x'" → "No such file or directory", like strerror. */
export function strerror(e: unknown): string {
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec((e as Error).message ?? '');
  const s = m ? m[1] : String((e as Error).message ?? e);
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Creates `dir` (and its parents) unless it exists. Throws "Can't open or create <what>
 * <name>: <reason>", Redis's words for the append-only dir, when it cannot be made or is a
 * file (mkdir would only say EEXIST).
 */
export function ensureDir(dir: string, what: string, name = dir): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('ENOTDIR: not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'Not a directory' : strerror(e);
    throw new Error(`Can't open or create ${what} ${name}: ${reason}`);
  }
}

/** fsyncs a directory so a rename inside it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Renames `tmp` over `target` and makes the rename durable. */
export async function publishFile(tmp: string, target: string): Promise<void> {
  await fsp.rename(tmp, target);
  await fsyncDir(path.dirname(target));
}

export function publishFileSync(tmp: string, target: string): void {
  renameSync(tmp, target);
  fsyncDirSync(path.dirname(target));
}

/** Writes `data` to `target` atomically (temp + fsync + rename + dir fsync), synchronously. */
export function writeFileAtomicSync(target: string, data: string | Buffer): void {
  const tmp = `${target}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  publishFileSync(tmp, target);
}

/**
 * Reads a whole data file (a dump, an AOF, a manifest). Only a regular file: a device or a
 * pipe (dump.rdb linked to /dev/zero) could be read forever.
 */
export function readDataFile(file: string): Buffer {
  const fd = openDataFile(file);
  try {
    regularFileSize(fd, file);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens a data file for reading. O_NONBLOCK: opening a pipe for reading waits for a writer,
 * which would hang the server before regularFileSize could refuse it; a regular file is read
 * the same either way.
 */
export function openDataFile(file: string): number {
  return openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
}

/** The size of the open data file `fd`; throws unless it is a regular file (see readDataFile). */
export function regularFileSize(fd: number, file: string): number {
  const st = fstatSync(fd);
  if (!st.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'EINVAL' });
  return st.size;
}
