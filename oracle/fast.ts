// A fast exact oracle for big shapes: the same semantics as oracle/eval.ts (SPEC section 2) on
// Int32Array / Float64Array with number arithmetic only. Exactness argument, op by op:
//  * i8 * i8 products are <= 2^14, so a row of the matmul accumulates exactly in doubles
//    (|sum| < 2^53 while k < 2^38; wrapped to i32 every 2^24 steps anyway), then `| 0` (ToInt32)
//    is exactly wrap32 of an integer double;
//  * add / sub wrap with `| 0` (operands < 2^32 in magnitude), mul with Math.imul;
//  * QScale's 64-bit product |mult * acc| <= 2^62 is kept as H * 2^32 + L from 16-bit partial
//    products (each < 2^48), and rounded with exact floor / remainder on those parts (a third,
//    independent formulation of round()); RoundingShiftRight is the case H = 0.
// A property checks it bit-equal to the bigint oracle on random cases of every op.
import type { Bin, EvalResult, Op, Policy } from './types.js';
import { validateCase, type ChainInput } from './validate.js';
import type { EvalOptions } from './eval.js';

const TWO32 = 4294967296;

/** Meaning: the wrap32 of sign * round(P, s, policy) for P = H * 2^32 + L (0 <= L < 2^32,
 *  0 <= H < 2^31), `neg` the sign of the unrounded value, s in 0..63. */
export function roundMagnitude(H: number, L: number, s: number, neg: boolean, policy: Policy): number {
  if (s === 0) return neg ? -L | 0 : L | 0;
  let q: number;   // floor(P / 2^s) mod 2^32
  let cmp: number; // sign of (P mod 2^s) - 2^(s-1)
  if (s <= 32) {
    const d = 2 ** s;
    q = (H % d) * 2 ** (32 - s) + Math.floor(L / d);
    const rem = L % d;
    const half = d / 2;
    cmp = rem < half ? -1 : rem > half ? 1 : 0;
  } else {
    const d = 2 ** (s - 32);
    q = Math.floor(H / d);
    const hr = H % d;
    const hh = d / 2;
    cmp = hr < hh ? -1 : hr > hh ? 1 : L > 0 ? 1 : 0;
  }
  let up: boolean;
  if (cmp !== 0) up = cmp > 0;
  else {
    switch (policy) {
      case 'zero': up = false; break;
      case 'away': up = true; break;
      case 'minus_inf': up = neg; break;
      case 'plus_inf': up = !neg; break;
      case 'even': up = q % 2 === 1; break;
      case 'odd': up = q % 2 === 0; break;
      default: throw new RangeError(`unknown policy ${String(policy)}`);
    }
  }
  const R = up ? q + 1 : q;
  return neg ? -R | 0 : R | 0;
}

/** Meaning: wrap32(round(mult * acc, s, policy)) with the 64-bit product exact. */
export function qScale1(acc: number, mult: number, s: number, policy: Policy): number {
  const a = Math.abs(acc);
  const m = Math.abs(mult);
  const mh = Math.floor(m / 65536);
  const ml = m % 65536;
  const x1 = a * mh;          // <= 2^46
  const x0 = a * ml;          // < 2^47
  const x1h = Math.floor(x1 / 65536);
  const lp = (x1 % 65536) * 65536 + x0;  // < 2^48
  const H = x1h + Math.floor(lp / TWO32);
  const L = lp % TWO32;
  const neg = (acc < 0) !== (mult < 0) && acc !== 0 && mult !== 0;
  return roundMagnitude(H, L, s, neg, policy);
}

/** Meaning: round(acc, s, policy) for an i32 acc, 1 <= s <= 31. */
export const rsr1 = (acc: number, s: number, policy: Policy): number => roundMagnitude(0, Math.abs(acc), s, acc < 0, policy);

const BIN_CODE: Record<Bin, number> = { min: 0, max: 1, add: 2, mul: 3, sub: 4, sub_f: 5 };

/** tract's f(operand x, acc v) on i32 numbers. */
function bin1(code: number, x: number, v: number): number {
  switch (code) {
    case 0: return x < v ? x : v;
    case 1: return x > v ? x : v;
    case 2: return (x + v) | 0;
    case 3: return Math.imul(x, v);
    case 4: return (x - v) | 0;
    default: return (v - x) | 0;
  }
}

