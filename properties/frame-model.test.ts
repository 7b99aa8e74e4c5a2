// The frame model (oracle/frame-model.ts) against what the C frame really hands the kernel:
// the executor's trace (FRAME flag TRACE) of every tile's chain, every address named by its
// buffer and offset, must equal the model's tile entries word for word, on random frame cases
// (every op, every layout, border and full tiles, several tile shapes and packings).
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameScratch, frameTiles, tileEntries } from '../oracle/frame-model.js';
import { OP_NAMES, TAG, opSpec } from '../oracle/opset.js';
import { LAYOUTS, UNICAST_LAYOUTS } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import type { Backend } from '../native/process.js';
import { hostBackend } from '../native/backends/host.js';
import { aarch64Backend, aarch64Unavailable } from '../native/backends/aarch64-qemu.js';
import { aarch64TestKernelsPath, PKG_ROOT, testKernelsPath } from '../native/paths.js';
import { caseFor } from './arbitraries.js';
import { encodeCase } from './encode.js';
import { frameKernel } from './pack.js';

let backend: Backend;
let kernels: KernelDesc[];

beforeAll(async () => {
  backend = hostBackend({ timeoutMs: 60_000 });
  const lib = await backend.loadLib(testKernelsPath());
  const builtin = (await backend.list()).filter((k) => k.runnable && !lib.some((l) => l.name === k.name));
  kernels = [...lib.filter((k) => k.name === 'test_ref_i32_4x4' || k.name === 'test_ref_i32_3x5'), ...builtin];
});

afterAll(async () => {
  await backend?.close();
});

interface Seen { tags: Set<string>; layouts: Set<string>; border: number; full: number; packings: Set<string> }

/** The property on every kernel of a backend: each traced tile equals the model's. */
async function modelEqualsTrace(b: Backend, ks: KernelDesc[], numRuns: number, seen: Seen): Promise<void> {
  for (const k of ks) {
    await fc.assert(
      fc.asyncProperty(caseFor(k, { level: 'frame', maxOps: 10, maxK: 24 }), async (c) => {
        const enc = encodeCase(c, k);
        const r = await b.exec({ ...enc.req, trace: true });
        const fk = frameKernel(k);
        const req = { m: c.m, n: c.n, ops: enc.req.ops };
        const sc = frameScratch(req, fk);
        const tiles = frameTiles(c.m, c.n, k.mr, k.nr);
        const trace = r.trace ?? [];
        // a kernel that stops the walk (a non-zero return) was traced up to that tile
        if (r.rc === 0) expect(trace.length).toBe(tiles.length);
        expect(trace.length).toBeGreaterThan(0);
        expect(trace).toEqual(tiles.slice(0, trace.length).map((t) => ({ ti: t.ti, tj: t.tj, chain: tileEntries(req, fk, t, sc) })));
        for (const op of c.chain) {
          seen.tags.add(op.op);
          if ('layout' in op && op.layout) seen.layouts.add(op.layout);
          if (op.op === 'add_mat_mul') seen.packings.add(`${k.name}/${op.packing ?? 0}`);
        }
        for (const t of tiles) if (t.full) seen.full++; else seen.border++;
      }),
      { seed: 20261202, numRuns },
    );
  }
}

const newSeen = (): Seen => ({ tags: new Set(), layouts: new Set(), border: 0, full: 0, packings: new Set() });

describe('frame model vs the frame trace', () => {
  it('every tile: the chain the model predicts is the chain the frame hands the kernel', async () => {
    const seen = newSeen();
    await modelEqualsTrace(backend, kernels, 150, seen);
    // the runs met every frame op, every layout, both tile kinds and every packing
    const frameOps = OP_NAMES.filter((n) => opSpec(n).frame !== 'tile_only');
    expect([...seen.tags].sort()).toEqual([...frameOps].sort());
    expect([...seen.layouts].sort()).toEqual([...new Set([...LAYOUTS, ...UNICAST_LAYOUTS])].sort());
    expect(seen.border).toBeGreaterThan(0);
    expect(seen.full).toBeGreaterThan(0);
    for (const k of kernels) for (let p = 0; p < k.packings.length; p++) expect(seen.packings, `${k.name} packing ${p}`).toContain(`${k.name}/${p}`);
  }, 300_000);

  it('the aarch64 runner\'s frame (under qemu) hands its kernels the same chains', async (ctx) => {
    const why = aarch64Unavailable();
    if (why) { console.warn(`[bitexact] SKIP aarch64 frame trace: ${why}`); ctx.skip(why); return; } // reason: toolchain missing (printed)
    const b = aarch64Backend();
    try {
      const lib = await b.loadLib(aarch64TestKernelsPath());
      const builtin = (await b.list()).filter((k) => k.runnable && !lib.some((l) => l.name === k.name));
      const ks = [...lib.filter((k) => k.name === 'test_ref_i32_3x5'), ...builtin];
      expect(ks.map((k) => k.name)).toEqual(expect.arrayContaining(['test_ref_i32_3x5', 'arm64_neon_i32_8x8', 'arm64_sme2_i32_32x32_k4']));
      const seen = newSeen();
      await modelEqualsTrace(b, ks, 25, seen);
      expect(seen.border + seen.full).toBeGreaterThan(25 * ks.length);
    } finally {
      await b.close();
    }
  }, 300_000);

  it('a refused frame is traced empty; TILE does not take the flag', async () => {
    const k = kernels[0];
    const c = fc.sample(caseFor(k, { level: 'frame', maxOps: 3, maxK: 4 }), { seed: 3, numRuns: 1 })[0];
    const enc = encodeCase(c, k);
    const minimal = (await backend.loadLib(testKernelsPath())).find((x) => x.name === 'test_minimal_i32_4x4')!;
    const r = await backend.exec({ ...enc.req, kernel: minimal.name, trace: true, ops: [...enc.req.ops, { tag: TAG.scalar_add, words: [] }] });
    expect([r.rc, r.trace]).toEqual([1, []]);
    const tile = fc.sample(caseFor(k, { level: 'tile', maxOps: 2 }), { seed: 1, numRuns: 1 })[0];
    await expect(backend.exec({ ...encodeCase(tile, k).req, trace: true })).rejects.toThrow('trace is a FRAME flag');
  });
});
