// The in-memory form of a chain and a case (docs/semantics.md and docs/formats.md). Shared by the oracle,
// the case reader/writer, the generators and the native encoders: one vocabulary everywhere.
// Every integer is a JS number holding an exact i32 (or a small shift / size), except a raw
// tag: a u64 kept as its canonical decimal string (JSON- and structuredClone-safe, exact past
// 2^53), so bigint is used only inside the oracle's arithmetic and the encoder.

export const BINS = ['min', 'max', 'add', 'mul', 'sub', 'sub_f'] as const;
export type Bin = (typeof BINS)[number];

/** Rounding policies valid for i32 (Native = 0 is never valid). Code = index + 1. */
export const POLICIES = ['zero', 'away', 'minus_inf', 'plus_inf', 'even', 'odd'] as const;
export type Policy = (typeof POLICIES)[number];
export const policyCode = (p: Policy): number => POLICIES.indexOf(p) + 1;

/** Memory layouts of an m x n Store / AddUnicast operand (see properties/layout.ts). */
export const LAYOUTS = ['row_major', 'col_major', 'strided', 'reversed'] as const;
export type Layout = (typeof LAYOUTS)[number];
/** AddUnicast may also broadcast through zero strides (SPEC: zero strides are AddUnicast only). */
export const UNICAST_LAYOUTS = [...LAYOUTS, 'broadcast_row', 'broadcast_col', 'broadcast'] as const;
export type UnicastLayout = (typeof UNICAST_LAYOUTS)[number];

export type Op =
  | { op: 'clear' }
  /** tile level only: acc[i][j] = values[i][j] */
  | { op: 'load_tile'; values: number[][] }
  /** garbage: the u32 placed in the undefined bytes 12..15 of the entry (default 0) */
  | { op: 'scalar'; bin: Bin; value: number; garbage?: number }
  | { op: 'leaky_relu'; alpha: number; garbage?: number }
  | { op: 'per_row'; bin: Bin; values: number[] }
  | { op: 'per_col'; bin: Bin; values: number[] }
  | { op: 'q_scale'; shift: number; policy: Policy; mult: number }
  | { op: 'rounding_shift_right'; shift: number; policy: Policy }
  | { op: 'shift_left'; shift: number }
  /** values: m x n; with a broadcast layout, the repeated rows/cols must be equal */
  | { op: 'add_unicast'; values: number[][]; item_size: 1 | 4; layout?: UnicastLayout }
  | { op: 'add_row_col_products'; rows: number[]; cols: number[] }
  | { op: 'store'; item_size: 1 | 2 | 4; layout?: Layout }
  /** uses the case's a (m x k) and b (k x n); packing: index in the kernel's packings (default 0) */
  | { op: 'add_mat_mul'; packing?: number }
  /** tile level only: an entry whose tag is no op of the ABI (tag: canonical decimal u64,
   *  >= the tag count); the kernel must return 1 there, nothing after it runs */
  | { op: 'raw_tag'; tag: string };

export type OpName = Op['op'];

export const PRIOR_VARIANTS = ['all_bytes', 'interior_bytes', 'new_addresses'] as const;
export type PriorVariant = (typeof PRIOR_VARIANTS)[number];

export interface Case {
  format: 'bitexact-case/1';
  /** frame: the chain runs on a cleared m x n accumulator. tile: m = mr, n = nr of the kernel,
   *  the chain must start with clear or load_tile (the accumulator is undefined at entry). */
  level: 'frame' | 'tile';
  m: number;
  n: number;
  k: number;
  /** row-major m x k, int8 */
  a: number[][];
  /** row-major k x n, int8 */
  b: number[][];
  chain: Op[];
  /** optional: the content written by the last store, signed (sign-extended from item_size) */
  expect?: number[][];
  /** tile level: call the kernel once before this case (PRIOR_VARIANTS, properties/stale.ts):
   *  at the same buffer and chain addresses on contents derived from it (every content byte
   *  changed, or only interior ones), or on the same contents at other addresses; the second
   *  call is judged (docs/abi.md: no state) */
  prior?: PriorVariant;
  /** optional provenance: which kernel failed, with which seed/path, free-form note */
  kernel?: string;
  seed?: string;
  note?: string;
}

/** Result of evaluating a chain: every Store's m x n values (signed, after truncation) and the final accumulator. */
export interface EvalResult {
  stores: number[][][];
  acc: number[][];
}
