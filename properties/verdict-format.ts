// The words of a verdict: the one-line message every report prints (terminal, JSON, JUnit,
// markdown, HTML, fixture notes, repro headers), rendered from the verdict's fields.
import { cellsOf, expectedOf, failureKind, isHang, type AbiBreakRecord, type AbiRule, type CellDiff, type FailedVerdict, type FailureKind, type Verdict } from './verdict.js';
import { timeoutBasisText } from './timeout.js';
import { staleText } from './stale.js';

export const hex32 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');
const hex = (v: number): string => `0x${v.toString(16)}`;

export function describeCell(d: CellDiff): string {
  return `store #${d.store} [${d.i}][${d.j}]: expected ${d.expected} (${hex32(d.expected)}), got ${d.got} (${hex32(d.got)})`;
}

/** What each name the checked call reports (native/core/abi_call.h) is, and the rule it broke. */
function abiMeaning(what: string): { broke: string; rule: string } {
  const keep = 'not preserved';
  if (/^(rbx|rbp|r1[2-5])$/.test(what)) return { broke: keep, rule: 'callee-saved, x86-64 SysV' };
  if (what === 'rsp') return { broke: keep, rule: 'stack pointer, x86-64 SysV' };
  if (what === 'mxcsr') return { broke: 'changed', rule: 'MXCSR control bits, x86-64 SysV' };
  if (what === 'x87cw') return { broke: 'changed', rule: 'x87 control word, x86-64 SysV' };
  if (what === 'df') return { broke: 'left set', rule: 'direction flag clear on return, x86-64 SysV' };
  if (/^x(19|2[0-9])$/.test(what)) return { broke: keep, rule: 'callee-saved, AAPCS64' };
  if (/^d([89]|1[0-5])$/.test(what)) return { broke: keep, rule: 'callee-saved low half of v8-v15, AAPCS64' };
  if (what === 'sp') return { broke: keep, rule: 'stack pointer, AAPCS64' };
  if (what === 'fpcr') return { broke: 'changed', rule: 'FPCR, AAPCS64' };
  if (what === 'svcr.sm') return { broke: 'left on', rule: 'streaming mode off on return (SMSTOP), AAPCS64' };
  if (what === 'svcr.za') return { broke: 'left on', rule: 'ZA off on return (SMSTOP ZA), AAPCS64' };
  return { broke: 'broken', rule: 'calling convention' };
}

export function describeAbiRule(r: AbiRule): string {
  const m = abiMeaning(r.what);
  return `${r.what} ${m.broke}: expected ${r.expected}, got ${r.got} (${m.rule})`;
}

function describeAbiBreak(b: AbiBreakRecord): string {
  const at = b.call > 0 ? ` (kernel call ${b.call} of the frame walk)` : '';
  return `${b.items.map(describeAbiRule).join('; ')}${at}`;
}

const tail = (lines: string[]): string => (lines.length ? ': ' + lines.join(' | ') : '');

/** The message of a failure. */
export function failureMessage(v: FailedVerdict): string {
  return (v.stale ? `${staleText(v.stale)}; ${valuesMessage(v)}` : valuesMessage(v)) + printedText(v);
}

/** What the kernel printed during the call, in a message: its last lines, bounded. A crash or
 *  a hang shows them already (its stderrTail is the same output). */
function printedText(v: FailedVerdict): string {
  if (!v.output || v.outcome === 'crash' || v.outcome === 'hang') return '';
  const lines = v.output.text.trim().split('\n').slice(-3).join(' | ');
  const shown = lines.length > 300 ? `...${lines.slice(-300)}` : lines;
  return `; the kernel printed ${v.output.bytes} byte(s)${shown ? `: ${JSON.stringify(shown)}` : ''}`;
}

