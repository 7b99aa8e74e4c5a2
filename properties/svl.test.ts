// SVL gating: the 32x32 SME2 kernel assumes a 512-bit streaming vector length. At SVL 16 and
// 32 bytes it must say "not supported here"; forced to run anyway, the properties must catch
// it — a documented demonstration that the gate sees geometry bugs, not only arithmetic ones.
import { describe, it, expect } from 'vitest';
import { aarch64Backend, aarch64Unavailable } from '../native/backends/aarch64-qemu.js';
import { caseFor } from './arbitraries.js';
import { runCase } from './check.js';
import { runCaseProperty, resolveSeed } from './run.js';

const SME = 'arm64_sme2_i32_32x32_k4';
const why = aarch64Unavailable();

describe('SME2 kernel at the wrong streaming vector length', () => {
  for (const svl of [16, 32]) {
    it(`SVL ${svl} bytes: not supported here, and caught when forced`, async (ctx) => {
      if (why) { console.warn(`[bitexact] SKIP SVL ${svl}: ${why}`); ctx.skip(why); return; } // reason: toolchain missing (printed)
      const b = aarch64Backend({ svlBytes: svl });
      try {
        const k = (await b.list()).find((x) => x.name === SME);
        expect(k, `${SME} listed`).toBeDefined();
        expect(k!.runnable).toBe(false);
        expect(k!.why).toMatch(/SVL|vector length|streaming/i);
        const seed = resolveSeed(process.env.BITEXACT_SEED);
        const out = await runCaseProperty({
          kernel: `${SME}@svl${svl}`, property: 'tile', arb: caseFor({ ...k!, runnable: true }, { level: 'tile', maxOps: 4, maxK: 40 }),
          exec: (c) => runCase(b, k!, c, { force: true }), numRuns: 50, seed, fixtureDir: null,
        });
        expect(out.failure, 'a forced run at the wrong SVL must be caught').toBeDefined();
        console.log(`[bitexact] SVL ${svl}: forced ${SME} caught after ${out.failure!.casesToFailure} case(s):\n${out.failure!.text}`);
      } finally {
        await b.close();
      }
    });
  }
});
