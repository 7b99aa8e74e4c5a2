// The conformance gate as a library: every property of properties/kernel-properties.ts against
// every kernel runnable here (built-in, or loaded from external .so files), with semantic
// coverage, throughput, shards and a machine-readable report. The CLI (`bitexact conform`),
// the programmatic API (`import { conformance } from 'bitexact'`) and the mutant benchmark all
// call this one function.
import fc from 'fast-check';
import { killAllExecutors, type Backend } from '../native/process.js';
import type { Case } from '../oracle/types.js';
import { openKernels, type Target } from '../native/targets.js';
import { cpuProfileError } from '../native/backends/aarch64-qemu.js';
import type { Emulation } from '../native/backends/provider.js';
export { elfMachine } from '../native/backends/index.js';
import { BEYOND, deterministicCases, lookaheadOf, PROPERTIES, PROPERTY_NAMES, type PropertyDef } from '../properties/kernel-properties.js';
import type { Clause, Contract } from '../oracle/contract.js';
import { PASS, type Verdict } from '../properties/verdict.js';
import { runCase } from '../properties/check.js';
import { runCaseProperty, resolveSeed, type CaseCall, type CaseFailure } from '../properties/run.js';
import { verdictRecord, type VerdictRecord } from '../properties/verdict-format.js';
import { isHang } from '../properties/verdict.js';
import { divergenceText } from '../properties/divergence.js';
import { parseTimeoutMs, type TimeoutPolicy } from '../properties/timeout.js';
import { CoverageMatrix } from '../coverage/semantic.js';
import { coverageSweep } from '../coverage/sweep.js';
import { writeRepro } from './repro.js';
import { kernelLibOption } from '../properties/commands.js';
import { envRuns, envSeed } from './env.js';
import { bitexactVersion, provenance, type Host } from './provenance.js';
import type { RerunOptions } from '../properties/commands.js';
import { problemKernel, problemText, type Problem } from './problems.js';
export type { Problem } from './problems.js';

export const REPORT_FORMAT = 'bitexact-conform-report/1';

export interface ConformOptions {
  /** kernel names to gate (default: every kernel runnable here) */
  kernels?: string[];
  /** external kernel libraries (x86-64 run in the host child, aarch64 in the runner under qemu) */
  kernelLibs?: string[];
  /** bitexact-kernels/1 manifests (native/manifest.ts): raw kernels, linked into a library each */
  manifests?: string[];
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
  /** include the built-in kernels (default true; false gates only --kernel-lib / --manifest kernels) */
  builtins?: boolean;
  /** use the aarch64 backend when available (default true) */
  aarch64?: boolean;
  /** progress events for live views */
  onEvent?: (e: ConformEvent) => void;
  /** per-call timeout (ms) before a kernel counts as hung (default: scaled to each case's work,
   *  properties/timeout.ts) */
  timeoutMs?: number;
  /** streaming vector length (bytes) qemu gives the aarch64 runner (default 64 = 512 bits) */
  aarch64SvlBytes?: number;
  /** the CPU qemu emulates for the aarch64 runner (CPU_PROFILES of native/backends/aarch64-qemu.ts;
   *  default m4, Apple-M4-like) */
  aarch64CpuProfile?: string;
  /** a divergence outside a kernel's declared contract (the `beyond` property) fails the gate */
  strict?: boolean;
  /** stop each property at its first failure (default: keep generating and report every
   *  distinct failure, one per signature) */
  firstFailure?: boolean;
  /** stops the run between cases: the report then holds what ran, and `interrupted: true` */
  signal?: AbortSignal;
  /** asked before each unit (index in the `start` event's list): false skips it, leaving it
   *  out of the report, which then judges no coverage (a part of a run: conform/jobs.ts) */
  claim?: (unit: { index: number; kernel: string; property: string }) => boolean | Promise<boolean>;
}

export type ConformEvent =
  | { type: 'start'; units: { kernel: string; property: string; runs: number }[]; seed: number }
  | { type: 'unit-start'; kernel: string; property: string; runs: number; edges: number; sweep: number }
  | { type: 'progress'; kernel: string; property: string; ran: number; runs: number }
  | { type: 'unit-end'; kernel: string; property: string; result: PropertyResult };

export type PropertyStatus = 'passed' | 'failed' | 'skipped';

