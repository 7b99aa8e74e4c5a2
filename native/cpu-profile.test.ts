// The aarch64 backend's CPU profiles (native/backends/aarch64-qemu.ts): the default emulates the
// hardware SME kernels ship on (Apple-M4-like: no FEAT_SME_FA64, no non-streaming SVE), every
// profile is named by the backend and carried by the options a rerun line needs, and the
// built-in kernels run where their CPU features are (a reported skip without the toolchain).
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { aarch64TestKernelsPath, PKG_ROOT } from './paths.js';
import { propertyByName } from '../properties/kernel-properties.js';
import { runCaseProperty } from '../properties/run.js';
import { aarch64Backend, aarch64Paths, aarch64Unavailable, CPU_PROFILES, cpuProfileError, DEFAULT_CPU_PROFILE, qemuCpu } from './backends/aarch64-qemu.js';

const saved = process.env.BX_QEMU_CPU;
afterEach(() => {
  if (saved === undefined) delete process.env.BX_QEMU_CPU;
  else process.env.BX_QEMU_CPU = saved;
});

describe('aarch64 CPU profiles', () => {
  it('m4 by default: SME on, FA64 and non-streaming SVE off, SVL appended', () => {
    delete process.env.BX_QEMU_CPU;
    expect(DEFAULT_CPU_PROFILE).toBe('m4');
    expect(aarch64Paths().qemuCpu).toBe('max,sve=off,sme=on,sme_fa64=off,sme-default-vector-length=64');
    expect(aarch64Paths(32, 'max').qemuCpu).toBe('max,sme-default-vector-length=32');
    expect(qemuCpu('neon', 32)).toBe('max,sve=off,sme=off'); // no SME: no SVL
    expect(qemuCpu('qemu:cortex-a76')).toBe('cortex-a76');
    expect(cpuProfileError('m5')).toMatch(/unknown CPU profile \(one of m4, max, neon/);
    expect(cpuProfileError('qemu:')).not.toBeNull();
    for (const n of Object.keys(CPU_PROFILES)) expect(cpuProfileError(n)).toBeNull();
  });

  it('BX_QEMU_CPU selects a profile by name when it is one, else verbatim', () => {
    process.env.BX_QEMU_CPU = qemuCpu('max');
    expect(aarch64Paths().qemuCpu).toBe('max,sme-default-vector-length=64');
    process.env.BX_QEMU_CPU = 'max,sme-default-vector-length=64,pauth=off';
    expect(aarch64Paths().qemuCpu).toBe('max,sme-default-vector-length=64,pauth=off');
    expect(aarch64Paths(32, 'm4').qemuCpu).toBe('max,sve=off,sme=on,sme_fa64=off,sme-default-vector-length=32'); // asked wins
  });

  const why = aarch64Unavailable();
  it.for([
    ['m4', true], ['max', true], ['neon', false],
  ] as const)('profile %s: named by the backend, rerun options, SME2 kernel runnable: %s', async ([profile, sme], ctx) => {
    if (why) { console.warn(`[bitexact] SKIP CPU profile ${profile}: ${why}`); ctx.skip(why); return; } // reason: toolchain missing (printed)
    const b = aarch64Backend({ cpuProfile: profile });
    try {
      expect(b.name).toBe(`aarch64-qemu(${profile},svl=64)`);
      expect(b.emulation).toEqual({ profile, settings: `qemu-aarch64 -cpu ${qemuCpu(profile)}`, options: ['--cpu-profile', profile] });
      const ks = await b.list();
      expect(ks.filter((k) => k.name !== 'arm64_sme2_i32_32x32_k4').every((k) => k.runnable), 'NEON and dotprod run everywhere').toBe(true);
      const smeK = ks.find((k) => k.name === 'arm64_sme2_i32_32x32_k4')!;
      expect(smeK.runnable, smeK.why).toBe(sme);
      if (!sme) expect(smeK.why).toContain('lacks SME');
    } finally {
      await b.close();
    }
  });

  it('m4 enforces what the hardware does: NEON in streaming mode faults there, passes under max', async (ctx) => {
    const lib = aarch64TestKernelsPath(); // make -C native/runner
    const skip = why ?? (existsSync(lib) ? null : `${lib} not built (make -C native/runner)`);
    if (skip) { console.warn(`[bitexact] SKIP CPU profile strictness: ${skip}`); ctx.skip(skip); return; } // reason: toolchain missing (printed)
    const name = 'test_neon_streaming_i32_4x4';
    for (const profile of ['max', 'm4'] as const) {
      const b = aarch64Backend({ cpuProfile: profile, timeoutMs: 60_000 });
      try {
        const kernel = (await b.loadLib(lib)).find((k) => k.name === name)!;
        const t = { kernel, backend: b };
        const p = propertyByName('tile')!;
        const out = await runCaseProperty({ kernel: name, property: 'tile', arb: p.arb(kernel), exec: (c) => p.exec(t, [t], c), numRuns: 5, seed: 1, fixtureDir: null });
        if (profile === 'max') expect(out.failure?.text, 'FEAT_SME_FA64 makes it legal').toBeUndefined();
        else expect(out.failure?.verdict, 'SIGILL without FEAT_SME_FA64').toMatchObject({ outcome: 'crash', signal: 'SIGILL' });
      } finally {
        await b.close();
      }
    }
  });
});
