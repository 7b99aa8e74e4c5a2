import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { cellInContract, contractViolations, excludedClauses, narrowContract, parseContract, CONTRACT_FIELDS, CONTRACT_OPS, PRECONDITION_NAMES, specDomain, type Contract } from './contract.js';
import type { Case, Op } from './types.js';
import type { KernelDesc } from '../native/descriptor.js';
import { PROPERTIES, BEYOND } from '../properties/kernel-properties.js';
import { caseFor } from '../properties/arbitraries.js';
import { requiredCells } from '../coverage/semantic.js';
import { OPS_V1_MASK } from './opset.js';

const TRACT: Contract = {
  store: { item_size: [1, 4] }, add_unicast: { item_size: [1, 4] },
  q_scale: { mult: { min: 2 ** 30, max: 2 ** 31 - 1 }, shift: { min: -4, max: 32 } },
  preconditions: ['shift_left_no_overflow'],
};
const allOps = [...Array(29).keys()].filter((t) => (OPS_V1_MASK >> BigInt(t)) & 1n);
const kernel = (contract?: Contract, mr = 4, nr = 4): KernelDesc => ({
  name: 'k', isa: 'test', mr, nr, supported_ops: allOps, runnable: true, why: '', packing_ids: [0],
  packings: [{ a: { kind: 'packed_format', r: mr, align: 16, end_padding_record: 1 }, b: { kind: 'packed_format', r: nr, align: 16, end_padding_record: 1 }, k_alignment: 1 }],
  ...(contract ? { contract } : {}),
});
const tile = (chain: Op[], k = 0): Case => ({ format: 'bitexact-case/1', level: 'tile', m: 2, n: 2, k, a: [[], []], b: [], chain });

describe('contract JSON form', () => {
  it('parses a valid contract unchanged', () => {
    expect(parseContract(JSON.parse(JSON.stringify(TRACT)))).toEqual(TRACT);
  });
  const bad: [unknown, RegExp][] = [
    [[], /^contract: expected an object/],
    [{ store: { item_size: [3] } }, /^contract\.store\.item_size\[0\]: expected one of 1, 2, 4/],
    [{ store: { item_size: [] } }, /^contract\.store\.item_size: expected a non-empty list/],
    [{ add_unicast: { item_size: [2] } }, /^contract\.add_unicast\.item_size\[0\]: expected one of 1, 4/],
    [{ q_scale: { mult: { min: 5, max: 4 } } }, /^contract\.q_scale\.mult: min 5 is above max 4/],
    [{ q_scale: { shift: { min: -32, max: 0 } } }, /^contract\.q_scale\.shift\.min: expected an integer in -31\.\.32/],
    [{ q_scale: { mult: [1, 2] } }, /^contract\.q_scale\.mult: expected \{"min": lo, "max": hi\}/],
    [{ q_scale: { policy: ['native'] } }, /^contract\.q_scale\.policy\[0\]: expected one of zero, away/],
    [{ rounding_shift_right: { shift: { min: 0, max: 3 } } }, /^contract\.rounding_shift_right\.shift\.min: expected an integer in 1\.\.31/],
    [{ shift_left: { mult: { min: 0, max: 1 } } }, /^contract\.shift_left\.mult: shift_left has no narrowable field/],
    [{ scalar: {} }, /^contract\.scalar: expected one of store, add_unicast/],
    [{ preconditions: ['no_overflow'] }, /^contract\.preconditions\[0\]: expected one of shift_left_no_overflow/],
    [{ store: { layout: ['row_major', 'row_major'] } }, /^contract\.store\.layout\[1\]: "row_major" listed twice/],
  ];
  for (const [v, re] of bad) it(`rejects ${JSON.stringify(v)} naming the path`, () => expect(() => parseContract(v)).toThrow(re));
});