const sext = (v: number, itemSize: number): number =>
  itemSize === 1 ? (v << 24) >> 24 : itemSize === 2 ? (v << 16) >> 16 : v | 0;

/** acc[i*n+j] += sum_kk A[i][kk] * B[kk][j], wrapped (A: m x k, B: k x n, flat int8). */
export function matmulInto(acc: Int32Array, A: Int8Array, B: Int8Array, m: number, n: number, k: number): void {
  const row = new Float64Array(n);
  const CHUNK = 1 << 24; // keeps |row| < 2^31 + 2^38, far below 2^53
  for (let i = 0; i < m; i++) {
    const ro = i * n;
    for (let j = 0; j < n; j++) row[j] = acc[ro + j];
    for (let kk = 0; kk < k; kk++) {
      const aik = A[i * k + kk];
      if (aik !== 0) {
        const bo = kk * n;
        for (let j = 0; j < n; j++) row[j] += aik * B[bo + j];
      }
      if ((kk + 1) % CHUNK === 0) for (let j = 0; j < n; j++) row[j] = row[j] | 0;
    }
    for (let j = 0; j < n; j++) acc[ro + j] = row[j] | 0;
  }
}

const flat8 = (x: readonly (readonly number[])[], rows: number, cols: number): Int8Array => {
  const out = new Int8Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = x[i][j];
  return out;
};

const toRows = (x: Int32Array, m: number, n: number): number[][] =>
  Array.from({ length: m }, (_r, i) => Array.from(x.subarray(i * n, i * n + n)));

/** The fast exact oracle: same contract and result as evalChain. */
export function evalChainFast(c: ChainInput, opts: EvalOptions = {}): EvalResult {
  if (opts.validate !== false) validateCase(c);
  const { m, n, k } = c;
  const acc = new Int32Array(m * n);
  let A: Int8Array | undefined;
  let B: Int8Array | undefined;
  const stores: number[][][] = [];
  const map = (f: (v: number, i: number, j: number) => number): void => {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) acc[i * n + j] = f(acc[i * n + j], i, j);
  };
  for (const op of c.chain as readonly Op[]) {
    switch (op.op) {
      case 'clear': acc.fill(0); break;
      case 'load_tile': map((_v, i, j) => op.values[i][j] | 0); break;
      case 'scalar': { const b = BIN_CODE[op.bin]; const x = op.value | 0; map((v) => bin1(b, x, v)); break; }
      case 'leaky_relu': { const al = op.alpha | 0; map((v) => (v > 0 ? v : Math.imul(al, v))); break; }
      case 'per_row': { const b = BIN_CODE[op.bin]; map((v, i) => bin1(b, op.values[i] | 0, v)); break; }
      case 'per_col': { const b = BIN_CODE[op.bin]; map((v, _i, j) => bin1(b, op.values[j] | 0, v)); break; }
      case 'q_scale': { const s = op.shift + 31; map((v) => qScale1(v, op.mult, s, op.policy)); break; }
      case 'rounding_shift_right': map((v) => rsr1(v, op.shift, op.policy)); break;
      case 'shift_left': { const s = op.shift; map((v) => v << s); break; }
      case 'add_unicast': map((v, i, j) => (v + sext(op.values[i][j], op.item_size)) | 0); break;
      case 'add_row_col_products': map((v, i, j) => (v + Math.imul(op.rows[i], op.cols[j])) | 0); break;
      case 'store': {
        const st = new Int32Array(m * n);
        for (let t = 0; t < m * n; t++) st[t] = sext(acc[t], op.item_size);
        stores.push(toRows(st, m, n));
        break;
      }
      case 'add_mat_mul':
        A ??= flat8(c.a, m, k);
        B ??= flat8(c.b, k, n);
        matmulInto(acc, A, B, m, n, k);
        break;
      default: throw new RangeError(`unknown op ${JSON.stringify(op)}`);
    }
  }
  return { stores, acc: toRows(acc, m, n) };
}
