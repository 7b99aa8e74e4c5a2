// fast-check arbitraries for cases: small composable pieces, each named for what it generates.
//
// Bulk data (matrices, vectors) is not drawn number by number: an arbitrary draws a *data spec*
// (a value class and a seed) and a fast seeded generator expands it once the shape is known. Shrinking then
// works on what matters for a reproducer — shapes toward small, chains toward short, value
// classes toward 'zero' (the first class), k toward 0 — and the biases SPEC lists (aligned
// -128 runs, i32::MIN/MAX, exact ties of the rounding op applied next, garbage in unused
// payload bytes, negative and strided layouts, Clear mid-chain) are classes, not luck.
import fc from 'fast-check';
import type { Bin, Case, Layout, Op, Policy, UnicastLayout } from '../oracle/types.js';
import { BINS, LAYOUTS, POLICIES, UNICAST_LAYOUTS } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import { opTag } from './encode.js';
import { I32_MIN, I32_MAX, OP_NAMES, declaresOpName, isRawTag } from '../oracle/opset.js';

/** i32 values where kernels break: extremes, +-1, 0, powers of two and their neighbours, i16 edges. */
export const i32EdgeValues = [
  0, 1, -1, 2, -2, I32_MIN, I32_MAX, I32_MIN + 1, I32_MAX - 1, 0x40000000, -0x40000000, 0x3fffffff,
  0x12345678, -0x12345678, 32767, -32768, 32768, -32769, 65535, 65536, -65536, 127, -128, 128, -129, 255, 256,
] as const;

/** One i32: uniform, an edge value, or small (so sums and products stay readable). */
export const i32Value = (): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.integer({ min: -8, max: 8 }) },
    { weight: 3, arbitrary: fc.constantFrom(...i32EdgeValues) },
    { weight: 3, arbitrary: fc.integer({ min: I32_MIN, max: I32_MAX }) },
  );

/** Garbage for the undefined bytes 12..15 of a Scalar entry: mostly non-zero on purpose. */
export const payloadGarbage = (): fc.Arbitrary<number> =>
  fc.oneof(fc.constant(0), fc.constant(0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));

// ---------------------------------------------------------------------------------------------
// Data specs: a value class + seed, expanded by a seeded generator once the shape is known.

/** Classes of int8 operand data. 'neg128_quads' / 'neg128_pairs': runs of -128 aligned on k
 *  quads / pairs in both operands (int16 pair-sum overflow; 2^-32 with uniform values). */
export const INT8_CLASSES = ['zero', 'one', 'small', 'uniform', 'extreme', 'neg128_pairs', 'neg128_quads', 'neg128_all'] as const;
export type Int8Class = (typeof INT8_CLASSES)[number];

/** Classes of i32 data. 'tie' values are odd multiples of 2^(s-1) for the s of the rounding op
 *  they feed; 'near_tie' are one away from those. */
export const I32_CLASSES = ['zero', 'small', 'edge', 'uniform', 'tie', 'near_tie', 'int16_edge', 'tie_unit', 'tie_unit_neg'] as const;
export type I32Class = (typeof I32_CLASSES)[number];

export interface DataSpec<C extends string> { cls: C; seed: number }

export const int8Data = (): fc.Arbitrary<DataSpec<Int8Class>> =>
  fc.record({ cls: fc.constantFrom(...INT8_CLASSES), seed: fc.nat() });
export const i32Data = (): fc.Arbitrary<DataSpec<I32Class>> =>
  fc.record({ cls: fc.constantFrom(...I32_CLASSES), seed: fc.nat() });

type Rng = () => number;

/** FNV-1a of the salt, mixed with the seed: one generator state per (spec seed, salt). */
function stateOf(seed: number, salt: string): number {
  let h = Math.imul(2166136261 ^ seed, 16777619);
  for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), 16777619);
  return h;
}

/** A fast seeded generator, uniform in [0, 1) on 32 bits: a Weyl sequence through the murmur3
 *  finalizer (splitmix32). Data expansion only needs well-spread values, not cryptographic
 *  ones; seedrandom's ARC4 key schedule cost more than the rest of a small case's generation.
 *  Each data spec has its own generator (salted by where the data goes), so shrinking one
 *  spec leaves every other operand's values as they were. */
