// What one case did on one kernel, as data: one variant per outcome, each with the fields its
// fix needs (the differing cells, the buffer and offset of a stray write, the signal and stderr
// of a crash). Every variant carries `ok` and `refused` (as fast-check's RunDetails carries
// `failed` and `interrupted`), so a caller that only counts needs no switch. The messages are
// rendered from these fields by properties/verdict-format.ts; nothing parses them back.
import type { EvalResult, PriorVariant } from '../oracle/types.js';
import type { CallTimeout } from './timeout.js';

/** The failure families of the report (`verdict.kind`): the fix differs per family. */
export type FailureKind =
  | 'mismatch' // a stored value (or a packed byte) differs from the oracle
  | 'out_of_tile_write' // canary or sentinel byte changed
  | 'out_of_bounds_read' // read in the no-access page next to a buffer
  | 'out_of_bounds_write' // write (or, where the CPU does not say which, any access) there
  | 'input_modified' // the kernel wrote into an operand it only reads
  | 'refusal' // returned 1 on a declared op, or 0 on an undeclared one
  | 'crash' // SIGSEGV / SIGILL / SIGBUS / hang
  | 'abi_violation' // broke the calling convention (docs/abi.md): a callee-saved register, sp, a control word, DF, SVCR
  | 'exec_error' // the executor rejected the request (harness or kernel-declaration problem)
  | 'nondeterministic'; // failed once, passed when the same case ran again

export interface CellDiff { store: number; i: number; j: number; expected: number; got: number }

// Variants without cells declare `cells?: undefined` (as RunDetails declares `counterexample:
// null` on success), so `v.cells` reads on any verdict.
/** stale: the failure was seen on call 1 or 2 of a case with `prior` (two calls at the same
 *  addresses, properties/stale.ts); firstResult: the failing call stored the oracle values of the
 *  other call's contents (call 1: kept from an earlier request at the same addresses); else the
 *  failing call's contents pass alone. */
interface Failed {
  ok: false; refused: false; stale?: { prior: PriorVariant; call: 1 | 2; firstResult: boolean };
  /** what the executor printed (stdout and stderr) during the failing call, bounded to its last
   *  OUTPUT_TAIL characters (native/process.ts); bytes = how much in all */
  output?: { text: string; bytes: number };
}

/** Every op ran and every byte equals the oracle's. */
export interface Pass { outcome: 'pass'; ok: true; refused: false; cells?: undefined; expected?: EvalResult }

/** The kernel returned 1 at an op it does not declare, as it must (counted as "refused"). */
export interface RefusedAsDeclared { outcome: 'refused'; ok: true; refused: true; cells?: undefined; at: number; expected?: EvalResult }

/** Stored values differ from the oracle (or a store after the refused op ran). */
export interface Mismatch extends Failed {
  outcome: 'mismatch';
  cells: CellDiff[];
  expected: EvalResult;
  /** stores the oracle ran (all of them, or those before the refused op) */
  storesRun: number;
  /** the op the kernel had to refuse, or -1 */
  refusedAt: number;
  /** the refused op is a raw tag: its value */
  rawTag?: string;
}

/** The native packer's bytes differ from the oracle's packer. */
export interface PackMismatch extends Failed {
  outcome: 'pack_mismatch';
  cells?: undefined;
  packing: number;
  side: 'a' | 'b';
  mn: number;
  k: number;
  /** first differing byte, or undefined when the lengths differ */
  byte?: number;
  native: number;
  oracle: number;
}

/** A canary guard around a buffer changed (reported by the executor). */
export interface CanaryWrite extends Failed {
  outcome: 'canary_write';
  cells?: undefined;
  buf: number;
  /** the buffer is the frame's own scratch, not a request buffer */
  scratch: boolean;
  bufName: string;
  offset: number;
  canary: number;
  got: number;
  /** canary bytes changed in all */
  count: number;
  expected: EvalResult;
}

/** The kernel touched the no-access page next to a buffer; the executor stopped the call there. */
export interface OutOfBounds extends Failed {
  outcome: 'out_of_bounds';
  cells?: undefined;
  /** 'access': the CPU did not say which */
  access: 'read' | 'write' | 'access';
  buf: number;
  /** the buffer is the executor's own (the chain, border copies, packed operands) */
  scratch: boolean;
  bufName: string;
  /** its size in the kernel's terms ("nr = 8 i32") */
  extent: string;
  /** of the first inaccessible byte touched, from the buffer's start: < 0 before it, >= len past it */
  offset: number;
  len: number;
  /** frame level: the tile (tile row, tile column) whose kernel call faulted */
  tile?: [number, number];
  /** an earlier kernel call of the frame walk that broke the calling convention */
  abi?: AbiBreakRecord;
}

/** A byte of a buffer changed that the call must not change: outside the stored elements of an
 *  output (sentinel), or anywhere in an input. */
export interface StrayWrite extends Failed {
  outcome: 'stray_write';
  cells?: undefined;
  /** output: between or around the stored elements; input: an operand the kernel only reads */
  role: 'output' | 'input';
  buf: number;
  bufName: string;
  offset: number;
  from: number;
  to: number;
  expected: EvalResult;
}

