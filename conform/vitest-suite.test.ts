// conformanceSuite as a kernel project uses it: the example kernel (built here with cc against
// the public header) gated as vitest tests, one per kernel x property, after the fixtures of its
// directory, each replayed as its own test; and the pieces for test.prop (@fast-check/vitest):
// openGate, caseArbitraries, runCase / expectCase, replay. The failing side (a wrong kernel, the
// printed commands pasted in a shell) runs in a consumer project in ci/pack.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { fc, test as propTest } from '@fast-check/vitest';
import { caseArbitraries, conformanceSuite, expectCase, openGate, replay, runCase } from '../index.js';
import { writeCase } from '../oracle/case.js';
import type { Case } from '../oracle/types.js';
import { PKG_ROOT } from '../native/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-suite-'));
const lib = (src: string): string => {
  const out = join(tmp, src.replace(/\.c$/, '.so'));
  execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${join(PKG_ROOT, 'native', 'include')}`, join(PKG_ROOT, 'examples', 'external-kernel', src), '-o', out], { stdio: 'pipe' });
  return out;
};
const good = lib('ext_kernel.c');
const buggy = lib('ext_kernel_buggy.c');

/** A tile case that a correct kernel passes and Sub/SubF swapped fails: clear, Scalar sub 5, store. */
const subCase: Case = {
  format: 'bitexact-case/1', level: 'tile', m: 4, n: 4, k: 0, a: [[], [], [], []], b: [],
  chain: [{ op: 'clear' }, { op: 'scalar', bin: 'sub', value: 5, garbage: 0 }, { op: 'store', item_size: 4 }],
};
const fixtures = join(tmp, 'fixtures');
mkdirSync(fixtures);
writeFileSync(join(fixtures, 'sub.json'), writeCase(subCase));
// a 3x5 tile-level case: no 4x4 kernel fits it, a reported skip
writeFileSync(join(fixtures, 'other-shape.json'), writeCase({ ...subCase, m: 3, n: 5, a: [[], [], []] }));

// the suite itself: these tests are its tests (fixtures first, then ext_generic_i32_4x4 > tile, ...)
await conformanceSuite({ describe, test, afterAll, title: 'conformanceSuite on ext_kernel.c', kernelLibs: [good], builtins: false, aarch64: false, runs: 60, seed: 4242, fixtureDir: null, replayDir: fixtures });

const gate = await openGate({ kernelLibs: [good, buggy], builtins: false, aarch64: false });
afterAll(() => gate.close());

describe('the pieces, for test.prop', () => {
  const k = gate.kernel('ext_generic_i32_4x4');
  const arbs = caseArbitraries(k);

  test('caseArbitraries: a generator per property that applies', () => {
    expect(Object.keys(arbs)).toEqual(['tile', 'frame', 'interleave', 'packing', 'gating', 'stale']);
    expect(() => gate.kernel()).toThrow(/2 kernels are open, name one \(open: ext_generic_i32_4x4, ext_buggy_i32_4x4\)/);
  });

  propTest.prop([arbs.interleave], { numRuns: 15, seed: 3 })('interleave cases pass on the correct kernel', (c) => expectCase(k, c, { property: 'interleave' }));
  propTest.prop([arbs.tile], { numRuns: 15, seed: 3 })('tile cases pass on the correct kernel', (c) => expectCase(k, c));

  test('runCase judges bit-exact: the wrong kernel fails with the differing cells', async () => {
    expect((await runCase(k, subCase)).ok).toBe(true);
    const r = await runCase(gate.kernel('ext_buggy_i32_4x4'), subCase);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/^ext_buggy_i32_4x4: mismatch: 16 cell\(s\) differ/);
    expect(r.text).toContain('[0][0] expected 5 (0x00000005) got -5 (0xfffffffb)');
    await expect(expectCase(gate.kernel('ext_buggy_i32_4x4'), subCase)).rejects.toThrow(/differing cells of store #0/);
    await expect(runCase(k, subCase, { property: 'nope' })).rejects.toThrow(/property "nope" is not one of tile, frame/);
    // fast-check finds it too, and shrinks it
    const out = await fc.check(fc.asyncProperty(arbs.interleave, async (c) => (await runCase(gate.kernel('ext_buggy_i32_4x4'), c)).ok), { numRuns: 50, seed: 1 });
    expect(out.failed).toBe(true);
    expect(out.counterexample![0].chain.length).toBeLessThanOrEqual(4);
  });

  test('replay: a fixture directory on every kernel it fits, with the command that replays a failure', async () => {
    const res = await replay(fixtures, gate);
    const file = join(fixtures, 'sub.json');
    expect(res.map((x) => [x.file, x.kernel, x.ok, x.skipped !== undefined])).toEqual([
      [join(fixtures, 'other-shape.json'), undefined, true, true],
      [file, 'ext_generic_i32_4x4', true, false],
      [file, 'ext_buggy_i32_4x4', false, false],
    ]);
    expect(res[0].skipped).toBe('no kernel here has its 3x5 tile (it is tile-level)');
    expect(res[2].text).toContain(`\nreplay: npx bitexact replay ${file} --kernel-lib ${buggy} --kernel ext_buggy_i32_4x4`);
    // a bad file names itself and the field
    writeFileSync(join(tmp, 'bad.json'), JSON.stringify({ ...subCase, k: -1 }));
    await expect(replay(join(tmp, 'bad.json'), gate)).rejects.toThrow(/bad\.json.*\bk\b/);
  });
});
