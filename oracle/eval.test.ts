// Unit behaviour of the bigint oracle, the tiled form and the fast oracle beyond the properties.
import { describe, expect, test } from 'vitest';
import { evalChain, evalTiled, lastStore, tileChain } from './eval.js';
import { evalChainFast, matmulInto } from './fast.js';
import { ValidationError } from './validate.js';
import * as ops from './ops.js';
import type { Case, Op } from './types.js';

const frame = (chain: Op[], extra: Partial<Case> = {}): Case => ({
  format: 'bitexact-case/1', level: 'frame', m: 2, n: 2, k: 2,
  a: [[1, 2], [3, 4]], b: [[5, 6], [7, 8]], chain, ...extra,
});

describe('evalChain', () => {
  test('a 2x2x2 matmul, several add_mat_mul and stores, acc unchanged by store', () => {
    const r = evalChain(frame([{ op: 'add_mat_mul' }, { op: 'store', item_size: 4 }, { op: 'add_mat_mul' }, { op: 'store', item_size: 1 }]));
    expect(r.stores).toEqual([[[19, 22], [43, 50]], [[38, 44], [86, 100]]]);
    expect(r.acc).toEqual([[38, 44], [86, 100]]);
    expect(lastStore(r)).toEqual([[38, 44], [86, 100]]);
  });

  test('tile level: load_tile, mid-chain clear; frame level starts cleared', () => {
    const t: Case = { ...frame([]), level: 'tile', chain: [
      { op: 'load_tile', values: [[1, 2], [3, 4]] }, { op: 'store', item_size: 4 },
      { op: 'clear' }, { op: 'scalar', bin: 'sub', value: 1 }, { op: 'store', item_size: 2 },
    ] };
    expect(evalChain(t).stores).toEqual([[[1, 2], [3, 4]], [[1, 1], [1, 1]]]);
    expect(evalChainFast(t)).toEqual(evalChain(t));
    expect(lastStore(evalChain(frame([{ op: 'clear' }])))).toBeUndefined();
  });

  test('invalid input throws ValidationError unless validate: false', () => {
    const bad = frame([{ op: 'shift_left', shift: 40 }]);
    expect(() => evalChain(bad)).toThrow(ValidationError);
    expect(() => evalChainFast(bad)).toThrow(ValidationError);
    expect(() => evalTiled(bad, 1, 1)).toThrow(ValidationError);
    expect(() => evalChain(frame([{ op: 'bogus' } as unknown as Op]), { validate: false })).toThrow(RangeError);
    expect(() => evalChainFast(frame([{ op: 'bogus' } as unknown as Op]), { validate: false })).toThrow(RangeError);
  });

  test('evalTiled: frame level only, tile size >= 1; load_tile is not a frame op', () => {
    const c = frame([{ op: 'add_mat_mul' }, { op: 'store', item_size: 4 }]);
    expect(evalTiled(c, 1, 3)).toEqual(evalChain(c));
    expect(() => evalTiled({ ...c, level: 'tile', chain: [{ op: 'clear' }] }, 1, 1)).toThrow('frame level');
    expect(() => evalTiled(c, 0, 1)).toThrow('bad tile');
    expect(() => tileChain(frame([{ op: 'load_tile', values: [[0, 0], [0, 0]] }]), 1, 1, 0, 0)).toThrow('tile level only');
  });

  test('tileChain pads border vectors and operands with zeros', () => {
    const c = frame([
      { op: 'per_row', bin: 'add', values: [7, 8] }, { op: 'per_col', bin: 'add', values: [9, 10] },
      { op: 'add_row_col_products', rows: [1, 2], cols: [3, 4] },
      { op: 'add_unicast', item_size: 1, layout: 'broadcast', values: [[5, 5], [5, 5]] },
    ]);
    const { tile, h, w } = tileChain(c, 3, 3, 0, 0);
    expect([h, w]).toEqual([2, 2]);
    expect(tile.chain[0]).toEqual({ op: 'clear' });
    expect(tile.chain[1]).toEqual({ op: 'per_row', bin: 'add', values: [7, 8, 0] });
    expect(tile.chain[2]).toEqual({ op: 'per_col', bin: 'add', values: [9, 10, 0] });
    expect(tile.chain[3]).toEqual({ op: 'add_row_col_products', rows: [1, 2, 0], cols: [3, 4, 0] });
    expect(tile.chain[4]).toEqual({ op: 'add_unicast', item_size: 1, values: [[5, 5, 0], [5, 5, 0], [0, 0, 0]] });
    expect(tile.a).toEqual([[1, 2], [3, 4], [0, 0]]);
    expect(tile.b).toEqual([[5, 6, 0], [7, 8, 0]]);
  });

  test('raw_tag: the kernel refuses there, so nothing after it runs (both oracles)', () => {
    const c: Case = {
      format: 'bitexact-case/1', level: 'tile', m: 1, n: 2, k: 0, a: [[]], b: [],
      chain: [{ op: 'load_tile', values: [[5, -6]] }, { op: 'store', item_size: 4 }, { op: 'raw_tag', tag: '64' }, { op: 'scalar', bin: 'add', value: 1 }, { op: 'store', item_size: 4 }],
    };
    const want = { stores: [[[5, -6]]], acc: [[5, -6]] };
    expect(evalChain(c)).toEqual(want);
    const fast = evalChainFast(c);
    expect({ stores: fast.stores, acc: fast.acc }).toEqual(want);
  });

  test('ops.binop and ops.* reject unknown names', () => {
    expect(() => ops.binop('div' as 'add', 1n, 1n)).toThrow(RangeError);
    expect(ops.truncate(0x12345678n, 1)).toBe(0x78n);
    expect(ops.truncate(0x12345678n, 2)).toBe(0x5678n);
    expect(ops.truncate(0xffn, 1)).toBe(-1n);
  });
});

