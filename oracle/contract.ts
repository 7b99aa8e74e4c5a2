// Kernel contracts: what a kernel promises, as a narrowing of the op table's field domains
// (oracle/opset.ts) plus named value preconditions (values a runtime never produces). No
// contract = SPEC's full domain. One vocabulary for the C descriptor (struct bx_contract,
// emitted by LIST as this JSON form), the manifest, the generators (narrowContract keeps
// cases inside), the coverage cells and the `beyond` property (contractViolations names the
// clauses a case is outside of).
import type { Case, Layout, Op, Policy, UnicastLayout } from './types.js';
import { evalChainFast } from './fast.js';
import { ENUM_VALUES, I32_MAX, I32_MIN, opSpec, type FieldSpec, type OpName } from './opset.js';

/** The op fields a contract may narrow, per op (each an int or enum field of OPSET). */
export const CONTRACT_FIELDS = {
  store: ['item_size', 'layout'],
  add_unicast: ['item_size', 'layout'],
  q_scale: ['mult', 'shift', 'policy'],
  rounding_shift_right: ['shift', 'policy'],
  shift_left: ['shift'],
} as const satisfies Partial<Record<OpName, readonly string[]>>;
export type ContractOp = keyof typeof CONTRACT_FIELDS;
export const CONTRACT_OPS = Object.keys(CONTRACT_FIELDS) as ContractOp[];

/** Named value preconditions, in bit order (bit i of bx_contract.preconditions). */
export const PRECONDITIONS = {
  shift_left_no_overflow: { ops: ['shift_left'], doc: 'no ShiftLeft input overflows: acc * 2^shift fits in i32' },
  no_i32_min_into_rounding: { ops: ['q_scale', 'rounding_shift_right'], doc: 'no i32::MIN reaches QScale or RoundingShiftRight' },
  row_col_products_i16: { ops: ['add_row_col_products'], doc: 'AddRowColProducts rows and cols are within i16' },
} as const satisfies Record<string, { ops: readonly OpName[]; doc: string }>;
export type Precondition = keyof typeof PRECONDITIONS;
export const PRECONDITION_NAMES = Object.keys(PRECONDITIONS) as Precondition[];

export interface IntRange { min: number; max: number }

/** The JSON form (LIST's descriptor `contract`, the manifest's): per op, per field, a range
 *  `{min, max}` (int fields with a range domain) or a list of values (sets and enums); fields
 *  left out keep SPEC's domain. */
export interface Contract {
  store?: { item_size?: (1 | 2 | 4)[]; layout?: Layout[] };
  add_unicast?: { item_size?: (1 | 4)[]; layout?: UnicastLayout[] };
  q_scale?: { mult?: IntRange; shift?: IntRange; policy?: Policy[] };
  rounding_shift_right?: { shift?: IntRange; policy?: Policy[] };
  shift_left?: { shift?: IntRange };
  preconditions?: Precondition[];
}
// a compile error here: Contract and CONTRACT_FIELDS disagree on an op or a field
const contractMatchesFields: { [N in ContractOp]: Exclude<keyof NonNullable<Contract[N]>, (typeof CONTRACT_FIELDS)[N][number]> extends never ? ((typeof CONTRACT_FIELDS)[N][number] extends keyof NonNullable<Contract[N]> ? true : false) : false } =
  { store: true, add_unicast: true, q_scale: true, rounding_shift_right: true, shift_left: true };
void contractMatchesFields;

/** A clause of a contract: `<op>.<field>` or a precondition name. */
export type Clause = string;

export class ContractError extends Error {
  constructor(readonly path: string, what: string) {
    super(`${path}: ${what}`);
    this.name = 'ContractError';
  }
}

const fieldSpec = (op: ContractOp, field: string): FieldSpec => opSpec(op).fields[field];

/** SPEC's domain of a contract field: a range, or the list of allowed values. */
export function specDomain(op: ContractOp, field: string): IntRange | readonly (number | string)[] {
  const f = fieldSpec(op, field);
  if (f.kind === 'int') return 'range' in f.domain ? { min: f.domain.range[0], max: f.domain.range[1] } : f.domain.oneOf;
  if (f.kind === 'policy' || f.kind === 'layout' || f.kind === 'ulayout') return ENUM_VALUES[f.kind];
  throw new Error(`contract: ${op}.${field} is not a narrowable field`);
}

const isRange = (d: unknown): d is IntRange => typeof d === 'object' && d !== null && !Array.isArray(d);

