// The deterministic edge cases carry XNNPACK-style names (k_eq_0, k_gt_16, m_gt_mr.n_eq_1.k_eq_5,
// raw_tag_29), and a failure of one prints its name.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { conformance } from '../conform/engine.js';
import { PKG_ROOT } from '../native/paths.js';
import { abiTags } from '../oracle/opset.js';
import type { KernelDesc } from '../native/descriptor.js';
import { deterministicCases, propertyByName } from './kernel-properties.js';
import { edgeCaseOf } from './report.js';

const desc: KernelDesc = {
  name: 'k', isa: 'generic', mr: 4, nr: 4, runnable: true, why: '',
  packings: [{ a: { kind: 'packed_format', r: 4, align: 1, end_padding_record: 1 }, b: { kind: 'packed_format', r: 4, align: 1, end_padding_record: 1 }, k_alignment: 1 }],
  packing_ids: [1], supported_ops: abiTags(1),
};
const names = (p: string) => deterministicCases(propertyByName(p)!, desc).edges.map((c) => edgeCaseOf(c)?.name);

describe('edge case names', () => {
  test('tile: k at 0..9 and around each unroll', () => {
    expect(names('tile')).toEqual([
      ...Array.from({ length: 10 }, (_, k) => `k_eq_${k}`),
      ...[16, 32, 64, 128, 256].flatMap((u) => [`k_lt_${u}`, `k_eq_${u}`, `k_gt_${u}`]),
    ]);
  });

  test('frame: every border shape x two depths, each name once; gating: the raw-tag probes', () => {
    const frame = names('frame');
    expect(new Set(frame).size).toBe(frame.length);
    expect(frame).toContain('m_eq_1.n_eq_1.k_eq_5');
    expect(frame).toContain('m_lt_mr.n_gt_2nr.k_eq_8');
    expect(frame).toContain('m_gt_mr.n_eq_nr.k_eq_5');
    expect(names('gating').every((n) => /^raw_tag_\d+$/.test(n ?? ''))).toBe(true);
    // the coverage-sweep cases are named too
    const sweep = deterministicCases(propertyByName('tile')!, desc).sweep.map((c) => edgeCaseOf(c)?.name);
    expect(sweep.length).toBeGreaterThan(0);
    for (const n of sweep) expect(n).toMatch(/^sweep_\d+_of_\d+$/);
  });

  test('a kernel that drops the last k step past k = 16 fails edge case k_gt_16, by name', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bitexact-edge-'));
    const src = readFileSync(join(PKG_ROOT, 'examples', 'external-kernel', 'ext_kernel.c'), 'utf8');
    const bug = 'kk < (op->u.add_mat_mul.k > 16 ? op->u.add_mat_mul.k - 1 : op->u.add_mat_mul.k)';
    const patched = src.replace('kk < op->u.add_mat_mul.k', bug);
    expect(patched).toContain(bug);
    writeFileSync(join(tmp, 'ktail.c'), patched);
    const lib = join(tmp, 'libktail.so');
    execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${join(PKG_ROOT, 'native', 'include')}`, join(tmp, 'ktail.c'), '-o', lib], { stdio: 'pipe' });
    const r = await conformance({ kernelLibs: [lib], builtins: false, properties: ['tile'], runs: 5, seed: 1, fixtureDir: null, aarch64: false });
    const p = r.kernels[0].properties[0];
    expect(p.status).toBe('failed');
    // k = 0..16 pass: the first failing case is the edge case at k = 17
    expect(p.failure!.text.split('\n')[1]).toMatch(/^(shrunk from )?edge case k_gt_16 \(/);
  }, 60_000);
});
