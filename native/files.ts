// Files on the way in and out of bitexact, in one place. Inputs (case files, reports, kernel
// libraries, manifests) are stat()ed before they are opened, so a directory, a FIFO or a
// device is a named error and never a hang, and are opened non-blocking. Outputs (fixtures,
// repro.c, reports) are written whole or not at all: to a temporary file beside the target,
// then renamed over it (write-file-atomic), so a full disk or two processes saving the same
// file never leave a truncated one. Every failure names the path and the errno.
import { accessSync, closeSync, constants, fstatSync, mkdirSync, openSync, readSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** An input or output file that cannot be used: `path` and `code` (an errno name, or a
 *  word of ours: ENOTREG, EEMPTY, ETOOBIG, ENOTELF) say which and why. */
export class FileError extends Error {
  constructor(readonly path: string, readonly code: string, message: string) {
    super(message);
    this.name = 'FileError';
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device', EROFS: 'read-only file system', ENOTDIR: 'a path component is not a directory',
  EISDIR: 'is a directory', EEXIST: 'already exists', EDQUOT: 'disk quota exceeded', EIO: 'input/output error',
  ENAMETOOLONG: 'file name too long', EMFILE: 'too many open files', ELOOP: 'too many symbolic links', EXDEV: 'cross-device rename',
};

/** "ENOSPC (no space left on device)" of a thrown fs error. */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (!code) return (e as Error)?.message ?? String(e);
  return ERRNO_TEXT[code] ? `${code} (${ERRNO_TEXT[code]})` : code;
}

const kindOf = (s: Stats): string =>
  s.isDirectory() ? 'a directory' : s.isFIFO() ? 'a FIFO (named pipe)' : s.isSocket() ? 'a socket'
    : s.isCharacterDevice() ? 'a character device' : s.isBlockDevice() ? 'a block device' : 'not a regular file';

export interface InputCheck {
  /** larger files are refused before they are read */
  maxBytes?: number;
  /** an empty file is refused (a library, a manifest) */
  nonEmpty?: boolean;
}

/** Why `path` cannot be read as an input file, or null: it must exist, be a regular file
 *  (following symlinks), be readable, and fit the limits. Never opens the file. */
export function inputProblem(path: string, o: InputCheck = {}): FileError | null {
  let s: Stats;
  try {
    s = statSync(path);
  } catch (e) {
    return new FileError(path, (e as NodeJS.ErrnoException).code ?? 'EIO', `${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errnoText(e)}`);
  }
  if (!s.isFile()) return new FileError(path, 'ENOTREG', `${path}: ${kindOf(s)}, not a regular file`);
  try {
    accessSync(path, constants.R_OK);
  } catch (e) {
    return new FileError(path, (e as NodeJS.ErrnoException).code ?? 'EACCES', `${path}: not readable: ${errnoText(e)}`);
  }
  if (o.nonEmpty && s.size === 0) return new FileError(path, 'EEMPTY', `${path}: empty file (0 bytes)`);
  if (o.maxBytes !== undefined && s.size > o.maxBytes) return new FileError(path, 'ETOOBIG', `${path}: ${s.size} bytes, more than the limit of ${o.maxBytes}`);
  return null;
}

/** Opens an input for reading without ever blocking (a FIFO swapped in after the stat opens
 *  at once and is refused by the fstat). */
function openInput(path: string, o: InputCheck): number {
  const bad = inputProblem(path, o);
  if (bad) throw bad;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new FileError(path, (e as NodeJS.ErrnoException).code ?? 'EIO', `${path}: cannot open: ${errnoText(e)}`);
  }
  const s = fstatSync(fd);
  if (!s.isFile()) { closeSync(fd); throw new FileError(path, 'ENOTREG', `${path}: ${kindOf(s)}, not a regular file`); }
  return fd;
}

