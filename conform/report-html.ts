// The conformance report as one self-contained HTML page (inline CSS and a few lines of script,
// no external resource): verdict, summary table, kernels with throughput, the semantic coverage
// heat map as coloured table cells (missing required cells in red), and the shrunk failures.
import type { ConformReport } from './engine.js';
import { coverageJudged, emulationLines, failures, fmtRate, replayCommand, gateProblems, kernelProblems, heatLevel, heatTables, maxHits, opList, summaryRows, verdictLine } from './summary.js';

const esc = (s: string | number): string =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** An id fragment from a kernel name. */
const slug = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '-');

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #1d2329; }
h1 { margin-bottom: .2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }
.verdict { font-size: 1.25em; font-weight: 600; padding: .5em .8em; border-radius: 6px; display: inline-block; }
.verdict.pass { background: #dafbe1; color: #116329; } .verdict.fail { background: #ffebe9; color: #a40e26; }
.meta { color: #57606a; }
table { border-collapse: collapse; margin: .6em 0 1.2em; }
th, td { border: 1px solid #d0d7de; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; cursor: default; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
#summary th { cursor: pointer; }
tr.failed td { background: #ffebe9; } tr.skipped td { color: #57606a; }
.status-failed { color: #a40e26; font-weight: 600; } .status-passed { color: #116329; }
table.heatmap td { text-align: right; min-width: 4.5em; font-variant-numeric: tabular-nums; }
table.heatmap td.h0 { background: #f6f8fa; color: #8c959f; } table.heatmap td.h1 { background: #dafbe1; }
table.heatmap td.h2 { background: #aceebb; } table.heatmap td.h3 { background: #4ac26b; }
table.heatmap td.h4 { background: #1a7f37; color: #fff; } table.heatmap td.na { background: repeating-linear-gradient(45deg, #fff, #fff 4px, #f0f0f0 4px, #f0f0f0 8px); }
table.heatmap td.missing { background: #cf222e; color: #fff; font-weight: 700; }
.heat-group { display: inline-block; vertical-align: top; margin-right: 1.5em; }
.heat-group h4 { margin: .4em 0 0; font-size: .95em; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: .8em; overflow-x: auto; font-size: 12.5px; line-height: 1.35; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.legend span { display: inline-block; padding: 0 .6em; margin-right: .3em; border: 1px solid #d0d7de; }
`;

// sorts the summary table by a clicked column (numbers numerically); marks the page as rendered
const SCRIPT = `
(function () {
  var t = document.getElementById('summary');
  if (t) t.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir === 1 ? 'asc' : 'desc';
      rows.sort(function (a, b) {
        var x = a.cells[col].textContent, y = b.cells[col].textContent, nx = parseFloat(x), ny = parseFloat(y);
        return dir * (!isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y));
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  document.documentElement.setAttribute('data-rendered', String(document.querySelectorAll('#summary tbody tr').length));
})();
`;

export function renderHtml(r: ConformReport): string {
  const o: string[] = [];
  const title = `bitexact conformance report — ${r.ok ? 'PASS' : 'FAIL'}`;
  o.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  o.push(`<title>${esc(title)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  o.push('<h1>bitexact conformance report</h1>');
  o.push(`<p id="verdict" class="verdict ${r.ok ? 'pass' : 'fail'}">${esc(verdictLine(r))}</p>`);
  o.push(`<p class="meta">seed <code>${r.seed}</code> · ${r.runs} runs per property · started ${esc(r.started)} · ${r.seconds.toFixed(1)} s${r.shard ? ` · shard ${r.shard.index + 1}/${r.shard.count}` : ''}</p>`);
  for (const e of emulationLines(r)) o.push(`<p class="meta emulation">emulated: ${esc(e)}</p>`);
  const gp = gateProblems(r);
  if (gp.length) o.push('<h2 id="problems">Problems</h2>', `<ul>${gp.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`);

  o.push('<h2>Summary</h2>');
  o.push('<table id="summary"><thead><tr><th>kernel</th><th>property</th><th>status</th><th>run</th><th>passed</th><th>failed</th><th>refused</th><th>skipped / note</th><th>seconds</th></tr></thead><tbody>');
  for (const x of summaryRows(r)) {
    o.push(`<tr class="${x.status}" data-kernel="${esc(x.kernel)}" data-property="${esc(x.property)}"><td><code>${esc(x.kernel)}</code></td><td>${esc(x.property)}</td>`
      + `<td class="status-${x.status}">${esc(x.status)}</td><td class="num">${x.ran}</td><td class="num">${x.passed}</td><td class="num">${x.failed}</td>`
      + `<td class="num">${x.refused}</td><td>${esc(x.note)}</td><td class="num">${x.seconds.toFixed(2)}</td></tr>`);
  }
  o.push('</tbody></table>');

  if (r.kernels.length) {
    o.push('<h2>Kernels and throughput</h2>');
    o.push('<table id="kernels"><thead><tr><th>kernel</th><th>isa</th><th>tile</th><th>backend</th><th>source</th><th>tile cases/s</th><th>frame cases/s</th><th>declared ops</th></tr></thead><tbody>');
    for (const k of r.kernels) {
      o.push(`<tr><td><code>${esc(k.name)}</code></td><td>${esc(k.isa)}</td><td>${k.mr}x${k.nr}</td><td>${esc(k.backend)}</td><td>${esc(k.source)}</td>`
        + `<td class="num">${fmtRate(k.throughput.tile)}</td><td class="num">${fmtRate(k.throughput.frame)}</td><td>${esc(opList(k.supported_ops).join(', '))}</td></tr>`);
    }
    o.push('</tbody></table>');
  }
  if (r.unavailable.length) o.push('<h2>Not runnable here</h2>', `<ul>${r.unavailable.map((u) => `<li><code>${esc(u.name)}</code>: ${esc(u.why)}</li>`).join('')}</ul>`);

  if (r.kernels.length) {
    o.push('<h2 id="coverage">Semantic coverage</h2>');
    o.push('<p class="legend">hit counts per cell, log scale: <span class="h1" style="background:#dafbe1">few</span><span style="background:#4ac26b">more</span>'
      + '<span style="background:#1a7f37;color:#fff">most</span><span style="background:#cf222e;color:#fff">required, never exercised</span><span style="background:#f6f8fa">not required</span></p>');
    for (const k of r.kernels) {
      const max = maxHits(k);
      o.push(`<section class="kernel-coverage" id="coverage-${slug(k.name)}" data-kernel="${esc(k.name)}" data-missing="${k.coverage.missing.length}">`);
      const state = !coverageJudged(k) ? `not judged: a property failed or was interrupted (${k.coverage.missing.length} cell(s) not reached)`
        : k.coverage.missing.length ? `<span class="status-failed">${k.coverage.missing.length} required cell(s) never exercised</span>` : `all ${k.coverage.required.length} required cells exercised`;
      o.push(`<h3><code>${esc(k.name)}</code> — ${state}</h3>`);
      for (const t of heatTables(k)) {
        o.push(`<div class="heat-group"><h4>${esc(t.title)}</h4><table class="heatmap"><thead><tr><th></th>${t.cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>`);
        for (const row of t.rows) {
          o.push(`<tr><th>${esc(row.label)}</th>${row.cells.map((c) => {
            if (!c) return '<td class="na"></td>';
            const cls = c.hits === 0 && c.required ? 'missing' : `h${heatLevel(c.hits, max)}`;
            return `<td class="${cls}" data-cell="${esc(c.name)}" title="${esc(c.name)}: ${c.hits} case(s)${c.required ? '' : ' (not required)'}">${c.hits === 0 && c.required ? '✗ 0' : c.hits}</td>`;
          }).join('')}</tr>`);
        }
        o.push('</tbody></table></div>');
      }
      o.push('</section>');
    }
  }

  const fs = failures(r);
  o.push('<h2 id="failures-title">Failures</h2>', `<section id="failures" data-count="${fs.length}">`);
  if (fs.length === 0) o.push('<p>none</p>');
  for (const f of fs) {
    o.push(`<article class="failure" data-kernel="${esc(f.kernel)}" data-property="${esc(f.property)}"><h3><code>${esc(f.kernel)}</code> / ${esc(f.property)}: ${esc(f.kind)}</h3>`);
    o.push(`<pre><code>${esc(f.text)}</code></pre>`);
    const li: string[] = [];
    if (f.fixture) li.push(`<li>fixture: <code>${esc(f.fixture)}</code> — replay: <code>${esc(replayCommand(f))}</code></li>`);
    if (f.repro) li.push(`<li>repro.c: <code>${esc(f.repro)}</code><br>build: <code>${esc(f.reproBuild ?? '')}</code><br>run: <code>${esc(f.reproRun ?? '')}</code></li>`);
    if (li.length) o.push(`<ul>${li.join('')}</ul>`);
    o.push('</article>');
  }
  o.push('</section>');
  const kp = kernelProblems(r);
  if (kp.length) o.push('<h2>Why the gate failed</h2>', `<ul id="why">${kp.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`);
  o.push(`<script>${SCRIPT}</script>`, '</body>', '</html>');
  return o.join('\n') + '\n';
}