/** One distinct failure of a property: the shrunk case, its verdict (typed fields plus `kind`
 *  and `message`, verdict-format.ts), its signature and first divergent op, fixture and repro. */
export type FailureRecord = Omit<CaseFailure, 'case' | 'verdict'> & { case: unknown; verdict: VerdictRecord; repro?: string; reproBuild?: string; reproRun?: string };

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
  /** coverage-sweep cases it ran (counted in ran; coverage/sweep.ts) */
  sweep?: number;
  /** the property's deterministic edge cases it ran (counted in ran, before the sweep) */
  edges?: number;
  /** the first distinct failure (failures[0]) */
  failure?: FailureRecord;
  /** every distinct failure found, one per signature (properties/run.ts signatureOf), each
   *  shrunk keeping its signature, with its fixture and repro */
  failures?: FailureRecord[];
  /** what a run that passed found worth saying (the `beyond` property's divergences) */
  note?: string;
}

/** A divergence from the oracle on a case outside the kernel's declared contract (the `beyond`
 *  property), shrunk while staying outside it by `clause` alone. */
export interface Divergence {
  /** the contract clause the case is outside of (`store.item_size`, `shift_left_no_overflow`) */
  clause: Clause;
  case: unknown;
  verdict: VerdictRecord;
  /** the shrunk case, the differing cells, how to rerun */
  text: string;
  seed: number;
  path?: string;
  shrinks: number;
  signature: string;
}

export interface KernelCoverage {
  hits: Record<string, number>;
  required: string[];
  missing: string[];
  /** cases in the kernel's coverage sweep, and how many of them ran (absent: an older report) */
  sweep?: number;
  sweepRan?: number;
  /** whether missing cells fail the gate: the whole sweep ran and no property failed */
  judged?: boolean;
  /** why coverage was not judged though cases ran (also in the report's notes) */
  note?: string;
}

export interface KernelReport {
  name: string;
  isa: string;
  backend: string;
  source: string;
  mr: number;
  nr: number;
  supported_ops: number[];
  /** what the kernel promises (absent: SPEC's full domain) */
  contract?: Contract;
  /** every divergence outside the declared contract (the `beyond` property): information,
   *  failing the gate only under `strict` */
  outside_contract: Divergence[];
  properties: PropertyResult[];
  coverage: KernelCoverage;
  /** generated cases per second by level (tile = tile + interleave, frame) */
  throughput: { tile?: number; frame?: number };
  /** the CPU an emulated backend emulated (absent on real hardware) */
  emulation?: Emulation;
  /** how the CLI loads an external kernel again (`--manifest FILE`, `--kernel-lib LIB`) */
  load?: string;
  /** the signatures of its distinct failures over all properties, in the order found */
  distinct_failures?: string[];
}

export interface ConformReport {
  format: typeof REPORT_FORMAT;
  seed: number;
  started: string;
  seconds: number;
  runs: number;
  shard?: { index: number; count: number };
  /** the bitexact version that wrote the report (package.json; absent: an older bitexact) */
  version?: string;
  /** where it ran (absent: a merged report, whose shards may have run anywhere) */
  host?: Host;
  /** the run was stopped (SIGINT / SIGTERM, ConformOptions.signal) before every unit ran */
  interrupted?: boolean;
  kernels: KernelReport[];
  unavailable: { name: string; why: string }[];
  /** why the gate failed (empty when ok): the lines of problemDetails */
  problems: string[];
  /** the same problems as data (which kernel, which option, which cells) */
  problemDetails: Problem[];
  /** what the gate did not judge, and why (never a failure, never silent): "K: coverage not judged (...)" */
  notes: string[];
  ok: boolean;
}

export const DEFAULT_CONFORM_RUNS = 200;

interface Unit { target: Target & { source: string; load?: string }; prop: PropertyDef | typeof BEYOND; runs: number; seed: number; examples: Case[]; edges: number; sweep: number }

