// A backend provider: one place where everything about one kind of executor is decided —
// whether it can run here (and the hint why not), which kernel libraries it takes (their ELF
// machine), how its executor is started, and how a repro.c of one of its kernels is built and
// run. Callers tell backends apart by the provider's declarations, never by a name.
import type { KernelDesc } from '../descriptor.js';
import type { Backend } from '../process.js';

/** The ELF machine of the code a backend runs. */
export type Machine = 'x86_64' | 'aarch64';

export interface StartOptions {
  /** per-request timeout (ms) */
  timeoutMs?: number;
  /** streaming vector length (bytes) an emulated SME target gets; ignored by the others */
  svlBytes?: number;
  /** the CPU an emulating provider emulates (its profile names, e.g. aarch64 CPU_PROFILES);
   *  ignored by the others */
  cpuProfile?: string;
}

/** What an emulated backend emulates: the profile, the emulator settings it stands for, and the
 *  command-line options (conform, replay) that select the same again. */
export interface Emulation { profile: string; settings: string; options: string[] }

/** Shell command lines that build and run a repro.c; they work from any directory. */
export interface ReproCommands { build: string; run: string }

export interface ReproInput {
  /** the repro.c source file */
  file: string;
  kernel: KernelDesc;
  /** 'builtin' or the path of the kernel library the kernel came from */
  source: string;
}

export interface BackendProvider {
  /** stable identifier */
  readonly id: string;
  /** how a listing names it when it is not available */
  readonly title: string;
  /** kernel libraries of this ELF machine are loaded into this provider's executor */
  readonly machine: Machine;
  /** an unavailable required provider is an error (a broken install), not a skip */
  readonly required: boolean;
  /** the command that makes it available */
  readonly installHint?: string;
  /** why it cannot run here, or null */
  unavailable(): string | null;
  /** the executor binary or module its kernels are built into */
  executorPath(): string;
  /** names of the kernels built into its executor (listed when it is unavailable) */
  builtinKernels(): string[];
  start(opts?: StartOptions): ProvidedBackend;
  /** how to build and run a repro.c of one of its kernels, for a backend started with opts */
  repro(input: ReproInput, opts?: StartOptions): ReproCommands;
}

/** A backend with the provider that started it and the settings of that start. */
export interface ProvidedBackend extends Backend {
  readonly provider: BackendProvider;
  /** kernels run under an emulator: their timings say nothing about the hardware */
  readonly emulated: boolean;
  /** the emulated CPU, when the backend runs under an emulator */
  readonly emulation?: Emulation;
  /** the provider's repro recipe with the settings this backend was started with */
  repro(input: ReproInput): ReproCommands;
}

/** Shell-quotes a word when needed. */
export const sh = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
