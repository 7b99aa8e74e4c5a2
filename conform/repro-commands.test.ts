// The build and run lines a provider prints for a repro.c work when pasted in any directory,
// and run the kernel the way the gate ran it: the aarch64 lines carry the qemu CPU (streaming
// vector length) of the backend, so the SME2 kernel's repro refuses at SVL 32 and agrees at 64.
// The host's lines are exercised by external-kernel.test.ts (library and builtin kernels).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aarch64Backend, aarch64Unavailable } from '../native/backends/aarch64-qemu.js';
import type { ProvidedBackend } from '../native/backends/provider.js';
import type { KernelDesc } from '../native/descriptor.js';
import { aarch64TestKernelsPath, PKG_ROOT } from '../native/paths.js';
import { caseFor } from '../properties/arbitraries.js';
import { reproSource } from './repro.js';

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const missing = ['clang-19', 'aarch64-linux-gnu-gcc'].filter((c) => !onPath(c));
const why = missing.length ? `aarch64 cross toolchain missing (${missing.join(', ')})` : aarch64Unavailable();

/** Writes the repro of one generated tile case, then pastes its printed lines in a fresh directory. */
function pasteRepro(b: ProvidedBackend, k: KernelDesc, source: string) {
  const c = fc.sample(caseFor({ ...k, runnable: true }, { level: 'tile', maxOps: 3, maxK: 8 }), { seed: 7, numRuns: 1 })[0];
  const file = join(mkdtempSync(join(tmpdir(), 'bitexact-repro-')), `${k.name}.repro.c`);
  const r = reproSource(c, k, { source, backend: b }, file);
  writeFileSync(file, r.text);
  const run = spawnSync('sh', ['-c', `${r.build} && ${r.run}`], { cwd: mkdtempSync(join(tmpdir(), 'bitexact-cwd-')), encoding: 'utf8' });
  return { r, run, log: `${r.build}\n${r.run}\n${run.stdout}${run.stderr}` };
}

describe('aarch64 repro lines, pasted in another directory', () => {
  it('builtin kernels: linked from the runner build, run under the qemu CPU of the backend', async (ctx) => {
    if (why) { console.warn(`[bitexact] SKIP aarch64 repro lines: ${why}`); ctx.skip(why); return; } // reason: toolchain missing (printed)
    for (const svl of [64, 32]) {
      const b = aarch64Backend({ svlBytes: svl });
      try {
        const sme = (await b.list()).find((k) => k.name === 'arm64_sme2_i32_32x32_k4')!;
        const { r, run, log } = pasteRepro(b, sme, 'builtin');
        expect(r.run).toContain(`sme-default-vector-length=${svl}`);
        if (svl === 64) {
          expect(run.status, log).toBe(0);
          expect(run.stdout).toContain('OK: arm64_sme2_i32_32x32_k4 agrees with the oracle');
        } else {
          expect(run.status, log).toBe(2); // the kernel's is_supported_here() refuses SVL 256 bits
          expect(run.stderr).toContain('does not run here');
        }
      } finally {
        await b.close();
      }
    }
  });

  it('a library kernel: dlopen()ed by the repro from the library path', async (ctx) => {
    if (why) { console.warn(`[bitexact] SKIP aarch64 repro lines: ${why}`); ctx.skip(why); return; } // reason: toolchain missing (printed)
    const b = aarch64Backend();
    try {
      const lib = aarch64TestKernelsPath(); // make -C native/runner
      const k = (await b.loadLib(lib)).find((x) => x.name === 'test_ref_i32_4x4')!;
      const { run, log } = pasteRepro(b, k, lib);
      expect(run.status, log).toBe(0);
      expect(run.stdout).toContain('OK: test_ref_i32_4x4 agrees with the oracle');
    } finally {
      await b.close();
    }
  });
});