/** The first `n` bytes of an input file (fewer when it is shorter). Throws FileError. */
export function readHead(path: string, n: number, o: InputCheck = {}): Buffer {
  const fd = openInput(path, o);
  try {
    const b = Buffer.alloc(n);
    let got = 0;
    for (let r = -1; got < n && r !== 0; got += r) r = readSync(fd, b, got, n - got, got);
    return b.subarray(0, got);
  } catch (e) {
    if (e instanceof FileError) throw e;
    throw new FileError(path, (e as NodeJS.ErrnoException).code ?? 'EIO', `${path}: cannot read: ${errnoText(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** A whole input file as text, checked first (see inputProblem). Throws FileError. */
export function readInputText(path: string, o: InputCheck = {}): string {
  const fd = openInput(path, o);
  try {
    const size = fstatSync(fd).size;
    if (o.maxBytes !== undefined && size > o.maxBytes) throw new FileError(path, 'ETOOBIG', `${path}: ${size} bytes, more than the limit of ${o.maxBytes}`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const b = Buffer.alloc(Math.max(4096, Math.min(size + 1, 1 << 20)));
      const r = readSync(fd, b, 0, b.length, null);
      if (r === 0) break;
      total += r;
      if (o.maxBytes !== undefined && total > o.maxBytes) throw new FileError(path, 'ETOOBIG', `${path}: more than the limit of ${o.maxBytes} bytes`);
      chunks.push(b.subarray(0, r));
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    if (e instanceof FileError) throw e;
    throw new FileError(path, (e as NodeJS.ErrnoException).code ?? 'EIO', `${path}: cannot read: ${errnoText(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** mkdir -p, one level at a time, so that the errno is the real one (a recursive mkdir on a
 *  read-only file system says ENOENT). */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try { statSync(d); break; } catch { missing.push(d); }
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try { mkdirSync(d); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
  }
}

/** Writes `text` to `path` whole or not at all, creating its directory: a temporary file beside
 *  it, fsync, rename. A character device (/dev/null, /dev/full, /dev/stdout) is written in
 *  place: it cannot be replaced, and must not be. Throws FileError naming the path and errno. */
export function writeWhole(path: string, text: string): void {
  const target = resolve(path);
  let existing: Stats | undefined;
  try { existing = statSync(target); } catch { /* a new file */ }
  if (existing && !existing.isFile()) {
    if (!existing.isCharacterDevice()) throw new FileError(path, 'ENOTREG', `cannot write ${path}: ${kindOf(existing)}, not a regular file`);
    let fd: number | undefined;
    try {
      fd = openSync(target, constants.O_WRONLY | constants.O_NONBLOCK);
      const b = Buffer.from(text);
      for (let off = 0; off < b.length;) off += writeSync(fd, b, off, b.length - off);
      return;
    } catch (e) {
      throw new FileError(path, (e as NodeJS.ErrnoException).code ?? 'EIO', `cannot write ${path}: ${errnoText(e)}`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  try {
    makeDirs(dirname(target));
    writeFileAtomic.sync(target, text);
  } catch (e) {
    throw new FileError(path, (e as NodeJS.ErrnoException).code ?? 'EIO', `cannot write ${path}: ${errnoText(e)}`);
  }
}

/** Why nothing could be written at `path` (checked before a run, so a bad output path is a
 *  usage error and not a lost report): its directory is created and a probe file made and
 *  removed there; an existing target must be a regular file or a character device. */
export function outputProblem(path: string): string | null {
  const target = resolve(path);
  try {
    const s = statSync(target);
    if (s.isDirectory()) return `${path}: a directory (expected a file path)`;
    if (!s.isFile() && !s.isCharacterDevice()) return `${path}: ${kindOf(s)}, not a regular file`;
    if (s.isCharacterDevice()) return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return `${path}: ${errnoText(e)}`;
  }
  return dirProblem(dirname(target), path);
}

/** Why no file could be created in directory `dir` (created if missing), or null. */
export function dirProblem(dir: string, shown = dir): string | null {
  try {
    if (!statSync(dir).isDirectory()) return `${shown}: ${dir} is not a directory`;
  } catch { /* missing: created below */ }
  try {
    makeDirs(dir);
  } catch (e) {
    return `${shown}: cannot create the directory ${dir}: ${errnoText(e)}`;
  }
  try {
    if (!statSync(dir).isDirectory()) return `${shown}: ${dir} is not a directory`;
  } catch (e) {
    return `${shown}: ${errnoText(e)}`;
  }
  const probe = resolve(dir, `.bitexact-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    closeSync(openSync(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
    unlinkSync(probe);
  } catch (e) {
    return `${shown}: cannot create files in ${dir}: ${errnoText(e)}`;
  }
  return null;
}
