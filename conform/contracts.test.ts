// Kernel contracts end to end, on the test kernel library's tract-like kernel (item sizes
// {1, 4}, Scaler-range QScale, shift_left_no_overflow; its ShiftLeft saturates and its i16 Store
// writes one byte): it passes the gate under its contract with both quirks listed as divergences
// outside the contract in every report; the same code without the contract fails; --strict
// gates the divergences.
import { describe, expect, it } from 'vitest';
import { conformance, type ConformReport } from './engine.js';
import { renderText } from './report-text.js';
import { renderMarkdown } from './report-markdown.js';
import { renderHtml } from './report-html.js';
import { renderJunit } from './report-junit.js';
import { testKernelsPath } from '../native/paths.js';
import { hostBackend } from '../native/backends/host.js';

const TRACT = 'test_tractlike_i32_4x4';
const NO_CONTRACT = 'test_tractlike_nocontract_i32_4x4';
const gate = (kernels: string[], seed: number, extra: object = {}): Promise<ConformReport> =>
  conformance({ kernelLibs: [testKernelsPath()], builtins: false, kernels, seed, fixtureDir: null, aarch64: false, ...extra });

describe('kernel contracts', () => {
  it('LIST carries the descriptor contract in its JSON form', async () => {
    const b = hostBackend({});
    try {
      const lib = await b.loadLib(testKernelsPath());
      expect(lib.find((k) => k.name === TRACT)?.contract).toEqual({
        store: { item_size: [1, 4] }, add_unicast: { item_size: [1, 4] },
        q_scale: { mult: { min: 2 ** 30, max: 2 ** 31 - 1 }, shift: { min: -4, max: 32 } },
        preconditions: ['shift_left_no_overflow'],
      });
      expect(lib.find((k) => k.name === NO_CONTRACT)).not.toHaveProperty('contract');
      expect(lib.find((k) => k.name === 'test_ref_i32_4x4')).not.toHaveProperty('contract');
    } finally {
      await b.close();
    }
  });

  for (const seed of [1, 3]) {
    it(`seed ${seed}: the tract-like kernel passes under its contract, its quirks listed outside it in every report; without the contract it fails`, async () => {
      const r = await gate([TRACT, NO_CONTRACT], seed);
      const k = r.kernels.find((x) => x.name === TRACT)!;
      expect(k.properties.filter((p) => p.status === 'failed')).toEqual([]);
      expect(r.problems.filter((p) => p.startsWith(TRACT))).toEqual([]);
      expect(k.outside_contract.map((d) => d.clause).sort()).toEqual(['shift_left_no_overflow', 'store.item_size']);
      expect(k.outside_contract.every((d) => d.verdict.kind === 'mismatch')).toBe(true);
      const beyond = k.properties.find((p) => p.property === 'beyond')!;
      expect(beyond.status).toBe('passed');
      expect(beyond.note).toMatch(/^2 divergence\(s\) outside the declared contract \(store\.item_size, shift_left_no_overflow\)/);
      const nc = r.kernels.find((x) => x.name === NO_CONTRACT)!;
      expect(nc.properties.some((p) => p.status === 'failed')).toBe(true);
      expect(nc.properties.find((p) => p.property === 'beyond')).toMatchObject({ status: 'skipped', skipped: 'no contract: nothing is outside it' });
      expect(r.ok).toBe(false);
      // every report lists the divergences, none as a failure of the tract-like kernel
      expect(renderText(r)).toContain(`==== divergence outside the declared contract: ${TRACT} / shift_left_no_overflow`);
      expect(renderMarkdown(r)).toContain(`### \`${TRACT}\` / store.item_size: mismatch`);
      const html = renderHtml(r);
      expect(html).toContain(`data-kernel="${TRACT}" data-clause="shift_left_no_overflow"`);
      const junit = renderJunit(r);
      const tc = junit.slice(junit.indexOf(`classname="bitexact.${TRACT}" name="beyond"`));
      const beyondCase = tc.slice(0, tc.indexOf('</testcase>'));
      expect(beyondCase).toContain('<property name="divergence outside the declared contract" value="store.item_size: mismatch');
      expect(beyondCase).not.toContain('<failure');
      const json = JSON.parse(JSON.stringify(r)) as ConformReport;
      expect(json.kernels.find((x) => x.name === TRACT)!.contract?.preconditions).toEqual(['shift_left_no_overflow']);
    }, 300_000);
  }

  it('--strict gates the divergences outside the contract', async () => {
    const r = await gate([TRACT], 5, { strict: true, properties: ['beyond'], runs: 100 });
    const beyond = r.kernels[0].properties.find((p) => p.property === 'beyond')!;
    expect(beyond.status).toBe('failed');
    expect(beyond.failure?.verdict.kind).toBe('mismatch');
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.startsWith(`${TRACT} / beyond`))).toBe(true);
  }, 120_000);
});
