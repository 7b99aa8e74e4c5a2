// How a tile-level chain sets the accumulator to chosen i32 values, from the ops a kernel
// declares: a whole matrix (LoadTile, or Clear + an i32 AddUnicast), or one value everywhere
// (Clear + a Scalar / PerRow / PerCol add, or AddRowColProducts with unit columns). The
// coverage sweep seeds ties and extremes this way; semantic.ts requires the cells that need a
// chosen value (a tie, i32::MIN) only of kernels that can seed one.
import type { Op } from '../oracle/types.js';
import { OP_TAGS, type OpName } from '../oracle/opset.js';

export interface Seeder {
  /** ops that leave the m x n accumulator equal to `values` (absent: only uniform seeding) */
  matrix?: (values: number[][]) => Op[];
  /** ops that leave every element equal to v */
  uniform: (v: number, m: number, n: number) => Op[];
}

const fill = (len: number, v: number): number[] => new Array<number>(len).fill(v);

/** Seeding ops in preference order (each needs its op declared; Clear is always declared). */
const SEEDERS: { op: OpName; seeder: Seeder }[] = [
  { op: 'load_tile', seeder: { matrix: (values) => [{ op: 'load_tile', values }], uniform: (v, m, n) => [{ op: 'load_tile', values: Array.from({ length: m }, () => fill(n, v)) }] } },
  {
    op: 'add_unicast',
    seeder: {
      matrix: (values) => [{ op: 'clear' }, { op: 'add_unicast', item_size: 4, layout: 'row_major', values }],
      uniform: (v, m, n) => [{ op: 'clear' }, { op: 'add_unicast', item_size: 4, layout: 'row_major', values: Array.from({ length: m }, () => fill(n, v)) }],
    },
  },
  { op: 'scalar', seeder: { uniform: (v) => [{ op: 'clear' }, { op: 'scalar', bin: 'add', value: v }] } },
  { op: 'per_row', seeder: { uniform: (v, m) => [{ op: 'clear' }, { op: 'per_row', bin: 'add', values: fill(m, v) }] } },
  { op: 'per_col', seeder: { uniform: (v, _m, n) => [{ op: 'clear' }, { op: 'per_col', bin: 'add', values: fill(n, v) }] } },
  { op: 'add_row_col_products', seeder: { uniform: (v, m, n) => [{ op: 'clear' }, { op: 'add_row_col_products', rows: fill(m, v), cols: fill(n, 1) }] } },
];

/** The best way this kernel's tile chains can seed values, or null (it declares no seeding op). */
export function seederOf(k: { supported_ops: readonly number[] }): Seeder | null {
  const ok = new Set(k.supported_ops);
  const has = (op: OpName) => OP_TAGS[op].every((t) => ok.has(t));
  const found = SEEDERS.filter((s) => has(s.op));
  if (!found.length) return null;
  const matrix = found.find((s) => s.seeder.matrix)?.seeder.matrix;
  return matrix ? { matrix, uniform: found[0].seeder.uniform } : found[0].seeder;
}
