// A fast exact oracle for big shapes: the same semantics as oracle/eval.ts (docs/semantics.md) on
// Int32Array / Float64Array with number arithmetic only. Exactness argument, op by op:
//  * i8 * i8 products are <= 2^14 in magnitude, so sums of them accumulate exactly in doubles,
//    two output columns per double (see prepareMatmul), and `| 0` (ToInt32) of an integer
//    double is exactly wrap32;
//  * add / sub wrap with `| 0` (operands < 2^32 in magnitude), mul with Math.imul;
//  * QScale's 64-bit product |mult * acc| <= 2^62 is kept as H * 2^32 + L from 16-bit partial
//    products (each < 2^48), and rounded with exact floor / remainder on those parts (a third,
//    independent formulation of round()); RoundingShiftRight is the case H = 0.
// A property checks it bit-equal to the bigint oracle on random cases of every op.
import type { Bin, EvalResult, Op, Policy } from './types.js';
import { validateCase, type ChainInput } from './validate.js';
import type { EvalOptions } from './eval.js';

const TWO32 = 4294967296;
/** 2^i for i in 0..64, exact doubles (a lookup, not a pow, per rounded value) */
const POW2 = Array.from({ length: 65 }, (_, i) => 2 ** i);

/** Meaning: the wrap32 of sign * round(P, s, policy) for P = H * 2^32 + L (0 <= L < 2^32,
 *  0 <= H < 2^31), `neg` the sign of the unrounded value, s in 0..63. */
export function roundMagnitude(H: number, L: number, s: number, neg: boolean, policy: Policy): number {
  if (s === 0) return neg ? -L | 0 : L | 0;
  let q: number;   // floor(P / 2^s) mod 2^32
  let cmp: number; // sign of (P mod 2^s) - 2^(s-1)
  if (s <= 32) {
    const d = POW2[s]!;
    q = (H % d) * POW2[32 - s]! + Math.floor(L / d);
    const rem = L % d;
    const half = d / 2;
    cmp = rem < half ? -1 : rem > half ? 1 : 0;
  } else {
    const d = POW2[s - 32]!;
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

const LANE = 67108864; // 2^26
const K_CHUNK = 1024;  // per chunk a lane sums at most 1024 * 2^14 = 2^24 in magnitude (< 2^25 = LANE / 2)

/** Prepares acc += A * B (A: m x k, B: k x n, flat row-major int8) and returns the function that
 *  adds it into an m x n Int32Array, wrapped. Exactness: two columns of B share one double,
 *  b[j] + b[j+1] * 2^26 (|b| <= 128); over a chunk of <= 1024 K steps each lane's sum stays below
 *  2^24 in magnitude, so the double sum lo + hi * 2^26 (< 2^51) is exact and splits back with
 *  hi = round(s / 2^26), lo = s - hi * 2^26; each chunk is then added into acc with `| 0`.
 *  The 4-row x 2-pair register blocking is only for speed. */
export function prepareMatmul(A: Int8Array, B: Int8Array, m: number, n: number, k: number): (acc: Int32Array) => void {
  if (A.length !== m * k || B.length !== k * n) throw new RangeError(`prepareMatmul: A must be ${m} x ${k} and B ${k} x ${n}`);
  return matmulKernel(Float64Array.from(A), packColumnPairs((kk, j) => B[kk * n + j], n, k), m, n, k);
}

/** Bt[p*k + kk] = B[kk][2p] + B[kk][2p+1] * 2^26 (the second lane 0 for an odd last column). */
function packColumnPairs(get: (kk: number, j: number) => number, n: number, k: number): Float64Array {
  const np = (n + 1) >> 1;
  const Bt = new Float64Array(np * k);
  for (let kk = 0; kk < k; kk++) {
    for (let p = 0; p < np; p++) {
      const j = 2 * p;
      Bt[p * k + kk] = get(kk, j) + (j + 1 < n ? get(kk, j + 1) * LANE : 0);
    }
  }
  return Bt;
}

function matmulKernel(Af: Float64Array, Bt: Float64Array, m: number, n: number, k: number): (acc: Int32Array) => void {
  const np = (n + 1) >> 1;
  return (acc: Int32Array): void => {
    const put = (i: number, p: number, s: number): void => {
      const hi = Math.round(s / LANE);
      const lo = s - hi * LANE;
      const o = i * n + 2 * p;
      acc[o] = (acc[o] + lo) | 0;
      if (2 * p + 1 < n) acc[o + 1] = (acc[o + 1] + hi) | 0;
    };
    for (let k0 = 0; k0 < k; k0 += K_CHUNK) {
      const k1 = Math.min(k, k0 + K_CHUNK);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        let p = 0;
        for (; p + 2 <= np; p += 2) {
          const b0 = p * k, b1 = b0 + k;
          let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
          for (let kk = k0; kk < k1; kk++) {
            const x0 = Bt[b0 + kk], x1 = Bt[b1 + kk];
            const y0 = Af[a0 + kk], y1 = Af[a1 + kk], y2 = Af[a2 + kk], y3 = Af[a3 + kk];
            s00 += y0 * x0; s01 += y0 * x1; s10 += y1 * x0; s11 += y1 * x1;
            s20 += y2 * x0; s21 += y2 * x1; s30 += y3 * x0; s31 += y3 * x1;
          }
          put(i, p, s00); put(i, p + 1, s01); put(i + 1, p, s10); put(i + 1, p + 1, s11);
          put(i + 2, p, s20); put(i + 2, p + 1, s21); put(i + 3, p, s30); put(i + 3, p + 1, s31);
        }
        for (; p < np; p++) {
          const b0 = p * k;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let kk = k0; kk < k1; kk++) {
            const x = Bt[b0 + kk];
            s0 += Af[a0 + kk] * x; s1 += Af[a1 + kk] * x; s2 += Af[a2 + kk] * x; s3 += Af[a3 + kk] * x;
          }
          put(i, p, s0); put(i + 1, p, s1); put(i + 2, p, s2); put(i + 3, p, s3);
        }
      }
      for (; i < m; i++) {
        const a0 = i * k;
        for (let p = 0; p < np; p++) {
          const b0 = p * k;
          let s = 0;
          for (let kk = k0; kk < k1; kk++) s += Af[a0 + kk] * Bt[b0 + kk];
          put(i, p, s);
        }
      }
    }
  };
}

