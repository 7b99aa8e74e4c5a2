// The coverage sweep: a few deterministic cases, built from the ops a kernel declares, that
// together exercise every semantic-coverage cell requiredCells asks of it. The gate runs them
// before its random cases (conform/engine.ts), so whether a correct kernel reaches full
// coverage never depends on the seed or the budget; randomness only decides which bug the
// random cases find first.
//
// Construction: segments (a chain piece that starts by resetting the accumulator, each closed
// by the next Store of a rotation through every layout x item size) packed into tile chains of
// at most MAX_CHAIN ops, plus frame cases for the border, shape and depth cells; then a greedy
// cover keeps, in construction order, the cases that add a required cell not yet reached.
import type { Case, Op, Policy, UnicastLayout } from '../oracle/types.js';
import { BINS, LAYOUTS, POLICIES, UNICAST_LAYOUTS } from '../oracle/types.js';
import { I32_MIN, I32_MAX, OP_TAGS, type OpName } from '../oracle/opset.js';
import { cellsOf, requiredCells, type KernelShape } from './semantic.js';
import { seederOf } from './seed.js';

export interface SweepKernel extends KernelShape { packings?: readonly unknown[] }

/** Ops per tile chain (several segments each): long enough to pack cells, short enough to read. */
const MAX_CHAIN = 24;

/** The rounding shift the sweep's ties sit on (s = 4: a tie is an odd multiple of 8). */
const S = 4;
/** Rounding inputs, the classes first (tie, non-tie, i32::MIN, i32::MAX: a 2 x 2 tile sees all
 *  four), then signed ties and near-ties, ones, near-extremes. */
const ROUND_VALUES = [24, 25, I32_MIN, I32_MAX, -24, -25, 8, -8, 0, 1, 7, -9, I32_MIN + 1, I32_MAX - 1, 40, -40];
/** QScale multipliers, odd (an odd multiple of a tie stays a tie), by policy: negative and positive. */
const Q_MULTS = [-3, 5, -1, 7, -5, 3];
/** Operand values where bins and wrapping differ. */
const EDGE = [3, -1, I32_MAX, I32_MIN, 0, 65536, -129, 7, -40000, 0x40000000, 1, -2];

const cycle = (xs: readonly number[], len: number, from = 0): number[] => Array.from({ length: len }, (_, i) => xs[(from + i) % xs.length]);
const matrix = (m: number, n: number, f: (i: number, j: number) => number): number[][] =>
  Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_x, j) => f(i, j)));
/** int8 operand data: mixed signs, -128 included, no two rows alike. */
const int8At = (i: number, kk: number): number => ((i * 7 + kk * 13) % 256) - 128;

/** AddUnicast operand of a layout: i8 range for item size 1, broadcasts repeat a row / column / value. */
function unicastValues(layout: UnicastLayout, item: 1 | 4, m: number, n: number): number[][] {
  let v = matrix(m, n, (i, j) => Math.imul(i * 31 + j * 17 + 1, 0x9e3779b1));
  if (item === 1) v = v.map((r) => r.map((x) => (x << 24) >> 24));
  if (layout === 'broadcast_row') v = v.map(() => v[0].slice());
  if (layout === 'broadcast_col') v = v.map((r) => r.map(() => r[0]));
  if (layout === 'broadcast') v = v.map((r) => r.map(() => v[0][0]));
  return v;
}

