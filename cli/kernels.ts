// Kernels for the CLI verbs that run single cases (eval --kernel, replay, list): every backend
// available here plus the kernels of --kernel-lib libraries, each paired with its backend.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExecError, KernelCrash, type Backend, type KernelDesc } from '../native/backend.js';
import { aarch64Backend, aarch64Unavailable, discoverTargets, type Target } from '../native/targets.js';
import { elfMachine } from '../conform/engine.js';
import type { Case } from '../oracle/types.js';
import { encodeCase, firstUnsupported } from '../properties/encode.js';
import { judge, type Verdict } from '../properties/check.js';
import { readMatrix } from '../properties/layout.js';

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

export async function openKernels(o: { libs?: string[]; aarch64?: boolean; builtins?: boolean; timeoutMs?: number } = {}): Promise<KernelSet> {
  const d = await discoverTargets({ aarch64: o.aarch64, timeoutMs: o.timeoutMs });
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
        backend = aarch64Backend({ timeoutMs: o.timeoutMs });
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

/** The string[] of a `multiple: true` option. */
export const many = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

/** Runs one case on one kernel like runCase, and also returns what the kernel's last store
 *  wrote (signed), so a caller can print the kernel's own result. Never throws for a kernel's
 *  misbehaviour: crashes and executor errors come back as verdicts. */
export async function execCase(t: Target, c: Case): Promise<{ verdict: Verdict; got?: number[][]; refusedAt: number }> {
  const refusedAt = firstUnsupported(c.chain, t.kernel);
  let enc;
  try {
    enc = encodeCase(c, t.kernel);
  } catch (e) {
    return { verdict: { ok: false, refused: false, kind: 'exec_error', message: `cannot encode the case for ${t.kernel.name}: ${(e as Error).message}` }, refusedAt };
  }
  let res;
  try {
    res = await t.backend.exec(enc.req);
  } catch (e) {
    // the same classification as runCase
    if (e instanceof KernelCrash) {
      const what = e.timedOut ? 'hung (timed out)' : `crashed (${e.signal ?? 'exit ' + e.exitCode})`;
      return { verdict: { ok: false, refused: false, kind: 'crash', message: `${t.kernel.name} ${what}` }, refusedAt };
    }
    if (e instanceof ExecError) return { verdict: { ok: false, refused: false, kind: 'exec_error', message: `executor: ${e.message}` }, refusedAt };
    throw e;
  }
  const verdict = judge(c, t.kernel, enc, res);
  const last = enc.stores[enc.stores.length - 1];
  const got = last && res.buffers[last.buf]?.length ? readMatrix(res.buffers[last.buf], last.placement, c.m, c.n) : undefined;
  return { verdict, got, refusedAt };
}
