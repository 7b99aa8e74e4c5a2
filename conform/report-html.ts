// The conformance report as one self-contained HTML page (inline CSS and a few lines of script,
// no external resource). It opens on the verdict and a kernel x property matrix (a status per
// cell, each failing cell a link to its failure, the coverage column red where required cells
// were never exercised); then the failures; then the details: the summary table, kernels with
// throughput, the semantic coverage heat maps, divergences outside the declared contracts.
import type { ConformReport } from './engine.js';
import { casesText, coverageJudged, emulationLines, failureAnchor, failuresOf, notJudgedText, failures, OUTSIDE_TITLE, outsideContract, fmtRate, provenanceText, replayCommand, gateProblems, kernelProblems, heatLevel, heatTables, maxHits, opList, slug, summaryRows, verdictLine } from './summary.js';
import { PROPERTY_NAMES } from '../properties/kernel-properties.js';

const esc = (s: string | number): string =>
  String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');


const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.2em auto; max-width: 1200px; padding: 0 1em; color: #1d2329; }
nav.toc { margin: .4em 0 0; } nav.toc a { margin-right: 1em; }
.banner { background: #fff8c5; border: 1px solid #d4a72c; padding: .5em .8em; border-radius: 6px; }
.scroll { overflow-x: auto; max-width: 100%; }
table.matrix th, table.matrix td { text-align: center; white-space: nowrap; }
table.matrix th.kernel { text-align: left; position: sticky; left: 0; z-index: 1; }
@media (max-width: 900px) { body { font-size: 13px; padding: 0 .5em; } table.matrix th, table.matrix td { padding: .2em .35em; font-size: 12px; } }
table.matrix td a { color: inherit; display: block; text-decoration: none; }
table.matrix td.passed { background: #dafbe1; color: #116329; }
table.matrix td.failed { background: #cf222e; color: #fff; font-weight: 700; }
table.matrix td.failed a { text-decoration: underline; }
table.matrix td.skipped { background: #f6f8fa; color: #57606a; }
table.matrix td.notrun { background: repeating-linear-gradient(45deg, #fff, #fff 4px, #f0f0f0 4px, #f0f0f0 8px); color: #8c959f; }
table.matrix td.cov-missing { background: #cf222e; color: #fff; font-weight: 700; outline: 3px solid #82071e; outline-offset: -3px; }
table.matrix td.cov-ok { background: #dafbe1; color: #116329; } table.matrix td.cov-nj { background: #fff8c5; color: #6f4f00; }
table.matrix .sub { display: block; font-size: 11px; font-weight: 400; opacity: .85; }
.failure h3 { scroll-margin-top: .5em; } .failure:target h3 { background: #fff8c5; }
.failure .back { font-size: 12px; font-weight: 400; margin-left: .6em; }
h1 { margin-bottom: .2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }
.verdict { font-size: 1.25em; font-weight: 600; padding: .5em .8em; border-radius: 6px; display: inline-block; }
.verdict.pass { background: #dafbe1; color: #116329; } .verdict.fail { background: #ffebe9; color: #a40e26; }
.meta { color: #57606a; }
table { border-collapse: collapse; margin: .6em 0 1.2em; }
th, td { border: 1px solid #d0d7de; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; cursor: default; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
#summary th { cursor: pointer; } details > summary { cursor: pointer; font-weight: 600; margin: .6em 0; }
tr.failed td { background: #ffebe9; } tr.skipped td { color: #57606a; }
.status-failed { color: #a40e26; font-weight: 600; } .status-passed { color: #116329; }
table.heatmap td { text-align: right; min-width: 4.5em; font-variant-numeric: tabular-nums; }
table.heatmap td.h0 { background: #f6f8fa; color: #8c959f; } table.heatmap td.h1 { background: #dafbe1; }
table.heatmap td.h2 { background: #aceebb; } table.heatmap td.h3 { background: #4ac26b; }
table.heatmap td.h4 { background: #1a7f37; color: #fff; } table.heatmap td.na { background: repeating-linear-gradient(45deg, #fff, #fff 4px, #f0f0f0 4px, #f0f0f0 8px); }
table.heatmap td.missing { background: #cf222e; color: #fff; font-weight: 700; }
.heat-group { display: inline-block; vertical-align: top; margin-right: 1.5em; max-width: calc(100% - 1.5em); overflow-x: auto; }
.heat-group h4 { margin: .4em 0 0; font-size: .95em; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: .8em; overflow-x: auto; font-size: 12.5px; line-height: 1.35; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
li code, p code { overflow-wrap: anywhere; }
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
  const title = `bitexact conformance report — ${r.interrupted ? 'INTERRUPTED' : r.ok ? 'PASS' : 'FAIL'}`;
  o.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  o.push(`<title>${esc(title)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  o.push('<h1>bitexact conformance report</h1>');
  o.push(`<p id="verdict" class="verdict ${r.ok ? 'pass' : 'fail'}">${esc(verdictLine(r))}</p>`);
  if (r.interrupted) o.push('<p class="banner" id="interrupted">The run was <strong>interrupted</strong>: this report holds the kernel x property units that ran and every failure found until then; the others did not run.</p>');
  o.push(`<p class="meta">seed <code>${r.seed}</code> · ${r.runs} random cases per property (divided by its cost) · started ${esc(r.started)} · ${r.seconds.toFixed(1)} s${r.shard ? ` · shard ${r.shard.index + 1}/${r.shard.count}` : ''}</p>`);
  o.push(`<p class="meta provenance">${esc(provenanceText(r))}</p>`);
  for (const e of emulationLines(r)) o.push(`<p class="meta emulation">emulated: ${esc(e)}</p>`);
  const fs = failures(r);
  o.push(`<nav class="toc"><a href="#matrix-title">matrix</a><a href="#failures-title">failures (${fs.length})</a><a href="#summary-title">summary table</a><a href="#coverage">coverage</a></nav>`);
  const gp = gateProblems(r);
  if (gp.length) o.push('<h2 id="problems">Problems</h2>', `<ul>${gp.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`);

  // the matrix: a row per kernel, a column per property (in the property table's order) and coverage
  o.push('<h2 id="matrix-title">Kernels x properties</h2>');
  const props = [...new Set(r.kernels.flatMap((k) => k.properties.map((p) => p.property)))]
    .sort((a, b) => (PROPERTY_NAMES.indexOf(a) + 1 || 99) - (PROPERTY_NAMES.indexOf(b) + 1 || 99));
  if (r.kernels.length === 0) o.push('<p>no kernel was gated</p>');
  else {
    o.push(`<div class="scroll"><table class="matrix" id="matrix"><thead><tr><th class="kernel">kernel</th><th>coverage</th>${props.map((p) => `<th>${esc(p)}</th>`).join('')}</tr></thead><tbody>`);
    for (const k of r.kernels) {
      const cells = props.map((name) => {
        const p = k.properties.find((x) => x.property === name);
        if (!p) return `<td class="notrun" data-property="${esc(name)}" title="not run">not run</td>`;
        const tip = `${k.name} / ${p.property}: ${p.status}; ${p.ran} run${casesText(p) ? ` (${casesText(p)})` : ''}, ${p.passed} passed, ${p.failed} failed, ${p.refused} refused${p.skipped ? `; ${p.skipped}` : p.note ? `; ${p.note}` : ''}`;
        const attrs = `class="${p.status}" data-property="${esc(p.property)}" title="${esc(tip)}"`;
        if (p.status === 'failed') {
          const n = Math.max(1, failuresOf(p).length);
          const kind = failuresOf(p)[0]?.verdict.label ?? failuresOf(p)[0]?.verdict.kind ?? (p.ran === 0 ? 'no cases' : 'failed');
          const first = fs.find((f) => f.kernel === k.name && f.properties.includes(p.property));
          return `<td ${attrs}><a href="#${first?.anchor ?? failureAnchor(k.name, 0)}">✗ FAILED<span class="sub">${esc(kind)}${n > 1 ? ` +${n - 1}` : ''}</span></a></td>`;
        }
        if (p.status === 'skipped') return `<td ${attrs}>– skipped</td>`;
        return `<td ${attrs}>✓ ${p.ran}${p.interrupted ? '<span class="sub">interrupted</span>' : ''}</td>`;
      });
      const judged = !r.shard && coverageJudged(k);
      const cov = judged && k.coverage.missing.length
        ? `<td class="cov-missing" data-coverage="missing" title="${esc(`never exercised: ${k.coverage.missing.join(', ')}`)}"><a href="#coverage-${slug(k.name)}">✗ ${k.coverage.missing.length} missing</a></td>`
        : judged ? `<td class="cov-ok" data-coverage="complete"><a href="#coverage-${slug(k.name)}">✓ ${k.coverage.required.length}/${k.coverage.required.length}</a></td>`
          : `<td class="cov-nj" data-coverage="not-judged" title="${esc(r.shard ? 'a shard: judged on the merged report' : notJudgedText(k))}"><a href="#coverage-${slug(k.name)}">not judged</a></td>`;
      o.push(`<tr data-kernel="${esc(k.name)}"><th class="kernel"><code>${esc(k.name)}</code></th>${cov}${cells.join('')}</tr>`);
    }
    o.push('</tbody></table></div>');
  }
  if (r.unavailable.length) o.push(`<p class="meta">not runnable here: ${r.unavailable.map((u) => `<code>${esc(u.name)}</code> (${esc(u.why)})`).join(', ')}</p>`);
  const kp = kernelProblems(r);
  if (kp.length) o.push('<h2>Why the gate failed</h2>', `<ul id="why">${kp.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`);

  o.push('<h2 id="failures-title">Failures</h2>', `<section id="failures" data-count="${fs.length}">`);
  if (fs.length === 0) o.push('<p>none</p>');
  for (const f of fs) {
    o.push(`<article class="failure" id="${f.anchor}" data-kernel="${esc(f.kernel)}" data-property="${esc(f.property)}"><h3><code>${esc(f.kernel)}</code> / ${esc(f.property)}: ${esc(f.kind)}<a class="back" href="#matrix-title">↑ matrix</a></h3>`);
    o.push(`<pre><code>${esc(f.text)}</code></pre>`);
    const li: string[] = [];
    if (f.fixture) li.push(`<li>fixture: <code>${esc(f.fixture)}</code> — replay: <code>${esc(replayCommand(f))}</code></li>`);
    if (f.repro) li.push(`<li>repro.c: <code>${esc(f.repro)}</code><br>build: <code>${esc(f.reproBuild ?? '')}</code><br>run: <code>${esc(f.reproRun ?? '')}</code></li>`);
    if (li.length) o.push(`<ul>${li.join('')}</ul>`);
    o.push('</article>');
  }
  o.push('</section>');

  o.push('<h2 id="details">Details</h2>');
  o.push('<h3 id="summary-title">Summary table</h3>');
  o.push('<div class="scroll"><table id="summary"><thead><tr><th>kernel</th><th>property</th><th>status</th><th>run</th><th>passed</th><th>failed</th><th>refused</th><th>cases</th><th>skipped / note</th><th>seconds</th></tr></thead><tbody>');
  for (const x of summaryRows(r)) {
    o.push(`<tr class="${x.status}" data-kernel="${esc(x.kernel)}" data-property="${esc(x.property)}"><td><code>${esc(x.kernel)}</code></td><td>${esc(x.property)}</td>`
      + `<td class="status-${x.status}">${esc(x.status)}</td><td class="num">${x.ran}</td><td class="num">${x.passed}</td><td class="num">${x.failed}</td>`
      + `<td class="num">${x.refused}</td><td>${esc(x.cases)}</td><td>${esc(x.note)}</td><td class="num">${x.seconds.toFixed(2)}</td></tr>`);
  }
  o.push('</tbody></table></div>');

  if (r.kernels.length) {
    o.push('<h3>Kernels and throughput</h3>');
    o.push('<div class="scroll"><table id="kernels"><thead><tr><th>kernel</th><th>isa</th><th>tile</th><th>backend</th><th>source</th><th>tile cases/s</th><th>frame cases/s</th><th>declared ops</th></tr></thead><tbody>');
    for (const k of r.kernels) {
      o.push(`<tr><td><code>${esc(k.name)}</code></td><td>${esc(k.isa)}</td><td>${k.mr}x${k.nr}</td><td>${esc(k.backend)}</td><td>${esc(k.source)}</td>`
        + `<td class="num">${fmtRate(k.throughput.tile)}</td><td class="num">${fmtRate(k.throughput.frame)}</td><td>${esc(opList(k.supported_ops).join(', '))}</td></tr>`);
    }
    o.push('</tbody></table></div>');
  }
  if (r.unavailable.length) o.push('<h3>Not runnable here</h3>', `<ul>${r.unavailable.map((u) => `<li><code>${esc(u.name)}</code>: ${esc(u.why)}</li>`).join('')}</ul>`);

  if (r.kernels.length) {
    o.push('<h3 id="coverage">Semantic coverage</h3>');
    o.push('<p class="legend">hit counts per cell, log scale: <span class="h1" style="background:#dafbe1">few</span><span style="background:#4ac26b">more</span>'
      + '<span style="background:#1a7f37;color:#fff">most</span><span style="background:#cf222e;color:#fff">required, never exercised</span><span style="background:#f6f8fa">not required</span></p>');
    for (const k of r.kernels) {
      const max = maxHits(k);
      o.push(`<section class="kernel-coverage" id="coverage-${slug(k.name)}" data-kernel="${esc(k.name)}" data-missing="${k.coverage.missing.length}">`);
      const state = !coverageJudged(k) ? `${esc(notJudgedText(k))} (${k.coverage.missing.length} cell(s) not reached)`
        : k.coverage.missing.length ? `<span class="status-failed">${k.coverage.missing.length} required cell(s) never exercised</span>` : `all ${k.coverage.required.length} required cells exercised`;
      o.push(`<h4><code>${esc(k.name)}</code> — ${state}</h4>`);
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

  const oc = outsideContract(r);
  if (oc.length) {
    o.push('<h3 id="outside-contract-title">Outside the declared contract</h3>', `<section id="outside-contract" data-count="${oc.length}"><p>Each ${esc(OUTSIDE_TITLE)} (property <code>beyond</code>): information, not a gate failure unless <code>--strict</code>.</p>`);
    for (const d of oc) o.push(`<article class="divergence" data-kernel="${esc(d.kernel)}" data-clause="${esc(d.clause)}"><h4><code>${esc(d.kernel)}</code> / ${esc(d.clause)}: ${esc(d.kind)}</h4><pre><code>${esc(d.text)}</code></pre></article>`);
    o.push('</section>');
  }
  o.push(`<script>${SCRIPT}</script>`, '</body>', '</html>');
  return o.join('\n') + '\n';
}
