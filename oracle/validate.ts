// The domain of definition (docs/semantics.md, "Domain of definition") and the shape rules of a
// case (docs/formats.md). A case outside it is rejected, before anything runs, with an error
// that names the op, the field and the allowed range.
import { PRIOR_VARIANTS, type Op } from './types.js';
import { ENUM_VALUES, I32_MIN, I32_MAX, OP_NAMES, RAW_TAG_MAX, TAG_COUNT, opSpec, rawTagProblem, type OpName } from './opset.js';

export { I32_MIN, I32_MAX, U32_MAX } from './opset.js';

/** A rejected case: `path` is a JSON path into the case (`$.chain[3].shift`), `message` says
 *  what the value is and what is allowed. Never carries a partial result. */
export class ValidationError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'ValidationError';
    this.path = path;
  }
}

/** How large a case may be: checked before anything is allocated for it, so a hostile case
 *  file is an error in milliseconds and never an out-of-memory abort or a stack overflow.
 *  Elements count every integer the case holds or makes the oracle hold: a (m x k), b (k x n),
 *  the m x n accumulator, each op's vector (m or n) and matrix (m x n), expect (m x n). */
export const CASE_LIMITS = {
  /** m and n */
  maxDim: 4096,
  maxK: 65536,
  /** ops in the chain */
  maxChain: 1024,
  maxElements: 1 << 22,
  /** bytes of a case file */
  maxBytes: 64 << 20,
  /** nesting of arrays and objects in a case file (a case needs 5: case, chain, op, matrix, row) */
  maxDepth: 8,
} as const;
export type CaseLimit = keyof typeof CASE_LIMITS;

/** A case beyond CASE_LIMITS: `limit` names the bound it exceeds. */
export class LimitError extends ValidationError {
  constructor(path: string, readonly limit: CaseLimit, readonly detail: string) {
    super(path, `${detail} (limit ${limit} = ${CASE_LIMITS[limit]})`);
    this.name = 'LimitError';
  }

  /** The same error, its message prefixed (a file name). */
  in(prefix: string): LimitError { return new LimitError(this.path, this.limit, `${prefix}: ${this.detail}`); }
}

/** Elements a case of this shape holds (see CASE_LIMITS), from m, n, k and the op names only. */
export function caseElements(m: number, n: number, k: number, chain: readonly unknown[]): number {
  let total = m * k + k * n + m * n;
  for (const raw of chain) {
    const name = (raw as { op?: unknown } | null)?.op;
    if (typeof name !== 'string' || !(OP_NAMES as readonly string[]).includes(name)) continue;
    for (const f of Object.values(opSpec(name as OpName).fields)) {
      if (f.kind === 'mat') total += m * n;
      else if (f.kind === 'vec') total += f.len === 'm' ? m : n;
    }
  }
  return total;
}

/** The nesting depth of a JSON text (arrays and objects), counted without parsing it. */
export function jsonDepth(text: string, stopAt = Infinity): number {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++; // backslash: skip the escaped character
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 91 || ch === 123) { if (++depth > max && (max = depth) > stopAt) return max; }
    else if (ch === 93 || ch === 125) depth--;
  }
  return max;
}

/** The nesting depth of a parsed value, walked without recursion, stopping past stopAt. */
export function valueDepth(v: unknown, stopAt = Infinity): number {
  let max = 0;
  const todo: [unknown, number][] = [[v, 1]];
  while (todo.length) {
    const [x, d] = todo.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > max && (max = d) > stopAt) return max;
    for (const y of Array.isArray(x) ? x : Object.values(x)) if (y !== null && typeof y === 'object') todo.push([y, d + 1]);
  }
  return max;
}

