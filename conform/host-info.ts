// The `host` object of a conform report: what a result was measured on, so two reports can be
// compared (a kernel that "does not run here" on one machine may run on another; an emulated
// kernel's verdict holds for the emulated CPU, not for a chip).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { aarch64Paths, aarch64Unavailable, cpuProfileError, DEFAULT_CPU_PROFILE } from '../native/backends/aarch64-qemu.js';
import { PKG_VERSION } from '../native/paths.js';

/** The x86-64 features the builtin kernels' is_supported_here() checks (native/kernels/x86_*),
 *  by their __builtin_cpu_supports names, and their /proc/cpuinfo flag names. */
const X86_GATE_FEATURES: Record<string, string> = {
  avx2: 'avx2', avx512f: 'avx512f', avx512bw: 'avx512bw', avx512vl: 'avx512vl', avx512vnni: 'avx512_vnni', osxsave: 'osxsave',
};
/** The aarch64 features the builtin kernels check (HWCAP names as /proc/cpuinfo lists them). */
const ARM_GATE_FEATURES = ['asimd', 'asimddp', 'sve', 'sme', 'sme2'];

export interface HostInfo {
  /** the bitexact version that produced the report */
  bitexact: string;
  /** process.version */
  node: string;
  /** process.platform-process.arch, e.g. linux-x64 */
  platform: string;
  cpu: {
    /** /proc/cpuinfo "model name" (os.cpus() elsewhere); "unknown" when neither says */
    model: string;
    /** each feature the builtin kernels check: present on this CPU (as the kernel reports it) */
    features: Record<string, boolean>;
  };
  /** the aarch64 emulator: qemu-aarch64 and the CPU it emulates for this run, or why it is not used */
  emulator: { name: 'qemu-aarch64'; path: string; version: string; cpu_profile: string; svl_bytes: number; qemu_cpu: string; sysroot: string }
    | { name: 'none'; why: string };
}

function cpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

function cpuModel(info: string): string {
  const m = /^(?:model name|Hardware|Processor)\s*:\s*(.+)$/m.exec(info);
  return (m?.[1] ?? os.cpus()[0]?.model ?? 'unknown').trim() || 'unknown';
}

function cpuFeatures(info: string): Record<string, boolean> {
  const line = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(info)?.[1] ?? '';
  const have = new Set(line.split(/\s+/).filter(Boolean));
  if (process.arch === 'x64') return Object.fromEntries(Object.entries(X86_GATE_FEATURES).map(([name, flag]) => [name, have.has(flag)]));
  if (process.arch === 'arm64') return Object.fromEntries(ARM_GATE_FEATURES.map((f) => [f, have.has(f)]));
  return {};
}

const qemuVersions = new Map<string, string>();
function qemuVersion(qemu: string): string {
  let v = qemuVersions.get(qemu);
  if (v === undefined) {
    try {
      const out = execFileSync(qemu, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
      v = /version\s+(\S+(?:\s+\([^)]*\))?)/.exec(out)?.[1] ?? out.split('\n')[0].trim();
    } catch (e) {
      v = `unknown (${(e as Error).message.split('\n')[0]})`;
    }
    qemuVersions.set(qemu, v);
  }
  return v;
}

/** What this report was measured on. aarch64: false when the run did not use the aarch64
 *  backend (--no-aarch64); cpuProfile / svlBytes: the emulated CPU of the run (its defaults). */
export function hostInfo(o: { aarch64?: boolean; cpuProfile?: string; svlBytes?: number } = {}): HostInfo {
  const info = cpuinfo();
  const base = {
    bitexact: PKG_VERSION, node: process.version, platform: `${process.platform}-${process.arch}`,
    cpu: { model: cpuModel(info), features: cpuFeatures(info) },
  };
  if (o.aarch64 === false) return { ...base, emulator: { name: 'none', why: 'the aarch64 backend was not used (--no-aarch64)' } };
  if (process.arch === 'arm64') return { ...base, emulator: { name: 'none', why: 'aarch64 kernels run natively on this host' } };
  const profile = o.cpuProfile ?? process.env.BX_QEMU_CPU ?? DEFAULT_CPU_PROFILE;
  if (o.cpuProfile && cpuProfileError(o.cpuProfile)) return { ...base, emulator: { name: 'none', why: `--cpu-profile ${o.cpuProfile}: ${cpuProfileError(o.cpuProfile)}` } };
  const svl = o.svlBytes ?? 64;
  const p = aarch64Paths(svl, o.cpuProfile);
  const why = aarch64Unavailable(p);
  if (why || !existsSync(p.qemu)) return { ...base, emulator: { name: 'none', why: why ?? `${p.qemu} missing` } };
  return {
    ...base,
    emulator: { name: 'qemu-aarch64', path: p.qemu, version: qemuVersion(p.qemu), cpu_profile: o.cpuProfile ?? profile, svl_bytes: svl, qemu_cpu: p.qemuCpu, sysroot: p.sysroot },
  };
}

/** The host as one line (markdown report): version, node, CPU and its features, emulator. */
export function hostLine(h: HostInfo): string {
  const feats = Object.entries(h.cpu.features).map(([f, on]) => (on ? f : `no ${f}`)).join(', ');
  const emu = h.emulator.name === 'qemu-aarch64' ? `qemu-aarch64 ${h.emulator.version} -cpu ${h.emulator.qemu_cpu}` : `no emulator (${h.emulator.why})`;
  return `bitexact ${h.bitexact} · node ${h.node} · ${h.platform} · ${h.cpu.model}${feats ? ` (${feats})` : ''} · ${emu}`;
}

/** The host as JUnit <property> name/value pairs. */
export function hostProperties(h: HostInfo): [string, string][] {
  return [
    ['bitexact_version', h.bitexact], ['node', h.node], ['host_cpu', h.cpu.model],
    ['host_cpu_features', Object.entries(h.cpu.features).filter(([, on]) => on).map(([f]) => f).join(' ')],
    ...(h.emulator.name === 'qemu-aarch64' ? [['qemu_version', h.emulator.version], ['qemu_cpu', h.emulator.qemu_cpu]] as [string, string][] : []),
  ];
}
