// The CI sequence of examples/ci/github-actions.yml, locally: two shards of a small run, each
// writing its JSON report, merged into one report with the Markdown summary and JUnit; and the
// merge refusing shards that are not one run's (exit 2, naming the problem).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { main } from '../cli/main.js';
import { bufferIo } from '../cli/util.js';
import { mergeReports, shardMismatch, type ConformReport } from './engine.js';
import { bitexactVersion } from './provenance.js';
import { PKG_ROOT } from '../native/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-merge-'));
const f = (x: string) => join(tmp, x);
const read = (x: string) => JSON.parse(readFileSync(f(x), 'utf8')) as ConformReport;
const shardRun = (shard: string, seed: number, out: string) =>
  main(['conform', '--kernel', 'generic_i32_4x4', '--property', 'tile', '--property', 'frame', '--runs', '8', '--seed', String(seed), '--no-aarch64', '--fixture-dir', f('fx'), '--shard', shard, '--json', f(out)], bufferIo());

async function merge(...inputs: string[]): Promise<{ code: number; err: string; out: string }> {
  const io = bufferIo();
  const code = await main(['merge', f('merged.json'), ...inputs.map(f), '--markdown', f('summary.md'), '--junit', f('junit.xml')], io);
  return { code, err: io.stderr, out: io.stdout };
}

describe('shards and merge', () => {
  beforeAll(async () => {
    expect(await shardRun('1/2', 21, 's1.json')).toBe(0);
    expect(await shardRun('2/2', 21, 's2.json')).toBe(0);
    expect(await shardRun('2/2', 22, 'other-seed.json')).toBe(0);
  }, 120_000);

  test('each shard report carries its shard and the bitexact version; the merge of both passes', async () => {
    expect(read('s1.json')).toMatchObject({ shard: { index: 0, count: 2 }, version: bitexactVersion(), seed: 21, runs: 8 });
    expect(read('s2.json').shard).toEqual({ index: 1, count: 2 });
    const m = await merge('s2.json', 's1.json');
    expect(m.code, m.err).toBe(0);
    expect(m.out).toContain('bitexact merge: 2 report(s) (2/2, 1/2), seed 21');
    const merged = read('merged.json');
    expect(merged).toMatchObject({ ok: true, seed: 21, runs: 8, version: bitexactVersion() });
    expect(merged.kernels[0].coverage).toMatchObject({ judged: true, missing: [] });
    expect(readFileSync(f('summary.md'), 'utf8')).toContain('**PASS: 1 kernel(s) conform (seed 21)**');
    expect(readFileSync(f('junit.xml'), 'utf8')).toContain('<testsuite name="generic_i32_4x4"');
  });

  test.each([
    ['one shard alone', ['s1.json'], /shard\(s\) 2\/2 missing: a merge needs every shard of the run \(got 1\/2\)/],
    ['the same shard twice', ['s1.json', 's1.json'], /shard 1\/2 given twice \(.*s1\.json, .*s1\.json\)/],
    ['a shard from another seed', ['s1.json', 'other-seed.json'], /other-seed\.json and .*s1\.json are not shards of one run: seed differ \(22 vs 21\)/],
  ])('merge refuses %s: exit 2, naming it', async (_what, inputs, why) => {
    writeFileSync(f('merged.json'), 'untouched');
    const m = await merge(...inputs);
    expect(m.code).toBe(2);
    expect(m.err).toMatch(why);
    expect(readFileSync(f('merged.json'), 'utf8')).toBe('untouched');
  });

  test('shardMismatch: version, runs, shard count, kernels, an interrupted or unsharded report', () => {
    const [a, b] = [read('s1.json'), read('s2.json')];
    const names = ['a.json', 'b.json'];
    expect(shardMismatch([a, b], names)).toBeNull();
    expect(shardMismatch([a, { ...b, version: '9.9.9' }], names)).toBe(`b.json and a.json are not shards of one run: bitexact version differ (9.9.9 vs ${bitexactVersion()})`);
    expect(shardMismatch([a, { ...b, runs: 9 }], names)).toMatch(/runs differ \(9 vs 8\)/);
    expect(shardMismatch([a, { ...b, shard: { index: 1, count: 3 } }], names)).toMatch(/shard count N differ \(3 vs 2\)/);
    expect(shardMismatch([a, { ...b, kernels: [] }], names)).toMatch(/kernels and properties differ \(none vs generic_i32_4x4\[tile,frame\]\)/);
    expect(shardMismatch([a, { ...b, interrupted: true }], names)).toBe('b.json: shard 2/2 was interrupted before it finished: rerun it');
    expect(shardMismatch([a, { ...b, shard: undefined }], names)).toMatch(/^b\.json: not a shard report/);
    expect(shardMismatch([a, { ...b, version: undefined }], names)).toMatch(/^b\.json: written by an older bitexact \(no version\)/);
    expect(() => mergeReports([a])).toThrow(/shard\(s\) 2\/2 missing/);
  });
});

test('the example CI workflow runs this sequence: conform --shard I/N --json per job, then merge', () => {
  const yml = readFileSync(join(PKG_ROOT, 'examples', 'ci', 'github-actions.yml'), 'utf8');
  expect(yml).toContain('--shard ${{ matrix.shard }}/${{ env.SHARDS }}');
  expect(yml).toContain('--json reports/shard-${{ matrix.shard }}.json');
  expect(yml).toMatch(/npx bitexact merge merged\.json shards\/shard-\*\.json \\\n\s+--markdown summary\.md --junit junit\.xml/);
  const shards = /shard: \[([0-9, ]+)\]/.exec(yml)![1].split(',').map(Number);
  expect(shards).toEqual(Array.from({ length: Number(/SHARDS: (\d+)/.exec(yml)![1]) }, (_, i) => i + 1));
});
