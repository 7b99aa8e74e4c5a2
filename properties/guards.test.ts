// Kernels whose values are right but whose accesses are not (docs/abi.md) must fail with the
// verdict that names the buffer they touched outside of, on every seed, shrunk: the executor
// places every buffer against no-access pages and reports the fault (native/core/fault.h).
import { describe, it, expect, afterAll } from 'vitest';
import type { KernelDesc } from '../native/descriptor.js';
import { aarch64TestKernelsPath, testKernelsPath } from '../native/paths.js';
import { hostBackend } from '../native/backends/host.js';
import { aarch64Backend, aarch64Unavailable } from '../native/backends/aarch64-qemu.js';
import { PKG_ROOT } from '../native/paths.js';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { reproSource } from '../conform/repro.js';
import type { ProvidedBackend } from '../native/backends/provider.js';
import { propertyByName } from './kernel-properties.js';
import { runCaseProperty } from './run.js';
import { failureKind } from './verdict.js';
import { failureMessage } from './verdict-format.js';

const SEEDS = [1, 2, 3, 42, 20261202];

// the host child, and the aarch64 runner under qemu (user mode honours mprotect) when built
const BACKENDS: { name: string; start: () => ProvidedBackend; lib: string; seeds: number[]; skip: string | null }[] = [
  { name: 'host', start: () => hostBackend({ timeoutMs: 5000 }), lib: testKernelsPath(), seeds: SEEDS, skip: null },
  { name: 'aarch64', start: () => aarch64Backend({ timeoutMs: 20000 }), lib: aarch64TestKernelsPath(), seeds: SEEDS.slice(0, 2), skip: aarch64Unavailable() },
];

// kernel, property, kind, what the message must say
const CASES: [string, string, string, RegExp][] = [
  ['test_overread_percol_i32_4x4', 'tile', 'out_of_bounds_read', /^reads past the end of chain\[\d+\] per_col values \(buffer \d+, nr = 4 i32, 16 bytes\): byte offset 16$/],
  ['test_overread_percol_i32_4x4', 'frame', 'out_of_bounds_read', /^reads past the end of (border copy of )?chain\[\d+\] per_col values.*: byte offset \d+, in tile \(\d+, \d+\)$/],
  ['test_overread_packed_b_i32_4x4', 'tile', 'out_of_bounds_read', /^reads past the end of packed B \(packing \d\) \(buffer \d+, \d+ bytes\): byte offset \d+$/],
  ['test_overread_packed_b_i32_4x4', 'frame', 'out_of_bounds_read', /^reads past the end of packed B \(packing \d\) of chain\[\d+\]/],
  ['test_overread_unicast_i8_i32_4x4', 'tile', 'out_of_bounds_read', /^reads (past|\d+ byte\(s\) past) the end of chain\[\d+\] add_unicast operand \([a-z_]+, i8\)/],
  ['test_far_write_i32_4x4', 'tile', 'out_of_bounds_write', /^writes \d+ byte\(s\) before the start of chain\[\d+\] store output/],
  ['test_far_write_i32_4x4', 'frame', 'out_of_bounds_write', /^writes \d+ byte\(s\) before the start of (border tile of )?chain\[\d+\] store output/],
];

for (const b of BACKENDS) {
  describe(`read and far-write guards (${b.name})`, async () => {
    if (b.skip) {
      it.skip(`${b.name}: ${b.skip}`, () => {}); // reason: toolchain missing (named in the title)
      return;
    }
    const backend = b.start();
    const lib = await backend.loadLib(b.lib);
    afterAll(async () => { await backend.close(); });
    for (const [name, prop, kind, message] of CASES) {
      it(`${name} fails ${prop} as ${kind} naming the buffer, on every seed`, async () => {
        const k = lib.find((x) => x.name === name) as KernelDesc;
        expect(k, name).toBeDefined();
        const p = propertyByName(prop)!;
        const t = { kernel: k, backend };
        for (const seed of b.seeds) {
          const out = await runCaseProperty({ kernel: k.name, property: prop, arb: p.arb(k), exec: (c) => p.exec(t, [t], c), numRuns: 60, seed, fixtureDir: null });
          expect(out.failure, `seed ${seed}: must be caught`).toBeDefined();
          const v = out.failure!.verdict;
          expect(failureKind(v), `seed ${seed}: ${out.failure!.text}`).toBe(kind);
          // aarch64 under qemu may not say read or write: the buffer and offset must still be right
          const msg = v.outcome === 'out_of_bounds' ? failureMessage(v).replace(/^accesses/, kind.endsWith('read') ? 'reads' : 'writes') : '';
          expect(msg, `seed ${seed}`).toMatch(message);
        }
      }, 300_000);
    }
  });
}

describe('read and far-write guards: the repro.c places buffers the same way', async () => {
  const backend = hostBackend({ timeoutMs: 5000 });
  const lib = await backend.loadLib(testKernelsPath());
  afterAll(async () => { await backend.close(); });
  const dir = mkdtempSync(path.join(tmpdir(), 'bx-guards-'));
  for (const [name, prop, words] of [
    ['test_overread_percol_i32_4x4', 'frame', /OUT OF BOUNDS: the kernel reads past the end of (border copy of )?chain\[\d+\] per_col values \(buffer \d+, 16 bytes\): byte offset 16/],
    ['test_far_write_i32_4x4', 'tile', /OUT OF BOUNDS: the kernel writes \d+ byte\(s\) before the start of chain\[\d+\] store output/],
  ] as const) {
    it(`${name} (${prop}): its repro faults on the same buffer and says which`, async () => {
      const k = lib.find((x) => x.name === name) as KernelDesc;
      const p = propertyByName(prop)!;
      const t = { kernel: k, backend };
      const out = await runCaseProperty({ kernel: k.name, property: prop, arb: p.arb(k), exec: (c) => p.exec(t, [t], c), numRuns: 60, seed: 7, fixtureDir: null });
      expect(out.failure).toBeDefined();
      const file = path.join(dir, `${name}.repro.c`);
      const r = reproSource(out.failure!.case, k, { source: testKernelsPath(), verdict: out.failure!.verdict }, file);
      writeFileSync(file, r.text);
      const exe = file.replace(/\.c$/, '');
      execFileSync('cc', ['-O1', '-Wall', '-Werror', `-I${path.join(PKG_ROOT, 'native', 'include')}`, file, '-o', exe, '-ldl'], { stdio: 'pipe' });
      const run = spawnSync(exe, [testKernelsPath()], { encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).toMatch(words);
    }, 120_000);
  }
});
