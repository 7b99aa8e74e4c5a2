// BITEXACT_SEED / BITEXACT_RUNS reach `conformance()` and `bitexact conform` as they reach
// `npm test` (an explicit option wins; a bad value is an error naming the variable), and a
// failure's printed rerun line reproduces the run: kernel (with its library), seed, property, runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { conformance, type ConformOptions } from './engine.js';
import { envRuns, envSeed } from './env.js';
import { main } from '../cli/main.js';
import { bufferIo } from '../cli/util.js';
import { rerunCommand } from '../properties/commands.js';
import { PKG_ROOT } from '../native/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-env-'));
const saved = { seed: process.env.BITEXACT_SEED, runs: process.env.BITEXACT_RUNS };
afterEach(() => {
  for (const [k, v] of [['BITEXACT_SEED', saved.seed], ['BITEXACT_RUNS', saved.runs]] as const) {
    if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
});
const one: ConformOptions = { kernels: ['generic_i32_4x4'], properties: ['tile'], aarch64: false, fixtureDir: null };

describe('BITEXACT_SEED / BITEXACT_RUNS', () => {
  test('conformance(): the variables apply, explicit options win', async () => {
    process.env.BITEXACT_SEED = '1234';
    process.env.BITEXACT_RUNS = '7';
    const r = await conformance(one);
    expect(r).toMatchObject({ seed: 1234, runs: 7 });
    // 7 random tile cases after the 31 deterministic ones
    expect(r.kernels[0].properties[0]).toMatchObject({ ran: 38, edges: 25, sweep: 6 });
    expect(await conformance({ ...one, seed: 5, runs: 6 })).toMatchObject({ seed: 5, runs: 6 });
  });

  test('bitexact conform: the variables apply and are printed in the rerun hint; a bad value exits 2 naming it', async () => {
    process.env.BITEXACT_SEED = '99';
    process.env.BITEXACT_RUNS = '6';
    const io = bufferIo();
    expect(await main(['conform', '--kernel', 'generic_i32_4x4', '--property', 'tile', '--no-aarch64', '--fixture-dir', join(tmp, 'fx')], io)).toBe(0);
    expect(io.stdout.split('\n')[0]).toBe('bitexact conform: seed 99 (rerun: --seed 99 --runs 6 --property tile)');
    expect(io.stderr).toContain('generic_i32_4x4 / tile: passed: 37 run, 37 passed, 0 failed, 0 refused; 6 random + 31 deterministic (25 edge cases, 6 coverage sweep)');
    process.env.BITEXACT_RUNS = 'lots';
    const bad = bufferIo();
    expect(await main(['conform', '--kernel', 'generic_i32_4x4', '--no-aarch64'], bad)).toBe(2);
    expect(bad.stderr).toContain('BITEXACT_RUNS=lots: expected an integer >= 1');
    expect(() => envSeed({ BITEXACT_SEED: '1.5' })).toThrow('BITEXACT_SEED=1.5: expected an integer');
    expect(envRuns({})).toBeUndefined();
  });
});

describe('the rerun line', () => {
  test('rerunCommand: the old two-argument form, and every option', () => {
    expect(rerunCommand('k', 3)).toBe('npx bitexact conform --kernel k --seed 3');
    expect(rerunCommand('k', 3, { seed: 1, runs: 10, property: 'frame', shard: { index: 1, count: 4 }, extra: ['--strict'] }))
      .toBe('npx bitexact conform --kernel k --seed 1 --property frame --runs 10 --shard 2/4 --strict');
  });

  test('a failure prints the command that reruns exactly its kernel, library, seed, property and runs', async () => {
    const lib = join(tmp, 'buggy.so');
    execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${join(PKG_ROOT, 'native', 'include')}`, join(PKG_ROOT, 'examples', 'external-kernel', 'ext_kernel_buggy.c'), '-o', lib], { stdio: 'pipe' });
    const r = await conformance({ kernelLibs: [lib], builtins: false, properties: ['tile'], runs: 7, seed: 31, aarch64: false, fixtureDir: join(tmp, 'fx2') });
    const text = r.kernels[0].properties[0].failure!.text;
    expect(text).toContain(`rerun: npx bitexact conform --kernel-lib ${lib} --kernel ext_buggy_i32_4x4 --seed 31 --property tile --runs 7\n`);
  }, 60_000);
});
