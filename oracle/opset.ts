// The op vocabulary, declared once (docs/semantics.md, abi.md, frame.md, formats.md): per op its ABI tag(s), case name
// and fields with their domain, how the fields sit in the four payload words of a
// FusedKerSpec entry, the level it exists at, how the frame hands it to a tile, and the
// semantic-coverage cells a kernel declaring it must see. Everything that lists ops (tag
// enum and name tables in C and TS, the case schema and its JSON Schema, the domain check,
// the encoder, the generator templates, the coverage cells, the report lines) derives from
// OPSET. The meaning of each op stays hand-written in oracle/ops.ts, the kernels and
// oracle/fast.ts; the compile-time check at the bottom keeps oracle/types.ts's Op in step.
import { BINS, LAYOUTS, POLICIES, UNICAST_LAYOUTS } from './types.js';
import type { Bin, Layout, Op, Policy, UnicastLayout } from './types.js';

export const I32_MIN = -2147483648;
export const I32_MAX = 2147483647;
export const U32_MAX = 4294967295;

/** An integer domain lo..hi (hi = Number.MAX_SAFE_INTEGER: unbounded), or a set of values. */
export type IntDomain =
  | { range: readonly [number, number]; note?: string }
  | { oneOf: readonly number[] };

export type FieldSpec =
  | { kind: 'int'; required: boolean; domain: IntDomain; doc: string }
  | { kind: 'bin' | 'policy' | 'layout' | 'ulayout'; required: boolean; doc: string }
  /** len: the case dimension the vector spans */
  | { kind: 'vec'; required: true; len: 'm' | 'n'; doc: string }
  /** m x n; elements i32, or in the signed range of the op's item_size */
  | { kind: 'mat'; required: true; elem: 'i32' | 'item_size'; doc: string }
  /** a u64 entry tag that is no op of the ABI: TAG_COUNT..RAW_TAG_MAX (decimal string in memory) */
  | { kind: 'tag'; required: true; doc: string };

/** One payload word (8 bytes at entry offset 8 + 8 * index). */
export type WordSpec =
  /** the i32 field in the low half; high half (undefined bytes): the op's `garbage` field
   *  (default 0), or generator garbage ('unused') */
  | { w: 'i32'; field: string; hi: 'garbage' | 'unused' }
  /** the integer field verbatim (a missing optional field: 0) */
  | { w: 'imm'; field: string }
  /** the policy field as its code (SPEC: Native = 0 is never valid) */
  | { w: 'policy'; field: string }
  /** pointer to a fresh i32 buffer with the vector field (name: what messages call it) */
  | { w: 'i32_vec'; field: string; name: string }
  /** pointer to an i32 copy of the m x n field, column- or row-major */
  | { w: 'i32_tile'; field: string; order: 'col_major' | 'row_major' }
  /** bx_output_store (4 words): element (0, 0), row / column byte strides, item_size, over a
   *  buffer laid out by the op's layout; 'operand' holds the values field, 'output' is filled by the kernel */
  | { w: 'strided'; role: 'operand' | 'output' }
  /** bx add_mat_mul (4 words): k, packed A, packed B, packing index */
  | { w: 'matmul' };

/** What the C frame hands a tile for this op (docs/frame.md, native/frame/frame.c). */
export type FrameHandling =
  | 'passthrough'        // the entry verbatim, payload garbage included
  | 'reset'              // resets the accumulator; tile level only where it needs the tile's data
  | 'pad_row_vector'     // the tile's mr rows copied, zero-padded past the border
  | 'pad_col_vector'     // the tile's nr columns copied, zero-padded
  | 'pad_row_col'        // both of the above
  | 'scratch_tile'       // full tiles: the caller's pointer and strides; border tiles: a zeroed scratch tile
  | 'store_scratch'      // full tiles: the caller's pointer; border tiles: a scratch tile cropped on copy-out
  | 'pack_panels'        // A / B packed once per packing, each tile gets its panels
  | 'tile_only';         // not a frame-level op

export interface OpSpec {
  /** first ABI tag; families take one tag per bin, in BINS order. 'field': the op has no ABI
   *  tag, the entry's tag is its `tag` field (raw tags: no kernel can declare them) */
  tag: number | 'field';
  family?: true;
  /** the one-line meaning, for generated headers and the schema */
  doc: string;
  level: 'tile' | 'both';
  /** every kernel must implement it (BX_OPS_REQUIRED) */
  required?: true;
  /** fields in the order the case writer emits them */
  fields: Readonly<Record<string, FieldSpec>>;
  words: readonly WordSpec[];
  frame: FrameHandling;
  /** ABI version that introduced it (BX_OPS_V1 = the tags of version 1, frozen); null: no op
   *  of any ABI version (in no tag set, never declared) */
  abi: 1 | null;
}

