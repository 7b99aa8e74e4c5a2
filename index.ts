// bitexact's programmatic API (`import { conformance } from 'bitexact'`): the conformance gate
// as a library, the report renderers, the reproducer, a helper that gates a kernel project's
// own test suite, and that suite as vitest tests (conform/vitest.ts: conformanceSuite, and
// openGate / caseArbitraries / runCase / replay for test.prop):
//
//   import { test } from 'vitest';
//   import { expectConformance } from 'bitexact';
//   test('my kernel is bit-exact', async () => {
//     await expectConformance({ kernelLibs: ['build/libmine.so'], builtins: false, runs: 200 });
//   }, 120_000);
import { conformance, type ConformOptions, type ConformReport } from './conform/engine.js';
import { renderText } from './conform/report-text.js';

export {
  conformance, mergeReports, elfMachine, REPORT_FORMAT, DEFAULT_CONFORM_RUNS,
  type ConformOptions, type ConformReport, type ConformEvent, type KernelReport, type PropertyResult, type PropertyStatus,
} from './conform/engine.js';
export { renderMarkdown } from './conform/report-markdown.js';
export { renderHtml } from './conform/report-html.js';
export { renderJunit } from './conform/report-junit.js';
export { renderText } from './conform/report-text.js';
export { reproSource, writeRepro, type Repro, type ReproOptions } from './conform/repro.js';
export { PROPERTIES, type PropertyDef } from './properties/kernel-properties.js';
export type { CellDiff, FailureKind, Verdict } from './properties/check.js';
export type { KernelDesc } from './native/descriptor.js';
export {
  conformanceSuite, openGate, caseArbitraries, runCase, expectCase, replay, fixtureFiles,
  type SuiteOptions, type SuiteRunner, type Gate, type GateKernel, type GateOptions, type CaseResult, type ReplayResult,
} from './conform/vitest.js';
export { EDGE_CASE, edgeCaseOf, type EdgeCaseName } from './properties/report.js';
export { readCase, writeCase, evalChain, lastStore, type Case, type Op, type EvalResult } from './oracle/index.js';

/** Thrown by expectConformance: the message is the readable report (shrunk failures with their
 *  differing cells, fixture and repro.c paths, coverage cells never exercised). */
export class ConformanceError extends Error {
  override name = 'ConformanceError';
  constructor(message: string, readonly report: ConformReport) {
    super(message);
  }
}

/** Runs the gate and throws a ConformanceError with the readable report unless it passes;
 *  returns the report when it does. Meant for a kernel project's own vitest / jest suite. */
export async function expectConformance(opts: ConformOptions = {}): Promise<ConformReport> {
  const report = await conformance(opts);
  if (!report.ok) {
    const lines = [`bitexact: the kernel(s) do not conform (seed ${report.seed}):`, ...report.problems.map((p) => `  - ${p}`), '', renderText(report)];
    throw new ConformanceError(lines.join('\n'), report);
  }
  return report;
}
