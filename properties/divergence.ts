// The first divergent op of a failing case: the chain prefixes are re-run on the kernel, each
// ending in a probe Store, until one differs from the oracle. The op ending that prefix is where
// the kernel first departs; when no prefix differs, the failing Store itself is. Failures are
// grouped by it (properties/run.ts), so it carries the op's parameter class: the fields that
// select a code path in a kernel (bin, policy, layout, item size, packing), not the values.
import type { Case, Op } from '../oracle/types.js';
import { opSpec, I32_MAX, I32_MIN } from '../oracle/opset.js';
import { evalChainFast } from '../oracle/fast.js';
import { checkCase } from '../oracle/validate.js';
import { CONTRACT_FIELDS, narrowingOf, specDomain, type Contract, type ContractOp, type IntRange } from '../oracle/contract.js';
import type { FailedVerdict, Verdict } from './verdict.js';
import { isTie } from '../coverage/semantic.js';

export interface FirstDivergence {
  /** index in the chain */
  at: number;
  op: Op['op'];
  /** the op with its parameter class, e.g. `add_unicast(item_size 1, col_major)` */
  cls: string;
  /** what the case hit at that op: an exact tie of a rounding op, an i32 extreme reaching it,
   *  a field at a boundary of its declared domain */
  hits: string[];
  /** the probe Store the prefixes ended in; `alone`: a chain of the head op and the probe Store
   *  already differs, so the Store is blamed (every prefix would differ) */
  probe: string;
  alone?: true;
}

/** Fields that choose a kernel's code path: enums, small value sets, the packing index. */
const isClassField = (name: string, kind: string, oneOf: boolean): boolean =>
  kind === 'bin' || kind === 'policy' || kind === 'layout' || kind === 'ulayout' || oneOf || name === 'packing';

/** `op(field value, ...)` over the class fields; an absent optional layout is row_major. */
export function opClass(op: Op): string {
  const f = op as unknown as Record<string, unknown>;
  const parts: string[] = [];
  for (const [name, s] of Object.entries(opSpec(op.op).fields)) {
    const oneOf = s.kind === 'int' && 'oneOf' in s.domain;
    if (!isClassField(name, s.kind, oneOf)) continue;
    const v = f[name] ?? (s.kind === 'layout' || s.kind === 'ulayout' ? 'row_major' : name === 'packing' ? 0 : undefined);
    if (v === undefined) continue;
    parts.push(s.kind === 'int' ? `${name} ${v}` : String(v));
  }
  return parts.length ? `${op.op}(${parts.join(', ')})` : op.op;
}

/** The verdicts a prefix probe can explain: wrong values and crashes of a plain case (a case
 *  with an earlier call, a refusal, a fault or a hang names its place itself, or costs a
 *  timeout per probe). */
export function probeable(c: Case, v: FailedVerdict): boolean {
  if (v.stale) return false;
  // a Store before a refused op: its prefixes end before the refusal
  if (v.outcome === 'mismatch') return v.cells.length > 0 && !ranAfterRefusal(v);
  return v.outcome === 'crash';
}

/** A mismatch whose first differing Store is one that had to stay unrun (after a refusal). */
export const ranAfterRefusal = (v: FailedVerdict): boolean => v.outcome === 'mismatch' && v.refusedAt >= 0 && v.cells[0].store >= v.storesRun;

/** Chain index of the k-th Store. */
const storeIndex = (chain: Op[], k: number): number => {
  let seen = -1;
  for (let i = 0; i < chain.length; i++) if (chain[i].op === 'store' && ++seen === k) return i;
  return chain.length - 1;
};

/** The probe Store: i32 row-major (nothing truncated), where the kernel's contract allows it,
 *  else the failing Store's item size row-major. A frame keeps its Store's layout. */
function probeStore(c: Case, failing: Extract<Op, { op: 'store' }>, contract: Contract | undefined): Extract<Op, { op: 'store' }> {
  const sizes = contract?.store?.item_size;
  const item_size = !sizes || sizes.includes(4) ? 4 : failing.item_size;
  const layouts = contract?.store?.layout;
  const layout = c.level === 'frame' || (layouts && !layouts.includes('row_major')) ? failing.layout : 'row_major';
  return layout ? { op: 'store', item_size, layout } : { op: 'store', item_size };
}

