// fast-check arbitraries used by the oracle's own properties (oracle/selftest.ts). They stay
// inside the domain of definition and carry the value biases of docs/semantics.md (i32::MIN/MAX,
// +-1, 0, exact ties, runs of -128). The kernel-facing generators live in properties/.
import fc from 'fast-check';
import { BINS, POLICIES, LAYOUTS, UNICAST_LAYOUTS } from './types.js';
import type { Case, Op, Policy, UnicastLayout } from './types.js';
import { I32_MIN, I32_MAX, U32_MAX, OP_NAMES, TAG_COUNT, opSpec, type OpName } from './opset.js';

const wrap = (x: bigint): number => Number(BigInt.asIntN(32, x));

/** i32 values biased toward the edges: MIN, MAX, 0, +-1, +-2^j, +-2^j +-1, odd multiples of 2^j (ties). */
export const i32Biased: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.constantFrom(I32_MIN, I32_MAX, I32_MIN + 1, I32_MAX - 1, 0, 1, -1, 2, -2), weight: 3 },
  { arbitrary: fc.tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: -1, max: 1 }), fc.boolean())
      .map(([j, d, neg]) => wrap((neg ? -1n : 1n) * (1n << BigInt(j)) + BigInt(d))), weight: 2 },
  { arbitrary: fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: -1000, max: 1000 }))
      .map(([j, t]) => wrap(BigInt(2 * t + 1) << BigInt(j))), weight: 2 },
  { arbitrary: fc.integer({ min: -300, max: 300 }), weight: 2 },
  { arbitrary: fc.integer({ min: I32_MIN, max: I32_MAX }), weight: 3 },
);

export const int8Biased: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.constantFrom(-128, 127, 0, 1, -1), weight: 2 },
  { arbitrary: fc.integer({ min: -128, max: 127 }), weight: 3 },
);

export const policyArb: fc.Arbitrary<Policy> = fc.constantFrom(...POLICIES);

/** Raw tags where a kernel's tag decoding breaks: every tag past the table up to 63 (the range
 *  of a u64 op bit set), 64, 255 (a byte), 2^40 (0 as a u32), 2^63 - 1 and 2^64 - 1 (the ends
 *  of a signed and an unsigned usize). Shrinks toward the first unknown tag. */
export const RAW_TAG_PROBES: readonly string[] = [
  ...Array.from({ length: 64 - TAG_COUNT }, (_, i) => BigInt(TAG_COUNT + i)),
  64n, 255n, 1n << 40n, (1n << 63n) - 1n, (1n << 64n) - 1n,
].map(String);
export const rawTagArb: fc.Arbitrary<string> = fc.constantFrom(...RAW_TAG_PROBES);

