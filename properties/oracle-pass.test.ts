// One oracle pass per case: the judge's expected result (the fast oracle over the whole chain,
// cut at a refusal) equals the bigint oracle's of the ops that run; the coverage cells traced in
// that pass equal those of re-evaluating the prefix before every rounding op; the bigint
// oracle cross-checks a deterministic sample and re-judges failures; a disagreement is an error
// naming the case.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Case, Op } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import type { ExecResult } from '../native/wire.js';
import { caseArb, rawTagArb } from '../oracle/arbitraries.js';
import { evalChain } from '../oracle/eval.js';
import { evalChainFast } from '../oracle/fast.js';
import { I32_MAX, I32_MIN } from '../oracle/opset.js';
import { cellsOf, isTie, isTieI32 } from '../coverage/semantic.js';
import { caseFor } from './arbitraries.js';
import { encodeCase } from './encode.js';
import { judge } from './check.js';
import { assertOraclesAgree, CROSS_CHECK_EVERY, crossChecked, expectedState, OracleDisagreement } from './expected.js';
import { ALL_OPS_2X2, NO_SCALAR_2X2 } from './test-descs.js';

const all = ALL_OPS_2X2;
const noScalar = NO_SCALAR_2X2;

/** The coverage cells as they were computed before the one-pass trace: the bigint tie test
 *  on the accumulator of the prefix before each rounding op, re-evaluated. */
function cellsReference(c: Case): Set<string> {
  const out = new Set<string>();
  c.chain.forEach((op, i) => {
    if (op.op !== 'q_scale' && op.op !== 'rounding_shift_right') return;
    const acc = i ? evalChainFast({ ...c, chain: c.chain.slice(0, i) }, { validate: false }).acc : Array.from({ length: c.m }, () => new Array<number>(c.n).fill(0));
    const name = op.op === 'q_scale' ? 'q_scale' : 'rsr';
    const s = op.op === 'q_scale' ? op.shift + 31 : op.shift;
    const mult = op.op === 'q_scale' ? BigInt(op.mult) : 1n;
    let tie = false, nontie = false;
    for (const row of acc) for (const v of row) { if (isTie(mult * BigInt(v), s)) tie = true; else nontie = true; }
    out.add(`${name}.${op.policy}.${tie ? 'tie' : 'nontie'}`);
    if (tie && nontie) out.add(`${name}.${op.policy}.nontie`);
    for (const row of acc) for (const v of row) {
      if (v === I32_MIN) out.add(`${name}.in.i32min`);
      else if (v === I32_MAX) out.add(`${name}.in.i32max`);
      else if (v === 0) out.add(`${name}.in.zero`);
      else if (v === 1 || v === -1) out.add(`${name}.in.pm1`);
    }
    if (op.op === 'q_scale' && op.mult < 0 && tie) out.add('q_scale.neg_mult.tie');
  });
  return out;
}
/** The kernel with the tile shape of a tile-level case. */
const shaped = (k: KernelDesc, c: Case): KernelDesc => (c.level === 'tile' ? { ...k, mr: c.m, nr: c.n } : k);
const roundingOnly = (cells: Iterable<string>): string[] => [...cells].filter((x) => /^(q_scale|rsr)\./.test(x)).sort();

/** Cases of the gate's own generator (rounding blocks full of ties) and of the oracle's
 *  (any op), some with a raw tag somewhere (it stops the chain). */
const cases: fc.Arbitrary<Case> = fc.oneof(
  caseFor(all, { level: 'tile' }),
  caseFor(all, { level: 'frame', maxK: 40 }),
  fc.tuple(caseArb({ level: 'tile', maxM: 3, maxN: 3, maxK: 12 }), fc.nat(), rawTagArb, fc.boolean()).map(([c0, at, tag, raw]): Case => {
    // one packing: the test kernels declare one
    const chain = c0.chain.map((op): Op => (op.op === 'add_mat_mul' ? { op: 'add_mat_mul' } : op));
    const i = 1 + (at % chain.length);
    return { ...c0, chain: raw ? [...chain.slice(0, i), { op: 'raw_tag', tag }, ...chain.slice(i)] : chain };
  }),
);

