// Runs one case on one kernel and judges it bit-exactly against the oracle. Every way a kernel
// can be wrong gets its own kind, because the fix differs: a wrong value, a write outside the
// tile (canary or sentinel), a modified input, a wrong refusal, a crash or hang.
import type { Case, EvalResult } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import { ExecError, type ExecResult } from '../native/wire.js';
import { KernelCrash, type Backend } from '../native/process.js';
import { encodeCase, firstUnsupported, opTag, type Encoded } from './encode.js';
import { offsetOf, readItem, writeItem } from './layout.js';
import { oracleEval } from './oracle-bridge.js';

export type FailureKind =
  | 'mismatch' // a stored value differs from the oracle
  | 'out_of_tile_write' // canary or sentinel byte changed
  | 'input_modified' // the kernel wrote into an operand it only reads
  | 'refusal' // returned 1 on a declared op, or 0 on an undeclared one
  | 'crash' // SIGSEGV / SIGILL / SIGBUS / hang
  | 'exec_error'; // the executor rejected the request (harness or kernel-declaration problem)

export interface CellDiff { store: number; i: number; j: number; expected: number; got: number }

export interface Verdict {
  ok: boolean;
  /** the kernel returned 1 at an undeclared op, as it should (counted as "refused") */
  refused: boolean;
  kind?: FailureKind;
  message?: string;
  cells?: CellDiff[];
  expected?: EvalResult;
}

const hex = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

export function describeCell(d: CellDiff): string {
  return `store #${d.store} [${d.i}][${d.j}]: expected ${d.expected} (${hex(d.expected)}), got ${d.got} (${hex(d.got)})`;
}

/** Expected bytes of every buffer after the call, given the stores that ran. */
function expectedBuffers(enc: Encoded, ran: EvalResult, storesRun: number): Uint8Array[] {
  const exp = enc.initial.map((b) => b.slice());
  enc.stores.slice(0, storesRun).forEach((s, k) => {
    const vals = ran.stores[k];
    const p = s.placement;
    for (let i = 0; i < vals.length; i++) for (let j = 0; j < vals[i].length; j++) writeItem(exp[s.buf], offsetOf(p, i, j), vals[i][j], p.itemSize);
  });
  return exp;
}

export function judge(c: Case, kernel: KernelDesc, enc: Encoded, res: ExecResult): Verdict {
  const unsupported = firstUnsupported(c.chain, kernel);
  const refusedAt = unsupported >= 0 ? unsupported : -1;
  if (res.rc !== 0 && res.rc !== 1) {
    return { ok: false, refused: false, kind: 'refusal', message: `kernel returned ${res.rc} (only 0 = Done and 1 = unsupported op are defined)` };
  }
  if (refusedAt < 0 && res.rc === 1) {
    const at = res.refusedOp >= 0 ? ` at chain[${res.refusedOp}] (${c.chain[res.refusedOp]?.op}, tag ${opTag(c.chain[res.refusedOp])})` : '';
    return { ok: false, refused: false, kind: 'refusal', message: `kernel returned 1${at} but declares every op of the chain` };
  }
  if (refusedAt >= 0 && res.rc === 0) {
    return { ok: false, refused: false, kind: 'refusal', message: `chain[${refusedAt}] (${c.chain[refusedAt].op}) is not declared by ${kernel.name}, yet the kernel returned 0 (computed an op it does not implement)` };
  }
  // A refused tile chain still ran the ops before the refused one (Store included);
  // the frame refuses before running anything.
  const prefix = refusedAt < 0 ? c.chain : c.level === 'frame' ? [] : c.chain.slice(0, refusedAt);
  const expected = oracleEval({ ...c, chain: prefix });
  const storesRun = expected.stores.length;
  const exp = expectedBuffers(enc, expected, storesRun);

  if (res.violations.length > 0) {
    const v = res.violations[0];
    const where = v.scratch ? `frame scratch buffer ${v.buf}` : `${enc.names[v.buf]} (buffer ${v.buf})`;
    return {
      ok: false, refused: false, kind: 'out_of_tile_write', expected,
      message: `write outside the buffer: ${where} byte offset ${v.offset} (canary expected 0x${v.expected.toString(16)}, got 0x${v.got.toString(16)}); ${res.violations.length} canary byte(s) changed`,
    };
  }
  // values of the stores first (most useful message), then stray bytes, then inputs
  const cells: CellDiff[] = [];
  enc.stores.forEach((s, k) => {
    const got = res.buffers[s.buf];
    const p = s.placement;
    for (let i = 0; i < c.m; i++) for (let j = 0; j < c.n; j++) {
      const off = offsetOf(p, i, j);
      // sign extension from itemSize bytes is injective: equal values <=> equal bytes
      const es = readItem(exp[s.buf], off, p.itemSize);
      const gs = readItem(got, off, p.itemSize);
      if (es !== gs) cells.push({ store: k, i, j, expected: es, got: gs });
    }
  });
  if (cells.length > 0) {
    const notRun = cells.find((d) => d.store >= storesRun);
    const message = notRun
      ? `store #${notRun.store} (after the refused op chain[${refusedAt}]) must not run, but wrote [${notRun.i}][${notRun.j}]`
      : `${cells.length} cell(s) differ; first: ${describeCell(cells[0])}`;
    return { ok: false, refused: false, kind: 'mismatch', message, cells, expected };
  }
  for (let b = 0; b < exp.length; b++) {
    const got = res.buffers[b];
    if (!got || got.length !== exp[b].length) {
      return { ok: false, refused: false, kind: 'exec_error', message: `buffer ${b} came back with ${got?.length ?? 0} bytes, expected ${exp[b].length}` };
    }
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== exp[b][i]) {
        const isStore = enc.stores.some((s) => s.buf === b);
        return {
          ok: false, refused: false, kind: isStore ? 'out_of_tile_write' : 'input_modified', expected,
          message: `${enc.names[b]} (buffer ${b}) byte ${i} changed from 0x${exp[b][i].toString(16)} to 0x${got[i].toString(16)}${isStore ? ' (outside the stored elements)' : ' (an input the kernel must only read)'}`,
        };
      }
    }
  }
  return { ok: true, refused: refusedAt >= 0, expected };
}

/** Encodes, runs and judges one case; crashes and executor errors become verdicts, never throws. */
export async function runCase(backend: Backend, kernel: KernelDesc, c: Case, opts: { force?: boolean } = {}): Promise<Verdict> {
  let enc: Encoded;
  try {
    enc = encodeCase(c, kernel, opts);
  } catch (e) {
    return { ok: false, refused: false, kind: 'exec_error', message: `cannot encode the case for ${kernel.name}: ${(e as Error).message}` };
  }
  let res: ExecResult;
  try {
    res = await backend.exec(enc.req);
  } catch (e) {
    if (e instanceof KernelCrash) {
      const what = e.timedOut ? 'hung (timed out)' : `crashed (${e.signal ?? 'exit ' + e.exitCode})`;
      return { ok: false, refused: false, kind: 'crash', message: `${kernel.name} ${what}${e.stderr ? ': ' + e.stderr.trim().split('\n').slice(-3).join(' | ') : ''}` };
    }
    if (e instanceof ExecError) return { ok: false, refused: false, kind: 'exec_error', message: `executor: ${e.message}` };
    throw e;
  }
  return judge(c, kernel, enc, res);
}
