// fmtCells: a failure whose cells differ in two stores lists each store's cells under that
// store's own header (and its expected matrix), never one store's cells under another's.
import { describe, expect, test } from 'vitest';
import type { Case } from '../oracle/types.js';
import { fmtCells } from './report.js';
import type { CellDiff } from './verdict.js';

const c: Case = {
  format: 'bitexact-case/1', level: 'tile', m: 2, n: 2, k: 0, a: [[], []], b: [],
  chain: [{ op: 'clear' }, { op: 'store', item_size: 4 }, { op: 'scalar', bin: 'add', value: 1, garbage: 0 }, { op: 'store', item_size: 4 }],
};
const expected = [[[0, 0], [0, 0]], [[1, 1], [1, 1]]];

describe('fmtCells groups the differing cells by store', () => {
  test('two stores: one header each, each with its own cells and matrix', () => {
    const cells: CellDiff[] = [
      { store: 0, i: 0, j: 1, expected: 0, got: 5 },
      { store: 1, i: 1, j: 0, expected: 1, got: -1 },
      { store: 1, i: 1, j: 1, expected: 1, got: 7 },
    ];
    const text = fmtCells(c, cells, expected);
    const [s0, s1] = text.split(/(?=  differing cells of store #1)/);
    expect(s0).toMatch(/^ {2}differing cells of store #0 \(chain\[1\]\) \(expected; \* = differs\):\n/);
    expect(s0).toContain('[0][1] expected 0 (0x00000000) got 5 (0x00000005)');
    expect(s0).not.toContain('[1][0]');
    expect(s0).toMatch(/^ +0 +\*0$/m);
    expect(s1).toMatch(/^ {2}differing cells of store #1 \(chain\[3\]\) \(expected; \* = differs\):\n/);
    expect(s1).toContain('[1][0] expected 1 (0x00000001) got -1 (0xffffffff)');
    expect(s1).toContain('[1][1] expected 1 (0x00000001) got 7 (0x00000007)');
    expect(s1).not.toContain('[0][1]');
    expect(s1).toMatch(/^ +\*1 +\*1$/m);
  });

  test('the cells listed per store are capped, with how many more', () => {
    const many: CellDiff[] = Array.from({ length: 10 }, (_, x) => ({ store: 1, i: x >> 1, j: x & 1, expected: 1, got: 2 }));
    const text = fmtCells(c, many, undefined);
    expect(text.match(/differing cells of store/g)).toHaveLength(1);
    expect(text.match(/expected 1 \(/g)).toHaveLength(8);
    expect(text).toContain('... 2 more in store #1');
  });
});
