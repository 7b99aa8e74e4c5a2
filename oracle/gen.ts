// Generated files derived from the op table, checked in so C builds and external tools need
// no Node: the C tag enum / name table / frozen tag sets (native/include/bitexact/ops.gen.h)
// and the case format's JSON Schema. `npm run gen` (node dist/oracle/gen.js) rewrites them;
// oracle/gen.test.ts fails when a checked-in copy is out of date.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BIN_DOC, OPSET, OP_NAMES, OPS_V1_MASK, TAG, TAGS, abiTags, opSpec, type TagInfo, type TagName } from './opset.js';
import { caseSchemaText, SCHEMA_FILE } from './schema.js';

export const HEADER_FILE = 'native/include/bitexact/ops.gen.h';
export const GEN_COMMAND = 'npm run build && npm run gen';

/** C enumerator of a tag: BX_ + the name upper-cased, a family's bin without its underscore
 *  (BX_SCALAR_SUBF). */
export const cName = (t: TagInfo): string =>
  `BX_${(t.bin === undefined ? t.name : `${t.op}_${t.bin.replace('_', '')}`).toUpperCase()}`;

/** tract's FusedKerSpec variant name (ScalarSubF, QScale, AddMatMul). */
export const tractName = (t: TagInfo): string =>
  t.name.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

const hex64 = (x: bigint): string => `UINT64_C(0x${x.toString(16).padStart(16, '0')})`;
const maskOf = (tags: readonly number[]): bigint => tags.reduce((m, t) => m | (1n << BigInt(t)), 0n);

function tagComment(t: TagInfo): string {
  if (t.op === 'done') return 'end of the chain';
  const s = opSpec(t.op);
  const what = t.bin === undefined ? s.doc : `${s.doc}, bin(x, acc) = ${BIN_DOC[t.bin]}`;
  return `${what}; frame: ${s.frame}${s.level === 'tile' ? '; tile level only' : ''}`;
}

/** The text of ops.gen.h. */
export function opsHeader(): string {
  const v1 = maskOf(abiTags(1));
  if (v1 !== OPS_V1_MASK) {
    throw new Error(`opset: the ABI v1 tags are frozen (0x${OPS_V1_MASK.toString(16)}), the table gives 0x${v1.toString(16)}: a new op needs abi 2`);
  }
  const last = TAGS.length - 1;
  const w = Math.max(...TAGS.map((t) => cName(t).length)) + ` = ${last},`.length;
  const names = (f: (t: TagInfo) => string): string =>
    TAGS.map((t) => `  "${f(t)}",`).join(' \\\n').replace(/,$/, '');
  return `/*
 * bitexact/ops.gen.h: the op tags of the kernel ABI (docs/semantics.md) and their names.
 * GENERATED from oracle/opset.ts by \`${GEN_COMMAND}\`: do not edit. Included by bitexact/kernel.h.
 */
#ifndef BITEXACT_OPS_GEN_H
#define BITEXACT_OPS_GEN_H

#include <stdint.h>

/* Op tags (the usize at offset 0 of every entry). */
enum bx_op_tag {
${TAGS.map((t) => `${`  ${cName(t)} = ${t.tag},`.padEnd(w + 2)} /* ${tagComment(t)} */`).join('\n')}
  BX_OP_COUNT = ${TAGS.length}
};

/* Tags BX_OP_COUNT..UINTPTR_MAX are no op of any ABI version: a kernel returns 1 at such an
 * entry, nothing after it runs (the gate probes them with the case op raw_tag). */

/* The highest tag this header knows, and every tag it knows as a bit set. */
#define BX_OP_LAST_TAG ${last}
#define BX_OP_LAST_TAG_STR "${last}"
#define BX_OPS_KNOWN ${hex64(maskOf(TAGS.map((t) => t.tag)))}

/* Ops every kernel must implement (BX_OP_BIT: bitexact/kernel.h). */
#define BX_OPS_REQUIRED (${['done', ...OP_NAMES.filter((n) => 'required' in OPSET[n])].map((n) => `BX_OP_BIT(${cName(TAGS[TAG[n as TagName]])})`).join(' | ')})

/* The tags of ABI version 1, frozen. A descriptor claims the ops it implements from this set
 * (BX_OPS_V1, minus what it lacks), so a tag added later is never claimed by a kernel that has
 * not heard of it. */
#define BX_OPS_V1 ${hex64(OPS_V1_MASK)}

/* Tag names, by tag: snake case as in case files and reports, and tract's variant names. */
#define BX_OP_NAMES_INIT \\
${names((t) => t.name)}
#define BX_OP_TRACT_NAMES_INIT \\
${names(tractName)}

/* Name of a tag, or NULL beyond BX_OP_LAST_TAG. */
static inline const char *bx_op_tag_name(uintptr_t tag) {
  static const char *const names[BX_OP_COUNT] = {BX_OP_NAMES_INIT};
  return tag < BX_OP_COUNT ? names[tag] : (const char *)0;
}

/* tract's name of a tag (ScalarSubF), or NULL beyond BX_OP_LAST_TAG. */
static inline const char *bx_op_tract_name(uintptr_t tag) {
  static const char *const names[BX_OP_COUNT] = {BX_OP_TRACT_NAMES_INIT};
  return tag < BX_OP_COUNT ? names[tag] : (const char *)0;
}

#endif /* BITEXACT_OPS_GEN_H */
`;
}

/** Every generated file: path relative to the package root -> text. */
export const generated = (): Record<string, string> => ({ [HEADER_FILE]: opsHeader(), [SCHEMA_FILE]: caseSchemaText() });

export const packageRoot = (): string => resolve(dirname(fileURLToPath(import.meta.url)), import.meta.url.includes('/dist/') ? '../..' : '..');

/** The generated files whose checked-in copy differs from the table's. */
export function staleFiles(root = packageRoot()): string[] {
  return Object.entries(generated()).filter(([p, text]) => {
    try {
      return readFileSync(resolve(root, p), 'utf8') !== text;
    } catch {
      return true;
    }
  }).map(([p]) => p);
}

/** Writes every generated file; returns the paths written. */
export function writeGenerated(root = packageRoot()): string[] {
  const out = Object.entries(generated());
  for (const [p, text] of out) {
    mkdirSync(dirname(resolve(root, p)), { recursive: true });
    writeFileSync(resolve(root, p), text);
  }
  return out.map(([p]) => p);
}

/* c8 ignore next 3 -- the command line entry point */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const p of writeGenerated()) console.log(`wrote ${p}`);
}
