// The oracle's own properties. The same definitions run under vitest (oracle/*.test.ts) and
// from the CLI (`bitexact oracle-selftest`), so "the self-test passed" means the same thing
// everywhere. Each property is built fresh with a tick callback (progress reporting).
import fc from 'fast-check';
import { round } from './rounding.js';
import { roundRational } from './rational.js';
import { qScale1, rsr1, evalChainFast } from './fast.js';
import { evalChain, evalTiled, lastStore } from './eval.js';
import { checkCase, I32_MIN, I32_MAX } from './validate.js';
import { readCase, writeCase } from './case.js';
import { pack, unpack, offset, packedLen, panelLen, packedFormat, packedI8K4, type PackedLayout, type Side } from './packing.js';
import { caseArb, i32Biased, policyArb, roundingInput } from './arbitraries.js';
import type { Case, Op } from './types.js';

export interface SelfProperty {
  name: string;
  /** numRuns used by `npm test` and by the CLI without --runs */
  runs: number;
  /** builds the property; tick() is called once per predicate evaluation (runs and shrinks) */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  make(tick: () => void): fc.IProperty<any>;
}

const same = (x: unknown, y: unknown): boolean => JSON.stringify(x) === JSON.stringify(y);

/** Throws with both sides when they differ (fast-check reports it with the counterexample). */
function expectSame(what: string, got: unknown, want: unknown): void {
  if (!same(got, want)) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

const wrap32 = (x: bigint): number => Number(BigInt.asIntN(32, x));

export const roundingMatchesRational: SelfProperty = {
  name: 'round: nudge formula == exact quotient/remainder (all policies, shift 1..63, i64 values)',
  runs: 50000,
  make: (tick) => fc.property(roundingInput(), ({ v, s, policy }) => {
    tick();
    const a = round(v, s, policy);
    const b = roundRational(v, s, policy);
    if (a !== b) throw new Error(`round(${v}, ${s}, ${policy}) = ${a}, rational = ${b}`);
  }),
};

export const fastRoundingMatches: SelfProperty = {
  name: 'round: fast number QScale / RSR == bigint (shift+31 in 0..63, rsr shift 1..31)',
  runs: 50000,
  make: (tick) => fc.property(
    i32Biased, i32Biased, fc.integer({ min: -31, max: 32 }), fc.integer({ min: 1, max: 31 }), policyArb,
    (acc, mult, shift, rs, policy) => {
      tick();
      expectSame(`qScale(${acc}, mult ${mult}, shift ${shift}, ${policy})`, qScale1(acc, mult, shift + 31, policy),
        wrap32(round(BigInt(mult) * BigInt(acc), shift + 31, policy)));
      expectSame(`rsr(${acc}, ${rs}, ${policy})`, rsr1(acc, rs, policy), wrap32(round(BigInt(acc), rs, policy)));
    }),
};

export const fastMatchesBigint: SelfProperty = {
  name: 'fast oracle == bigint oracle (random frame and tile cases, every op)',
  runs: 1500,
  make: (tick) => fc.property(
    fc.oneof(caseArb({ level: 'frame' }), caseArb({ level: 'tile' })),
    (c) => {
      tick();
      expectSame('evalChainFast vs evalChain', evalChainFast(c), evalChain(c));
    }),
};

export const frameEqualsTiles: SelfProperty = {
  name: 'frame == tile by tile (any mr, nr in 1..40, zero-padded border tiles)',
  runs: 500,
  make: (tick) => fc.property(
    caseArb({ level: 'frame', maxM: 13, maxN: 13, maxK: 12, maxOps: 6 }),
    fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }),
    fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.boolean(),
    (c, mr, nr, smr, snr, small) => {
      tick();
      // small tiles are where the borders are; the full range 1..40 covers tiles bigger than the frame
      const [tm, tn] = small ? [smr, snr] : [mr, nr];
      expectSame(`evalTiled(${tm} x ${tn}) vs evalChain`, evalTiled(c, tm, tn), evalChain(c));
    }),
};

