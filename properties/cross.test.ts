// Cross-kernel agreement: the same frame-level case on every kernel runnable here (host and
// emulated aarch64); each must equal the oracle, hence each other. A kernel that does not
// declare an op of the chain must refuse it, and some other kernel must take the chain.
import { describe, it, expect, afterAll } from 'vitest';
import { discoverTargets } from '../native/targets.js';
import { selectKernel } from '../native/select.js';
import { caseFor } from './arbitraries.js';
import { runCase, type Verdict } from './check.js';
import { PASS } from './verdict.js';
import { runCaseProperty, resolveSeed } from './run.js';
import { SUITE_TIMEOUT } from './suite.js';

describe('cross-kernel agreement', async () => {
  const t = await discoverTargets();
  afterAll(() => t.close());
  const seed = resolveSeed(process.env.BITEXACT_SEED);
  it(`every runnable kernel equals the oracle on the same frame case (seed ${seed})`, async () => {
    expect(t.targets.length).toBeGreaterThan(0);
    // chains drawn from the first kernel's ops (the host generic kernel declares all of them)
    const arb = caseFor(t.targets[0].kernel, { level: 'frame', maxOps: 6, maxK: 70 });
    const out = await runCaseProperty({
      kernel: 'all-kernels', property: 'cross', arb, numRuns: 25, seed, timeout: SUITE_TIMEOUT,
      exec: async (c, call): Promise<Verdict> => {
        let refusedBySome = false;
        for (const target of t.targets) {
          const v = await runCase(target.backend, target.kernel, c, call);
          if (!v.ok) return { ok: false, refused: false, outcome: 'on_kernel', role: 'peer', kernel: target.kernel.name, cause: v };
          refusedBySome ||= v.refused;
        }
        if (refusedBySome && !selectKernel(t.targets.map((x) => x.kernel), c.chain, c.m, c.n)) {
          return { ok: false, refused: false, outcome: 'refusal', reason: 'no_fallback', ops: c.chain.map((o) => o.op) };
        }
        return PASS;
      },
    });
    if (out.failure) throw new Error(`\n${out.failure.text}`);
    expect(out.ran).toBe(25);
  });
});
