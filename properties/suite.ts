// Turns the property table into vitest tests for a set of kernels: one test per kernel x
// property. A kernel that cannot run here, or a property that does not apply, is a *reported*
// skip (ctx.skip with the reason, printed), never a silent pass.
import { describe, it, expect, afterAll } from 'vitest';
import type { Targets } from '../native/targets.js';
import { deterministicCases, lookaheadOf, PROPERTIES } from './kernel-properties.js';
import { runCaseProperty, resolveSeed } from './run.js';
import { timeoutFromEnv } from './timeout.js';

/** Cases per property per kernel under `npm test` (BITEXACT_RUNS overrides; conform has --runs). */
export const DEFAULT_RUNS = Number(process.env.BITEXACT_RUNS ?? 150);
/** The per-call timeout under `npm test`: BITEXACT_TIMEOUT_MS fixes it (conform has --timeout),
 *  else it is scaled to each case. */
export const SUITE_TIMEOUT = timeoutFromEnv();

export function kernelSuite(title: string, targetsP: Promise<Targets>, opts: { runs?: number; expectKernels?: string[] } = {}): void {
  describe(title, async () => {
    const t = await targetsP;
    afterAll(() => t.close());
    const seed = resolveSeed(process.env.BITEXACT_SEED);
    console.log(`[bitexact] ${title}: seed ${seed} (replay with BITEXACT_SEED=${seed})`);
    for (const u of t.unavailable) {
      it(`${u.name}`, (ctx) => {
        console.warn(`[bitexact] SKIP ${u.name}: ${u.why}`);
        ctx.skip(u.why); // reason: not runnable on this machine (printed above)
      });
    }
    for (const name of opts.expectKernels ?? []) {
      it(`kernel ${name} is present`, () => {
        const all = [...t.targets.map((x) => x.kernel.name), ...t.unavailable.map((u) => u.name)];
        expect(all.some((n) => n === name || n.includes(name))).toBe(true);
      });
    }
    for (const target of t.targets) {
      describe(target.kernel.name, () => {
        for (const p of PROPERTIES) {
          const why = p.skipReason(target.kernel);
          it(p.name, async (ctx) => {
            if (why) {
              console.warn(`[bitexact] SKIP ${target.kernel.name} / ${p.name}: ${why}`);
              ctx.skip(why); // reason: property does not apply to this kernel (printed above)
              return;
            }
            const { edges, sweep } = deterministicCases(p, target.kernel);
            const examples = [...edges, ...sweep];
            const out = await runCaseProperty({
              kernel: target.kernel.name, property: p.name, arb: p.arb(target.kernel),
              exec: (c, call) => p.exec(target, t.targets, c, call), examples, timeout: SUITE_TIMEOUT,
              numRuns: examples.length + Math.max(5, Math.round((opts.runs ?? DEFAULT_RUNS) / p.cost)), seed,
              lookahead: lookaheadOf(p),
            });
            if (out.failure) throw new Error(`\n${out.failure.text}`);
            // a property that ran nothing proves nothing
            expect(out.ran).toBeGreaterThan(0);
            expect(out.passed + out.refused).toBe(out.ran);
          });
        }
      });
    }
  });
}