/** Parses and validates the JSON form; errors name the JSON path (`contract.q_scale.mult.min`). */
export function parseContract(v: unknown, where = 'contract'): Contract {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ContractError(where, 'expected an object');
  const out: Record<string, unknown> = {};
  for (const [key, val] of Object.entries(v)) {
    const at = `${where}.${key}`;
    if (key === 'preconditions') {
      if (!Array.isArray(val)) throw new ContractError(at, 'expected an array of precondition names');
      val.forEach((p, i) => {
        if (!(PRECONDITION_NAMES as string[]).includes(p as string)) throw new ContractError(`${at}[${i}]`, `expected one of ${PRECONDITION_NAMES.join(', ')}, got ${JSON.stringify(p)}`);
        if (val.indexOf(p) !== i) throw new ContractError(`${at}[${i}]`, `${JSON.stringify(p)} listed twice`);
      });
      out.preconditions = [...val];
      continue;
    }
    if (!(CONTRACT_OPS as string[]).includes(key)) throw new ContractError(at, `expected one of ${[...CONTRACT_OPS, 'preconditions'].join(', ')}`);
    const op = key as ContractOp;
    if (typeof val !== 'object' || val === null || Array.isArray(val)) throw new ContractError(at, 'expected an object of fields');
    const fields: Record<string, unknown> = {};
    for (const [field, nv] of Object.entries(val)) {
      const fat = `${at}.${field}`;
      if (!(CONTRACT_FIELDS[op] as readonly string[]).includes(field)) throw new ContractError(fat, `${op} has no narrowable field ${JSON.stringify(field)} (${CONTRACT_FIELDS[op].join(', ')})`);
      const dom = specDomain(op, field);
      if (isRange(dom)) {
        if (!isRange(nv)) throw new ContractError(fat, `expected {"min": lo, "max": hi} within ${dom.min}..${dom.max}`);
        const extra = Object.keys(nv).filter((x) => x !== 'min' && x !== 'max');
        if (extra.length) throw new ContractError(`${fat}.${extra[0]}`, 'unexpected key (min, max)');
        for (const b of ['min', 'max'] as const) {
          const x = (nv as unknown as Record<string, unknown>)[b];
          if (typeof x !== 'number' || !Number.isInteger(x) || x < dom.min || x > dom.max) throw new ContractError(`${fat}.${b}`, `expected an integer in ${dom.min}..${dom.max} (SPEC's domain), got ${JSON.stringify(x)}`);
        }
        if (nv.min > nv.max) throw new ContractError(fat, `min ${nv.min} is above max ${nv.max}`);
        fields[field] = { min: nv.min, max: nv.max };
      } else {
        if (!Array.isArray(nv) || nv.length === 0) throw new ContractError(fat, `expected a non-empty list of ${dom.join(', ')}`);
        nv.forEach((x, i) => {
          if (!dom.includes(x as never)) throw new ContractError(`${fat}[${i}]`, `expected one of ${dom.join(', ')} (SPEC's domain), got ${JSON.stringify(x)}`);
          if (nv.indexOf(x) !== i) throw new ContractError(`${fat}[${i}]`, `${JSON.stringify(x)} listed twice`);
        });
        fields[field] = [...nv];
      }
    }
    out[op] = fields;
  }
  return out as Contract;
}

/** The narrowing a contract declares for a field (undefined: SPEC's domain). */
export function narrowingOf(c: Contract, op: ContractOp, field: string): IntRange | readonly (number | string)[] | undefined {
  return (c[op] as Record<string, IntRange | (number | string)[]> | undefined)?.[field];
}

/** The domain a contract allows for a field: its narrowing, else SPEC's. */
const allowed = (c: Contract, op: ContractOp, field: string) => narrowingOf(c, op, field) ?? specDomain(op, field);

const inDomain = (d: IntRange | readonly (number | string)[], x: number | string): boolean =>
  isRange(d) ? typeof x === 'number' && x >= d.min && x <= d.max : d.includes(x);

/** The clauses that exclude something from SPEC's domain (a narrowing equal to SPEC's domain
 *  excludes nothing), in table order, preconditions last. */
export function excludedClauses(c: Contract): Clause[] {
  const out: Clause[] = [];
  for (const op of CONTRACT_OPS) for (const field of CONTRACT_FIELDS[op]) {
    const n = narrowingOf(c, op, field);
    if (!n) continue;
    const s = specDomain(op, field);
    const narrower = isRange(s) ? (n as IntRange).min > s.min || (n as IntRange).max < s.max : s.some((x) => !(n as readonly unknown[]).includes(x));
    if (narrower) out.push(`${op}.${field}`);
  }
  return [...out, ...(c.preconditions ?? [])];
}

/** The ops a clause is about: a kernel that declares none of them cannot meet the clause. */
export const clauseOps = (cl: Clause): readonly OpName[] =>
  cl in PRECONDITIONS ? PRECONDITIONS[cl as Precondition].ops : [cl.split('.')[0] as OpName];

