// Hand-packed examples of both layouts (docs/packing.md); the random coverage is the
// `packingRoundTrip` self-property.
import { describe, expect, test } from 'vitest';
import { pack, unpack, offset, panelLen, packedLen, packedFormat, packedI8K4 } from './packing.js';

const A = [[1, 2, 3], [4, 5, 6], [7, 8, -1]]; // 3 x 3 (mn = 3, k = 3)

describe('packing', () => {
  test('PackedFormat(r 2, align 1, no end padding), A side: K-outer, mn-inner, zero lane in the last panel', () => {
    const l = packedFormat(2, 1, 0);
    expect(panelLen(l, 3)).toBe(6);
    expect(Array.from(pack(l, A, 3, 3, 'a'))).toEqual([1, 4, 2, 5, 3, 6, 7, 0, 8, 0, 255, 0]);
  });

  test('PackedFormat(r 2, align 1, end padding 1), B side: one zero K record per panel', () => {
    const l = packedFormat(2);
    const B = [[1, 2, 3], [4, 5, 6]]; // k = 2, n = 3
    expect(Array.from(pack(l, B, 3, 2, 'b'))).toEqual([1, 2, 4, 5, 0, 0, 3, 0, 6, 0, 0, 0]);
    expect(Array.from(unpack(l, pack(l, B, 3, 2, 'b'), 3, 2, 'b'))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('PackedFormat alignment rounds the panel up to a multiple of align elements', () => {
    const l = packedFormat(3, 16, 1);
    expect(panelLen(l, 4)).toBe(16);                 // (4 + 1) * 3 = 15 -> 16
    expect(offset(l, 4, 2, 4)).toBe(16 + 2 * 3 + 1);  // panel 1, kk 2, lane 1
    expect(packedLen(l, 4, 4)).toBe(32);
  });

  test('PackedI8K4(r 2): 4 consecutive K per lane, K padded to 4 with zeros', () => {
    const l = packedI8K4(2);
    expect(panelLen(l, 3)).toBe(8);
    expect(Array.from(pack(l, A, 3, 3, 'a'))).toEqual([1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 255, 0, 0, 0, 0, 0]);
    expect(Array.from(unpack(l, pack(l, A, 3, 3, 'a'), 3, 3, 'a'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, -1]);
  });

  test('PackedI8K4(4), k = 5 (not a multiple of 4): kp = 8', () => {
    const l = packedI8K4(4);
    expect(panelLen(l, 5)).toBe(32);
    expect(offset(l, 5, 4, 1)).toBe(16 + 4 + 0);      // second K block, lane 1, kk % 4 = 0
    expect(offset(l, 5, 3, 5)).toBe(32 + 0 + 4 + 3);  // panel 1, lane 1, kk 3
  });

  test('k = 0: panels are only padding', () => {
    expect(Array.from(pack(packedFormat(2), new Int8Array(0), 3, 0, 'a'))).toEqual([0, 0, 0, 0]);
    expect(pack(packedI8K4(2), [], 3, 0, 'b').length).toBe(0);
  });

  test('bad arguments are rejected', () => {
    expect(() => packedFormat(0)).toThrow(RangeError);
    expect(() => packedFormat(2, 0)).toThrow(RangeError);
    expect(() => packedFormat(2, 1, -1)).toThrow(RangeError);
    expect(() => packedI8K4(1.5)).toThrow(RangeError);
    expect(() => pack(packedFormat(2), new Int8Array(5), 3, 2, 'a')).toThrow('operand has 5 values, expected 3 x 2');
    expect(() => pack(packedFormat(2), [[1, 2]], 3, 2, 'a')).toThrow('operand A must be 3 x 2');
    expect(() => pack(packedFormat(2), [[1, 2]], 2, 1, 'b')).not.toThrow();
    expect(() => pack(packedFormat(2), [[1, 2]], -1, 1, 'b')).toThrow(RangeError);
    expect(() => unpack(packedFormat(2), new Uint8Array(3), 2, 1, 'a')).toThrow(/expected 4/);
  });
});