function rngOf(seed: number, salt: string): Rng {
  let x = stateOf(seed, salt);
  return () => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
const intIn = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const EXTREME_I8 = [-128, -128, 127, -127, 0, 1, -1] as const;

/** Fills `out` with k-major int8 values for one row of A or one column of B (index = k). */
function int8Run(rng: Rng, cls: Int8Class, out: Int8Array): void {
  const k = out.length;
  switch (cls) {
    case 'zero': out.fill(0); return;
    case 'one': out.fill(1); return;
    case 'neg128_all': out.fill(-128); return;
    case 'small': for (let kk = 0; kk < k; kk++) out[kk] = intIn(rng, -3, 3); return;
    case 'uniform': for (let kk = 0; kk < k; kk++) out[kk] = intIn(rng, -128, 127); return;
    case 'extreme': for (let kk = 0; kk < k; kk++) out[kk] = pick(rng, EXTREME_I8); return;
    case 'neg128_pairs':
    case 'neg128_quads': {
      const g = cls === 'neg128_pairs' ? 2 : 4;
      for (let kk = 0; kk < k; kk += g) {
        const flood = rng() < 0.6;
        for (let t = 0; t < g && kk + t < k; t++) out[kk + t] = flood ? -128 : intIn(rng, -128, 127);
      }
    }
  }
}

/** A: m x k row-major, each row a k-run. */
export function expandA(spec: DataSpec<Int8Class>, m: number, k: number): number[][] {
  const rng = rngOf(spec.seed, 'a');
  const run = new Int8Array(k);
  const rows: number[][] = new Array(m);
  for (let i = 0; i < m; i++) {
    int8Run(rng, spec.cls, run);
    const row = new Array<number>(k);
    for (let kk = 0; kk < k; kk++) row[kk] = run[kk]!;
    rows[i] = row;
  }
  return rows;
}

/** B: k x n row-major, built column by column so runs follow k. */
export function expandB(spec: DataSpec<Int8Class>, k: number, n: number): number[][] {
  const rng = rngOf(spec.seed, 'b');
  const run = new Int8Array(k);
  const rows: number[][] = new Array(k);
  for (let kk = 0; kk < k; kk++) rows[kk] = new Array<number>(n);
  for (let j = 0; j < n; j++) {
    int8Run(rng, spec.cls, run);
    for (let kk = 0; kk < k; kk++) rows[kk][j] = run[kk];
  }
  return rows;
}

const INT16_EDGES = [32767, -32768, 32768, -32769, 40000, -40000, 65536, 3, -3] as const;

/** Odd multiples of 2^(s-1) inside i32 (s in 1..63: beyond 32 only 0 fits, so fall back to
 *  edges), drawn by the returned function. */
function tieSampler(s: number): (rng: Rng) => number {
  if (s < 1 || s > 32) return (rng) => pick(rng, i32EdgeValues);
  const unit = 2 ** (s - 1);
  const maxOdd = Math.floor((2 ** 31 - 1) / unit); // |value| <= 2^31 - 1 (and -2^31 when s = 32)
  if (maxOdd < 1) return (rng) => (rng() < 0.5 ? I32_MIN : 0); // s = 32: the only tie in i32 is -2^31
  const top = maxOdd % 2 === 1 ? maxOdd : maxOdd - 1;
  const halfRange = Math.floor((maxOdd - 1) / 2);
  return (rng) => {
    let odd = pick(rng, [1, 3, top, 2 * intIn(rng, 0, halfRange) + 1]);
    if (odd > maxOdd) odd = 1;
    return (rng() < 0.5 ? -1 : 1) * odd * unit;
  };
}

/** The generator of one value of class cls, for a rounding shift s. */
function i32Sampler(cls: I32Class, s: number): (rng: Rng) => number {
  switch (cls) {
    case 'zero': return () => 0;
    case 'small': return (rng) => intIn(rng, -5, 5);
    case 'edge': return (rng) => pick(rng, i32EdgeValues);
    case 'uniform': return (rng) => (rng() * 2 ** 32) | 0;
    case 'tie': return tieSampler(s);
    case 'near_tie': {
      const tie = tieSampler(s);
      return (rng) => (tie(rng) + (rng() < 0.5 ? 1 : -1)) | 0;
    }
    case 'int16_edge': return (rng) => pick(rng, INT16_EDGES);
    // the smallest tie, everywhere: what a tie bug shrinks to (one readable value, not a seed's)
    case 'tie_unit': { const v = s >= 1 && s <= 31 ? 2 ** (s - 1) : 1; return () => v; }
    case 'tie_unit_neg': { const v = s >= 1 && s <= 32 ? -(2 ** (s - 1)) : -1; return () => v; }
  }
}

/** A vector of len i32 values; s is the rounding shift the values are meant to tie on. */
export function expandI32(spec: DataSpec<I32Class>, len: number, salt: string, s = 1): number[] {
  const rng = rngOf(spec.seed, salt);
  const sample = i32Sampler(spec.cls, s);
  const out = new Array<number>(len);
  for (let i = 0; i < len; i++) out[i] = sample(rng);
  return out;
}

export function expandI32Matrix(spec: DataSpec<I32Class>, m: number, n: number, salt: string, s = 1): number[][] {
  const rng = rngOf(spec.seed, salt);
  const sample = i32Sampler(spec.cls, s);
  const rows: number[][] = new Array(m);
  for (let i = 0; i < m; i++) {
    const row = new Array<number>(n);
    for (let j = 0; j < n; j++) row[j] = sample(rng);
    rows[i] = row;
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Op templates: everything about an op except the shape-dependent data, which is expanded later.

export type OpTemplate =
  | { t: 'clear' }
  | { t: 'load_tile'; data: DataSpec<I32Class> }
  | { t: 'scalar'; bin: Bin; value: number; garbage: number }
  | { t: 'leaky_relu'; alpha: number; garbage: number }
  | { t: 'per_row' | 'per_col'; bin: Bin; data: DataSpec<I32Class> }
  | { t: 'q_scale'; shift: number; policy: Policy; mult: number }
  | { t: 'rounding_shift_right'; shift: number; policy: Policy }
  | { t: 'shift_left'; shift: number }
  | { t: 'add_unicast'; item_size: 1 | 4; layout: UnicastLayout; data: DataSpec<I32Class> }
  | { t: 'add_row_col_products'; rows: DataSpec<I32Class>; cols: DataSpec<I32Class> }
  | { t: 'store'; item_size: 1 | 2 | 4; layout: Layout }
  /** packing: index drawn for kernels with several packings (reduced modulo their count) */
  | { t: 'add_mat_mul'; packing?: number }
  /** a value-seeding op followed by a rounding op, with data that ties (or nearly) on its shift */
  | { t: 'rounding_block'; round: 'q_scale' | 'rounding_shift_right'; shift: number; policy: Policy; multOdd: number; multPow: number; data: DataSpec<I32Class>; apply: boolean };

const policy = (): fc.Arbitrary<Policy> => fc.constantFrom(...POLICIES);
const bin = (): fc.Arbitrary<Bin> => fc.constantFrom(...BINS);
/** QScale shift: shift + 31 in 0..63; the interesting ones are near 0 (s = 31) and the ends. */
const qShift = (): fc.Arbitrary<number> => fc.oneof(fc.integer({ min: -31, max: 32 }), fc.constantFrom(0, -1, 1, -30, -31, 32, 31, -15));
const rsrShift = (): fc.Arbitrary<number> => fc.oneof(fc.integer({ min: 1, max: 31 }), fc.constantFrom(1, 2, 31, 30, 16));

/** Which templates produce which op, so a kernel's declared ops filter the pool. */
export const TEMPLATE_OPS: Record<OpTemplate['t'], Op['op'][]> = {
  ...Object.fromEntries(OP_NAMES.map((o) => [o, [o]])) as Record<Op['op'], Op['op'][]>,
  rounding_block: ['add_unicast', 'load_tile', 'clear', 'q_scale', 'rounding_shift_right'],
};

export function opTemplate(level: 'tile' | 'frame', allowed: (t: OpTemplate['t']) => boolean): fc.Arbitrary<OpTemplate> {
  const pool: { weight: number; arbitrary: fc.Arbitrary<OpTemplate> }[] = [];
  const addT = (t: OpTemplate['t'], weight: number, arbitrary: fc.Arbitrary<OpTemplate>) => {
    if (allowed(t)) pool.push({ weight, arbitrary });
  };
  addT('add_mat_mul', 4, fc.record({ t: fc.constant('add_mat_mul' as const), packing: fc.nat({ max: 7 }) }));
  addT('store', 3, fc.record({ t: fc.constant('store' as const), item_size: fc.constantFrom(4 as const, 1 as const, 2 as const), layout: fc.constantFrom(...LAYOUTS) }));
  addT('clear', 1, fc.constant({ t: 'clear' }));
  if (level === 'tile') addT('load_tile', 1, fc.record({ t: fc.constant('load_tile' as const), data: i32Data() }));
  addT('scalar', 3, fc.record({ t: fc.constant('scalar' as const), bin: bin(), value: i32Value(), garbage: payloadGarbage() }));
  addT('leaky_relu', 1, fc.record({ t: fc.constant('leaky_relu' as const), alpha: fc.oneof(fc.constantFrom(0, -3, 1, -1, I32_MAX, I32_MIN, 2, 3), i32Value()), garbage: payloadGarbage() }));
  addT('per_row', 2, fc.record({ t: fc.constant('per_row' as const), bin: bin(), data: i32Data() }));
  addT('per_col', 2, fc.record({ t: fc.constant('per_col' as const), bin: bin(), data: i32Data() }));
  addT('q_scale', 2, fc.record({ t: fc.constant('q_scale' as const), shift: qShift(), policy: policy(), mult: i32Value() }));
  addT('rounding_shift_right', 2, fc.record({ t: fc.constant('rounding_shift_right' as const), shift: rsrShift(), policy: policy() }));
  addT('shift_left', 2, fc.record({ t: fc.constant('shift_left' as const), shift: fc.oneof(fc.integer({ min: 0, max: 31 }), fc.constantFrom(0, 1, 31)) }));
  addT('add_unicast', 2, fc.record({ t: fc.constant('add_unicast' as const), item_size: fc.constantFrom(4 as const, 1 as const), layout: fc.constantFrom(...UNICAST_LAYOUTS), data: i32Data() }));
  addT('add_row_col_products', 1, fc.record({ t: fc.constant('add_row_col_products' as const), rows: i32Data(), cols: i32Data() }));
  // a heavy weight and data mostly exact ties: a tie
  // bug needs the right policy (1/6) on a tie, sometimes with a negative mult too
  addT('rounding_block', 5, fc.record({
    t: fc.constant('rounding_block' as const),
    round: fc.constantFrom('rounding_shift_right' as const, 'q_scale' as const),
    shift: fc.integer({ min: 1, max: 31 }),
    policy: policy(),
    multOdd: fc.oneof(fc.constantFrom(1, -1, 3, -3), fc.integer({ min: -(2 ** 15), max: 2 ** 15 }).map((x) => 2 * x + 1)),
    multPow: fc.integer({ min: 0, max: 14 }),
    // rarely false (the seeding op alone); there so a failure that needs only the seeded values
    // shrinks to them without the rounding op
    apply: fc.oneof({ withCrossShrink: true }, { weight: 1, arbitrary: fc.constant(false) }, { weight: 7, arbitrary: fc.constant(true) }),
    data: fc.record({
      // withCrossShrink: a failing tie shrinks to the constant smallest tie when that still fails
      cls: fc.oneof(
        { withCrossShrink: true },
        { weight: 1, arbitrary: fc.constant('tie_unit' as const) },
        { weight: 1, arbitrary: fc.constant('tie_unit_neg' as const) },
        { weight: 3, arbitrary: fc.constant('tie' as const) },
        { weight: 1, arbitrary: fc.constant('near_tie' as const) },
        { weight: 1, arbitrary: fc.constant('edge' as const) },
      ),
      seed: fc.nat(),
    }),
  }));
  return fc.oneof(...pool);
}

/** Expands templates into concrete ops for an m x n accumulator. Appends a final store so every
 *  chain's result is observable. */
export function expandChain(ts: OpTemplate[], level: 'tile' | 'frame', m: number, n: number, supports: (op: Op['op']) => boolean, packings = 1): Op[] {
  const ops: Op[] = [];
  ts.forEach((t, idx) => {
    const salt = `op${idx}`;
    switch (t.t) {
      case 'clear': ops.push({ op: 'clear' }); break;
      case 'add_mat_mul': ops.push(packings > 1 ? { op: 'add_mat_mul', packing: (t.packing ?? 0) % packings } : { op: 'add_mat_mul' }); break;
      case 'load_tile': ops.push({ op: 'load_tile', values: expandI32Matrix(t.data, m, n, salt) }); break;
      case 'scalar': ops.push({ op: 'scalar', bin: t.bin, value: t.value, garbage: t.garbage }); break;
      case 'leaky_relu': ops.push({ op: 'leaky_relu', alpha: t.alpha, garbage: t.garbage }); break;
      case 'per_row': ops.push({ op: 'per_row', bin: t.bin, values: expandI32(t.data, m, salt) }); break;
      case 'per_col': ops.push({ op: 'per_col', bin: t.bin, values: expandI32(t.data, n, salt) }); break;
      case 'q_scale': ops.push({ op: 'q_scale', shift: t.shift, policy: t.policy, mult: t.mult }); break;
      case 'rounding_shift_right': ops.push({ op: 'rounding_shift_right', shift: t.shift, policy: t.policy }); break;
      case 'shift_left': ops.push({ op: 'shift_left', shift: t.shift }); break;
      case 'store': ops.push({ op: 'store', item_size: t.item_size, layout: t.layout }); break;
      case 'add_unicast': ops.push({ op: 'add_unicast', item_size: t.item_size, layout: t.layout, values: unicastValues(t, m, n, salt) }); break;
      case 'add_row_col_products':
        ops.push({ op: 'add_row_col_products', rows: expandI32(t.rows, m, salt + 'r'), cols: expandI32(t.cols, n, salt + 'c') });
        break;
      case 'rounding_block': {
        // The acc ties at s = t.shift. QScale rounds mult*acc at shift+31: with mult = odd * 2^p
        // the product ties at s + p, so the QScale shift field is s + p - 31.
        const values = expandI32Matrix(t.data, m, n, salt, t.shift);
        if (level === 'tile' && supports('load_tile')) ops.push({ op: 'load_tile', values });
        else { ops.push({ op: 'clear' }); ops.push({ op: 'add_unicast', item_size: 4, layout: 'row_major', values }); }
        if (!t.apply) break;
        if (t.round === 'rounding_shift_right') ops.push({ op: 'rounding_shift_right', shift: t.shift, policy: t.policy });
        else ops.push({ op: 'q_scale', shift: t.shift + t.multPow - 31, policy: t.policy, mult: (t.multOdd * 2 ** t.multPow) | 0 });
        break;
      }
    }
  });
  const last = ops[ops.length - 1];
  if (!last || last.op !== 'store') ops.push({ op: 'store', item_size: 4, layout: 'row_major' });
  return ops;
}

/** AddUnicast operand: i8 range for item size 1; broadcast layouts repeat one row/col/value. */
function unicastValues(t: Extract<OpTemplate, { t: 'add_unicast' }>, m: number, n: number, salt: string): number[][] {
  let v = expandI32Matrix(t.data, m, n, salt);
  if (t.item_size === 1) v = v.map((r) => r.map((x) => (x << 24) >> 24));
  if (t.layout === 'broadcast_row') v = v.map(() => v[0].slice());
  if (t.layout === 'broadcast_col') v = v.map((r) => r.map(() => r[0]));
  if (t.layout === 'broadcast') v = v.map((r) => r.map(() => v[0][0]));
  return v;
}

// ---------------------------------------------------------------------------------------------
// Shapes and whole cases.

/** k with every residue mod 4 and mod 16 reachable, shrinking toward 0; k = 0 included. */
export const depth = (maxK = 300): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 9 }) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 64 }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: maxK }) },
  );

