// Stale state (docs/abi.md: a kernel keeps no state from one call to the next). A case with
// `prior` is run as two kernel calls in one executor request: all_bytes / interior_bytes at the
// same buffer and chain addresses (PROTOCOL.md PRIOR), first on contents derived from the case
// here, then on the case's own contents, which are judged; new_addresses first on the case's
// own contents at other addresses, which the executor bit-flips after that call (PRIOR with
// MOVED). A kernel that caches anything by address (a packed panel, a product) and reuses it
// when the address comes back returns the first call's result; one that keys a cache by
// content but keeps the pointer it saw (reads through it on a hit) reads the flipped bytes.
import { PRIOR_VARIANTS, type Case, type Op, type PriorVariant } from '../oracle/types.js';

const flip = (v: number): number => ~v; // every bit: a new value in the same i8 / i32 range
const flipIf = (keep: (i: number) => boolean) => (v: number, i: number): number => (keep(i) ? v : flip(v));
const inner = (len: number, edge: number) => (i: number): boolean => i < edge || i >= len - edge;

/** The earlier call's case: the same shapes, chain and scalar words, new buffer contents.
 *  all_bytes: every value of A, B and every vector / tile operand bit-flipped (every content
 *  byte differs). interior_bytes: only values away from the start and the end of their buffer
 *  (A and B at depth 4..k-5, vectors past their first and before their last value; tile
 *  operands kept), so a cache keyed by address plus a few edge bytes still hits.
 *  new_addresses: the same contents (the addresses differ). */
export function priorCase(c: Case): Case {
  if (c.prior === 'new_addresses') return { ...c, prior: undefined };
  const all = c.prior === 'all_bytes';
  const kKeep = all ? () => false : inner(c.k, 4);
  const vec = (v: number[]): number[] => v.map(flipIf(all ? () => false : inner(v.length, 1)));
  const mat = (v: number[][]): number[][] => (all ? v.map((r) => r.map(flip)) : v);
  const chain = c.chain.map((op): Op => {
    switch (op.op) {
      case 'load_tile': return { ...op, values: mat(op.values) };
      case 'add_unicast': return { ...op, values: mat(op.values) };
      case 'per_row': case 'per_col': return { ...op, values: vec(op.values) };
      case 'add_row_col_products': return { ...op, rows: vec(op.rows), cols: vec(op.cols) };
      default: return op;
    }
  });
  const { prior: _p, ...rest } = c;
  return {
    ...rest, chain,
    a: c.a.map((r) => r.map(flipIf(kKeep))),
    b: c.b.map((r, kk) => (kKeep(kk) ? r : r.map(flip))),
  };
}

/** The executor options of a case with `prior` (native/wire.ts ExecRequest). */
export const priorRequest = (c: Case): { moved?: true } => (c.prior === 'new_addresses' ? { moved: true } : {});

/** The stale-state words of a failure (verdict.stale). */
export function staleText(s: { prior: PriorVariant; call: 1 | 2; firstResult: boolean }): string {
  if (s.prior === 'new_addresses') {
    const first = 'first call on the same contents at other addresses, changed after it';
    if (s.call === 1) return `stale state: the first of two calls on the same contents (at other addresses) returned a wrong result, and its contents alone pass (${first})`;
    return `stale state: the second call on the same contents, at new addresses, returned a wrong result (${first}, was right)`;
  }
  const first = `first call on ${s.prior === 'all_bytes' ? 'other contents in every byte' : 'other interior bytes'}`;
  if (s.call === 1) return `stale state: the first of two calls at the same addresses returned ${s.firstResult ? "the second call's result (kept from an earlier request at these addresses)" : 'a wrong result, and its contents alone pass'} (${first})`;
  return `stale state: the second call at the same addresses returned ${s.firstResult ? "the first call's result" : 'a wrong result'} (${first}${s.firstResult ? '' : '; this case alone passes'})`;
}

/** The deterministic cases the stale property runs first, one per variant and chain: an
 *  AddMatMul over non-zero operands at an unaligned depth (so every variant changes what a
 *  kept product or panel would give), alone and, when the kernel declares them, followed by
 *  per-col and row-col vector ops. `declared(ops)`: the kernel declares these ops. */
export function staleEdges(mr: number, nr: number, declared: (ops: Op['op'][]) => boolean): Case[] {
  const k = 9;
  const a = Array.from({ length: mr }, (_, i) => Array.from({ length: k }, (_x, kk) => ((i * 7 + kk * 13 + 1) % 255) - 127));
  const b = Array.from({ length: k }, (_, kk) => Array.from({ length: nr }, (_x, j) => ((kk * 11 + j * 5 + 3) % 255) - 127));
  const vec = (len: number, s: number): number[] => Array.from({ length: len }, (_, i) => (i + 1) * s);
  const chains: Op[][] = [[{ op: 'clear' }, { op: 'add_mat_mul' }, { op: 'store', item_size: 4 }]];
  if (declared(['per_col', 'add_row_col_products'])) {
    chains.push([{ op: 'clear' }, { op: 'add_mat_mul' }, { op: 'per_col', bin: 'add', values: vec(nr, 1000) },
      { op: 'add_row_col_products', rows: vec(mr, 3), cols: vec(nr, -7) }, { op: 'store', item_size: 4 }]);
  }
  return PRIOR_VARIANTS.flatMap((prior) => chains.map((chain): Case => ({ format: 'bitexact-case/1', level: 'tile', m: mr, n: nr, k, a, b, chain, prior })));
}