/** The `beyond` property on one kernel: a fast-check run per clause its contract excludes. */
async function runBeyond(u: Unit, budgetMs: number | undefined, strict: boolean, onProgress: (ran: number) => void, signal: AbortSignal | undefined, rerun: RerunOptions): Promise<{ result: PropertyResult; found: Divergence[] }> {
  const k = u.target.kernel;
  const clauses = BEYOND.clauses(k);
  const found: Divergence[] = [];
  let ran = 0, outside = 0, seconds = 0, interrupted = false;
  for (const [i, clause] of clauses.entries()) {
    if (signal?.aborted) { interrupted = true; break; }
    const probed = new WeakSet<Case>();
    const out = await runCaseProperty({
      kernel: k.name, property: `${BEYOND.name} (${clause})`, arb: BEYOND.arb(k, clause),
      // a case not outside by this clause alone is not probed: it passes, so shrinking stays outside
      exec: interruptible(signal, async (c) => (BEYOND.outsideBy(k, clause, c) ? (probed.add(c), BEYOND.exec(u.target, c)) : PASS)), rerun,
      numRuns: Math.max(10, Math.ceil(u.runs / clauses.length)), seed: (u.seed + i) | 0,
      timeBudgetMs: budgetMs === undefined ? undefined : budgetMs / clauses.length, fixtureDir: null,
      // one divergence per clause: the clause is what the author declared away
      firstFailure: true,
      onCase: (c) => { if (probed.has(c)) outside++; },
      onProgress: (n) => onProgress(ran + n),
    });
    ran += out.ran; seconds += out.seconds; interrupted ||= out.interrupted;
    for (const f of out.failures) {
      if (!f.case) continue;
      found.push({ clause, case: f.case, verdict: verdictRecord(f.verdict), text: `divergence outside the declared contract (${clause})\n${f.text}`, seed: f.seed, path: f.path, shrinks: f.shrinks, signature: f.signature });
    }
  }
  const note = `${found.length} divergence(s) outside the declared contract${found.length ? ` (${found.map((d) => d.clause).join(', ')})` : ''}; ${clauses.length} clause(s) probed, ${outside} case(s) outside${found.length && !strict ? ' (information: --strict gates them)' : ''}`;
  const failed = strict && found.length > 0;
  const result: PropertyResult = {
    property: BEYOND.name, status: failed ? 'failed' : 'passed', ran, passed: ran - (failed ? found.length : 0), failed: failed ? found.length : 0, refused: 0,
    seed: u.seed, seconds, interrupted, note,
    ...(failed ? { failures: found.map((d) => ({ ...d, casesToFailure: 0 })), failure: { ...found[0], casesToFailure: 0 } } : {}),
  };
  return { result, found };
}

/** Runs the gate. Never throws for a kernel's misbehaviour: crashes, hangs and wrong results are
 *  failures in the report; bad options (unknown kernel, unreadable library) are problems. */
