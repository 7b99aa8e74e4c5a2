// The checked kernel call end to end: each calling-convention breaker of the test kernel
// library (native/test-kernels/abi_break.S: correct values, one rule of docs/abi.md broken)
// must be reported as abi_violation naming what it broke, shrunk, on every seed; on the host
// and under qemu (aarch64, the default CPU profile; a reported skip without the toolchain).
import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KernelDesc } from '../native/descriptor.js';
import { aarch64TestKernelsPath, PKG_ROOT, testKernelsPath } from '../native/paths.js';
import { hostBackend } from '../native/backends/host.js';
import { aarch64Backend, aarch64Unavailable } from '../native/backends/aarch64-qemu.js';
import type { ProvidedBackend } from '../native/backends/provider.js';
import { propertyByName } from './kernel-properties.js';
import { runCaseProperty, resolveSeed } from './run.js';
import { failureKind } from './verdict.js';

/** kernel -> the name the checked call reports for what it breaks */
const BREAKERS = {
  host: {
    test_clobber_rbx_i32_4x4: 'rbx', test_clobber_rbp_i32_4x4: 'rbp', test_clobber_r12_i32_4x4: 'r12', test_clobber_r15_i32_4x4: 'r15',
    test_sp_i32_4x4: 'rsp', test_mxcsr_i32_4x4: 'mxcsr', test_x87cw_i32_4x4: 'x87cw', test_df_i32_4x4: 'df',
  },
  aarch64: {
    test_clobber_x19_i32_4x4: 'x19', test_clobber_x29_i32_4x4: 'x29', test_clobber_d8_i32_4x4: 'd8', test_clobber_d15_i32_4x4: 'd15',
    test_sp_i32_4x4: 'sp', test_fpcr_i32_4x4: 'fpcr', test_sm_i32_4x4: 'svcr.sm', test_za_i32_4x4: 'svcr.za',
  },
} as const;

const AARCH64_LIB = aarch64TestKernelsPath(); // make -C native/runner

/** The aarch64 side's reason to skip, or null. */
function aarch64Skip(): string | null {
  return aarch64Unavailable() ?? (existsSync(AARCH64_LIB) ? null : `${AARCH64_LIB} not built (make -C native/runner)`);
}

describe.each([
  ['host', () => hostBackend({ timeoutMs: 10_000 }), testKernelsPath(), (): string | null => null],
  ['aarch64', () => aarch64Backend({ timeoutMs: 60_000 }), AARCH64_LIB, aarch64Skip],
] as const)('calling-convention breakers (%s)', (side, start, lib, skip) => {
  const seed = resolveSeed(process.env.BITEXACT_SEED);
  const why = skip();
  let backend: ProvidedBackend | undefined;
  let kernels: KernelDesc[] = [];
  const ready = async (): Promise<void> => {
    if (backend) return;
    backend = start();
    kernels = await backend.loadLib(lib);
  };
  afterAll(async () => { await backend?.close(); });

  const run = async (name: string, property: string, s: number, fixtureDir: string | null = null) => {
    await ready();
    const kernel = kernels.find((k) => k.name === name);
    expect(kernel, name).toBeDefined();
    const t = { kernel: kernel!, backend: backend! };
    const p = propertyByName(property)!;
    return runCaseProperty({ kernel: name, property, arb: p.arb(t.kernel), exec: (c) => p.exec(t, [t], c), numRuns: 10, seed: s, fixtureDir });
  };

  for (const [name, what] of Object.entries(BREAKERS[side])) {
    it(`${name} is abi_violation (${what}), shrunk, on seeds ${seed}, ${seed + 1}, ${seed + 2}`, async (ctx) => {
      if (why) {
        console.warn(`[bitexact] SKIP ${side} ${name}: ${why}`);
        ctx.skip(why); // reason: the aarch64 toolchain is not installed here (printed above)
        return;
      }
      for (const s of [seed, seed + 1, seed + 2]) {
        const out = await run(name, 'tile', s);
        const f = out.failure;
        expect(f, `${name} seed ${s}: the break must be caught`).toBeDefined();
        expect(failureKind(f!.verdict), `${name} seed ${s}: ${f!.text}`).toBe('abi_violation');
        const v = f!.verdict;
        if (v.outcome !== 'abi_violation') throw new Error(f!.text);
        expect(v.items.map((i) => i.what)).toEqual([what]);
        expect(v.values, 'the values are right: only the convention is broken').toBeUndefined();
        expect(f!.casesToFailure, 'every call breaks it').toBe(1);
        expect(f!.case.chain.length).toBeLessThanOrEqual(3); // shrunk to the smallest chain the property draws
      }
    });
  }

  it('a FRAME walk reports the break too, and the shrunk case is saved as a fixture', async (ctx) => {
    if (why) {
      console.warn(`[bitexact] SKIP ${side} frame: ${why}`);
      ctx.skip(why); // reason: the aarch64 toolchain is not installed here (printed above)
      return;
    }
    const [name, what] = Object.entries(BREAKERS[side])[0];
    const dir = mkdtempSync(path.join(tmpdir(), 'bx-abi-'));
    try {
      const out = await run(name, 'frame', seed, dir);
      const v = out.failure?.verdict;
      expect(v?.outcome, out.failure?.text).toBe('abi_violation');
      if (v?.outcome !== 'abi_violation') return;
      expect(v.items[0].what).toBe(what);
      expect(v.call).toBe(0);
      const files = readdirSync(dir);
      expect(files).toHaveLength(1);
      expect(JSON.parse(readFileSync(path.join(dir, files[0]), 'utf8')).note).toContain(`abi_violation: ${what} `);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
