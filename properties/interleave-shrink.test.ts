// The interleave property generates its whole template (quant ops between matmuls and stores:
// the ZA spill/reload structure it exists for) and shrinks a failure by dropping the template
// ops the failure does not need: on the example kernel with Sub / SubF swapped, every distinct
// failure shrinks to the head Clear, the one wrong op (at most one more) and a Store.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { conformance } from '../conform/engine.js';
import { PKG_ROOT } from '../native/paths.js';
import { abiTags } from '../oracle/opset.js';
import type { Case } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import { propertyByName } from './kernel-properties.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-interleave-'));
const buggy = join(tmp, 'libext_kernel_buggy.so');
execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${join(PKG_ROOT, 'native', 'include')}`, join(PKG_ROOT, 'examples', 'external-kernel', 'ext_kernel_buggy.c'), '-o', buggy], { stdio: 'pipe' });

const desc: KernelDesc = {
  name: 'ext_generic_i32_4x4', isa: 'generic', mr: 4, nr: 4, runnable: true, why: '',
  packings: [{ a: { kind: 'packed_format', r: 4, align: 1, end_padding_record: 1 }, b: { kind: 'packed_format', r: 4, align: 1, end_padding_record: 1 }, k_alignment: 1 }],
  packing_ids: [1], supported_ops: abiTags(1),
};

describe('interleave: whole template generated, template ops dropped when shrinking', () => {
  test('every generated case is the whole 11- or 13-op template', () => {
    const ops = fc.sample(propertyByName('interleave')!.arb(desc), { numRuns: 200, seed: 7 }).map((c) => c.chain.length);
    expect(new Set(ops)).toEqual(new Set([11, 13]));
  });

  test('Sub/SubF swapped: each distinct interleave failure shrinks to <= 4 ops', async () => {
    const shrunk: { seed: number; ops: string[] }[] = [];
    for (const seed of [1, 2, 3]) {
      const r = await conformance({ kernelLibs: [buggy], builtins: false, properties: ['interleave'], runs: 200, seed, fixtureDir: null, aarch64: false });
      const p = r.kernels[0].properties[0];
      expect(p.status).toBe('failed');
      for (const f of p.failures!) {
        const c = f.case as Case;
        shrunk.push({ seed, ops: c.chain.map((o) => ('bin' in o ? `${o.op}:${o.bin}` : o.op)) });
        expect(c.chain[0].op).toBe('clear');
        expect(c.chain[c.chain.length - 1].op).toBe('store');
        expect(c.chain.some((o) => 'bin' in o && (o.bin === 'sub' || o.bin === 'sub_f'))).toBe(true);
      }
    }
    // Sub and SubF, each through Scalar and PerCol: up to four bugs per seed (which of them a
    // seed's 200 cases meet is its luck), at least two each
    for (const seed of [1, 2, 3]) expect(shrunk.filter((s) => s.seed === seed).length, `seed ${seed}`).toBeGreaterThanOrEqual(2);
    expect(shrunk.filter((s) => s.ops.length > 4)).toEqual([]);
  }, 120_000);
});