/** The size limits of a case whose m, n, k are integers: the first one exceeded, or null. */
export function limitProblem(m: number, n: number, k: number, chain: unknown, shown: Partial<Record<'m' | 'n' | 'k', string>> = {}): LimitError | null {
  const L = CASE_LIMITS;
  if (m > L.maxDim) return new LimitError('$.m', 'maxDim', `m = ${shown.m ?? m}: allowed 1..${L.maxDim}`);
  if (n > L.maxDim) return new LimitError('$.n', 'maxDim', `n = ${shown.n ?? n}: allowed 1..${L.maxDim}`);
  if (k > L.maxK) return new LimitError('$.k', 'maxK', `k = ${shown.k ?? k}: allowed 0..${L.maxK}`);
  if (Array.isArray(chain) && chain.length > L.maxChain) return new LimitError('$.chain', 'maxChain', `chain has ${chain.length} ops: allowed at most ${L.maxChain}`);
  const total = caseElements(m, n, k, Array.isArray(chain) ? chain : []);
  if (total > L.maxElements) return new LimitError('$', 'maxElements', `a case of m x n x k = ${m} x ${n} x ${k} with ${Array.isArray(chain) ? chain.length : 0} ops holds ${total} integers: allowed at most ${L.maxElements}`);
  return null;
}

/** What the oracle evaluates: a Case, or the same fields without the file envelope. */
export interface ChainInput {
  level: 'frame' | 'tile';
  m: number;
  n: number;
  k: number;
  a: readonly (readonly number[])[];
  b: readonly (readonly number[])[];
  chain: readonly Op[];
}

/** Signed range of a stored item of item_size bytes. */
export const itemRange = (itemSize: number): [number, number] =>
  itemSize === 1 ? [-128, 127] : itemSize === 2 ? [-32768, 32767] : [I32_MIN, I32_MAX];

export interface ValidateOptions {
  /** original text of integers given as decimal strings, by JSON path (for exact messages) */
  raw?: ReadonlyMap<string, string>;
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

class Checker {
  constructor(private readonly raw: ReadonlyMap<string, string> | undefined) {}

  show(path: string, v: unknown): string {
    const r = this.raw?.get(path);
    if (r !== undefined) return r;
    return typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
  }

  /** A decimal held as a string (a raw tag): the file's text, else the decimal. */
  decimal(path: string, v: string): string {
    return this.raw?.get(path) ?? v;
  }

  /** v must be an integer in lo..hi; label names the field in the message. */
  int(path: string, label: string, v: unknown, lo: number, hi: number, note?: string): number {
    if (!isInt(v) || v < lo || v > hi) {
      const range = hi === Number.MAX_SAFE_INTEGER ? `integers >= ${lo}` : `${lo}..${hi}`;
      throw new ValidationError(path, `${label} = ${this.show(path, v)}: allowed ${range}${note ? ` (${note})` : ''}`);
    }
    return v;
  }

  oneOf<T extends string | number>(path: string, label: string, v: unknown, allowed: readonly T[]): T {
    if (!allowed.includes(v as T)) {
      throw new ValidationError(path, `${label} = ${this.show(path, v)}: allowed ${allowed.join(', ')}`);
    }
    return v as T;
  }

  vector(path: string, label: string, v: unknown, len: number, lenName: string, lo: number, hi: number, note: string): void {
    if (!Array.isArray(v)) throw new ValidationError(path, `${label} is not an array: expected ${lenName} = ${len} integers`);
    if (v.length !== len) throw new ValidationError(path, `${label} has ${v.length} entries: expected ${lenName} = ${len}`);
    v.forEach((x, i) => this.int(`${path}[${i}]`, `${label}[${i}]`, x, lo, hi, note));
  }