const i32 = (doc: string) =>
  ({ kind: 'int', required: true, domain: { range: [I32_MIN, I32_MAX], note: 'i32' }, doc }) as const satisfies FieldSpec;
const garbage = {
  kind: 'int', required: false, domain: { range: [0, U32_MAX], note: 'u32 placed in bytes 12..15' },
  doc: 'the u32 placed in the undefined bytes 12..15 of the entry (default 0)',
} as const satisfies FieldSpec;
const bin = { kind: 'bin', required: true, doc: 'binary op: min, max, add, mul, sub (x - acc), sub_f (acc - x)' } as const satisfies FieldSpec;
const policy = { kind: 'policy', required: true, doc: 'rounding policy for ties' } as const satisfies FieldSpec;
const shift = (lo: number, hi: number, doc: string, note?: string) =>
  ({ kind: 'int', required: true, domain: note ? { range: [lo, hi], note } : { range: [lo, hi] }, doc }) as const satisfies FieldSpec;

/** The ops of the case format, in tag order. */
export const OPSET = {
  clear: { tag: 1, abi: 1, level: 'both', required: true, doc: 'acc = 0', fields: {}, words: [], frame: 'reset' },
  load_tile: {
    tag: 2, abi: 1, level: 'tile', doc: 'acc[i][j] = values[i][j]',
    fields: { values: { kind: 'mat', required: true, elem: 'i32', doc: 'm x n i32' } },
    words: [{ w: 'i32_tile', field: 'values', order: 'col_major' }, { w: 'i32_tile', field: 'values', order: 'row_major' }],
    frame: 'tile_only',
  },
  scalar: {
    tag: 3, family: true, abi: 1, level: 'both', doc: 'acc = bin(value, acc)',
    fields: { bin, value: i32('the scalar operand'), garbage },
    words: [{ w: 'i32', field: 'value', hi: 'garbage' }], frame: 'passthrough',
  },
  leaky_relu: {
    tag: 9, abi: 1, level: 'both', doc: 'acc = acc >= 0 ? acc : wrap32(acc * alpha)',
    fields: { alpha: i32('the negative-side multiplier'), garbage },
    words: [{ w: 'i32', field: 'alpha', hi: 'garbage' }], frame: 'passthrough',
  },
  per_row: {
    tag: 10, family: true, abi: 1, level: 'both', doc: 'acc[i][j] = bin(values[i], acc[i][j])',
    fields: { bin, values: { kind: 'vec', required: true, len: 'm', doc: 'm i32 values, one per row' } },
    words: [{ w: 'i32_vec', field: 'values', name: 'per_row values' }], frame: 'pad_row_vector',
  },
  per_col: {
    tag: 16, family: true, abi: 1, level: 'both', doc: 'acc[i][j] = bin(values[j], acc[i][j])',
    fields: { bin, values: { kind: 'vec', required: true, len: 'n', doc: 'n i32 values, one per column' } },
    words: [{ w: 'i32_vec', field: 'values', name: 'per_col values' }], frame: 'pad_col_vector',
  },
  q_scale: {
    tag: 22, abi: 1, level: 'both', doc: 'acc = wrap32(round(acc * mult, shift + 31, policy))',
    fields: { shift: shift(-31, 32, 'the rounding shift is shift + 31', 'shift+31 in 0..63'), policy, mult: i32('the multiplier') },
    words: [{ w: 'imm', field: 'shift' }, { w: 'policy', field: 'policy' }, { w: 'i32', field: 'mult', hi: 'unused' }],
    frame: 'passthrough',
  },
  rounding_shift_right: {
    tag: 23, abi: 1, level: 'both', doc: 'acc = round(acc, shift, policy)',
    fields: { shift: shift(1, 31, 'right shift'), policy },
    words: [{ w: 'imm', field: 'shift' }, { w: 'policy', field: 'policy' }], frame: 'passthrough',
  },
  shift_left: {
    tag: 24, abi: 1, level: 'both', doc: 'acc = wrap32(acc << shift)',
    fields: { shift: shift(0, 31, 'left shift') },
    words: [{ w: 'imm', field: 'shift' }], frame: 'passthrough',
  },
  add_unicast: {
    tag: 25, abi: 1, level: 'both', doc: 'acc[i][j] = wrap32(acc[i][j] + values[i][j]) (i8 sign-extended or i32)',
    fields: {
      item_size: { kind: 'int', required: true, domain: { oneOf: [1, 4] }, doc: '1: i8, 4: i32' },
      layout: { kind: 'ulayout', required: false, doc: 'memory layout of the operand (default row_major)' },
      values: { kind: 'mat', required: true, elem: 'item_size', doc: 'm x n, in the range of item_size' },
    },
    words: [{ w: 'strided', role: 'operand' }], frame: 'scratch_tile',
  },
  add_row_col_products: {
    tag: 26, abi: 1, level: 'both', doc: 'acc[i][j] = wrap32(acc[i][j] + rows[i] * cols[j])',
    fields: {
      rows: { kind: 'vec', required: true, len: 'm', doc: 'm i32 values' },
      cols: { kind: 'vec', required: true, len: 'n', doc: 'n i32 values' },
    },
    words: [{ w: 'i32_vec', field: 'rows', name: 'rows' }, { w: 'i32_vec', field: 'cols', name: 'cols' }], frame: 'pad_row_col',
  },
  store: {
    tag: 27, abi: 1, level: 'both', required: true, doc: 'output[i][j] = acc[i][j] truncated to item_size bytes',
    fields: {
      item_size: { kind: 'int', required: true, domain: { oneOf: [1, 2, 4] }, doc: 'bytes per element (truncation)' },
      layout: { kind: 'layout', required: false, doc: 'memory layout of the output (default row_major)' },
    },
    words: [{ w: 'strided', role: 'output' }], frame: 'store_scratch',
  },
  add_mat_mul: {
    tag: 28, abi: 1, level: 'both', required: true, doc: 'acc = wrap32(acc + A x B) over the case\'s a (m x k) and b (k x n)',
    fields: {
      packing: { kind: 'int', required: false, domain: { range: [0, Number.MAX_SAFE_INTEGER], note: 'an index into the kernel\'s packings' }, doc: 'index in the kernel\'s packings (default 0)' },
    },
    words: [{ w: 'matmul' }], frame: 'pack_panels',
  },
  // The probe of refusal: an entry a kernel cannot know, whatever it declares. Its payload
  // words are all garbage (the kernel must not read them before refusing).
  raw_tag: {
    tag: 'field', abi: null, level: 'tile', doc: 'no op: the kernel must return 1 here, nothing after it runs',
    fields: { tag: { kind: 'tag', required: true, doc: 'the entry\'s u64 tag, beyond every ABI tag (decimal string past 2^53)' } },
    words: [], frame: 'tile_only',
  },
} as const satisfies Record<string, OpSpec>;

