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
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PKG_ROOT } from '../native/paths.js';

/** A one-kernel library: `desc` is the body of its descriptor after the v1 fields. */
function library(name: string, abi: 1 | 2, tail: string, pre = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'bitexact-contract-'));
  const src = join(dir, `${name}.c`);
  // a v1 library is built against the v1 layout: the descriptor ends after is_supported_here
  const decl = abi === 1
    ? 'typedef struct { uint32_t abi_version; const char *name, *isa; uint32_t mr, nr, n_packings; const bx_packing *packings; uint64_t supported_ops; bx_kernel_fn kernel; bx_is_supported_fn is_supported_here; } v1_desc;\nstatic const v1_desc d'
    : 'static const bx_kernel_desc d';
  writeFileSync(src, `#include "bitexact/kernel.h"
static intptr_t kern(const bx_fused_ker_spec *s) { (void)s; return 1; }
static const bx_packing pk[] = {{{BX_PACK_FORMAT, 4, 16, 1}, {BX_PACK_FORMAT, 4, 16, 1}, 1}};
${pre}
${decl} = {${abi}, "${name}", "test", 4, 4, 1, pk, BX_OPS_REQUIRED, kern, 0${tail}};
static const bx_kernel_desc *const table[] = {(const bx_kernel_desc *)&d};
const bx_kernel_desc *const *bitexact_kernels(size_t *n) { *n = 1; return table; }
`);
  const out = join(dir, `${name}.so`);
  execFileSync('cc', ['-shared', '-fPIC', `-I${join(PKG_ROOT, 'native', 'include')}`, src, '-o', out], { stdio: 'pipe' });
  return out;
}

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

  it('the registry validates a contract; a version-1 library still loads', async () => {
    const b = hostBackend({});
    try {
      const bad = library('bad_contract_i32_4x4', 2, ', 0, &c', 'static const bx_contract c = {.ranges_declared = BX_RANGE_RSR_SHIFT, .rsr_shift = {0, 31}};');
      await expect(b.loadLib(bad)).rejects.toThrow(/kernel #0 \(bad_contract_i32_4x4\): contract: a declared range has min > max or leaves SPEC's domain/);
      const items = library('bad_items_i32_4x4', 2, ', 0, &c', 'static const bx_contract c = {.add_unicast_item_sizes = BX_ITEM_BIT(2)};');
      await expect(b.loadLib(items)).rejects.toThrow(/contract: add_unicast_item_sizes has sizes other than 1, 4/);
      const v1 = await b.loadLib(library('v1_i32_4x4', 1, ''));
      expect(v1[0]).toMatchObject({ name: 'v1_i32_4x4', runnable: true });
      expect(v1[0]).not.toHaveProperty('contract');
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