function valuesMessage(v: FailedVerdict): string {
  switch (v.outcome) {
    case 'mismatch': {
      const notRun = v.cells.find((d) => d.store >= v.storesRun);
      return notRun
        ? v.rawTag !== undefined
          ? `chain[${v.refusedAt}] (raw tag ${v.rawTag}) is not a tag of the ABI: the kernel returned 1 but ran store #${notRun.store} after it (wrote [${notRun.i}][${notRun.j}])`
          : `store #${notRun.store} (after the refused op chain[${v.refusedAt}]) must not run, but wrote [${notRun.i}][${notRun.j}]`
        : `${v.cells.length} cell(s) differ; first: ${describeCell(v.cells[0])}`;
    }
    case 'pack_mismatch': {
      const head = `packing ${v.packing} side ${v.side} (mn=${v.mn}, k=${v.k})`;
      return v.byte === undefined
        ? `${head}: native packed ${v.native} bytes, oracle ${v.oracle}`
        : `${head}: byte ${v.byte} is ${hex(v.native)}, oracle ${hex(v.oracle)}`;
    }
    case 'canary_write': {
      const where = v.scratch ? `frame scratch buffer ${v.buf}` : `${v.bufName} (buffer ${v.buf})`;
      return `write outside the buffer: ${where} byte offset ${v.offset} (canary expected ${hex(v.canary)}, got ${hex(v.got)}); ${v.count} canary byte(s) changed`;
    }
    case 'out_of_bounds': {
      const verb = v.access === 'read' ? 'reads' : v.access === 'write' ? 'writes' : 'accesses';
      const where = v.offset < 0 ? `${-v.offset} byte(s) before the start of` : v.offset === v.len ? 'past the end of' : `${v.offset - v.len + 1} byte(s) past the end of`;
      const about = [v.scratch ? '' : `buffer ${v.buf}`, v.extent, `${v.len} bytes`].filter((x) => x).join(', ');
      const abi = v.abi ? `; the calling convention was broken too: ${describeAbiBreak(v.abi)}` : '';
      return `${verb} ${where} ${v.bufName} (${about}): byte offset ${v.offset}${v.tile ? `, in tile (${v.tile[0]}, ${v.tile[1]})` : ''}${abi}`;
    }
    case 'stray_write':
      return `${v.bufName} (buffer ${v.buf}) byte ${v.offset} changed from ${hex(v.from)} to ${hex(v.to)}${v.role === 'output' ? ' (outside the stored elements)' : ' (an input the kernel must only read)'}`;
    case 'refusal':
      switch (v.reason) {
        case 'bad_rc': return `kernel returned ${v.rc} (only 0 = Done and 1 = unsupported op are defined)`;
        case 'refused_declared': return `kernel returned 1${v.at >= 0 ? ` at chain[${v.at}] (${v.op}, tag ${v.tag})` : ''} but declares every op of the chain`;
        case 'computed_undeclared': return v.rawTag !== undefined
          ? `chain[${v.at}] (raw tag ${v.rawTag}) is not a tag of the ABI, yet the kernel returned 0 (skipped it and ran the ops after it)`
          : `chain[${v.at}] (${v.op}) is not declared by ${v.kernel}, yet the kernel returned 0 (computed an op it does not implement)`;
        case 'nothing_to_refuse': return 'gating case did not contain an undeclared op (generator bug)';
        case 'no_fallback': return `no runnable kernel declares every op of the chain (${v.ops.join(', ')})`;
      }
      break;
    case 'crash': return `${v.kernel} crashed (${v.signal ?? 'exit ' + v.exitCode})${tail(v.stderrTail)}`;
    case 'hang': return `no response within ${v.timeout.ms} ms (${timeoutBasisText(v.timeout)})${tail(v.stderrTail)}`;
    case 'abi_violation': {
      const values = v.values ? `; the values are wrong too: ${failureKind(v.values)}: ${failureMessage(v.values)}` : '';
      return `${describeAbiBreak(v)}${values}`;
    }
    case 'exec_error':
      switch (v.reason) {
        case 'encode': return `cannot encode the case for ${v.kernel}: ${v.error}`;
        case 'executor': return `executor: ${v.error}`;
        case 'buffer_size': return `buffer ${v.buf} came back with ${v.got} bytes, expected ${v.want}`;
        case 'threw': return v.error;
      }
      break;
    case 'on_kernel': return `${v.role === 'fallback' ? 'fallback ' : ''}${v.kernel}: ${failureMessage(v.cause)}`;
    case 'nondeterministic':
      return `failed once (${failureLabel(v.first)}: ${failureMessage(v.first)}), then passed ${v.reruns} time(s) on the same case: `
        + 'the result depends on more than the case (state kept across calls: see the stale property; the executor\'s fds; a thread or process the kernel started; uninitialised memory)';
  }
}

/** The word the reports print before a failure's message: its family, except that a call that
 *  timed out says so (its family, `kind` in the JSON, stays 'crash'). */
export type FailureLabel = FailureKind | 'hang';
export const failureLabel = (v: FailedVerdict): FailureLabel => (isHang(v) ? 'hang' : failureKind(v));

/** A failure as the report stores it: its typed fields plus the family, the label and the message
 *  (and, for a failure on a fallback kernel, the cells and expected result of the underlying verdict). */
export type VerdictRecord = FailedVerdict & { kind: FailureKind; label: FailureLabel; message: string; cells?: CellDiff[]; expected?: ReturnType<typeof expectedOf> };

export function verdictRecord(v: FailedVerdict): VerdictRecord {
  const r: VerdictRecord = { ...v, kind: failureKind(v), label: failureLabel(v), message: failureMessage(v) };
  const cells = cellsOf(v);
  const expected = expectedOf(v);
  if (cells) r.cells = cells;
  if (expected) r.expected = expected;
  return r;
}

/** "label: message" of a failure, "" for a pass. */
export const verdictLine = (v: Verdict): string => (v.ok ? '' : `${failureLabel(v)}: ${failureMessage(v)}`);
