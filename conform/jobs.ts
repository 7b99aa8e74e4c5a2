// `conform --jobs N`: the gate's kernel x property units spread over N processes. This process
// runs units itself (conformance() with a claim) and forks N - 1 workers (conform/jobs-worker.ts)
// as it starts; every process opens its own kernels (each Backend is its own
// executor child) and runs the unit it claims next, first come first served, so slow units
// (an emulated kernel, a sweep) do not hold the others up. A unit's cases depend only on the
// seed, --runs and the unit, never on the process that ran it: the merged report equals the
// report of --jobs 1 but for timings (conform/jobs.test.ts).
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  abortReason, conformance, DEFAULT_CONFORM_RUNS, judgeKernels,
  type ConformEvent, type ConformOptions, type ConformReport, type KernelReport, type PropertyResult,
} from './engine.js';
import { envRuns, envSeed } from './env.js';
import { problemText, type Problem } from './problems.js';
import { PROPERTIES } from '../properties/kernel-properties.js';
import { resolveSeed } from '../properties/run.js';
import { PKG_ROOT } from '../native/paths.js';

/** What a worker is given: the run's options, seed and --runs resolved (the parent's). */
export type WorkerOptions = Omit<ConformOptions, 'onEvent' | 'signal' | 'claim'> & { seed: number; runs: number; events: boolean };

/** Messages between the parent and a worker (IPC, structured clone). */
export type ToWorker =
  | { type: 'run'; opts: WorkerOptions }
  | { type: 'claim'; id: number; ok: boolean }
  | { type: 'abort'; reason: string };
export type FromWorker =
  | { type: 'event'; event: ConformEvent }
  | { type: 'claim'; id: number; index: number }
  | { type: 'report'; report: ConformReport }
  | { type: 'error'; message: string };

/** The default of --jobs: the processors this process may use. */
export const defaultJobs = (): number => os.availableParallelism();

/** The worker's entry: next to this module when built, else (vitest runs the .ts sources) in dist/. */
function workerPath(): string {
  const here = fileURLToPath(new URL('./jobs-worker.js', import.meta.url));
  if (existsSync(here)) return here;
  const built = join(PKG_ROOT, 'dist', 'conform', 'jobs-worker.js');
  if (existsSync(built)) return built;
  throw new Error(`--jobs: the worker ${here} is missing (run npm run build), or use --jobs 1`);
}

/** conformance() over `jobs` processes (1: in this process, exactly conformance()). */
export async function conformJobs(opts: ConformOptions & { jobs?: number } = {}): Promise<ConformReport> {
  const { jobs = defaultJobs(), onEvent, signal, claim: _claim, ...rest } = opts;
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new RangeError(`--jobs ${jobs}: expected an integer >= 1`);
  if (jobs === 1) return conformance(opts);
  const t0 = Date.now();
  // every process must run the same units with the same cases: the seed and --runs are fixed here
  const seed = resolveSeed(rest.seed ?? envSeed());
  const runs = rest.runs ?? envRuns() ?? DEFAULT_CONFORM_RUNS;
  const wopts: WorkerOptions = { ...rest, seed, runs, events: onEvent !== undefined };
  const taken = new Set<number>();
  const claim = (index: number): boolean => (taken.has(index) ? false : (taken.add(index), true));
  let units: { kernel: string; property: string }[] = [];
  // a worker's events wait for this process's start event (the unit list comes first)
  let started = false;
  const early: ConformEvent[] = [];
  const forward = (e: ConformEvent): void => { if (started) onEvent?.(e); else early.push(e); };
  // the workers start with this process, not once its unit list is known: their start-up
  // (modules, executors, the unit list) runs beside this one's
  // (no more of them than the options allow units: one --kernel and one --property is one unit)
  const atMost = (rest.kernels?.length ? new Set(rest.kernels).size : Infinity) * (rest.properties?.length ? new Set(rest.properties).size : Infinity);
  const workers = Array.from({ length: Math.min(jobs, atMost) - 1 }, (_, i) => startWorker(i + 1, wopts, claim, forward));
  const onAbort = () => { for (const w of workers) send(w.child, { type: 'abort', reason: abortReason(signal!) }); };
  signal?.addEventListener('abort', onAbort);
  try {
    const local = await conformance({
      ...rest, seed, runs, signal,
      claim: ({ index }) => claim(index),
      onEvent: (e) => {
        onEvent?.(e);
        if (e.type === 'start') { units = e.units; started = true; for (const x of early.splice(0)) onEvent?.(x); }
      },
    });
    // this process claimed every unit no worker had: a worker that claimed none has nothing to
    // report (it may still be starting up) and is stopped
    for (const w of workers) if (w.claimed === 0) w.drop();
    // a worker that failed to start or died is an error of the gate, not of a kernel
    const parts = [local, ...(await Promise.all(workers.map((w) => w.report))).filter((r): r is ConformReport => r !== null)];
    return mergeParts(parts, units, t0, signal);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill();
  }
}

const send = (c: ChildProcess, m: ToWorker): void => { if (c.connected) c.send(m); };

interface Worker {
  child: ChildProcess;
  /** units this worker was granted */
  claimed: number;
  /** its part of the report; null once dropped */
  report: Promise<ConformReport | null>;
  /** stop a worker that claimed nothing: its part is empty */
  drop(): void;
}

