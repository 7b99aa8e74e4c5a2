// What every report of a ConformReport shows, computed once: the kernel x property rows, op
// names, throughput, the coverage cells arranged as heat-map tables, the failures. The terminal
// summary (cli/conform.ts), markdown, HTML and JUnit renderers all read these.
import { failuresOf, type ConformReport, type KernelReport, type PropertyResult } from './engine.js';
import type { Emulation } from '../native/backends/provider.js';
import { problemKernel, problemText } from './problems.js';
import { kernelLibOption, replayCommand as replayCommandOf } from '../properties/commands.js';
import { DONE_TAG, OP_NAMES, OP_TAGS, tagName } from '../oracle/opset.js';
import { divergenceText } from '../properties/divergence.js';
import { hostLine } from './host-info.js';

/** ABI tag -> tag name (docs/semantics.md; unknown tags: "tag<N>"). */
export const opName = tagName;

/** Tag names of a tag set, in tag order, families collapsed when complete ("scalar_*" for
 *  all six bins); tags beyond the table are left out. */
export function opList(tags: readonly number[]): string[] {
  const set = new Set(tags);
  const out: string[] = [];
  if (set.has(DONE_TAG)) out.push(tagName(DONE_TAG));
  for (const op of OP_NAMES) {
    const ts = OP_TAGS[op];
    if (ts.length > 1 && ts.every((t) => set.has(t))) out.push(`${op}_*`);
    else for (const t of ts) if (set.has(t)) out.push(tagName(t));
  }
  return out;
}

export interface Row {
  kernel: string;
  property: string;
  status: PropertyResult['status'];
  ran: number;
  passed: number;
  failed: number;
  refused: number;
  /** skip reason, or why a run proves nothing */
  note: string;
  /** "5 random + 31 deterministic" (casesText; "" when the report does not say) */
  cases: string;
  seconds: number;
}

export function summaryRows(r: ConformReport): Row[] {
  return r.kernels.flatMap((k) => k.properties.map((p) => ({
    kernel: k.name, property: p.property, status: p.status, ran: p.ran, passed: p.passed, failed: p.failed, refused: p.refused,
    note: p.skipped ?? p.note ?? (p.interrupted ? 'interrupted by the time budget' : ''), seconds: p.seconds, cases: casesText(p, false),
  })));
}

/** How a property's cases split: the random ones (--runs, divided by the property's cost) and
 *  the deterministic ones run before them (its edge cases, then the coverage sweep's cases):
 *  "5 random + 31 deterministic (25 edge cases, 6 coverage sweep)"; "" when the report does not
 *  say (an older one, or no deterministic case). */
export function casesText(p: Pick<PropertyResult, 'ran' | 'edges' | 'sweep'>, long = true): string {
  const edges = p.edges ?? 0, sweep = p.sweep ?? 0;
  if (p.edges === undefined && p.sweep === undefined) return '';
  const det = edges + sweep;
  const parts = [edges ? `${edges} edge case${edges === 1 ? '' : 's'}` : '', sweep ? `${sweep} coverage sweep` : ''].filter(Boolean);
  return `${Math.max(0, p.ran - det)} random + ${det} deterministic${long && parts.length ? ` (${parts.join(', ')})` : ''}`;
}

export const fmtRate = (x: number | undefined): string => (x === undefined ? '-' : x >= 100 ? `${Math.round(x)}` : x.toFixed(1));

/** "tile 1234 cases/s, frame 56 cases/s" */
export function throughputText(k: KernelReport): string {
  const parts: string[] = [];
  if (k.throughput.tile !== undefined) parts.push(`tile ${fmtRate(k.throughput.tile)} cases/s`);
  if (k.throughput.frame !== undefined) parts.push(`frame ${fmtRate(k.throughput.frame)} cases/s`);
  return parts.join(', ') || 'no cases run';
}

