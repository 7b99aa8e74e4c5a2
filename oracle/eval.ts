// The bigint oracle: one evaluator for both levels (docs/semantics.md, frame.md, formats.md).
//  * frame level: the chain runs on a cleared m x n accumulator (the frame prepends Clear);
//  * tile level: m x n is the kernel's mr x nr and the chain starts with clear or load_tile.
// evalTiled recomputes a frame-level case tile by tile through the tile-level oracle, each tile
// handed what the frame model (frame-model.ts) says the C frame hands the kernel (docs/frame.md).
import type { Case, EvalResult, Op } from './types.js';
import * as ops from './ops.js';
import { validateCase, type ChainInput } from './validate.js';
import { frameTile, frameTiles, viaScratch } from './frame-model.js';
import { opSpec } from './opset.js';

export type { ChainInput } from './validate.js';

export interface EvalOptions {
  /** run validateCase first (default true); a ValidationError is thrown for invalid input */
  validate?: boolean;
}

const toNumbers = (x: bigint[][]): number[][] => x.map((row) => row.map(Number));

/** Runs the chain on an m x n accumulator: cleared for both levels (at tile level the first op
 *  is clear or load_tile anyway). Returns every store's signed values and the final acc. */
export function evalChain(c: ChainInput, opts: EvalOptions = {}): EvalResult {
  if (opts.validate !== false) validateCase(c);
  const acc = ops.zeros(c.m, c.n);
  const stores: number[][][] = [];
  for (const op of c.chain) {
    if (op.op === 'raw_tag') break; // the kernel refuses here: nothing after it runs
    const st = applyOp(acc, op, c);
    if (st) stores.push(toNumbers(st));
  }
  return { stores, acc: toNumbers(acc) };
}

/** Applies one op; returns the stored values for a store, undefined otherwise. */
function applyOp(acc: ops.Acc, op: Op, c: ChainInput): bigint[][] | undefined {
  switch (op.op) {
    case 'clear': ops.clear(acc); return;
    case 'load_tile': ops.loadTile(acc, op.values); return;
    case 'scalar': ops.scalar(acc, op.bin, op.value); return;
    case 'leaky_relu': ops.leakyRelu(acc, op.alpha); return;
    case 'per_row': ops.perRow(acc, op.bin, op.values); return;
    case 'per_col': ops.perCol(acc, op.bin, op.values); return;
    case 'q_scale': ops.qScale(acc, op.shift, op.policy, op.mult); return;
    case 'rounding_shift_right': ops.roundingShiftRight(acc, op.shift, op.policy); return;
    case 'shift_left': ops.shiftLeft(acc, op.shift); return;
    case 'add_unicast': ops.addUnicast(acc, op.values, op.item_size); return;
    case 'add_row_col_products': ops.addRowColProducts(acc, op.rows, op.cols); return;
    case 'store': return ops.store(acc, op.item_size);
    case 'add_mat_mul': ops.addMatMul(acc, c.a, c.b, c.k); return;
    case 'raw_tag': return; // never reached: evalChain stops before it
    default: throw new RangeError(`unknown op ${JSON.stringify(op)}`);
  }
}

/** The content written by the last store (signed), or undefined when the chain has no store. */
export function lastStore(r: EvalResult): number[][] | undefined {
  return r.stores.length ? r.stores[r.stores.length - 1] : undefined;
}

const padVec = (v: readonly number[], start: number, len: number, size: number): number[] =>
  Array.from({ length: size }, (_x, t) => (t < len ? v[start + t] : 0));

const padMat = (v: readonly (readonly number[])[], r0: number, c0: number, h: number, w: number, rows: number, cols: number): number[][] =>
  Array.from({ length: rows }, (_x, i) => Array.from({ length: cols }, (_y, j) => (i < h && j < w ? v[r0 + i][c0 + j] : 0)));

/** The tile-level chain the frame hands the kernel for tile (ia, ib) of size h x w within
 *  mr x nr (docs/frame.md), its values read the way the frame model routes each op
 *  (oracle/frame-model.ts): Clear first; on a full tile every vector and AddUnicast operand is
 *  the caller's own window, on a border tile a zero-padded scratch copy; AddMatMul on panels
 *  whose padding lanes are zero. Stores write a full mr x nr tile (cropped by the caller). */
export function tileChain(c: ChainInput, mr: number, nr: number, ia: number, ib: number): { tile: Case; h: number; w: number } {
  const t = frameTile(c.m, c.n, mr, nr, ia, ib);
  const { row0: r0, col0: c0, h, w } = t;
  const vec = (op: Op, v: readonly number[], start: number, len: number, size: number): number[] =>
    viaScratch(opSpec(op.op).frame, t) ? padVec(v, start, len, size) : v.slice(start, start + size);
  const chain: Op[] = [{ op: 'clear' }];
  for (const op of c.chain) {
    switch (op.op) {
      case 'per_row': chain.push({ ...op, values: vec(op, op.values, r0, h, mr) }); break;
      case 'per_col': chain.push({ ...op, values: vec(op, op.values, c0, w, nr) }); break;
      case 'add_row_col_products':
        chain.push({ op: op.op, rows: vec(op, op.rows, r0, h, mr), cols: vec(op, op.cols, c0, w, nr) });
        break;
      case 'add_unicast': {
        const values = viaScratch(opSpec(op.op).frame, t)
          ? padMat(op.values, r0, c0, h, w, mr, nr)
          : op.values.slice(r0, r0 + mr).map((row) => row.slice(c0, c0 + nr));
        chain.push({ op: op.op, item_size: op.item_size, values });
        break;
      }
      case 'load_tile': throw new RangeError('load_tile is tile level only');
      default: chain.push(op);
    }
  }
  const tile: Case = {
    format: 'bitexact-case/1', level: 'tile', m: mr, n: nr, k: c.k,
    a: padMat(c.a, r0, 0, h, c.k, mr, c.k),       // panel ti: rows of A past h are zero lanes
    b: padMat(c.b, 0, c0, c.k, w, c.k, nr),       // panel tj: columns of B past w are zero lanes
    chain,
  };
  return { tile, h, w };
}

/** A frame-level case computed tile by tile with the tile-level oracle (for any mr, nr >= 1):
 *  must equal evalChain(c). Each tile's stores go to scratch and only h x w is copied out. */
export function evalTiled(c: ChainInput, mr: number, nr: number, opts: EvalOptions = {}): EvalResult {
  if (c.level !== 'frame') throw new RangeError('evalTiled: the case must be frame level');
  if (!(Number.isInteger(mr) && mr >= 1 && Number.isInteger(nr) && nr >= 1)) throw new RangeError(`evalTiled: bad tile ${mr} x ${nr}`);
  if (opts.validate !== false) validateCase(c);
  const nStores = c.chain.filter((op) => op.op === 'store').length;
  const stores = Array.from({ length: nStores }, () => Array.from({ length: c.m }, () => new Array<number>(c.n).fill(0)));
  const acc = Array.from({ length: c.m }, () => new Array<number>(c.n).fill(0));
  for (const { ti, tj, row0, col0 } of frameTiles(c.m, c.n, mr, nr)) {
    const { tile, h, w } = tileChain(c, mr, nr, ti, tj);
    const r = evalChain(tile, { validate: false });
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        for (let s = 0; s < nStores; s++) stores[s][row0 + i][col0 + j] = r.stores[s][i][j];
        acc[row0 + i][col0 + j] = r.acc[i][j];
      }
    }
  }
  return { stores, acc };
}
