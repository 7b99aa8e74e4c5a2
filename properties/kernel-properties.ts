// The properties every kernel must pass, bit-exact against the oracle. One table: the vitest
// suites, `bitexact conform` and the mutant benchmark all iterate over it, so a property added
// here is enforced everywhere.
import fc from 'fast-check';
import { PRIOR_VARIANTS, type Case, type Op } from '../oracle/types.js';
import { priorCase, staleEdges } from './stale.js';
import type { KernelDesc } from '../native/descriptor.js';
import type { Target } from '../native/targets.js';
import { selectKernel } from '../native/select.js';
import { caseFor, depth, expandA, expandB, expandChain, int8Data, opTemplate, TEMPLATE_OPS, type OpTemplate } from './arbitraries.js';
import { OP_TAGS } from './encode.js';
import { OP_NAMES, declaresOpName, isRawTag } from '../oracle/opset.js';
import { RAW_TAG_PROBES, rawTagArb } from '../oracle/arbitraries.js';
import { crashVerdict, runCase, sameBytes } from './check.js';
import { PASS, type FailedVerdict, type Verdict } from './verdict.js';
import { flatInt8, packOperand } from './pack.js';
import { KernelCrash, PIPELINE_DEPTH } from '../native/process.js';
import { callTimeout, packWork } from './timeout.js';
import type { CaseCall } from './run.js';
import { coverageSweep } from '../coverage/sweep.js';
import { nameEdgeCase } from './report.js';
import { clauseOps, contractViolations, excludedClauses, inContract, narrowContract, type Clause, type Contract } from '../oracle/contract.js';

/** A property of the table. The conform engine reads what a property feeds from these fields,
 *  never from its name. */
export interface PropertyDef {
  name: string;
  summary: string;
  /** the level of the cases it generates */
  level: Case['level'];
  /** its cases count toward the kernel's semantic coverage */
  coverage: boolean;
  /** its cases per second count toward the kernel's throughput at `level` */
  throughput: boolean;
  /** the case a standalone C reproducer replays for a failing case on the gated kernel;
   *  absent when a failure is not the kernel's to reproduce (e.g. the packer's) */
  repro?(failing: Case): Case;
  /** null if the property applies to this kernel, else why not (reported as a skip) */
  skipReason(k: KernelDesc): string | null;
  arb(k: KernelDesc): fc.Arbitrary<Case>;
  /** call: the timeout policy of its kernel calls (runCaseProperty's; default scaled) */
  exec(t: Target, all: readonly Target[], c: Case, call?: CaseCall): Promise<Verdict>;
  /** relative cost: numRuns is divided by it */
  cost: number;
  /** a case's outcome does not depend on the requests before it: its calls may be pipelined
   *  behind the cases ahead of it (runCaseProperty's lookahead) */
  pipeline: boolean;
  /** deterministic edge cases run first (XNNPACK-style sweep of the tile's edges), each named
   *  (nameEdgeCase: `k_eq_0`, `m_gt_mr.n_eq_1.k_eq_5`) for the failure text */
  examples?(k: KernelDesc): Case[];
  /** runs the coverage sweep's cases of its level (coverage/sweep.ts) after its edge cases */
  sweep?: true;
}

/** The deterministic cases a property runs before its random ones: its edge cases, then the
 *  coverage sweep's cases of its level (a sweep property; coverage/sweep.ts). */
export function deterministicCases(p: PropertyDef, k: KernelDesc): { edges: Case[]; sweep: Case[] } {
  const all = p.sweep ? coverageSweep(k) : [];
  const sweep = all.map((c, i) => nameEdgeCase(c, `sweep_${i + 1}_of_${all.length}`)).filter((c) => c.level === p.level);
  // a contracted kernel's sweep stays inside its contract, as its random cases do
  const ct = k.contract;
  return { edges: p.examples?.(k) ?? [], sweep: ct ? sweep.map((c) => narrowContract(c, ct)).filter((c) => inContract(c, ct)) : sweep };
}

/** k values at every edge a kernel has: 0..9, around its k alignment's multiples and the
 *  8/16/32/64 unrolls. */
const EDGE_K = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257];

const allMinus128 = (rows: number, cols: number): number[][] => Array.from({ length: rows }, () => new Array<number>(cols).fill(-128));

