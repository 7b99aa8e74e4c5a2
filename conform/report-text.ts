// The terminal summary of a conformance run (bitexact conform, bitexact merge): the table
// kernel x property -> run / passed / failed / refused / skipped (reason), throughput, the
// coverage cells never exercised, every shrunk failure in full, and a closing verdict line.
import type { ConformReport } from './engine.js';
import { seenByText, coverageJudged, coverageProblems, emulationLines, failures, OUTSIDE_TITLE, outsideContract, gateProblems, notJudgedText, summaryRows, sweepText, throughputText, verdictLine } from './summary.js';

function textTable(head: string[], rows: string[][], right: boolean[]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)];
}

export function renderText(r: ConformReport): string {
  const o: string[] = [];
  const rows = summaryRows(r);
  const emu = emulationLines(r);
  if (emu.length) o.push(...emu.map((e) => `emulated: ${e}`), '');
  if (rows.length) {
    o.push(...textTable(
      ['kernel', 'property', 'status', 'run', 'passed', 'failed', 'refused', 'cases', 'skipped / note'],
      rows.map((x) => [x.kernel, x.property, x.status === 'failed' ? 'FAILED' : x.status, String(x.ran), String(x.passed), String(x.failed), String(x.refused), x.cases, x.note]),
      [false, false, false, true, true, true, true, false, false],
    ), '');
  }
  if (r.kernels.length) {
    o.push('throughput (generated cases per second):');
    const w = Math.max(...r.kernels.map((k) => k.name.length));
    for (const k of r.kernels) o.push(`  ${k.name.padEnd(w)}  ${throughputText(k)}  [${k.backend}, ${k.source}]`);
    o.push('');
    o.push(r.shard ? 'semantic coverage: judged on the merged report (bitexact merge) — this is a shard' : 'semantic coverage:');
    for (const k of r.kernels) {
      const sweep = sweepText(k) ? ` (${sweepText(k)})` : '';
      if (!coverageJudged(k)) o.push(`  ${k.name.padEnd(w)}  ${notJudgedText(k)}`);
      else if (k.coverage.missing.length) o.push(`  ${k.name.padEnd(w)}  ${k.coverage.missing.length} cell(s) never exercised: ${k.coverage.missing.join(', ')}${sweep}`);
      else o.push(`  ${k.name.padEnd(w)}  all ${k.coverage.required.length} required cells exercised${sweep}`);
    }
    o.push('');
  }
  if (r.unavailable.length) {
    o.push('not runnable here:');
    for (const u of r.unavailable) o.push(`  ${u.name}: ${u.why}`);
    o.push('');
  }
  for (const f of failures(r)) {
    const also = seenByText(f);
    o.push(`==== FAILED ${f.kernel} / ${f.property}${f.of > 1 ? ` (distinct failure ${f.nth} of ${f.of})` : ''} ====`, ...(f.signature ? [`signature: ${f.signature}${also ? ` (${also})` : ''}`] : []), f.text);
    o.push('');
  }
  for (const d of outsideContract(r)) {
    o.push(`==== ${OUTSIDE_TITLE}: ${d.kernel} / ${d.clause} (information; --strict gates it) ====`, d.text);
    o.push('');
  }
  const gp = gateProblems(r);
  if (gp.length) { o.push('problems:', ...gp.map((p) => `  ${p}`), ''); }
  const cov = coverageProblems(r);
  if (cov.length) { o.push('the gate also fails on coverage:', ...cov.map((p) => `  ${p}`), ''); }
  if (r.notes?.length) { o.push('notes (not failures):', ...r.notes.map((p) => `  ${p}`), ''); }
  o.push(verdictLine(r));
  return o.join('\n') + '\n';
}