/** The value a field of an op takes (optional fields: their default). */
function fieldValue(op: Op, field: string): number | string {
  const v = (op as unknown as Record<string, number | string | undefined>)[field];
  if (v !== undefined) return v;
  if (field === 'layout') return 'row_major';
  throw new Error(`contract: ${op.op}.${field} has no value`);
}

const fitsI16 = (x: number) => x >= -32768 && x <= 32767;
const shiftFits = (v: number, s: number) => { const x = v * 2 ** s; return x >= I32_MIN && x <= I32_MAX; };

/** The accumulator each op of the chain meets (index i: before chain[i]), computed only for
 *  the ops `want` selects. */
function accsBefore(c: Case, want: (op: Op) => boolean): Map<number, number[][]> {
  const out = new Map<number, number[][]>();
  c.chain.forEach((op, i) => {
    if (!want(op)) return;
    out.set(i, i === 0 ? Array.from({ length: c.m }, () => new Array<number>(c.n).fill(0)) : evalChainFast({ ...c, chain: c.chain.slice(0, i) }, { validate: false }).acc);
  });
  return out;
}

/** Every clause of the contract the case is outside of (empty: the case is in the contract). */
export function contractViolations(c: Case, contract: Contract): Clause[] {
  const out = new Set<Clause>();
  for (const op of c.chain) {
    if (!(op.op in CONTRACT_FIELDS)) continue;
    const name = op.op as ContractOp;
    for (const field of CONTRACT_FIELDS[name]) {
      const n = narrowingOf(contract, name, field);
      if (n && !inDomain(n, fieldValue(op, field))) out.add(`${name}.${field}`);
    }
  }
  const pre = new Set(contract.preconditions ?? []);
  if (pre.has('row_col_products_i16') && c.chain.some((o) => o.op === 'add_row_col_products' && !(o.rows.every(fitsI16) && o.cols.every(fitsI16)))) out.add('row_col_products_i16');
  const sl = pre.has('shift_left_no_overflow'), rmin = pre.has('no_i32_min_into_rounding');
  if (sl || rmin) {
    const accs = accsBefore(c, (o) => (sl && o.op === 'shift_left') || (rmin && (o.op === 'q_scale' || o.op === 'rounding_shift_right')));
    for (const [i, acc] of accs) {
      const op = c.chain[i];
      if (op.op === 'shift_left' && acc.some((r) => r.some((v) => !shiftFits(v, op.shift)))) out.add('shift_left_no_overflow');
      if (op.op !== 'shift_left' && acc.some((r) => r.includes(I32_MIN))) out.add('no_i32_min_into_rounding');
    }
  }
  return [...out];
}

export const inContract = (c: Case, contract: Contract): boolean => contractViolations(c, contract).length === 0;

const clamp = (x: number, r: IntRange) => Math.min(r.max, Math.max(r.min, x));
/** A value outside an allowed set, mapped deterministically into it (by its index in SPEC's). */
const intoSet = <T>(x: T, spec: readonly T[], ok: readonly T[]): T => (ok.includes(x) ? x : ok[Math.max(0, spec.indexOf(x)) % ok.length]);

/** QScale (mult, shift) moved into the contract's ranges keeping mult / 2^(shift+31) where
 *  powers of two allow it (as tract's Scaler normalises a scale), else clamped. */
function narrowQScale(op: Extract<Op, { op: 'q_scale' }>, c: Contract, keep?: Clause): Extract<Op, { op: 'q_scale' }> {
  const mr = keep === 'q_scale.mult' ? specDomain('q_scale', 'mult') as IntRange : allowed(c, 'q_scale', 'mult') as IntRange;
  const sr = keep === 'q_scale.shift' ? specDomain('q_scale', 'shift') as IntRange : allowed(c, 'q_scale', 'shift') as IntRange;
  let { mult, shift } = op;
  if (mult < 0 && mr.min >= 0) mult = -mult; // a non-negative range: the magnitude
  const bound = Math.max(Math.abs(mr.min), Math.abs(mr.max));
  while (mult !== 0 && !inDomain(mr, mult) && Math.abs(mult * 2) <= bound && shift + 1 <= sr.max) { mult *= 2; shift += 1; }
  while (!inDomain(mr, mult) && mult % 2 === 0 && mult !== 0 && shift - 1 >= sr.min) { mult /= 2; shift -= 1; }
  return { ...op, mult: clamp(mult, mr), shift: clamp(shift, sr) };
}

/** The case moved into the contract where a field or value can be moved without changing the
 *  chain's form: fields clamped or mapped into their narrowing, QScale normalised, AddRowColProducts
 *  operands clamped to i16, ShiftLeft amounts lowered until the input fits. `keep`: a clause
 *  left as generated (the `beyond` property probes it). Value preconditions that cannot be
 *  repaired this way (i32::MIN into a rounding op) are left for contractViolations to reject. */
