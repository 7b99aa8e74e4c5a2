// The `bitexact-case/1` file format (SPEC section 6): reader with a hand-written schema check
// (every error names the JSON path and what was expected; never a stack trace, never a partial
// result), then the domain check of oracle/validate.ts; and a stable, pretty writer.
import { BINS, POLICIES, LAYOUTS, UNICAST_LAYOUTS } from './types.js';
import type { Case, Op } from './types.js';
import { ValidationError, validateCase, OP_NAMES } from './validate.js';

export const FORMAT = 'bitexact-case/1';

const TOP_KEYS = ['format', 'level', 'm', 'n', 'k', 'a', 'b', 'chain', 'expect', 'kernel', 'seed', 'note'] as const;

type FieldKind = 'int' | 'bin' | 'policy' | 'layout' | 'ulayout' | 'vec' | 'mat';
/** Per op: field -> [kind, required]. */
const OP_FIELDS: Record<(typeof OP_NAMES)[number], Record<string, [FieldKind, boolean]>> = {
  clear: {},
  load_tile: { values: ['mat', true] },
  scalar: { bin: ['bin', true], value: ['int', true], garbage: ['int', false] },
  leaky_relu: { alpha: ['int', true], garbage: ['int', false] },
  per_row: { bin: ['bin', true], values: ['vec', true] },
  per_col: { bin: ['bin', true], values: ['vec', true] },
  q_scale: { shift: ['int', true], policy: ['policy', true], mult: ['int', true] },
  rounding_shift_right: { shift: ['int', true], policy: ['policy', true] },
  shift_left: { shift: ['int', true] },
  add_unicast: { values: ['mat', true], item_size: ['int', true], layout: ['ulayout', false] },
  add_row_col_products: { rows: ['vec', true], cols: ['vec', true] },
  store: { item_size: ['int', true], layout: ['layout', false] },
  add_mat_mul: { packing: ['int', false] },
};

const got = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

class Parser {
  /** original text of integers written as decimal strings beyond the safe range, by path */
  readonly raw = new Map<string, string>();

  fail(path: string, expected: string, v: unknown): never {
    throw new ValidationError(path, `${path}: expected ${expected}, got ${got(v)}`);
  }

  object(path: string, v: unknown, allowed: readonly string[]): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, 'an object', v);
    const o = v as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!allowed.includes(key)) {
        throw new ValidationError(`${path}.${key}`, `${path}.${key}: unknown field (allowed here: ${allowed.join(', ') || 'none'})`);
      }
    }
    return o;
  }

  /** An integer: a JSON number, or a decimal string (for values beyond 2^53). */
  int(path: string, v: unknown): number {
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) this.fail(path, 'an integer', v);
      return v === 0 ? 0 : v; // no -0
    }
    if (typeof v === 'string' && /^-?(0|[1-9][0-9]*)$/.test(v)) {
      const big = BigInt(v);
      if (big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(big);
      this.raw.set(path, v);       // out of every domain: validateCase rejects it, naming the field
      return Number(big);
    }
    return this.fail(path, 'an integer (a JSON number or a decimal string)', v);
  }

  oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !allowed.includes(v as T)) this.fail(path, `one of ${allowed.join('|')}`, v);
    return v as T;
  }

  vec(path: string, v: unknown): number[] {
    if (!Array.isArray(v)) this.fail(path, 'an array of integers', v);
    return (v as unknown[]).map((x, i) => this.int(`${path}[${i}]`, x));
  }

  mat(path: string, v: unknown): number[][] {
    if (!Array.isArray(v)) this.fail(path, 'an array of rows (arrays of integers)', v);
    return (v as unknown[]).map((row, i) => this.vec(`${path}[${i}]`, row));
  }

  str(path: string, v: unknown): string {
    if (typeof v !== 'string') this.fail(path, 'a string', v);
    return v as string;
  }

  op(path: string, v: unknown): Op {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, 'an op object ({"op": ...})', v);
    const name = this.oneOf(`${path}.op`, (v as Record<string, unknown>).op, OP_NAMES);
    const fields = OP_FIELDS[name];
    const o = this.object(path, v, ['op', ...Object.keys(fields)]);
    const out: Record<string, unknown> = { op: name };
    for (const [field, [kind, required]] of Object.entries(fields)) {
      const p = `${path}.${field}`;
      const x = o[field];
      if (x === undefined) {
        if (required) {
          const need = Object.entries(fields).filter(([, [, r]]) => r).map(([f]) => f).join(', ');
          throw new ValidationError(p, `${p}: missing (${name} needs ${need})`);
        }
        continue;
      }
      switch (kind) {
        case 'int': out[field] = this.int(p, x); break;
        case 'bin': out[field] = this.oneOf(p, x, BINS); break;
        case 'policy': out[field] = this.oneOf(p, x, POLICIES); break;
        case 'layout': out[field] = this.oneOf(p, x, LAYOUTS); break;
        case 'ulayout': out[field] = this.oneOf(p, x, UNICAST_LAYOUTS); break;
        case 'vec': out[field] = this.vec(p, x); break;
        case 'mat': out[field] = this.mat(p, x); break;
      }
    }
    return out as Op;
  }
}

