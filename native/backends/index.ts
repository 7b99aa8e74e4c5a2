// Every backend provider, in discovery order (the host first). A new backend is one provider
// file plus its executor, and one entry here.
import { FileError, inputProblem, readHead } from '../files.js';
import { aarch64Provider } from './aarch64-qemu.js';
import { hostProvider } from './host.js';
import type { BackendProvider, Machine } from './provider.js';

export const PROVIDERS: readonly BackendProvider[] = [hostProvider, aarch64Provider];

const ELF_MACHINES: Record<number, Machine> = { 62: 'x86_64', 183: 'aarch64' };

/** A file's ELF e_machine (62 = x86-64, 183 = aarch64); 'unknown' for anything else. Reads
 *  only a regular file (never blocks on a FIFO); throws FileError when it cannot. */
export function elfMachine(path: string): Machine | 'unknown' {
  const h = readHead(path, 20);
  if (h.length < 20 || h.readUInt32BE(0) !== 0x7f454c46) return 'unknown';
  return ELF_MACHINES[h.readUInt16LE(18)] ?? 'unknown';
}

/** Why `path` cannot be a kernel library: missing, a directory / FIFO / device, unreadable,
 *  empty, not ELF, or ELF of a machine no backend runs; null when it is an x86-64 or aarch64
 *  ELF file. Checked with stat() before anything opens it, so nothing here can hang. */
export function libraryProblem(path: string): string | null {
  const bad = inputProblem(path, { nonEmpty: true });
  if (bad) return bad.code === 'ENOENT' ? 'no such file' : bad.message.replace(`${path}: `, '');
  let h: Buffer;
  try {
    h = readHead(path, 20);
  } catch (e) {
    if (e instanceof FileError) return e.message.replace(`${path}: `, '');
    throw e;
  }
  if (h.length < 4 || h.readUInt32BE(0) !== 0x7f454c46) return `not an ELF file (it starts with ${JSON.stringify(h.subarray(0, 4).toString('latin1'))})`;
  if (h.length < 20 || !ELF_MACHINES[h.readUInt16LE(18)]) return `an ELF file of machine ${h.length < 20 ? '?' : h.readUInt16LE(18)}, not an x86-64 or aarch64 ELF shared library`;
  return null;
}

/** The providers that load libraries of an ELF machine, in discovery order. */
export const providersFor = (machine: Machine): BackendProvider[] => PROVIDERS.filter((p) => p.machine === machine);