export async function conformance(opts: ConformOptions = {}): Promise<ConformReport> {
  const t0 = Date.now();
  const seed = resolveSeed(opts.seed ?? envSeed());
  const runs = opts.runs ?? envRuns() ?? DEFAULT_CONFORM_RUNS;
  const problems: Problem[] = [];
  const badProfile = opts.aarch64CpuProfile === undefined ? null : cpuProfileError(opts.aarch64CpuProfile);
  if (badProfile) {
    problems.push({ kind: 'option', option: '--cpu-profile', value: opts.aarch64CpuProfile!, why: badProfile });
    return { format: REPORT_FORMAT, seed, started: new Date(t0).toISOString(), seconds: (Date.now() - t0) / 1000, runs, shard: opts.shard, ...provenance({ aarch64: opts.aarch64, cpuProfile: opts.aarch64CpuProfile, svlBytes: opts.aarch64SvlBytes }), kernels: [], unavailable: [], ...withProblems(problems), notes: [] };
  }
  // builtins are always opened: with builtins: false they are not gated, but a chain an
  // external kernel refuses still falls back to them (the gating property)
  // the kernel calls (EXEC, PACK) take the policy's timeout; the executors' own requests
  // (LIST, LOAD_LIB) keep the backends' generous default
  const timeout: TimeoutPolicy = opts.timeoutMs === undefined ? {} : { fixedMs: opts.timeoutMs, fixedBy: '--timeout' };
  const set = await openKernels({ libs: opts.kernelLibs, manifests: opts.manifests, aarch64: opts.aarch64, builtins: true, svlBytes: opts.aarch64SvlBytes, cpuProfile: opts.aarch64CpuProfile });
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
  const badTimeout = opts.timeoutMs === undefined ? undefined : parseTimeoutMs(String(opts.timeoutMs));
  if (typeof badTimeout === 'string') {
    // no call could be timed: nothing is gated
    problems.push({ kind: 'option', option: '--timeout', value: String(opts.timeoutMs), why: badTimeout.replace(/^--timeout \S+: /, '') });
    targets = [];
  }
  const props = [...PROPERTIES, BEYOND].filter((p) => !opts.properties?.length || opts.properties.includes(p.name));
  for (const p of opts.properties ?? []) if (!PROPERTY_NAMES.includes(p)) problems.push({ kind: 'option', option: '--property', value: p, why: `no such property (${PROPERTY_NAMES.join(', ')})` });
  if (targets.length === 0 && problems.length === 0) problems.push({ kind: 'nothing_to_gate' });

  // units: kernel x property x seed range; a shard takes its seed range of every unit, so the
  // union of N shards runs exactly the cases of one unsharded run split N ways
  const shard = opts.shard;
  const units: Unit[] = [];
  for (const target of targets) for (const prop of props) {
    // --runs counts the random cases: the deterministic ones (edge cases, then the coverage
    // sweep) always run in full before them, once: unsharded, or in the first shard
    const total = Math.max(5, Math.round(runs / prop.cost));
    const det = (!shard || shard.index === 0) && prop !== BEYOND ? deterministicCases(prop as PropertyDef, target.kernel) : { edges: [], sweep: [] };
    const examples = [...det.edges, ...det.sweep];
    const counts = { examples, edges: det.edges.length, sweep: det.sweep.length };
    if (shard) {
      const per = Math.ceil(total / shard.count);
      units.push({ target, prop, runs: examples.length + Math.max(1, Math.min(per, total - per * shard.index)), seed: (seed + shard.index * 7919) | 0, ...counts });
    } else units.push({ target, prop, runs: examples.length + total, seed, ...counts });
  }
  opts.onEvent?.({ type: 'start', seed, units: units.map((u) => ({ kernel: u.target.kernel.name, property: u.prop.name, runs: u.runs })) });
  const budgetPerUnit = opts.timeBudgetSeconds ? (opts.timeBudgetSeconds * 1000) / Math.max(1, units.length) : undefined;

  // per kernel: coverage, whether a coverage-feeding property ran cases, cases and seconds per level
  const reports = new Map<string, KernelReport & { cov: CoverageMatrix; covRan: boolean; sweepRan: number; rate: Record<Case['level'], [number, number]> }>();
  for (const t of targets) {
    reports.set(t.kernel.name, {
      name: t.kernel.name, isa: t.kernel.isa, backend: t.backend.name, source: t.source, mr: t.kernel.mr, nr: t.kernel.nr,
      supported_ops: t.kernel.supported_ops, ...(t.kernel.contract ? { contract: t.kernel.contract } : {}), outside_contract: [], properties: [], coverage: { hits: {}, required: [], missing: [], sweep: coverageSweep(t.kernel).length }, throughput: {},
      ...(t.backend.emulation ? { emulation: t.backend.emulation } : {}),
      ...(t.source !== 'builtin' ? { load: t.load ?? kernelLibOption(t.source) } : {}),
      cov: new CoverageMatrix(t.kernel), covRan: false, sweepRan: 0, rate: { tile: [0, 0], frame: [0, 0] },
    });
  }
  // a refused chain falls back to any kernel runnable here, not only the gated selection
  const allTargets = set.targets.map(({ kernel, backend }) => ({ kernel, backend }));
  const signal = opts.signal;
  // a stop does not wait for the call in flight (a hanging kernel would hold it for its timeout)
  const onAbort = () => killAllExecutors();
  signal?.addEventListener('abort', onAbort, { once: true });
  let unitsDone = 0;
  for (const [index, u] of units.entries()) {
    if (signal?.aborted) break;
    if (opts.claim && !(await opts.claim({ index, kernel: u.target.kernel.name, property: u.prop.name }))) continue;
    const kr = reports.get(u.target.kernel.name)!;
    const name = u.target.kernel.name;
    opts.onEvent?.({ type: 'unit-start', kernel: name, property: u.prop.name, runs: u.runs, edges: u.edges, sweep: u.sweep });
    // the printed rerun line: this kernel and property, exactly as this run ran them
    const rerun: RerunOptions = { seed, runs, property: u.prop.name, shard, extra: [...(opts.timeoutMs === undefined ? [] : [`--timeout ${opts.timeoutMs}`]), ...(opts.strict ? ['--strict'] : [])] };
    const why = u.prop.skipReason(u.target.kernel);
    let result: PropertyResult;
    if (why) {
      result = { property: u.prop.name, status: 'skipped', skipped: why, ran: 0, passed: 0, failed: 0, refused: 0, seed: u.seed, seconds: 0, interrupted: false };
    } else if (u.prop === BEYOND) {
      const b = await runBeyond(u, budgetPerUnit, opts.strict === true, (ran) => opts.onEvent?.({ type: 'progress', kernel: name, property: u.prop.name, ran, runs: u.runs }), signal, rerun);
      result = b.result;
      kr.outside_contract.push(...b.found);
    } else {
      const prop = u.prop as PropertyDef;
      const out = await runCaseProperty({
        kernel: name, property: prop.name, arb: prop.arb(u.target.kernel),
        exec: interruptible(signal, (c: Case, call?: CaseCall) => prop.exec(u.target, allTargets, c, call)), numRuns: u.runs, seed: u.seed, examples: u.examples, rerun,
        timeBudgetMs: budgetPerUnit, fixtureDir: opts.fixtureDir, timeout,
        firstFailure: opts.firstFailure, contract: u.target.kernel.contract,
        lookahead: lookaheadOf(prop),
        probe: (c) => runCase(u.target.backend, u.target.kernel, c, { timeout }),
        onCase: prop.coverage ? (c) => kr.cov.record(c) : undefined,
        onProgress: (ran) => opts.onEvent?.({ type: 'progress', kernel: name, property: prop.name, ran, runs: u.runs }),
      });
      // fast-check counts a run interrupted before any success as failed, without a counterexample
      if (signal?.aborted && out.failure && out.failure.case === undefined && out.ran === out.passed + out.refused) Object.assign(out, { failure: undefined, failures: [], failed: 0, interrupted: true });
      const failed = out.failed > 0 || Boolean(out.failure);
      if (prop.coverage && out.ran > 0) kr.covRan = true;
      // fast-check runs the examples first, in order: edge cases, then the sweep
      const sweepRan = Math.min(u.sweep, Math.max(0, out.ran - u.edges));
      kr.sweepRan += sweepRan;
      const failures: FailureRecord[] = [];
      for (const f of out.failures) failures.push(await failureRecord(u, prop, f, name, timeout, signal));
      result = {
        property: prop.name, ran: out.ran, passed: out.passed, failed: out.failed, refused: out.refused, seed: u.seed,
        seconds: out.seconds, interrupted: out.interrupted, ...(u.sweep ? { sweep: sweepRan } : {}), ...(u.edges ? { edges: Math.min(u.edges, out.ran) } : {}),
        ...(failures.length ? { failure: failures[0], failures } : {}),
        // a property the kernel declares that ran zero cases proves nothing: a failure
        status: failed || out.ran === 0 ? 'failed' : 'passed',
      };
      if (out.ran === 0 && !failed && signal?.aborted) Object.assign(result, { status: 'skipped', skipped: `interrupted (${abortReason(signal)}) before any case ran` });
      else if (out.ran === 0 && !failed) result.skipped = 'ran zero cases (time budget too small?)';
      if (prop.throughput) { const acc = kr.rate[prop.level]; acc[0] += out.ran; acc[1] += out.seconds; }
    }
    if (signal?.aborted && result.status !== 'skipped') { result.interrupted = true; result.note ??= `interrupted (${abortReason(signal)})`; }
    kr.properties.push(result);
    unitsDone++;
    opts.onEvent?.({ type: 'unit-end', kernel: name, property: u.prop.name, result });
  }
  const interrupted = signal?.aborted === true;
  if (interrupted) problems.push({ kind: 'interrupted', reason: abortReason(signal!), ran: unitsDone, planned: units.length });

  const rate = ([n, s]: [number, number]) => (s > 0 ? n / s : undefined);
  const kernels = [...reports.values()].map(({ cov, covRan, sweepRan, rate: r, ...k }) => {
    const j = cov.toJSON();
    const kernel: KernelReport = {
      ...k,
      coverage: { hits: j.hits, required: j.required, missing: j.missing, sweep: k.coverage.sweep, sweepRan },
      throughput: { tile: rate(r.tile), frame: rate(r.frame) },
    };
    return { kernel, covRan };
  });
  const notes: string[] = [];
  judgeKernels(kernels, { interrupted, unitsDone, planned: units.length, whole: !shard && !opts.claim }, problems, notes);
  signal?.removeEventListener('abort', onAbort);
  await Promise.all(backends.map((b) => b.close()));
  return {
    format: REPORT_FORMAT, seed, started: new Date(t0).toISOString(), seconds: (Date.now() - t0) / 1000, runs, shard, ...provenance({ aarch64: opts.aarch64, cpuProfile: opts.aarch64CpuProfile, svlBytes: opts.aarch64SvlBytes }),
    ...(interrupted ? { interrupted } : {}), kernels: kernels.map((k) => k.kernel), unavailable, ...withProblems(problems), notes,
  };
}

