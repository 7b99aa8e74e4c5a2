// The checked kernel call (native/core/abi_call*) and the test library's calling-convention
// breakers (native/test-kernels/abi_break*), through their C self-tests: `make -C native
// abi-test-host`, and `abi-test-aarch64` under qemu on three CPUs (SME with FA64, Apple-M4-like
// without FA64, no SME). Every breaker must be reported as exactly its class, with the exact
// result; the good kernels clean; the caller of the checked call sees nothing of the breakage.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { PKG_ROOT } from './paths.js';
import { aarch64Unavailable } from './backends/aarch64-qemu.js';

function make(target: string): string {
  try {
    return execFileSync('make', ['-s', '-C', path.join(PKG_ROOT, 'native'), target], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`make -C native ${target} failed:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
  }
}

describe('checked kernel call (docs/abi.md)', () => {
  it('host: every breaker is reported as exactly its class, the good kernels are clean', () => {
    const out = make('abi-test-host');
    expect(out).toMatch(/^abi-test \((x86-64|aarch64)[^)]*\): \d+ checks passed, 0 failed/m);
    expect(out).toMatch(/^abi-break-test: 9 passed, 0 failed$/m);
  });

  const why = aarch64Unavailable();
  it.skipIf(why !== null)(`aarch64 under qemu: SME + FA64, Apple-M4-like, no SME${why ? ` (skipped: ${why})` : ''}`, () => {
    const out = make('abi-test-aarch64');
    const runs = out.split(/^== qemu-aarch64 -cpu /m).slice(1);
    expect(runs.map((r) => r.split('\n')[0])).toEqual([
      'max,sme-default-vector-length=64',
      'max,sve=off,sme=on,sme_fa64=off',
      'max,sme=off',
    ]);
    // With SME every case runs; without it exactly the SME ones are named as not run.
    for (const r of runs.slice(0, 2)) {
      expect(r).toMatch(/^abi-test \(aarch64, SME\): \d+ checks passed, 0 failed$/m);
      expect(r).toMatch(/^abi-break-test: 9 passed, 0 failed$/m);
    }
    expect(runs[2]).toMatch(/^abi-test \(aarch64\): \d+ checks passed, 0 failed, 4 SME kernels not run on this CPU$/m);
    expect(runs[2]).toMatch(/^abi-break-test: 7 passed, 0 failed, 2 not run on this CPU$/m);
  }, 120_000);
});
