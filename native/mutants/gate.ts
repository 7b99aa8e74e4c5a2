// The mutation benchmark of the gate: every mutant of native/mutants/catalogue.json,
// each a copy of one real kernel with a small realistic bug, is run through the conformance gate
// (conform/engine.ts: the same properties, budgets and judge as `npm test` / `bitexact conform`)
// and must be killed. Unmutated control copies of every base kernel run in the same gate calls
// and must pass: a kill then comes from the bug, not from the harness (e.g. a frame fallback
// that no kernel of the run can serve).
//
// Used by `npm run mutants` (bench/mutants.ts) and native/mutants/mutants.test.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConformEvent, type ConformReport, type PropertyResult } from '../../conform/engine.js';
import { conformJobs } from '../../conform/jobs.js';
import { problemKernel, problemText } from '../../conform/problems.js';
import { PROPERTIES } from '../../properties/kernel-properties.js';
import type { Case } from '../../oracle/types.js';
import { PKG_ROOT } from '../paths.js';
import { aarch64Unavailable, AARCH64_SETUP_HINT } from '../backends/aarch64-qemu.js';
import { kernelUnits, type KernelUnit } from '../sources.js';

export type Arch = 'x86_64' | 'aarch64';

export interface MutantPatch { file: string; find: string | string[]; replace?: string | string[]; insertBefore?: string | string[]; insertAfter?: string | string[] }
export interface MutantEntry {
  id: string;
  /** kernel name in the mutant library: mut_<id> */
  kernel: string;
  /** the real kernel it is a copy of */
  base: string;
  /** which bug of the required list (native/mutants/mutants.test.ts) it covers */
  covers: string;
  description: string;
  /** the real-world bug it models */
  models: string;
  refs: string[];
  patches: MutantPatch[];
  /** streaming vector length (bytes) to run it at under qemu (aarch64; default 64) */
  svl?: number;
}
/** A base kernel: one builtin kernel of native/sources.cjs (every one is a base). */
export type BaseEntry = KernelUnit;
export interface Catalogue { format: string; about: string; bases: Record<string, BaseEntry>; mutants: MutantEntry[] }

export const MUTANTS_DIR = join(PKG_ROOT, 'native', 'mutants');
export const MUTANT_LIBS: Record<Arch, string> = {
  x86_64: join(PKG_ROOT, 'build', 'mutants', 'bitexact_mutants_x86_64.so'),
  aarch64: join(PKG_ROOT, 'build', 'mutants', 'bitexact_mutants_aarch64.so'),
};
export const DEFAULT_MUTANT_SEED = 20240611;

/** catalogue.json, with the bases it names derived from the builtin kernels. */
export function loadCatalogue(): Catalogue {
  const file = JSON.parse(readFileSync(join(MUTANTS_DIR, 'catalogue.json'), 'utf8')) as Omit<Catalogue, 'bases'>;
  return { ...file, bases: Object.fromEntries(kernelUnits().map((k) => [k.name, k])) };
}

export const archOf = (cat: Catalogue, m: MutantEntry): Arch => cat.bases[m.base].arch;
export const controlName = (base: string): string => `ctl_${base}`;

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Why the aarch64 mutants cannot be built or run here, or null. */
export function aarch64MutantsUnavailable(): string | null {
  const missing = ['clang-19', 'aarch64-linux-gnu-gcc'].filter((c) => !onPath(c));
  if (missing.length) return `aarch64 cross toolchain missing (${missing.join(', ')} not on PATH); install with: ${AARCH64_SETUP_HINT}`;
  return aarch64Unavailable();
}