const layoutArb: fc.Arbitrary<PackedLayout> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 64 }), fc.constantFrom(1, 2, 4, 16, 32, 128), fc.integer({ min: 0, max: 2 }))
    .map(([r, align, pad]) => packedFormat(r, align, pad)),
  fc.integer({ min: 1, max: 64 }).map((r) => packedI8K4(r)),
);

export const packingRoundTrip: SelfProperty = {
  name: 'packing: unpack(pack(x)) == x, padding zero, offsets match docs/packing.md (r 1..64, k 0..300, mn 1..200)',
  runs: 300,
  make: (tick) => fc.property(
    layoutArb,
    fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 300 })),
    fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 200 })),
    fc.constantFrom<Side>('a', 'b'),
    fc.integer({ min: 0, max: 0xffffffff }),
    (l, k, mn, side, salt) => {
      tick();
      // deterministic non-zero operand: a zero byte in the packed blob is then always padding
      const x = new Int8Array(mn * k);
      for (let t = 0; t < x.length; t++) x[t] = (((t * 2654435761 + salt) >>> 24) % 255) - 127 || 1;
      const p = pack(l, x, mn, k, side);
      const r = l.r;
      const pl = l.kind === 'packed_format'
        ? Math.ceil(((k + l.end_padding_record) * r) / l.align) * l.align
        : Math.ceil(k / 4) * 4 * r;
      expectSame('panelLen', panelLen(l, k), pl);
      expectSame('packed length', [p.length, packedLen(l, mn, k)], [Math.ceil(mn / r) * pl, Math.ceil(mn / r) * pl]);
      const addressed = new Uint8Array(p.length);
      for (let m = 0; m < mn; m++) {
        for (let kk = 0; kk < k; kk++) {
          const want = l.kind === 'packed_format'
            ? Math.floor(m / r) * pl + kk * r + (m % r)
            : Math.floor(m / r) * pl + Math.floor(kk / 4) * 4 * r + (m % r) * 4 + (kk % 4);
          const off = offset(l, k, kk, m);
          if (off !== want) throw new Error(`offset(${kk}, ${m}) = ${off}, formula ${want}`);
          if (addressed[off]) throw new Error(`offset ${off} addressed twice`);
          addressed[off] = 1;
          const v = side === 'a' ? x[m * k + kk] : x[kk * mn + m];
          if (((p[off] << 24) >> 24) !== v) throw new Error(`packed[${off}] = ${p[off]}, element (${kk}, ${m}) = ${v}`);
        }
      }
      for (let t = 0; t < p.length; t++) if (!addressed[t] && p[t] !== 0) throw new Error(`padding byte ${t} = ${p[t]}`);
      if (!same(Array.from(unpack(l, p, mn, k, side)), Array.from(x))) throw new Error('unpack(pack(x)) != x');
    }),
};

export const caseRoundTrip: SelfProperty = {
  name: 'case file: readCase(writeCase(c)) == c (frame and tile, with expect and provenance)',
  runs: 400,
  make: (tick) => fc.property(
    fc.oneof(caseArb({ level: 'frame', maxOps: 5 }), caseArb({ level: 'tile', maxOps: 5 })),
    fc.option(fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '"', '\\', '\n', '\u0000', 'é', '😀', '\u2028') }), { nil: undefined }),
    (c, note) => {
      tick();
      const full: Case = { ...c, expect: lastStore(evalChainFast(c)) };
      if (note !== undefined) full.note = note;
      const back = readCase(writeCase(full), 'roundtrip.json');
      expectSame('round trip', back, full);
    }),
};

