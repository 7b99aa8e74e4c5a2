// Readable failures: the shrunk case as matrices and chain, the differing cells marked with
// expected vs got in decimal and hex — what a kernel author needs to start debugging.
import type { Case, Op } from '../oracle/types.js';
import { OP_FORMAT, opSpec } from '../oracle/opset.js';
import { cellsOf, expectedOf, type CellDiff, type Verdict } from './verdict.js';
import { hex32 as hex, verdictLine } from './verdict-format.js';

const MAX_DIM = 12;

/** The name of a deterministic case a property runs before its random ones (an edge case:
 *  `k_eq_0`, `m_gt_mr.n_eq_1.k_eq_5`, `raw_tag_29`; a coverage-sweep case: `sweep_3_of_9`) and
 *  the case it was built as. A symbol key, so fixtures and their names ignore it; a shrunk copy
 *  (`{ ...c, chain }`) keeps it. */
export const EDGE_CASE = Symbol('bitexact edge case');
export interface EdgeCaseName { name: string; m: number; n: number; k: number; ops: number }
type Named = Case & { [EDGE_CASE]?: EdgeCaseName };

/** The case, named as the deterministic case `name` (it keeps its shape for the report). */
export function nameEdgeCase<C extends Case>(c: C, name: string): C {
  return Object.assign(c, { [EDGE_CASE]: { name, m: c.m, n: c.n, k: c.k, ops: c.chain.length } });
}

export const edgeCaseOf = (c: Case): EdgeCaseName | undefined => (c as Named)[EDGE_CASE];

/** The line a failure of a named deterministic case prints: the name, and the case it was
 *  built as when shrinking changed it. */
function edgeLine(c: Case): string | undefined {
  const e = edgeCaseOf(c);
  if (!e) return undefined;
  const what = e.name.startsWith('sweep_') ? 'coverage-sweep case' : 'edge case';
  const same = e.m === c.m && e.n === c.n && e.k === c.k && e.ops === c.chain.length;
  return same ? `${what} ${e.name} (deterministic, run before the random cases)`
    : `shrunk from ${what} ${e.name} (m=${e.m} n=${e.n} k=${e.k}, ${e.ops} ops; deterministic, run before the random cases)`;
} // print at most this many rows / columns of a matrix

function fmtMatrix(rows: readonly (readonly number[])[], mark?: (i: number, j: number) => boolean): string {
  if (rows.length === 0 || rows[0].length === 0) return `    (${rows.length} x 0: empty)`;
  const first = rows[0][0];
  if (!mark && rows.every((r) => r.every((v) => v === first))) return `    (${rows.length} x ${rows[0].length}, every element ${first})`;
  const shown = rows.slice(0, MAX_DIM).map((r) => r.slice(0, MAX_DIM));
  const w = Math.max(...shown.flat().map((v) => String(v).length + 1), 2);
  const lines = shown.map((r, i) => '    ' + r.map((v, j) => (mark?.(i, j) ? `*${v}` : String(v)).padStart(w)).join(' ') + (rows[i].length > MAX_DIM ? ' ...' : ''));
  if (rows.length > MAX_DIM) lines.push(`    ... (${rows.length} rows)`);
  return lines.join('\n');
}

const vec = (v: readonly number[]): string => `[${v.slice(0, MAX_DIM * 2).join(', ')}${v.length > MAX_DIM * 2 ? ', ...' : ''}]`;

/** One chain line: the op's fields as oracle/opset.ts OP_FORMAT prints them, then its
 *  matrix fields below it. */
export function fmtOp(op: Op, i: number): string {
  const p = `  ${String(i).padStart(2)}: `;
  const f = op as unknown as Record<string, unknown>;
  const line = (OP_FORMAT[op.op] as (o: Op, v: typeof vec) => string)(op, vec);
  const mats = Object.entries(opSpec(op.op).fields).filter(([, s]) => s.kind === 'mat').map(([k]) => `\n${fmtMatrix(f[k] as number[][])}`);
  return `${p}${op.op}${line}${mats.join('')}`;
}

export function fmtCase(c: Case): string {
  const nz = (x: number[][]) => x.flat().filter((v) => v !== 0).length;
  return [
    `${c.level} case m=${c.m} n=${c.n} k=${c.k} (${c.chain.length} ops; non-zero inputs: A ${nz(c.a)}, B ${nz(c.b)})`,
    `  A (m x k):`, fmtMatrix(c.a),
    `  B (k x n):`, fmtMatrix(c.b),
    `  chain:`, ...c.chain.map(fmtOp),
  ].join('\n');
}


/** Cells listed per store, and stores listed per failure. */
const MAX_CELLS = 8;
const MAX_STORES = 4;

/** Each differing store under its own header, in chain order: its expected values with the
 *  differing cells marked '*', then up to MAX_CELLS of its cells in decimal and hex. */
export function fmtCells(c: Case, cells: CellDiff[], expectedStores: number[][][] | undefined): string {
  const stores = [...new Set(cells.map((d) => d.store))].sort((x, y) => x - y);
  const lines: string[] = [];
  for (const store of stores.slice(0, MAX_STORES)) {
    const mine = cells.filter((d) => d.store === store);
    lines.push(`  differing cells of store #${store}${storeWhere(c, store)} (expected; * = differs):`);
    const diff = new Set(mine.map((d) => `${d.i},${d.j}`));
    const exp = expectedStores?.[store];
    if (exp) lines.push(fmtMatrix(exp, (i, j) => diff.has(`${i},${j}`)));
    for (const d of mine.slice(0, MAX_CELLS)) lines.push(`    [${d.i}][${d.j}] expected ${d.expected} (${hex(d.expected)}) got ${d.got} (${hex(d.got)})`);
    if (mine.length > MAX_CELLS) lines.push(`    ... ${mine.length - MAX_CELLS} more in store #${store}`);
  }
  if (stores.length > MAX_STORES) lines.push(`  ... ${stores.length - MAX_STORES} more store(s) differ (#${stores.slice(MAX_STORES).join(', #')})`);
  return lines.join('\n');
}

/** Where store #n is in the chain (its op index), when the chain has it. */
function storeWhere(c: Case, n: number): string {
  let seen = -1;
  const at = c.chain.findIndex((op) => op.op === 'store' && ++seen === n);
  return at >= 0 ? ` (chain[${at}])` : '';
}

export function fmtFailure(kernel: string, c: Case, v: Verdict): string {
  const edge = edgeLine(c);
  const parts = [`${kernel}: ${verdictLine(v)}`, ...(edge ? [edge] : []), fmtCase(c)];
  const cells = cellsOf(v);
  if (cells?.length) parts.push(fmtCells(c, cells, expectedOf(v)?.stores));
  return parts.join('\n');
}