  matrix(path: string, label: string, v: unknown, rows: number, cols: number, shape: string, lo: number, hi: number, note: string): void {
    if (!Array.isArray(v)) throw new ValidationError(path, `${label} is not an array: expected ${shape} integers`);
    if (v.length !== rows) throw new ValidationError(path, `${label} has ${v.length} rows: expected ${shape}`);
    v.forEach((row, i) => {
      const p = `${path}[${i}]`;
      if (!Array.isArray(row)) throw new ValidationError(p, `${label}[${i}] is not an array: expected ${cols} integers (${shape})`);
      if (row.length !== cols) throw new ValidationError(p, `${label}[${i}] has ${row.length} entries: expected ${cols} (${shape})`);
      row.forEach((x, j) => this.int(`${p}[${j}]`, `${label}[${i}][${j}]`, x, lo, hi, note));
    });
  }
}

/** Throws ValidationError on the first violation of the domain or the shapes; returns otherwise. */
export function validateCase(c: ChainInput & { format?: string; prior?: string; expect?: readonly (readonly number[])[] }, opts: ValidateOptions = {}): void {
  const ck = new Checker(opts.raw);
  if (c === null || typeof c !== 'object') throw new ValidationError('$', 'a case must be an object');
  if ('format' in c && c.format !== undefined && c.format !== 'bitexact-case/1') {
    throw new ValidationError('$.format', `format = ${ck.show('$.format', c.format)}: allowed "bitexact-case/1"`);
  }
  ck.oneOf('$.level', 'level', c.level, ['frame', 'tile']);
  const m = ck.int('$.m', 'm', c.m, 1, Number.MAX_SAFE_INTEGER);
  const n = ck.int('$.n', 'n', c.n, 1, Number.MAX_SAFE_INTEGER);
  const k = ck.int('$.k', 'k', c.k, 0, Number.MAX_SAFE_INTEGER, 'k = 0 adds nothing');
  const tooBig = limitProblem(m, n, k, c.chain, { m: ck.show('$.m', m), n: ck.show('$.n', n), k: ck.show('$.k', k) });
  if (tooBig) throw tooBig;
  ck.matrix('$.a', 'a', c.a, m, k, `m x k = ${m} x ${k}`, -128, 127, 'int8');
  ck.matrix('$.b', 'b', c.b, k, n, `k x n = ${k} x ${n}`, -128, 127, 'int8');
  validateChain(c.chain, c.level, m, n, ck);
  if ('prior' in c && c.prior !== undefined) {
    ck.oneOf('$.prior', 'prior', c.prior, PRIOR_VARIANTS);
    if (c.level !== 'tile') throw new ValidationError('$.prior', 'prior is tile level only (a frame case has no fixed buffer addresses per kernel call)');
  }
  if ('expect' in c && c.expect !== undefined) {
    let last: Op | undefined;
    for (const op of c.chain) if (op.op === 'store') last = op;
    if (last === undefined || last.op !== 'store') {
      throw new ValidationError('$.expect', 'expect is given but the chain has no store (expect = the last store\'s values)');
    }
    const [lo, hi] = itemRange(last.item_size);
    ck.matrix('$.expect', 'expect', c.expect, m, n, `m x n = ${m} x ${n}`, lo, hi, `the last store has item_size ${last.item_size}`);
  }
}

function validateChain(chain: unknown, level: 'frame' | 'tile', m: number, n: number, ck: Checker): void {
  if (!Array.isArray(chain)) throw new ValidationError('$.chain', 'chain is not an array of ops');
  if (level === 'tile') {
    const first = chain[0] as { op?: unknown } | undefined;
    if (first === undefined) throw new ValidationError('$.chain', 'chain is empty: a tile-level chain must start with clear or load_tile (the accumulator is undefined at entry)');
    if (first?.op !== 'clear' && first?.op !== 'load_tile') {
      throw new ValidationError('$.chain[0].op', `chain[0] (${String(first?.op)}): a tile-level chain must start with clear or load_tile (the accumulator is undefined at entry)`);
    }
  }
  chain.forEach((op: unknown, idx: number) => validateOp(op, idx, level, m, n, ck));
}

function validateOp(raw: unknown, idx: number, level: 'frame' | 'tile', m: number, n: number, ck: Checker): void {
  const base = `$.chain[${idx}]`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError(base, `chain[${idx}] is not an op object`);
  const op = raw as Record<string, unknown>;
  const name: OpName = ck.oneOf(`${base}.op`, `chain[${idx}].op`, op.op, OP_NAMES);
  const spec = opSpec(name);
  const at = (f: string): string => `${base}.${f}`;
  const lab = (f: string): string => `chain[${idx}] (${name}).${f}`;
  if (spec.level === 'tile' && level !== 'tile') {
    const why = spec.tag === 'field' ? 'the frame rejects a tag of no op before anything runs' : 'the frame starts from a cleared accumulator';
    throw new ValidationError(at('op'), `chain[${idx}] (${name}): ${name} exists only at tile level (${why})`);
  }
  for (const [f, fs] of Object.entries(spec.fields)) {
    const v = op[f];
    if (v === undefined && !fs.required) continue;
    switch (fs.kind) {
      case 'int':
        if ('oneOf' in fs.domain) ck.oneOf(at(f), lab(f), v, fs.domain.oneOf);
        else ck.int(at(f), lab(f), v, fs.domain.range[0], fs.domain.range[1], 'note' in fs.domain ? fs.domain.note : undefined);
        break;
      case 'bin': case 'policy': case 'layout': case 'ulayout':
        ck.oneOf(at(f), lab(f), v, ENUM_VALUES[fs.kind]);
        break;
      case 'vec':
        ck.vector(at(f), lab(f), v, fs.len === 'm' ? m : n, fs.len, I32_MIN, I32_MAX, 'i32');
        break;
      case 'tag': {
        const why = typeof v === 'string' ? rawTagProblem(v) : 'not exact as a JSON number: write it as a decimal string';
        const shown = typeof v === 'string' ? ck.decimal(at(f), v) : ck.show(at(f), v);
        if (why !== null) throw new ValidationError(at(f), `${lab(f)} = ${shown}: allowed ${TAG_COUNT}..${RAW_TAG_MAX}, no tag of the ABI (${why})`);
        break;
      }
      case 'mat': {
        const item = fs.elem === 'item_size' ? op.item_size as number : 4;
        const [lo, hi] = itemRange(item);
        ck.matrix(at(f), lab(f), v, m, n, `m x n = ${m} x ${n}`, lo, hi, item === 1 ? 'i8: item_size 1' : 'i32');
        break;
      }
    }
  }
  EXTRA_CHECKS[name]?.(op, { m, n, at, lab });
}

interface Where { m: number; n: number; at: (f: string) => string; lab: (f: string) => string }

/** Domain rules that tie fields together, beyond each field's own range. */
const EXTRA_CHECKS: Partial<Record<OpName, (op: Record<string, unknown>, w: Where) => void>> = {
  /** a broadcast layout repeats rows / columns / one value through zero strides */
  add_unicast: (op, { m, n, at, lab }) => {
    const layout = op.layout ?? 'row_major';
    const v = op.values as number[][];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const [ri, rj, what] =
          layout === 'broadcast_row' ? [0, j, 'every row equal to row 0 (row stride 0)']
          : layout === 'broadcast_col' ? [i, 0, 'every column equal to column 0 (column stride 0)']
          : layout === 'broadcast' ? [0, 0, 'every value equal to values[0][0] (both strides 0)']
          : [i, j, ''];
        if (v[i][j] !== v[ri][rj]) {
          throw new ValidationError(`${at('values')}[${i}][${j}]`,
            `${lab('values')}[${i}][${j}] = ${v[i][j]}: layout ${String(layout)} needs ${what}, values[${ri}][${rj}] = ${v[ri][rj]}`);
        }
      }
    }
  },
};

/** The non-throwing form: the first violation, or null for a valid case. */
export function checkCase(c: Parameters<typeof validateCase>[0], opts: ValidateOptions = {}): ValidationError | null {
  try {
    validateCase(c, opts);
    return null;
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
}
