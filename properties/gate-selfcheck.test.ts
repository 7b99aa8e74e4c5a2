// The gate checks itself on the test kernel library (native/test-kernels): correct reference
// kernels with two packings and an odd 3x5 tile must pass every property; a kernel declaring only
// the required ops must be gated by refusal and frame fallback; kernels that crash, hang, write
// outside their tile or into their chain must FAIL, with the right kind, shrunk — and the run
// must go on (crash isolation).
import { describe, it, expect, afterAll } from 'vitest';
import type { KernelDesc } from '../native/descriptor.js';
import { testKernelsPath } from '../native/paths.js';
import { hostBackend } from '../native/backends/host.js';
import { discoverTargets, type Target } from '../native/targets.js';
import { PROPERTIES, propertyByName } from './kernel-properties.js';
import { runCaseProperty, resolveSeed } from './run.js';
import { failureKind } from './verdict.js';
import { failureLabel } from './verdict-format.js';

describe('gate self-check on the test kernel library', async () => {
  const seed = resolveSeed(process.env.BITEXACT_SEED);
  console.log(`[bitexact] gate self-check: seed ${seed}`);
  const builtins = await discoverTargets({ aarch64: false });
  // kernel calls take the default timeout scaled to each case; the hang test's shrinking
  // (every candidate hangs) is bounded by the shortened shrink timeout and MAX_HANG_SHRINKS
  const backend = hostBackend();
  const lib = await backend.loadLib(testKernelsPath());
  afterAll(async () => { await backend.close(); await builtins.close(); });
  const target = (name: string): Target => {
    const kernel = lib.find((k) => k.name === name) as KernelDesc;
    expect(kernel, name).toBeDefined();
    return { kernel, backend };
  };
  const all = (t: Target): Target[] => [t, ...builtins.targets];
  const run = (t: Target, prop: string, numRuns: number) => {
    const p = propertyByName(prop)!;
    return runCaseProperty({ kernel: t.kernel.name, property: prop, arb: p.arb(t.kernel), exec: (c, call) => p.exec(t, all(t), c, call), numRuns, seed, fixtureDir: null });
  };

  const correct: [string, string][] = [
    ['test_ref_i32_4x4', 'two packings'],
    ['test_ref_i32_3x5', 'non-square tile, two packings'],
    ['test_sparse_i32_4x4', 'its own packing indices 1 and 3'],
    ['test_v1_i32_4x4', 'an ABI version-1 descriptor'],
  ];
  for (const [name, what] of correct) {
    for (const p of PROPERTIES.filter((x) => x.name !== 'gating')) {
      it(`${name} (correct, ${what}) passes ${p.name}`, async () => {
        const out = await run(target(name), p.name, 60);
        if (out.failure) throw new Error(out.failure.text);
        expect(out.ran).toBe(60);
      });
    }
  }

  it('test_minimal_i32_4x4 refuses every undeclared op and the frame falls back, bit-exact', async () => {
    const out = await run(target('test_minimal_i32_4x4'), 'gating', 60);
    if (out.failure) throw new Error(out.failure.text);
    expect(out.refused).toBe(60);
  });

  it('test_ref_i32_4x4 (declares every op) refuses every raw tag, the stores after it untouched', async () => {
    const out = await run(target('test_ref_i32_4x4'), 'gating', 60);
    if (out.failure) throw new Error(out.failure.text);
    expect(out.refused).toBe(60);
  });

  it('test_skiptag_i32_4x4 (skips a tag of no op) is caught by gating on every seed, shrunk to clear, raw tag, store', async () => {
    for (const s of [seed, 1, 2, 3, 20240611]) {
      const p = propertyByName('gating')!;
      const t = target('test_skiptag_i32_4x4');
      const out = await runCaseProperty({ kernel: t.kernel.name, property: 'gating', arb: p.arb(t.kernel), exec: (c) => p.exec(t, all(t), c), numRuns: 30, seed: s, fixtureDir: null });
      expect(out.failure, `seed ${s}`).toBeDefined();
      const v = out.failure!.verdict;
      expect(v.outcome === 'refusal' && v.reason === 'computed_undeclared' && v.rawTag, `seed ${s}`).toBe(String(29));
      expect(out.failure!.text).toContain('chain[1] (raw tag 29) is not a tag of the ABI, yet the kernel returned 0');
      expect(out.failure!.case.chain.map((o) => o.op)).toEqual(['clear', 'raw_tag', 'store']);
    }
  });

  // [kernel, families (the JSON's kind), labels (the text reports' word), the message]: a store
  // one row past the tile hits the sentinel margin, a canary, or (buffers ending at a page end)
  // the no-access page behind it
  const broken: [string, string[], string[], RegExp][] = [
    ['test_crash_i32_4x4', ['crash'], ['crash'], /crashed/],
    ['test_hang_i32_4x4', ['crash'], ['hang'], /hang: no response within/],
    ['test_oob_i32_4x4', ['out_of_tile_write', 'out_of_bounds_write'], ['out_of_tile_write', 'out_of_bounds_write'], /outside|(past the end|before the start) of chain\[\d+\] store output/],
    ['test_chainwrite_i32_4x4', ['out_of_tile_write'], ['out_of_tile_write'], /chain/],
  ];
  for (const [name, kinds, labels, words] of broken) {
    it(`${name} is caught as ${labels.join(' or ')} and shrunk, and the backend keeps working`, async () => {
      const out = await run(target(name), 'tile', 30);
      expect(out.failure, 'the broken kernel must be caught').toBeDefined();
      // every distinct failure is reported: one of them is the family the bug belongs to (a
      // store one row past a column-major tile also overwrites a stored cell: a mismatch too)
      // (the shortest: each failure shrinks keeping its signature, and one signature, a write
      // past a buffer's end rather than into its margin, can keep a second store: seed 74)
      const f = out.failures.filter((x) => kinds.includes(failureKind(x.verdict)) && words.test(x.text))
        .sort((x, y) => x.case.chain.length - y.case.chain.length)[0];
      expect(f, out.failures.map((x) => x.signature).join('; ')).toBeDefined();
      expect(labels).toContain(failureLabel(f!.verdict));
      expect(f!.text).toMatch(words);
      // shrunk: a broken-on-every-matmul kernel needs no more than clear, matmul, store
      expect(f!.case.chain.length, out.failures.map((x) => `${x.signature}: ${x.case.chain.length} ops`).join('; ')).toBeLessThanOrEqual(3);
      // the run goes on: a correct kernel on the same backend still passes
      const ok = await run(target('test_ref_i32_4x4'), 'tile', 5);
      expect(ok.failure).toBeUndefined();
    });
  }
});
