// Where kernels run: every kernel of every available backend provider (native/backends/),
// paired with the backend that runs it, plus external kernel libraries routed by their ELF
// machine to the provider that loads that machine's code. A provider that cannot run here is
// a reported skip with the command that fixes it, never a silent pass.
import type { Contract } from '../oracle/contract.js';
import { resolve } from 'node:path';
import type { KernelDesc } from './descriptor.js';
import { hostProvider } from './backends/host.js';
import { elfMachine, libraryProblem, PROVIDERS, providersFor } from './backends/index.js';
import { shellQuote } from '../properties/commands.js';
import { buildManifest, ManifestError } from './manifest.js';
import type { BackendProvider, Machine, ProvidedBackend, StartOptions } from './backends/provider.js';

export interface Target { kernel: KernelDesc; backend: ProvidedBackend }

export interface Targets {
  targets: Target[];
  /** kernels or whole backends that cannot run here, with the reason */
  unavailable: { name: string; why: string }[];
  backends: ProvidedBackend[];
  close(): Promise<void>;
}

/** Which providers to use: host = the host provider, <machine> = the other providers of that machine (default: all). */
export type ProviderChoice = { host?: boolean } & Partial<Record<Machine, boolean>>;

export const providerChosen = (p: BackendProvider, o: ProviderChoice): boolean => (p === hostProvider ? o.host : o[p.machine]) !== false;

/** Every kernel of every backend available here (kernels not runnable here are listed with why). */
export async function discoverTargets(opts: ProviderChoice & StartOptions = {}): Promise<Targets> {
  const backends: ProvidedBackend[] = [];
  const unavailable: { name: string; why: string }[] = [];
  for (const p of PROVIDERS.filter((x) => providerChosen(x, opts))) {
    const why = p.unavailable();
    if (why && p.required) throw new Error(why);
    if (why) unavailable.push({ name: `${p.machine} kernels (${p.builtinKernels().join(', ')})`, why });
    else backends.push(p.start({ timeoutMs: opts.timeoutMs, svlBytes: opts.svlBytes, cpuProfile: opts.cpuProfile }));
  }
  const targets: Target[] = [];
  for (const b of backends) {
    for (const k of await b.list()) {
      if (k.runnable) targets.push({ kernel: k, backend: b });
      else unavailable.push({ name: k.name, why: k.why });
    }
  }
  return { targets, unavailable, backends, close: async () => { await Promise.all(backends.map((b) => b.close())); } };
}

export interface KernelSet {
  /** runnable kernels with their backend and source ('builtin' or the library path); an
   *  external kernel's `load` is the option that loads it (`--kernel-lib PATH`, `--manifest FILE`) */
  targets: (Target & { source: string; load?: string })[];
  /** every kernel listed by a backend, runnable or not, with its source */
  all: { kernel: KernelDesc; backend: string; source: string }[];
  /** kernels or whole backends that cannot run here */
  unavailable: { name: string; why: string }[];
  backends: ProvidedBackend[];
  /** --kernel-lib / --manifest problems (missing file, wrong ELF, bad manifest, dlopen failure) */
  problems: string[];
  close(): Promise<void>;
}

/** svlBytes, cpuProfile: what qemu gives the aarch64 runner (default 64 bytes = 512 bits, m4). */
export async function openKernels(o: { libs?: string[]; manifests?: string[]; aarch64?: boolean; builtins?: boolean } & StartOptions = {}): Promise<KernelSet> {
  const d = await discoverTargets({ aarch64: o.aarch64, timeoutMs: o.timeoutMs, svlBytes: o.svlBytes, cpuProfile: o.cpuProfile });
  const backends = [...d.backends];
  const builtins = o.builtins !== false;
  const targets: KernelSet['targets'] = builtins ? d.targets.map((t) => ({ ...t, source: 'builtin' })) : [];
  const all: KernelSet['all'] = [];
  if (builtins) for (const b of d.backends) for (const k of await b.list()) all.push({ kernel: k, backend: b.name, source: 'builtin' });
  const unavailable = builtins ? [...d.unavailable] : [];
  const problems: string[] = [];
  // a manifest becomes a library (native/manifest.ts) plus what its JSON adds to the descriptors
  const libs: { lib: string; option: string; load?: string; contracts?: Map<string, Contract> }[] = (o.libs ?? []).map((lib) => ({ lib, option: `--kernel-lib ${lib}` }));
  for (const file of o.manifests ?? []) {
    try {
      const m = buildManifest(file);
      // load: the option printed in rerun lines, its path a shell word
      libs.push({ lib: m.lib, option: `--manifest ${file}`, load: `--manifest ${shellQuote(resolve(file))}`, contracts: m.contracts });
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      problems.push(`--manifest ${file}: ${e.detail}`);
    }
  }
  for (const { lib, option, load, contracts } of libs) {
    const path = resolve(lib);
    // stat first: a directory, FIFO, empty or non-ELF file is a named problem, never a hang
    const bad = libraryProblem(path);
    if (bad) { problems.push(`${option}: ${bad}`); continue; }
    const machine = elfMachine(path);
    if (machine === 'unknown') { problems.push(`${option}: not an x86-64 or aarch64 ELF shared library`); continue; }
    // the running backend of that machine, else the first provider of it that can run here
    const providers = providersFor(machine);
    let backend = backends.find((b) => providers.includes(b.provider));
    if (!backend) {
      const p = providers[0];
      if (!p) { problems.push(`${option}: no ${machine} backend here`); continue; }
      const why = p.unavailable();
      if (why) { problems.push(`${option}: an ${machine} library, but ${why}`); continue; }
      backend = p.start({ timeoutMs: o.timeoutMs, svlBytes: o.svlBytes, cpuProfile: o.cpuProfile });
      backends.push(backend);
    }
    try {
      for (const k of await backend.loadLib(path)) {
        if (contracts?.has(k.name)) k.contract = contracts.get(k.name);
        all.push({ kernel: k, backend: backend.name, source: path });
        if (k.runnable) targets.push({ kernel: k, backend, source: path, ...(load ? { load } : {}) });
        else unavailable.push({ name: k.name, why: k.why });
      }
    } catch (e) {
      problems.push(`${option}: ${(e as Error).message}`);
    }
  }
  return { targets, all, unavailable, backends, problems, close: async () => { await Promise.all(backends.map((b) => b.close())); } };
}
