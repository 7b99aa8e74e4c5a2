// The conformance report as JUnit XML for CI dashboards: one testsuite per kernel, one testcase
// per property (failure = the shrunk case text; skipped = the reason), plus a "semantic
// coverage" testcase per kernel, and a "gate" suite for problems that belong to no kernel.
import type { ConformReport } from './engine.js';
import { hostProperties } from './host-info.js';
import { failuresOf, coverageJudged, gateProblems, OUTSIDE_TITLE, notJudgedText } from './summary.js';

// XML 1.0 forbids most control characters even escaped
const xml = (s: string | number): string =>
  String(s).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Text content: escaped (never CDATA, so any "]]>" in a message stays harmless). */
const text = xml;

export function renderJunit(r: ConformReport): string {
  const suites: string[] = [];
  let tests = 0, fails = 0, skips = 0;
  for (const k of r.kernels) {
    const cases: string[] = [];
    let kf = 0, ks = 0, kt = 0;
    for (const p of k.properties) {
      kt++;
      const head = `    <testcase classname="bitexact.${xml(k.name)}" name="${xml(p.property)}" time="${p.seconds.toFixed(3)}">`;
      if (p.status === 'failed') {
        // one testcase per distinct failure, so a dashboard lists every bug
        const found = failuresOf(p);
        const fs = found.length ? found : [undefined];
        fs.forEach((f, i) => {
          if (i > 0) kt++;
          kf++;
          const kind = f?.verdict.kind ?? (p.ran === 0 ? 'no_cases' : 'failed');
          const msg = f?.verdict.message ?? p.skipped ?? 'failed';
          const body = [f?.signature ? `signature: ${f.signature}` : '', f?.text ?? msg, f?.repro ? `repro.c: ${f.repro}` : ''].filter(Boolean).join('\n');
          const name = fs.length > 1 ? `${p.property} [${i + 1}/${fs.length}: ${f?.signature ?? kind}]` : p.property;
          const h = `    <testcase classname="bitexact.${xml(k.name)}" name="${xml(name)}" time="${(i === 0 ? p.seconds : 0).toFixed(3)}">`;
          cases.push(`${h}\n      <failure type="${xml(kind)}" message="${xml(msg)}">${text(body)}</failure>\n    </testcase>`);
        });
      } else if (p.status === 'skipped') {
        ks++;
        cases.push(`${head}\n      <skipped message="${xml(p.skipped ?? 'skipped')}"/>\n    </testcase>`);
      } else {
        // divergences outside the declared contract (property beyond): properties + system-out, not failures
        const outside = p.property === 'beyond' ? k.outside_contract ?? [] : [];
        const props = outside.length ? `\n      <properties>\n${outside.map((d) => `        <property name="${xml(OUTSIDE_TITLE)}" value="${xml(`${d.clause}: ${d.verdict.kind}: ${d.verdict.message}`)}"/>`).join('\n')}\n      </properties>` : '';
        const out = [`${p.ran} case(s): ${p.passed} passed, ${p.refused} refused as declared${p.note ? `; ${p.note}` : ''}`, ...outside.map((d) => `${OUTSIDE_TITLE}: ${d.clause}\n${d.text}`)].join('\n\n');
        cases.push(`${head}${props}\n      <system-out>${text(out)}</system-out>\n    </testcase>`);
      }
    }
    // coverage is judged on whole runs (a shard sees a slice: bitexact merge judges the union)
    kt++;
    const covHead = `    <testcase classname="bitexact.${xml(k.name)}" name="semantic coverage" time="0">`;
    if (r.shard) { ks++; cases.push(`${covHead}\n      <skipped message="a shard report: coverage is judged on the merged report (bitexact merge)"/>\n    </testcase>`); }
    else if (!coverageJudged(k)) { ks++; cases.push(`${covHead}\n      <skipped message="${xml(notJudgedText(k))}"/>\n    </testcase>`); }
    else if (k.coverage.missing.length) {
      kf++;
      cases.push(`${covHead}\n      <failure type="coverage" message="${xml(`${k.coverage.missing.length} required cell(s) never exercised`)}">${text(`never exercised: ${k.coverage.missing.join(', ')}`)}</failure>\n    </testcase>`);
    } else cases.push(`${covHead}\n      <system-out>${text(`all ${k.coverage.required.length} required cells exercised`)}</system-out>\n    </testcase>`);
    const secs = k.properties.reduce((s, p) => s + p.seconds, 0);
    suites.push(`  <testsuite name="${xml(k.name)}" tests="${kt}" failures="${kf}" errors="0" skipped="${ks}" time="${secs.toFixed(3)}" timestamp="${xml(r.started.replace(/Z$/, ''))}">\n`
      + `    <properties>\n      <property name="isa" value="${xml(k.isa)}"/>\n      <property name="tile" value="${k.mr}x${k.nr}"/>\n      <property name="backend" value="${xml(k.backend)}"/>\n      <property name="source" value="${xml(k.source)}"/>\n      <property name="seed" value="${r.seed}"/>\n`
      + (r.version && !r.host ? `      <property name="bitexact_version" value="${xml(r.version)}"/>\n` : '')
      + (r.interrupted ? '      <property name="interrupted" value="true"/>\n' : '')
      + (r.host ? hostProperties(r.host).map(([n, v]) => `      <property name="${n}" value="${xml(v)}"/>\n`).join('') : '')
      + (k.emulation ? `      <property name="cpu_profile" value="${xml(k.emulation.profile)}"/>\n      <property name="emulator" value="${xml(k.emulation.settings)}"/>\n` : '')
      + `    </properties>\n`
      + `${cases.join('\n')}\n  </testsuite>`);
    tests += kt; fails += kf; skips += ks;
  }
  const gp = gateProblems(r);
  const gateCases = gp.map((p, i) => `    <testcase classname="bitexact.gate" name="problem ${i + 1}" time="0">\n      <failure type="gate" message="${xml(p)}">${text(p)}</failure>\n    </testcase>`);
  for (const u of r.unavailable) gateCases.push(`    <testcase classname="bitexact.gate" name="${xml(u.name)}" time="0">\n      <skipped message="${xml(`not runnable here: ${u.why}`)}"/>\n    </testcase>`);
  if (gateCases.length) {
    suites.push(`  <testsuite name="gate" tests="${gateCases.length}" failures="${gp.length}" errors="0" skipped="${r.unavailable.length}" time="0">\n${gateCases.join('\n')}\n  </testsuite>`);
    tests += gateCases.length; fails += gp.length; skips += r.unavailable.length;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bitexact conform" tests="${tests}" failures="${fails}" errors="0" skipped="${skips}" time="${r.seconds.toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