function startWorker(j: number, opts: WorkerOptions, claim: (index: number) => boolean, onEvent: (e: ConformEvent) => void): Worker {
  // the worker's stdout goes to our stderr: stdout may carry a report (--json -)
  const child = fork(workerPath(), [], { stdio: ['ignore', 2, 2, 'ipc'], serialization: 'advanced' });
  let dropped = false;
  const w: Worker = {
    child, claimed: 0,
    // SIGKILL: a worker ignores SIGTERM (the parent decides a stop), and this one holds nothing
    // (its executors die with it: PR_SET_PDEATHSIG); one that already exited keeps its outcome,
    // its report or the error of its death
    drop: () => { if (child.exitCode === null && child.signalCode === null) { dropped = true; child.kill('SIGKILL'); } },
    report: new Promise((resolve, reject) => {
      let report: ConformReport | undefined;
      let error: string | undefined;
      child.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'claim': {
            const ok = !dropped && claim(m.index);
            if (ok) w.claimed++;
            send(child, { type: 'claim', id: m.id, ok });
            break;
          }
          // the worker's start event repeats the parent's: one is enough
          case 'event': if (m.event.type !== 'start') onEvent(m.event); break;
          case 'report': report = m.report; break;
          case 'error': error = m.message; break;
        }
      });
      child.on('error', (e) => { if (dropped) resolve(null); else reject(new Error(`conform --jobs: worker ${j}: ${e.message}`)); });
      child.on('exit', (code, sig) => {
        if (dropped) resolve(null);
        else if (report) resolve(report);
        else reject(new Error(`conform --jobs: worker ${j} ${error ? `failed: ${error}` : `exited (${sig ?? `code ${code}`}) before its report`}`));
      });
    }),
  };
  // a rejection is awaited only after this process's own part: not unhandled meanwhile
  w.report.catch(() => {});
  send(child, { type: 'run', opts });
  return w;
}

const key = (kernel: string, property: string) => `${kernel}\u0000${property}`;

/** Joins the parts of one run (each ran some of `units`, in that list's order) as conformance()
 *  would have reported them from one process: properties in unit order, counts and coverage
 *  hits added, throughput from the parts' cases and seconds, problems and coverage judged on
 *  the union. */
export function mergeParts(parts: ConformReport[], units: { kernel: string; property: string }[], t0: number, signal?: AbortSignal): ConformReport {
  const [first] = parts;
  // nothing ran anywhere (a bad option: no unit list): the first part says why
  if (units.length === 0) return { ...first, seconds: (Date.now() - t0) / 1000 };
  const order = new Map(units.map((u, i) => [key(u.kernel, u.property), i]));
  const def = new Map(PROPERTIES.map((p) => [p.name, p]));
  const kernels = first.kernels.map((k0) => {
    const mine = parts.map((p) => p.kernels.find((k) => k.name === k0.name)).filter((k): k is KernelReport => k !== undefined);
    const properties: PropertyResult[] = mine.flatMap((k) => k.properties).sort((a, b) => order.get(key(k0.name, a.property))! - order.get(key(k0.name, b.property))!);
    const hits = new Map<string, number>();
    for (const k of mine) for (const [cell, n] of Object.entries(k.coverage.hits)) hits.set(cell, (hits.get(cell) ?? 0) + n);
    const rate: Record<'tile' | 'frame', [number, number]> = { tile: [0, 0], frame: [0, 0] };
    let covRan = false;
    for (const p of properties) {
      const d = def.get(p.property);
      if (!d || p.ran === 0) continue;
      if (d.throughput) { rate[d.level][0] += p.ran; rate[d.level][1] += p.seconds; }
      if (d.coverage && p.ran > 0) covRan = true;
    }
    const perSecond = ([n, s]: [number, number]) => (s > 0 ? n / s : undefined);
    const required = k0.coverage.required;
    const kernel: KernelReport = {
      ...k0,
      outside_contract: mine.flatMap((k) => k.outside_contract),
      properties,
      coverage: { hits: Object.fromEntries([...hits].sort()), required, missing: required.filter((c) => !hits.get(c)), sweep: k0.coverage.sweep, sweepRan: mine.reduce((s, k) => s + (k.coverage.sweepRan ?? 0), 0) },
      throughput: { tile: perSecond(rate.tile), frame: perSecond(rate.frame) },
    };
    delete kernel.distinct_failures; // judged again below
    return { kernel, covRan };
  });
  // the run's own problems (options, libraries) are every part's: the first's; a kernel's are judged again
  const problems: Problem[] = first.problemDetails.filter((p) => p.kind !== 'property' && p.kind !== 'coverage' && p.kind !== 'interrupted');
  const interrupted = parts.some((p) => p.interrupted) || signal?.aborted === true;
  const unitsDone = kernels.reduce((s, k) => s + k.kernel.properties.length, 0);
  if (interrupted) problems.push({ kind: 'interrupted', reason: signal?.aborted ? abortReason(signal) : 'aborted', ran: unitsDone, planned: units.length });
  const notes: string[] = [];
  judgeKernels(kernels, { interrupted, unitsDone, planned: units.length, whole: !first.shard }, problems, notes);
  const { problems: _p, problemDetails: _d, notes: _n, ok: _ok, interrupted: _i, ...head } = first;
  return {
    ...head, started: new Date(t0).toISOString(), seconds: (Date.now() - t0) / 1000, ...(interrupted ? { interrupted } : {}), kernels: kernels.map((k) => k.kernel),
    problems: problems.map(problemText), problemDetails: problems, notes, ok: problems.length === 0,
  };
}