describe('one oracle pass per case', () => {
  it('isTieI32 is the bigint isTie on i32 products', () => {
    const i32 = fc.oneof(fc.integer({ min: I32_MIN, max: I32_MAX }), fc.integer({ min: -40, max: 40 }).map((e) => (e < 0 ? -1 : 1) * 2 ** Math.min(Math.abs(e), 30)), fc.constantFrom(0, I32_MIN, I32_MAX, 1, -1));
    fc.assert(fc.property(i32, i32, fc.integer({ min: -1, max: 64 }), (mult, v, s) => isTieI32(mult, v, s) === isTie(BigInt(mult) * BigInt(v), s)), { numRuns: 20000 });
    expect(isTieI32(1, 2 ** 30, 31)).toBe(true);
    expect(isTieI32(I32_MIN, I32_MIN, 63)).toBe(true);
    expect(isTieI32(3, 0, 1)).toBe(false);
  });

  it('the coverage cells of the one trace are those of re-evaluating every prefix', () => {
    fc.assert(fc.property(cases, (c) => {
      const want = roundingOnly(cellsReference(c));
      expect(roundingOnly(cellsOf(c, all))).toEqual(want);
      // and from the judge's pass (the cells it remembers for this case object)
      const k = shaped(all, c);
      expectedState(c, k, encodeCase(c, k));
      expect(roundingOnly(cellsOf(c, all))).toEqual(want);
    }), { numRuns: 400 });
  });

  it('the judge expects the bigint oracle\'s result of the ops that run, refused or not', () => {
    fc.assert(fc.property(cases, fc.boolean(), (c, refuse) => {
      const k = shaped(refuse ? noScalar : all, c);
      const exp = expectedState(c, k, encodeCase(c, k));
      const len = exp.refusedAt < 0 ? c.chain.length : c.level === 'frame' ? 0 : exp.refusedAt;
      const want = evalChain({ ...c, chain: c.chain.slice(0, len) }, { validate: false });
      expect(exp.result.stores).toEqual(want.stores);
      expect(exp.result.acc).toEqual(want.acc);
      expect(exp.storesRun).toBe(want.stores.length);
    }), { numRuns: 300 });
  });

  it(`cross-checks one passing case in about ${CROSS_CHECK_EVERY}, the same ones every time`, () => {
    const sample = fc.sample(caseFor(all, { level: 'tile' }), { seed: 7, numRuns: 1600 });
    const picked = sample.filter((c) => expectedState(c, all, encodeCase(c, all)).oracle === 'bigint');
    expect(picked.length).toBeGreaterThan(1600 / CROSS_CHECK_EVERY / 2);
    expect(picked.length).toBeLessThan((1600 / CROSS_CHECK_EVERY) * 2);
    for (const c of sample.slice(0, 200)) expect(crossChecked(c, evalChainFast(c, { validate: false }))).toBe(crossChecked(structuredClone(c), evalChainFast(c, { validate: false })));
  });

  it('a disagreement of the two oracles is an error naming the case and the value', () => {
    const c: Case = { format: 'bitexact-case/1', level: 'tile', m: 2, n: 2, k: 1, a: [[1], [2]], b: [[3, 4]], chain: [{ op: 'clear' }, { op: 'add_mat_mul' }, { op: 'store', item_size: 4 }] };
    const exact = evalChain(c);
    const wrong = { stores: [[[3, 4], [6, 9]]], acc: exact.acc };
    expect(() => assertOraclesAgree(c, exact, exact)).not.toThrow();
    expect(() => assertOraclesAgree(c, wrong, exact)).toThrow(OracleDisagreement);
    expect(() => assertOraclesAgree(c, wrong, exact)).toThrow(/store 0\[1\]\[1\]: fast 9, bigint 8.*"a":\[\[1\],\[2\]\]/);
  });

  it('a failure is judged and reported with the bigint oracle', () => {
    const c: Case = { format: 'bitexact-case/1', level: 'tile', m: 2, n: 2, k: 1, a: [[1], [2]], b: [[3, 4]], chain: [{ op: 'clear' }, { op: 'add_mat_mul' }, { op: 'store', item_size: 4 }] };
    const enc = encodeCase(c, all);
    const exp = expectedState(c, all, enc);
    const bad = exp.buffers.map((b) => b.slice());
    bad[enc.stores[0].buf][enc.stores[0].placement.base] ^= 1;
    const res: ExecResult = { rc: 0, refusedOp: -1, violations: [], buffers: bad, abi: null };
    const v = judge(c, all, enc, res);
    expect(v).toMatchObject({ ok: false, outcome: 'mismatch', expected: evalChain(c) });
    expect(expectedState(c, all, enc, { oracle: 'bigint' }).oracle).toBe('bigint');
  });
});
