// Helpers for the native tests: request building blocks and small plain-JS references
// (packing by the SPEC formulas, a frame evaluator for the ops the tests use). Deliberately
// independent of oracle/ so the executor is tested on its own.
import type { PackFormatDesc, WireOp, Word } from './backend.js';

export const TAG = {
  done: 0, clear: 1, load_tile: 2,
  scalar_min: 3, scalar_max: 4, scalar_add: 5, scalar_mul: 6, scalar_sub: 7, scalar_sub_f: 8,
  leaky_relu: 9, per_row_add: 12, per_col_sub_f: 21, q_scale: 22, rounding_shift_right: 23,
  shift_left: 24, add_unicast: 25, add_row_col_products: 26, store: 27, add_mat_mul: 28,
} as const;

export const POLICY_EVEN = 5;

export const imm = (v: number | bigint): Word => ({ kind: 'imm', value: BigInt(v) });
export const ptr = (buf: number, offset = 0): Word => ({ kind: 'ptr', buf, offset });
export const op = (tag: number, ...words: Word[]): WireOp => ({ tag, words });

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

/** SPEC section 3, straight from the formulas. side a: src row-major mn x k; b: k x mn. */
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

/** round(v, s, policy) of SPEC section 2, exact. */
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
