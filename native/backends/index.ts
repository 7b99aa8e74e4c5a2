// Every backend provider, in discovery order (the host first). A new backend is one provider
// file plus its executor, and one entry here.
import { closeSync, openSync, readSync } from 'node:fs';
import { aarch64Provider } from './aarch64-qemu.js';
import { hostProvider } from './host.js';
import type { BackendProvider, Machine } from './provider.js';

export const PROVIDERS: readonly BackendProvider[] = [hostProvider, aarch64Provider];

const ELF_MACHINES: Record<number, Machine> = { 62: 'x86_64', 183: 'aarch64' };

/** A file's ELF e_machine (62 = x86-64, 183 = aarch64); 'unknown' for anything else. */
export function elfMachine(path: string): Machine | 'unknown' {
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(20);
    readSync(fd, h, 0, 20, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46) return 'unknown';
    return ELF_MACHINES[h.readUInt16LE(18)] ?? 'unknown';
  } finally {
    closeSync(fd);
  }
}

/** The providers that load libraries of an ELF machine, in discovery order. */
export const providersFor = (machine: Machine): BackendProvider[] => PROVIDERS.filter((p) => p.machine === machine);
