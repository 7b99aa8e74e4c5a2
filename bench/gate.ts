// The gate's throughput, as `npm run bench` reports it (bench/main.ts):
//
//  * cases/s per kernel x property as a slope over two run counts: the same `conform` command
//    (one kernel, one property, one seed, --jobs 1) at N1 and N2 random cases, (N2 - N1) / (t2 - t1)
//    from the report's property seconds, so neither process start-up, nor JIT warm-up, nor the
//    deterministic cases (the same at both counts) are in the figure;
//  * the same slopes of a baseline build (a git revision of this package, built apart under
//    build/bench-baseline/), measured in the same run, so "after / before" is a ratio of one
//    machine at one time;
//  * the per-phase split of a case (generation, encoding, executor round trip one at a time and
//    pipelined, judge, coverage), timed phase by phase in this process;
//  * the `--jobs` scaling of a full `conform`: wall time of --jobs 1 over --jobs N.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Case } from '../oracle/types.js';
import type { Target } from '../native/targets.js';
import { PKG_ROOT } from '../native/paths.js';
import { PIPELINE_DEPTH } from '../native/process.js';
import type { ExecResult } from '../native/wire.js';
import { propertyByName } from '../properties/kernel-properties.js';
import { encodeCase, type Encoded } from '../properties/encode.js';
import { judge } from '../properties/check.js';
import { CoverageMatrix } from '../coverage/semantic.js';

/** The main before the throughput work (one executor request at a time, the bigint oracle on
 *  every case, coverage re-evaluating prefixes, seedrandom data, one process). */
export const DEFAULT_BASELINE = '3e8ad95';

/** The figures the throughput work started from (cases/s, measured on another machine of this
 *  kind): shown for reference, never divided by (that would compare two machines). */
export const ISSUE_FIGURES: Record<string, Partial<Record<string, number>>> = {
  generic_i32_4x4: { tile: 1934, frame: 1542, interleave: 1764, packing: 310 },
  x86_avx2_i32_8x8: { tile: 1433, frame: 833, interleave: 955, packing: 466 },
  x86_avx512vnni_i32_16x16_k4: { tile: 803, frame: 710, interleave: 549, packing: 349 },
  arm64_sme2_i32_32x32_k4: { tile: 229, frame: 183, interleave: 165, packing: 383 },
};

export const SLOPE_PROPERTIES = ['tile', 'frame', 'interleave', 'packing'] as const;

export interface Slope { cases: [number, number]; seconds: [number, number]; perSecond: number; status: string }
export interface SlopeRow { kernel: string; property: string; emulated: boolean; after?: Slope; before?: Slope; why?: string }

