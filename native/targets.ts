// Where kernels run: the host (a child process with the addon) and aarch64 (the cross-built
// runner under qemu-aarch64, or natively on an arm64 host). Every kernel is paired with the
// backend that can run it; a missing toolchain is a reported skip with the command that fixes
// it, never a silent pass.
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arch } from 'node:os';
import { hostBackend, stdioBackend, type Backend, type KernelDesc } from './backend.js';

/** Package root, whether running from .ts sources (vitest) or from dist/. */
export const PKG_ROOT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  return d;
})();

export const AARCH64_SETUP_HINT = 'npm run setup   (runs ci/setup-aarch64.sh as root: cross gcc, clang-19, qemu-aarch64 11.1; then builds the runner)';

export interface Aarch64Paths { qemu: string; qemuCpu: string; sysroot: string; runner: string }

/** Same defaults as ci/aarch64-env.sh; the environment wins. */
export function aarch64Paths(svlBytes = 64): Aarch64Paths {
  const e = process.env;
  return {
    qemu: e.BX_QEMU_AARCH64 ?? join(PKG_ROOT, '.toolchain/qemu/usr/bin/qemu-aarch64'),
    qemuCpu: svlBytes === 64 && e.BX_QEMU_CPU ? e.BX_QEMU_CPU : `max,sme-default-vector-length=${svlBytes}`,
    sysroot: e.BX_AARCH64_SYSROOT ?? '/usr/aarch64-linux-gnu',
    runner: e.BX_AARCH64_RUNNER ?? join(PKG_ROOT, 'build/aarch64/bitexact-runner'),
  };
}

/** Why the aarch64 backend cannot run here, or null if it can. */
export function aarch64Unavailable(p = aarch64Paths()): string | null {
  const native = arch() === 'arm64';
  if (!existsSync(p.runner)) return `aarch64 runner not built (${p.runner} missing); install with: ${AARCH64_SETUP_HINT}`;
  if (!native && !existsSync(p.qemu)) return `qemu-aarch64 not found at ${p.qemu}; install with: ${AARCH64_SETUP_HINT}`;
  if (!native && !existsSync(p.sysroot)) return `aarch64 sysroot ${p.sysroot} missing; install with: ${AARCH64_SETUP_HINT}`;
  return null;
}

/** The aarch64 runner, under qemu with the given streaming vector length (bytes) unless on arm64. */
export function aarch64Backend(opts: { svlBytes?: number; timeoutMs?: number } = {}): Backend {
  const p = aarch64Paths(opts.svlBytes ?? 64);
  const argv = arch() === 'arm64' ? [p.runner] : [p.qemu, '-cpu', p.qemuCpu, '-L', p.sysroot, p.runner];
  const name = arch() === 'arm64' ? 'aarch64' : `aarch64-qemu(svl=${opts.svlBytes ?? 64})`;
  return stdioBackend(name, argv, { timeoutMs: opts.timeoutMs ?? 60_000 });
}

export interface Target { kernel: KernelDesc; backend: Backend }

export interface Targets {
  targets: Target[];
  /** kernels or whole backends that cannot run here, with the reason */
  unavailable: { name: string; why: string }[];
  backends: Backend[];
  close(): Promise<void>;
}

/** Every kernel of every backend available here (kernels not runnable here are listed with why). */
export async function discoverTargets(opts: { host?: boolean; aarch64?: boolean; timeoutMs?: number; svlBytes?: number } = {}): Promise<Targets> {
  const backends: Backend[] = opts.host === false ? [] : [hostBackend({ timeoutMs: opts.timeoutMs })];
  const unavailable: { name: string; why: string }[] = [];
  if (opts.aarch64 !== false) {
    const why = aarch64Unavailable();
    if (why) unavailable.push({ name: 'aarch64 kernels (arm64_neon_i32_8x8, arm64_dotprod_i32_8x8_k4, arm64_sme2_i32_32x32_k4)', why });
    else backends.push(aarch64Backend({ timeoutMs: opts.timeoutMs, svlBytes: opts.svlBytes }));
  }
  const targets: Target[] = [];
  for (const b of backends) {
    for (const k of await b.list()) {
      k.backend = b.name;
      if (k.runnable) targets.push({ kernel: k, backend: b });
      else unavailable.push({ name: k.name, why: k.why });
    }
  }
  return { targets, unavailable, backends, close: async () => { await Promise.all(backends.map((b) => b.close())); } };
}