describe('clauses and violations', () => {
  it('lists only what is narrower than SPEC', () => {
    expect(excludedClauses(TRACT)).toEqual(['store.item_size', 'q_scale.mult', 'q_scale.shift', 'shift_left_no_overflow']);
    expect(excludedClauses({ store: { item_size: [1, 2, 4] }, q_scale: { policy: ['zero', 'away', 'minus_inf', 'plus_inf', 'even', 'odd'] } })).toEqual([]);
  });
  it('names each clause a case is outside of', () => {
    const c = tile([{ op: 'load_tile', values: [[1, 2], [3, 1 << 30]] }, { op: 'shift_left', shift: 1 }, { op: 'q_scale', shift: -5, policy: 'even', mult: 3 }, { op: 'store', item_size: 2 }]);
    expect(contractViolations(c, TRACT).sort()).toEqual(['q_scale.mult', 'q_scale.shift', 'shift_left_no_overflow', 'store.item_size']);
    const ok = tile([{ op: 'load_tile', values: [[1, 2], [3, 1 << 29]] }, { op: 'shift_left', shift: 1 }, { op: 'q_scale', shift: 0, policy: 'even', mult: 2 ** 30 }, { op: 'store', item_size: 1 }]);
    expect(contractViolations(ok, TRACT)).toEqual([]);
    const pre: Contract = { preconditions: ['no_i32_min_into_rounding', 'row_col_products_i16'] };
    expect(contractViolations(tile([{ op: 'load_tile', values: [[-(2 ** 31), 0], [0, 0]] }, { op: 'rounding_shift_right', shift: 1, policy: 'zero' }, { op: 'store', item_size: 4 }]), pre)).toEqual(['no_i32_min_into_rounding']);
    expect(contractViolations(tile([{ op: 'clear' }, { op: 'add_row_col_products', rows: [1, 32768], cols: [1, 1] }, { op: 'store', item_size: 4 }]), pre)).toEqual(['row_col_products_i16']);
  });
  it('narrowing keeps the QScale value mult / 2^(shift+31) when powers of two allow it', () => {
    const c = narrowContract(tile([{ op: 'clear' }, { op: 'q_scale', shift: -20, policy: 'even', mult: -3 }, { op: 'store', item_size: 2 }]), TRACT);
    expect(c.chain[1]).toEqual({ op: 'q_scale', shift: 9, policy: 'even', mult: 3 * 2 ** 29 });
    expect(c.chain[2]).toEqual({ op: 'store', item_size: 4 });
  });
  it('required cells drop what the contract excludes', () => {
    const cells = requiredCells(kernel(TRACT));
    expect(cells.filter((c) => c.startsWith('store.') && c.endsWith('.i16'))).toEqual([]);
    expect(cells).not.toContain('q_scale.neg_mult.tie');
    expect(cells).toContain('q_scale.even.tie');
    expect(requiredCells(kernel())).toContain('store.row_major.i16');
    expect(cellInContract('rsr.in.i32min', { preconditions: ['no_i32_min_into_rounding'] })).toBe(false);
    expect(cellInContract('rsr.odd.tie', { rounding_shift_right: { policy: ['even'] } })).toBe(false);
  });
});

/** A random contract: each field narrowed (or not) to a non-empty part of SPEC's domain. */
const fieldArb = (op: (typeof CONTRACT_OPS)[number], f: string): fc.Arbitrary<unknown> => {
  const d = specDomain(op, f);
  if (Array.isArray(d)) return fc.subarray(d as (number | string)[], { minLength: 1 });
  const { min, max } = d as { min: number; max: number };
  return fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([x, y]) => ({ min: Math.min(x, y), max: Math.max(x, y) }));
};
const opArb = (op: (typeof CONTRACT_OPS)[number]): fc.Arbitrary<unknown> =>
  fc.option(fc.record(Object.fromEntries(CONTRACT_FIELDS[op].map((f) => [f, fieldArb(op, f)])) as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] }), { nil: undefined });
const contractArb: fc.Arbitrary<Contract> = fc
  .record({ ...Object.fromEntries(CONTRACT_OPS.map((op) => [op, opArb(op)])), preconditions: fc.subarray(PRECONDITION_NAMES) } as Record<string, fc.Arbitrary<unknown>>)
  .map((c) => parseContract(JSON.parse(JSON.stringify(c))));

describe('generators stay inside the contract', () => {
  it('every generated case and edge case of every property on a contracted kernel is in the contract', () => {
    fc.assert(fc.property(contractArb, fc.integer(), (contract, seed) => {
      const k = kernel(contract);
      for (const p of PROPERTIES) {
        if (p.skipReason(k)) continue;
        for (const c of fc.sample(p.arb(k), { numRuns: 4, seed })) expect(contractViolations(c, contract), p.name).toEqual([]);
        for (const c of p.examples?.(k) ?? []) expect(contractViolations(c, contract), `${p.name} edge`).toEqual([]);
      }
    }), { numRuns: 40 });
  });
  it('the tract-like contract: 200 tile and interleave cases, all inside', () => {
    const k = kernel(TRACT);
    for (const name of ['tile', 'interleave', 'frame']) {
      const p = PROPERTIES.find((x) => x.name === name)!;
      for (const c of fc.sample(p.arb(k), { numRuns: 200, seed: 7 })) expect(contractViolations(c, TRACT)).toEqual([]);
    }
  });
  it('no contract: the same cases for the same seed as the unwrapped generator', () => {
    const k = kernel();
    const tileP = PROPERTIES.find((p) => p.name === 'tile')!;
    expect(fc.sample(tileP.arb(k), { numRuns: 50, seed: 42 })).toEqual(fc.sample(caseFor(k, { level: 'tile' }), { numRuns: 50, seed: 42 }));
  });
  it('beyond draws cases outside by the clause it probes, and skips a kernel without a contract', () => {
    expect(BEYOND.skipReason(kernel())).toBe('no contract: nothing is outside it');
    const k = kernel(TRACT);
    for (const cl of BEYOND.clauses(k)) {
      const xs = fc.sample(BEYOND.arb(k, cl), { numRuns: 100, seed: 3 });
      expect(xs.filter((c) => BEYOND.outsideBy(k, cl, c)).length, cl).toBeGreaterThan(3);
    }
  });
});
