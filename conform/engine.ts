// The conformance gate as a library: every property of properties/kernel-properties.ts against
// every kernel runnable here (built-in, or loaded from external .so files), with semantic
// coverage, throughput, shards and a machine-readable report. The CLI (`bitexact conform`),
// the programmatic API (`import { conformance } from 'bitexact'`) and the mutant benchmark all
// call this one function.
import type { Backend } from '../native/process.js';
import type { Case } from '../oracle/types.js';
import { openKernels, type Target } from '../native/targets.js';
import { cpuProfileError } from '../native/backends/aarch64-qemu.js';
import type { Emulation } from '../native/backends/provider.js';
export { elfMachine } from '../native/backends/index.js';
import { PROPERTIES, type PropertyDef } from '../properties/kernel-properties.js';
import { runCaseProperty, resolveSeed, type CaseFailure } from '../properties/run.js';
import { verdictRecord, type VerdictRecord } from '../properties/verdict-format.js';
import { CoverageMatrix } from '../coverage/semantic.js';
import { writeRepro } from './repro.js';
import { problemKernel, problemText, type Problem } from './problems.js';
export type { Problem } from './problems.js';

export const REPORT_FORMAT = 'bitexact-conform-report/1';

export interface ConformOptions {
  /** kernel names to gate (default: every kernel runnable here) */
  kernels?: string[];
  /** external kernel libraries (x86-64 run in the host child, aarch64 in the runner under qemu) */
  kernelLibs?: string[];
  /** property names (default: all) */
  properties?: string[];
  /** generated cases per property per kernel (divided by the property's cost) */
  runs?: number;
  seed?: number | string;
  /** wall-clock budget for the whole run, split evenly over kernel x property units */
  timeBudgetSeconds?: number;
  /** { index, count }: run only this shard's units (kernel x property x seed range) */
  shard?: { index: number; count: number };
  /** where shrunk failures are saved (default fixtures/regressions; null = nowhere) */
  fixtureDir?: string | null;
  /** include the built-in kernels (default true; false gates only --kernel-lib kernels) */
  builtins?: boolean;
  /** use the aarch64 backend when available (default true) */
  aarch64?: boolean;
  /** progress events for live views */
  onEvent?: (e: ConformEvent) => void;
  /** per-request timeout (ms) before a kernel counts as hung */
  timeoutMs?: number;
  /** streaming vector length (bytes) qemu gives the aarch64 runner (default 64 = 512 bits) */
  aarch64SvlBytes?: number;
  /** the CPU qemu emulates for the aarch64 runner (CPU_PROFILES of native/backends/aarch64-qemu.ts;
   *  default m4, Apple-M4-like) */
  aarch64CpuProfile?: string;
}

export type ConformEvent =
  | { type: 'start'; units: { kernel: string; property: string; runs: number }[]; seed: number }
  | { type: 'unit-start'; kernel: string; property: string; runs: number }
  | { type: 'progress'; kernel: string; property: string; ran: number; runs: number }
  | { type: 'unit-end'; kernel: string; property: string; result: PropertyResult };

export type PropertyStatus = 'passed' | 'failed' | 'skipped';

export interface PropertyResult {
  property: string;
  status: PropertyStatus;
  ran: number;
  passed: number;
  failed: number;
  refused: number;
  skipped?: string;
  seed: number;
  seconds: number;
  interrupted: boolean;
  /** the verdict carries its typed fields plus `kind` and `message` (verdict-format.ts) */
  failure?: Omit<CaseFailure, 'case' | 'verdict'> & { case: unknown; verdict: VerdictRecord; repro?: string; reproBuild?: string; reproRun?: string };
}

export interface KernelReport {
  name: string;
  isa: string;
  backend: string;
  source: string;
  mr: number;
  nr: number;
  supported_ops: number[];
  properties: PropertyResult[];
  coverage: { hits: Record<string, number>; required: string[]; missing: string[] };
  /** generated cases per second by level (tile = tile + interleave, frame) */
  throughput: { tile?: number; frame?: number };
  /** the CPU an emulated backend emulated (absent on real hardware) */
  emulation?: Emulation;
}

export interface ConformReport {
  format: typeof REPORT_FORMAT;
  seed: number;
  started: string;
  seconds: number;
  runs: number;
  shard?: { index: number; count: number };
  kernels: KernelReport[];
  unavailable: { name: string; why: string }[];
  /** why the gate failed (empty when ok): the lines of problemDetails */
  problems: string[];
  /** the same problems as data (which kernel, which option, which cells) */
  problemDetails: Problem[];
  ok: boolean;
}