/** Tile segments for the kernel's declared ops (each starts by resetting the accumulator). */
function tileSegments(k: SweepKernel, has: (op: OpName) => boolean): Op[][] {
  const { mr: m, nr: n } = k;
  let mmIndex = 0;
  const packings = k.packings?.length ?? 1;
  const mm = (): Op => (packings > 1 ? { op: 'add_mat_mul', packing: mmIndex++ % packings } : { op: 'add_mat_mul' });
  const base = (): Op[] => [{ op: 'clear' }, mm()];
  const segs: Op[][] = [];
  // two AddMatMul in one segment: accumulation across calls on the same tile
  segs.push([...base(), mm()]);
  if (has('load_tile')) segs.push([{ op: 'load_tile', values: matrix(m, n, (i, j) => ROUND_VALUES[(i * n + j) % ROUND_VALUES.length]) }, mm()]);
  if (has('scalar')) segs.push([...base(), ...BINS.map((bin, b): Op => ({ op: 'scalar', bin, value: EDGE[(b * 2) % EDGE.length], garbage: b % 2 ? 0xdeadbeef : 0 }))]);
  for (const fam of ['per_row', 'per_col'] as const) {
    if (has(fam)) segs.push([...base(), ...BINS.map((bin, b): Op => ({ op: fam, bin, values: cycle(EDGE, fam === 'per_row' ? m : n, b) }))]);
  }
  if (has('leaky_relu')) for (const alpha of [-3, 0, I32_MAX]) segs.push([...base(), { op: 'leaky_relu', alpha, garbage: 0xffffffff }]);
  if (has('shift_left')) segs.push([...base(), { op: 'shift_left', shift: 3 }], [...base(), { op: 'shift_left', shift: 31 }]);
  if (has('add_row_col_products')) segs.push([...base(), { op: 'add_row_col_products', rows: cycle(EDGE, m), cols: cycle(EDGE, n, 3) }]);
  if (has('add_unicast')) {
    for (const item of [4, 1] as const) segs.push([...base(), ...UNICAST_LAYOUTS.map((layout): Op => ({ op: 'add_unicast', item_size: item, layout, values: unicastValues(layout, item, m, n) }))]);
  }
  // each declared rounding op x policy on seeded ties, non-ties and extremes
  const seed = seederOf(k);
  const rounding = (p: Policy, i: number): Op[] => [
    ...(has('rounding_shift_right') ? [{ op: 'rounding_shift_right', shift: S, policy: p } as Op] : []),
    ...(has('q_scale') ? [{ op: 'q_scale', shift: S - 31, policy: p, mult: Q_MULTS[i % Q_MULTS.length] } as Op] : []),
  ];
  POLICIES.forEach((p, i) => {
    for (const r of rounding(p, i)) {
      if (!seed) segs.push([{ op: 'clear' }, r]); // zero: the non-tie any kernel can reach
      else if (seed.matrix && m * n >= 4) segs.push([...seed.matrix(matrix(m, n, (a, b) => ROUND_VALUES[(a * n + b + i) % ROUND_VALUES.length])), r]);
      else for (const v of ROUND_VALUES.slice(0, 4)) segs.push([...seed.uniform(v, m, n), r]);
    }
  });
  return segs;
}

/** Every Store layout x item size, i32 first (nothing truncated). */
const STORES: Op[] = LAYOUTS.flatMap((layout) => ([4, 1, 2] as const).map((item_size): Op => ({ op: 'store', item_size, layout })));

/** Candidate cases, before the greedy cover. */
function candidates(k: SweepKernel): Case[] {
  const ok = new Set(k.supported_ops);
  const has = (op: OpName) => OP_TAGS[op].every((t) => ok.has(t));
  const { mr, nr } = k;
  const segs = tileSegments(k, has);
  // at least one segment per Store form, so every one stores a result
  while (segs.length < STORES.length) segs.push([{ op: 'clear' }, { op: 'add_mat_mul' }]);
  const chains: Op[][] = [];
  segs.forEach((seg, i) => {
    const piece = [...seg, STORES[i % STORES.length]];
    const last = chains[chains.length - 1];
    if (last && last.length + piece.length <= MAX_CHAIN) last.push(...piece);
    else chains.push(piece);
  });
  const out: Case[] = chains.map((chain, i) => {
    const depth = 17 + i; // every residue mod 4 across the tile cases, past the short-k paths
    return { format: 'bitexact-case/1', level: 'tile', m: mr, n: nr, k: depth, a: matrix(mr, depth, int8At), b: matrix(depth, nr, (kk, j) => int8At(j + 3, kk)), chain };
  });
  // frame cases: both borders and several tiles, one row, one column, full tiles only; k 0..4
  const shapes: [number, number][] = [[mr + 1, nr + 1], [1, 2 * nr + 1], [2 * mr + 1, 1], [2 * mr, 2 * nr], [mr, nr]];
  shapes.forEach(([m, n], i) => {
    const depth = i;
    out.push({
      format: 'bitexact-case/1', level: 'frame', m, n, k: depth, a: matrix(m, depth, int8At), b: matrix(depth, n, (kk, j) => int8At(j + 5, kk)),
      chain: [{ op: 'add_mat_mul' }, STORES[(i * 5) % STORES.length]],
    });
  });
  return out;
}

/** The sweep: the fewest candidate cases (greedily) whose cells cover requiredCells(k), in
 *  construction order. A required cell out of its reach stays missing after the run (the gate
 *  reports it: requiredCells asks only what the sweep can build, coverage/sweep.test.ts). */
export function coverageSweep(k: SweepKernel): Case[] {
  const want = new Set(requiredCells(k));
  const pool = candidates(k).map((c, i) => ({ c, i, cells: new Set(cellsOf(c, k).filter((x) => want.has(x))) }));
  const picked: typeof pool = [];
  while (want.size) {
    let best: (typeof pool)[number] | undefined;
    let gain = 0;
    for (const p of pool) {
      const g = [...p.cells].filter((x) => want.has(x)).length;
      if (g > gain) { best = p; gain = g; }
    }
    if (!best) break;
    picked.push(best);
    for (const x of best.cells) want.delete(x);
  }
  return picked.sort((a, b) => a.i - b.i).map((p) => p.c);
}