/** Invalid ops with the field the error must name. */
const BAD_OPS: { op: Record<string, unknown>; field: string }[] = [
  { op: { op: 'q_scale', shift: 33, policy: 'even', mult: 1 }, field: 'shift' },
  { op: { op: 'q_scale', shift: -32, policy: 'even', mult: 1 }, field: 'shift' },
  { op: { op: 'q_scale', shift: 0, policy: 'native', mult: 1 }, field: 'policy' },
  { op: { op: 'q_scale', shift: 0, policy: 'even', mult: I32_MAX + 1 }, field: 'mult' },
  { op: { op: 'rounding_shift_right', shift: 0, policy: 'even' }, field: 'shift' },
  { op: { op: 'rounding_shift_right', shift: 32, policy: 'odd' }, field: 'shift' },
  { op: { op: 'rounding_shift_right', shift: 1.5, policy: 'odd' }, field: 'shift' },
  { op: { op: 'shift_left', shift: 32 }, field: 'shift' },
  { op: { op: 'shift_left', shift: -1 }, field: 'shift' },
  { op: { op: 'scalar', bin: 'div', value: 1 }, field: 'bin' },
  { op: { op: 'scalar', bin: 'add', value: I32_MIN - 1 }, field: 'value' },
  { op: { op: 'scalar', bin: 'add', value: 1, garbage: -1 }, field: 'garbage' },
  { op: { op: 'leaky_relu', alpha: 2 ** 31 }, field: 'alpha' },
  { op: { op: 'store', item_size: 3 }, field: 'item_size' },
  { op: { op: 'store', item_size: 4, layout: 'broadcast' }, field: 'layout' },
  { op: { op: 'add_mat_mul', packing: -1 }, field: 'packing' },
  { op: { op: 'frobnicate' }, field: 'op' },
];

export const invalidRejected: SelfProperty = {
  name: 'validate: generated cases are valid; an op outside the domain is rejected naming op and field',
  runs: 1000,
  make: (tick) => fc.property(
    fc.oneof(caseArb({ level: 'frame', maxOps: 4 }), caseArb({ level: 'tile', maxOps: 4 })),
    fc.constantFrom(...BAD_OPS), fc.nat(),
    (c, bad, where) => {
      tick();
      const ok = checkCase(c);
      if (ok) throw new Error(`generated case rejected: ${ok.message}`);
      const pos = 1 + (where % c.chain.length);     // after the first op: tile cases keep their clear/load_tile
      const chain = [...c.chain];
      chain.splice(pos, 0, bad.op as unknown as Op);
      const err = checkCase({ ...c, chain });
      if (!err) throw new Error(`accepted ${JSON.stringify(bad.op)}`);
      expectSame('error path', err.path, `$.chain[${pos}].${bad.field}`);
      if (!err.message.includes(`chain[${pos}]`)) throw new Error(`message does not name the op: ${err.message}`);
    }),
};

export const SELF_PROPERTIES: SelfProperty[] = [
  roundingMatchesRational,
  fastRoundingMatches,
  fastMatchesBigint,
  frameEqualsTiles,
  packingRoundTrip,
  caseRoundTrip,
  invalidRejected,
];

export interface RunOptions {
  seed: number;
  numRuns?: number;
  tick?: () => void;
}

/** Runs one property; returns fast-check's details (failed, seed, counterexample, report). */
export function runSelfProperty(p: SelfProperty, o: RunOptions): { failed: boolean; report: string | null; numRuns: number } {
  const numRuns = o.numRuns ?? p.runs;
  const d = fc.check(p.make(o.tick ?? (() => {})), { seed: o.seed, numRuns });
  return { failed: d.failed, report: d.failed ? fc.defaultReportMessage(d) ?? 'failed' : null, numRuns };
}

/** Runs one property and throws fast-check's report (seed, path, counterexample) on failure. */
export function assertSelfProperty(p: SelfProperty, o: RunOptions): void {
  const r = runSelfProperty(p, o);
  if (r.failed) throw new Error(`${p.name}\n${r.report}`);
}
