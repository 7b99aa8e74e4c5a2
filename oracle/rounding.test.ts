// Hand-checked vectors of round() and its two independent formulations (rational, fast).
import { describe, expect, test } from 'vitest';
import { round } from './rounding.js';
import { roundRational } from './rational.js';
import { qScale1, rsr1, roundMagnitude } from './fast.js';
import { POLICIES, type Policy } from './types.js';

const MIN = -2147483648;
const MAX = 2147483647;

// v / 2^s with v a tie: [v, s, {policy: expected}]
const TIES: [number, number, Record<Policy, number>][] = [
  [5, 1, { zero: 2, away: 3, minus_inf: 2, plus_inf: 3, even: 2, odd: 3 }],       // 2.5
  [-5, 1, { zero: -2, away: -3, minus_inf: -3, plus_inf: -2, even: -2, odd: -3 }], // -2.5
  [7, 1, { zero: 3, away: 4, minus_inf: 3, plus_inf: 4, even: 4, odd: 3 }],       // 3.5
  [2, 2, { zero: 0, away: 1, minus_inf: 0, plus_inf: 1, even: 0, odd: 1 }],       // 0.5
  [-2, 2, { zero: 0, away: -1, minus_inf: -1, plus_inf: 0, even: 0, odd: -1 }],   // -0.5
  [6, 2, { zero: 1, away: 2, minus_inf: 1, plus_inf: 2, even: 2, odd: 1 }],       // 1.5
];

describe('round (nudge formula), rational and fast formulations', () => {
  test.each(TIES)('tie %i >> %i per policy', (v, s, want) => {
    for (const p of POLICIES) {
      expect(round(BigInt(v), s, p), p).toBe(BigInt(want[p]));
      expect(roundRational(BigInt(v), s, p), p).toBe(BigInt(want[p]));
      expect(rsr1(v, s, p), p).toBe(want[p]);
    }
  });

  test('Zero is not truncation: round(3, 2, zero) = 1, round(2, 2, zero) = 0 (tract rounding.rs)', () => {
    expect(round(3n, 2, 'zero')).toBe(1n);
    expect(round(2n, 2, 'zero')).toBe(0n);
    expect(round(-3n, 2, 'zero')).toBe(-1n);
  });

  test('non-ties round to nearest for every policy', () => {
    for (const p of POLICIES) {
      expect(round(9n, 2, p)).toBe(2n);   // 2.25
      expect(round(11n, 2, p)).toBe(3n);  // 2.75
      expect(round(-11n, 2, p)).toBe(-3n);
      expect(round(0n, 5, p)).toBe(0n);
    }
  });

  test('s <= 0 is a left shift (QScale total shift 0)', () => {
    expect(round(12345n, 0, 'even')).toBe(12345n);
    expect(round(-3n, -2, 'odd')).toBe(-12n);
    expect(roundRational(-3n, -2, 'odd')).toBe(-12n);
    expect(roundRational(77n, 0, 'away')).toBe(77n);
  });

  test('i32::MIN through RSR is exact: -2^(31-s)', () => {
    for (const p of POLICIES) {
      for (const s of [1, 2, 30]) expect(rsr1(MIN, s, p)).toBe(-(2 ** (31 - s)));
      // s = 31: -1 exactly, no tie
      expect(rsr1(MIN, 31, p)).toBe(-1);
    }
    // MAX >> 1 = 1073741823.5: a tie
    expect(rsr1(MAX, 1, 'away')).toBe(1073741824);
    expect(rsr1(MAX, 1, 'zero')).toBe(1073741823);
  });

  test('QScale with negative mult (tract [executed]: mult = -2^30, shift 0, even: 3 -> -2, -3 -> 2, 5 -> -2)', () => {
    for (const [acc, want] of [[3, -2], [-3, 2], [5, -2]] as const) {
      expect(qScale1(acc, -(2 ** 30), 31, 'even')).toBe(want);
      expect(Number(round(BigInt(acc) * -(2n ** 30n), 31, 'even'))).toBe(want);
    }
  });

  test('fast rounding: total shifts 0, 32 and 63 on extreme products', () => {
    // i32::MIN * i32::MIN = 2^62; >> 63 = 0.5: a tie
    expect(qScale1(MIN, MIN, 63, 'away')).toBe(1);
    expect(qScale1(MIN, MIN, 63, 'zero')).toBe(0);
    expect(qScale1(MIN, MAX, 63, 'minus_inf')).toBe(0);      // -(2^62 - 2^31) / 2^63 = -0.5 + 2^-32: nearest is 0
    expect(Number(BigInt.asIntN(32, round(BigInt(MIN) * BigInt(MAX), 63, 'minus_inf')))).toBe(qScale1(MIN, MAX, 63, 'minus_inf'));
    expect(qScale1(7, 3, 0, 'even')).toBe(21);
    expect(qScale1(MIN, -1, 0, 'even')).toBe(MIN);           // 2^31 wraps
    expect(qScale1(-1, 1, 32, 'plus_inf')).toBe(0);
    expect(roundMagnitude(0, 2 ** 31, 32, false, 'even')).toBe(0); // 0.5 -> 0 (even)
    expect(roundMagnitude(0, 2 ** 31, 32, false, 'odd')).toBe(1);
  });

  test('bad inputs are rejected', () => {
    expect(() => round(1n, 1.5, 'even')).toThrow(RangeError);
    expect(() => round(1n, 1, 'native' as Policy)).toThrow(RangeError);
    expect(() => roundRational(1n, 1, 'native' as Policy)).toThrow(RangeError);
    expect(() => roundRational(1n, 0.5, 'even')).toThrow(RangeError);
    expect(() => roundRational(1n, 1, 'native' as Policy)).toThrow(RangeError);
    expect(() => roundMagnitude(0, 2, 2, false, 'native' as Policy)).toThrow(RangeError);
  });
});
