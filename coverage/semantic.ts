// Semantic coverage: which parts of the contract a run exercised, as named cells —
// each op (Scalar/PerRow/PerCol per bin), each rounding op x policy x tie / non-tie, extreme
// values reaching each rounding op, each Store / AddUnicast layout x item size, full and border
// tiles, k = 0 and k mod 4, chains with several AddMatMul / Store. Line coverage (c8) says
// which code ran; this says which *behaviours* the kernel was asked for.
import type { Case, Op } from '../oracle/types.js';
import { evalChainFast } from '../oracle/fast.js';
import { I32_MIN, I32_MAX, OP_CELLS, OP_NAMES, OP_TAGS } from '../oracle/opset.js';
import { seederOf } from './seed.js';
import { cellInContract, type Contract } from '../oracle/contract.js';

export interface KernelShape { mr: number; nr: number; supported_ops: number[]; contract?: Contract }

/** Is v (an exact integer, possibly beyond 2^53 for q_scale: given as bigint) a tie at shift s? */
export function isTie(v: bigint, s: number): boolean {
  if (s < 1) return false;
  const a = v < 0n ? -v : v;
  const mask = (1n << BigInt(s)) - 1n;
  return (a & mask) === 1n << BigInt(s - 1);
}

/** 2-adic valuation of a non-zero i32 (the index of its lowest set bit). */
const v2 = (x: number): number => 31 - Math.clz32(x & -x);

/** isTie(mult * v, s) without bigint: |mult * v| mod 2^s = 2^(s-1) exactly when the product is
 *  non-zero and its lowest set bit is bit s - 1, i.e. v2(mult) + v2(v) = s - 1. */
export function isTieI32(mult: number, v: number, s: number): boolean {
  return s >= 1 && mult !== 0 && v !== 0 && v2(mult) + v2(v) === s - 1;
}

/** The value classes of the accumulator (row-major i32) a rounding op meets. */
function valueClasses(acc: Int32Array): string[] {
  let min = false, max = false, zero = false, pm1 = false;
  for (let i = 0; i < acc.length; i++) {
    const v = acc[i];
    if (v === I32_MIN) min = true;
    else if (v === I32_MAX) max = true;
    else if (v === 0) zero = true;
    else if (v === 1 || v === -1) pm1 = true;
  }
  // the order the cells were first met in a row-major scan does not matter: cells form a set
  return [...(min ? ['i32min'] : []), ...(max ? ['i32max'] : []), ...(zero ? ['zero'] : []), ...(pm1 ? ['pm1'] : [])];
}

type RoundingOp = Extract<Op, { op: 'q_scale' | 'rounding_shift_right' }>;
const isRounding = (op: Op): op is RoundingOp => op.op === 'q_scale' || op.op === 'rounding_shift_right';

/** Cells of one rounding op applied to the accumulator `acc` (values before the op). */
function roundingCells(op: RoundingOp, acc: Int32Array): string[] {
  const name = op.op === 'q_scale' ? 'q_scale' : 'rsr';
  const s = op.op === 'q_scale' ? op.shift + 31 : op.shift;
  const mult = op.op === 'q_scale' ? op.mult : 1;
  let tie = false, nontie = false;
  for (let i = 0; i < acc.length && !(tie && nontie); i++) {
    if (isTieI32(mult, acc[i], s)) tie = true; else nontie = true;
  }
  const cells = [`${name}.${op.policy}.${tie ? 'tie' : 'nontie'}`];
  if (tie && nontie) cells.push(`${name}.${op.policy}.nontie`);
  for (const cl of valueClasses(acc)) cells.push(`${name}.in.${cl}`);
  if (op.op === 'q_scale' && op.mult < 0 && tie) cells.push('q_scale.neg_mult.tie');
  return cells;
}

/** Collects the rounding ops' cells of a chain from one accumulator trace: `onOp` is the fast
 *  oracle's per-op hook (oracle/fast.ts), `cells` what it saw once the pass is done. A rounding
 *  op after a raw_tag (which stops the chain) meets the accumulator the raw_tag met. */
export function roundingTracer(c: Case): { onOp: (i: number, acc: Int32Array) => void; cells: string[] } {
  const cells: string[] = [];
  const chain = c.chain;
  const onOp = (i: number, acc: Int32Array): void => {
    const op = chain[i];
    if (isRounding(op)) cells.push(...roundingCells(op, acc));
    else if (op.op === 'raw_tag') for (let j = i + 1; j < chain.length; j++) { const o = chain[j]; if (isRounding(o)) cells.push(...roundingCells(o, acc)); }
  };
  return { onOp, cells };
}

// The rounding cells the judge's oracle pass traced, per case object (properties/expected.ts):
// recording coverage then costs no second pass. Weak: a case forgotten is a trace forgotten.
const traced = new WeakMap<Case, readonly string[]>();

/** Keeps the rounding cells of c's trace for cellsOf. */
export function rememberRoundingCells(c: Case, cells: readonly string[]): void {
  traced.set(c, cells);
}

/** The rounding cells of c: the judge's trace when it judged this case, else one fast pass. */
function chainRoundingCells(c: Case): readonly string[] {
  const known = traced.get(c);
  if (known) return known;
  if (!c.chain.some(isRounding)) return [];
  const t = roundingTracer(c);
  evalChainFast(c, { validate: false, onOp: t.onOp });
  return t.cells;
}