/** rows x cols int8 matrix; sometimes all -128 (the int16 pair-sum trap), sometimes runs of -128. */
export const int8Matrix = (rows: number, cols: number): fc.Arbitrary<number[][]> =>
  fc.oneof(
    { arbitrary: fc.array(fc.array(int8Biased, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }), weight: 4 },
    { arbitrary: fc.constant(Array.from({ length: rows }, () => new Array<number>(cols).fill(-128))), weight: 1 },
    { arbitrary: fc.array(fc.array(fc.constantFrom(-128, 127), { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }), weight: 1 },
  );

const i32Vec = (len: number): fc.Arbitrary<number[]> => fc.array(i32Biased, { minLength: len, maxLength: len });
const i32Mat = (rows: number, cols: number): fc.Arbitrary<number[][]> => fc.array(i32Vec(cols), { minLength: rows, maxLength: rows });

/** AddUnicast values consistent with the layout (broadcast layouts repeat a row / column / value). */
function unicastValues(m: number, n: number, item: 1 | 4, layout: UnicastLayout): fc.Arbitrary<number[][]> {
  const v = item === 1 ? fc.integer({ min: -128, max: 127 }) : i32Biased;
  const vec = (len: number) => fc.array(v, { minLength: len, maxLength: len });
  switch (layout) {
    case 'broadcast_row': return vec(n).map((row) => Array.from({ length: m }, () => [...row]));
    case 'broadcast_col': return vec(m).map((col) => col.map((x) => new Array<number>(n).fill(x)));
    case 'broadcast': return v.map((x) => Array.from({ length: m }, () => new Array<number>(n).fill(x)));
    default: return fc.array(vec(n), { minLength: m, maxLength: m });
  }
}

/** One op valid for an m x n accumulator at the given level. */
export function opArb(m: number, n: number, level: 'frame' | 'tile', rawTags = false): fc.Arbitrary<Op> {
  const garbage = fc.option(fc.oneof(fc.constant(U32_MAX), fc.integer({ min: 0, max: U32_MAX })), { nil: undefined });
  const withGarbage = <T extends { garbage?: number }>(o: T, g: number | undefined): T => (g === undefined ? o : { ...o, garbage: g });
  const arbs: { [N in OpName]: fc.Arbitrary<Extract<Op, { op: N }>> } = {
    clear: fc.constant({ op: 'clear' }),
    load_tile: i32Mat(m, n).map((values) => ({ op: 'load_tile', values })),
    scalar: fc.tuple(fc.constantFrom(...BINS), i32Biased, garbage).map(([bin, value, g]) => withGarbage<Op & { op: 'scalar' }>({ op: 'scalar', bin, value }, g)),
    leaky_relu: fc.tuple(fc.oneof(fc.constantFrom(0, -3, 1, 5, I32_MAX, I32_MIN, -1), i32Biased), garbage)
      .map(([alpha, g]) => withGarbage<Op & { op: 'leaky_relu' }>({ op: 'leaky_relu', alpha }, g)),
    per_row: fc.tuple(fc.constantFrom(...BINS), i32Vec(m)).map(([bin, values]) => ({ op: 'per_row', bin, values })),
    per_col: fc.tuple(fc.constantFrom(...BINS), i32Vec(n)).map(([bin, values]) => ({ op: 'per_col', bin, values })),
    q_scale: fc.tuple(fc.oneof(fc.constantFrom(-31, -30, -1, 0, 1, 31, 32), fc.integer({ min: -31, max: 32 })), policyArb, i32Biased)
      .map(([shift, policy, mult]) => ({ op: 'q_scale', shift, policy, mult })),
    rounding_shift_right: fc.tuple(fc.oneof(fc.constantFrom(1, 2, 30, 31), fc.integer({ min: 1, max: 31 })), policyArb)
      .map(([shift, policy]) => ({ op: 'rounding_shift_right', shift, policy })),
    shift_left: fc.oneof(fc.constantFrom(0, 1, 31), fc.integer({ min: 0, max: 31 })).map((shift) => ({ op: 'shift_left', shift })),
    add_unicast: fc.tuple(fc.constantFrom<1 | 4>(1, 4), fc.constantFrom(...UNICAST_LAYOUTS))
      .chain(([item, layout]) => unicastValues(m, n, item, layout).map((values) => ({ op: 'add_unicast' as const, item_size: item, layout, values }))),
    add_row_col_products: fc.tuple(i32Vec(m), i32Vec(n)).map(([rows, cols]) => ({ op: 'add_row_col_products', rows, cols })),
    store: fc.tuple(fc.constantFrom<1 | 2 | 4>(1, 2, 4), fc.option(fc.constantFrom(...LAYOUTS), { nil: undefined }))
      .map(([item, layout]) => (layout === undefined ? { op: 'store', item_size: item } : { op: 'store', item_size: item, layout })),
    add_mat_mul: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined })
      .map((packing) => (packing === undefined ? { op: 'add_mat_mul' } : { op: 'add_mat_mul', packing })),
    raw_tag: rawTagArb.map((tag) => ({ op: 'raw_tag', tag })),
  };
  // a raw tag ends what the oracle evaluates: drawn only where asked for (rawTags)
  return fc.oneof(...OP_NAMES.filter((o) => (level === 'tile' || opSpec(o).level === 'both') && (o !== 'raw_tag' || rawTags)).map((o) => arbs[o] as fc.Arbitrary<Op>));
}

