// `npm run bench`: throughput of the gate and of what it runs.
//
//  1. Gate cases per second, per kernel x property (tile, frame, interleave, packing), native
//     (host child with the addon) and emulated (aarch64 runner under qemu-aarch64), as slopes
//     over two run counts of the same `conform` command (bench/gate.ts): after (this build) and
//     before (a baseline revision built apart, --baseline REV), measured in the same run.
//  2. The per-phase split of a case, and the `--jobs` scaling of a full `conform`.
//  3. The oracles' multiply-accumulates per second (bench/oracle.ts).
//  4. Each native host kernel's own speed in GOPS on 512^3 next to the generic C kernel
//     (bench/kernel_gops.c, compiled here with cc -O2). Under qemu GOPS say nothing about the
//     hardware, so the aarch64 kernels get cases/s only.
//  5. Big shapes: one 512^3 frame case judged through the gate on each host kernel, timing the
//     kernel call and the oracle apart.
//
//   node dist/bench/main.js [--quick] [--seed N] [--out FILE] [--size S] [--baseline REV|none]
//                           [--kernel NAME]... [--no-jobs]
// Writes bench/results.md (and prints the same tables).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import type { Case } from '../oracle/types.js';
import { PKG_ROOT } from '../native/paths.js';
import { aarch64Unavailable } from '../native/backends/aarch64-qemu.js';
import { discoverTargets, type Target } from '../native/targets.js';
import { builtinKernelSources } from '../native/sources.js';
import { propertyByName } from '../properties/kernel-properties.js';
import { runCase } from '../properties/check.js';
import { failureMessage } from '../properties/verdict-format.js';
import { oracleEval, FAST_ORACLE_MACS } from '../properties/oracle-bridge.js';
import { benchOracles, formatOracleBench, type OracleBenchResult } from './oracle.js';
import { isEntry } from '../cli/util.js';
import { defaultJobs } from '../conform/jobs.js';
import { PIPELINE_DEPTH } from '../native/process.js';
import { baselineCli, DEFAULT_BASELINE, jobsScaling, ISSUE_FIGURES, PHASES, phaseSplit, slope, SLOPE_PROPERTIES, type JobsRow, type PhaseRow, type SlopeRow } from './gate.js';

interface Opts { quick: boolean; seed: number; out: string; size: number; baseline: string; kernels: string[]; jobs: boolean }