export const DEFAULT_CONFORM_RUNS = 200;

interface Unit { target: Target & { source: string }; prop: PropertyDef; runs: number; seed: number; examples: Case[] }

/** Runs the gate. Never throws for a kernel's misbehaviour: crashes, hangs and wrong results are
 *  failures in the report; bad options (unknown kernel, unreadable library) are problems. */
export async function conformance(opts: ConformOptions = {}): Promise<ConformReport> {
  const t0 = Date.now();
  const seed = resolveSeed(opts.seed);
  const runs = opts.runs ?? DEFAULT_CONFORM_RUNS;
  const problems: Problem[] = [];
  const badProfile = opts.aarch64CpuProfile === undefined ? null : cpuProfileError(opts.aarch64CpuProfile);
  if (badProfile) {
    problems.push({ kind: 'option', option: '--cpu-profile', value: opts.aarch64CpuProfile!, why: badProfile });
    return { format: REPORT_FORMAT, seed, started: new Date(t0).toISOString(), seconds: (Date.now() - t0) / 1000, runs, shard: opts.shard, kernels: [], unavailable: [], ...withProblems(problems) };
  }
  // builtins are always opened: with builtins: false they are not gated, but a chain an
  // external kernel refuses still falls back to them (the gating property)
  const set = await openKernels({ libs: opts.kernelLibs, aarch64: opts.aarch64, builtins: true, timeoutMs: opts.timeoutMs, svlBytes: opts.aarch64SvlBytes, cpuProfile: opts.aarch64CpuProfile });
  const backends: Backend[] = set.backends;
  const gated = (source: string) => opts.builtins !== false || source !== 'builtin';
  let targets = set.targets.filter((t) => gated(t.source));
  const unavailable = set.unavailable.filter((u) => opts.builtins !== false || set.all.some((a) => a.kernel.name === u.name && a.source !== 'builtin'));
  problems.push(...set.problems.map((text): Problem => ({ kind: 'library', text })));

  if (opts.kernels?.length) {
    for (const name of opts.kernels) {
      if (!targets.some((t) => t.kernel.name === name)) {
        const u = unavailable.find((x) => x.name === name || x.name.includes(name));
        problems.push({ kind: 'option', option: '--kernel', value: name, why: u ? `not runnable here: ${u.why}` : 'no such kernel (see bitexact list)' });
      }
    }
    targets = targets.filter((t) => opts.kernels!.includes(t.kernel.name));
  }
  const props = PROPERTIES.filter((p) => !opts.properties?.length || opts.properties.includes(p.name));
  for (const p of opts.properties ?? []) if (!PROPERTIES.some((x) => x.name === p)) problems.push({ kind: 'option', option: '--property', value: p, why: `no such property (${PROPERTIES.map((x) => x.name).join(', ')})` });
  if (targets.length === 0 && problems.length === 0) problems.push({ kind: 'nothing_to_gate' });

  // units: kernel x property x seed range; a shard takes its seed range of every unit, so the
  // union of N shards runs exactly the cases of one unsharded run split N ways
  const shard = opts.shard;
  const units: Unit[] = [];
  for (const target of targets) for (const prop of props) {
    const total = Math.max(5, Math.round(runs / prop.cost));
    // the deterministic edge sweep runs once: unsharded, or in the first shard
    const examples = !shard || shard.index === 0 ? prop.examples?.(target.kernel) ?? [] : [];
    if (shard) {
      const per = Math.ceil(total / shard.count);
      units.push({ target, prop, runs: examples.length + Math.max(1, Math.min(per, total - per * shard.index)), seed: (seed + shard.index * 7919) | 0, examples });
    } else units.push({ target, prop, runs: examples.length + total, seed, examples });
  }
  opts.onEvent?.({ type: 'start', seed, units: units.map((u) => ({ kernel: u.target.kernel.name, property: u.prop.name, runs: u.runs })) });
  const budgetPerUnit = opts.timeBudgetSeconds ? (opts.timeBudgetSeconds * 1000) / Math.max(1, units.length) : undefined;

  // per kernel: coverage, whether a coverage-feeding property ran cases, cases and seconds per level
  const reports = new Map<string, KernelReport & { cov: CoverageMatrix; covRan: boolean; rate: Record<Case['level'], [number, number]> }>();
  for (const t of targets) {
    reports.set(t.kernel.name, {
      name: t.kernel.name, isa: t.kernel.isa, backend: t.backend.name, source: t.source, mr: t.kernel.mr, nr: t.kernel.nr,
      supported_ops: t.kernel.supported_ops, properties: [], coverage: { hits: {}, required: [], missing: [] }, throughput: {},
      ...(t.backend.emulation ? { emulation: t.backend.emulation } : {}),
      cov: new CoverageMatrix(t.kernel), covRan: false, rate: { tile: [0, 0], frame: [0, 0] },
    });
  }
  // a refused chain falls back to any kernel runnable here, not only the gated selection
  const allTargets = set.targets.map(({ kernel, backend }) => ({ kernel, backend }));
  for (const u of units) {
    const kr = reports.get(u.target.kernel.name)!;
    const name = u.target.kernel.name;
    opts.onEvent?.({ type: 'unit-start', kernel: name, property: u.prop.name, runs: u.runs });
    const why = u.prop.skipReason(u.target.kernel);
    let result: PropertyResult;
    if (why) {
      result = { property: u.prop.name, status: 'skipped', skipped: why, ran: 0, passed: 0, failed: 0, refused: 0, seed: u.seed, seconds: 0, interrupted: false };
    } else {
      const out = await runCaseProperty({
        kernel: name, property: u.prop.name, arb: u.prop.arb(u.target.kernel),
        exec: (c) => u.prop.exec(u.target, allTargets, c), numRuns: u.runs, seed: u.seed, examples: u.examples,
        timeBudgetMs: budgetPerUnit, fixtureDir: opts.fixtureDir,
        onCase: u.prop.coverage ? (c) => kr.cov.record(c) : undefined,
        onProgress: (ran) => opts.onEvent?.({ type: 'progress', kernel: name, property: u.prop.name, ran, runs: u.runs }),
      });
      const failed = out.failed > 0 || Boolean(out.failure);
      if (u.prop.coverage && out.ran > 0) kr.covRan = true;
      let failure: PropertyResult['failure'];
      if (out.failure) {
        failure = { ...out.failure, verdict: verdictRecord(out.failure.verdict) };
        // the replay / rerun hints need an external kernel's library and the emulated CPU
        const emu = u.target.backend.emulation;
        const lib = u.target.source !== 'builtin' ? ` --kernel-lib ${u.target.source}` : '';
        if (lib || emu) failure.text = failure.text.split(` --kernel ${name}`).join(`${lib} --kernel ${name}${emu ? ` ${emu.options.join(' ')}` : ''}`);
        // a standalone C reproducer next to the fixture, of the case the property maps the failure to
        const reproCase = out.failure.case && u.prop.repro ? u.prop.repro(out.failure.case) : undefined;
        if (failure.fixture && reproCase) {
          try {
            const r = await writeRepro(u.target, reproCase, { source: u.target.source, verdict: out.failure.verdict, fixture: failure.fixture });
            Object.assign(failure, { repro: r.path, reproBuild: r.build, reproRun: r.run });
            failure.text += `\nrepro.c: ${r.path}\n  build: ${r.build}\n  run:   ${r.run}${r.note ? `\n  ${r.note}` : ''}`;
          } catch (e) {
            failure.text += `\nrepro.c not written: ${(e as Error).message}`;
          }
        }
      }
      result = {
        property: u.prop.name, ran: out.ran, passed: out.passed, failed: out.failed, refused: out.refused, seed: u.seed,
        seconds: out.seconds, interrupted: out.interrupted, failure,
        // a property the kernel declares that ran zero cases proves nothing: a failure
        status: failed || out.ran === 0 ? 'failed' : 'passed',
      };
      if (out.ran === 0 && !failed) result.skipped = 'ran zero cases (time budget too small?)';
      if (u.prop.throughput) { const acc = kr.rate[u.prop.level]; acc[0] += out.ran; acc[1] += out.seconds; }
    }
    kr.properties.push(result);
    opts.onEvent?.({ type: 'unit-end', kernel: name, property: u.prop.name, result });
  }

  const rate = ([n, s]: [number, number]) => (s > 0 ? n / s : undefined);
  const kernels = [...reports.values()].map(({ cov, covRan, rate: r, ...k }) => {
    const j = cov.toJSON();
    const kernel: KernelReport = {
      ...k,
      coverage: { hits: j.hits, required: j.required, missing: j.missing },
      throughput: { tile: rate(r.tile), frame: rate(r.frame) },
    };
    return { kernel, covRan };
  });
  for (const { kernel: k, covRan } of kernels) {
    for (const p of k.properties) if (p.status === 'failed') problems.push({ kind: 'property', kernel: k.name, property: p.property, failure: p.failure?.verdict.kind ?? 'failed', message: p.failure?.verdict.message ?? p.skipped ?? '' });
    // coverage is judged on whole runs only (a shard sees a slice; `bitexact merge` judges the union)
    // (a failed property stops early, so its kernel's coverage is not judged; an interrupted
    // run is: a time budget too small to exercise every cell is not a pass)
    if (!shard && covRan && k.coverage.missing.length && !k.properties.some((p) => p.status === 'failed')) {
      const hint = k.properties.some((p) => p.interrupted) ? ' (the time budget cut the run short: raise --time-budget)' : ' (raise --runs)';
      problems.push({ kind: 'coverage', kernel: k.name, missing: k.coverage.missing, hint });
    }
  }
  await Promise.all(backends.map((b) => b.close()));
  return {
    format: REPORT_FORMAT, seed, started: new Date(t0).toISOString(), seconds: (Date.now() - t0) / 1000, runs, shard,
    kernels: kernels.map((k) => k.kernel), unavailable, ...withProblems(problems),
  };
}