/** The name of an EDGE_K depth, XNNPACK-style: k at an unroll U is `k_lt_U` / `k_eq_U` /
 *  `k_gt_U` (U - 1, U, U + 1); below 10, `k_eq_K`. */
const kEdgeName = (depthK: number): string => {
  if (depthK < 10) return `k_eq_${depthK}`;
  const u = [16, 32, 64, 128, 256].find((x) => Math.abs(x - depthK) <= 1)!;
  return depthK < u ? `k_lt_${u}` : depthK > u ? `k_gt_${u}` : `k_eq_${u}`;
};

/** Tile edges: every k edge with -128 everywhere (the int16 pair-sum overflow), stored as i32
 *  (no truncation can hide an error) — the sweep a kernel author runs first. */
function tileEdges(k: KernelDesc): Case[] {
  return EDGE_K.map((depthK): Case => nameEdgeCase({
    format: 'bitexact-case/1', level: 'tile', m: k.mr, n: k.nr, k: depthK,
    a: allMinus128(k.mr, depthK), b: allMinus128(depthK, k.nr),
    chain: [{ op: 'clear' }, { op: 'add_mat_mul' }, { op: 'store', item_size: 4 }],
  }, kEdgeName(depthK)));
}

/** Frame edges: m, n at 1, tile-1, tile, tile+1, 2*tile+1 (every border shape), k at an
 *  unaligned and an aligned depth; named `m_gt_mr.n_eq_1.k_eq_5` (a value that is several
 *  edges at once, 1 = mr - 1 on a 2-row tile, takes the first name of eq_mr, eq_1, lt, gt). */
function frameEdges(k: KernelDesc): Case[] {
  const dims = (t: number) => [...new Set([1, Math.max(1, t - 1), t, t + 1, 2 * t + 1])];
  const dimName = (d: 'm' | 'n', v: number, t: number): string => {
    const tile = d === 'm' ? 'mr' : 'nr';
    const rel = v === t ? `eq_${tile}` : v === 1 ? 'eq_1' : v === t - 1 ? `lt_${tile}` : v === t + 1 ? `gt_${tile}` : `gt_2${tile}`;
    return `${d}_${rel}`;
  };
  const out: Case[] = [];
  for (const m of dims(k.mr)) for (const n of dims(k.nr)) for (const depthK of [5, 8]) {
    out.push(nameEdgeCase({
      format: 'bitexact-case/1', level: 'frame', m, n, k: depthK,
      a: Array.from({ length: m }, (_, i) => Array.from({ length: depthK }, (_x, kk) => ((i * 7 + kk * 13) % 256) - 128)),
      b: Array.from({ length: depthK }, (_, kk) => Array.from({ length: n }, (_x, j) => ((kk * 11 + j * 5) % 256) - 128)),
      chain: [{ op: 'add_mat_mul' }, { op: 'store', item_size: 4, layout: 'strided' }],
    }, `${dimName('m', m, k.mr)}.${dimName('n', n, k.nr)}.k_eq_${depthK}`));
  }
  return out;
}

/** ABI ops (by name) the kernel does not declare (a Scalar/PerRow/PerCol family counts only if every bin is declared). */
export function undeclaredOps(k: KernelDesc): Op['op'][] {
  const ok = new Set(k.supported_ops);
  return OP_NAMES.filter((op) => OP_TAGS[op].length > 0 && !declaresOpName(ok, op));
}

/** An op of the interleave template is there: always true in generated cases, false (the op
 *  dropped) only as a shrink step, taken when the failure does not need the op. */
class TemplateOpKept extends fc.Arbitrary<boolean> {
  generate(): fc.Value<boolean> { return new fc.Value(true, undefined); }
  canShrinkWithoutContext(v: unknown): v is boolean { return typeof v === 'boolean'; }
  shrink(v: boolean): fc.Stream<fc.Value<boolean>> { return v ? fc.Stream.of(new fc.Value(false, undefined)) : fc.Stream.nil(); }
}
const templateOpKept = (): fc.Arbitrary<boolean> => new TemplateOpKept();