export interface Failure {
  kernel: string;
  /** 'builtin' or the kernel's library */
  source: string;
  property: string;
  kind: string;
  message: string;
  text: string;
  fixture?: string;
  repro?: string;
  reproBuild?: string;
  reproRun?: string;
  /** the CPU the kernel ran on under emulation (its options select it again) */
  emulation?: Emulation;
  /** how the CLI loads an external kernel again (`--manifest FILE`, `--kernel-lib LIB`) */
  load?: string;
  /** what the failures of its group share, and where the kernel first departs from the oracle */
  signature?: string;
  divergence?: string;
  /** an id fragment unique in the report: "failure-<kernel>-<i>" */
  anchor: string;
  /** every property that saw it (`property`: the one whose shrunk case is shown) */
  properties: string[];
  /** 1-based place among the kernel's distinct failures, and their number */
  nth: number;
  of: number;
}

export { failuresOf } from './engine.js';

/** An HTML id fragment from a name. */
export const slug = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '-');

/** The id of a kernel's i-th distinct failure (0-based). */
export const failureAnchor = (kernel: string, index: number): string => `failure-${slug(kernel)}-${index}`;

/** Every distinct failure of each kernel: the failures of its properties grouped by signature
 *  (one bug seen by tile, frame and interleave is one entry, `properties` naming them all),
 *  each shown by its smallest shrunk case; a property that failed without a case (e.g. ran zero
 *  cases) is an entry of its own. */
export function failures(r: ConformReport): Failure[] {
  return r.kernels.flatMap((k) => {
    const seen: { f: Failure; ops: number }[] = [];
    for (const p of k.properties.filter((x) => x.status === 'failed')) {
      const fs = failuresOf(p);
      for (const f of fs.length ? fs : [undefined]) {
        const entry: Failure = {
          kernel: k.name, source: k.source, property: p.property, properties: [p.property], anchor: '',
          // the label names a hang as such (its family, the JSON's kind, stays crash)
          kind: f?.verdict.label ?? f?.verdict.kind ?? (p.ran === 0 ? 'no cases' : 'failed'),
          message: f?.verdict.message ?? p.skipped ?? 'failed',
          text: f?.text ?? p.skipped ?? '',
          fixture: f?.fixture, repro: f?.repro, reproBuild: f?.reproBuild, reproRun: f?.reproRun,
          emulation: k.emulation, ...(k.load ? { load: k.load } : {}),
          ...(f?.signature ? { signature: f.signature } : {}),
          ...(f?.divergence ? { divergence: divergenceText(f.divergence) } : {}),
          nth: 0, of: 0,
        };
        const ops = (f?.case as { chain?: unknown[] } | undefined)?.chain?.length ?? Infinity;
        const same = entry.signature ? seen.find((x) => x.f.signature === entry.signature) : undefined;
        if (!same) { seen.push({ f: entry, ops }); continue; }
        if (!same.f.properties.includes(p.property)) same.f.properties.push(p.property);
        if (ops < same.ops) { same.f = { ...entry, properties: same.f.properties }; same.ops = ops; }
      }
    }
    return seen.map((x, i) => ({ ...x.f, nth: i + 1, of: seen.length, anchor: failureAnchor(k.name, i) }));
  });
}

/** "also seen by frame, interleave" (empty when one property saw it). */
export const seenByText = (f: Failure): string => {
  const others = f.properties.filter((p) => p !== f.property);
  return others.length ? `also seen by ${others.join(', ')}` : '';
};

/** Every divergence outside a kernel's declared contract (the `beyond` property), as information. */
export interface OutsideContract { kernel: string; clause: string; kind: string; message: string; text: string }
export const outsideContract = (r: ConformReport): OutsideContract[] =>
  r.kernels.flatMap((k) => (k.outside_contract ?? []).map((d) => ({ kernel: k.name, clause: d.clause, kind: d.verdict.kind, message: d.verdict.message, text: d.text })));