/** The report's problem fields: the typed list, its lines, and ok. */
const withProblems = (problems: Problem[]): Pick<ConformReport, 'problems' | 'problemDetails' | 'ok'> =>
  ({ problems: problems.map(problemText), problemDetails: problems, ok: problems.length === 0 });

/** Joins shard reports: counts add up, coverage hits add up, failures are kept; coverage is
 *  judged on the union. */
export function mergeReports(parts: ConformReport[]): ConformReport {
  if (parts.length === 0) throw new Error('nothing to merge');
  const byKernel = new Map<string, KernelReport>();
  const problems: Problem[] = [];
  for (const r of parts) {
    if (r.format !== REPORT_FORMAT) throw new Error(`not a ${REPORT_FORMAT} report (format ${JSON.stringify(r.format)})`);
    if (!Array.isArray(r.problemDetails)) throw new Error('a report without problemDetails (written by an older bitexact): rerun its shard');
    for (const k of r.kernels) {
      const m = byKernel.get(k.name) ?? { ...k, properties: [], coverage: { hits: {}, required: k.coverage.required, missing: [] }, throughput: {} };
      for (const p of k.properties) {
        const q = m.properties.find((x) => x.property === p.property);
        if (!q) m.properties.push({ ...p });
        else {
          q.ran += p.ran; q.passed += p.passed; q.failed += p.failed; q.refused += p.refused; q.seconds += p.seconds;
          q.interrupted ||= p.interrupted;
          if (p.status === 'failed') { q.status = 'failed'; q.failure ??= p.failure; }
          else if (q.status === 'skipped' && p.status === 'passed') { q.status = 'passed'; q.skipped = undefined; }
        }
      }
      for (const [cell, n] of Object.entries(k.coverage.hits)) m.coverage.hits[cell] = (m.coverage.hits[cell] ?? 0) + n;
      byKernel.set(k.name, m);
    }
  }
  const kernels = [...byKernel.values()];
  for (const k of kernels) {
    k.coverage.missing = k.coverage.required.filter((c) => !k.coverage.hits[c]);
    for (const p of k.properties) if (p.status === 'failed' || (p.ran === 0 && p.status !== 'skipped')) problems.push({ kind: 'property', kernel: k.name, property: p.property, failure: p.failure?.verdict.kind ?? 'ran zero cases', message: p.failure?.verdict.message ?? '' });
    if (k.coverage.missing.length) problems.push({ kind: 'coverage', kernel: k.name, missing: k.coverage.missing, hint: '' });
  }
  // problems that belong to no kernel (bad options, unreadable libraries) carry over: a merge
  // of shards that gated nothing must not pass
  for (const r of parts) {
    for (const p of r.problemDetails) {
      if (problemKernel(p) === undefined && !problems.some((q) => problemText(q) === problemText(p))) problems.push(p);
    }
  }
  if (kernels.length === 0 && problems.length === 0) problems.push({ kind: 'nothing_to_gate' });
  const unavailable = parts.flatMap((p) => p.unavailable).filter((u, i, all) => all.findIndex((x) => x.name === u.name) === i);
  return {
    format: REPORT_FORMAT, seed: parts[0].seed, started: parts[0].started, seconds: parts.reduce((s, p) => s + p.seconds, 0),
    runs: parts[0].runs, kernels, unavailable, ...withProblems(problems),
  };
}
