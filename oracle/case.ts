// The `bitexact-case/1` file format (docs/formats.md): reader checked against the published JSON
// Schema (oracle/schema.ts, with ajv) so every error names the JSON path and what was expected,
// never a stack trace, never a partial result; then the domain check of oracle/validate.ts; and
// a stable, pretty writer.
import type { Ajv as AjvType, ErrorObject, ValidateFunction } from 'ajv';
import { loadAjv } from './ajv.js';
import type { Case, Op } from './types.js';
import { CASE_LIMITS, jsonDepth, LimitError, limitProblem, ValidationError, validateCase, valueDepth } from './validate.js';
import { OPSET, fieldNames, opSpec, requiredFields, type FieldSpec, type OpName } from './opset.js';
import { caseSchema, FORMAT, TOP_KEYS } from './schema.js';

export { FORMAT } from './schema.js';

/** The largest case file the reader takes (CASE_LIMITS.maxBytes). */
export const MAX_CASE_BYTES = CASE_LIMITS.maxBytes;

/** The size limits that need only the top-level m, n, k and the chain's length: checked before
 *  the schema walks the arrays (an m x n the oracle would allocate is refused up front). */
function earlyLimits(obj: unknown): LimitError | null {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const o = obj as Json;
  const dim = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v
    : typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v) ? Number(v) : undefined);
  const [m, n, k] = [dim(o.m), dim(o.n), dim(o.k)];
  if (m === undefined || n === undefined || k === undefined) return null;
  return limitProblem(m, n, k, o.chain, { m: String(o.m), n: String(o.n), k: String(o.k) });
}

type Json = Record<string, unknown>;

const SCHEMA = caseSchema();
// compiled on the first case read (oracle/ajv.ts)
let validator: { ajv: AjvType; validate: ValidateFunction } | undefined;
function shapeValidator(): { ajv: AjvType; validate: ValidateFunction } {
  if (!validator) {
    const ajv = new (loadAjv())({ allErrors: true, verbose: true, strictTypes: false });
    ajv.addKeyword('x-expected');
    validator = { ajv, validate: ajv.compile(SCHEMA) };
  }
  return validator;
}

const got = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** A schema node with its $ref resolved (refs point into SCHEMA.definitions). */
const resolve = (node: Json): Json =>
  typeof node.$ref === 'string' ? resolve((SCHEMA.definitions as Json)[node.$ref.replace('#/definitions/', '')] as Json) : node;

const segments = (pointer: string): string[] =>
  pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

const jsonPath = (segs: readonly string[]): string =>
  segs.reduce((p, s) => (/^[0-9]+$/.test(s) ? `${p}[${s}]` : `${p}.${s}`), '$');

const isOpPath = (segs: readonly string[]): boolean => segs.length === 2 && segs[0] === 'chain' && /^[0-9]+$/.test(segs[1]);

/** Where an error sits in the reader's order: at each object the op name first, then unknown
 *  fields (rank -1), then the fields in schema order; arrays by index. The first error in this order is
 *  reported, so a case with several problems gets the one a reader meets first. */
function rank(root: unknown, segs: readonly string[]): number[] {
  const key: number[] = [];
  let node: unknown = root;
  const order = (at: readonly string[], n: unknown): readonly string[] | null => {
    if (at.length === 0) return TOP_KEYS;
    if (isOpPath(at)) {
      const name = (n as Json)?.op;
      return typeof name === 'string' && Object.hasOwn(OPSET, name) ? ['op', ...fieldNames(name as OpName)] : ['op'];
    }
    return null;
  };
  segs.forEach((s, i) => {
    const ord = order(segs.slice(0, i), node);
    if (ord === null) key.push(Number(s));
    else key.push(s === 'op' && isOpPath(segs.slice(0, i)) ? -2 : Math.max(ord.indexOf(s), -1));
    node = node !== null && typeof node === 'object' ? (node as Json)[s] : undefined;
  });
  return key;
}

const before = (x: readonly number[], y: readonly number[]): number => {
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
};

/** The reader's message for one schema error, or null for errors that only echo another
 *  (a failed branch of an anyOf, an if/then wrapper). */
