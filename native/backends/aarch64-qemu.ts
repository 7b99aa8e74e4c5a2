// The aarch64 provider: the cross-built runner (native/runner; found by aarch64RunnerPath())
// speaking the protocol on stdin/stdout, under qemu-aarch64 user mode with a chosen CPU profile
// (CPU_PROFILES: an Apple-M4-like SME CPU by default) and SME streaming vector length — or
// directly on an arm64 host. A missing toolchain is a reported skip with the command that
// installs it.
import { existsSync, readdirSync } from 'node:fs';
import { arch } from 'node:os';
import path from 'node:path';
import { AARCH64_SETUP_COMMAND, aarch64BuildDir, aarch64RunnerPath, PKG_ROOT, qemuAarch64Path } from '../paths.js';
import { stdioBackend } from '../process.js';
import { builtinKernelNames, builtinKernelSources } from '../sources.js';
import { sh, type BackendProvider, type Emulation, type ProvidedBackend, type ReproCommands, type ReproInput, type StartOptions } from './provider.js';

export const AARCH64_SETUP_HINT = `${AARCH64_SETUP_COMMAND}   (cross gcc + clang-19 from apt, qemu-aarch64 11 and the runner into the user cache; in a clone, npm run setup)`;

/** The CPUs the aarch64 backend emulates (qemu -cpu; the SVL is appended for SME profiles).
 *  The default is the hardware SME kernels ship on: code that passes under a laxer CPU
 *  (qemu's max has FEAT_SME_FA64 and non-streaming SVE) can fault on an M4. */
export const CPU_PROFILES = {
  m4: {
    cpu: 'max,sve=off,sme=on,sme_fa64=off', sme: true,
    about: 'Apple-M4-like: SME2, no FEAT_SME_FA64 (NEON in streaming mode faults), no non-streaming SVE (cntb / SVE outside streaming mode faults)',
  },
  max: { cpu: 'max', sme: true, about: "qemu's max CPU: SVE, SME2 with FEAT_SME_FA64 (laxer than any shipping SME core)" },
  neon: { cpu: 'max,sve=off,sme=off', sme: false, about: 'no SVE, no SME: NEON and dotprod only (SME kernels do not run)' },
} as const satisfies Record<string, { cpu: string; sme: boolean; about: string }>;
export type CpuProfileName = keyof typeof CPU_PROFILES;
export const DEFAULT_CPU_PROFILE: CpuProfileName = 'm4';
/** A profile name of its own: `qemu:<-cpu string>`, verbatim (what BX_QEMU_CPU selects). */
const RAW = 'qemu:';

/** Why a --cpu-profile value names no profile, or null. */
export function cpuProfileError(name: string): string | null {
  if (name in CPU_PROFILES || (name.startsWith(RAW) && name.length > RAW.length)) return null;
  return `unknown CPU profile (one of ${Object.keys(CPU_PROFILES).join(', ')}, or ${RAW}<qemu -cpu string>)`;
}

/** The streaming vector lengths (bytes) qemu's sme-default-vector-length takes and SME allows
 *  (a power of two, 128..2048 bits). */
export const SVL_BYTES = [16, 32, 64, 128, 256] as const;

/** Why an --svl value is not one qemu can emulate, or null. */
export const svlError = (bytes: number): string | null =>
  (SVL_BYTES as readonly number[]).includes(bytes) ? null : `not a streaming vector length qemu emulates (bytes: one of ${SVL_BYTES.join(', ')})`;

/** The profile a start uses: the one asked for, else BX_QEMU_CPU (by its profile's name when it
 *  is one, as ci/aarch64-env.sh sets it; else verbatim), else the default. */
function profileOf(asked?: string): string {
  if (asked) return asked;
  const env = process.env.BX_QEMU_CPU;
  if (!env) return DEFAULT_CPU_PROFILE;
  return Object.keys(CPU_PROFILES).find((n) => qemuCpu(n) === env) ?? RAW + env;
}

/** The qemu -cpu string of a profile at a streaming vector length. */
export function qemuCpu(profile: string, svlBytes = 64): string {
  const why = cpuProfileError(profile);
  if (why) throw new Error(`--cpu-profile ${profile}: ${why}`);
  const svl = `sme-default-vector-length=${svlBytes}`;
  if (profile.startsWith(RAW)) return profile.slice(RAW.length) + (svlBytes === 64 ? '' : `,${svl}`);
  const p = CPU_PROFILES[profile as CpuProfileName];
  return p.sme ? `${p.cpu},${svl}` : p.cpu;
}

export interface Aarch64Paths { qemu: string; qemuCpu: string; sysroot: string; runner: string }

/** Same lookup as ci/aarch64-env.sh (native/paths.ts); the environment wins. */
export function aarch64Paths(svlBytes = 64, cpuProfile?: string): Aarch64Paths {
  const e = process.env;
  return {
    qemu: qemuAarch64Path(),
    qemuCpu: qemuCpu(profileOf(cpuProfile), svlBytes),
    sysroot: e.BX_AARCH64_SYSROOT ?? '/usr/aarch64-linux-gnu',
    runner: aarch64RunnerPath(),
  };
}

/** What a start emulates, and the options that select it again (a rerun line carries them). */
function emulation(opts: StartOptions): Emulation {
  const profile = profileOf(opts.cpuProfile);
  const svl = opts.svlBytes ?? 64;
  return {
    profile, settings: `qemu-aarch64 -cpu ${qemuCpu(profile, svl)}`,
    options: ['--cpu-profile', sh(profile), ...(svl === 64 ? [] : ['--svl', String(svl)])],
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
  const p = aarch64Paths(opts.svlBytes ?? 64, opts.cpuProfile);
  const src = sh(path.resolve(file));
  const exe = sh(path.resolve(file.replace(/\.c$/, '')));
  const inc = sh(path.join(PKG_ROOT, 'native', 'include'));
  const runWith = [...emulatorArgv(p).map(sh), exe].join(' ');
  if (source !== 'builtin') return { build: `aarch64-linux-gnu-gcc -O1 -I ${inc} ${src} -o ${exe} -ldl`, run: `${runWith} ${sh(path.resolve(source))}` };
  // the builtin kernels: link the objects of the runner build (make -C native/runner)
  const objs = builtinKernelSources('aarch64').map((f) => sh(path.join(aarch64BuildDir(), 'obj', `${f}.o`)));
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
    const p = aarch64Paths(svl, opts.cpuProfile);
    const emu = native() ? undefined : emulation(opts);
    const name = emu ? `aarch64-qemu(${emu.profile},svl=${svl})` : 'aarch64';
    const backend = stdioBackend(name, [...emulatorArgv(p), p.runner], { timeoutMs: opts.timeoutMs });
    return Object.assign(backend, { provider: aarch64Provider, emulated: !native(), emulation: emu, repro: (input: ReproInput) => repro(input, opts) });
  },
};

/** The aarch64 runner, under qemu with the given CPU profile and streaming vector length (bytes)
 *  unless on arm64. */
export const aarch64Backend = (opts: StartOptions = {}): ProvidedBackend => aarch64Provider.start(opts);