/** The end of a run, per kernel: a problem per distinct failure (first found first), its
 *  distinct failures, and its coverage judged: on a whole run only (not a shard, not a part of
 *  a --jobs run: the union is judged), not interrupted, not after a failed property. */
export function judgeKernels(kernels: { kernel: KernelReport; covRan: boolean }[], run: { interrupted: boolean; unitsDone: number; planned: number; whole: boolean }, problems: Problem[], notes: string[]): void {
  for (const { kernel: k, covRan } of kernels) {
    const sigs = new Set<string>();
    for (const p of k.properties) if (p.status === 'failed') problems.push(...propertyProblems(k.name, p, p.skipped ?? '', 'failed', sigs));
    k.distinct_failures = [...sigs];
    // coverage is judged on whole runs only (a shard sees a slice; `bitexact merge` judges the
    // union), not after a failed property (it stops early), and only once the whole sweep ran
    if (run.interrupted) {
      Object.assign(k.coverage, { judged: false, note: `coverage not judged (the run was interrupted after ${run.unitsDone} of ${run.planned} kernel x property units)` });
      continue;
    }
    if (!run.whole || !covRan || k.properties.some((p) => p.status === 'failed')) continue;
    const why = k.properties.some((p) => p.interrupted) ? 'the time budget cut the run short: raise --time-budget'
      : `the sweep runs in ${PROPERTIES.filter((p) => p.sweep).map((p) => p.name).join(', ')}: select them with --property`;
    judgeCoverage(k, why, problems, notes);
  }
}

