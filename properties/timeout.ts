// How long one kernel call may take before the kernel counts as hung. By default the budget is
// scaled to the call's work: a base that no correct call comes near (a loaded CI machine, qemu
// emulating SME, the emulator translating a kernel's code on its first call), plus a term in the
// multiply-accumulates and element ops the call does, with the same wide margin. `--timeout MS`
// (BITEXACT_TIMEOUT_MS under npm test) fixes it instead. While a hang is shrunk, every candidate
// gets a shorter budget (a hang stays a hang under it): run.ts confirms the shrunk case under the
// full budget once at the end, and bounds how many candidates may hang.
//
// Measured on 2 cores shared with a load average of 10 to 22: the slowest correct call the
// generators can produce, a 97x97x300 frame with four matmuls on the SME2 kernel under qemu
// (32x32 tiles: 128x128 cells computed), takes 75 to 260 ms and gets 11.9 s; conform at the
// default budget on every built-in kernel (host and qemu) saw no call above 340 ms, all of them
// small cases that get 2 s: the load stalls them, their work does not.
import type { Case } from '../oracle/types.js';

/** The budget of a call that does almost nothing. */
export const TIMEOUT_BASE_MS = 2000;
/** Work units (one MAC, or one element of one op) the budget grants per ms beyond the base. */
export const WORK_PER_MS = 2000;
/** A shrink candidate of a hang gets the full budget divided by this ... */
export const SHRINK_DIVISOR = 8;
/** ... but never less than this (nor more than the full budget). */
export const SHRINK_FLOOR_MS = 250;
/** The largest delay node's timers take. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Where a call's budget comes from. */
export interface TimeoutPolicy {
  /** every call gets this budget (ms), whatever its work */
  fixedMs?: number;
  /** what set fixedMs, for the messages: '--timeout', 'BITEXACT_TIMEOUT_MS' */
  fixedBy?: string;
  /** a candidate while shrinking a hang: the shorter budget */
  shrinking?: boolean;
}

/** What a call does, for the scaled budget: cells computed (frame: padded to whole tiles),
 *  depth, matmuls, other ops. */
export interface CallWork { cells: number; k: number; matmuls: number; ops: number }

/** A call's budget and how it was derived (the hang verdict names it). */
export type CallTimeout = { ms: number; shrinking: boolean } & (
  | { basis: 'fixed'; fixedMs: number; by: string }
  | { basis: 'scaled'; work: CallWork; units: number; baseMs: number; workPerMs: number }
);

const roundUp = (x: number, to: number): number => Math.ceil(x / Math.max(1, to)) * Math.max(1, to);

/** The work of one call of case c on a kernel with an mr x nr tile. */
export function caseWork(c: Case, tile: { mr: number; nr: number }): CallWork {
  const cells = c.level === 'frame' ? roundUp(c.m, tile.mr) * roundUp(c.n, tile.nr) : c.m * c.n;
  const matmuls = c.chain.filter((op) => op.op === 'add_mat_mul').length;
  return { cells, k: c.k, matmuls, ops: c.chain.length - matmuls };
}

/** The work of packing one mn x k operand. */
export const packWork = (mn: number, k: number): CallWork => ({ cells: mn, k, matmuls: 1, ops: 0 });

const shorten = (ms: number): number => Math.min(ms, Math.max(SHRINK_FLOOR_MS, Math.round(ms / SHRINK_DIVISOR)));

/** The budget of a call doing `work` under policy p. */
export function callTimeout(work: CallWork, p: TimeoutPolicy = {}): CallTimeout {
  const shrinking = p.shrinking === true;
  if (p.fixedMs !== undefined) {
    return { ms: shrinking ? shorten(p.fixedMs) : p.fixedMs, shrinking, basis: 'fixed', fixedMs: p.fixedMs, by: p.fixedBy ?? '--timeout' };
  }
  const units = work.cells * (work.k * work.matmuls + work.ops);
  const full = Math.min(MAX_TIMEOUT_MS, TIMEOUT_BASE_MS + Math.ceil(units / WORK_PER_MS));
  return { ms: shrinking ? shorten(full) : full, shrinking, basis: 'scaled', work, units, baseMs: TIMEOUT_BASE_MS, workPerMs: WORK_PER_MS };
}

/** How a budget was derived, for the hang message. */
export function timeoutBasisText(t: CallTimeout): string {
  const how = t.basis === 'fixed'
    ? `${t.by} ${t.fixedMs}`
    : `timeout scaled to the case: ${t.baseMs} ms + ${t.work.cells} cells x (k ${t.work.k} x ${t.work.matmuls} matmul(s) + ${t.work.ops} op(s)) / ${t.workPerMs} per ms; --timeout MS sets it`;
  return t.shrinking ? `${how}; shortened while shrinking a hang` : how;
}

/** The --timeout line of a verb's usage. */
export const TIMEOUT_USAGE =
  `  --timeout MS        per kernel call: a call that takes longer is a hang (default: scaled to the case,\n`
  + `                      ${TIMEOUT_BASE_MS} ms + 1 ms per ${WORK_PER_MS} MACs and element ops; shortened while a hang shrinks)\n`;

/** A --timeout value (or BITEXACT_TIMEOUT_MS): an integer number of ms, 1 .. 2^31-1; else the error. */
export function parseTimeoutMs(v: string | boolean | undefined, label = '--timeout'): number | undefined | string {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= MAX_TIMEOUT_MS)) return `${label} ${String(v)}: expected a whole number of milliseconds, 1 to ${MAX_TIMEOUT_MS}`;
  return n;
}

/** The policy BITEXACT_TIMEOUT_MS sets (npm test), or the scaled default; a bad value throws. */
export function timeoutFromEnv(env: NodeJS.ProcessEnv = process.env): TimeoutPolicy {
  const ms = parseTimeoutMs(env.BITEXACT_TIMEOUT_MS === '' ? undefined : env.BITEXACT_TIMEOUT_MS, 'BITEXACT_TIMEOUT_MS');
  if (typeof ms === 'string') throw new Error(ms);
  return ms === undefined ? {} : { fixedMs: ms, fixedBy: 'BITEXACT_TIMEOUT_MS' };
}
