// `npm run bench`: throughput of the gate and of what it runs.
//
//  1. Gate cases per second, per kernel, at tile and at frame level, native (host child with
//     the addon) and emulated (aarch64 runner under qemu-aarch64): the `tile` and `frame`
//     properties of properties/kernel-properties.ts with a fixed case count and seed, and the
//     share of that time spent in the oracle (the same cases re-judged by oracleEval alone).
//  2. The oracles' multiply-accumulates per second (bench/oracle.ts).
//  3. Each native host kernel's own speed in GOPS on 512^3 next to the generic C kernel
//     (bench/kernel_gops.c, compiled here with cc -O2). Under qemu GOPS say nothing about the
//     hardware, so the aarch64 kernels get cases/s only.
//  4. Big shapes: one 512^3 frame case judged through the gate on each host kernel, timing the
//     kernel call and the oracle apart (properties/oracle-bridge.ts switches to the fast exact
//     oracle past 10^6 multiply-adds).
//
//   node dist/bench/main.js [--quick] [--seed N] [--out FILE] [--size S]
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
import { PROPERTIES } from '../properties/kernel-properties.js';
import { runCaseProperty } from '../properties/run.js';
import { runCase } from '../properties/check.js';
import { failureMessage } from '../properties/verdict-format.js';
import { oracleEval, FAST_ORACLE_MACS } from '../properties/oracle-bridge.js';
import { benchOracles, formatOracleBench, type OracleBenchResult } from './oracle.js';
import { isEntry } from '../cli/util.js';

interface Opts { quick: boolean; seed: number; out: string; size: number }

