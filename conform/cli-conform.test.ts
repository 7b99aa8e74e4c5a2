// `bitexact conform`, `merge` and `list` in-process (main(argv, bufferIo())): the seed printed
// first, the live view's plain lines, the summary, the four report files, exit codes; and two
// shards merged into one report whose counts add up to the unsharded run's.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../cli/main.js';
import { bufferIo } from '../cli/util.js';
import { parseShard } from '../cli/conform.js';
import { REPORT_FORMAT, type ConformReport } from './engine.js';
import { testKernelsPath } from '../native/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-conform-cli-'));
const out = (f: string) => join(tmp, f);
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as ConformReport;
const BASE = ['conform', '--kernel', 'generic_i32_4x4', '--runs', '10', '--seed', '77', '--no-aarch64', '--fixture-dir', out('fixtures')];

describe('bitexact conform (CLI)', () => {
  test('runs one kernel, prints the seed first and the summary, writes JSON / JUnit / markdown / HTML', async () => {
    const io = bufferIo();
    const code = await main([...BASE, '--json', out('r.json'), '--junit', out('r.xml'), '--markdown', out('r.md'), '--html', out('sub/r.html')], io);
    expect(io.stdout.split('\n')[0]).toBe('bitexact conform: seed 77 (rerun: --seed 77 --runs 10)');
    const r = readJson(out('r.json'));
    expect(r.format).toBe(REPORT_FORMAT);
    expect(r.seed).toBe(77);
    // the coverage sweep reaches every required cell whatever --runs says: a correct kernel passes
    expect(r.problems).toEqual([]);
    expect(code).toBe(0);
    const k = r.kernels[0];
    expect(r.kernels.map((x) => x.name)).toEqual(['generic_i32_4x4']);
    expect(k.properties.map((p) => p.property)).toEqual(['tile', 'frame', 'interleave', 'packing', 'gating', 'stale', 'beyond']);
    // 10 random cases after the deterministic edge cases (25 depths) and the coverage sweep's 6 tile cases
    expect(k.properties.find((p) => p.property === 'tile')).toMatchObject({ status: 'passed', ran: 41, passed: 41, failed: 0, sweep: 6 });
    expect(k.coverage).toMatchObject({ sweep: 9, sweepRan: 9, judged: true, missing: [] });
    expect(k.properties.find((p) => p.property === 'beyond')).toMatchObject({ status: 'skipped', skipped: 'no contract: nothing is outside it' });
    expect(k.outside_contract).toEqual([]);
    expect(k.throughput.tile).toBeGreaterThan(0);
    // live view without a TTY: one plain line per finished kernel x property, on stderr
    expect(io.stderr).toContain('generic_i32_4x4 / tile: passed: 41 run, 41 passed, 0 failed, 0 refused');
    // gating: a kernel declaring every op still meets every raw-tag probe, and refuses them all
    const gating = k.properties.find((p) => p.property === 'gating')!;
    expect(gating).toMatchObject({ status: 'passed', passed: 0, failed: 0 });
    expect(gating.refused).toBe(gating.ran);
    expect(gating.ran).toBeGreaterThanOrEqual(40);
    expect(io.stderr).toMatch(/generic_i32_4x4 \/ gating: passed: \d+ run, 0 passed, 0 failed, \d+ refused/);
    // the summary table, throughput, coverage, the closing verdict line
    expect(io.stdout).toMatch(/generic_i32_4x4 +tile +passed +41 +41 +0 +0/);
    expect(io.stdout).toContain('throughput (generated cases per second):');
    expect(io.stdout).toMatch(/semantic coverage:\n {2}generic_i32_4x4 {2}all \d+ required cells exercised \(sweep: 9 cases\)/);
    expect(io.stdout).toMatch(/PASS: 1 kernel\(s\) conform \(seed 77\)\n/);
    expect(io.stdout).toContain(`JUnit report: ${out('r.xml')}`);
    // the other formats
    const xml = readFileSync(out('r.xml'), 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(xml).toContain('<testsuite name="generic_i32_4x4" tests="8"');
    expect(xml).toContain('<testcase classname="bitexact.generic_i32_4x4" name="tile"');
    const md = readFileSync(out('r.md'), 'utf8');
    expect(md).toContain('| `generic_i32_4x4` | tile | passed | 41 | 41 | 0 | 0 |');
    expect(md).toContain('## Semantic coverage');
    expect(readFileSync(out('sub/r.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  test('a property that does not apply is a skip with its reason, in every report', async () => {
    const io = bufferIo();
    await main(['conform', '--kernel-lib', testKernelsPath(), '--kernel', 'test_minimal_i32_4x4', '--runs', '5', '--seed', '77', '--no-aarch64', '--fixture-dir', out('fixtures'), '--junit', out('skip.xml')], io);
    const why = 'the kernel does not declare the quant ops this property interleaves';
    expect(io.stderr).toContain(`test_minimal_i32_4x4 / interleave: skipped (${why})`);
    expect(io.stdout).toMatch(new RegExp(`test_minimal_i32_4x4 +interleave +skipped .*${why}`));
    expect(readFileSync(out('skip.xml'), 'utf8')).toContain(`<skipped message="${why}"/>`);
  });

  test('two shards merge into the unsharded counts', async () => {
    const whole = bufferIo();
    await main([...BASE, '--json', out('whole.json')], whole);
    for (const s of ['1/2', '2/2']) {
      const io = bufferIo();
      const code = await main([...BASE, '--shard', s, '--json', out(`s${s[0]}.json`)], io);
      expect(io.stdout).toContain(`seed 77, shard ${s}`);
      const r = readJson(out(`s${s[0]}.json`));
      expect(r.shard).toEqual(parseShard(s));
      expect(code).toBe(r.ok ? 0 : 1);
      // a shard does not judge coverage (it sees a slice): only kernel failures fail it
      expect(r.problems).toEqual([]);
    }
    const io = bufferIo();
    const code = await main(['merge', out('merged.json'), out('s1.json'), out('s2.json'), '--markdown', out('merged.md'), '--html', out('merged.html'), '--junit', out('merged.xml')], io);
    const merged = readJson(out('merged.json'));
    expect(code).toBe(merged.ok ? 0 : 1);
    expect(io.stdout).toContain('bitexact merge: 2 report(s) (1/2, 2/2), seed 77');
    for (const f of ['merged.md', 'merged.html', 'merged.xml']) expect(existsSync(out(f))).toBe(true);
    const [a, b, w] = [readJson(out('s1.json')), readJson(out('s2.json')), readJson(out('whole.json'))];
    const m = merged.kernels[0];
    for (const p of m.properties) {
      const pa = a.kernels[0].properties.find((x) => x.property === p.property)!;
      const pb = b.kernels[0].properties.find((x) => x.property === p.property)!;
      const pw = w.kernels[0].properties.find((x) => x.property === p.property)!;
      expect(p.ran).toBe(pa.ran + pb.ran);
      expect(p.passed).toBe(pa.passed + pb.passed);
      expect(p.ran, p.property).toBe(pw.ran); // the shards split the unsharded run's cases
      expect(p.status).toBe(pw.status);
    }
    for (const [cell, n] of Object.entries(m.coverage.hits)) {
      expect(n).toBe((a.kernels[0].coverage.hits[cell] ?? 0) + (b.kernels[0].coverage.hits[cell] ?? 0));
    }
    expect(m.coverage.missing).toEqual(m.coverage.required.filter((c) => !m.coverage.hits[c]));
    // the first shard ran the whole sweep: the union is judged, and complete
    expect(m.coverage).toMatchObject({ sweep: 9, sweepRan: 9, judged: true, missing: [] });
    expect(merged.ok).toBe(true);
  });

  test('bad usage exits 2', async () => {
    for (const argv of [
      ['conform', '--shard', '3/2'], ['conform', '--runs', 'many'], ['conform', '--frob'], ['conform', 'extra'],
      ['conform', '--time-budget', '-1'], ['conform', '--kernel', 'no_such_kernel_xyz', '--no-aarch64', '--runs', '5'],
      ['conform', '--kernel-lib', out('missing.so'), '--no-aarch64'], ['merge', out('x.json')], ['merge', out('x.json'), out('none.json')],
      ['replay'], ['list', 'extra'], ['conform', '--cpu-profile', 'm5', '--no-aarch64', '--runs', '5'], ['replay', out('x.json'), '--cpu-profile', 'm5'],
    ]) {
      const io = bufferIo();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
    }
    expect(parseShard('2/4')).toEqual({ index: 1, count: 4 });
    expect(parseShard('0/4')).toMatch(/1 <= I <= N/);
  });

  test('list: every host kernel with its descriptor; the aarch64 block says how to install', async () => {
    const io = bufferIo();
    expect(await main(['list', '--json', '--no-aarch64'], io)).toBe(0);
    const j = JSON.parse(io.stdout) as { backends: { name: string; available: boolean; why?: string; kernels: { name: string; mr: number; ops: string[]; packings: unknown[]; runs_here: boolean; why?: string }[] }[] };
    const host = j.backends.find((b) => b.name === 'host')!;
    const g = host.kernels.find((k) => k.name === 'generic_i32_4x4')!;
    expect(g).toMatchObject({ mr: 4, runs_here: true });
    expect(g.ops).toContain('scalar_sub_f');
    expect(g.packings.length).toBe(1);
    for (const k of host.kernels) if (!k.runs_here) expect(k.why).toBeTruthy();
    const arm = j.backends.find((b) => b.name.startsWith('aarch64'))!;
    expect(arm).toMatchObject({ available: false, why: 'disabled by --no-aarch64' });
    const text = bufferIo();
    expect(await main(['list'], text)).toBe(0);
    expect(text.stdout).toMatch(/generic_i32_4x4 {2}\(generic, 4x4 tile\) {2}runs here/);
    expect(text.stdout).toMatch(/packing 0: A PackedFormat\(r=4, align=1, end_padding=1\)/);
    // with the toolchain: the emulated kernels; without: the reason and the install command
    expect(text.stdout).toMatch(/aarch64.*\n(.|\n)*(arm64_neon_i32_8x8 {2}\(neon|install with: npm run setup)/);
  });
});