/** ZA spill/reload and register-pressure stress: quant ops interleaved with ZA-resident ops,
 *  several AddMatMul and Store, Store/AddUnicast through every layout and item size. Generated
 *  cases carry the whole template; a failure shrinks by dropping the template ops it does not
 *  need (the head Clear stays: a tile chain starts from a defined accumulator; a chain left
 *  without a final Store gets expandChain's). */
function interleaveArb(k: KernelDesc): fc.Arbitrary<Case> {
  const q = opTemplate('tile', (t) => t === 'q_scale');
  const rsr = opTemplate('tile', (t) => t === 'rounding_shift_right');
  const sl = opTemplate('tile', (t) => t === 'shift_left');
  const st = opTemplate('tile', (t) => t === 'store');
  const pc = opTemplate('tile', (t) => t === 'per_col');
  const sc = opTemplate('tile', (t) => t === 'scalar');
  const au = opTemplate('tile', (t) => t === 'add_unicast');
  // keep first: shrinking tries dropping ops before it shrinks their parameters
  return fc
    .record({ keep: fc.array(templateOpKept(), { minLength: 12, maxLength: 12 }), k: depth(), a: int8Data(), b: int8Data(), pc, q, sc, rsr, sl, st1: st, au, st2: st, order: fc.boolean() })
    .map(({ keep, k: depthK, a, b, pc: pcT, q: qT, sc: scT, rsr: rT, sl: sT, st1, au: auT, st2, order }) => {
      const mm: OpTemplate = { t: 'add_mat_mul' };
      const body: OpTemplate[] = order
        ? [mm, pcT, qT, scT, rT, sT, st1, mm, auT, st2]
        : [mm, qT, st1, auT, rT, mm, pcT, sT, scT, st2, qT, st1];
      const c: Case = {
        format: 'bitexact-case/1', level: 'tile', m: k.mr, n: k.nr, k: depthK,
        a: expandA(a, k.mr, depthK), b: expandB(b, depthK, k.nr),
        chain: expandChain([{ t: 'clear' }, ...body.filter((_, i) => keep[i])], 'tile', k.mr, k.nr, () => true, k.packings.length),
      };
      return c;
    });
}

/** The gating property's case: a tile-level chain plus the frame shape its frame variant runs
 *  on (a symbol key: not a field of the case format, so fixtures and their names ignore it). */
export const FRAME_SHAPE = Symbol('gating frame shape');
export interface GatingCase extends Case { [FRAME_SHAPE]: { m: number; n: number } }

const declares = (k: KernelDesc, ops: Op['op'][]) => ops.every((op) => !undeclaredOps(k).includes(op));