export const OUTSIDE_TITLE = 'divergence outside the declared contract';

/** Problems that belong to no kernel (bad options, unreadable libraries). */
export const gateProblems = (r: ConformReport): string[] =>
  r.problemDetails.filter((p) => problemKernel(p) === undefined).map(problemText);

/** Problems of a kernel (a failed property, incomplete coverage). */
export const kernelProblems = (r: ConformReport): string[] =>
  r.problemDetails.filter((p) => problemKernel(p) !== undefined).map(problemText);

/** Kernels whose semantic coverage is incomplete, as problem lines. */
export const coverageProblems = (r: ConformReport): string[] =>
  r.problemDetails.filter((p) => p.kind === 'coverage').map(problemText);

export const verdictLine = (r: ConformReport): string => {
  const n = r.kernels.length;
  const failedK = r.kernels.filter((k) => k.properties.some((p) => p.status === 'failed')).length;
  const notJudged = r.notes?.length ? `, coverage not judged for ${r.notes.length}` : '';
  if (r.interrupted) {
    const ip = r.problemDetails.find((p) => p.kind === 'interrupted');
    const ran = ip?.kind === 'interrupted' ? `after ${ip.ran} of ${ip.planned} kernel x property unit(s)` : 'before it finished';
    return `INTERRUPTED: ${ran}${ip?.kind === 'interrupted' ? ` (${ip.reason})` : ''}; ${failedK ? `${failedK} of ${n} kernel(s) failed so far` : 'no failure so far'} (seed ${r.seed})`;
  }
  if (r.ok) return `PASS: ${n} kernel(s) conform${notJudged} (seed ${r.seed})`;
  const parts: string[] = [];
  if (failedK) parts.push(`${failedK} of ${n} kernel(s) failed`);
  const cov = coverageProblems(r).length;
  if (cov) parts.push(`semantic coverage incomplete for ${cov} kernel(s)`);
  if (notJudged) parts.push(`coverage not judged for ${r.notes.length} kernel(s)`);
  const gp = gateProblems(r).length;
  if (gp || parts.length === 0) parts.push(`${gp || r.problems.length} problem(s)`);
  return `FAIL: ${parts.join(', ')} (seed ${r.seed})`;
};

// ---- coverage as heat-map tables -------------------------------------------------------

export interface HeatCell { name: string; hits: number; required: boolean }
export interface HeatTable { title: string; cols: string[]; rows: { label: string; cells: (HeatCell | null)[] }[] }

/** Where a cell name goes: [table, row, column]. */
function place(cell: string): [string, string, string] {
  const p = cell.split('.');
  const rounding = (op: string) => (op === 'q_scale' ? 'q_scale' : 'rounding_shift_right');
  if ((p[0] === 'q_scale' || p[0] === 'rsr') && p[1] === 'in') return ['rounding inputs (extreme values)', rounding(p[0]), p[2]];
  if (p[0] === 'q_scale' && p[1] === 'neg_mult') return ['q_scale (tie x policy)', 'negative mult', p[2]];
  if ((p[0] === 'q_scale' || p[0] === 'rsr') && p.length === 3) return [`${rounding(p[0])} (tie x policy)`, p[1], p[2]];
  if (p[0] === 'store' || p[0] === 'add_unicast') return [`${p[0]} (layout x item size)`, p[1], p[2]];
  if (p[0] === 'op' && (p[1] === 'scalar' || p[1] === 'per_row' || p[1] === 'per_col') && p[2]) return ['binary ops (bin x family)', p[2], p[1]];
  if (p[0] === 'op') return ['ops', p.slice(1).join('.'), 'hits'];
  if (p[0] === 'k') return ['depth k', 'k', p.slice(1).join('.')];
  if (p[0] === 'leaky_relu' || p[0] === 'shift_left') return ['op edge cases', p[0], p.slice(1).join('.')];
  return ['shapes, chains, data', p[0], p.slice(1).join('.')];
}