export interface CaseArbOptions {
  level?: 'frame' | 'tile';
  maxM?: number;
  maxN?: number;
  maxK?: number;
  maxOps?: number;
}

/** A valid case (no expect). Frame level by default; at tile level the chain starts with
 *  clear or load_tile. Chains usually contain an add_mat_mul and end with a store. */
export function caseArb(o: CaseArbOptions = {}): fc.Arbitrary<Case> {
  const level = o.level ?? 'frame';
  return fc.tuple(
    fc.integer({ min: 1, max: o.maxM ?? 9 }),
    fc.integer({ min: 1, max: o.maxN ?? 9 }),
    fc.oneof(fc.constantFrom(0, 1, 4), fc.integer({ min: 0, max: o.maxK ?? 40 })),
  ).chain(([m, n, k]) => fc.record({
    a: int8Matrix(m, k),
    b: int8Matrix(k, n),
    first: level === 'tile'
      ? fc.oneof(fc.constant<Op>({ op: 'clear' }), i32Mat(m, n).map((values): Op => ({ op: 'load_tile', values })))
      : fc.constant<Op | undefined>(undefined),
    mid: fc.array(opArb(m, n, level), { maxLength: o.maxOps ?? 8 }),
    matmul: fc.boolean(),
    store: fc.constantFrom<1 | 2 | 4>(1, 2, 4),
  }).map(({ a, b, first, mid, matmul, store }): Case => ({
    format: 'bitexact-case/1', level, m, n, k, a, b,
    chain: [
      ...(first ? [first] : []),
      ...(matmul ? [{ op: 'add_mat_mul' } as Op] : []),
      ...mid,
      { op: 'store', item_size: store },
    ],
  })));
}

/** Values to round: the full i64 range, biased toward ties (odd multiples of 2^(s-1), both signs),
 *  i32::MIN/MAX, extreme products mult*acc, 0, +-1 and powers of two +-1. */
export function roundingInput(): fc.Arbitrary<{ v: bigint; s: number; policy: Policy }> {
  const I64_MIN = -(1n << 63n);
  const I64_MAX = (1n << 63n) - 1n;
  const MIN = BigInt(I32_MIN);
  const MAX = BigInt(I32_MAX);
  const s = fc.integer({ min: 1, max: 63 });
  return fc.tuple(s, policyArb).chain(([s, policy]) => {
    const S = BigInt(s);
    const tie = fc.tuple(fc.bigInt({ min: -(1n << (63n - S)), max: (1n << (63n - S)) - 1n }))
      .map(([t]) => t * (1n << S) + (1n << (S - 1n)));            // odd multiple of 2^(s-1), any sign
    const nearTie = fc.tuple(tie, fc.constantFrom(-1n, 1n)).map(([t, d]) => t + d);
    const v = fc.oneof(
      { arbitrary: tie, weight: 4 },
      { arbitrary: nearTie, weight: 1 },
      { arbitrary: fc.constantFrom(0n, 1n, -1n, MIN, MAX, MIN * MIN, MIN * MAX, MAX * MAX, I64_MIN, I64_MAX, I64_MIN + 1n), weight: 2 },
      { arbitrary: fc.tuple(fc.integer({ min: 0, max: 62 }), fc.constantFrom(-1n, 0n, 1n), fc.boolean())
          .map(([j, d, neg]) => (neg ? -1n : 1n) * ((1n << BigInt(j)) + d)), weight: 2 },
      { arbitrary: fc.tuple(i32Biased, i32Biased).map(([x, y]) => BigInt(x) * BigInt(y)), weight: 2 },
      { arbitrary: fc.bigInt({ min: I64_MIN, max: I64_MAX }), weight: 2 },
    );
    return v.map((v) => ({ v, s, policy }));
  });
}