const GATING_PROPERTIES: PropertyDef[] = [
  {
    name: 'tile',
    summary: 'random chains of 1..12 declared ops on one mr x nr tile, bit-exact',
    level: 'tile', coverage: true, throughput: true, repro: (c) => c,
    skipReason: () => null,
    arb: (k) => caseFor(k, { level: 'tile' }),
    exec: (t, _all, c, call) => runCase(t.backend, t.kernel, c, call),
    cost: 1,
    pipeline: true,
    examples: tileEdges,
    sweep: true,
  },
  {
    name: 'frame',
    summary: 'm x n x k matmuls (m, n in 1..3*tile+1) through the C frame, border tiles included, bit-exact',
    level: 'frame', coverage: true, throughput: true, repro: (c) => c,
    skipReason: () => null,
    arb: (k) => caseFor(k, { level: 'frame', maxOps: 8 }),
    exec: (t, _all, c, call) => runCase(t.backend, t.kernel, c, call),
    cost: 2,
    pipeline: true,
    examples: frameEdges,
    sweep: true,
  },
  {
    name: 'interleave',
    summary: 'quant ops interleaved with matmul/store (ZA spill/reload, scratch strides), every layout',
    level: 'tile', coverage: true, throughput: true, repro: (c) => c,
    skipReason: (k) => (declares(k, ['q_scale', 'rounding_shift_right', 'shift_left', 'per_col', 'scalar', 'add_unicast']) ? null : 'the kernel does not declare the quant ops this property interleaves'),
    arb: interleaveArb,
    exec: (t, _all, c, call) => runCase(t.backend, t.kernel, c, call),
    cost: 1,
    pipeline: true,
  },
  {
    name: 'packing',
    summary: "the native packer's bytes equal the oracle's packer for every declared packing, padding zero",
    // the packer is judged, not the kernel: no coverage cell, no kernel throughput, no repro.c
    level: 'frame', coverage: false, throughput: false,
    skipReason: () => null,
    arb: () =>
      fc.record({ m: fc.integer({ min: 1, max: 200 }), n: fc.integer({ min: 1, max: 200 }), k: depth(300), a: int8Data(), b: int8Data(), p: fc.nat() })
        .map(({ m, n, k, a, b, p }): Case => ({ format: 'bitexact-case/1', level: 'frame', m, n, k, a: expandA(a, m, k), b: expandB(b, k, n), chain: [{ op: 'add_mat_mul', packing: p }] })),
    exec: async (t, _all, c, call): Promise<Verdict> => {
      const k = t.kernel;
      const pi = ((c.chain[0] as { packing?: number }).packing ?? 0) % k.packings.length;
      const p = k.packings[pi];
      for (const side of ['a', 'b'] as const) {
        const mn = side === 'a' ? c.m : c.n;
        // one flat copy feeds both packers: the operand as the executor is sent it
        const flat = flatInt8(side === 'a' ? c.a : c.b);
        const timeout = callTimeout(packWork(mn, c.k), call?.timeout);
        let got: Uint8Array;
        try {
          got = await t.backend.pack(k.name, pi, side, mn, c.k, flat, { timeoutMs: timeout.ms, pipelined: call?.pipelined === true });
        } catch (e) {
          if (e instanceof KernelCrash) return crashVerdict(e, k.name, timeout);
          throw e;
        }
        const want = packOperand(side === 'a' ? p.a : p.b, side, flat, mn, c.k);
        if (sameBytes(got, want)) continue;
        const where = { ok: false, refused: false, outcome: 'pack_mismatch', packing: pi, side, mn, k: c.k } as const;
        if (got.length !== want.length) return { ...where, native: got.length, oracle: want.length };
        const at = want.findIndex((v, i) => v !== got[i]);
        return { ...where, byte: at, native: got[at], oracle: want[at] };
      }
      return PASS;
    },
    cost: 1,
    pipeline: true,
  },
  {
    name: 'gating',
    summary: 'a chain with an undeclared op or a raw tag no ABI has (tags 29..63, 64, 255, 2^40, 2^63-1, 2^64-1) returns 1 at that op (later ops, Store included, do not run); the frame falls back to a kernel that declares the undeclared op, bit-exact',
    level: 'tile', coverage: true, throughput: false, repro: (c) => c,
    // every kernel can be handed a raw tag: the property always applies
    skipReason: () => null,
    arb: (k) => {
      const missing = undeclaredOps(k);
      const raw = rawTagArb.map((tag): Op => ({ op: 'raw_tag', tag }));
      // an undeclared ABI op (when the kernel lacks one) or a raw tag
      const bad: fc.Arbitrary<Op | OpTemplate> = missing.length
        ? fc.oneof(raw, opTemplate('tile', (t) => t !== 'rounding_block' && TEMPLATE_OPS[t].some((op) => missing.includes(op))))
        : raw;
      return fc.record({ c: caseFor(k, { level: 'tile', maxOps: 6 }), bad, at: fc.nat(), fm: fc.integer({ min: 1, max: 2 * k.mr + 1 }), fn: fc.integer({ min: 1, max: 2 * k.nr + 1 }) })
        .map(({ c, bad: b, at, fm, fn }) => {
          const [op] = 'op' in b ? [b] : expandChain([b], 'tile', c.m, c.n, () => true);
          const pos = 1 + (at % c.chain.length); // after the head op, before or at the final store
          const chain = [...c.chain.slice(0, pos), op, ...c.chain.slice(pos)];
          if (chain[chain.length - 1].op !== 'store') chain.push({ op: 'store', item_size: 4 });
          // the frame variant of the same chain (load_tile is tile-level only), on its own shape
          const g: GatingCase = { ...c, chain, [FRAME_SHAPE]: { m: fm, n: fn } };
          return g;
        });
    },
    exec: async (t, all, c, call): Promise<Verdict> => {
      const v = await runCase(t.backend, t.kernel, c, call);
      if (!v.ok) return v;
      const shape = (c as Partial<GatingCase>)[FRAME_SHAPE];
      // a raw tag exists at tile level only: no frame variant
      if (v.refused && isRawTag(c.chain[v.at])) return v;
      if (!v.refused || !shape) return { ok: false, refused: false, outcome: 'refusal', reason: 'nothing_to_refuse' };
      const { m: fm, n: fn } = shape;
      const fc0: Case = { format: 'bitexact-case/1', level: 'frame', m: fm, n: fn, k: c.k, a: resize(c.a, fm, c.k), b: resizeB(c.b, c.k, fn), chain: retarget(c.chain, fm, fn) };
      // the frame refuses a chain with an undeclared op before running anything (judged by runCase)
      const self = await runCase(t.backend, t.kernel, fc0, call);
      if (!self.ok || !self.refused) return self.ok ? v : self;
      const pick = selectKernel(all.map((x) => x.kernel), fc0.chain, fm, fn);
      if (!pick) return { ok: false, refused: false, outcome: 'refusal', reason: 'no_fallback', ops: fc0.chain.map((o) => o.op) };
      const fb = all.find((x) => x.kernel === pick)!;
      // a packing index is the refusing kernel's own: the fallback uses its default packing
      const fc1: Case = { ...fc0, chain: fc0.chain.map((op) => (op.op === 'add_mat_mul' ? { op: 'add_mat_mul' } : op)) };
      const r = await runCase(fb.backend, fb.kernel, fc1, call);
      if (!r.ok) return { ok: false, refused: false, outcome: 'on_kernel', role: 'fallback', kernel: pick.name, cause: r as FailedVerdict };
      return v;
    },
    cost: 2,
    pipeline: true,
    examples: rawTagEdges,
  },
  {
    name: 'stale',
    summary: 'the same tile chain twice in one request, both bit-exact: at the same buffer and chain addresses, first on other contents (every byte, or only interior bytes), or first on the same contents at other addresses (bit-flipped after that call): a kernel keeps no state from one call to the next',
    // the repro.c replays both calls (conform/repro.ts), at the addresses the variant needs
    level: 'tile', coverage: false, throughput: false, repro: (c) => c,
    skipReason: () => null,
    arb: (k) => fc.tuple(caseFor(k, { level: 'tile' }), fc.constantFrom(...PRIOR_VARIANTS)).map(([c, prior]): Case => ({ ...c, prior })),
    // runCase judges the second call and, when it fails, the case alone (properties/stale.ts);
    // a contracted kernel owes nothing on earlier contents outside its contract
    exec: (t, _all, c, call) => {
      const ct = t.kernel.contract;
      return runCase(t.backend, t.kernel, ct && !inContract(priorCase(c), ct) ? { ...c, prior: undefined } : c, call);
    },
    cost: 3,
    pipeline: false,
    // every variant once on a matmul over non-zero operands, whatever the seed
    examples: (k) => staleEdges(k.mr, k.nr, (ops) => declares(k, ops)),
  },
];

