// The conformance report as markdown: verdict, summary table (kernel x property -> cases run /
// passed / failed / refused / skipped with reason), per-kernel throughput, the semantic
// coverage of each kernel as heat-map tables (hit counts, missing cells flagged), and every
// shrunk failure in a code block with its fixture and repro.c.
import type { ConformReport } from './engine.js';
import { hostLine, type HostInfo } from './host-info.js';
import { coverageJudged, emulationLines, notJudgedText, sweepText, failures, OUTSIDE_TITLE, outsideContract, fmtRate, replayCommand, gateProblems, kernelProblems, heatLevel, heatTables, maxHits, opList, summaryRows, verdictLine } from './summary.js';

const GLYPH = ['·', '░', '▒', '▓', '█'];

/** Escapes a table cell (pipes, newlines). */
const cell = (s: string | number): string => String(s).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function table(head: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string {
  const sep = head.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [head, sep, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

/** A fence longer than any backtick run in the text. */
function codeBlock(text: string): string {
  const runs = text.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
  return `${fence}text\n${text}\n${fence}`;
}

export function renderMarkdown(r: ConformReport): string {
  const out: string[] = [];
  out.push('# bitexact conformance report', '');
  out.push(`**${verdictLine(r)}**`, '');
  out.push(`seed \`${r.seed}\` · ${r.runs} runs per property · started ${r.started} · ${r.seconds.toFixed(1)} s${r.shard ? ` · shard ${r.shard.index + 1}/${r.shard.count}` : ''}`, '');
  for (const e of emulationLines(r)) out.push(`emulated: ${e}`, '');
  const host = (r as { host?: HostInfo }).host; // present once the engine records it
  if (host) out.push(`host: ${hostLine(host)}`, '');
  const gp = gateProblems(r);
  if (gp.length) out.push('## Problems', '', ...gp.map((p) => `- ${p}`), '');

  out.push('## Summary', '');
  const rows = summaryRows(r);
  if (rows.length === 0) out.push('_no kernel was gated_', '');
  else {
    out.push(table(
      ['kernel', 'property', 'status', 'run', 'passed', 'failed', 'refused', 'skipped / note', 'seconds'],
      rows.map((x) => [`\`${x.kernel}\``, x.property, x.status === 'failed' ? '**FAILED**' : x.status, x.ran, x.passed, x.failed, x.refused, x.note, x.seconds.toFixed(2)]),
      ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'l', 'r'],
    ), '');
  }

  if (r.kernels.length) {
    out.push('## Kernels and throughput', '');
    out.push(table(
      ['kernel', 'isa', 'tile', 'backend', 'source', 'tile cases/s', 'frame cases/s', 'coverage'],
      r.kernels.map((k) => [`\`${k.name}\``, k.isa, `${k.mr}x${k.nr}`, k.backend, k.source, fmtRate(k.throughput.tile), fmtRate(k.throughput.frame),
        k.coverage.missing.length ? `**${k.coverage.missing.length} cell(s) missing**` : `${k.coverage.required.length}/${k.coverage.required.length} cells`]),
      ['l', 'l', 'l', 'l', 'l', 'r', 'r', 'l'],
    ), '');
    for (const k of r.kernels) out.push(`- \`${k.name}\` declares: ${opList(k.supported_ops).join(', ')}`);
    out.push('');
  }
  if (r.unavailable.length) {
    out.push('## Not runnable here', '', ...r.unavailable.map((u) => `- \`${u.name}\`: ${u.why}`), '');
  }

  if (r.kernels.length) {
    out.push('## Semantic coverage', '');
    out.push(`Hit counts per cell (cases that exercised it); ${GLYPH.slice(1).join(' ')} = hotter (log scale), **✗ 0** = a required cell never exercised (the gate fails), · = not required and not hit.`, '');
    for (const k of r.kernels) {
      const max = maxHits(k);
      out.push(`### \`${k.name}\``, '');
      if (!coverageJudged(k)) out.push(`_${notJudgedText(k)}_`, '');
      else if (k.coverage.missing.length) out.push(`**missing:** ${k.coverage.missing.map((c) => `\`${c}\``).join(', ')}`, '');
      else if (k.coverage.required.length) out.push(`every required cell exercised (${k.coverage.required.length})${sweepText(k) ? `; ${sweepText(k)}` : ''}`, '');
      for (const t of heatTables(k)) {
        out.push(`**${t.title}**`, '');
        out.push(table(['', ...t.cols], t.rows.map((row) => [row.label, ...row.cells.map((c) => {
          if (!c) return '';
          if (c.hits === 0) return c.required ? '**✗ 0**' : '·';
          return `${c.hits} ${GLYPH[heatLevel(c.hits, max)]}`;
        })]), ['l', ...t.cols.map(() => 'r' as const)]), '');
      }
    }
  }

  const fs = failures(r);
  out.push('## Failures', '');
  if (fs.length === 0) out.push('_none_', '');
  for (const f of fs) {
    out.push(`### \`${f.kernel}\` / ${f.property}: ${f.kind}`, '');
    out.push(codeBlock(f.text), '');
    if (f.fixture) out.push(`- fixture: \`${f.fixture}\` (replay: \`${replayCommand(f)}\`)`);
    if (f.repro) out.push(`- repro.c: \`${f.repro}\``, `  - build: \`${f.reproBuild ?? ''}\``, `  - run: \`${f.reproRun ?? ''}\``);
    out.push('');
  }
  const oc = outsideContract(r);
  if (oc.length) {
    out.push('## Outside the declared contract', '', `Each ${OUTSIDE_TITLE} (property \`beyond\`): information, not a gate failure unless \`--strict\`.`, '');
    for (const d of oc) out.push(`### \`${d.kernel}\` / ${d.clause}: ${d.kind}`, '', codeBlock(d.text), '');
  }
  const kp = kernelProblems(r);
  if (kp.length) out.push('## Why the gate failed', '', ...kp.map((p) => `- ${p}`), '');
  out.push(`_${verdictLine(r)}_`, '');
  return out.join('\n');
}
