// The aarch64 provider: the cross-built runner (native/runner, build/aarch64/bitexact-runner)
// speaking the protocol on stdin/stdout, under qemu-aarch64 user mode with a chosen SME
// streaming vector length — or directly on an arm64 host. A missing toolchain is a reported
// skip with the command that installs it.
import { existsSync, readdirSync } from 'node:fs';
import { arch } from 'node:os';
import path from 'node:path';
import { PKG_ROOT } from '../paths.js';
import { stdioBackend } from '../process.js';
import { builtinKernelNames, builtinKernelSources } from '../sources.js';
import { sh, type BackendProvider, type ProvidedBackend, type ReproCommands, type ReproInput, type StartOptions } from './provider.js';

export const AARCH64_SETUP_HINT = 'npm run setup   (runs ci/setup-aarch64.sh as root: cross gcc, clang-19, qemu-aarch64 11.1; then builds the runner)';

export interface Aarch64Paths { qemu: string; qemuCpu: string; sysroot: string; runner: string }

/** Same defaults as ci/aarch64-env.sh; the environment wins. */
export function aarch64Paths(svlBytes = 64): Aarch64Paths {
  const e = process.env;
  return {
    qemu: e.BX_QEMU_AARCH64 ?? path.join(PKG_ROOT, '.toolchain/qemu/usr/bin/qemu-aarch64'),
    qemuCpu: svlBytes === 64 && e.BX_QEMU_CPU ? e.BX_QEMU_CPU : `max,sme-default-vector-length=${svlBytes}`,
    sysroot: e.BX_AARCH64_SYSROOT ?? '/usr/aarch64-linux-gnu',
    runner: e.BX_AARCH64_RUNNER ?? path.join(PKG_ROOT, 'build/aarch64/bitexact-runner'),
  };
}

const native = (): boolean => arch() === 'arm64';

/** Why the aarch64 backend cannot run here, or null if it can. */
export function aarch64Unavailable(p = aarch64Paths()): string | null {
  if (!existsSync(p.runner)) return `aarch64 runner not built (${p.runner} missing); install with: ${AARCH64_SETUP_HINT}`;
  if (!native() && !existsSync(p.qemu)) return `qemu-aarch64 not found at ${p.qemu}; install with: ${AARCH64_SETUP_HINT}`;
  if (!native() && !existsSync(p.sysroot)) return `aarch64 sysroot ${p.sysroot} missing; install with: ${AARCH64_SETUP_HINT}`;
  return null;
}

/** What runs an aarch64 program here: nothing on arm64, else qemu with the CPU settings. */
const emulatorArgv = (p: Aarch64Paths): string[] => (native() ? [] : [p.qemu, '-cpu', p.qemuCpu, '-L', p.sysroot]);

/** The cross toolchain builds the repro.c; it runs the way the runner ran (same qemu CPU). */
function repro({ file, source }: ReproInput, opts: StartOptions = {}): ReproCommands {
  const p = aarch64Paths(opts.svlBytes ?? 64);
  const src = sh(path.resolve(file));
  const exe = sh(path.resolve(file.replace(/\.c$/, '')));
  const inc = sh(path.join(PKG_ROOT, 'native', 'include'));
  const runWith = [...emulatorArgv(p).map(sh), exe].join(' ');
  if (source !== 'builtin') return { build: `aarch64-linux-gnu-gcc -O1 -I ${inc} ${src} -o ${exe} -ldl`, run: `${runWith} ${sh(path.resolve(source))}` };
  // the builtin kernels: link the objects of the runner build (make -C native/runner)
  const objs = builtinKernelSources('aarch64').map((f) => sh(path.join(PKG_ROOT, 'build/aarch64/obj', `${f}.o`)));
  return {
    build: `clang-19 --target=aarch64-linux-gnu -O1 -I ${inc} -DBX_REPRO_LINK=bx_builtin_kernels -c ${src} -o ${exe}.o && aarch64-linux-gnu-gcc -static -o ${exe} ${exe}.o ${objs.join(' ')}`,
    run: runWith,
  };
}

export const aarch64Provider: BackendProvider = {
  id: 'aarch64-qemu',
  title: 'aarch64 (qemu-aarch64)',
  machine: 'aarch64',
  required: false,
  installHint: AARCH64_SETUP_HINT,
  unavailable: () => aarch64Unavailable(),
  executorPath: () => aarch64Paths().runner,
  builtinKernels: () => builtinKernelNames('aarch64'),
  repro,
  start: (opts: StartOptions = {}): ProvidedBackend => {
    const svl = opts.svlBytes ?? 64;
    const p = aarch64Paths(svl);
    const name = native() ? 'aarch64' : `aarch64-qemu(svl=${svl})`;
    const backend = stdioBackend(name, [...emulatorArgv(p), p.runner], { timeoutMs: opts.timeoutMs });
    return Object.assign(backend, { provider: aarch64Provider, emulated: !native(), repro: (input: ReproInput) => repro(input, opts) });
  },
};

/** The aarch64 runner, under qemu with the given streaming vector length (bytes) unless on arm64. */
export const aarch64Backend = (opts: StartOptions = {}): ProvidedBackend => aarch64Provider.start(opts);