export type OpName = keyof typeof OPSET;
export const OP_NAMES = Object.keys(OPSET) as OpName[];
export const opSpec = (name: OpName): OpSpec => OPSET[name];

/** What bin(x, acc) computes, per bin (the families' per-tag docs). */
export const BIN_DOC: Record<Bin, string> = {
  min: 'min(x, acc)', max: 'max(x, acc)', add: 'wrap32(x + acc)', mul: 'wrap32(x * acc)', sub: 'wrap32(x - acc)', sub_f: 'wrap32(acc - x)',
};

/** Tag 0 ends a chain; it is no case op. */
export const DONE_TAG = 0;

export interface TagInfo {
  tag: number;
  /** snake-case tag name: the op name, plus _<bin> in a family */
  name: string;
  op: OpName | 'done';
  bin?: Bin;
}

/** Every tag, by tag number (contiguous from 0). */
export const TAGS: readonly TagInfo[] = (() => {
  const out: TagInfo[] = [{ tag: DONE_TAG, name: 'done', op: 'done' }];
  for (const name of OP_NAMES) {
    const s = opSpec(name);
    const first = s.tag;
    if (first === 'field') continue;
    const names = s.family ? BINS.map((b) => ({ name: `${name}_${b}`, bin: b as Bin })) : [{ name, bin: undefined }];
    names.forEach((x, i) => {
      if (first + i !== out.length) throw new Error(`opset: ${x.name} has tag ${first + i}, expected ${out.length} (tags must be contiguous)`);
      out.push(x.bin === undefined ? { tag: first + i, name: x.name, op: name } : { tag: first + i, name: x.name, op: name, bin: x.bin });
    });
  }
  return out;
})();

