// Helpers for the native tests: request building blocks and small plain-JS references
// (packing by the SPEC formulas, a frame evaluator for the ops the tests use). Deliberately
// independent of the oracle's semantics so the executor is tested on its own.
import { expect } from 'vitest';

import type { PackFormatDesc } from './descriptor.js';
import type { ExecRequest, ExecResult, WireOp, Word } from './wire.js';

/** Tags by name (`TAG.scalar_add`), from the op table: the one vocabulary the executor and
 *  the oracle share (the table holds no semantics, so the tests stay independent of them). */
import { TAG } from '../oracle/opset.js';

export { TAG };

export const POLICY_EVEN = 5;

export const imm = (v: number | bigint): Word => ({ kind: 'imm', value: BigInt(v) });
export const ptr = (buf: number, offset = 0): Word => ({ kind: 'ptr', buf, offset });
export const op = (tag: number | bigint, ...words: Word[]): WireOp => ({ tag, words });

export const canary = (i: number): number => (0xa5 ^ ((i * 29) & 0xff)) & 0xff;

export function i32Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setInt32(i * 4, v, true));
  return out;
}

export function readI32(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(off, true);
}

/** Deterministic pseudo-random generator (xorshift32), biased towards -128 for i8. */
export function rng(seed: number): { i8(): number; int(lo: number, hi: number): number } {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    i8: () => (next() % 5 === 0 ? -128 : (next() % 256) - 128),
    int: (lo, hi) => lo + (next() % (hi - lo + 1)),
  };
}

/** docs/packing.md, straight from the formulas. side a: src row-major mn x k; b: k x mn. */
export function packJs(f: PackFormatDesc, side: 'a' | 'b', mn: number, k: number, src: Int8Array): Uint8Array {
  const r = f.r;
  const panelLen =
    f.kind === 'packed_i8k4'
      ? Math.ceil(k / 4) * 4 * r
      : Math.ceil(((k + f.end_padding_record) * r) / f.align) * f.align;
  const out = new Uint8Array(Math.ceil(mn / r) * panelLen);
  for (let i = 0; i < mn; i++)
    for (let kk = 0; kk < k; kk++) {
      const v = side === 'a' ? src[i * k + kk]! : src[kk * mn + i]!;
      const off =
        f.kind === 'packed_i8k4'
          ? Math.floor(i / r) * panelLen + Math.floor(kk / 4) * 4 * r + (i % r) * 4 + (kk % 4)
          : Math.floor(i / r) * panelLen + kk * r + (i % r);
      out[off] = v & 0xff;
    }
  return out;
}

/** round(v, s, policy) of docs/semantics.md, exact. */
export function roundJs(v: bigint, s: number, policy: number): bigint {
  if (s <= 0) return v << BigInt(-s);
  const a = v < 0n ? -v : v;
  const S = BigInt(s);
  const half = 1n << (S - 1n);
  const t = a >> S;
  const nudge = [0n, -1n, 0n, v >= 0n ? -1n : 0n, v <= 0n ? -1n : 0n, (t & 1n) - 1n, -(t & 1n)][policy]!;
  const r = (a + half + nudge) >> S;
  return v < 0n ? -r : r;
}

export const wrap32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
export const trunc = (v: number, item: number): number =>
  item === 4 ? v | 0 : item === 2 ? (v << 16) >> 16 : (v << 24) >> 24;

// ---- a border-shape frame case with a known answer ---------------------------------------
// m = 5, n = 7, k = 9 (border tiles on 4x4 and 3x5 kernels): add_mat_mul, per_row add,
// per_col sub_f, i8 add_unicast through negative strides, rounding_shift_right, an i8 store
// into a padded row-major buffer (pad bytes must stay 0x77) and an i32 col-major store.
export const BORDER = { m: 5, n: 7, k: 9 } as const;

const border = (() => {
  const { m, n, k } = BORDER;
  const g = rng(7);
  const A = Array.from({ length: m }, () => Array.from({ length: k }, () => g.i8()));
  const B = Array.from({ length: k }, () => Array.from({ length: n }, () => g.i8()));
  const rowv = Array.from({ length: m }, () => g.int(-3000, 3000));
  const colv = Array.from({ length: n }, () => g.int(-3000, 3000));
  const uni = Array.from({ length: m }, () => Array.from({ length: n }, () => g.i8()));
  const i32 = A.map((_, i) =>
    B[0]!.map((_, j) => {
      let acc = 0n;
      for (let kk = 0; kk < k; kk++) acc += BigInt(A[i]![kk]! * B[kk]![j]!);
      acc = BigInt(wrap32(acc + BigInt(rowv[i]!)));
      acc = BigInt(wrap32(acc - BigInt(colv[j]!)));
      acc = BigInt(wrap32(acc + BigInt(uni[i]![j]!)));
      return wrap32(roundJs(acc, 2, POLICY_EVEN));
    }),
  );
  return { A, B, rowv, colv, uni, i32, i8: i32.map((r) => r.map((v) => trunc(v, 1))) };
})();

export function borderFrame(kernel: string, packing: number): ExecRequest {
  const { m, n, k } = BORDER;
  const rs8 = n + 3;
  // add_unicast operand stored reversed: element (i, j) at (m-1-i)*n + (n-1-j).
  const uniBuf = new Uint8Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) uniBuf[(m - 1 - i) * n + (n - 1 - j)] = border.uni[i]![j]! & 0xff;
  return {
    type: 'frame',
    kernel,
    m,
    n,
    buffers: [
      { data: new Uint8Array(Int8Array.from(border.A.flat()).buffer), ret: false },
      { data: new Uint8Array(Int8Array.from(border.B.flat()).buffer), ret: false },
      { data: i32Bytes(border.rowv), ret: false },
      { data: i32Bytes(border.colv), ret: false },
      { data: uniBuf, ret: false },
      { data: new Uint8Array(m * rs8).fill(0x77), ret: true },
      { data: new Uint8Array(m * n * 4).fill(0x66), ret: true },
    ],
    ops: [
      op(TAG.add_mat_mul, imm(k), ptr(0), ptr(1), imm(packing)),
      op(TAG.per_row_add, ptr(2)),
      op(TAG.per_col_sub_f, ptr(3)),
      op(TAG.add_unicast, ptr(4, m * n - 1), imm(-n), imm(-1), imm(1)),
      op(TAG.rounding_shift_right, imm(2), imm(POLICY_EVEN)),
      op(TAG.store, ptr(5), imm(rs8), imm(1), imm(1)),
      op(TAG.store, ptr(6), imm(4), imm(4 * m), imm(4)),
    ],
  };
}

export function checkBorderFrame(res: ExecResult): void {
  const { m, n } = BORDER;
  expect(res.rc).toBe(0);
  expect(res.refusedOp).toBe(-1);
  expect(res.violations).toEqual([]);
  const s8 = res.buffers[5]!;
  const s32 = res.buffers[6]!;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      expect((s8[i * (n + 3) + j]! << 24) >> 24, `i8 (${i}, ${j})`).toBe(border.i8[i]![j]);
      expect(readI32(s32, (j * m + i) * 4), `i32 (${i}, ${j})`).toBe(border.i32[i]![j]);
    }
    for (let j = n; j < n + 3; j++) expect(s8[i * (n + 3) + j], `pad (${i}, ${j})`).toBe(0x77);
  }
}
