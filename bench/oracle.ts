// Benchmark (not a test): multiply-accumulates per second of the bigint oracle (evalChain) and
// the fast exact oracle (evalChainFast) on m = n = k = 64 and 256, plus their ratio.
// Run alone with `node dist/bench/oracle.js`; `benchOracles()` returns the numbers.
import { evalChain } from '../oracle/eval.js';
import { evalChainFast } from '../oracle/fast.js';
import type { Case } from '../oracle/types.js';
import { isEntry } from '../cli/util.js';

export interface OracleBenchRow {
  size: number;
  oracle: 'bigint' | 'fast';
  /** rows of the m x n x k problem actually evaluated (bigint at 256 runs a slice of rows) */
  rows: number;
  reps: number;
  macs: number;
  seconds: number;
  macsPerSecond: number;
}

export interface OracleBenchResult {
  rows: OracleBenchRow[];
  /** fast MAC/s divided by bigint MAC/s, per size */
  ratio: Record<number, number>;
}

/** A deterministic m x size x size case: one add_mat_mul and an i32 store (the MACs are the cost). */
function benchCase(m: number, size: number): Case {
  let x = 12345;
  const next = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return ((x >>> 16) & 0xff) - 128; };
  const a = Array.from({ length: m }, () => Array.from({ length: size }, next));
  const b = Array.from({ length: size }, () => Array.from({ length: size }, next));
  return {
    format: 'bitexact-case/1', level: 'frame', m, n: size, k: size, a, b,
    chain: [
      { op: 'add_mat_mul' },
      { op: 'store', item_size: 4 },
    ],
  };
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Warms up (JIT) for a fifth of minSeconds, then repeats f until minSeconds elapsed (at least
 *  once); returns reps and seconds of the measured part. */
function time(f: () => void, minSeconds: number): { reps: number; seconds: number } {
  const w0 = now();
  do f(); while (now() - w0 < minSeconds / 5);
  let reps = 0;
  const t0 = process.hrtime.bigint();
  let s = 0;
  do {
    f();
    reps++;
    s = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (s < minSeconds);
  return { reps, seconds: s };
}

export interface OracleBenchOptions {
  sizes?: number[];
  /** minimum measuring time per row, seconds (default 1) */
  minSeconds?: number;
  /** rows of the bigint problem at sizes > 64 (default 16): the cost is linear in rows */
  bigintRows?: number;
}

export function benchOracles(o: OracleBenchOptions = {}): OracleBenchResult {
  const sizes = o.sizes ?? [64, 256];
  const minSeconds = o.minSeconds ?? 1;
  const rows: OracleBenchRow[] = [];
  const ratio: Record<number, number> = {};
  for (const size of sizes) {
    const bRows = size > 64 ? Math.min(size, o.bigintRows ?? 16) : size;
    const per: Record<string, number> = {};
    for (const [oracle, m, run] of [
      ['bigint', bRows, (c: Case) => evalChain(c, { validate: false })],
      ['fast', size, (c: Case) => evalChainFast(c, { validate: false })],
    ] as const) {
      const c = benchCase(m, size);
      const { reps, seconds } = time(() => { run(c); }, minSeconds);
      const macs = m * size * size * reps;
      rows.push({ size, oracle, rows: m, reps, macs, seconds, macsPerSecond: macs / seconds });
      per[oracle] = macs / seconds;
    }
    ratio[size] = per.fast / per.bigint;
  }
  return { rows, ratio };
}

export function formatOracleBench(r: OracleBenchResult): string {
  const lines = ['oracle   size  problem evaluated     reps     MAC/s'];
  for (const x of r.rows) {
    const shape = `${x.rows}x${x.size}x${x.size}${x.rows < x.size ? ' (row slice)' : ''}`;
    lines.push(`${x.oracle.padEnd(7)} ${String(x.size).padStart(5)}  ${shape.padEnd(20)} ${String(x.reps).padStart(5)}  ${(x.macsPerSecond / 1e6).toFixed(1).padStart(8)} M`);
  }
  for (const [size, q] of Object.entries(r.ratio)) lines.push(`fast / bigint at ${size}^3: ${q.toFixed(0)}x (target >= 50x)`);
  return lines.join('\n');
}

if (isEntry(import.meta.url)) console.log(formatOracleBench(benchOracles()));