export const TAG_COUNT = TAGS.length;
/** The largest raw tag: the ABI's tag is a 64-bit usize. */
export const RAW_TAG_MAX = (1n << 64n) - 1n;
/** Name of a tag ("scalar_sub_f"); unknown tags: "tag<N>". */
export const tagName = (tag: number): string => TAGS[tag]?.name ?? `tag${tag}`;

/** Every tag name: the op name, or <op>_<bin> in a family. */
export type TagName = 'done' | { [N in OpName]: (typeof OPSET)[N] extends { tag: 'field' } ? never : (typeof OPSET)[N] extends { family: true } ? `${N}_${Bin}` : N }[OpName];

/** Tag by name (`TAG.scalar_add`, `TAG.store`). */
export const TAG = Object.fromEntries(TAGS.map((t) => [t.name, t.tag])) as Readonly<Record<TagName, number>>;

/** Every ABI tag an op name can take (a family: one per bin; raw_tag: none). */
export const OP_TAGS: Record<OpName, number[]> = Object.fromEntries(
  OP_NAMES.map((n) => {
    const t = opSpec(n).tag;
    return [n, t === 'field' ? [] : opSpec(n).family ? BINS.map((_, i) => t + i) : [t]];
  }),
) as Record<OpName, number[]>;

export type RawTagOp = Extract<Op, { op: 'raw_tag' }>;
/** An op of the ABI (one with a tag of TAGS). */
export type AbiOp = Exclude<Op, RawTagOp>;
export const isRawTag = (op: Op): op is RawTagOp => opSpec(op.op).tag === 'field';

/** The kernel ABI tag of an op (docs/semantics.md table). */
export function opTag(op: AbiOp): number {
  const t = opSpec(op.op).tag as number;
  return opSpec(op.op).family ? t + BINS.indexOf((op as { bin: Bin }).bin) : t;
}

/** The u64 an entry carries as its tag: the op's ABI tag, or a raw tag's value. */
export const entryTag = (op: Op): bigint => (isRawTag(op) ? BigInt(op.tag) : BigInt(opTag(op)));

/** A kernel declaring `tags` implements this op (a raw tag: never, whatever it declares). */
export const declaresOp = (tags: ReadonlySet<number>, op: Op): boolean => !isRawTag(op) && tags.has(opTag(op));
/** ... every tag of this op name (a family: every bin; raw_tag: never). */
export const declaresOpName = (tags: ReadonlySet<number>, name: OpName): boolean =>
  OP_TAGS[name].length > 0 && OP_TAGS[name].every((t) => tags.has(t));

/** The tags of ABI version 1, frozen: descriptors written for v1 claim exactly these
 *  (a later op is never claimed by a kernel that has not heard of it). */
export const OPS_V1_MASK = 0x1fffffffn;
export const abiTags = (abi: number): number[] =>
  TAGS.filter((t) => t.op === 'done' || opSpec(t.op).abi === abi).map((t) => t.tag);

/** Why a raw tag's value is outside its domain, or null (the one rule the validator and
 *  the generators share). */
export function rawTagProblem(v: string): string | null {
  if (!/^(0|[1-9][0-9]*)$/.test(v)) return 'not a canonical non-negative decimal';
  const t = BigInt(v);
  if (t < BigInt(TAG_COUNT)) return `tag ${v} is the ABI's ${tagName(Number(t))}`;
  if (t > RAW_TAG_MAX) return 'beyond 2^64 - 1';
  return null;
}

/** Fields of an op in writer order, and the required ones. */
export const fieldNames = (name: OpName): string[] => Object.keys(opSpec(name).fields);
export const requiredFields = (name: OpName): string[] =>
  Object.entries(opSpec(name).fields).filter(([, f]) => f.required).map(([k]) => k);

/** The enum values of an enum-kinded field. */
export const ENUM_VALUES = { bin: BINS, policy: POLICIES, layout: LAYOUTS, ulayout: UNICAST_LAYOUTS } as const;

// ---- coverage cells --------------------------------------------------------------------------

const rounding = (name: string): string[] =>
  [...POLICIES.flatMap((p) => [`${name}.${p}.tie`, `${name}.${p}.nontie`]), `${name}.in.i32min`, `${name}.in.i32max`];

/** The semantic-coverage cells a kernel declaring the op must see exercised
 *  (coverage/semantic.ts records them). */