/** Why the signal stopped the run: its reason ("SIGINT"), or "aborted". */
export const abortReason = (s: AbortSignal): string => (typeof s.reason === 'string' ? s.reason : 'aborted');

/** A property's exec that stops fast-check once the signal fires: the case in flight then is
 *  dropped (the terminal's Ctrl-C reaches the executors too, so its verdict proves nothing),
 *  and fast-check ends the run as interrupted, keeping a failure it was shrinking. Calls after
 *  that (runCaseProperty re-running the shrunk case) run normally. */
function interruptible<A extends unknown[]>(signal: AbortSignal | undefined, exec: (...a: A) => Promise<Verdict>): (...a: A) => Promise<Verdict> {
  if (!signal) return exec;
  let stopped = false;
  const stop = (): never => { stopped = true; throw new fc.PreconditionFailure(true); };
  return async (...a: A) => {
    if (signal.aborted && !stopped) stop();
    const v = await exec(...a);
    // an executor killed by the same SIGINT / SIGTERM may report before the signal's handler runs
    if (!stopped && !signal.aborted && !v.ok && v.outcome === 'crash' && (v.signal === 'SIGINT' || v.signal === 'SIGTERM')) await new Promise((r) => setTimeout(r, 200));
    if (signal.aborted && !stopped) stop();
    return v;
  };
}

/** A property result's distinct failures: `failures`, or the one `failure` of an older report. */
export const failuresOf = (p: PropertyResult): FailureRecord[] => p.failures ?? (p.failure ? [p.failure] : []);

/** The problems of a failed property: one per distinct failure. */
function propertyProblems(kernel: string, p: PropertyResult, why: string, none: 'failed' | 'ran zero cases' = 'failed', seen = new Set<string>()): Problem[] {
  const all = failuresOf(p);
  if (!all.length) return [{ kind: 'property', kernel, property: p.property, failure: none, message: why }];
  // a bug an earlier property of the kernel already reported is not listed again
  const fs = all.filter((f) => !seen.has(f.signature));
  for (const f of all) seen.add(f.signature);
  return fs.map((f) => ({ kind: 'property', kernel, property: p.property, failure: f.verdict.kind, label: f.verdict.label, message: f.verdict.message, ...(f.divergence ? { at: divergenceText(f.divergence) } : {}) }));
}

