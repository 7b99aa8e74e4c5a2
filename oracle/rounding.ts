// round(v, s, policy): docs/semantics.md, the nudge formula of tract's linalg/src/generic/rounding.rs,
// computed on bigint so it never overflows. This is the definition; oracle/rational.ts is an
// independent second formulation and oracle/fast.ts a third one, all checked equal by properties.
import type { Policy } from './types.js';

/** Meaning: v / 2^s rounded to the nearest integer, exact ties broken by `policy`
 *  (zero: toward 0, away: away from 0, minus_inf / plus_inf: toward -inf / +inf, even / odd:
 *  to the even / odd neighbour); s <= 0 is the exact left shift v * 2^-s (QScale only). */
export function round(v: bigint, s: number, policy: Policy): bigint {
  if (!Number.isInteger(s)) throw new RangeError(`round: shift ${s} is not an integer`);
  if (s <= 0) return v << BigInt(-s);
  const S = BigInt(s);
  const a = v < 0n ? -v : v;
  const half = 1n << (S - 1n);
  const t = a >> S;
  let nudge: bigint;
  switch (policy) {
    case 'zero': nudge = -1n; break;
    case 'away': nudge = 0n; break;
    case 'minus_inf': nudge = v >= 0n ? -1n : 0n; break;
    case 'plus_inf': nudge = v <= 0n ? -1n : 0n; break;
    case 'even': nudge = (t & 1n) - 1n; break;
    case 'odd': nudge = -(t & 1n); break;
    default: throw new RangeError(`round: unknown policy ${String(policy)}`);
  }
  const r = (a + half + nudge) >> S;
  return v < 0n ? -r : r;
}
