// Cross-kernel agreement: the same frame-level case on every kernel runnable here (host and
// emulated aarch64); each must equal the oracle, hence each other.
import { describe, it, expect, afterAll } from 'vitest';
import fc from 'fast-check';
import { discoverTargets } from '../native/targets.js';
import { caseFor } from './arbitraries.js';
import { runCase } from './check.js';
import { fmtFailure } from './report.js';
import { resolveSeed } from './run.js';
import { selectKernel } from '../native/select.js';

describe('cross-kernel agreement', async () => {
  const t = await discoverTargets();
  afterAll(() => t.close());
  const seed = resolveSeed(process.env.BITEXACT_SEED);
  it(`every runnable kernel equals the oracle on the same frame case (seed ${seed})`, async () => {
    expect(t.targets.length).toBeGreaterThan(0);
    // draw cases for the smallest common op set: a kernel that does not declare an op of the
    // chain is expected to refuse it, which runCase also checks
    const base = t.targets[0].kernel;
    const arb = caseFor(base, { level: 'frame', maxOps: 6, maxK: 70 });
    await fc.assert(fc.asyncProperty(arb, async (c) => {
      for (const target of t.targets) {
        const v = await runCase(target.backend, target.kernel, c);
        if (!v.ok) throw new Error(fmtFailure(target.kernel.name, c, v));
        if (v.refused) expect(selectKernel(t.targets.map((x) => x.kernel), c.chain, c.m, c.n)).toBeDefined();
      }
    }), { numRuns: 25, seed });
  });
});