/** Every cell a case exercises on a kernel of this tile shape. */
export function cellsOf(c: Case, k: { mr: number; nr: number }): string[] {
  const cells = new Set<string>();
  const add = (x: string) => cells.add(x);
  add(c.k === 0 ? 'k.zero' : `k.mod4.${c.k % 4}`);
  if (c.level === 'frame') {
    const bm = c.m % k.mr !== 0, bn = c.n % k.nr !== 0;
    add(bm && bn ? 'tile.border_both' : bm ? 'tile.border_m' : bn ? 'tile.border_n' : 'tile.full_only');
    if (c.m > k.mr || c.n > k.nr) add('tile.several');
    if (c.m === 1) add('shape.m1');
    if (c.n === 1) add('shape.n1');
  } else add('tile.single');
  if (c.chain.filter((o) => o.op === 'add_mat_mul').length >= 2) add('chain.matmul_2plus');
  if (c.chain.filter((o) => o.op === 'store').length >= 2) add('chain.store_2plus');
  if (c.chain.slice(1).some((o) => o.op === 'clear' || o.op === 'load_tile')) add('chain.reset_mid');
  // aligned -128 quads meeting in A and B
  const quad = (xs: number[]) => xs.some((_, i) => i % 4 === 0 && i + 3 < xs.length && xs.slice(i, i + 4).every((v) => v === -128));
  if (c.k >= 4 && c.a.some(quad) && c.b[0] && c.b[0].some((_, j) => quad(c.b.map((r) => r[j])))) add('data.neg128_quads');

  // the rounding ops see the accumulator each meets (one trace of the chain, chainRoundingCells)
  for (const op of c.chain) {
    switch (op.op) {
      case 'scalar': case 'per_row': case 'per_col': add(`op.${op.op}.${op.bin}`); break;
      case 'store': add(`op.store`); add(`store.${op.layout ?? 'row_major'}.i${op.item_size * 8}`); break;
      case 'add_unicast': add(`op.add_unicast`); add(`add_unicast.${op.layout ?? 'row_major'}.i${op.item_size * 8}`); break;
      case 'q_scale': case 'rounding_shift_right': add(`op.${op.op}`); break;
      case 'leaky_relu': add('op.leaky_relu'); if (op.alpha === 0) add('leaky_relu.alpha0'); else if (op.alpha < 0) add('leaky_relu.alpha_neg'); break;
      case 'shift_left': add('op.shift_left'); if (op.shift === 31) add('shift_left.31'); break;
      default: add(`op.${op.op}`);
    }
  }
  for (const x of chainRoundingCells(c)) add(x);
  return [...cells];
}

/** Cells every run must reach whatever the kernel declares (shapes, depths, chain forms). */
const SHAPE_CELLS = ['k.zero', 'k.mod4.1', 'k.mod4.2', 'k.mod4.3', 'k.mod4.0', 'tile.single', 'tile.border_both', 'tile.several', 'shape.m1', 'shape.n1', 'chain.matmul_2plus', 'chain.store_2plus'];

/** The border a frame of this tile shape can have: both sides, one, or none (a 1 x 1 tile). */
const borderCell = (k: { mr: number; nr: number }): string[] =>
  k.mr > 1 && k.nr > 1 ? ['tile.border_both'] : k.nr > 1 ? ['tile.border_n'] : k.mr > 1 ? ['tile.border_m'] : [];

/** Cells that need the accumulator at a chosen value before a rounding op (a tie, an extreme). */
const needsSeed = (cell: string): boolean => /\.tie$|\.in\./.test(cell);

/** The cells a kernel must see exercised: the shape cells, then the cells of every op it
 *  declares (a family: every bin), in tag order (oracle/opset.ts OP_CELLS). Only cells a chain
 *  of its declared ops can reach: a border its tile shape allows; ties and extremes only when
 *  it declares an op that seeds values (coverage/seed.ts). The coverage sweep
 *  (coverage/sweep.ts) reaches every one of them. Less the cells its contract excludes. */
export function requiredCells(k: KernelShape): string[] {
  const ok = new Set(k.supported_ops);
  const has = (op: Op['op']) => OP_TAGS[op].every((t) => ok.has(t));
  const seeds = seederOf(k) !== null;
  const shape = SHAPE_CELLS.flatMap((c) => (c === 'tile.border_both' ? borderCell(k) : [c]));
  const cells = [...shape, ...OP_NAMES.filter(has).flatMap((op) => OP_CELLS[op]).filter((c) => seeds || !needsSeed(c))];
  return k.contract ? cells.filter((c) => cellInContract(c, k.contract!)) : cells;
}

/** Hit counts per cell, accumulated over a run. */
export class CoverageMatrix {
  readonly hits = new Map<string, number>();
  constructor(readonly kernel: KernelShape & { name: string }) {}
  record(c: Case): void {
    for (const cell of cellsOf(c, this.kernel)) this.hits.set(cell, (this.hits.get(cell) ?? 0) + 1);
  }
  missing(): string[] {
    return requiredCells(this.kernel).filter((x) => !this.hits.get(x));
  }
  toJSON(): { kernel: string; hits: Record<string, number>; required: string[]; missing: string[] } {
    return { kernel: this.kernel.name, hits: Object.fromEntries([...this.hits].sort()), required: requiredCells(this.kernel), missing: this.missing() };
  }
}