/** m (or n) for the frame: 1..3*tile+1 so every border shape occurs, with 1 and exact multiples favoured. */
export const frameDim = (tile: number): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 * tile + 1 }) },
    { weight: 1, arbitrary: fc.constantFrom(1, tile, tile + 1, 2 * tile, tile - 1 || 1, 3 * tile + 1) },
  );

export interface CaseOptions {
  level: 'tile' | 'frame';
  /** ops the chain may use (default: every op the kernel declares) */
  allow?: (op: Op['op']) => boolean;
  maxOps?: number;
  maxK?: number;
}

/** Does the kernel declare this op (every bin, for the Scalar/PerRow/PerCol families)? */
const supportsOf = (kernel: KernelDesc) => {
  const s = new Set(kernel.supported_ops);
  return (op: Op['op']): boolean => declaresOpName(s, op);
};

/** A whole case for a kernel: chain drawn from the ops the kernel declares (and `allow`). */
export function caseFor(kernel: KernelDesc, o: CaseOptions): fc.Arbitrary<Case> {
  const supports = supportsOf(kernel);
  const ok = (op: Op['op']) => supports(op) && (o.allow ? o.allow(op) : true);
  const allowedT = (t: OpTemplate['t']): boolean =>
    t === 'rounding_block' ? (ok('q_scale') || ok('rounding_shift_right')) && (ok('load_tile') || (ok('add_unicast') && ok('clear'))) : TEMPLATE_OPS[t].every(ok);
  // withCrossShrink: a LoadTile head that does not matter shrinks to Clear (and then goes, below)
  const head = o.level === 'tile'
    ? fc.oneof({ withCrossShrink: true }, fc.constant<OpTemplate>({ t: 'clear' }), ...(ok('load_tile') ? [fc.record({ t: fc.constant('load_tile' as const), data: i32Data() }) as fc.Arbitrary<OpTemplate>] : []))
    : fc.constant<OpTemplate | null>(null);
  // the chain's final Store, drawn like any other (every layout; i32 half the time, else i8 / i16)
  // instead of always row-major i32: a layout or item-size bug then shows in every case's result
  const last = fc.record({
    t: fc.constant('store' as const),
    item_size: fc.oneof({ weight: 2, arbitrary: fc.constant(4 as const) }, { weight: 1, arbitrary: fc.constant(1 as const) }, { weight: 1, arbitrary: fc.constant(2 as const) }),
    layout: fc.constantFrom(...LAYOUTS),
  });
  // a Clear head is redundant when the body starts by re-initialising the accumulator (Clear,
  // LoadTile, or a tile-level rounding block, which starts with one): dropped, so shrunk chains
  // are one op shorter. A LoadTile head stays (garbage before Clear / LoadTile is a bias).
  const reinits = (t: OpTemplate | undefined): boolean =>
    t !== undefined && (t.t === 'clear' || t.t === 'load_tile' || (t.t === 'rounding_block' && o.level === 'tile'));
  const dims = o.level === 'tile' ? fc.constant({ m: kernel.mr, n: kernel.nr }) : fc.record({ m: frameDim(kernel.mr), n: frameDim(kernel.nr) });
  return fc
    .record({
      dims,
      k: depth(o.maxK ?? 300),
      a: int8Data(),
      b: int8Data(),
      head,
      body: fc.array(opTemplate(o.level, allowedT), { minLength: 0, maxLength: (o.maxOps ?? 12) - 1 }),
      last: ok('store') ? last : fc.constant(null),
    })
    .map(({ dims: { m, n }, k, a, b, head: h, body, last: st }) => {
      const keepHead = h !== null && !(h.t === 'clear' && reinits(body[0]));
      const ts = [...(keepHead ? [h] : []), ...body, ...(st ? [st] : [])];
      const chain = expandChain(ts, o.level, m, n, ok, kernel.packings.length);
      // the packing a kernel's AddMatMul uses is its first one unless the kernel has several
      const c: Case = { format: 'bitexact-case/1', level: o.level, m, n, k, a: expandA(a, m, k), b: expandB(b, k, n), chain };
      return c;
    });
}

/** Tags the chain uses, for coverage accounting. */
export const chainTags = (c: Case): number[] => c.chain.flatMap((op) => (isRawTag(op) ? [] : [opTag(op)]));