function describe(e: ErrorObject): { segs: string[]; message: string } | null {
  const segs = segments(e.instancePath);
  const parent = e.parentSchema as Json | undefined;
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    const at = [...segs, missing];
    const p = jsonPath(at);
    const data = e.data as Json;
    if (isOpPath(segs) && missing !== 'op') {
      const name = data.op as OpName;
      return { segs: at, message: `${p}: missing (${name} needs ${requiredFields(name).join(', ')})` };
    }
    const prop = resolve(((parent?.properties ?? {}) as Json)[missing] as Json);
    return { segs: at, message: `${p}: expected ${String(prop['x-expected'])}, got nothing` };
  }
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    const allowed = Object.keys((parent?.properties ?? {}) as Json);
    const at = [...segs, extra];
    return { segs: at, message: `${jsonPath(at)}: unknown field (allowed here: ${allowed.join(', ') || 'none'})` };
  }
  const expected = parent?.['x-expected'];
  if (typeof expected !== 'string') return null;
  // a JSON number that is not an integer: the decimal-string alternative is beside the point
  const what = parent === SCHEMA_INT && typeof e.data === 'number' ? 'an integer' : expected;
  return { segs, message: `${jsonPath(segs)}: expected ${what}, got ${got(e.data)}` };
}

const SCHEMA_INT = (SCHEMA.definitions as Json).int;

/** The first structural problem of a JSON value, in the reader's order, or null. */
function shapeError(obj: unknown): ValidationError | null {
  const { ajv, validate: validateShape } = shapeValidator();
  if (validateShape(obj)) return null;
  let best: { key: number[]; segs: string[]; message: string } | null = null;
  for (const e of validateShape.errors ?? []) {
    const d = describe(e);
    if (d === null) continue;
    const key = rank(obj, d.segs);
    if (best === null || before(key, best.key) < 0) best = { key, segs: d.segs, message: d.message };
  }
  /* c8 ignore next -- every failing keyword of the schema is described above */
  if (best === null) return new ValidationError('$', `$: ${ajv.errorsText(validateShape.errors)}`);
  return new ValidationError(jsonPath(best.segs), best.message);
}

/** The in-memory Case of a structurally valid value: integers as numbers (decimal strings
 *  converted; those beyond the safe range recorded by path for the domain messages). */
function toCase(o: Json, raw: Map<string, string>): Case {
  const int = (path: string, v: unknown): number => {
    if (typeof v === 'number') return v === 0 ? 0 : v; // no -0
    const big = BigInt(v as string);
    if (big < BigInt(Number.MIN_SAFE_INTEGER) || big > BigInt(Number.MAX_SAFE_INTEGER)) raw.set(path, v as string);
    return Number(big);
  };
  const vec = (path: string, v: unknown): number[] => (v as unknown[]).map((x, i) => int(`${path}[${i}]`, x));
  // a u64 tag: its canonical decimal; a JSON number past 2^53 is inexact and left for the domain check
  const tag = (path: string, v: unknown): unknown => {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) return v;
    if (typeof v === 'string') raw.set(path, v);
    return String(BigInt(v as string | number));
  };
  const mat = (path: string, v: unknown): number[][] => (v as unknown[]).map((r, i) => vec(`${path}[${i}]`, r));
  const chain = (o.chain as Json[]).map((op, i): Op => {
    const name = op.op as OpName;
    const out: Json = { op: name };
    for (const [f, spec] of Object.entries(opSpec(name).fields)) {
      const v = op[f];
      if (v === undefined) continue;
      const p = `$.chain[${i}].${f}`;
      out[f] = spec.kind === 'int' ? int(p, v) : spec.kind === 'vec' ? vec(p, v) : spec.kind === 'mat' ? mat(p, v) : spec.kind === 'tag' ? tag(p, v) : v;
    }
    return out as Op;
  });
  const c: Case = {
    format: FORMAT, level: o.level as Case['level'],
    m: int('$.m', o.m), n: int('$.n', o.n), k: int('$.k', o.k),
    a: mat('$.a', o.a), b: mat('$.b', o.b), chain,
  };
  if (o.expect !== undefined) c.expect = mat('$.expect', o.expect);
  if (o.prior !== undefined) c.prior = o.prior as Case['prior'];
  for (const key of ['kernel', 'seed', 'note'] as const) if (o[key] !== undefined) c[key] = o[key] as string;
  return c;
}

/** Checks a parsed JSON value against the schema and the domain; returns the in-memory Case.
 *  Throws ValidationError (path + message) on the first problem. */
