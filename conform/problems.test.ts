// Problems as data: the lines of the report's `problems` list, which ones belong to a kernel,
// and what the summaries, merge and exit code make of them.
import { describe, expect, test } from 'vitest';
import { isUsageProblem, problemKernel, problemText, type Problem } from './problems.js';
import { mergeReports, REPORT_FORMAT, type ConformReport } from './engine.js';
import { coverageProblems, gateProblems, kernelProblems, verdictLine } from './summary.js';
import { exitCode } from '../cli/conform.js';

const P: Problem[] = [
  { kind: 'option', option: '--kernel', value: 'nope', why: 'no such kernel (see bitexact list)' },
  { kind: 'library', text: '--kernel-lib /x.so: no such file' },
  { kind: 'property', kernel: 'k1', property: 'tile', failure: 'mismatch', message: '1 cell(s) differ' },
  { kind: 'coverage', kernel: 'k1', missing: ['op.store', 'k.0'], hint: ' (raise --runs)' },
  { kind: 'nothing_to_gate' },
];

const report = (problemDetails: Problem[]): ConformReport => ({
  format: REPORT_FORMAT, seed: 1, started: '', seconds: 0, runs: 1, kernels: [], unavailable: [],
  problems: problemDetails.map(problemText), problemDetails, notes: [], ok: problemDetails.length === 0,
});

describe('problems', () => {
  test('lines and owners', () => {
    expect(P.map(problemText)).toEqual([
      '--kernel nope: no such kernel (see bitexact list)',
      '--kernel-lib /x.so: no such file',
      'k1 / tile: mismatch: 1 cell(s) differ',
      'k1: semantic coverage incomplete, never exercised: op.store, k.0 (raise --runs)',
      'no kernel to gate: none is runnable here',
    ]);
    expect(P.map(problemKernel)).toEqual([undefined, undefined, 'k1', 'k1', undefined]);
    expect(P.map(isUsageProblem)).toEqual([true, true, false, false, false]);
  });

  test('a hang is named by its label; the family stays in failure', () => {
    const hang: Problem = { kind: 'property', kernel: 'k1', property: 'tile', failure: 'crash', label: 'hang', message: 'no response within 2001 ms' };
    expect(problemText(hang)).toBe('k1 / tile: hang: no response within 2001 ms');
  });

  test('summaries sort by owner; exit 2 only for usage problems', () => {
    const r = report(P);
    expect(gateProblems(r)).toEqual([P[0], P[1], P[4]].map(problemText));
    expect(kernelProblems(r)).toEqual([P[2], P[3]].map(problemText));
    expect(coverageProblems(r)).toEqual([problemText(P[3])]);
    expect(verdictLine(r)).toBe('FAIL: semantic coverage incomplete for 1 kernel(s), 3 problem(s) (seed 1)');
    expect(exitCode(report([P[0], P[1]]))).toBe(2);
    expect(exitCode(report([P[0], P[4]]))).toBe(1);
    expect(exitCode(report([]))).toBe(0);
  });

  test('a merge keeps the problems that belong to no kernel, once', () => {
    const shard = (r: ConformReport, index: number): ConformReport => ({ ...r, version: '0.0.0', shard: { index, count: 2 } });
    const m = mergeReports([shard(report([P[0], P[1]]), 0), shard(report([P[1]]), 1)]);
    expect(m.problemDetails).toEqual([P[0], P[1]]);
    expect(m.problems).toEqual([P[0], P[1]].map(problemText));
    expect(() => mergeReports([{ ...shard(report([]), 0), problemDetails: undefined as unknown as Problem[] }])).toThrow(/problemDetails/);
  });
});
