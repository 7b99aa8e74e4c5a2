// A kernel that skips a tag of no op (the Store after it runs) through the whole gate: conform
// reports it with the verdict that names the raw tag, the fixture keeps the tag, replay and the
// repro.c fail the same way on it and pass on a kernel that refuses, whatever the tag's width.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { conformance } from './engine.js';
import { reproSource } from './repro.js';
import { readCase, writeCase } from '../oracle/case.js';
import type { Case } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import { aarch64TestKernelsPath, PKG_ROOT, testKernelsPath } from '../native/paths.js';
import { hostBackend } from '../native/backends/host.js';
import { aarch64Backend, aarch64Unavailable } from '../native/backends/aarch64-qemu.js';
import { propertyByName } from '../properties/kernel-properties.js';
import { runCaseProperty } from '../properties/run.js';
import { main } from '../cli/main.js';
import { bufferIo } from '../cli/util.js';

const INCLUDE = join(PKG_ROOT, 'native', 'include');
const tmp = mkdtempSync(join(tmpdir(), 'bitexact-rawtag-'));
const LIB = testKernelsPath();

/** Builds a repro.c against the test library and runs it; exit status and output. */
function runRepro(c: Case, k: KernelDesc, name: string): { status: number | null; out: string } {
  const src = join(tmp, `${name}.repro.c`);
  writeFileSync(src, reproSource(c, k, { source: LIB }, src).text);
  execFileSync('cc', ['-O1', '-Wall', '-Werror', `-I${INCLUDE}`, src, '-o', `${src}.exe`, '-ldl'], { stdio: 'pipe' });
  const run = spawnSync(`${src}.exe`, [LIB], { encoding: 'utf8' });
  return { status: run.status, out: run.stdout + run.stderr };
}

describe('raw tags through the gate', () => {
  for (const seed of [1, 2, 3]) {
    test(`conform reports test_skiptag_i32_4x4 by the raw tag it skipped (seed ${seed})`, async () => {
      const fixtureDir = join(tmp, `fixtures-${seed}`);
      const r = await conformance({ kernelLibs: [LIB], kernels: ['test_skiptag_i32_4x4'], builtins: false, runs: 30, seed, fixtureDir, aarch64: false });
      expect(r.ok).toBe(false);
      const props = r.kernels[0].properties;
      // correct in everything else
      expect(props.filter((p) => p.status === 'failed').map((p) => p.property)).toEqual(['gating']);
      const f = props.find((p) => p.property === 'gating')!.failure!;
      expect(f.verdict.kind).toBe('refusal');
      expect(f.verdict.message).toBe('chain[1] (raw tag 29) is not a tag of the ABI, yet the kernel returned 0 (skipped it and ran the ops after it)');
      const saved = readCase(readFileSync(f.fixture!, 'utf8'), f.fixture!);
      expect(saved.chain).toEqual([{ op: 'clear' }, { op: 'raw_tag', tag: '29' }, { op: 'store', item_size: 4 }]);
    });
  }

  test('aarch64 (qemu): the skipping test kernel is caught, the reference test kernel refuses every probe', async (ctx) => {
    const why = aarch64Unavailable();
    if (why) { console.warn(`[bitexact] SKIP aarch64 raw tags: ${why}`); ctx.skip(why); return; } // reason: runner not built (printed)
    const b = aarch64Backend();
    try {
      const kernels = await b.loadLib(aarch64TestKernelsPath()); // make -C native/runner
      const gating = propertyByName('gating')!;
      const run = (name: string) => {
        const t = { kernel: kernels.find((k) => k.name === name)!, backend: b };
        return runCaseProperty({ kernel: name, property: 'gating', arb: gating.arb(t.kernel), exec: (c) => gating.exec(t, [t], c), examples: gating.examples!(t.kernel), numRuns: 60, seed: 4, fixtureDir: null });
      };
      const ok = await run('test_ref_i32_4x4');
      expect(ok.failure?.text).toBeUndefined();
      expect(ok.refused).toBe(60);
      const bad = await run('test_skiptag_i32_4x4');
      expect(bad.failure?.verdict.outcome).toBe('refusal');
      expect(bad.failure!.text).toContain('(raw tag 29) is not a tag of the ABI, yet the kernel returned 0');
    } finally {
      await b.close();
    }
  });

  test('replay and repro.c: fail on the skipping kernel, pass on one that refuses, for 32- and 64-bit tags', async () => {
    const backend = hostBackend({ timeoutMs: 20_000 });
    try {
      const kernels = await backend.loadLib(LIB);
      const ref = kernels.find((k) => k.name === 'test_ref_i32_4x4')!;
      const skip = kernels.find((k) => k.name === 'test_skiptag_i32_4x4')!;
      for (const tag of ['64', '4294967323', '18446744073709551615']) {
        const c: Case = {
          format: 'bitexact-case/1', level: 'tile', m: 4, n: 4, k: 1, a: [[1], [2], [3], [4]], b: [[5, 6, 7, 8]],
          chain: [{ op: 'clear' }, { op: 'add_mat_mul' }, { op: 'store', item_size: 4 }, { op: 'raw_tag', tag }, { op: 'scalar', bin: 'add', value: 1 }, { op: 'store', item_size: 1, layout: 'col_major' }],
        };
        const file = join(tmp, `case-${tag}.json`);
        writeFileSync(file, writeCase(c));
        let io = bufferIo();
        expect(await main(['replay', file, '--kernel-lib', LIB, '--kernel', 'test_skiptag_i32_4x4', '--no-aarch64'], io)).toBe(1);
        expect(io.stdout).toContain(`FAIL ${file} on test_skiptag_i32_4x4: refusal: chain[3] (raw tag ${tag}) is not a tag of the ABI, yet the kernel returned 0`);
        io = bufferIo();
        expect(await main(['replay', file, '--kernel-lib', LIB, '--kernel', 'test_ref_i32_4x4', '--no-aarch64'], io)).toBe(0);
        expect(io.stdout).toContain(`PASS ${file} on test_ref_i32_4x4 (refused chain[3] raw tag ${tag}, no tag of the ABI)`);

        const bad = runRepro(c, skip, `skip-${tag}`);
        expect(bad.status, bad.out).toBe(1);
        const good = runRepro(c, ref, `ref-${tag}`);
        expect(good.status, good.out).toBe(0);
        expect(good.out).toContain('OK: test_ref_i32_4x4 agrees with the oracle');
      }
      const src = readFileSync(join(tmp, 'ref-18446744073709551615.repro.c'), 'utf8');
      expect(src).toContain('chain[3].tag = UINT64_C(0xffffffffffffffff);');
      expect(src).toContain('#define EXPECTED_RC 1 /* chain[3] is raw tag 18446744073709551615, no tag of the ABI: the kernel must return 1 there */');
    } finally {
      await backend.close();
    }
  });
});