/** ELF e_machine: 62 = x86-64, 183 = aarch64. */
export function elfMachine(path: string): 'x86_64' | 'aarch64' | 'unknown' {
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(20);
    readSync(fd, h, 0, 20, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46) return 'unknown';
    const m = h.readUInt16LE(18);
    return m === 62 ? 'x86_64' : m === 183 ? 'aarch64' : 'unknown';
  } finally {
    closeSync(fd);
  }
}

export interface KernelSet {
  /** runnable kernels with their backend and source ('builtin' or the library path) */
  targets: (Target & { source: string })[];
  /** every kernel listed by a backend, runnable or not, with its source */
  all: { kernel: KernelDesc; backend: string; source: string }[];
  /** kernels or whole backends that cannot run here */
  unavailable: { name: string; why: string }[];
  backends: Backend[];
  /** --kernel-lib problems (missing file, wrong ELF, dlopen failure) */
  problems: string[];
  close(): Promise<void>;
}

/** svlBytes: the streaming vector length qemu gives the aarch64 runner (default 64 = 512 bits). */
export async function openKernels(o: { libs?: string[]; aarch64?: boolean; builtins?: boolean; timeoutMs?: number; svlBytes?: number } = {}): Promise<KernelSet> {
  const d = await discoverTargets({ aarch64: o.aarch64, timeoutMs: o.timeoutMs, svlBytes: o.svlBytes });
  const backends = [...d.backends];
  const builtins = o.builtins !== false;
  const targets: KernelSet['targets'] = builtins ? d.targets.map((t) => ({ ...t, source: 'builtin' })) : [];
  const all: KernelSet['all'] = [];
  if (builtins) for (const b of d.backends) for (const k of await b.list()) all.push({ kernel: k, backend: b.name, source: 'builtin' });
  const unavailable = builtins ? [...d.unavailable] : [];
  const problems: string[] = [];
  for (const lib of o.libs ?? []) {
    const path = resolve(lib);
    if (!existsSync(path)) { problems.push(`--kernel-lib ${lib}: no such file`); continue; }
    const machine = elfMachine(path);
    let backend: Backend | undefined;
    if (machine === 'x86_64') backend = backends.find((b) => !b.name.startsWith('aarch64'));
    else if (machine === 'aarch64') {
      backend = backends.find((b) => b.name.startsWith('aarch64'));
      if (!backend) {
        const why = aarch64Unavailable();
        if (why) { problems.push(`--kernel-lib ${lib}: an aarch64 library, but ${why}`); continue; }
        backend = aarch64Backend({ timeoutMs: o.timeoutMs, svlBytes: o.svlBytes });
        backends.push(backend);
      }
    } else { problems.push(`--kernel-lib ${lib}: not an x86-64 or aarch64 ELF shared library`); continue; }
    if (!backend) { problems.push(`--kernel-lib ${lib}: no ${machine} backend here`); continue; }
    try {
      for (const k of await backend.loadLib(path)) {
        k.backend = backend.name;
        all.push({ kernel: k, backend: backend.name, source: path });
        if (k.runnable) targets.push({ kernel: k, backend, source: path });
        else unavailable.push({ name: k.name, why: k.why });
      }
    } catch (e) {
      problems.push(`--kernel-lib ${lib}: ${(e as Error).message}`);
    }
  }
  return { targets, all, unavailable, backends, problems, close: async () => { await Promise.all(backends.map((b) => b.close())); } };
}