/** A failure as the report carries it: the typed verdict, the replay / rerun hints of an
 *  external or emulated kernel, and a standalone C reproducer next to its fixture. */
async function failureRecord(u: Unit, prop: PropertyDef, f: CaseFailure, name: string, timeout: TimeoutPolicy, signal?: AbortSignal): Promise<FailureRecord> {
  const failure: FailureRecord = { ...f, verdict: verdictRecord(f.verdict) };
  // the replay / rerun hints need an external kernel's library and the emulated CPU
  const emu = u.target.backend.emulation;
  const lib = u.target.source !== 'builtin' ? ` ${u.target.load ?? kernelLibOption(u.target.source)}` : '';
  if (lib || emu) failure.text = failure.text.split(` --kernel ${name}`).join(`${lib} --kernel ${name}${emu ? ` ${emu.options.join(' ')}` : ''}`);
  // a standalone C reproducer next to the fixture, of the case the property maps the failure to
  const reproCase = f.case && prop.repro ? prop.repro(f.case) : undefined;
  if (signal?.aborted) failure.text += '\nrepro.c not written: the run was interrupted';
  else if (failure.fixture && reproCase) {
    try {
      // the tile search of a hang is a search like shrinking: the shortened timeout
      const searchTimeout = isHang(f.verdict) ? { ...timeout, shrinking: true } : timeout;
      const r = await writeRepro(u.target, reproCase, { source: u.target.source, verdict: f.verdict, fixture: failure.fixture, timeout: searchTimeout });
      Object.assign(failure, { repro: r.path, reproBuild: r.build, reproRun: r.run });
      failure.text += `\nrepro.c: ${r.path}\n  build: ${r.build}\n  run:   ${r.run}${r.note ? `\n  ${r.note}` : ''}`;
    } catch (e) {
      failure.text += `\nrepro.c not written: ${(e as Error).message}`;
    }
  }
  return failure;
}

/** Judges a whole run's coverage: every sweep case ran (a correct kernel has then reached
 *  every required cell) and a cell is missing: a problem; the sweep cut short: a note, not a
 *  failure (which cells random cases reach is the seed's luck). Sets coverage.judged / note. */
function judgeCoverage(k: KernelReport, why: string, problems: Problem[], notes: string[]): void {
  const c = k.coverage;
  c.judged = c.sweep === undefined || (c.sweepRan ?? 0) >= c.sweep;
  if (!c.judged) {
    c.note = `coverage not judged (budget ${c.sweepRan ?? 0} below the sweep's ${c.sweep} cases: ${why})`;
    notes.push(`${k.name}: ${c.note}`);
  } else if (c.missing.length) {
    problems.push({ kind: 'coverage', kernel: k.name, missing: c.missing, hint: c.sweep === undefined ? '' : ' (beyond the coverage sweep\'s reach)' });
  }
}

/** The report's problem fields: the typed list, its lines, and ok. */
const withProblems = (problems: Problem[]): Pick<ConformReport, 'problems' | 'problemDetails' | 'ok'> =>
  ({ problems: problems.map(problemText), problemDetails: problems, ok: problems.length === 0 });

/** Why shard reports do not belong to one run (null: they do): every part a shard of the same
 *  N, each index 1..N exactly once, written by the same bitexact version with the same seed,
 *  runs, kernels and properties, none interrupted. `names` (the files) name the parts. */