const ORDER = ['ops', 'binary ops (bin x family)', 'q_scale (tie x policy)', 'rounding_shift_right (tie x policy)', 'rounding inputs (extreme values)', 'store (layout x item size)', 'add_unicast (layout x item size)', 'depth k', 'shapes, chains, data', 'op edge cases'];

/** The kernel's coverage cells (required and hit) as tables of row x column. */
export function heatTables(k: KernelReport): HeatTable[] {
  const required = new Set(k.coverage.required);
  const names = [...new Set([...k.coverage.required, ...Object.keys(k.coverage.hits)])];
  const tables = new Map<string, { rows: string[]; cols: string[]; cells: Map<string, HeatCell> }>();
  for (const name of names) {
    const [t, r, c] = place(name);
    const tb = tables.get(t) ?? { rows: [] as string[], cols: [] as string[], cells: new Map<string, HeatCell>() };
    if (!tb.rows.includes(r)) tb.rows.push(r);
    if (!tb.cols.includes(c)) tb.cols.push(c);
    tb.cells.set(`${r}\u0000${c}`, { name, hits: k.coverage.hits[name] ?? 0, required: required.has(name) });
    tables.set(t, tb);
  }
  return [...tables.entries()]
    .sort(([a], [b]) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b))
    .map(([title, tb]) => ({
      title, cols: tb.cols,
      rows: tb.rows.map((label) => ({ label, cells: tb.cols.map((c) => tb.cells.get(`${label}\u0000${c}`) ?? null) })),
    }));
}

/** 0..4: how hot a hit count is relative to the kernel's busiest cell (log scale). */
export function heatLevel(hits: number, max: number): number {
  if (hits <= 0) return 0;
  if (max <= 1) return 4;
  return 1 + Math.min(3, Math.floor((3 * Math.log(hits)) / Math.log(max) + 1e-9));
}

export const maxHits = (k: KernelReport): number => Math.max(1, ...Object.values(k.coverage.hits));

/** The replay command of a fixture (external kernels need their library, emulated ones their CPU). */
export const replayCommand = (f: Failure): string =>
  replayCommandOf(f.fixture ?? 'FIXTURE.json', f.kernel, f.source === 'builtin' ? '' : f.load ?? kernelLibOption(f.source), f.emulation ? f.emulation.options.join(' ') : '');

/** "bitexact 0.1.0 · node v20 · linux-x64 · <CPU> (features) · qemu-aarch64 ..."; what the report has of it. */
export function provenanceText(r: ConformReport): string {
  return r.host ? hostLine(r.host) : `bitexact ${r.version ?? '(version not recorded)'}`;
}

/** "CPU profile m4 (qemu-aarch64 -cpu ...)" */
export const emulationText = (e: Emulation): string => `CPU profile ${e.profile} (${e.settings})`;

/** Every CPU the run emulated, one line each (none on real hardware only). */
export const emulationLines = (r: ConformReport): string[] =>
  [...new Set(r.kernels.flatMap((k) => (k.emulation ? [`${k.backend}: ${emulationText(k.emulation)}`] : [])))];

/** Whether missing cells fail the gate (the engine decides; a report without the field: a
 *  kernel with a failed or interrupted property stopped early, so its coverage is not judged). */
export const coverageJudged = (k: KernelReport): boolean => k.coverage.judged ?? !k.properties.some((p) => p.status === 'failed' || p.interrupted);

/** Why a kernel's coverage was not judged, as the reports print it. */
export const notJudgedText = (k: KernelReport): string => k.coverage.note ?? 'not judged: a property failed or was interrupted (the run stopped early)';

/** "sweep: 9 cases" (empty for a report without a sweep). */
export const sweepText = (k: KernelReport): string => (k.coverage.sweep === undefined ? '' : `sweep: ${k.coverage.sweep} cases`);