/** Builds (or brings up to date: make decides) the mutant library of one architecture. */
export function buildMutants(arch: Arch): string {
  try {
    execFileSync('make', ['-C', MUTANTS_DIR, '-j2', arch === 'x86_64' ? 'host' : 'aarch64'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`building the ${arch} mutants failed (make -C native/mutants ${arch === 'x86_64' ? 'host' : 'aarch64'}):\n${err.stderr?.toString() ?? ''}${err.stdout?.toString().slice(-2000) ?? ''}`);
  }
  return MUTANT_LIBS[arch];
}

export interface ShrunkSize { level: string; m: number; n: number; k: number; chainLength: number; nonZeroA: number; nonZeroB: number }

export interface MutantResult {
  id: string;
  kernel: string;
  base: string;
  arch: Arch;
  svl?: number;
  covers: string;
  description: string;
  status: 'killed' | 'survived' | 'not-run';
  /** not-run: why */
  why?: string;
  /** runnable as reported by its own is_supported_here() on the backend it ran on */
  reportedRunnable?: boolean;
  /** the first property, in gate order, that failed */
  property?: string;
  kind?: string;
  /** the failure was seen across two kernel calls (property stale): the state kept names the bug */
  stale?: boolean;
  message?: string;
  /** generated cases of the killing property until its first failure (1 = the first case) */
  casesInProperty?: number;
  /** generated cases over the whole gate order until the first failure */
  casesTotal?: number;
  /** deterministic edge cases (PropertyDef.examples) the killing property runs before its random ones */
  edgeCases?: number;
  /** killed by one of those deterministic edge cases (not by a random case) */
  killedByEdge?: boolean;
  /** random cases of the killing property until the failure (0 if killed by an edge case) */
  randomCases?: number;
  /** random cases over the gate order until the failure (edge cases not counted) */
  randomTotal?: number;
  /** wall seconds from the kernel's first property to the first failure (shrinking excluded) */
  secondsToDetect?: number;
  shrinks?: number;
  shrunk?: ShrunkSize;
  /** the shrunk counterexample itself (saved as a regression fixture by `--fixtures DIR`) */
  shrunkCase?: Case;
  failureText?: string;
  /** every property that failed (stopAtFirstKill: only the first) */
  killedBy: string[];
}

export interface ControlResult { kernel: string; base: string; arch: Arch; svl: number; ok: boolean; problems: string[] }

export interface MutantGateResult {
  seed: number;
  runs: number;
  seconds: number;
  mutants: MutantResult[];
  controls: ControlResult[];
  /** kernels a backend reported as not runnable, with why (e.g. the SME control at SVL 32) */
  unavailable: { name: string; why: string; svl?: number }[];
}

export interface MutantGateOptions {
  seed?: number;
  /** cases per property per kernel (the engine divides by the property's cost) */
  runs: number;
  arches?: Arch[];
  /** mutant ids (default all) */
  only?: string[];
  /** stop a mutant at its first failing property (faster; killedBy then has one entry) */
  stopAtFirstKill?: boolean;
  /** processes the gate calls run their units in (conform --jobs; default 1); the verdicts and
   *  cases to first failure do not depend on it */
  jobs?: number;
  log?: (line: string) => void;
}

export function shrunkSize(c: Case): ShrunkSize {
  const nz = (x: number[][]) => x.flat().filter((v) => v !== 0).length;
  return { level: c.level, m: c.m, n: c.n, k: c.k, chainLength: c.chain.length, nonZeroA: nz(c.a), nonZeroB: nz(c.b) };
}

interface Timing { start: number; progress: number[] }
interface UnitRuns { runs: number; examples: number }

/** One conformance call over a set of kernels of one library, at one SVL. */
async function gateCall(lib: string, kernels: string[], props: string[] | undefined, seed: number, runs: number, svl: number | undefined, timings: Map<string, Timing>, units: Map<string, UnitRuns>, jobs: number): Promise<ConformReport> {
  return conformJobs({
      jobs,
      kernelLibs: [lib], kernels, builtins: false, aarch64: false, runs, seed, fixtureDir: null, properties: props, aarch64SvlBytes: svl,
      onEvent: (e: ConformEvent) => {
        const now = performance.now();
        if (e.type === 'start') {
          // units run examples.length + max(5, round(runs / cost)) cases (conform/engine.ts)
          for (const u of e.units) {
            const cost = PROPERTIES.find((p) => p.name === u.property)?.cost ?? 1;
            units.set(`${u.kernel}/${u.property}`, { runs: u.runs, examples: Math.max(0, u.runs - Math.max(5, Math.round(runs / cost))) });
          }
        } else if (e.type === 'unit-start') timings.set(`${e.kernel}/${e.property}`, { start: now, progress: [] });
        else if (e.type === 'progress') timings.get(`${e.kernel}/${e.property}`)?.progress.push(now);
      },
  });
}

const isKill = (p: PropertyResult): boolean => p.status === 'failed' && p.failure !== undefined && p.failure.case !== undefined;

/** Runs the gate on the mutants (grouped by library and SVL, with the controls of that
 *  architecture in every group). The libraries must be built (buildMutants). */
export async function runMutantGate(o: MutantGateOptions): Promise<MutantGateResult> {
  const t0 = performance.now();
  const cat = loadCatalogue();
  const seed = o.seed ?? DEFAULT_MUTANT_SEED;
  const arches = o.arches ?? ['x86_64', 'aarch64'];
  const log = o.log ?? (() => {});
  const jobs = o.jobs ?? 1;
  const order = PROPERTIES.map((p) => p.name);
  const mutants = cat.mutants.filter((m) => arches.includes(archOf(cat, m)) && (!o.only?.length || o.only.includes(m.id)));
  const results: MutantResult[] = [];
  const controls: ControlResult[] = [];
  const unavailable: MutantGateResult['unavailable'] = [];

  // groups: (arch, svl)
  const groups = new Map<string, { arch: Arch; svl?: number; ms: MutantEntry[] }>();
  for (const m of mutants) {
    const arch = archOf(cat, m);
    const svl = arch === 'aarch64' ? m.svl ?? 64 : undefined;
    const key = `${arch}@${svl ?? ''}`;
    if (!groups.has(key)) groups.set(key, { arch, svl, ms: [] });
    groups.get(key)!.ms.push(m);
  }

  for (const { arch, svl, ms } of groups.values()) {
    const lib = MUTANT_LIBS[arch];
    const ctls = Object.entries(cat.bases).filter(([, b]) => b.arch === arch).map(([name]) => controlName(name));
    const where = `${arch}${svl !== undefined ? ` (qemu, SVL ${svl} bytes)` : ''}`;
    if (!existsSync(lib)) {
      for (const m of ms) results.push({ ...base(m, arch, svl), status: 'not-run', why: `${lib} not built`, killedBy: [] });
      continue;
    }
    log(`gating ${ms.length} mutant(s) + ${ctls.length} control(s) on ${where}, seed ${seed}, ${o.runs} runs`);
    const timings = new Map<string, Timing>();
    const units = new Map<string, UnitRuns>();
    const props = new Map<string, PropertyResult[]>(); // kernel -> results in gate order
    const runnable = new Map<string, boolean>();
    const problemsOf = new Map<string, string[]>();
    const absorb = (r: ConformReport, svlOf: number | undefined) => {
      for (const k of r.kernels) {
        runnable.set(k.name, true);
        props.set(k.name, [...(props.get(k.name) ?? []), ...k.properties]);
      }
      for (const u of r.unavailable) {
        runnable.set(u.name, false);
        // only what this group gates (the library lists every kernel it holds)
        if (!ms.some((m) => m.kernel === u.name) && !ctls.includes(u.name)) continue;
        if (!unavailable.some((x) => x.name === u.name && x.svl === svlOf)) unavailable.push({ ...u, svl: svlOf });
      }
      for (const p of r.problemDetails) {
        const named = problemKernel(p) ?? (p.kind === 'option' && p.option === '--kernel' ? p.value : undefined);
        const k = [...ms.map((m) => m.kernel), ...ctls].find((n) => n === named);
        const text = problemText(p);
        if (k) problemsOf.set(k, [...(problemsOf.get(k) ?? []), text]);
        else problemsOf.set('*', [...(problemsOf.get('*') ?? []), text]);
      }
    };
    if (o.stopAtFirstKill) {
      let alive = ms.map((m) => m.kernel);
      for (const prop of order) {
        absorb(await gateCall(lib, [...alive, ...ctls], [prop], seed, o.runs, svl, timings, units, jobs), svl);
        alive = alive.filter((k) => !(props.get(k) ?? []).some(isKill));
        if (alive.length === 0 && prop !== order[order.length - 1]) {
          // the controls still run the whole gate
          const rest = order.slice(order.indexOf(prop) + 1);
          absorb(await gateCall(lib, ctls, rest, seed, o.runs, svl, timings, units, jobs), svl);
          break;
        }
      }
    } else {
      absorb(await gateCall(lib, [...ms.map((m) => m.kernel), ...ctls], undefined, seed, o.runs, svl, timings, units, jobs), svl);
    }
    const general = problemsOf.get('*') ?? [];

    for (const c of ctls) {
      const ps = props.get(c) ?? [];
      const failed = ps.filter((p) => p.status === 'failed').map((p) => `${p.property}: ${p.failure?.verdict.kind ?? ''}: ${p.failure?.verdict.message ?? p.skipped ?? ''}`);
      if (runnable.get(c) === false) continue; // e.g. the SME control at SVL 32: refused, as it must be
      controls.push({ kernel: c, base: c.slice(4), arch, svl: svl ?? 0, ok: failed.length === 0 && ps.length > 0, problems: ps.length ? failed : [...general, 'not gated (no result)'] });
    }
    for (const m of ms) {
      const r: MutantResult = { ...base(m, arch, svl), status: 'survived', killedBy: [], reportedRunnable: runnable.get(m.kernel) };
      const ps = (props.get(m.kernel) ?? []).slice().sort((a, b) => order.indexOf(a.property) - order.indexOf(b.property));
      if (ps.length === 0) {
        r.status = 'not-run';
        r.why = [...(problemsOf.get(m.kernel) ?? []), ...general].join('; ') || (runnable.get(m.kernel) === false ? 'not runnable here' : 'no result');
        results.push(r);
        continue;
      }
      r.killedBy = ps.filter(isKill).map((p) => p.property);
      const first = ps.find(isKill);
      if (first?.failure) {
        r.status = 'killed';
        r.property = first.property;
        r.kind = first.failure.verdict.kind;
        if ((first.failures ?? [first.failure]).some((f) => f.verdict.stale)) r.stale = true;
        r.message = first.failure.verdict.message;
        r.casesInProperty = first.failure.casesToFailure;
        r.shrinks = first.failure.shrinks;
        r.shrunk = shrunkSize(first.failure.case as Case);
        r.shrunkCase = first.failure.case as Case;
        r.failureText = first.failure.text;
        const before = ps.slice(0, ps.indexOf(first));
        r.casesTotal = before.reduce((s, p) => s + p.ran, 0) + first.failure.casesToFailure;
        const ex = (p: PropertyResult) => units.get(`${m.kernel}/${p.property}`)?.examples ?? 0;
        r.edgeCases = ex(first);
        r.killedByEdge = first.failure.casesToFailure <= r.edgeCases;
        r.randomCases = Math.max(0, first.failure.casesToFailure - r.edgeCases);
        r.randomTotal = before.reduce((s, p) => s + Math.max(0, p.ran - ex(p)), 0) + r.randomCases;
        const t = timings.get(`${m.kernel}/${first.property}`);
        const inProp = t && t.progress[first.failure.casesToFailure - 1] !== undefined ? (t.progress[first.failure.casesToFailure - 1] - t.start) / 1000 : first.seconds;
        r.secondsToDetect = before.reduce((s, p) => s + p.seconds, 0) + inProp;
      }
      results.push(r);
    }
  }
  // catalogue order
  results.sort((a, b) => cat.mutants.findIndex((m) => m.id === a.id) - cat.mutants.findIndex((m) => m.id === b.id));
  return { seed, runs: o.runs, seconds: (performance.now() - t0) / 1000, mutants: results, controls, unavailable };
}

function base(m: MutantEntry, arch: Arch, svl: number | undefined): Pick<MutantResult, 'id' | 'kernel' | 'base' | 'arch' | 'svl' | 'covers' | 'description'> {
  return { id: m.id, kernel: m.kernel, base: m.base, arch, svl, covers: m.covers, description: m.description };
}

// ---- reporting -----------------------------------------------------------------------------

const median = (xs: number[]): number | undefined => {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface MutantSummary {
  total: number; killed: number; survived: number; notRun: number;
  medianCasesInProperty?: number; medianCasesTotal?: number; medianRandomTotal?: number; medianSeconds?: number; byEdge: number;
  smallShrunk: number; controlsOk: boolean;
}

export function summarize(r: MutantGateResult): MutantSummary {
  const killed = r.mutants.filter((m) => m.status === 'killed');
  return {
    total: r.mutants.length,
    killed: killed.length,
    survived: r.mutants.filter((m) => m.status === 'survived').length,
    notRun: r.mutants.filter((m) => m.status === 'not-run').length,
    medianCasesInProperty: median(killed.map((m) => m.casesInProperty!)),
    medianCasesTotal: median(killed.map((m) => m.casesTotal!)),
    medianRandomTotal: median(killed.filter((m) => !m.killedByEdge).map((m) => m.randomTotal!)),
    byEdge: killed.filter((m) => m.killedByEdge).length,
    medianSeconds: median(killed.map((m) => m.secondsToDetect!)),
    smallShrunk: killed.filter((m) => m.shrunk && m.shrunk.k <= 8 && m.shrunk.chainLength <= 3).length,
    controlsOk: r.controls.every((c) => c.ok),
  };
}

const shape = (s?: ShrunkSize): string => (s ? `${s.level} ${s.m}x${s.n} k=${s.k}` : '');

interface Row { cells: string[] }

function rows(r: MutantGateResult): { head: string[]; body: Row[] } {
  const head = ['mutant', 'base kernel', 'covers', 'result', 'by property', 'failing case', 'cases (prop / total)', 'seconds', 'shrunk m x n, k', 'chain', 'non-zero A / B', 'all killing properties'];
  const body = r.mutants.map((m) => ({
    cells: [
      m.kernel + (m.svl && m.svl !== 64 ? ` (SVL ${m.svl})` : ''),
      m.base,
      m.covers,
      m.status === 'killed' ? `killed (${m.kind}${m.stale ? ', stale state' : ''})` : m.status === 'survived' ? '**SURVIVED**' : `not run: ${m.why ?? ''}`,
      m.property ?? '',
      m.status === 'killed' ? (m.killedByEdge ? `edge #${m.casesInProperty}` : `random #${m.randomCases}`) : '',
      m.status === 'killed' ? `${m.casesInProperty} / ${m.casesTotal}` : '',
      m.secondsToDetect !== undefined ? m.secondsToDetect.toFixed(2) : '',
      shape(m.shrunk),
      m.shrunk ? String(m.shrunk.chainLength) : '',
      m.shrunk ? `${m.shrunk.nonZeroA} / ${m.shrunk.nonZeroB}` : '',
      m.killedBy.join(', '),
    ],
  }));
  return { head, body };
}

export function summaryLines(r: MutantGateResult): string[] {
  const s = summarize(r);
  const lines = [
    `${s.killed} of ${s.total} mutants killed${s.survived ? `, ${s.survived} SURVIVED` : ''}${s.notRun ? `, ${s.notRun} not run` : ''} (seed ${r.seed}, ${r.runs} cases per property per kernel, ${r.seconds.toFixed(1)} s)`,
  ];
  if (s.killed) {
    lines.push(`median cases to the first failure: ${s.medianCasesInProperty} in the killing property, ${s.medianCasesTotal} over the gate order (edge sweep included); median seconds to detect: ${s.medianSeconds?.toFixed(2)}`);
    lines.push(`killed by a deterministic edge case: ${s.byEdge}; by a random case: ${s.killed - s.byEdge} (median ${s.medianRandomTotal ?? '-'} random cases over the gate order)`);
    lines.push(`shrunk counterexamples with k <= 8 and chain length <= 3: ${s.smallShrunk} of ${s.killed}`);
  }
  lines.push(`controls (unmutated copies, same gate runs): ${r.controls.map((c) => `${c.kernel}${c.svl && c.svl !== 64 ? `@SVL${c.svl}` : ''} ${c.ok ? 'passed' : 'FAILED: ' + c.problems.join('; ')}`).join(', ') || 'none'}`);
  for (const u of r.unavailable) lines.push(`not runnable${u.svl ? ` at SVL ${u.svl}` : ''}: ${u.name}: ${u.why}`);
  return lines;
}

export function mutantTableText(r: MutantGateResult): string {
  const { head, body } = rows(r);
  const all = [head, ...body.map((b) => b.cells.map((c) => c.replace(/\*\*/g, '')))];
  const skip = new Set([2, 11]); // 'covers' and the property list are long: markdown only
  const cols = head.map((_, i) => i).filter((i) => !skip.has(i));
  const w = cols.map((i) => Math.max(...all.map((r0) => r0[i].length)));
  const line = (r0: string[]) => cols.map((i, x) => r0[i].padEnd(w[x])).join('  ').trimEnd();
  return [line(all[0]), cols.map((_, x) => '-'.repeat(w[x])).join('  '), ...all.slice(1).map(line), '', ...summaryLines(r)].join('\n');
}

export function mutantTableMarkdown(r: MutantGateResult, cat = loadCatalogue()): string {
  const { head, body } = rows(r);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out = [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map((b) => `| ${b.cells.map(esc).join(' | ')} |`),
    '',
    ...summaryLines(r).map((l) => `${l}  `),
    '',
    '### What each mutant is',
    '',
    '| mutant | bug | models | references |',
    '|---|---|---|---|',
    ...cat.mutants.filter((m) => r.mutants.some((x) => x.id === m.id)).map((m) => `| ${m.kernel} | ${esc(m.description)} | ${esc(m.models)} | ${esc(m.refs.join('; '))} |`),
  ];
  return out.join('\n');
}
