// What every buffer must hold after the call: the encoder's initial bytes with the oracle's
// values written at every store that runs. The judge compares the kernel's buffers with it and
// the repro writer embeds it, so both hold a kernel to the same bytes.
import type { Case, EvalResult } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import { firstUnsupported, type Encoded } from './encode.js';
import { offsetOf, writeItem } from './layout.js';
import { oracleEval } from './oracle-bridge.js';

export interface ExpectedState {
  /** the first op the kernel does not declare (it must return 1 there), or -1 */
  refusedAt: number;
  /** the oracle's result of the ops that run */
  result: EvalResult;
  /** stores that run (all, or those before the refused op) */
  storesRun: number;
  /** every request buffer's bytes after the call */
  buffers: Uint8Array[];
}

export function expectedState(c: Case, kernel: KernelDesc, enc: Encoded): ExpectedState {
  const refusedAt = firstUnsupported(c.chain, kernel);
  // A refused tile chain still ran the ops before the refused one (Store included);
  // the frame refuses before running anything.
  const prefix = refusedAt < 0 ? c.chain : c.level === 'frame' ? [] : c.chain.slice(0, refusedAt);
  const result = oracleEval({ ...c, chain: prefix });
  const storesRun = result.stores.length;
  const buffers = enc.initial.map((b) => b.slice());
  enc.stores.slice(0, storesRun).forEach((s, n) => {
    const vals = result.stores[n];
    const p = s.placement;
    for (let i = 0; i < vals.length; i++) for (let j = 0; j < vals[i].length; j++) writeItem(buffers[s.buf], offsetOf(p, i, j), vals[i][j], p.itemSize);
  });
  return { refusedAt, result, storesRun, buffers };
}