/** Checks a parsed JSON value against the schema and the domain; returns the in-memory Case.
 *  Throws ValidationError (path + message) on the first problem. */
export function parseCase(obj: unknown): Case {
  const P = new Parser();
  const o = P.object('$', obj, TOP_KEYS);
  if (o.format !== FORMAT) P.fail('$.format', `"${FORMAT}"`, o.format);
  const c: Case = {
    format: FORMAT,
    level: P.oneOf('$.level', o.level, ['frame', 'tile'] as const),
    m: P.int('$.m', o.m),
    n: P.int('$.n', o.n),
    k: P.int('$.k', o.k),
    a: P.mat('$.a', o.a),
    b: P.mat('$.b', o.b),
    chain: [],
  };
  if (!Array.isArray(o.chain)) P.fail('$.chain', 'an array of ops', o.chain);
  c.chain = (o.chain as unknown[]).map((op, i) => P.op(`$.chain[${i}]`, op));
  if (o.expect !== undefined) c.expect = P.mat('$.expect', o.expect);
  if (o.kernel !== undefined) c.kernel = P.str('$.kernel', o.kernel);
  if (o.seed !== undefined) c.seed = P.str('$.seed', o.seed);
  if (o.note !== undefined) c.note = P.str('$.note', o.note);
  validateCase(c, { raw: P.raw });
  return c;
}

/** Reads a case file's text. Errors are ValidationErrors whose message starts with fileName. */
export function readCase(text: string, fileName = '<case>'): Case {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ValidationError('$', `${fileName}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    return parseCase(obj);
  } catch (e) {
    if (e instanceof ValidationError) throw new ValidationError(e.path, `${fileName}: ${e.message}`);
    throw e;
  }
}

const OP_KEY_ORDER = ['op', 'bin', 'value', 'alpha', 'shift', 'policy', 'mult', 'item_size', 'layout', 'packing', 'garbage', 'rows', 'cols', 'values'];

const rowJson = (row: readonly number[]): string => `[${row.join(', ')}]`;

function matJson(mat: readonly (readonly number[])[], indent: string): string {
  if (mat.length === 0) return '[]';
  return `[\n${mat.map((row) => `${indent}  ${rowJson(row)}`).join(',\n')}\n${indent}]`;
}

function opJson(op: Op, indent: string): string {
  const o = op as unknown as Record<string, unknown>;
  const keys = Object.keys(o).filter((key) => o[key] !== undefined)
    .sort((x, y) => OP_KEY_ORDER.indexOf(x) - OP_KEY_ORDER.indexOf(y));
  const parts = keys.map((key) => {
    const v = o[key];
    if (Array.isArray(v) && Array.isArray(v[0])) return `"${key}": ${matJson(v as number[][], indent)}`;
    if (Array.isArray(v)) return `"${key}": ${rowJson(v as number[])}`;
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
