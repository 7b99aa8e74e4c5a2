// An INDEPENDENT second formulation of round(v, s, policy) (docs/semantics.md): the exact quotient
// and remainder of v by 2^s, then "nearest, ties by policy" decided on the remainder. It shares
// no code with oracle/rounding.ts (the nudge formula); a property checks them equal.
import type { Policy } from './types.js';

/** floor(v / d) for d > 0 (bigint division truncates toward zero). */
function floorDiv(v: bigint, d: bigint): bigint {
  const q = v / d;
  return q * d > v ? q - 1n : q;
}

/** Meaning: the integer nearest to v / 2^s; on an exact tie (remainder = half of 2^s) the
 *  neighbour the policy names: toward 0, away from 0, toward -inf, toward +inf, even, odd. */
export function roundRational(v: bigint, s: number, policy: Policy): bigint {
  if (!Number.isInteger(s)) throw new RangeError(`roundRational: shift ${s} is not an integer`);
  if (s < 0) return v * 2n ** BigInt(-s);
  const d = 2n ** BigInt(s);
  const q = floorDiv(v, d);          // v = q*d + r, 0 <= r < d
  const r = v - q * d;
  const twice = 2n * r;
  if (twice < d) return q;           // below half: round down
  if (twice > d) return q + 1n;      // above half: round up
  // exact tie between q and q + 1
  const lower = q;
  const upper = q + 1n;
  switch (policy) {
    case 'zero': return v >= 0n ? lower : upper;
    case 'away': return v >= 0n ? upper : lower;
    case 'minus_inf': return lower;
    case 'plus_inf': return upper;
    case 'even': return (lower % 2n === 0n) ? lower : upper;
    case 'odd': return (lower % 2n !== 0n) ? lower : upper;
    default: throw new RangeError(`roundRational: unknown policy ${String(policy)}`);
  }
}
