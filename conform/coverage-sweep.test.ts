// A correct kernel never fails the gate on coverage, whatever the seed or --runs: the coverage
// sweep runs before the random cases; a sweep cut short is a printed note, not a failure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { conformance } from './engine.js';
import { renderText } from './report-text.js';
import { verdictLine } from './summary.js';
import { main } from '../cli/main.js';
import { bufferIo } from '../cli/util.js';
import { cellsOf, requiredCells } from '../coverage/semantic.js';
import { deterministicCases, PROPERTIES } from '../properties/kernel-properties.js';
import { openKernels } from '../native/targets.js';
import { PKG_ROOT, testKernelsPath } from '../native/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-coverage-'));
const LIB = testKernelsPath();
const KERNELS = ['generic_i32_4x4', 'test_ref_i32_4x4', 'test_ref_i32_3x5', 'test_minimal_i32_4x4'];

describe('coverage judged by the sweep', () => {
  test('over 100 seeds, the cases the gate plans at the smallest budget cover every required cell', async () => {
    const set = await openKernels({ libs: [LIB], aarch64: false });
    try {
      const kernels = set.all.filter((a) => a.kernel.runnable && (a.source === 'builtin' || KERNELS.includes(a.kernel.name)));
      expect(kernels.length).toBeGreaterThanOrEqual(KERNELS.length);
      for (const { kernel } of kernels) {
        const props = PROPERTIES.filter((x) => x.coverage && !x.skipReason(kernel));
        // the deterministic cases do not depend on the seed (coverage/sweep.test.ts checks they are stable)
        const fixed = props.flatMap((p) => { const d = deterministicCases(p, kernel); return [...d.edges, ...d.sweep]; });
        const fixedCells = new Set(fixed.flatMap((c) => cellsOf(c, kernel)));
        for (let seed = 1; seed <= 100; seed++) {
          // the engine's smallest budget: 5 random cases per property after the deterministic ones
          const random = props.flatMap((p) => fc.sample(p.arb(kernel), { seed, numRuns: 5 }));
          const hit = new Set([...fixedCells, ...random.flatMap((c) => cellsOf(c, kernel))]);
          expect(requiredCells(kernel).filter((c) => !hit.has(c)), `${kernel.name} seed ${seed}`).toEqual([]);
        }
      }
    } finally {
      await set.close();
    }
  });

  test('correct kernels pass at the smallest budget on several seeds, coverage judged and complete', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await conformance({ kernels: KERNELS, kernelLibs: [LIB], runs: 1, seed, aarch64: false, fixtureDir: null });
      expect(r.problems, `seed ${seed}`).toEqual([]);
      expect(r.notes).toEqual([]);
      expect(r.ok).toBe(true);
      for (const k of r.kernels) {
        expect(k.coverage, k.name).toMatchObject({ judged: true, missing: [] });
        expect(k.coverage.sweepRan).toBe(k.coverage.sweep);
        // the sweep's cases are counted in the properties that ran them
        expect(k.properties.reduce((s, p) => s + (p.sweep ?? 0), 0)).toBe(k.coverage.sweep);
      }
    }
  });

  test('conform --runs 30 passes and names the sweep', async () => {
    const io = bufferIo();
    const code = await main(['conform', '--kernel', 'generic_i32_4x4', '--runs', '30', '--seed', '30', '--no-aarch64', '--fixture-dir', join(tmp, 'fx')], io);
    expect(io.stdout).toMatch(/generic_i32_4x4 {2}all 94 required cells exercised \(sweep: 9 cases\)/);
    expect(io.stdout).toContain('PASS: 1 kernel(s) conform (seed 30)');
    expect(code).toBe(0);
  });

  test('a sweep cut short: coverage not judged, a counted note, not a failure', async () => {
    // --property tile runs the sweep's tile cases only; interleave none of it
    for (const [props, ran] of [[['tile'], 6], [['interleave'], 0]] as const) {
      const r = await conformance({ kernels: ['generic_i32_4x4'], properties: [...props], runs: 5, seed: 4, aarch64: false, fixtureDir: null });
      const k = r.kernels[0];
      expect(r.ok).toBe(true);
      expect(k.coverage).toMatchObject({ judged: false, sweep: 9, sweepRan: ran });
      expect(k.coverage.missing.length).toBeGreaterThan(0);
      expect(r.notes).toEqual([`generic_i32_4x4: coverage not judged (budget ${ran} below the sweep's 9 cases: the sweep runs in tile, frame: select them with --property)`]);
      expect(verdictLine(r)).toBe('PASS: 1 kernel(s) conform, coverage not judged for 1 (seed 4)');
      const text = renderText(r);
      expect(text).toContain(`generic_i32_4x4  coverage not judged (budget ${ran} below the sweep's 9 cases`);
      expect(text).toContain('notes (not failures):\n  generic_i32_4x4: coverage not judged');
    }
  });

  test('a bug the sweep reaches is found on every seed at the smallest budget, and shrunk', async () => {
    // the example kernel with Sub / SubF swapped: a sweep case has every Scalar bin
    const lib = join(tmp, 'libext_kernel_buggy.so');
    execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${join(PKG_ROOT, 'native', 'include')}`, join(PKG_ROOT, 'examples', 'external-kernel', 'ext_kernel_buggy.c'), '-o', lib], { stdio: 'pipe' });
    for (const seed of [1, 2]) {
      const r = await conformance({ kernelLibs: [lib], builtins: false, properties: ['tile'], runs: 1, seed, aarch64: false, fixtureDir: join(tmp, 'fx') });
      const p = r.kernels[0].properties[0];
      expect(p.status).toBe('failed');
      expect(p.failure!.verdict.kind).toBe('mismatch');
      // within the deterministic cases (25 edge cases, then the sweep): no random case needed
      expect(p.failure!.casesToFailure).toBeLessThanOrEqual(25 + (p.sweep ?? 0));
      expect(p.sweep).toBeGreaterThan(0);
      // shrunk to Clear, the swapped Scalar, the Store, without operands
      const c = p.failure!.case as { k: number; chain: { op: string; bin?: string }[] };
      expect(c.k).toBe(0);
      expect(c.chain.map((o) => o.op)).toEqual(['clear', 'scalar', 'store']);
      expect(['sub', 'sub_f']).toContain(c.chain[1].bin);
      expect(p.failure!.fixture).toBeDefined();
    }
  });
});
