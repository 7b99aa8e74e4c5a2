// Descriptor ABI v2: a kernel's own packing indices (packing_ids) reach LIST, a chain's AddMatMul
// carries them (tile and frame level), the registry rejects repeated ones, and a library built
// against the version-1 header (the shorter struct) still loads.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostBackend } from './backends/host.js';
import { PKG_ROOT, testKernelsPath } from './paths.js';
import { encodeCase } from '../properties/encode.js';
import type { Case } from '../oracle/types.js';
import { runCase } from '../properties/check.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-abi2-'));

/** A one-kernel library whose descriptor is the given C initializer tail (after the kernel fn). */
function lib(name: string, abi: string, tail: string): string {
  const src = join(tmp, `${name}.c`);
  writeFileSync(src, `#include "bitexact/kernel.h"
static intptr_t k(const bx_fused_ker_spec *s) { (void)s; return 1; }
static const bx_packing pk[] = {{{BX_PACK_FORMAT, 4, 1, 1}, {BX_PACK_FORMAT, 4, 1, 1}, 1}, {{BX_PACK_FORMAT, 4, 1, 1}, {BX_PACK_FORMAT, 4, 1, 1}, 1}};
static const uint32_t ids[] = {2, 2};
static const bx_kernel_desc d = {${abi}, "${name}", "test", 4, 4, 2, pk, BX_OPS_V1, k, NULL${tail}};
static const bx_kernel_desc *const t[] = {&d};
__attribute__((visibility("default"))) const bx_kernel_desc *const *bitexact_kernels(size_t *n) { (void)ids; *n = 1; return t; }
`);
  const out = join(tmp, `lib${name}.so`);
  execFileSync('cc', ['-shared', '-fPIC', `-I${join(PKG_ROOT, 'native', 'include')}`, src, '-o', out], { stdio: 'pipe' });
  return out;
}

describe('descriptor ABI v2', () => {
  const backend = hostBackend();
  afterAll(() => backend.close());

  it('LIST gives every kernel its packing indices: declared (v2), or 0..n-1 (no packing_ids, or a v1 descriptor)', async () => {
    const ks = await backend.loadLib(testKernelsPath());
    const ids = (name: string) => ks.find((k) => k.name === name)?.packing_ids;
    expect(ids('test_sparse_i32_4x4')).toEqual([1, 3]);
    expect(ids('test_ref_i32_4x4')).toEqual([0, 1]);
    expect(ids('test_v1_i32_4x4')).toEqual([0, 1]);
    for (const b of (await backend.list()).filter((k) => !k.name.startsWith('test_'))) expect(b.packing_ids).toEqual(b.packings.map((_, i) => i));
  });

  it("a case's packing (a position in the kernel's packings) reaches the kernel as the kernel's own index", async () => {
    const ks = await backend.loadLib(testKernelsPath());
    const sparse = ks.find((k) => k.name === 'test_sparse_i32_4x4')!;
    const a = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 0, -1]], b = [[1, 2, 3, 4], [5, 6, 7, 8], [-1, -2, -3, -4]];
    for (const level of ['tile', 'frame'] as const) {
      for (const packing of [0, 1]) {
        const c: Case = { format: 'bitexact-case/1', level, m: 4, n: 4, k: 3, a, b, chain: [{ op: 'clear' }, { op: 'add_mat_mul', packing }, { op: 'store', item_size: 4 }] } as Case;
        const words = encodeCase(c, sparse).req.ops.find((o) => Number(o.tag) === 28)!.words;
        expect(words[3]).toEqual({ kind: 'imm', value: BigInt(sparse.packing_ids[packing]) });
        const v = await runCase(backend, sparse, c);
        expect(v, `${level} packing ${packing}`).toMatchObject({ ok: true, refused: false });
      }
    }
  });

  it('the frame names a packing index the kernel does not declare', async () => {
    const ks = await backend.loadLib(testKernelsPath());
    const sparse = ks.find((k) => k.name === 'test_sparse_i32_4x4')!;
    const c: Case = { format: 'bitexact-case/1', level: 'frame', m: 4, n: 4, k: 1, a: [[1], [1], [1], [1]], b: [[1, 1, 1, 1]], chain: [{ op: 'add_mat_mul' }, { op: 'store', item_size: 4 }] } as Case;
    const req = encodeCase(c, { ...sparse, packing_ids: [0, 3] }).req; // position 0 sent as index 0
    await expect(backend.exec(req)).rejects.toThrow(/packing 0: kernel test_sparse_i32_4x4 declares 2 packing\(s\), none with this index/);
  });

  it('the registry rejects repeated packing indices and unknown ABI versions; v1 ignores the v2 fields', async () => {
    await expect(backend.loadLib(lib('dup_ids', 'BX_ABI_VERSION', ', ids, NULL'))).rejects.toThrow(/dup_ids\): packing_ids are not distinct/);
    await expect(backend.loadLib(lib('abi3', '3', ', NULL, NULL'))).rejects.toThrow(/abi_version is not 1 or BX_ABI_VERSION \(2\)/);
    // abi_version 1: the same repeated ids are past the end of a v1 struct, never read
    const [v1] = await backend.loadLib(lib('v1_ids', '1', ', ids, NULL'));
    expect(v1.packing_ids).toEqual([0, 1]);
  });
});
