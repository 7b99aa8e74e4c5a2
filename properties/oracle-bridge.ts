// Which oracle judges a case: the bigint one, or — past ~10^6 multiply-adds, where bigint
// dominates the run time — the fast exact oracle, which oracle/ property-checks bit-equal to it.
import type { EvalResult } from '../oracle/types.js';
import { evalChain, type ChainInput } from '../oracle/eval.js';
import { evalChainFast } from '../oracle/fast.js';

export const FAST_ORACLE_MACS = 1_000_000;

export function oracleEval(c: ChainInput): EvalResult {
  const matmuls = c.chain.filter((op) => op.op === 'add_mat_mul').length;
  const macs = c.m * c.n * c.k * matmuls;
  // the prefix of a refused chain may be empty or start anywhere: judged without the tile-entry rule
  return macs > FAST_ORACLE_MACS ? evalChainFast(c, { validate: false }) : evalChain(c, { validate: false });
}