/** acc[i*n+j] = wrap32(acc[i*n+j] + sum_kk A[i][kk] * B[kk][j]) (A: m x k, B: k x n, flat int8). */
export function matmulInto(acc: Int32Array, A: Int8Array, B: Int8Array, m: number, n: number, k: number): void {
  prepareMatmul(A, B, m, n, k)(acc);
}

/** The matmul of a case's nested a (m x k) and b (k x n), prepared without intermediate copies
 *  (direct loops over the rows: at 64^3 a per-element closure costs a quarter of the matmul). */
// Operand scratch reused across calls (a typed array's allocation costs as much as a fifth of a
// 64^3 matmul). Safe: an evaluation uses them synchronously and every entry read is written first.
let scratchA: Float64Array = new Float64Array(0);
let scratchB: Float64Array = new Float64Array(0);
const grown = (buf: Float64Array, len: number): Float64Array => (buf.length >= len ? buf : new Float64Array(Math.max(len, 2 * buf.length)));

function prepareCaseMatmul(a: readonly (readonly number[])[], b: readonly (readonly number[])[], m: number, n: number, k: number): (acc: Int32Array) => void {
  const Af = (scratchA = grown(scratchA, m * k));
  for (let i = 0; i < m; i++) {
    const row = a[i];
    for (let kk = 0; kk < k; kk++) Af[i * k + kk] = row[kk];
  }
  const np = (n + 1) >> 1;
  const Bt = (scratchB = grown(scratchB, np * k));
  for (let kk = 0; kk < k; kk++) {
    const row = b[kk];
    let p = 0;
    for (; 2 * p + 1 < n; p++) Bt[p * k + kk] = row[2 * p] + row[2 * p + 1] * LANE;
    if (p < np) Bt[p * k + kk] = row[2 * p];
  }
  return matmulKernel(Af, Bt, m, n, k);
}

const toRows = (x: Int32Array, m: number, n: number): number[][] => {
  const out: number[][] = new Array(m);
  for (let i = 0; i < m; i++) {
    const row: number[] = new Array(n);
    for (let j = 0; j < n; j++) row[j] = x[i * n + j];
    out[i] = row;
  }
  return out;
};

export interface FastEvalOptions extends EvalOptions {
  /** Called before op i runs with the accumulator that op meets (row-major m x n, live: read
   *  it, never keep or change it), for every op that runs and for a raw_tag that stops the
   *  chain. Lets one pass serve the judge and the coverage trace. */
  onOp?: (i: number, acc: Int32Array) => void;
}

/** The fast exact oracle: same contract and result as evalChain. */
export function evalChainFast(c: ChainInput, opts: FastEvalOptions = {}): EvalResult {
  if (opts.validate !== false) validateCase(c);
  const { m, n, k } = c;
  const acc = new Int32Array(m * n);
  let matmul: ((acc: Int32Array) => void) | undefined;
  const stores: number[][][] = [];
  const map = (f: (v: number, i: number, j: number) => number): void => {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) acc[i * n + j] = f(acc[i * n + j], i, j);
  };
  const onOp = opts.onOp;
  const chain = c.chain as readonly Op[];
  for (let idx = 0; idx < chain.length; idx++) {
    const op = chain[idx];
    onOp?.(idx, acc);
    if (op.op === 'raw_tag') break; // the kernel refuses here: nothing after it runs
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
        // sized arrays filled by index: measured 2x faster than push here
        const sh = 32 - 8 * op.item_size;
        const rows: number[][] = new Array(m);
        for (let i = 0; i < m; i++) {
          const row: number[] = new Array(n);
          for (let j = 0; j < n; j++) row[j] = (acc[i * n + j] << sh) >> sh;
          rows[i] = row;
        }
        stores.push(rows);
        break;
      }
      case 'add_mat_mul':
        matmul ??= prepareCaseMatmul(c.a, c.b, m, n, k);
        matmul(acc);
        break;
      default: throw new RangeError(`unknown op ${JSON.stringify(op)}`);
    }
  }
  // the final accumulator is built only if read (the gate reads the stores; coverage reads acc)
  let rows: number[][] | undefined;
  return { stores, get acc() { return (rows ??= toRows(acc, m, n)); } };
}
