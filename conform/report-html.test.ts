// The reports of a small real run (the example external kernel and its buggy copy, so the report
// has a failure): the HTML page is loaded in headless Chromium and its DOM must hold the summary
// table with every kernel x property, the coverage heat map and the failure section; the
// markdown and JUnit renderers are checked on the same report.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { conformance, type ConformReport } from './engine.js';
import { renderHtml } from './report-html.js';
import { renderMarkdown } from './report-markdown.js';
import { renderJunit } from './report-junit.js';
import { coverageJudged, failures, heatLevel, heatTables, opList } from './summary.js';
import { PKG_ROOT } from '../native/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-report-'));
const EX = join(PKG_ROOT, 'examples', 'external-kernel');

function buildLib(src: string): string {
  const out = join(tmp, src.replace(/\.c$/, '.so'));
  execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${join(PKG_ROOT, 'native', 'include')}`, join(EX, src), '-o', out], { stdio: 'pipe' });
  return out;
}

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);

function dumpDom(file: string): string {
  const profile = mkdtempSync(join(tmpdir(), 'bitexact-chromium-'));
  const r = spawnSync(chromium!, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--dump-dom', pathToFileURL(file).href,
  ], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`chromium exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

describe('conformance reports', () => {
  let report: ConformReport;
  beforeAll(async () => {
    report = await conformance({
      kernelLibs: [buildLib('ext_kernel.c'), buildLib('ext_kernel_buggy.c')], builtins: false,
      runs: 30, seed: 4242, fixtureDir: join(tmp, 'fixtures'), aarch64: false,
    });
  });

  test('HTML in headless Chromium: summary table, heat map, failure section', (ctx) => {
    if (!chromium) {
      console.warn('chromium not installed: apt-get install chromium (the HTML report test is skipped)');
      ctx.skip('chromium not installed: apt-get install chromium'); // reason: no browser on this machine (printed above)
      return;
    }
    expect(report.ok).toBe(false);
    const file = join(tmp, 'report.html');
    writeFileSync(file, renderHtml(report));
    const dom = dumpDom(file);
    // Chromium parsed it and ran its script (which counts the summary rows)
    const rows = report.kernels.reduce((s, k) => s + k.properties.length, 0);
    expect(dom).toMatch(new RegExp(`<html[^>]* data-rendered="${rows}"`));
    expect(dom).toContain('<table id="summary">');
    for (const k of report.kernels) {
      for (const p of k.properties) {
        expect(dom).toMatch(new RegExp(`<tr class="${p.status}" data-kernel="${k.name}" data-property="${p.property}">`));
      }
      // the heat map: a section per kernel with coloured cells, missing required cells flagged
      expect(dom).toContain(`<section class="kernel-coverage" id="coverage-${k.name}" data-kernel="${k.name}" data-missing="${k.coverage.missing.length}">`);
      for (const cell of k.coverage.missing) expect(dom).toContain(`<td class="missing" data-cell="${cell}"`);
    }
    expect(dom).toMatch(/<table class="heatmap">/);
    expect(dom).toMatch(/<td class="h[1-4]" data-cell="op\.store"/);
    // the failure section: the buggy kernel's shrunk cases with fixture and repro.c
    // one article per distinct failure of a kernel (a bug several properties saw is one)
    const failed = failures(report);
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set(failed.map((f) => `${f.kernel} ${f.signature}`)).size).toBe(failed.length);
    expect(dom).toContain(`<section id="failures" data-count="${failed.length}">`);
    for (const f of failed) {
      expect(dom).toContain(`<article class="failure" id="${f.anchor}" data-kernel="${f.kernel}" data-property="${f.property}">`);
      // the matrix cell of every property that saw it links to the first failure it saw
      for (const p of f.properties) {
        const to = failed.find((x) => x.kernel === f.kernel && x.properties.includes(p))!;
        expect(dom).toMatch(new RegExp(`<tr data-kernel="${f.kernel}">.*<td class="failed" data-property="${p}" title="[^"]*"><a href="#${to.anchor}">`));
      }
    }
    // the page opens on the matrix (before the failures), a row per kernel, the coverage column included
    expect(dom.indexOf('<table class="matrix" id="matrix">')).toBeGreaterThan(0);
    expect(dom.indexOf('<table class="matrix" id="matrix">')).toBeLessThan(dom.indexOf('<section id="failures"'));
    expect(dom.indexOf('<section id="failures"')).toBeLessThan(dom.indexOf('<table id="summary">'));
    for (const k of report.kernels) expect(dom).toMatch(new RegExp(`<tr data-kernel="${k.name}"><th class="kernel"><code>${k.name}</code></th><td class="cov-(ok|nj|missing)" data-coverage="`));
    expect(dom).toContain(`bitexact ${report.version} · node `);
    expect(dom).toContain('differing cells');
    expect(dom).toContain('.repro.c');
    expect(dom).toContain('class="verdict fail"');
  });

  test('HTML: a coverage cell missing is highlighted in the matrix; several failures of one property each get a section', () => {
    const r = structuredClone(report);
    const ok = r.kernels.find((k) => k.properties.every((p) => p.status !== 'failed'))!;
    ok.coverage = { ...ok.coverage, judged: true, missing: ['q_scale.zero.tie'] };
    const bad = r.kernels.find((k) => k.properties.some((p) => p.status === 'failed'))!;
    const p = bad.properties.find((x) => x.status === 'failed')!;
    // a second distinct bug (its own signature) of the same property
    Object.assign(p, { failures: [...(p.failures ?? [p.failure!]), { ...p.failure!, signature: 'mismatch @ another op', text: 'the second bug' }] });
    const fs = failures(r).filter((f) => f.kernel === bad.name);
    const second = fs.find((f) => f.signature === 'mismatch @ another op')!;
    const first = fs.find((f) => f.properties.includes(p.property))!;
    const html = renderHtml(r);
    expect(html).toContain(`<td class="cov-missing" data-coverage="missing" title="never exercised: q_scale.zero.tie"><a href="#coverage-${ok.name}">✗ 1 missing</a></td>`);
    expect(html).toContain(`<article class="failure" id="${second.anchor}"`);
    expect(html).toContain('the second bug');
    expect(html).toMatch(new RegExp(`<a href="#${first.anchor}">✗ FAILED<span class="sub">[a-z_ ]+ \\+\\d+</span>`));
  });

  test('markdown: summary table, heat-map tables, failures in code blocks, throughput', () => {
    const md = renderMarkdown(report);
    expect(md).toMatch(/^# bitexact conformance report\n\n\*\*FAIL: 1 of 2 kernel\(s\) failed[^*]*\(seed 4242\)\*\*/);
    for (const k of report.kernels) {
      for (const p of k.properties) expect(md).toContain(`| \`${k.name}\` | ${p.property} | ${p.status === 'failed' ? '**FAILED**' : p.status} | ${p.ran} |`);
      expect(md).toContain(`### \`${k.name}\``);
    }
    expect(md).toContain('**binary ops (bin x family)**');
    expect(md).toContain('## Kernels and throughput');
    expect(md).toMatch(/### `ext_buggy_i32_4x4` \/ \w+: mismatch( \(distinct failure 1 of \d+\))?\n\n- signature: `mismatch @ [^`]+`/);
    expect(md).toMatch(/```text\next_buggy_i32_4x4: mismatch/);
    expect(md).toMatch(/- first divergent op: #\d+ \w+/);
    expect(md).toMatch(/- repro\.c: `[^`]+\.repro\.c`/);
    // an external kernel's replay command names its library
    expect(md).toMatch(/replay: `npx bitexact replay \S+\.json --kernel-lib \S+ext_kernel_buggy\.so --kernel ext_buggy_i32_4x4`/);
    expect(md).toContain('_not judged: a property failed or was interrupted (the run stopped early)_');
  });

  test('JUnit: a testsuite per kernel, a testcase per property, failures with the shrunk case', () => {
    const xml = renderJunit(report);
    const suites = xml.match(/<testsuite /g) ?? [];
    expect(suites.length).toBe(2);
    for (const k of report.kernels) {
      // a testcase per distinct failure of a property (at least one per failed property)
      const groups = k.properties.reduce((n, p) => n + (p.status === 'failed' ? Math.max(1, p.failures?.length ?? 0) : 0), 0);
      const failed = groups + (coverageJudged(k) && k.coverage.missing.length ? 1 : 0);
      const extra = groups - k.properties.filter((p) => p.status === 'failed').length;
      expect(xml).toContain(`<testsuite name="${k.name}" tests="${k.properties.length + 1 + extra}" failures="${failed}"`);
    }
    expect(xml).toMatch(/<failure type="mismatch" message="[^"]*cell\(s\) differ[^"]*">signature: mismatch @ [^\n]+\next_buggy_i32_4x4: mismatch/);
    expect(xml).not.toMatch(/<[^>]*<[^/]/); // no unescaped < inside a tag
  });

  test('heat-map helpers', () => {
    expect([0, 1, 10, 100, 1000].map((h) => heatLevel(h, 1000))).toEqual([0, 1, 2, 3, 4]);
    expect(opList([0, 1, 3, 4, 5, 6, 7, 8, 10, 27, 28])).toEqual(['done', 'clear', 'scalar_*', 'per_row_min', 'store', 'add_mat_mul']);
    const k = report.kernels[0];
    const cells = heatTables(k).flatMap((t) => t.rows.flatMap((r) => r.cells)).filter((c) => c !== null).map((c) => c!.name);
    expect(new Set(cells)).toEqual(new Set([...k.coverage.required, ...Object.keys(k.coverage.hits)]));
  });
});
