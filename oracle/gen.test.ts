// The checked-in generated files match the op table, and the table is consistent.
import { describe, expect, test } from 'vitest';
import { Ajv } from 'ajv';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GEN_COMMAND, HEADER_FILE, cName, generated, opsHeader, packageRoot, staleFiles, tractName, writeGenerated } from './gen.js';
import { SCHEMA_FILE, caseSchema } from './schema.js';
import { OPSET, OP_NAMES, OP_TAGS, OPS_V1_MASK, TAGS, TAG, abiTags, opTag, tagName } from './opset.js';
import { BINS } from './types.js';

describe('generated files', () => {
  test.each([HEADER_FILE, SCHEMA_FILE])('%s is up to date with oracle/opset.ts', (file) => {
    const want = generated()[file];
    const have = readFileSync(resolve(packageRoot(), file), 'utf8');
    // the message names the command that regenerates it
    expect(have === want, `${file} is out of date: run \`${GEN_COMMAND}\` and commit the result`).toBe(true);
  });

  test('staleFiles lists nothing here, every file where they are missing, none once written', () => {
    expect(staleFiles()).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'bitexact-gen-'));
    try {
      expect(staleFiles(dir)).toEqual([HEADER_FILE, SCHEMA_FILE]);
      expect(writeGenerated(dir)).toEqual([HEADER_FILE, SCHEMA_FILE]);
      expect(staleFiles(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the header: every tag once with its C name, BX_OPS_V1 frozen', () => {
    const h = opsHeader();
    for (const t of TAGS) expect(h).toContain(`  ${cName(t)} = ${t.tag},`);
    expect(h).toContain(`BX_OP_COUNT = ${TAGS.length}`);
    expect(h).toContain('#define BX_OPS_V1 UINT64_C(0x000000001fffffff)');
    expect(cName(TAGS[TAG.scalar_sub_f])).toBe('BX_SCALAR_SUBF');
    expect(cName(TAGS[TAG.q_scale])).toBe('BX_Q_SCALE');
    expect(tractName(TAGS[TAG.per_col_sub_f])).toBe('PerColSubF');
    expect(tractName(TAGS[TAG.add_row_col_products])).toBe('AddRowColProducts');
  });

  test('the published schema is a valid draft-07 schema that ajv compiles', () => {
    const ajv = new Ajv({ strictTypes: false });
    ajv.addKeyword('x-expected');
    expect(() => ajv.compile(caseSchema())).not.toThrow();
    expect(JSON.parse(readFileSync(resolve(packageRoot(), SCHEMA_FILE), 'utf8'))).toEqual(caseSchema());
  });
});

describe('op table', () => {
  test('tags are contiguous from 0, families take one tag per bin in BINS order', () => {
    expect(TAGS.map((t) => t.tag)).toEqual([...TAGS.keys()]);
    expect(TAGS.length).toBe(29);
    for (const op of OP_NAMES) expect(OP_TAGS[op]).toHaveLength('family' in OPSET[op] ? BINS.length : 1);
    expect(opTag({ op: 'per_col', bin: 'sub_f', values: [] })).toBe(21);
    expect(opTag({ op: 'store', item_size: 4 })).toBe(27);
    expect(tagName(7)).toBe('scalar_sub');
    expect(tagName(99)).toBe('tag99');
  });

  test('ABI v1 is exactly the frozen set', () => {
    const mask = abiTags(1).reduce((m, t) => m | (1n << BigInt(t)), 0n);
    expect(mask).toBe(OPS_V1_MASK);
  });

  test('every payload layout fits in the four words of an entry', () => {
    const width = { i32: 1, imm: 1, policy: 1, i32_vec: 1, i32_tile: 1, strided: 4, matmul: 4 } as const;
    for (const op of OP_NAMES) {
      const words = OPSET[op].words as readonly { w: keyof typeof width; field?: string }[];
      expect(words.reduce((n, w) => n + width[w.w], 0), op).toBeLessThanOrEqual(4);
      for (const w of words) if (w.field !== undefined) expect(Object.keys(OPSET[op].fields), `${op} word field`).toContain(w.field);
    }
  });
});