function parse(argv: string[]): Opts {
  const o: Opts = { quick: false, seed: 1, out: join(PKG_ROOT, 'bench', 'results.md'), size: 512, baseline: DEFAULT_BASELINE, kernels: [], jobs: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--size') o.size = Number(argv[++i]);
    else if (a === '--baseline') o.baseline = argv[++i] ?? 'none';
    else if (a === '--kernel') o.kernels.push(argv[++i] ?? '');
    else if (a === '--no-jobs') o.jobs = false;
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench -- [--quick] [--seed N] [--out FILE] [--size S] [--baseline REV|none] [--kernel NAME]... [--no-jobs]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const macsOf = (c: Case): number => c.m * c.n * c.k * c.chain.filter((op) => op.op === 'add_mat_mul').length;

// ---- 3. native GOPS -------------------------------------------------------------------------

export interface GopsRow { kernel: string; isa: string; chain: string; gops: number; ratio: number; sameAsGeneric: boolean | null; supported: boolean; why?: string }

function buildKernelGops(): string {
  const out = join(PKG_ROOT, 'build', 'bench', 'kernel_gops');
  const srcs = ['bench/kernel_gops.c', 'native/frame/pack.c', ...builtinKernelSources('x86_64')].map((s) => join(PKG_ROOT, s));
  const deps = [...srcs, ...['native/kernels/common.h', 'native/include/bitexact/kernel.h', 'native/include/bitexact/ops.gen.h', 'native/include/bitexact/register.h'].map((s) => join(PKG_ROOT, s))];
  const stale = !existsSync(out) || deps.some((d) => statSync(d).mtimeMs > statSync(out).mtimeMs);
  if (stale) {
    mkdirSync(join(PKG_ROOT, 'build', 'bench'), { recursive: true });
    execFileSync('cc', ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-Wno-unused-parameter', `-I${join(PKG_ROOT, 'native/include')}`, `-I${join(PKG_ROOT, 'native/frame')}`, ...srcs, '-o', out], { stdio: 'inherit' });
  }
  return out;
}

function kernelGops(size: number, minSeconds: number): GopsRow[] {
  const bin = buildKernelGops();
  let text: string;
  try {
    text = execFileSync(bin, ['--size', String(size), '--min-seconds', String(minSeconds)], { encoding: 'utf8' });
  } catch (e) {
    const err = e as { stdout?: string; status?: number };
    throw new Error(`kernel_gops failed (exit ${err.status}): a kernel's 512^3 result differs from the generic kernel's\n${err.stdout ?? ''}`);
  }
  const recs = text.trim().split('\n').map((l) => JSON.parse(l) as { kernel: string; isa: string; supported: boolean; why?: string; chain?: string; gops?: number; same_as_generic?: boolean | null });
  const generic = (chain: string) => recs.find((r) => r.kernel === 'generic_i32_4x4' && r.chain === chain)?.gops ?? NaN;
  return recs.map((r) => r.supported
    ? { kernel: r.kernel, isa: r.isa, chain: r.chain!, gops: r.gops!, ratio: r.gops! / generic(r.chain!), sameAsGeneric: r.same_as_generic ?? null, supported: true }
    : { kernel: r.kernel, isa: r.isa, chain: '-', gops: NaN, ratio: NaN, sameAsGeneric: null, supported: false, why: r.why });
}

// ---- 4. big shapes --------------------------------------------------------------------------

export interface BigRow { kernel: string; size: number; macs: number; totalSeconds: number; oracleSeconds: number; oracle: 'fast' | 'bigint'; ok: boolean }

function bigCase(size: number): Case {
  let x = 777;
  const next = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return ((x >>> 16) & 0xff) - 128; };
  return {
    format: 'bitexact-case/1', level: 'frame', m: size, n: size, k: size,
    a: Array.from({ length: size }, () => Array.from({ length: size }, next)),
    b: Array.from({ length: size }, () => Array.from({ length: size }, next)),
    chain: [
      { op: 'add_mat_mul' },
      { op: 'per_col', bin: 'sub_f', values: Array.from({ length: size }, (_, j) => j * 7 - 300) },
      { op: 'q_scale', shift: -8, policy: 'even', mult: 1717986944 },
      { op: 'scalar', bin: 'max', value: -128 },
      { op: 'scalar', bin: 'min', value: 127 },
      { op: 'store', item_size: 1 },
    ],
  };
}

async function bigShapes(targets: Target[], size: number): Promise<BigRow[]> {
  const c = bigCase(size);
  const rows: BigRow[] = [];
  for (const t of targets) {
    const t0 = performance.now();
    const v = await runCase(t.backend, t.kernel, c);
    const total = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    oracleEval(c);
    const oracleSeconds = (performance.now() - t1) / 1000;
    rows.push({ kernel: t.kernel.name, size, macs: macsOf(c), totalSeconds: total, oracleSeconds, oracle: macsOf(c) > FAST_ORACLE_MACS ? 'fast' : 'bigint', ok: v.ok });
    console.log(`[bench] ${t.kernel.name} ${size}^3 frame case: ${total.toFixed(2)} s (${v.ok ? 'bit-exact' : 'FAILED: ' + failureMessage(v)})`);
  }
  return rows;
}

// ---- report ---------------------------------------------------------------------------------

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '-');
const si = (x: number): string => (x >= 1e9 ? `${f(x / 1e9, 2)} G` : x >= 1e6 ? `${f(x / 1e6, 1)} M` : x >= 1e3 ? `${f(x / 1e3, 1)} k` : f(x, 0));

function md(head: string[], body: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const ratio = (a?: number, b?: number): string => (a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${f(a / b, 2)}x` : '-');

export interface BenchResults {
  slopes: SlopeRow[]; baseline: string; baselineWhy?: string; counts: Record<string, [number, number]>;
  phases: PhaseRow[]; jobs: JobsRow[];
  oracle: OracleBenchResult; gops: GopsRow[]; big: BigRow[]; notes: string[]; quick: boolean; seed: number; size: number;
}

export function resultsMarkdown(o: BenchResults): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const bigintRate = Math.min(...o.oracle.rows.filter((r) => r.oracle === 'bigint').map((r) => r.macsPerSecond));
  return [
    '# Throughput',
    '',
    `Generated by \`npm run bench\` (bench/main.ts) on ${new Date().toISOString().slice(0, 10)}, ${cpu}, ${cpus().length} CPU(s), Node ${process.version}${o.quick ? ' (--quick: fewer cases, shorter timings)' : ''}.`,
    ...o.notes.map((n) => `\n${n}`),
    '',
    '## Gate cases per second, after and before',
    '',
    `Each figure is a slope: the same \`conform --kernel K --property P --seed ${o.seed}\` (one process, \`--jobs 1\`) at two run counts (each count run ${o.quick ? 'once' : 'twice, the faster kept'}), (cases2 - cases1) / (seconds2 - seconds1) from the report's property seconds, so process start-up and the deterministic cases (the same at both counts) are not in it${o.quick ? ' (--quick: the counts are too small to leave the JIT warm-up out)' : ', and both counts are past the JIT warm-up (at fewer runs the optimizing compiler is still at work and the figure mixes in its cost)'}. "after" is this build; "before" is ${o.baselineWhy ? `missing: ${o.baselineWhy}` : `revision ${o.baseline} (built apart under build/bench-baseline/), measured in the same run on the same machine`}. Run counts (--runs, divided by the property's cost): ${Object.entries(o.counts).map(([p, c]) => `${p} ${c[0]} / ${c[1]}`).join(', ')}. "reference" is the figure the throughput work started from, measured on another machine of this kind (shown, not divided by). Emulated kernels run under qemu-aarch64 user mode (SVL 512 bits).`,
    '',
    md(['kernel', 'run', 'property', 'after (cases/s)', 'before (cases/s)', 'after / before', 'reference'],
      o.slopes.map((r) => [r.kernel, r.emulated ? 'emulated' : 'native', r.property,
        r.after ? (r.after.status === 'passed' ? f(r.after.perSecond, 0) : `${f(r.after.perSecond, 0)} (${r.after.status})`) : '-',
        r.before ? (r.before.status === 'passed' ? f(r.before.perSecond, 0) : `${f(r.before.perSecond, 0)} (${r.before.status})`) : (r.why ?? '-'),
        ratio(r.after?.perSecond, r.before?.perSecond), f(ISSUE_FIGURES[r.kernel]?.[r.property] ?? NaN, 0)])),
    '',
    '## Where a case goes',
    '',
    `Microseconds per case of each phase, each timed alone over the same ${o.phases[0]?.cases ?? 0} cases in this process (after one untimed pass): generating the case (fast-check and the data expansion), encoding the request, the executor round trip with the kernel call (one request at a time, and pipelined ${PIPELINE_DEPTH} deep as the gate does), judging it (the fast exact oracle, comparing every stored byte and canary, the sampled bigint cross-check) and its coverage cells. A property's case costs about generate + encode + pipelined exec + judge + coverage, less what overlaps with the executor.`,
    '',
    md(['kernel', 'property', ...PHASES, 'sum (pipelined)'],
      o.phases.map((r) => [r.kernel, r.property, ...PHASES.map((p) => f(r.us[p], 0)),
        f(r.us.generate + r.us.encode + r.us['exec (pipelined)'] + r.us.judge + r.us.coverage, 0)])),
    '',
    '## --jobs',
    '',
    o.jobs.length
      ? `A full \`conform --seed ${o.seed}\` (every kernel runnable here, every property) at the default --runs and at more, with --jobs 1 and --jobs N (the number of processors), each run ${o.jobs[0]?.reps ?? 1} time(s), the job counts alternating; the median wall time, and the CPU seconds (user + system) of that run's whole process tree: conform, its workers and every executor. "cores busy" = CPU / wall. On P processors --jobs N can be at most min(N, P) / (cores busy at --jobs 1) times faster, and less when N processes spend more CPU than one (every process starts its own executors and its JIT compiles the same code again).\n\n${md(['--runs', '--jobs', 'seconds', 'CPU seconds', 'cores busy', 'exit', 'speed-up over --jobs 1'], o.jobs.map((r) => { const one = o.jobs.find((x) => x.jobs === 1 && x.runs === r.runs); return [r.runs ? String(r.runs) : 'default', String(r.jobs), f(r.seconds, 1), f(r.cpuSeconds, 1), f(r.cpuSeconds / r.seconds, 2), String(r.status), one ? `${f(one.seconds / r.seconds, 2)}x` : '-']; }))}`
      : 'Not measured (--no-jobs).',
    '',
    '## Oracles',
    '',
    'Multiply-accumulates per second of the bigint oracle (oracle/eval.ts, the definition) and of the fast exact oracle (oracle/fast.ts), from `benchOracles()` (bench/oracle.ts), on a size^3 AddMatMul + QScale + Store chain:',
    '',
    '```',
    formatOracleBench(o.oracle),
    '```',
    '',
    `## Native kernels: GOPS on ${o.size}^3`,
    '',
    `bench/kernel_gops.c: each host kernel driven tile by tile through its own FusedKerSpec chain on an ${o.size} x ${o.size} x ${o.size} int8 matmul (packing done once, outside the timing; one thread). GOPS = 2 m n k / s. "matmul" = Clear, AddMatMul, Store i32; "quant" = plus QScale(Even) + clamp + Store i8. Every kernel's i32 result is checked equal to the generic kernel's first. Each figure is one timed loop of at least a second after a warm-up; on a shared VM they move by 10-20% from run to run. The aarch64 kernels are not timed: under qemu user-mode emulation their GOPS measure the emulator, not the kernel (they get cases/s above only).`,
    '',
    md(['kernel', 'isa', 'chain', 'GOPS', 'x generic', 'result = generic'],
      o.gops.map((r) => r.supported ? [r.kernel, r.isa, r.chain, f(r.gops, 2), f(r.ratio, 1), r.sameAsGeneric === null ? '-' : r.sameAsGeneric ? 'yes' : '**NO**'] : [r.kernel, r.isa, '-', `not supported here: ${r.why}`, '-', '-'])),
    '',
    '## Big shapes: where the oracle would be the bottleneck',
    '',
    `Strategy: the fast exact oracle. properties/oracle-bridge.ts judges a case with the fast exact oracle (oracle/fast.ts), which the oracle's own properties prove bit-equal to the bigint one; the bigint oracle re-judges failures and cross-checks a sample of passing cases up to ${FAST_ORACLE_MACS.toExponential(0)} multiply-adds. Below, one ${o.size}^3 frame case (AddMatMul, PerCol SubF, QScale Even, clamp, Store i8) judged through the gate on each host kernel: total = encode + executor + kernel + judge, oracle = oracleEval alone. At the bigint oracle's measured ${si(bigintRate)} MAC/s the same case would need about ${f((o.size ** 3) / bigintRate, 0)} s to judge.`,
    '',
    md(['kernel', 'shape', 'MACs', 'oracle used', 'total s', 'oracle s', 'bit-exact'],
      o.big.map((r) => [r.kernel, `${r.size}^3 frame`, si(r.macs), r.oracle, f(r.totalSeconds, 2), f(r.oracleSeconds, 2), r.ok ? 'yes' : '**NO**'])),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const log = (l: string) => console.log(`[bench] ${l}`);
  // random cases per property (--runs before the cost division): the slope's two counts, both
  // past the JIT's warm-up (below ~2,500 runs the optimizing compiler is still recompiling the
  // hot paths, and a slope mixes its cost in)
  const counts: Record<string, [number, number]> = Object.fromEntries(SLOPE_PROPERTIES.map((p) => [p, o.quick ? [200, 600] : [2500, 7500]]));
  const notes: string[] = [];
  const t = await discoverTargets();
  const targets = t.targets.filter((x) => o.kernels.length === 0 || o.kernels.includes(x.kernel.name));
  let big: BigRow[] = [];
  const phases: PhaseRow[] = [];
  const slopes: SlopeRow[] = [];
  const cli = join(PKG_ROOT, 'dist', 'cli', 'main.js');
  const base = o.baseline === 'none' ? { why: 'not asked (--baseline none)' } : baselineCli(o.baseline, log);
  const baseCli = 'cli' in base ? base.cli : undefined;
  try {
    for (const u of t.unavailable) notes.push(`Not benchmarked here: ${u.name}: ${u.why}`);
    if (aarch64Unavailable()) notes.push('The emulated (aarch64) rows are missing: the aarch64 toolchain is not installed (npm run setup).');
    for (const x of targets) {
      for (const p of SLOPE_PROPERTIES) {
        const prop = propertyByName(p)!;
        if (prop.skipReason(x.kernel)) continue;
        const row: SlopeRow = { kernel: x.kernel.name, property: p, emulated: x.backend.emulated };
        const reps = o.quick ? 1 : 2;
        row.after = slope(cli, x.kernel.name, p, counts[p]!, o.seed, true, reps);
        if (baseCli) row.before = slope(baseCli, x.kernel.name, p, counts[p]!, o.seed, false, reps);
        else row.why = 'why' in base ? base.why : undefined;
        log(`${x.kernel.name} ${p}: after ${f(row.after.perSecond, 0)}/s, before ${f(row.before?.perSecond ?? NaN, 0)}/s (${ratio(row.after.perSecond, row.before?.perSecond)})`);
        slopes.push(row);
      }
    }
    for (const x of targets.filter((y) => ['x86_avx2_i32_8x8', 'arm64_sme2_i32_32x32_k4', 'generic_i32_4x4'].includes(y.kernel.name))) {
      for (const p of ['tile', 'frame']) {
        const r = await phaseSplit(x, p, o.quick ? 300 : 1500, o.seed);
        phases.push(r);
        log(`${x.kernel.name} ${p} phases (us/case): ${PHASES.map((ph) => `${ph} ${f(r.us[ph], 0)}`).join(', ')}`);
      }
    }
    log(`big shapes (${o.size}^3 frame cases)`);
    big = await bigShapes(targets.filter((x) => !x.backend.emulated), o.size);
  } finally {
    await t.close();
  }
  const jobs: JobsRow[] = [];
  if (o.jobs) {
    for (const runs of [undefined, o.quick ? 400 : 1000]) {
      const rows = jobsScaling([...new Set([1, defaultJobs()])], o.seed, runs, o.quick ? 1 : 3);
      jobs.push(...rows);
      for (const r of rows) log(`full conform${runs ? ` --runs ${runs}` : ''} --jobs ${r.jobs}: ${f(r.seconds, 1)} s, ${f(r.cpuSeconds, 1)} CPU-s (exit ${r.status})`);
    }
  }
  log('oracles');
  const oracle = benchOracles({ minSeconds: o.quick ? 0.3 : 1 });
  log(`native kernels, ${o.size}^3`);
  const gops = kernelGops(o.size, o.quick ? 0.3 : 1);
  const text = resultsMarkdown({ slopes, baseline: o.baseline, baselineWhy: 'why' in base ? base.why : undefined, counts, phases, jobs, oracle, gops, big, notes, quick: o.quick, seed: o.seed, size: o.size });
  console.log('\n' + text);
  writeFileSync(o.out, text);
  log(`written to ${o.out}`);
  if (big.some((r) => !r.ok) || gops.some((r) => r.sameAsGeneric === false) || slopes.some((r) => r.after && r.after.status !== 'passed')) process.exitCode = 1;
}

if (isEntry(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(2);
  });
}