export function narrowContract(c: Case, contract: Contract, keep?: Clause): Case {
  const fix = (name: ContractOp, field: string, x: number | string): number | string => {
    if (keep === `${name}.${field}`) return x;
    const n = narrowingOf(contract, name, field);
    if (!n || inDomain(n, x)) return x;
    return isRange(n) ? clamp(x as number, n) : intoSet(x, specDomain(name, field) as readonly (number | string)[], n);
  };
  const pre = new Set((contract.preconditions ?? []).filter((p) => p !== keep));
  let chain = c.chain.map((op): Op => {
    switch (op.op) {
      case 'store': case 'add_unicast': {
        const o = { ...op, item_size: fix(op.op, 'item_size', op.item_size), layout: fix(op.op, 'layout', op.layout ?? 'row_major') } as Op;
        if (op.layout === undefined && (o as { layout: string }).layout === 'row_major') delete (o as { layout?: string }).layout;
        if (o.op === 'add_unicast' && o.item_size === 1 && op.item_size !== 1) o.values = o.values.map((r) => r.map((x) => (x << 24) >> 24));
        return o;
      }
      case 'q_scale': { const q = narrowQScale(op, contract, keep); return { ...q, policy: fix('q_scale', 'policy', q.policy) as typeof q.policy }; }
      case 'rounding_shift_right': return { ...op, shift: fix(op.op, 'shift', op.shift) as number, policy: fix(op.op, 'policy', op.policy) as typeof op.policy };
      case 'shift_left': return { ...op, shift: fix(op.op, 'shift', op.shift) as number };
      case 'add_row_col_products': {
        if (!pre.has('row_col_products_i16')) return op;
        const r = { min: -32768, max: 32767 };
        return { ...op, rows: op.rows.map((x) => clamp(x, r)), cols: op.cols.map((x) => clamp(x, r)) };
      }
      default: return op;
    }
  });
  if (pre.has('shift_left_no_overflow') && chain.some((o) => o.op === 'shift_left')) {
    const lo = keep === 'shift_left.shift' ? 0 : (allowed(contract, 'shift_left', 'shift') as IntRange).min;
    for (let i = 0; i < chain.length; i++) {
      const op = chain[i];
      if (op.op !== 'shift_left') continue;
      const acc = accsBefore({ ...c, chain: chain.slice(0, i + 1) }, (o) => o === op).get(i)!;
      let s = op.shift;
      while (s > lo && acc.some((r) => r.some((v) => !shiftFits(v, s)))) s--;
      if (s !== op.shift) chain = [...chain.slice(0, i), { op: 'shift_left', shift: s }, ...chain.slice(i + 1)];
    }
  }
  return { ...c, chain };
}

/** A contract's clauses as one line each, for reports. */
export function contractLines(c: Contract): string[] {
  const out: string[] = [];
  for (const op of CONTRACT_OPS) for (const field of CONTRACT_FIELDS[op]) {
    const n = narrowingOf(c, op, field);
    if (n) out.push(`${op}.${field} ${isRange(n) ? `in ${n.min}..${n.max}` : `in {${n.join(', ')}}`}`);
  }
  for (const p of c.preconditions ?? []) out.push(`${p}: ${PRECONDITIONS[p].doc}`);
  return out;
}

/** Whether a semantic-coverage cell (oracle/opset.ts OP_CELLS) can be reached inside the
 *  contract: cells of an excluded item size, layout or policy, negative-mult ties under a
 *  non-negative mult range, and i32::MIN into a rounding op under no_i32_min_into_rounding are not. */
export function cellInContract(cell: string, c: Contract): boolean {
  const p = cell.split('.');
  const ok = (op: ContractOp, field: string, x: number | string) => { const n = narrowingOf(c, op, field); return !n || inDomain(n, x); };
  if ((p[0] === 'store' || p[0] === 'add_unicast') && p.length === 3 && /^i(8|16|32)$/.test(p[2]))
    return ok(p[0], 'layout', p[1]) && ok(p[0], 'item_size', Number(p[2].slice(1)) / 8);
  const round = p[0] === 'q_scale' ? 'q_scale' : p[0] === 'rsr' ? 'rounding_shift_right' : undefined;
  if (round && p[1] === 'in') return !(p[2] === 'i32min' && c.preconditions?.includes('no_i32_min_into_rounding'));
  if (round === 'q_scale' && p[1] === 'neg_mult') return (allowed(c, 'q_scale', 'mult') as IntRange).min < 0;
  if (round && p.length === 3) return ok(round, 'policy', p[1]);
  return true;
}