/**
 * Finds the first divergent op of a failing case by re-running prefixes with `exec`: a plain
 * call of the case's level (a frame case probes through the frame), not a property's own
 * judgement. Undefined when the verdict is not one a prefix can explain or the chain has no
 * Store; prefixes that are no valid case are skipped.
 */
export async function firstDivergence(c0: Case, v: FailedVerdict, exec: (c: Case) => Promise<Verdict>, contract?: Contract): Promise<FirstDivergence | undefined> {
  if (!probeable(c0, v)) return undefined;
  // a case with an earlier call that failed on its own contents (not kept state): probed alone
  const c: Case = c0.prior ? { ...c0, prior: undefined } : c0;
  const end = v.outcome === 'mismatch' ? storeIndex(c.chain, v.cells[0].store) : c.chain.length - 1;
  const failing = c.chain[end];
  const store = failing?.op === 'store' ? failing : [...c.chain].reverse().find((o): o is Extract<Op, { op: 'store' }> => o.op === 'store');
  if (!store) return undefined;
  const probe = probeStore(c, store, contract);
  const probeText = opClass(probe);
  const fails = async (chain: Op[]): Promise<boolean | undefined> => {
    const cand: Case = { ...c, chain, expect: undefined };
    if (checkCase(cand)) return undefined;
    return !(await exec(cand)).ok;
  };
  const blame = (at: number, alone?: true): FirstDivergence => ({
    at, op: c.chain[at].op, cls: opClass(c.chain[at]), hits: hitsAt(c, at, contract), probe: probeText, ...(alone ? { alone } : {}),
  });
  for (let i = 0; i < end; i++) {
    if (c.chain[i].op === 'store') continue;
    if (!(await fails([...c.chain.slice(0, i + 1), probe]))) continue;
    // the first prefix differs: the head op, or a Store that differs whatever precedes it
    const head = c.chain.slice(0, i).every((o) => o.op === 'store');
    if (head && (c.chain[i].op === 'clear' || (await fails(c.level === 'tile' ? [{ op: 'clear' }, probe] : [probe])))) return blame(end, true);
    return blame(i);
  }
  return blame(end);
}

/** What the case hit at chain[at]: an exact tie or an i32 extreme entering a rounding op, a
 *  field at a boundary of its declared (contract or SPEC) domain. */
function hitsAt(c: Case, at: number, contract: Contract | undefined): string[] {
  const op = c.chain[at];
  const out: string[] = [];
  if (op.op === 'q_scale' || op.op === 'rounding_shift_right' || op.op === 'shift_left') {
    const acc = at === 0 ? [] : evalChainFast({ ...c, chain: c.chain.slice(0, at) }, { validate: false }).acc;
    const vals = acc.flat();
    if (op.op !== 'shift_left') {
      const s = op.op === 'q_scale' ? op.shift + 31 : op.shift;
      const mult = op.op === 'q_scale' ? BigInt(op.mult) : 1n;
      const ties = vals.filter((x) => isTie(mult * BigInt(x), s)).length;
      if (ties) out.push(`an exact tie of ${op.op} (${ties} of ${vals.length} cells, policy ${op.policy})`);
    }
    const ext = vals.filter((x) => x === I32_MIN || x === I32_MAX);
    if (ext.length) out.push(`an i32 extreme (${[...new Set(ext)].join(', ')}) entering ${op.op}`);
  }
  if (op.op in CONTRACT_FIELDS) {
    const name = op.op as ContractOp;
    for (const field of CONTRACT_FIELDS[name]) {
      const x = (op as unknown as Record<string, unknown>)[field];
      const d = (contract && narrowingOf(contract, name, field)) ?? specDomain(name, field);
      if (typeof x !== 'number' || Array.isArray(d)) continue;
      const r = d as IntRange;
      if (x === r.min || x === r.max) out.push(`${name}.${field} = ${x}, the ${x === r.min ? 'min' : 'max'} of its ${contract && narrowingOf(contract, name, field) ? 'declared' : "SPEC"} domain`);
    }
  }
  return out;
}

/** `#2 add_unicast(item_size 1, col_major)`, and what the case hit there. */
export function divergenceText(d: FirstDivergence): string {
  const alone = d.alone ? ` (a chain of the head op and ${d.probe} alone already differs)` : '';
  return `first divergent op: #${d.at} ${d.cls}${alone}${d.hits.length ? `; the case hit ${d.hits.join(', ')}` : ''}`;
}