/** Cases moved into the contract (narrowContract), those it cannot move dropped. */
const insideContract = (arb: fc.Arbitrary<Case>, contract: Contract): fc.Arbitrary<Case> =>
  arb.map((c) => narrowContract(c, contract)).filter((c) => inContract(c, contract));

/** A property whose generated cases and edge sweep stay inside the kernel's contract; a kernel
 *  without one gets the property unchanged (the same cases for the same seed). */
const withinContract = (p: PropertyDef): PropertyDef => ({
  ...p,
  arb: (k) => (k.contract ? insideContract(p.arb(k), k.contract) : p.arb(k)),
  examples: p.examples && ((k) => {
    const ex = p.examples!(k);
    const ct = k.contract;
    return ct ? ex.map((c) => narrowContract(c, ct)).filter((c) => inContract(c, ct)) : ex;
  }),
});

/** How many cases a property runs ahead of fast-check (runCaseProperty's lookahead). */
export const lookaheadOf = (p: PropertyDef): number => (p.pipeline ? PIPELINE_DEPTH : 0);

/** The gating properties, each inside the kernel's contract. */
export const PROPERTIES: PropertyDef[] = GATING_PROPERTIES.map(withinContract);

/** The `beyond` property: cases outside the kernel's declared contract, one run per clause the
 *  contract excludes (the case is outside by that clause alone), judged against the oracle.
 *  A divergence is information ("divergence outside the declared contract"), not a gate failure
 *  unless the run is strict. */
