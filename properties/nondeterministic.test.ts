// A failure that does not come back when its case runs again is a verdict of its own
// (`nondeterministic`), with what was seen the first time; it fails the gate, and its fixture
// (the case as first seen) says so.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KernelDesc } from '../native/descriptor.js';
import { testKernelsPath } from '../native/paths.js';
import { hostBackend } from '../native/backends/host.js';
import { propertyByName } from './kernel-properties.js';
import { runCaseProperty, resolveSeed } from './run.js';
import { verdictLine } from './verdict-format.js';

describe('nondeterministic failures', async () => {
  const seed = resolveSeed(process.env.BITEXACT_SEED);
  const backend = hostBackend();
  const kernel = (await backend.loadLib(testKernelsPath())).find((k) => k.name === 'test_fail_once_i32_4x4') as KernelDesc;
  afterAll(() => backend.close());

  it(`seed ${seed}: a kernel that fails once is reported nondeterministic, with its first verdict, and the fixture says so`, async () => {
    const p = propertyByName('tile')!;
    const dir = mkdtempSync(join(tmpdir(), 'bitexact-nondet-'));
    const t = { kernel, backend };
    const out = await runCaseProperty({ kernel: kernel.name, property: 'tile', arb: p.arb(kernel), exec: (c, call) => p.exec(t, [t], c, call), numRuns: 20, seed, fixtureDir: dir });
    expect(out.failures).toHaveLength(1);
    const f = out.failures[0];
    expect(f.verdict.outcome).toBe('nondeterministic');
    if (f.verdict.outcome !== 'nondeterministic') return;
    expect(f.verdict.first.outcome).toBe('mismatch');
    expect(f.signature).toBe('nondeterministic/mismatch');
    expect(verdictLine(f.verdict)).toMatch(/^nondeterministic: failed once \(mismatch: \d+ cell\(s\) differ.*\), then passed \d time\(s\) on the same case: the result depends on more than the case \(state kept across calls/);
    // the case as first seen (the 5th call of the process), unshrunk
    expect(f.casesToFailure).toBe(5);
    expect(f.shrinks).toBe(0);
    const saved = JSON.parse(readFileSync(f.fixture!, 'utf8')) as { note: string };
    expect(saved.note).toMatch(/^tile: nondeterministic: failed once/);
  });
});
