// Why a gate run failed, as data: each problem says whether it belongs to a kernel (and which),
// so reports, merges, exit codes and the mutant benchmark sort problems by field, not by
// reading their text. `problemText` renders the line the report's `problems` list holds.
import type { FailureKind } from '../properties/verdict.js';
import type { FailureLabel } from '../properties/verdict-format.js';

export type Problem =
  /** a bad option value: `--kernel X`, `--property X` */
  | { kind: 'option'; option: '--kernel' | '--property' | '--timeout' | '--cpu-profile'; value: string; why: string }
  /** the kernel set could not load a --kernel-lib library (its own message) */
  | { kind: 'library'; text: string }
  /** nothing runnable to gate */
  | { kind: 'nothing_to_gate' }
  /** a property failed on a kernel (or ran zero cases) */
  /** (one per distinct failure; at: its first divergent op) */
  | { kind: 'property'; kernel: string; property: string; failure: FailureKind | 'failed' | 'ran zero cases'; message: string; label?: FailureLabel; at?: string }
  /** required coverage cells never exercised */
  | { kind: 'coverage'; kernel: string; missing: string[]; hint: string }
  /** the run was stopped (a signal) after `ran` of its `planned` kernel x property units */
  | { kind: 'interrupted'; reason: string; ran: number; planned: number };

export function problemText(p: Problem): string {
  switch (p.kind) {
    case 'option': return `${p.option} ${p.value}: ${p.why}`;
    case 'library': return p.text;
    case 'nothing_to_gate': return 'no kernel to gate: none is runnable here';
    case 'property': return `${p.kernel} / ${p.property}: ${p.label ?? p.failure}: ${p.message}${p.at ? ` (${p.at})` : ''}`;
    case 'coverage': return `${p.kernel}: semantic coverage incomplete, never exercised: ${p.missing.join(', ')}${p.hint}`;
    case 'interrupted': return `interrupted (${p.reason}) after ${p.ran} of ${p.planned} kernel x property unit(s): the rest did not run`;
  }
}

/** The kernel a problem belongs to (undefined: the run's options or environment). */
export const problemKernel = (p: Problem): string | undefined => (p.kind === 'property' || p.kind === 'coverage' ? p.kernel : undefined);

/** A problem of how the gate was called (exit 2 when nothing else failed). */
export const isUsageProblem = (p: Problem): boolean => p.kind === 'option' || p.kind === 'library';
