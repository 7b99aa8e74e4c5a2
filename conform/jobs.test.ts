// `conform --jobs 2` is `conform --jobs 1` in two processes: for one seed, the same verdicts,
// the same failures (signatures, shrunk cases), the same counts and coverage, the same
// problems: the two JSON reports are equal once the timings (and the fixture directory each
// run was given) are left out. The built CLI, as a user runs it, on a correct builtin kernel
// and a buggy external one (Sub / SubF swapped).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ConformReport } from './engine.js';
import { PKG_ROOT } from '../native/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-jobs-'));
const MAIN = join(PKG_ROOT, 'dist', 'cli', 'main.js');
const EX = join(PKG_ROOT, 'examples', 'external-kernel');

/** Timing fields, which differ run to run; the rest must not. */
const TIMING = new Set(['seconds', 'started', 'throughput']);
const untimed = (x: unknown): unknown => {
  if (Array.isArray(x)) return x.map(untimed);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).filter(([k]) => !TIMING.has(k)).map(([k, v]) => [k, untimed(v)]));
  return x;
};

function conform(jobs: number, lib: string): { code: number | null; report: ConformReport; stderr: string } {
  const dir = join(tmp, `fx-jobs${jobs}`);
  const json = join(tmp, `jobs${jobs}.json`);
  const r = spawnSync(process.execPath, [MAIN, 'conform', '--kernel', 'generic_i32_4x4', '--kernel', 'ext_buggy_i32_4x4', '--kernel-lib', lib, '--no-aarch64',
    '--runs', '30', '--seed', '4242', '--jobs', String(jobs), '--fixture-dir', dir, '--json', json], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  // each run saves its fixtures and reproducers in its own directory: named alike
  const report = JSON.parse(readFileSync(json, 'utf8').split(dir).join('<fixture-dir>')) as ConformReport;
  return { code: r.status, report, stderr: r.stderr };
}

if (!existsSync(MAIN)) console.warn(`${MAIN} missing: run npm run build (the --jobs test is skipped)`);

describe.skipIf(!existsSync(MAIN))('conform --jobs (needs dist/: npm run build)', () => {
  test('--jobs 2 reports what --jobs 1 reports, but for timings', () => {
    const lib = join(tmp, 'libbuggy.so');
    execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${join(PKG_ROOT, 'native', 'include')}`, join(EX, 'ext_kernel_buggy.c'), '-o', lib], { stdio: 'pipe' });
    const one = conform(1, lib);
    const two = conform(2, lib);
    // the buggy kernel fails: the comparison covers failures, shrinking and fixtures too
    expect(one.code, one.stderr).toBe(1);
    expect(two.code, two.stderr).toBe(1);
    const buggy = one.report.kernels.find((k) => k.name === 'ext_buggy_i32_4x4')!;
    expect(buggy.distinct_failures!.length).toBeGreaterThan(0);
    expect(one.report.kernels.find((k) => k.name === 'generic_i32_4x4')!.properties.every((p) => p.status !== 'failed')).toBe(true);
    expect(untimed(two.report)).toEqual(untimed(one.report));
    // the workers' progress events reach the live view: a line per finished unit, each once
    const unitLines = (s: string) => s.split('\n').filter((l) => /^\S+ \/ \S+: (passed|failed|skipped)/.test(l)).map((l) => l.split(':')[0]).sort();
    expect(unitLines(two.stderr).length).toBeGreaterThan(8);
    expect(unitLines(two.stderr)).toEqual(unitLines(one.stderr));
  }, 300_000);

  test('two short units: a worker that claims none (still starting when the parent is done) is stopped; the report is --jobs 1\'s; nothing is left running', async () => {
    // the processes of this run carry a mark in their environment
    const mark = `bitexact-jobs-${process.pid}-${Date.now()}`;
    const run = (jobs: number) => {
      const json = join(tmp, `one${jobs}.json`);
      const r = spawnSync(process.execPath, [MAIN, 'conform', '--kernel', 'generic_i32_4x4', '--property', 'tile', '--property', 'beyond', '--no-aarch64', '--runs', '20', '--seed', '7', '--jobs', String(jobs), '--json', json],
        { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', BITEXACT_TEST_MARK: mark } });
      return { code: r.status, stderr: r.stderr, report: JSON.parse(readFileSync(json, 'utf8')) as ConformReport };
    };
    const one = run(1);
    const two = run(2);
    expect(two.code, two.stderr).toBe(0);
    expect(untimed(two.report)).toEqual(untimed(one.report));
    const alive = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
      try {
        if (!readFileSync(`/proc/${d}/environ`, 'utf8').includes(`BITEXACT_TEST_MARK=${mark}`)) return [];
        return [`${d}: ${readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ')}`];
      } catch { return []; }
    });
    // an executor still starting when its worker was stopped exits as it starts (it finds its
    // parent gone: native/core/serve.c): within a few seconds
    for (let t = 0; t < 50 && alive().length; t++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(), 'processes of the run still alive').toEqual([]);
  }, 120_000);
});
