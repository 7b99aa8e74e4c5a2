// Every op of docs/semantics.md on a bigint accumulator. Each function's comment states its
// meaning in one line; the code under it is that meaning, nothing more. The accumulator is an
// m x n array of bigints that always hold i32 values (wrap32 after every wrapping op).
import type { Bin, Policy } from './types.js';
import { round } from './rounding.js';

export type Acc = bigint[][];

/** wrap32(x): x reduced to two's-complement i32 (the wrap of every add, sub, mul). */
export const wrap32 = (x: bigint): bigint => BigInt.asIntN(32, x);

/** An m x n accumulator of zeros. */
export const zeros = (m: number, n: number): Acc =>
  Array.from({ length: m }, () => Array.from({ length: n }, () => 0n));

const each = (acc: Acc, f: (v: bigint, i: number, j: number) => bigint): void => {
  for (let i = 0; i < acc.length; i++) {
    const row = acc[i];
    for (let j = 0; j < row.length; j++) row[j] = f(row[j], i, j);
  }
};

/** Binary op of operand x and accumulator value v, as tract's f(operand, acc):
 *  min/max signed; add, mul wrap; sub = x - acc; sub_f = acc - x (both wrap). */
export function binop(bin: Bin, x: bigint, v: bigint): bigint {
  switch (bin) {
    case 'min': return x < v ? x : v;
    case 'max': return x > v ? x : v;
    case 'add': return wrap32(x + v);
    case 'mul': return wrap32(x * v);
    case 'sub': return wrap32(x - v);
    case 'sub_f': return wrap32(v - x);
    default: throw new RangeError(`unknown bin ${String(bin)}`);
  }
}

/** Clear (tag 1): acc = 0. */
export const clear = (acc: Acc): void => each(acc, () => 0n);

/** LoadTile (tag 2): acc[i][j] = values[i][j]. */
export const loadTile = (acc: Acc, values: readonly (readonly number[])[]): void =>
  each(acc, (_v, i, j) => wrap32(BigInt(values[i][j])));

/** Scalar* (tags 3..8): acc = bin(x, acc) for one i32 x. */
export const scalar = (acc: Acc, bin: Bin, x: number): void => {
  const X = BigInt(x);
  each(acc, (v) => binop(bin, X, v));
};

/** LeakyRelu (tag 9): acc = acc > 0 ? acc : wrap32(alpha * acc), alpha an integer slope. */
export const leakyRelu = (acc: Acc, alpha: number): void => {
  const A = BigInt(alpha);
  each(acc, (v) => (v > 0n ? v : wrap32(A * v)));
};

/** PerRow* (tags 10..15): acc[i][j] = bin(p[i], acc[i][j]). */
export const perRow = (acc: Acc, bin: Bin, p: readonly number[]): void =>
  each(acc, (v, i) => binop(bin, BigInt(p[i]), v));

/** PerCol* (tags 16..21): acc[i][j] = bin(p[j], acc[i][j]). */
export const perCol = (acc: Acc, bin: Bin, p: readonly number[]): void =>
  each(acc, (v, _i, j) => binop(bin, BigInt(p[j]), v));

/** QScale (tag 22): acc = wrap32(round(mult * acc, shift + 31, policy)), the product exact. */
export const qScale = (acc: Acc, shift: number, policy: Policy, mult: number): void => {
  const M = BigInt(mult);
  each(acc, (v) => wrap32(round(M * v, shift + 31, policy)));
};

/** RoundingShiftRight (tag 23): acc = round(acc, shift, policy), exact (no i32 overflow; the
 *  result always fits i32 for 1 <= shift <= 31, the wrap is a no-op kept for safety). */
export const roundingShiftRight = (acc: Acc, shift: number, policy: Policy): void =>
  each(acc, (v) => wrap32(round(v, shift, policy)));

/** ShiftLeft (tag 24): acc = wrap32(acc << shift), bits shifted out are lost (no saturation). */
export const shiftLeft = (acc: Acc, shift: number): void => {
  const S = BigInt(shift);
  each(acc, (v) => wrap32(v << S));
};

/** The value an item of item_size bytes holding the low bits of v reads back as (sign-extended). */
export const truncate = (v: bigint, itemSize: number): bigint => BigInt.asIntN(8 * itemSize, v);

/** AddUnicast (tag 25): acc = wrap32(acc + load(i, j)); the loaded item is item_size bytes
 *  (1: i8 sign-extended, 4: i32), i.e. the low 8*item_size bits of values[i][j], sign-extended. */
export const addUnicast = (acc: Acc, values: readonly (readonly number[])[], itemSize: number): void =>
  each(acc, (v, i, j) => wrap32(v + truncate(BigInt(values[i][j]), itemSize)));

/** AddRowColProducts (tag 26): acc = wrap32(acc + rows[i] * cols[j]), full 32-bit operands. */
export const addRowColProducts = (acc: Acc, rows: readonly number[], cols: readonly number[]): void =>
  each(acc, (v, i, j) => wrap32(v + BigInt(rows[i]) * BigInt(cols[j])));

/** Store (tag 27): the m x n values written, each the low 8*item_size bits of acc read back
 *  sign-extended (truncation, never saturation); acc unchanged. */
export const store = (acc: Acc, itemSize: number): bigint[][] =>
  acc.map((row) => row.map((v) => truncate(v, itemSize)));

/** AddMatMul (tag 28): acc = wrap32(acc + sum_{kk<k} A[i][kk] * B[kk][j]); A is m x k and B is
 *  k x n (int8, row-major); k = 0 adds nothing. The sum is exact, wrapped once at the end
 *  (wrapping each step gives the same result: wrap is a ring homomorphism). */
export const addMatMul = (acc: Acc, a: readonly (readonly number[])[], b: readonly (readonly number[])[], k: number): void => {
  const A = a.map((row) => row.map((x) => BigInt(x)));
  const B = b.map((row) => row.map((x) => BigInt(x)));
  each(acc, (v, i, j) => {
    let s = v;
    const ai = A[i];
    for (let kk = 0; kk < k; kk++) s += ai[kk] * B[kk][j];
    return wrap32(s);
  });
};