function parse(argv: string[]): Opts {
  const o: Opts = { quick: false, seed: 1, out: join(PKG_ROOT, 'bench', 'results.md'), size: 512 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--size') o.size = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench -- [--quick] [--seed N] [--out FILE] [--size S]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const macsOf = (c: Case): number => c.m * c.n * c.k * c.chain.filter((op) => op.op === 'add_mat_mul').length;

// ---- 1. gate throughput -------------------------------------------------------------------

export interface GateRow {
  kernel: string; backend: string; emulated: boolean; level: 'tile' | 'frame';
  cases: number; seconds: number; casesPerSecond: number;
  /** seconds the oracle alone takes to judge the same cases, and its share of the total */
  oracleSeconds: number; oracleShare: number;
  meanMacs: number;
}

async function gateThroughput(targets: Target[], all: Target[], seed: number, tileRuns: number, frameRuns: number): Promise<GateRow[]> {
  const rows: GateRow[] = [];
  for (const t of targets) {
    for (const level of ['tile', 'frame'] as const) {
      const prop = PROPERTIES.find((p) => p.name === level)!;
      const cases: Case[] = [];
      const exec = (c: Case) => prop.exec(t, all, c);
      await exec((await sample(prop.arb(t.kernel), seed))); // warm-up (process start, LOAD paths)
      const out = await runCaseProperty({
        kernel: t.kernel.name, property: level, arb: prop.arb(t.kernel), exec, seed,
        numRuns: level === 'tile' ? tileRuns : frameRuns, fixtureDir: null, onCase: (c) => cases.push(c),
      });
      if (out.failure) throw new Error(`${t.kernel.name} failed its ${level} property during the benchmark:\n${out.failure.text}`);
      const t0 = performance.now();
      for (const c of cases) oracleEval(c);
      const oracleSeconds = (performance.now() - t0) / 1000;
      rows.push({
        kernel: t.kernel.name, backend: t.backend.name, emulated: t.backend.emulated, level,
        cases: out.ran, seconds: out.seconds, casesPerSecond: out.ran / out.seconds,
        oracleSeconds, oracleShare: oracleSeconds / out.seconds,
        meanMacs: cases.reduce((s, c) => s + macsOf(c), 0) / Math.max(1, cases.length),
      });
      console.log(`[bench] ${t.kernel.name} ${level}: ${out.ran} cases in ${out.seconds.toFixed(2)} s`);
    }
  }
  return rows;
}

async function sample(arb: import('fast-check').Arbitrary<Case>, seed: number): Promise<Case> {
  const fc = (await import('fast-check')).default;
  return fc.sample(arb, { numRuns: 1, seed })[0];
}

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

export function resultsMarkdown(o: { gate: GateRow[]; oracle: OracleBenchResult; gops: GopsRow[]; big: BigRow[]; notes: string[]; quick: boolean; seed: number; tileRuns: number; frameRuns: number; size: number }): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const bigintRate = Math.min(...o.oracle.rows.filter((r) => r.oracle === 'bigint').map((r) => r.macsPerSecond));
  return [
    '# Throughput',
    '',
    `Generated by \`npm run bench\` (bench/main.ts) on ${new Date().toISOString().slice(0, 10)}, ${cpu}, ${cpus().length} CPU(s), Node ${process.version}${o.quick ? ' (--quick: fewer cases, shorter timings)' : ''}. Single-threaded everywhere.`,
    ...o.notes.map((n) => `\n${n}`),
    '',
    '## Gate cases per second',
    '',
    `The \`tile\` and \`frame\` properties (the generators, encoding, executor round trip, kernel and bit-exact judge of \`npm test\`), ${o.tileRuns} tile and ${o.frameRuns} frame cases per kernel, seed ${o.seed}. "native" = the host child process with the addon; "emulated" = the aarch64 runner under qemu-aarch64 user mode (SVL 512 bits). "oracle share" = the time the oracle alone needs to judge the same cases, over the total: the rest is generation, encoding, IPC and the kernel.`,
    '',
    md(['kernel', 'run', 'level', 'cases', 'cases/s', 'mean MACs/case', 'oracle share'],
      o.gate.map((r) => [r.kernel, r.emulated ? 'emulated (qemu)' : 'native', r.level, String(r.cases), f(r.casesPerSecond, 0), si(r.meanMacs), `${f(100 * r.oracleShare, 0)} %`])),
    '',
    'At these sizes the kernel call is a small part of a case: generating it, encoding it, the executor round trip and judging it (the oracle share above, plus comparing every stored byte and canary) dominate, and they grow with the tile (a 16x16 or 32x32 tile has 4x or 16x the cells of an 8x8 one). That is why the emulated 8x8 kernels run about as many cases per second as the native ones.',
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
    `Strategy: the fast exact oracle. properties/oracle-bridge.ts judges a case with the bigint oracle up to ${FAST_ORACLE_MACS.toExponential(0)} multiply-adds and with oracle/fast.ts beyond; the fast oracle is itself property-checked bit-equal to the bigint one on random cases of every op (oracle/ self-properties, small shapes), and is what judges the big ones. Below, one ${o.size}^3 frame case (AddMatMul, PerCol SubF, QScale Even, clamp, Store i8) judged through the gate on each host kernel: total = encode + executor + kernel + judge, oracle = oracleEval alone. At the bigint oracle's measured ${si(bigintRate)} MAC/s the same case would need about ${f((o.size ** 3) / bigintRate, 0)} s to judge.`,
    '',
    md(['kernel', 'shape', 'MACs', 'oracle used', 'total s', 'oracle s', 'bit-exact'],
      o.big.map((r) => [r.kernel, `${r.size}^3 frame`, si(r.macs), r.oracle, f(r.totalSeconds, 2), f(r.oracleSeconds, 2), r.ok ? 'yes' : '**NO**'])),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const tileRuns = o.quick ? 60 : 300;
  const frameRuns = o.quick ? 30 : 150;
  const notes: string[] = [];
  const t = await discoverTargets();
  let gate: GateRow[] = [];
  let big: BigRow[] = [];
  try {
    for (const u of t.unavailable) notes.push(`Not benchmarked here: ${u.name}: ${u.why}`);
    if (aarch64Unavailable()) notes.push('The emulated (aarch64) rows are missing: the aarch64 toolchain is not installed (npm run setup).');
    console.log(`[bench] gate throughput: ${t.targets.map((x) => x.kernel.name).join(', ')}`);
    gate = await gateThroughput(t.targets, t.targets, o.seed, tileRuns, frameRuns);
    console.log(`[bench] big shapes (${o.size}^3 frame cases)`);
    big = await bigShapes(t.targets.filter((x) => !x.backend.emulated), o.size);
  } finally {
    await t.close();
  }
  console.log('[bench] oracles');
  const oracle = benchOracles({ minSeconds: o.quick ? 0.3 : 1 });
  console.log(`[bench] native kernels, ${o.size}^3`);
  const gops = kernelGops(o.size, o.quick ? 0.3 : 1);
  const text = resultsMarkdown({ gate, oracle, gops, big, notes, quick: o.quick, seed: o.seed, tileRuns, frameRuns, size: o.size });
  console.log('\n' + text);
  writeFileSync(o.out, text);
  console.log(`[bench] written to ${o.out}`);
  if (big.some((r) => !r.ok) || gops.some((r) => r.sameAsGeneric === false)) process.exitCode = 1;
}

if (isEntry(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(2);
  });
}
