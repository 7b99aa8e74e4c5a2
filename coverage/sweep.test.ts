// The coverage sweep alone reaches every cell requiredCells asks of a kernel: for every kernel
// the backends list here (built-in, the example kernel, the test kernels with their partial op
// sets), and for tile shapes and op sets no kernel has yet. Its cases are valid, use only
// declared ops, and are the same on every call.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { coverageSweep, type SweepKernel } from './sweep.js';
import { cellsOf, requiredCells } from './semantic.js';
import { abiTags, OP_NAMES, OP_TAGS, declaresOp, opSpec, type OpName } from '../oracle/opset.js';
import { validateCase } from '../oracle/validate.js';
import { openKernels } from '../native/targets.js';
import { PKG_ROOT, testKernelsPath } from '../native/paths.js';

/** Cells the sweep reaches that the kernel must see, missing ones listed. */
function check(k: SweepKernel): { cases: number; missing: string[] } {
  const sweep = coverageSweep(k);
  const hit = new Set(sweep.flatMap((c) => cellsOf(c, k)));
  const declared = new Set(k.supported_ops);
  for (const c of sweep) {
    validateCase(c);
    if (c.level === 'tile') expect([c.m, c.n]).toEqual([k.mr, k.nr]);
    for (const op of c.chain) expect(declaresOp(declared, op), `${op.op} undeclared`).toBe(true);
  }
  expect(JSON.stringify(coverageSweep(k))).toBe(JSON.stringify(sweep));
  return { cases: sweep.length, missing: requiredCells(k).filter((c) => !hit.has(c)) };
}

const ALL = abiTags(1);
const REQUIRED_OPS = OP_NAMES.filter((o) => opSpec(o).required);
const OPTIONAL_OPS = OP_NAMES.filter((o) => !opSpec(o).required);
const tagsOf = (ops: OpName[]): number[] => [0, ...ops.flatMap((o) => OP_TAGS[o])];

describe('coverage sweep', () => {
  test('covers every required cell of every kernel listed here (built-in, example, test kernels)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bitexact-sweep-'));
    const ext = join(tmp, 'libext_kernel.so');
    execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${join(PKG_ROOT, 'native', 'include')}`, join(PKG_ROOT, 'examples', 'external-kernel', 'ext_kernel.c'), '-o', ext], { stdio: 'pipe' });
    const set = await openKernels({ libs: [ext, testKernelsPath()] });
    try {
      const names = set.all.map((a) => a.kernel.name);
      // the kernels this test is about are there (aarch64 ones when qemu runs here)
      for (const n of ['generic_i32_4x4', 'ext_generic_i32_4x4', 'test_ref_i32_4x4', 'test_ref_i32_3x5', 'test_minimal_i32_4x4']) expect(names).toContain(n);
      for (const { kernel } of set.all) {
        const r = check(kernel);
        expect(r.missing, kernel.name).toEqual([]);
        expect(r.cases, kernel.name).toBeLessThanOrEqual(16);
      }
    } finally {
      await set.close();
    }
  });

  test('covers every required cell for any op set and tile shape', () => {
    const opSets: number[][] = [
      ALL, tagsOf(REQUIRED_OPS),
      ...OPTIONAL_OPS.map((o) => tagsOf([...REQUIRED_OPS, o])),
      ...OPTIONAL_OPS.map((o) => tagsOf(OP_NAMES.filter((x) => x !== o))),
      tagsOf([...REQUIRED_OPS, 'q_scale', 'rounding_shift_right']),
    ];
    const shapes: [number, number][] = [[1, 1], [1, 4], [4, 1], [2, 2], [3, 5], [4, 4], [8, 8], [16, 16], [32, 32], [64, 1]];
    for (const [mr, nr] of shapes) for (const supported_ops of opSets) {
      const k = { mr, nr, supported_ops, packings: [0, 1] };
      expect(check(k).missing, `${mr}x${nr} ops ${supported_ops.join(',')}`).toEqual([]);
    }
  });

  test('requires only what a kernel can reach: borders its shape allows, ties only with a seeding op', () => {
    expect(requiredCells({ mr: 1, nr: 1, supported_ops: ALL })).not.toContain('tile.border_both');
    expect(requiredCells({ mr: 1, nr: 4, supported_ops: ALL })).toContain('tile.border_n');
    const roundOnly = requiredCells({ mr: 4, nr: 4, supported_ops: tagsOf([...REQUIRED_OPS, 'q_scale']) });
    expect(roundOnly).toContain('q_scale.even.nontie');
    expect(roundOnly.filter((c) => c.endsWith('.tie') || c.includes('.in.'))).toEqual([]);
    // a full kernel: every cell the op table lists
    const full = requiredCells({ mr: 4, nr: 4, supported_ops: ALL });
    expect(full).toEqual(expect.arrayContaining(['leaky_relu.alpha0', 'q_scale.neg_mult.tie', 'rsr.odd.tie', 'q_scale.in.i32min', 'tile.border_both']));
  });
});
