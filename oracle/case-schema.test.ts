// The ajv-backed reader reports the first problem in reading order (as a reader walking the
// file meets them), whatever order ajv finds them in.
import { describe, expect, test } from 'vitest';
import { parseCase } from './case.js';
import { ValidationError } from './validate.js';

const base = (): Record<string, unknown> => ({
  format: 'bitexact-case/1', level: 'frame', m: 2, n: 3, k: 1,
  a: [[1], [-2]], b: [[3, 4, 5]],
  chain: [{ op: 'add_mat_mul' }, { op: 'store', item_size: 4 }],
});

function errorOf(obj: unknown): ValidationError {
  try {
    parseCase(obj);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('accepted');
}

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
    expect(errorOf({ ...base(), chain: [{}] }).message).toBe('$.chain[0].op: expected one of clear|load_tile|scalar|leaky_relu|per_row|per_col|q_scale|rounding_shift_right|shift_left|add_unicast|add_row_col_products|store|add_mat_mul, got nothing');
    const { chain: _chain, ...noChain } = base();
    expect(errorOf(noChain).message).toBe('$.chain: expected an array of ops, got nothing');
    expect(errorOf({ ...base(), chain: [{ op: 'add_unicast', values: [[0, 0, 0], [0, 0, 0]] }] }).message)
      .toBe('$.chain[0].item_size: missing (add_unicast needs item_size, values)');
    expect(errorOf({ ...base(), m: -0.5 }).message).toBe('$.m: expected an integer, got -0.5');
  });
});
