// What every buffer must hold after the call: the encoder's initial bytes with the oracle's
// values written at every store that runs. The judge compares the kernel's buffers with it and
// the repro writer embeds it, so both hold a kernel to the same bytes.
//
// One oracle pass per case: the fast exact oracle (oracle/fast.ts) evaluates the whole chain
// once, and that pass also traces the accumulator each rounding op meets for the coverage
// matrix (coverage/semantic.ts). The bigint oracle (oracle/eval.ts) stays the definition: it
// re-judges every failure (judge, properties/check.ts) and cross-checks one passing case in
// CROSS_CHECK_EVERY, chosen by a hash of the case; the two disagreeing is an OracleDisagreement.
import type { Case, EvalResult } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import { evalChain } from '../oracle/eval.js';
import { evalChainFast } from '../oracle/fast.js';
import { rememberRoundingCells, roundingTracer } from '../coverage/semantic.js';
import { firstUnsupported, type Encoded } from './encode.js';
import { offsetOf, writeItem } from './layout.js';
import { FAST_ORACLE_MACS } from './oracle-bridge.js';

export interface ExpectedState {
  /** the first op the kernel does not declare (it must return 1 there), or -1 */
  refusedAt: number;
  /** the oracle's result of the ops that run */
  result: EvalResult;
  /** stores that run (all, or those before the refused op) */
  storesRun: number;
  /** every request buffer's bytes after the call (read only: those no store writes are the
   *  encoder's initial bytes) */
  buffers: Uint8Array[];
  /** which oracle's result this is: the bigint one, or the fast one alone */
  oracle: 'bigint' | 'fast';
}

/** A passing case is cross-checked against the bigint oracle when its hash is 0 mod this. */
export const CROSS_CHECK_EVERY = 16;

/** The fast and the bigint oracle disagree: a bug of bitexact's, never the kernel's. The
 *  message carries the whole case (JSON) so the disagreement replays. */
export class OracleDisagreement extends Error {
  constructor(readonly failing: Case, detail: string) {
    super(`the fast oracle (oracle/fast.ts) and the bigint oracle (oracle/eval.ts) disagree at ${detail}: a bug of bitexact, not of the kernel; the case: ${JSON.stringify(failing)}`);
    this.name = 'OracleDisagreement';
  }
}

export interface ExpectedOptions {
  /** 'sampled' (default): the fast oracle, cross-checked on one case in CROSS_CHECK_EVERY;
   *  'bigint': the bigint oracle's result, checked against the fast one (a failure's re-judge) */
  oracle?: 'sampled' | 'bigint';
}

/** An FNV-1a step on a whole 32-bit word (the sample only needs to be spread and fixed). */
const fnv = (h: number, x: number): number => Math.imul(h ^ x, 16777619);

/** A hash of the case (its shape, chain length and the fast oracle's values of it, which
 *  depend on every operand and op): the same case is always sampled the same way. */
export function caseHash(c: Case, r: EvalResult): number {
  let h = 2166136261;
  for (const x of [c.m, c.n, c.k, c.chain.length]) h = fnv(h, x);
  for (const rows of [...r.stores, r.acc]) for (const row of rows) for (let j = 0; j < row.length; j++) h = fnv(h, row[j]!);
  // a final avalanche: the sample is taken mod CROSS_CHECK_EVERY, the low bits must mix
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Is this (passing) case cross-checked against the bigint oracle? Beyond FAST_ORACLE_MACS
 *  multiply-adds the bigint oracle takes seconds: the fast one judges alone. */
export function crossChecked(c: Case, r: EvalResult): boolean {
  return macsOf(c) <= FAST_ORACLE_MACS && caseHash(c, r) % CROSS_CHECK_EVERY === 0;
}

const macsOf = (c: Case): number => c.m * c.n * c.k * c.chain.filter((op) => op.op === 'add_mat_mul').length;

/** Throws OracleDisagreement naming the first value where the two results differ. */
export function assertOraclesAgree(c: Case, fast: EvalResult, exact: EvalResult): void {
  const diff = (what: string, x: number[][], y: number[][]): string | undefined => {
    if (x.length !== y.length) return `${what}: ${x.length} vs ${y.length} rows`;
    for (let i = 0; i < x.length; i++) {
      if (x[i].length !== y[i].length) return `${what} row ${i}: ${x[i].length} vs ${y[i].length} values`;
      for (let j = 0; j < x[i].length; j++) if (x[i][j] !== y[i][j]) return `${what}[${i}][${j}]: fast ${x[i][j]}, bigint ${y[i][j]}`;
    }
    return undefined;
  };
  const d = fast.stores.length !== exact.stores.length ? `the store count: fast ${fast.stores.length}, bigint ${exact.stores.length}`
    : fast.stores.map((s, k) => diff(`store ${k}`, s, exact.stores[k])).find(Boolean) ?? diff('the final accumulator', fast.acc, exact.acc);
  if (d) throw new OracleDisagreement(c, d);
}

/** The fast oracle's result of the ops that run (the first `len`), from one pass over the
 *  whole chain that also traces the rounding ops for coverage (the ops past a refusal too:
 *  coverage counts what the chain asks for). */
function fastResult(c: Case, len: number): EvalResult {
  const tracer = roundingTracer(c);
  let cut: Int32Array | undefined;
  let storesBefore = 0;
  const full = evalChainFast(c, {
    validate: false,
    onOp: (i, acc) => {
      if (i === len) cut = acc.slice();
      if (i < len && c.chain[i].op === 'store') storesBefore++;
      tracer.onOp(i, acc);
    },
  });
  rememberRoundingCells(c, tracer.cells);
  if (len >= c.chain.length) return full;
  const { m, n } = c;
  const flat = cut!; // evaluation reaches op len: nothing before a refused op stops it
  const acc = Array.from({ length: m }, (_, i) => Array.from(flat.subarray(i * n, (i + 1) * n)));
  return { stores: full.stores.slice(0, storesBefore), acc };
}

export function expectedState(c: Case, kernel: KernelDesc, enc: Encoded, opts: ExpectedOptions = {}): ExpectedState {
  const refusedAt = firstUnsupported(c.chain, kernel);
  // A refused tile chain still ran the ops before the refused one (Store included);
  // the frame refuses before running anything.
  const len = refusedAt < 0 ? c.chain.length : c.level === 'frame' ? 0 : refusedAt;
  const fast = fastResult(c, len);
  const ran = len === c.chain.length ? c : { ...c, chain: c.chain.slice(0, len) };
  let result = fast;
  let oracle: ExpectedState['oracle'] = 'fast';
  // the prefix of a refused chain may be empty or start anywhere: judged without the tile-entry rule
  if (opts.oracle === 'bigint' ? macsOf(ran) <= FAST_ORACLE_MACS : crossChecked(ran, fast)) {
    const exact = evalChain(ran, { validate: false });
    assertOraclesAgree(ran, fast, exact);
    result = exact;
    oracle = 'bigint';
  }
  const storesRun = result.stores.length;
  // the buffers a store writes are copies; the others are the initial bytes themselves (read only)
  const stores = enc.stores.slice(0, storesRun);
  const written = new Set(stores.map((st) => st.buf));
  const buffers = enc.initial.map((b, i) => (written.has(i) ? b.slice() : b));
  stores.forEach((s, n) => {
    const vals = result.stores[n];
    const p = s.placement;
    for (let i = 0; i < vals.length; i++) for (let j = 0; j < vals[i].length; j++) writeItem(buffers[s.buf], offsetOf(p, i, j), vals[i][j], p.itemSize);
  });
  return { refusedAt, result, storesRun, buffers, oracle };
}