/** A build of this package at `rev` under build/bench-baseline/<rev>: its CLI, or why not. */
export function baselineCli(rev: string, log: (s: string) => void): { cli: string } | { why: string } {
  const dir = join(PKG_ROOT, 'build', 'bench-baseline', rev);
  const cli = join(dir, 'dist', 'cli', 'main.js');
  const done = join(dir, '.built');
  if (existsSync(done)) return { cli };
  try {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    log(`building the baseline ${rev} in ${dir} (git archive, tsc, addon, aarch64 runner)`);
    const tar = spawnSync('git', ['-C', PKG_ROOT, 'archive', '--format=tar', rev], { maxBuffer: 1 << 30 });
    if (tar.status !== 0) return { why: `git archive ${rev} failed: ${tar.stderr.toString().trim()} (a clone with history is needed)` };
    execFileSync('tar', ['-x', '-C', dir], { input: tar.stdout });
    // its dependencies are a subset of ours; the cross toolchain is the one installed here
    symlinkSync(join(PKG_ROOT, 'node_modules'), join(dir, 'node_modules'));
    if (existsSync(join(PKG_ROOT, '.toolchain'))) symlinkSync(join(PKG_ROOT, '.toolchain'), join(dir, '.toolchain'));
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    run(process.execPath, [join(PKG_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
    run(process.execPath, ['native/build-addon.mjs']);
    if (existsSync(join(PKG_ROOT, '.toolchain'))) {
      try {
        run('bash', ['ci/build-aarch64.sh']);
      } catch (e) {
        log(`baseline ${rev}: no aarch64 runner (${(e as Error).message.split('\n')[0]}); its emulated rows are missing`);
      }
    }
    writeFileSync(done, new Date().toISOString());
    return { cli };
  } catch (e) {
    return { why: `building ${rev} failed: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}` };
  }
}

/** Runs `cli conform ARGS --seed S` in a fresh directory (its fixtures there, removed after);
 *  `read` sees the directory before it goes. */
function inConform<T>(cli: string, args: string[], seed: number, read: (dir: string, status: number | null) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'bx-bench-'));
  try {
    const r = spawnSync(process.execPath, [cli, 'conform', ...args, '--seed', String(seed), '--fixture-dir', join(dir, 'fx')], { cwd: dir, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    return read(dir, r.status);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One property of one kernel through `conform` at a run count: its cases and seconds. */
function conformProperty(cli: string, kernel: string, property: string, runs: number, seed: number, jobsFlag: boolean): { ran: number; seconds: number; status: string } {
  const args = ['--kernel', kernel, '--property', property, '--runs', String(runs), '--json', 'r.json', ...(jobsFlag ? ['--jobs', '1'] : [])];
  return inConform(cli, args, seed, (dir) => {
    const json = join(dir, 'r.json');
    if (!existsSync(json)) return { ran: 0, seconds: 0, status: 'no report' };
    const r = JSON.parse(readFileSync(json, 'utf8')) as { kernels: { name: string; properties: { property: string; ran: number; seconds: number; status: string }[] }[] };
    const p = r.kernels.find((k) => k.name === kernel)?.properties.find((x) => x.property === property);
    return p ? { ran: p.ran, seconds: p.seconds, status: p.status } : { ran: 0, seconds: 0, status: 'not run' };
  });
}

/** cases/s of one kernel x property as the slope between two run counts, each count run
 *  `reps` times and its fastest run kept (a shared machine only ever adds time). */
export function slope(cli: string, kernel: string, property: string, counts: [number, number], seed: number, jobsFlag: boolean, reps = 1): Slope {
  const best = (n: number) => {
    const runs = Array.from({ length: reps }, () => conformProperty(cli, kernel, property, n, seed, jobsFlag));
    return runs.find((r) => r.status !== 'passed') ?? runs.reduce((x, y) => (y.seconds < x.seconds ? y : x));
  };
  const a = best(counts[0]);
  const b = best(counts[1]);
  const status = a.status === 'passed' && b.status === 'passed' ? 'passed' : `${a.status} / ${b.status}`;
  const perSecond = b.seconds > a.seconds && b.ran > a.ran ? (b.ran - a.ran) / (b.seconds - a.seconds) : NaN;
  return { cases: [a.ran, b.ran], seconds: [a.seconds, b.seconds], perSecond, status };
}

// ---- per-phase split ------------------------------------------------------------------------

export interface PhaseRow { kernel: string; property: string; cases: number; us: Record<Phase, number> }
export const PHASES = ['generate', 'encode', 'exec (one at a time)', 'exec (pipelined)', 'judge', 'coverage'] as const;
export type Phase = (typeof PHASES)[number];

/** Microseconds per case of each phase of a property's case, each timed alone over the same
 *  cases (after one untimed pass, so the JIT has seen them). */
export async function phaseSplit(t: Target, property: string, n: number, seed: number): Promise<PhaseRow> {
  const p = propertyByName(property)!;
  const arb = p.arb(t.kernel);
  const time = async (f: () => unknown | Promise<unknown>): Promise<number> => {
    await f();
    const t0 = performance.now();
    await f();
    return ((performance.now() - t0) * 1000) / n;
  };
  let cases: Case[] = [];
  let encs: Encoded[] = [];
  let results: ExecResult[] = [];
  const us = {} as Record<Phase, number>;
  us.generate = await time(() => { cases = fc.sample(arb, { seed, numRuns: n }); });
  us.encode = await time(() => { encs = cases.map((c) => encodeCase(c, t.kernel)); });
  us['exec (one at a time)'] = await time(async () => {
    results = [];
    for (const e of encs) results.push(await t.backend.exec(e.req));
  });
  us['exec (pipelined)'] = await time(async () => {
    const out: Promise<ExecResult>[] = [];
    const win: Promise<ExecResult>[] = [];
    for (const e of encs) {
      const r = t.backend.exec(e.req, { pipelined: true });
      out.push(r);
      win.push(r);
      if (win.length >= PIPELINE_DEPTH) await win.shift();
    }
    results = await Promise.all(out);
  });
  us.judge = await time(() => cases.forEach((c, i) => {
    const v = judge(c, t.kernel, encs[i]!, results[i]!);
    if (!v.ok) throw new Error(`${t.kernel.name} failed a ${property} case during the phase split (${v.outcome})`);
  }));
  us.coverage = await time(() => {
    const m = new CoverageMatrix(t.kernel);
    for (const c of cases) m.record(c);
  });
  return { kernel: t.kernel.name, property, cases: n, us };
}

// ---- --jobs scaling -------------------------------------------------------------------------

/** One full `conform`: its wall time, the CPU seconds (user + system) of its whole process
 *  tree (conform, its workers and every executor: host children, qemu) and its exit status. */
export interface WallRun { seconds: number; cpuSeconds: number; status: number | null }

/** A job count's median run (by wall time) of `reps`; `status`: every repetition's exit
 *  status, else the first that differs. */
export interface JobsRow extends WallRun { jobs: number; runs?: number; reps: number }

/** CPU seconds of this process's reaped descendants so far (Linux: /proc/self/stat cutime +
 *  cstime; a child's count includes the descendants it reaped). NaN elsewhere. */
export function childrenCpu(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // the fields after the command name (which may hold spaces) start at the state, field 3
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tick = 100; // USER_HZ: 100 on every Linux ABI Node runs on
    return (Number(f[13]) + Number(f[14])) / tick;
  } catch {
    return NaN;
  }
}

/** Wall and CPU time of a full `conform` (every kernel runnable here, every property; runs
 *  undefined: the default --runs). */
export function conformWall(jobs: number, seed: number, runs?: number): WallRun {
  const c0 = childrenCpu();
  const t0 = performance.now();
  const status = inConform(join(PKG_ROOT, 'dist', 'cli', 'main.js'), ['--jobs', String(jobs), ...(runs ? ['--runs', String(runs)] : [])], seed, (_dir, st) => st);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: childrenCpu() - c0, status };
}

/** --jobs scaling: each job count in `counts` run `reps` times, the counts alternating (1, N,
 *  1, N, ...) so that a drift of the shared machine falls on both; the median wall time and
 *  the CPU seconds of that run. */
export function jobsScaling(counts: number[], seed: number, runs: number | undefined, reps: number, measure = conformWall): JobsRow[] {
  const all = new Map<number, WallRun[]>(counts.map((n) => [n, []]));
  for (let i = 0; i < reps; i++) for (const n of counts) all.get(n)!.push(measure(n, seed, runs));
  return counts.map((n) => {
    const xs = all.get(n)!;
    const median = [...xs].sort((a, b) => a.seconds - b.seconds)[(xs.length - 1) >> 1];
    const status = xs.find((x) => x.status !== xs[0].status)?.status ?? xs[0].status;
    return { jobs: n, runs, seconds: median.seconds, cpuSeconds: median.cpuSeconds, reps: xs.length, status };
  });
}