export type WrongRefusal = Failed & { outcome: 'refusal'; cells?: undefined } & (
  /** rc other than 0 (Done) and 1 (unsupported op) */
  | { reason: 'bad_rc'; rc: number }
  /** returned 1 although every op is declared; at = the op it named (-1: none) */
  | { reason: 'refused_declared'; at: number; op?: string; tag?: number }
  /** returned 0 on a chain with an op it does not declare (rawTag: a tag of no op, its value) */
  | { reason: 'computed_undeclared'; at: number; op: string; kernel: string; rawTag?: string }
  /** a gating case without an undeclared op: the generator's fault */
  | { reason: 'nothing_to_refuse' }
  /** a refused chain no runnable kernel declares entirely */
  | { reason: 'no_fallback'; ops: string[] }
);

/** The kernel's process died (signal or exit). */
export interface Crash extends Failed { outcome: 'crash'; cells?: undefined; kernel: string; signal: string | null; exitCode: number | null; stderrTail: string[] }

/** The call did not return within the timeout (`timeout`: how long, and why that long). */
export interface Hang extends Failed { outcome: 'hang'; cells?: undefined; kernel: string; stderrTail: string[]; timeout: CallTimeout }

/** A rule of the calling convention the kernel broke: what (a register, or mxcsr / x87cw / df,
 *  fpcr / svcr.sm / svcr.za), the value it had to keep and the one it left (u64 as 0x hex, so the
 *  record stays JSON). */
export interface AbiRule { what: string; expected: string; got: string }

/** The first kernel call that broke the calling convention, and what it broke. */
export interface AbiBreakRecord {
  /** TILE 0, FRAME the tile index in walk order */
  call: number;
  items: AbiRule[];
}

/** The kernel returned with the calling convention broken (reported by the executor's checked
 *  call). Judged before the values (a clobbered register breaks the caller whatever was stored),
 *  after a fault. */
export interface AbiViolation extends Failed, AbiBreakRecord {
  outcome: 'abi_violation';
  cells?: undefined;
  kernel: string;
  /** the verdict of the values alone, when they are wrong too */
  values?: FailedVerdict;
  expected: EvalResult;
}

export type ExecFailure = Failed & { outcome: 'exec_error'; cells?: undefined } & (
  | { reason: 'encode'; kernel: string; error: string }
  | { reason: 'executor'; error: string }
  | { reason: 'buffer_size'; buf: number; got: number; want: number }
  /** the property itself threw (a harness bug, not a kernel verdict) */
  | { reason: 'threw'; error: string }
);

/** A failure on another kernel than the one gated: the fallback of a refused chain, or a peer. */
export interface OnKernel extends Failed { outcome: 'on_kernel'; cells?: undefined; role: 'fallback' | 'peer'; kernel: string; cause: FailedVerdict }

/** A case failed, then passed when run again (as it was first seen, and shrunk): the kernel's
 *  result depends on more than the case (state kept from earlier calls, the executor's fds, a
 *  thread or process it started, uninitialised memory). `first`: what was seen the first time. */
export interface Nondeterministic extends Failed { outcome: 'nondeterministic'; cells?: undefined; first: FailedVerdict; reruns: number }

export type FailedVerdict = Mismatch | PackMismatch | CanaryWrite | OutOfBounds | StrayWrite | WrongRefusal | Crash | Hang | AbiViolation | ExecFailure | OnKernel | Nondeterministic;
export type Verdict = Pass | RefusedAsDeclared | FailedVerdict;

/** The report family of a failure. */
export function failureKind(v: FailedVerdict): FailureKind {
  switch (v.outcome) {
    case 'mismatch': case 'pack_mismatch': return 'mismatch';
    case 'canary_write': return 'out_of_tile_write';
    case 'out_of_bounds': return v.access === 'read' ? 'out_of_bounds_read' : 'out_of_bounds_write';
    case 'stray_write': return v.role === 'output' ? 'out_of_tile_write' : 'input_modified';
    case 'refusal': return 'refusal';
    case 'crash': case 'hang': return 'crash';
    case 'abi_violation': return 'abi_violation';
    case 'exec_error': return 'exec_error';
    case 'on_kernel': return failureKind(v.cause);
    case 'nondeterministic': return 'nondeterministic';
  }
}

/** A call timed out (on the gated kernel, a fallback or a peer). */
export const isHang = (v: Verdict): boolean => v.outcome === 'hang' || (v.outcome === 'on_kernel' && isHang(v.cause));

/** The oracle's result the kernel was judged against, when the judge got that far. */
export function expectedOf(v: Verdict): EvalResult | undefined {
  switch (v.outcome) {
    case 'pass': case 'refused': case 'mismatch': case 'canary_write': case 'stray_write': case 'abi_violation': return v.expected;
    case 'on_kernel': return expectedOf(v.cause);
    default: return undefined;
  }
}

/** The differing cells of a mismatch (through a fallback or peer too). */
export function cellsOf(v: Verdict): CellDiff[] | undefined {
  switch (v.outcome) {
    case 'mismatch': return v.cells;
    case 'on_kernel': return cellsOf(v.cause);
    case 'abi_violation': return v.values && cellsOf(v.values);
    default: return undefined;
  }
}

export const PASS: Pass = { outcome: 'pass', ok: true, refused: false };
