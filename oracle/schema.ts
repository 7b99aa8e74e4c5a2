// The JSON Schema of the `bitexact-case/1` file format, derived from the op table. It checks
// structure (fields, types, enums); the domain (ranges, shapes against m / n / k) is
// oracle/validate.ts's step, whose messages name the op and the allowed range. Each node the
// reader can report on carries `x-expected`: the words of its error message ("expected ...").
// Published as schema/bitexact-case-1.schema.json (`npm run gen`).
import { PRIOR_VARIANTS } from './types.js';
import { ENUM_VALUES, OP_NAMES, RAW_TAG_MAX, TAG_COUNT, opSpec, type FieldSpec, type OpName } from './opset.js';

export const FORMAT = 'bitexact-case/1';
export const SCHEMA_FILE = 'schema/bitexact-case-1.schema.json';

/** Top-level keys, in the order the reader checks them. */
export const TOP_KEYS = ['format', 'level', 'm', 'n', 'k', 'a', 'b', 'chain', 'expect', 'prior', 'kernel', 'seed', 'note'] as const;

type Json = { [key: string]: unknown };

const ref = (name: string, description?: string): Json => (description ? { $ref: `#/definitions/${name}`, description } : { $ref: `#/definitions/${name}` });
const oneOfText = (xs: readonly (string | number)[]): string => `one of ${xs.join('|')}`;

const KIND_DEF: Record<FieldSpec['kind'], string> = {
  int: 'int', bin: 'bin', policy: 'policy', layout: 'layout', ulayout: 'ulayout', vec: 'vec', mat: 'mat', tag: 'int',
};

/** A field's description: its doc and, for integers, the domain the validator enforces. */
function fieldDoc(f: FieldSpec): string {
  if (f.kind === 'tag') return `${f.doc}; allowed ${TAG_COUNT}..${RAW_TAG_MAX} (no tag of the ABI)`;
  if (f.kind !== 'int') return f.doc;
  const d = f.domain;
  const allowed = 'oneOf' in d ? d.oneOf.join(', ')
    : d.range[1] === Number.MAX_SAFE_INTEGER ? `>= ${d.range[0]}` : `${d.range[0]}..${d.range[1]}`;
  return `${f.doc}; allowed ${allowed}${'note' in d && d.note ? ` (${d.note})` : ''}`;
}

function opDef(name: OpName): Json {
  const s = opSpec(name);
  const props: Json = { op: { const: name } };
  for (const [f, spec] of Object.entries(s.fields)) props[f] = ref(KIND_DEF[spec.kind], fieldDoc(spec));
  const required = ['op', ...Object.entries(s.fields).filter(([, f]) => f.required).map(([f]) => f)];
  return {
    description: `${s.doc}${s.level === 'tile' ? ' (tile level only)' : ''}`,
    type: 'object', additionalProperties: false, required, properties: props,
  };
}

/** The schema object (draft-07). */
export function caseSchema(): Json {
  const definitions: Json = {
    int: {
      description: 'an integer; beyond 2^53 written as a decimal string',
      'x-expected': 'an integer (a JSON number or a decimal string)',
      anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?(0|[1-9][0-9]*)$' }],
    },
    vec: { type: 'array', items: ref('int'), 'x-expected': 'an array of integers' },
    mat: { type: 'array', items: ref('vec'), 'x-expected': 'an array of rows (arrays of integers)' },
    bin: { enum: ENUM_VALUES.bin, 'x-expected': oneOfText(ENUM_VALUES.bin) },
    policy: { enum: ENUM_VALUES.policy, 'x-expected': oneOfText(ENUM_VALUES.policy) },
    layout: { enum: ENUM_VALUES.layout, 'x-expected': oneOfText(ENUM_VALUES.layout) },
    ulayout: { enum: ENUM_VALUES.ulayout, 'x-expected': oneOfText(ENUM_VALUES.ulayout) },
    op: {
      type: 'object',
      'x-expected': 'an op object ({"op": ...})',
      required: ['op'],
      properties: { op: { enum: OP_NAMES, 'x-expected': oneOfText(OP_NAMES) } },
      allOf: OP_NAMES.map((n) => ({ if: { type: 'object', required: ['op'], properties: { op: { const: n } } }, then: ref(`op_${n}`) })),
    },
  };
  for (const n of OP_NAMES) definitions[`op_${n}`] = opDef(n);
  const str = { type: 'string', 'x-expected': 'a string' };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:bitexact:schema:bitexact-case-1',
    title: FORMAT,
    description: 'A bitexact case: int8 operands a (m x k), b (k x n) and a chain of ops on an i32 accumulator (docs/formats.md). '
      + 'Generated from oracle/opset.ts by `npm run gen`; ranges are checked by the domain step and listed in each field\'s description.',
    'x-expected': 'an object',
    type: 'object',
    additionalProperties: false,
    required: ['format', 'level', 'm', 'n', 'k', 'a', 'b', 'chain'],
    properties: {
      format: { const: FORMAT, 'x-expected': `"${FORMAT}"` },
      level: { enum: ['frame', 'tile'], 'x-expected': oneOfText(['frame', 'tile']) },
      m: ref('int', 'rows of the result; >= 1'),
      n: ref('int', 'columns of the result; >= 1'),
      k: ref('int', 'depth; >= 0'),
      a: ref('mat', 'm x k int8, row-major'),
      b: ref('mat', 'k x n int8, row-major'),
      chain: { type: 'array', items: ref('op'), 'x-expected': 'an array of ops' },
      expect: ref('mat', 'the values written by the last store (m x n, signed)'),
      kernel: { ...str, description: 'provenance: the kernel that failed' },
      prior: { enum: [...PRIOR_VARIANTS], 'x-expected': oneOfText(PRIOR_VARIANTS), description: 'tile level: first call the kernel at the same addresses on contents derived from this case (every content byte changed, or only interior ones), or on the same contents at other addresses, then judge this case' },
      seed: { ...str, description: 'provenance: the seed / path that found it' },
      note: { ...str, description: 'free-form' },
    } satisfies Record<(typeof TOP_KEYS)[number], Json>,
    definitions,
  };
}

/** The published file's text (stable: 2-space JSON, trailing newline). */
export const caseSchemaText = (): string => `${JSON.stringify(caseSchema(), null, 2)}\n`;

