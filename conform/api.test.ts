// The programmatic API the way a kernel project uses it from its own test suite:
// `import { conformance, expectConformance } from 'bitexact'` (here: the package root's index).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { conformance, expectConformance, ConformanceError, mergeReports, renderMarkdown, REPORT_FORMAT } from '../index.js';
import { PKG_ROOT } from '../native/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-api-'));
const lib = (src: string): string => {
  const out = join(tmp, src.replace(/\.c$/, '.so'));
  execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${join(PKG_ROOT, 'native', 'include')}`, join(PKG_ROOT, 'examples', 'external-kernel', src), '-o', out], { stdio: 'pipe' });
  return out;
};

describe("import { conformance } from 'bitexact'", () => {
  test('expectConformance returns the report of a conforming library', async () => {
    const r = await expectConformance({ kernelLibs: [lib('ext_kernel.c')], builtins: false, runs: 200, seed: 99, fixtureDir: null, aarch64: false });
    expect(r.ok).toBe(true);
    expect(r.format).toBe(REPORT_FORMAT);
    expect(renderMarkdown(r)).toContain('PASS: 1 kernel(s) conform (seed 99)');
  });

  test('expectConformance throws the readable failure for a wrong kernel', async () => {
    const err = await expectConformance({ kernelLibs: [lib('ext_kernel_buggy.c')], builtins: false, runs: 50, seed: 99, fixtureDir: join(tmp, 'fx'), aarch64: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConformanceError);
    const e = err as ConformanceError;
    expect(e.message).toMatch(/^bitexact: the kernel\(s\) do not conform \(seed 99\):\n {2}- ext_buggy_i32_4x4 \/ tile: mismatch/);
    expect(e.message).toMatch(/expected -?\d+ \(0x[0-9a-f]{8}\) got -?\d+ \(0x[0-9a-f]{8}\)/);
    expect(e.message).toContain('.repro.c');
    expect(e.report.ok).toBe(false);
  });

  test('conformance with a bad option reports a problem instead of throwing; mergeReports joins', async () => {
    const r = await conformance({ kernelLibs: [join(tmp, 'nope.so')], builtins: false, aarch64: false });
    expect(r.ok).toBe(false);
    expect(r.problems).toContain(`--kernel-lib ${join(tmp, 'nope.so')}: no such file`);
    // the two shards of a run that gated nothing
    const m = mergeReports([{ ...r, shard: { index: 0, count: 2 } }, { ...r, shard: { index: 1, count: 2 } }]);
    expect(m.kernels).toEqual([]);
    expect(m.ok).toBe(false); // shards that gated nothing do not merge into a pass
    expect(m.problems).toEqual(r.problems);
  });

  test('a timeout no call can take is an option problem, and nothing is gated', async () => {
    for (const timeoutMs of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      const r = await conformance({ kernels: ['generic_i32_4x4'], timeoutMs, aarch64: false, fixtureDir: null });
      expect(r.ok).toBe(false);
      expect(r.kernels).toEqual([]);
      expect(r.problemDetails).toEqual([{ kind: 'option', option: '--timeout', value: String(timeoutMs), why: expect.stringMatching(/^expected a whole number of milliseconds/) }]);
    }
  });
});