describe('fast oracle', () => {
  test('a big shape equals the bigint oracle (all -128: the int16 pair-sum trap)', () => {
    const m = 7, n = 9, k = 300;
    const a = Array.from({ length: m }, () => new Array<number>(k).fill(-128));
    const b = Array.from({ length: k }, (_x, i) => Array.from({ length: n }, (_y, j) => (i + j) % 2 ? -128 : 127));
    const c: Case = { format: 'bitexact-case/1', level: 'frame', m, n, k, a, b,
      chain: [{ op: 'add_mat_mul' }, { op: 'add_mat_mul' }, { op: 'q_scale', shift: -3, policy: 'odd', mult: -1717986944 }, { op: 'store', item_size: 4 }] };
    expect(evalChainFast(c)).toEqual(evalChain(c));
  });

  test('K beyond one 1024-step chunk through the 4-row blocks equals the bigint oracle', () => {
    const m = 6, n = 5, k = 2100;
    let x = 7;
    const next = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return (x >>> 24) - 128; };
    const a = Array.from({ length: m }, (_r, i) => Array.from({ length: k }, () => (i === 0 ? -128 : next())));
    const b = Array.from({ length: k }, () => Array.from({ length: n }, (_c, j) => (j === 0 ? -128 : next())));
    const c: Case = { format: 'bitexact-case/1', level: 'frame', m, n, k, a, b, chain: [{ op: 'add_mat_mul' }, { op: 'store', item_size: 4 }] };
    const r = evalChainFast(c);
    expect(r).toEqual(evalChain(c));
    expect(r.acc[0][0]).toBe(2100 * 16384);
  });

  test('matmulInto: exact past the 1024-step K chunks, wraps mod 2^32, odd n and m % 4 != 0', () => {
    const k = 140000;
    const A = new Int8Array(k).fill(-128);
    const B = new Int8Array(k).fill(-128);
    const acc = new Int32Array([5]);
    matmulInto(acc, A, B, 1, 1, k);
    // 5 + 140000 * 16384 = 5 + 2293760000, minus 2^32
    expect(acc[0]).toBe(-2001207291);
    expect(() => matmulInto(acc, A, B, 2, 1, k)).toThrow('A must be 2 x 140000');
    // 5 x 3 x 2 by hand: A = [[1, -2], [3, 4], [-128, -128], [0, 1], [127, -128]], B = [[1, 2, -128], [-1, 5, -128]]
    const acc2 = new Int32Array(15).fill(1);
    matmulInto(acc2, Int8Array.from([1, -2, 3, 4, -128, -128, 0, 1, 127, -128]), Int8Array.from([1, 2, -128, -1, 5, -128]), 5, 3, 2);
    expect(Array.from(acc2)).toEqual([
      1 + 3, 1 - 8, 1 + 128,
      1 - 1, 1 + 26, 1 - 896,
      1 + 0, 1 - 896, 1 + 32768,
      1 - 1, 1 + 5, 1 - 128,
      1 + 255, 1 - 386, 1 + 128,
    ]);
  });
});
