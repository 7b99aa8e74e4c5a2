// The case reader's size limits (CASE_LIMITS): each bound is a named LimitError, found before
// anything is allocated for the case, so a hostile 144-byte file is an error in milliseconds
// instead of an out-of-memory abort, and deep nesting is an error instead of a stack overflow.
import { describe, expect, test } from 'vitest';
import { readCase, parseCase } from './case.js';
import { CASE_LIMITS, LimitError, ValidationError, jsonDepth, validateCase } from './validate.js';
import { evalCaseText } from '../cli/eval.js';

const base = { format: 'bitexact-case/1', level: 'frame', m: 1, n: 1, k: 0, a: [[]], b: [], chain: [{ op: 'add_mat_mul' }, { op: 'store', item_size: 4 }] };
const text = (over: Record<string, unknown>) => JSON.stringify({ ...base, ...over });

function limitOf(f: () => unknown): LimitError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LimitError);
    expect(e).toBeInstanceOf(ValidationError); // callers that know ValidationError exit 2 on it
    return e as LimitError;
  }
  throw new Error('no error');
}

describe('case size limits', () => {
  test('the 144-byte case with n = 10^9 is refused in milliseconds (it used to exhaust the heap)', () => {
    const t = text({ n: 1_000_000_000 });
    expect(t.length).toBeLessThan(200);
    const t0 = performance.now();
    const r = evalCaseText(t, 'huge.json');
    const ms = performance.now() - t0;
    expect(r.code).toBe(2);
    expect(r.err).toBe(`bitexact eval: huge.json: n = 1000000000: allowed 1..${CASE_LIMITS.maxDim} (limit maxDim = ${CASE_LIMITS.maxDim})\n`);
    expect(ms).toBeLessThan(50);
  });

  test.each([
    ['m', { m: CASE_LIMITS.maxDim + 1, a: [] }, 'maxDim', '$.m'],
    ['n', { n: CASE_LIMITS.maxDim + 1 }, 'maxDim', '$.n'],
    ['k', { k: CASE_LIMITS.maxK + 1, a: [[]] }, 'maxK', '$.k'],
    ['k as a decimal string', { k: '100000000000000000000' }, 'maxK', '$.k'],
    ['chain length', { chain: Array.from({ length: CASE_LIMITS.maxChain + 1 }, () => ({ op: 'clear' })) }, 'maxChain', '$.chain'],
    ['total elements', { m: 4096, n: 4096, k: 0, a: [], chain: [{ op: 'add_unicast', values: [] }] }, 'maxElements', '$'],
  ])('%s beyond its limit is a LimitError naming it', (_what, over, limit, path) => {
    const e = limitOf(() => readCase(text(over), 'c.json'));
    expect(e.limit).toBe(limit);
    expect(e.path).toBe(path);
    expect(e.message).toMatch(new RegExp(`^c\\.json: .*\\(limit ${limit} = ${CASE_LIMITS[limit as keyof typeof CASE_LIMITS]}\\)$`));
  });

  test('the element count includes the accumulator and every op matrix (checked before the arrays are read)', () => {
    // 1024 x 1024 with one add_unicast: a, b empty (k = 0), acc + values = 2 M: allowed ...
    expect(() => readCase(text({ m: 1024, n: 1024, a: Array.from({ length: 1024 }, () => []), chain: [{ op: 'add_mat_mul' }] }), 'ok.json')).not.toThrow();
    // ... 2048 x 2048 with one add_unicast: 8 M > 4 M, refused without looking at its (absent) values
    const e = limitOf(() => readCase(text({ m: 2048, n: 2048, a: [], chain: [{ op: 'add_unicast', values: [] }, { op: 'store', item_size: 4 }] }), 'big.json'));
    expect(e.message).toContain(`holds ${2048 * 2048 * 2} integers: allowed at most ${CASE_LIMITS.maxElements}`);
  });

  test('deep nesting is a LimitError before JSON.parse (it used to overflow the stack)', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const e = limitOf(() => readCase(deep, 'deep.json'));
    expect(e.limit).toBe('maxDepth');
    expect(e.message).toBe(`deep.json: nested deeper than ${CASE_LIMITS.maxDepth} levels of arrays and objects (limit maxDepth = ${CASE_LIMITS.maxDepth})`);
    // a parsed value too (the API's parseCase), walked without recursion
    let v: unknown = [];
    for (let i = 0; i < 100_000; i++) v = [v];
    expect(limitOf(() => parseCase(v)).limit).toBe('maxDepth');
    // brackets inside strings do not count; a real case needs 5 levels
    expect(jsonDepth('{"note": "[[[[[[[[[[[[[["}')).toBe(1);
    expect(jsonDepth(text({ chain: [{ op: 'add_unicast', values: [[1]] }] }))).toBe(5);
  });

  test('a text over maxBytes is refused before it is parsed', () => {
    const big = ' '.repeat(CASE_LIMITS.maxBytes + 1);
    expect(limitOf(() => readCase(big, 'fat.json')).limit).toBe('maxBytes');
  });

  test('validateCase (the API path) applies the same bounds', () => {
    expect(() => validateCase({ level: 'frame', m: 1, n: 1e9, k: 0, a: [[]], b: [], chain: [] })).toThrow(LimitError);
  });
});