export function shardMismatch(parts: ConformReport[], names: string[] = parts.map((_, i) => `report ${i + 1}`)): string | null {
  if (parts.length === 0) return 'nothing to merge';
  for (const [i, r] of parts.entries()) {
    if (r.format !== REPORT_FORMAT) return `${names[i]}: not a ${REPORT_FORMAT} report (format ${JSON.stringify(r.format)})`;
    if (!Array.isArray(r.problemDetails) || r.version === undefined) return `${names[i]}: written by an older bitexact (no ${r.version === undefined ? 'version' : 'problemDetails'}): rerun its shard`;
    if (!r.shard) return `${names[i]}: not a shard report (run with --shard I/N): there is nothing to merge it with`;
    if (r.interrupted) return `${names[i]}: shard ${r.shard.index + 1}/${r.shard.count} was interrupted before it finished: rerun it`;
  }
  const first = parts[0];
  const kernelsOf = (r: ConformReport) => r.kernels.map((k) => `${k.name}[${k.properties.map((p) => p.property).join(',')}]`).sort().join(' ');
  const same: [string, (r: ConformReport) => string][] = [
    ['bitexact version', (r) => String(r.version)],
    ['seed', (r) => String(r.seed)],
    ['runs', (r) => String(r.runs)],
    ['shard count N', (r) => String(r.shard!.count)],
    ['kernels and properties', kernelsOf],
  ];
  for (const [what, key] of same) {
    const want = key(first);
    const i = parts.findIndex((r) => key(r) !== want);
    if (i >= 0) return `${names[i]} and ${names[0]} are not shards of one run: ${what} differ (${key(parts[i]) || 'none'} vs ${want || 'none'})`;
  }
  const n = first.shard!.count;
  const seen = new Map<number, number>();
  for (const [i, r] of parts.entries()) {
    const j = seen.get(r.shard!.index);
    if (j !== undefined) return `shard ${r.shard!.index + 1}/${n} given twice (${names[j]}, ${names[i]})`;
    seen.set(r.shard!.index, i);
  }
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i)).map((i) => `${i + 1}/${n}`);
  if (missing.length) return `shard(s) ${missing.join(', ')} missing: a merge needs every shard of the run (got ${parts.map((r) => `${r.shard!.index + 1}/${n}`).join(', ')})`;
  return null;
}

/** Joins the shard reports of one run (shardMismatch must hold, else this throws its reason):
 *  counts add up, coverage hits add up, failures are kept; coverage is judged on the union. */
export function mergeReports(parts: ConformReport[], names?: string[]): ConformReport {
  const mismatch = shardMismatch(parts, names);
  if (mismatch) throw new Error(mismatch);
  const byKernel = new Map<string, KernelReport>();
  const problems: Problem[] = [];
  for (const r of parts) {
    for (const k of r.kernels) {
      const seen = byKernel.get(k.name);
      const m = seen ?? { ...k, properties: [], coverage: { hits: {}, required: k.coverage.required, missing: [], sweep: k.coverage.sweep, sweepRan: 0 }, throughput: {} };
      if (m.coverage.sweepRan !== undefined) m.coverage.sweepRan += k.coverage.sweepRan ?? 0;
      m.outside_contract = [...(seen ? seen.outside_contract : []), ...(k.outside_contract ?? [])];
      for (const p of k.properties) {
        const q = m.properties.find((x) => x.property === p.property);
        if (!q) m.properties.push({ ...p });
        else {
          q.ran += p.ran; q.passed += p.passed; q.failed += p.failed; q.refused += p.refused; q.seconds += p.seconds;
          q.interrupted ||= p.interrupted;
          if (p.sweep !== undefined) q.sweep = (q.sweep ?? 0) + p.sweep;
          if (p.edges !== undefined) q.edges = (q.edges ?? 0) + p.edges;
          if (p.status === 'failed') {
            q.status = 'failed';
            q.failure ??= p.failure;
            // the shards' distinct failures, one per signature
            const all = [...(q.failures ?? []), ...failuresOf(p)];
            q.failures = all.filter((f, i) => all.findIndex((x) => x.signature === f.signature) === i);
          }
          if (p.note && p.note !== q.note) q.note = q.note ? `${q.note}; ${p.note}` : p.note;
          else if (q.status === 'skipped' && p.status === 'passed') { q.status = 'passed'; q.skipped = undefined; }
        }
      }
      for (const [cell, n] of Object.entries(k.coverage.hits)) m.coverage.hits[cell] = (m.coverage.hits[cell] ?? 0) + n;
      byKernel.set(k.name, m);
    }
  }
  const kernels = [...byKernel.values()];
  const notes: string[] = [];
  for (const k of kernels) {
    k.coverage.missing = k.coverage.required.filter((c) => !k.coverage.hits[c]);
    const sigs = new Set<string>();
    for (const p of k.properties) if (p.status === 'failed' || (p.ran === 0 && p.status !== 'skipped')) problems.push(...propertyProblems(k.name, p, '', 'ran zero cases', sigs));
    k.distinct_failures = [...sigs];
    judgeCoverage(k, 'the merged shards ran part of it; the first shard runs it', problems, notes);
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
    runs: parts[0].runs, version: parts[0].version, kernels, unavailable, ...withProblems(problems), notes,
  };
}
