// The bitexact-case/1 reader (schema + domain errors naming the JSON path) and writer.
import { describe, expect, test } from 'vitest';
import { readCase, parseCase, writeCase } from './case.js';
import { ValidationError, validateCase, checkCase } from './validate.js';
import type { Case, Op } from './types.js';

const base = (): Record<string, unknown> => ({
  format: 'bitexact-case/1', level: 'frame', m: 2, n: 3, k: 1,
  a: [[1], [-2]], b: [[3, 4, 5]],
  chain: [{ op: 'add_mat_mul' }, { op: 'store', item_size: 4 }],
});

/** The ValidationError of a case object (fails the test when it is accepted). */
function errorOf(obj: unknown): ValidationError {
  try {
    parseCase(obj);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('accepted');
}

const withOp = (op: unknown, at = 1): Record<string, unknown> => {
  const c = base();
  (c.chain as unknown[]).splice(at, 0, op);
  return c;
};

describe('readCase / parseCase', () => {
  test('a valid case parses to the in-memory Case', () => {
    const c = parseCase(base());
    expect(c.chain).toEqual([{ op: 'add_mat_mul' }, { op: 'store', item_size: 4 }]);
  });

  test('policy outside the enum: path and the allowed values', () => {
    const e = errorOf(withOp({ op: 'q_scale', shift: 0, policy: 'nearest', mult: 1 }, 2));
    expect(e.path).toBe('$.chain[2].policy');
    expect(e.message).toBe('$.chain[2].policy: expected one of zero|away|minus_inf|plus_inf|even|odd, got "nearest"');
  });

  test('q_scale shift out of the domain: op index, field and allowed range', () => {
    const c = base();
    (c.chain as unknown[]).splice(1, 0, { op: 'clear' }, { op: 'clear' }, { op: 'q_scale', shift: 40, policy: 'even', mult: 1 });
    const e = errorOf(c);
    expect(e.path).toBe('$.chain[3].shift');
    expect(e.message).toBe('chain[3] (q_scale).shift = 40: allowed -31..32 (shift+31 in 0..63)');
  });

  test.each([
    [{ op: 'rounding_shift_right', shift: 0, policy: 'even' }, '$.chain[1].shift', 'chain[1] (rounding_shift_right).shift = 0: allowed 1..31'],
    [{ op: 'shift_left', shift: 32 }, '$.chain[1].shift', 'chain[1] (shift_left).shift = 32: allowed 0..31'],
    [{ op: 'store', item_size: 3 }, '$.chain[1].item_size', 'chain[1] (store).item_size = 3: allowed 1, 2, 4'],
    [{ op: 'add_unicast', item_size: 2, values: [[0, 0, 0], [0, 0, 0]] }, '$.chain[1].item_size', 'chain[1] (add_unicast).item_size = 2: allowed 1, 4'],
    [{ op: 'add_unicast', item_size: 1, values: [[0, 0, 0], [0, 128, 0]] }, '$.chain[1].values[1][1]', 'chain[1] (add_unicast).values[1][1] = 128: allowed -128..127 (i8: item_size 1)'],
    [{ op: 'add_unicast', item_size: 4, layout: 'broadcast_row', values: [[1, 2, 3], [1, 2, 4]] }, '$.chain[1].values[1][2]', 'broadcast_row needs every row equal to row 0'],
    [{ op: 'add_unicast', item_size: 4, layout: 'broadcast_col', values: [[1, 1, 1], [2, 2, 3]] }, '$.chain[1].values[1][2]', 'broadcast_col needs every column equal'],
    [{ op: 'add_unicast', item_size: 4, layout: 'broadcast', values: [[1, 1, 1], [1, 1, 2]] }, '$.chain[1].values[1][2]', 'broadcast needs every value equal'],
    [{ op: 'per_row', bin: 'add', values: [1, 2, 3] }, '$.chain[1].values', 'chain[1] (per_row).values has 3 entries: expected m = 2'],
    [{ op: 'per_col', bin: 'add', values: [1, 2, 2147483648] }, '$.chain[1].values[2]', 'chain[1] (per_col).values[2] = 2147483648: allowed -2147483648..2147483647 (i32)'],
    [{ op: 'add_row_col_products', rows: [1, 2], cols: [1] }, '$.chain[1].cols', 'chain[1] (add_row_col_products).cols has 1 entries: expected n = 3'],
    [{ op: 'scalar', bin: 'add', value: 1, garbage: 4294967296 }, '$.chain[1].garbage', 'u32 placed in bytes 12..15'],
    [{ op: 'add_mat_mul', packing: -1 }, '$.chain[1].packing', 'chain[1] (add_mat_mul).packing = -1: allowed integers >= 0'],
    [{ op: 'load_tile', values: [[0, 0, 0], [0, 0, 0]] }, '$.chain[1].op', 'load_tile exists only at tile level'],
    [{ op: 'scalar', bin: 'add' }, '$.chain[1].value', '$.chain[1].value: missing (scalar needs bin, value)'],
    [{ op: 'scalar', bin: 'add', value: 1, valu: 2 }, '$.chain[1].valu', '$.chain[1].valu: unknown field (allowed here: op, bin, value, garbage)'],
    [{ op: 'scalar', bin: 'add', value: 1.5 }, '$.chain[1].value', '$.chain[1].value: expected an integer, got 1.5'],
    [{ op: 'scalar', bin: 'add', value: true }, '$.chain[1].value', 'expected an integer (a JSON number or a decimal string), got true'],
    [{ op: 'nope' }, '$.chain[1].op', 'expected one of clear|load_tile|'],
    ['clear', '$.chain[1]', '$.chain[1]: expected an op object ({"op": ...}), got "clear"'],
    [{ op: 'store', item_size: 4, layout: 'diagonal' }, '$.chain[1].layout', 'expected one of row_major|col_major|strided|reversed'],
    [{ op: 'per_row', bin: 'add', values: 5 }, '$.chain[1].values', 'expected an array of integers, got 5'],
    [{ op: 'load_tile', values: 5 }, '$.chain[1].values', 'expected an array of rows'],
  ])('rejects %j', (op, path, text) => {
    const e = errorOf(withOp(op));
    expect(e.path).toBe(path);
    expect(e.message).toContain(text);
  });

  test.each([
    [{ format: 'bitexact-case/2' }, '$.format', '$.format: expected "bitexact-case/1", got "bitexact-case/2"'],
    [{ level: 'kernel' }, '$.level', 'expected one of frame|tile'],
    [{ m: 0 }, '$.m', 'm = 0: allowed integers >= 1'],
    [{ k: -1 }, '$.k', 'k = -1: allowed integers >= 0 (k = 0 adds nothing)'],
    [{ a: [[1], [200]] }, '$.a[1][0]', 'a[1][0] = 200: allowed -128..127 (int8)'],
    [{ a: [[1]] }, '$.a', 'a has 1 rows: expected m x k = 2 x 1'],
    [{ a: [[1], [1, 2]] }, '$.a[1]', 'a[1] has 2 entries: expected 1 (m x k = 2 x 1)'],
    [{ b: [[1, 2, 3], [1, 2, 3]] }, '$.b', 'b has 2 rows: expected k x n = 1 x 3'],
    [{ chain: {} }, '$.chain', 'expected an array of ops'],
    [{ extra: 1 }, '$.extra', 'unknown field'],
    [{ expect: [[1, 2, 3]] }, '$.expect', 'expect has 1 rows: expected m x n = 2 x 3'],
    [{ expect: [[1, 2, 3], [4, 5, 6]], chain: [{ op: 'clear' }] }, '$.expect', 'expect is given but the chain has no store'],
    [{ expect: [[1, 2, 3], [4, 5, 300]], chain: [{ op: 'store', item_size: 1 }] }, '$.expect[1][2]', 'allowed -128..127 (the last store has item_size 1)'],
    [{ note: 5 }, '$.note', '$.note: expected a string, got 5'],
    [{ level: 'tile', chain: [{ op: 'store', item_size: 4 }] }, '$.chain[0].op', 'a tile-level chain must start with clear or load_tile'],
    [{ level: 'tile', chain: [] }, '$.chain', 'chain is empty'],
  ])('rejects top-level %j', (patch, path, text) => {
    const e = errorOf({ ...base(), ...patch });
    expect(e.path).toBe(path);
    expect(e.message).toContain(text);
  });

  test('not an object / not JSON: an error, never a stack trace', () => {
    expect(errorOf([]).message).toBe('$: expected an object, got []');
    expect(() => readCase('{"format": ', 'x.json')).toThrow(/^x\.json: not valid JSON: /);
    try { readCase('{"format": 1}', 'y.json'); } catch (e) {
      expect((e as ValidationError).message).toBe('y.json: $.format: expected "bitexact-case/1", got 1');
      expect((e as ValidationError).path).toBe('$.format');
    }
  });

  test('integers as decimal strings: parsed within range, rejected beyond with the exact text', () => {
    const ok = parseCase(withOp({ op: 'scalar', bin: 'add', value: '-2147483648', garbage: '4294967295' }));
    expect(ok.chain[1]).toEqual({ op: 'scalar', bin: 'add', value: -2147483648, garbage: 4294967295 });
    const e = errorOf(withOp({ op: 'scalar', bin: 'add', value: '-9223372036854775808' }));
    expect(e.path).toBe('$.chain[1].value');
    expect(e.message).toBe('chain[1] (scalar).value = -9223372036854775808: allowed -2147483648..2147483647 (i32)');
    const e2 = errorOf({ ...base(), k: '18446744073709551617' });
    expect(e2.message).toBe('k = 18446744073709551617: allowed 0..65536 (limit maxK = 65536)');
    expect(errorOf(withOp({ op: 'scalar', bin: 'add', value: '0x10' })).message).toContain('got "0x10"');
    expect(errorOf(withOp({ op: 'scalar', bin: 'add', value: '01' })).message).toContain('got "01"');
  });

  test('writeCase is stable and pretty: one op / one matrix row per line, keys in a fixed order', () => {
    const c: Case = {
      format: 'bitexact-case/1', level: 'frame', m: 2, n: 2, k: 0, a: [[], []], b: [],
      chain: [
        { policy: 'even', op: 'q_scale', mult: 3, shift: 1 } as Op,
        { op: 'add_unicast', item_size: 1, values: [[1, -1], [2, -2]] },
        { op: 'store', item_size: 4, layout: 'col_major' },
      ],
      expect: [[0, 0], [0, 0]], note: 'n', kernel: 'k', seed: '1:2',
    };
    expect(writeCase(c)).toBe(`{
  "format": "bitexact-case/1",
  "level": "frame",
  "m": 2, "n": 2, "k": 0,
  "kernel": "k",
  "seed": "1:2",
  "note": "n",
  "a": [
    [],
    []
  ],
  "b": [],
  "chain": [
    {"op": "q_scale", "shift": 1, "policy": "even", "mult": 3},
    {"op": "add_unicast", "item_size": 1, "values": [
      [1, -1],
      [2, -2]
    ]},
    {"op": "store", "item_size": 4, "layout": "col_major"}
  ],
  "expect": [
    [0, 0],
    [0, 0]
  ]
}
`);
    expect(readCase(writeCase(c))).toEqual({ ...c, chain: [{ op: 'q_scale', shift: 1, policy: 'even', mult: 3 }, c.chain[1], c.chain[2]] });
    expect(writeCase({ ...c, chain: [], expect: undefined })).toContain('"chain": []');
    expect(() => writeCase({ ...c, m: 0 })).toThrow(ValidationError);
  });

  test('validateCase on in-memory objects (no format), and checkCase', () => {
    expect(() => validateCase(null as unknown as Case)).toThrow('a case must be an object');
    expect(checkCase({ level: 'frame', m: 1, n: 1, k: 0, a: [[]], b: [], chain: [] })).toBeNull();
    expect(checkCase({ level: 'frame', m: 1, n: 1, k: 0, a: [[]], b: [], chain: 'x' as unknown as Op[] })?.path).toBe('$.chain');
    expect(checkCase({ level: 'frame', m: 1, n: 1, k: 0, a: 5 as unknown as number[][], b: [], chain: [] })?.message).toContain('a is not an array');
    expect(checkCase({ level: 'frame', m: 1, n: 1, k: 1, a: [5] as unknown as number[][], b: [[1]], chain: [] })?.message).toContain('a[0] is not an array');
    expect(checkCase({ level: 'frame', m: 1, n: 1, k: 0, a: [[]], b: [], chain: [null as unknown as Op] })?.message).toBe('chain[0] is not an op object');
    expect(checkCase({ level: 'frame', m: 1, n: 1, k: 0, a: [[]], b: [], chain: [{ op: 'per_row', bin: 'add', values: 3 } as unknown as Op] })?.message)
      .toContain('per_row).values is not an array');
    expect(checkCase({ format: 'x', level: 'frame', m: 1, n: 1, k: 0, a: [[]], b: [], chain: [] } as unknown as Case)?.path).toBe('$.format');
    expect(() => checkCase(undefined as unknown as Case)).not.toThrow();
  });
});

describe('raw_tag', () => {
  const tile = (op: unknown): Record<string, unknown> => ({
    format: 'bitexact-case/1', level: 'tile', m: 1, n: 1, k: 0, a: [[]], b: [],
    chain: [{ op: 'clear' }, op, { op: 'store', item_size: 4 }],
  });
  test('a u64 tag: a JSON number while exact, a decimal string past 2^53, both read to the canonical decimal', () => {
    expect(parseCase(tile({ op: 'raw_tag', tag: 64 })).chain[1]).toEqual({ op: 'raw_tag', tag: '64' });
    const big = parseCase(tile({ op: 'raw_tag', tag: '18446744073709551615' }));
    expect(big.chain[1]).toEqual({ op: 'raw_tag', tag: '18446744073709551615' });
    expect(writeCase(big)).toContain('{"op": "raw_tag", "tag": "18446744073709551615"}');
    expect(writeCase(parseCase(tile({ op: 'raw_tag', tag: '1099511627776' })))).toContain('{"op": "raw_tag", "tag": 1099511627776}');
    expect(readCase(writeCase(big))).toEqual(big);
  });
  test('the domain: past every ABI tag, at most 2^64 - 1, exact, tile level only', () => {
    expect(errorOf(tile({ op: 'raw_tag', tag: 27 })).message)
      .toBe("chain[1] (raw_tag).tag = 27: allowed 29..18446744073709551615, no tag of the ABI (tag 27 is the ABI's store)");
    expect(errorOf(tile({ op: 'raw_tag', tag: '18446744073709551616' })).message)
      .toBe('chain[1] (raw_tag).tag = 18446744073709551616: allowed 29..18446744073709551615, no tag of the ABI (beyond 2^64 - 1)');
    expect(errorOf(tile({ op: 'raw_tag', tag: 2 ** 60 })).message).toContain('not exact as a JSON number: write it as a decimal string');
    expect(errorOf(tile({ op: 'raw_tag', tag: '-30' })).message).toContain('not a canonical non-negative decimal');
    expect(errorOf(tile({ op: 'raw_tag' })).message).toBe('$.chain[1].tag: missing (raw_tag needs tag)');
    expect(errorOf(withOp({ op: 'raw_tag', tag: 64 })).message).toBe('chain[1] (raw_tag): raw_tag exists only at tile level (the frame rejects a tag of no op before anything runs)');
  });
});

// The ajv-backed reader reports the first problem in reading order (as a reader walking the
// file meets them), whatever order ajv finds them in.
describe('reading order of schema errors', () => {
  test.each([
    // unknown top-level fields come first, then the fields in format, level, m, ... order
    [{ extra: 1, format: 'x', m: 'no' }, '$.extra'],
    [{ format: 'x', m: 'no' }, '$.format'],
    [{ level: undefined, m: 'no' }, '$.level'],
    [{ m: 'no', a: 5 }, '$.m'],
    [{ a: [[1], ['x']], chain: 5 }, '$.a[1][0]'],
    // inside an op: its name, then unknown fields, then the fields in table order
    [{ chain: [{ op: 'q_scale', shift: 'x', policy: 'nope', zz: 1 }] }, '$.chain[0].zz'],
    [{ chain: [{ op: 'q_scale', shift: 'x', policy: 'nope' }] }, '$.chain[0].shift'],
    [{ chain: [{ op: 'q_scale', shift: 0, policy: 'nope' }] }, '$.chain[0].policy'],
    [{ chain: [{ op: 'q_scale', shift: 0, policy: 'even' }] }, '$.chain[0].mult'],
    [{ chain: [{ op: 'nope', zz: 1 }, { op: 'store' }] }, '$.chain[0].op'],
    [{ chain: [{ zz: 1 }] }, '$.chain[0].op'],
    [{ chain: [{ op: 'store', item_size: 4 }, { op: 'store' }], expect: 'x' }, '$.chain[1].item_size'],
  ])('%j -> %s', (patch, path) => {
    const c = { ...base(), ...patch } as Record<string, unknown>;
    for (const key of Object.keys(c)) if (c[key] === undefined) delete c[key];
    expect(errorOf(c).path).toBe(path);
  });

  test('messages of a missing op name and a missing top-level field', () => {
    expect(errorOf({ ...base(), chain: [{}] }).message).toBe('$.chain[0].op: expected one of clear|load_tile|scalar|leaky_relu|per_row|per_col|q_scale|rounding_shift_right|shift_left|add_unicast|add_row_col_products|store|add_mat_mul|raw_tag, got nothing');
    const { chain: _chain, ...noChain } = base();
    expect(errorOf(noChain).message).toBe('$.chain: expected an array of ops, got nothing');
    expect(errorOf({ ...base(), chain: [{ op: 'add_unicast', values: [[0, 0, 0], [0, 0, 0]] }] }).message)
      .toBe('$.chain[0].item_size: missing (add_unicast needs item_size, values)');
    expect(errorOf({ ...base(), m: -0.5 }).message).toBe('$.m: expected an integer, got -0.5');
  });
});