export interface BeyondDef {
  name: 'beyond';
  summary: string;
  level: Case['level'];
  cost: number;
  skipReason(k: KernelDesc): string | null;
  /** the excluded clauses a case can be outside of on this kernel (their ops declared) */
  clauses(k: KernelDesc): Clause[];
  arb(k: KernelDesc, clause: Clause): fc.Arbitrary<Case>;
  /** is the case outside the contract by exactly this clause? (others pass as not probed) */
  outsideBy(k: KernelDesc, clause: Clause, c: Case): boolean;
  exec(t: Target, c: Case): Promise<Verdict>;
}

export const BEYOND: BeyondDef = {
  name: 'beyond',
  summary: 'cases outside the declared contract, one clause at a time: divergences from the oracle are reported, not gated (unless --strict)',
  level: 'tile',
  cost: 1,
  clauses: (k) => (k.contract ? excludedClauses(k.contract).filter((cl) => clauseOps(cl).some((op) => declares(k, [op]))) : []),
  skipReason(k) {
    if (!k.contract) return 'no contract: nothing is outside it';
    return this.clauses(k).length ? null : 'the contract excludes nothing of what the kernel declares';
  },
  // the other clauses narrowed away, so a divergence found is this clause's
  arb: (k, clause) => caseFor(k, { level: 'tile' }).map((c) => narrowContract(c, k.contract!, clause)),
  outsideBy: (k, clause, c) => { const v = contractViolations(c, k.contract!); return v.length === 1 && v[0] === clause; },
  exec: (t, c) => runCase(t.backend, t.kernel, c),
};

/** Every raw-tag probe once, in the chain the random cases shrink to; the random cases put the
 *  probes anywhere before a store. */
function rawTagEdges(k: KernelDesc): Case[] {
  return RAW_TAG_PROBES.map((tag): Case => nameEdgeCase({
    format: 'bitexact-case/1', level: 'tile', m: k.mr, n: k.nr, k: 0, a: Array.from({ length: k.mr }, () => []), b: [],
    chain: [{ op: 'clear' }, { op: 'raw_tag', tag }, { op: 'store', item_size: 4 }],
  }, `raw_tag_${tag}`));
}

/** A tile-level chain adapted to an m x n frame: vectors and matrices resized by cycling,
 *  load_tile (tile level only) replaced by clear + add_unicast of the same values. */
function retarget(chain: Op[], m: number, n: number): Op[] {
  const vec = (v: number[], len: number) => Array.from({ length: len }, (_, i) => v[i % v.length]);
  const mat = (v: number[][]) => Array.from({ length: m }, (_, i) => vec(v[i % v.length], n));
  return chain.flatMap((op): Op[] => {
    switch (op.op) {
      case 'load_tile': return [{ op: 'clear' }, { op: 'add_unicast', item_size: 4, layout: 'row_major', values: mat(op.values) }];
      case 'per_row': return [{ ...op, values: vec(op.values, m) }];
      case 'per_col': return [{ ...op, values: vec(op.values, n) }];
      case 'add_row_col_products': return [{ ...op, rows: vec(op.rows, m), cols: vec(op.cols, n) }];
      // broadcast layouts stay consistent: cycling repeats equal rows / columns
      case 'add_unicast': return [{ ...op, values: mat(op.values) }];
      default: return [op];
    }
  });
}

const resize = (a: number[][], m: number, k: number): number[][] => Array.from({ length: m }, (_, i) => Array.from({ length: k }, (_x, kk) => a[i % a.length]?.[kk] ?? 0));
const resizeB = (b: number[][], k: number, n: number): number[][] => Array.from({ length: k }, (_, kk) => Array.from({ length: n }, (_x, j) => b[kk][j % b[kk].length]));

export const propertyByName = (name: string): PropertyDef | undefined => PROPERTIES.find((p) => p.name === name);

/** Every property name `--property` accepts. */
export const PROPERTY_NAMES = [...PROPERTIES.map((p) => p.name), BEYOND.name];