export const OP_CELLS: Record<OpName, readonly string[]> = {
  clear: ['op.clear'],
  load_tile: ['op.load_tile'],
  scalar: BINS.map((b) => `op.scalar.${b}`),
  leaky_relu: ['op.leaky_relu', 'leaky_relu.alpha0', 'leaky_relu.alpha_neg'],
  per_row: BINS.map((b) => `op.per_row.${b}`),
  per_col: BINS.map((b) => `op.per_col.${b}`),
  q_scale: [...rounding('q_scale'), 'q_scale.neg_mult.tie'],
  rounding_shift_right: rounding('rsr'),
  shift_left: ['op.shift_left'],
  add_unicast: UNICAST_LAYOUTS.flatMap((l) => [1, 4].map((s) => `add_unicast.${l}.i${s * 8}`)),
  add_row_col_products: ['op.add_row_col_products'],
  store: ['op.store', ...LAYOUTS.flatMap((l) => [1, 2, 4].map((s) => `store.${l}.i${s * 8}`))],
  add_mat_mul: ['op.add_mat_mul'],
  raw_tag: [],
};

// ---- report formatting -----------------------------------------------------------------------

/** How a report prints each op's fields after its name (matrices are printed by the caller). */
export const OP_FORMAT: { [N in OpName]: (op: Extract<Op, { op: N }>, vec: (v: readonly number[]) => string) => string } = {
  clear: () => '',
  load_tile: () => '',
  scalar: (o) => ` ${o.bin} ${o.value}${o.garbage ? ` (garbage hi 0x${(o.garbage >>> 0).toString(16)})` : ''}`,
  leaky_relu: (o) => ` alpha=${o.alpha}`,
  per_row: (o, vec) => ` ${o.bin} ${vec(o.values)}`,
  per_col: (o, vec) => ` ${o.bin} ${vec(o.values)}`,
  q_scale: (o) => ` shift=${o.shift} (s=${o.shift + 31}) policy=${o.policy} mult=${o.mult}`,
  rounding_shift_right: (o) => ` shift=${o.shift} policy=${o.policy}`,
  shift_left: (o) => ` ${o.shift}`,
  add_unicast: (o) => ` i${o.item_size * 8} ${o.layout ?? 'row_major'}`,
  add_row_col_products: (o, vec) => ` rows=${vec(o.rows)} cols=${vec(o.cols)}`,
  store: (o) => ` item_size=${o.item_size} ${o.layout ?? 'row_major'}`,
  add_mat_mul: () => '',
  raw_tag: (o) => ` ${o.tag}${BigInt(o.tag) >= 1n << 32n ? ` (0x${BigInt(o.tag).toString(16)})` : ''}`,
};

// ---- the table agrees with oracle/types.ts's Op ----------------------------------------------

type KindType<F> =
  F extends { kind: 'int'; domain: { oneOf: readonly (infer V)[] } } ? V
  : F extends { kind: 'int' } ? number
  : F extends { kind: 'bin' } ? Bin
  : F extends { kind: 'policy' } ? Policy
  : F extends { kind: 'layout' } ? Layout
  : F extends { kind: 'ulayout' } ? UnicastLayout
  : F extends { kind: 'vec' } ? number[]
  : F extends { kind: 'mat' } ? number[][]
  : F extends { kind: 'tag' } ? string
  : never;
type Simplify<T> = T extends unknown ? { -readonly [K in keyof T]: T[K] } : never;
type OpOf<N extends OpName, Fs = (typeof OPSET)[N]['fields']> = Simplify<
  { op: N }
  & { [K in keyof Fs as Fs[K] extends { required: true } ? K : never]: KindType<Fs[K]> }
  & { [K in keyof Fs as Fs[K] extends { required: true } ? never : K]?: KindType<Fs[K]> }>;
/** The Op union as the table declares it. */
export type TableOp = { [N in OpName]: OpOf<N> }[OpName];
/** Mutual assignability, op by op (a missing, extra, optional or differently typed field fails). */
type Same<X, Y> = [X] extends [Y] ? ([Y] extends [X] ? ([keyof X] extends [keyof Y] ? ([keyof Y] extends [keyof X] ? true : false) : false) : false) : false;
type Agree = { [N in OpName]: Same<Extract<Op, { op: N }>, Extract<TableOp, { op: N }>> } & { names: Same<Op['op'], OpName> };
// A compile error here: oracle/types.ts's Op and OPSET disagree on an op or a field.
const opUnionMatchesTable: Agree = { ...Object.fromEntries(OP_NAMES.map((n) => [n, true])), names: true } as { [N in OpName]: true } & { names: true };
void opUnionMatchesTable;