export function parseCase(obj: unknown): Case {
  if (valueDepth(obj, CASE_LIMITS.maxDepth) > CASE_LIMITS.maxDepth) throw new LimitError('$', 'maxDepth', `nested deeper than ${CASE_LIMITS.maxDepth} levels of arrays and objects`);
  const early = earlyLimits(obj);
  if (early) throw early;
  const e = shapeError(obj);
  if (e) throw e;
  const raw = new Map<string, string>();
  const c = toCase(obj as Json, raw);
  validateCase(c, { raw });
  return c;
}

/** Reads a case file's text. Errors are ValidationErrors whose message starts with fileName. */
export function readCase(text: string, fileName = '<case>'): Case {
  // before JSON.parse: a huge or deeply nested text never reaches the parser
  if (text.length > CASE_LIMITS.maxBytes) throw new LimitError('$', 'maxBytes', `${fileName}: ${text.length} characters, more than ${CASE_LIMITS.maxBytes}`);
  if (jsonDepth(text, CASE_LIMITS.maxDepth) > CASE_LIMITS.maxDepth) throw new LimitError('$', 'maxDepth', `${fileName}: nested deeper than ${CASE_LIMITS.maxDepth} levels of arrays and objects`);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ValidationError('$', `${fileName}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    return parseCase(obj);
  } catch (e) {
    if (e instanceof LimitError) throw e.in(fileName);
    if (e instanceof ValidationError) throw new ValidationError(e.path, `${fileName}: ${e.message}`);
    throw e;
  }
}


const rowJson = (row: readonly number[]): string => `[${row.join(', ')}]`;

function matJson(mat: readonly (readonly number[])[], indent: string): string {
  if (mat.length === 0) return '[]';
  return `[\n${mat.map((row) => `${indent}  ${rowJson(row)}`).join(',\n')}\n${indent}]`;
}

function opJson(op: Op, indent: string): string {
  const o = op as unknown as Record<string, unknown>;
  const order = ['op', ...fieldNames(op.op)];
  const keys = Object.keys(o).filter((key) => o[key] !== undefined)
    .sort((x, y) => order.indexOf(x) - order.indexOf(y));
  const parts = keys.map((key) => {
    const v = o[key];
    if (Array.isArray(v) && Array.isArray(v[0])) return `"${key}": ${matJson(v as number[][], indent)}`;
    if (Array.isArray(v)) return `"${key}": ${rowJson(v as number[])}`;
    // a tag (a decimal string in memory) is a JSON number while exact, a string past 2^53
    const kind = (opSpec(op.op).fields as Record<string, FieldSpec | undefined>)[key]?.kind;
    if (kind === 'tag' && BigInt(v as string) <= BigInt(Number.MAX_SAFE_INTEGER)) return `"${key}": ${String(v)}`;
    return `"${key}": ${JSON.stringify(v)}`;
  });
  return `{${parts.join(', ')}}`;
}

/** Stable, pretty text of a (valid) case: fixed key order, one matrix row / one op per line. */
export function writeCase(c: Case): string {
  validateCase(c);
  const lines: string[] = [];
  lines.push(`  "format": "${FORMAT}"`);
  lines.push(`  "level": "${c.level}"`);
  lines.push(`  "m": ${c.m}, "n": ${c.n}, "k": ${c.k}`);
  if (c.prior !== undefined) lines.push(`  "prior": ${JSON.stringify(c.prior)}`);
  if (c.kernel !== undefined) lines.push(`  "kernel": ${JSON.stringify(c.kernel)}`);
  if (c.seed !== undefined) lines.push(`  "seed": ${JSON.stringify(c.seed)}`);
  if (c.note !== undefined) lines.push(`  "note": ${JSON.stringify(c.note)}`);
  lines.push(`  "a": ${matJson(c.a, '  ')}`);
  lines.push(`  "b": ${matJson(c.b, '  ')}`);
  lines.push(c.chain.length === 0 ? '  "chain": []'
    : `  "chain": [\n${c.chain.map((op) => `    ${opJson(op, '    ')}`).join(',\n')}\n  ]`);
  if (c.expect !== undefined) lines.push(`  "expect": ${matJson(c.expect, '  ')}`);
  return `{\n${lines.join(',\n')}\n}\n`;
}
