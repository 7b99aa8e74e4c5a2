// Runs one case on one kernel and judges it bit-exactly against the oracle. Every way a kernel
// can be wrong gets its own verdict (properties/verdict.ts), because the fix differs: a wrong
// value, a write outside the tile (canary or sentinel), a modified input, a wrong refusal, a
// crash or hang. The one path from a case to a verdict: the properties, the CLI, the conform
// engine (and through it the mutant gate) and the repro writer all call runCase.
import type { Case, PriorVariant } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import { ExecError, type ExecResult } from '../native/wire.js';
import { KernelCrash, visible, type Backend } from '../native/process.js';
import { encodeCase, guardAtStart, opTag, scratchBuffer, type Encoded } from './encode.js';
import { isRawTag } from '../oracle/opset.js';
import { offsetOf, readItem } from './layout.js';
import { expectedState, type ExpectedState } from './expected.js';
import { callTimeout, caseWork, type CallTimeout, type TimeoutPolicy } from './timeout.js';
import type { CellDiff, Crash, Hang, Verdict } from './verdict.js';
import { priorCase, priorRequest } from './stale.js';

export type { CellDiff, FailedVerdict, FailureKind, Verdict } from './verdict.js';
export { describeCell } from './verdict-format.js';

const F = { ok: false, refused: false } as const;

/** A fault first (the kernel touched memory it must not; the call was stopped there), then the
 *  calling convention (a clobbered register breaks the caller whatever was stored), then the
 *  values. A fault after an earlier frame tile broke the convention carries that break too. */
export function judge(c: Case, kernel: KernelDesc, enc: Encoded, res: ExecResult): Verdict {
  const v = judgeWith(c, kernel, enc, res, expectedState(c, kernel, enc));
  // a failure is judged again, and reported, with the bigint oracle (the definition), which
  // must agree with the fast one (else expectedState throws OracleDisagreement)
  if (v.ok) return v;
  const exact = expectedState(c, kernel, enc, { oracle: 'bigint' });
  return exact.oracle === 'bigint' ? judgeWith(c, kernel, enc, res, exact) : v;
}

function judgeWith(c: Case, kernel: KernelDesc, enc: Encoded, res: ExecResult, exp: ExpectedState): Verdict {
  const hex = (x: bigint): string => `0x${x.toString(16)}`;
  const abi = res.abi && { call: res.abi.call, items: res.abi.items.map((i) => ({ what: i.what, expected: hex(i.expected), got: hex(i.got) })) };
  if (res.fault) {
    const f = res.fault;
    const b = f.scratch ? scratchBuffer(c, kernel, enc, f.buf) : { name: enc.names[f.buf], extent: enc.extents[f.buf] };
    return {
      ...F, outcome: 'out_of_bounds', access: f.access, buf: f.buf, scratch: f.scratch, bufName: b.name, extent: b.extent,
      offset: f.offset, len: f.len, tile: f.tile, ...(abi ? { abi } : {}),
    };
  }
  const v = judgeValues(c, kernel, enc, res, exp);
  if (!abi) return v;
  return { ...F, outcome: 'abi_violation', kernel: kernel.name, ...abi, ...(v.ok ? {} : { values: v }), expected: exp.result };
}

function judgeValues(c: Case, kernel: KernelDesc, enc: Encoded, res: ExecResult, exp: ExpectedState): Verdict {
  const { refusedAt, storesRun } = exp;
  if (res.rc !== 0 && res.rc !== 1) return { ...F, outcome: 'refusal', reason: 'bad_rc', rc: res.rc };
  if (refusedAt < 0 && res.rc === 1) {
    const op = res.refusedOp >= 0 ? c.chain[res.refusedOp] : undefined;
    return { ...F, outcome: 'refusal', reason: 'refused_declared', at: res.refusedOp, op: op?.op, tag: op && !isRawTag(op) ? opTag(op) : undefined };
  }
  const refusedOp = refusedAt >= 0 ? c.chain[refusedAt] : undefined;
  const raw = refusedOp && isRawTag(refusedOp) ? { rawTag: refusedOp.tag } : {};
  if (refusedOp && res.rc === 0) return { ...F, outcome: 'refusal', reason: 'computed_undeclared', at: refusedAt, op: refusedOp.op, kernel: kernel.name, ...raw };
  const expected = exp.result;

  if (res.violations.length > 0) {
    const v = res.violations[0];
    return {
      ...F, outcome: 'canary_write', buf: v.buf, scratch: v.scratch, bufName: v.scratch ? '' : enc.names[v.buf], offset: v.offset,
      canary: v.expected, got: v.got, count: res.violations.length, expected,
    };
  }
  // values of the stores first (most useful message), then stray bytes, then inputs
  const cells: CellDiff[] = [];
  enc.stores.forEach((s, k) => {
    const got = res.buffers[s.buf];
    // the whole buffer as expected (memcmp): no cell differs
    if (got && sameBytes(got, exp.buffers[s.buf])) return;
    const p = s.placement;
    for (let i = 0; i < c.m; i++) for (let j = 0; j < c.n; j++) {
      const off = offsetOf(p, i, j);
      // sign extension from itemSize bytes is injective: equal values <=> equal bytes
      const es = readItem(exp.buffers[s.buf], off, p.itemSize);
      const gs = readItem(got, off, p.itemSize);
      if (es !== gs) cells.push({ store: k, i, j, expected: es, got: gs });
    }
  });
  if (cells.length > 0) return { ...F, outcome: 'mismatch', cells, expected, storesRun, refusedAt, ...raw };
  for (let b = 0; b < exp.buffers.length; b++) {
    const got = res.buffers[b];
    const want = exp.buffers[b];
    if (!got || got.length !== want.length) return { ...F, outcome: 'exec_error', reason: 'buffer_size', buf: b, got: got?.length ?? 0, want: want.length };
    if (sameBytes(got, want)) continue;
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== want[i]) {
        const role = enc.stores.some((s) => s.buf === b) ? 'output' : 'input';
        return { ...F, outcome: 'stray_write', role, buf: b, bufName: enc.names[b], offset: i, from: want[i], to: got[i], expected };
      }
    }
  }
  return refusedAt >= 0 ? { outcome: 'refused', ok: true, refused: true, at: refusedAt, expected } : { outcome: 'pass', ok: true, refused: false, expected };
}

/** Equal bytes, compared natively. */
export const sameBytes = (x: Uint8Array, y: Uint8Array): boolean =>
  x.length === y.length && Buffer.from(x.buffer, x.byteOffset, x.length).equals(Buffer.from(y.buffer, y.byteOffset, y.length));

/** The last lines of a crashed child's output (what it said before dying), control characters
 *  made visible. */
const stderrTail = (s: string | undefined): string[] => (s ? visible(s).trim().split('\n').slice(-3) : []);

export interface RunCaseOptions {
  /** encode even a case the kernel's shape or packing rejects (see encodeCase) */
  force?: boolean;
  /** the guard side, when not the case's own (see encodeCase) */
  guardStart?: boolean;
  /** sees the encoded request and the raw result before judging (e.g. to print the kernel's output) */
  onExec?: (enc: Encoded, res: ExecResult) => void;
  /** c already encoded another way (a frame tile with the frame's buffers: properties/frame-tile.ts) */
  encoded?: Encoded;
  /** the call's timeout (default: scaled to the case's work) */
  timeout?: TimeoutPolicy;
  /** the request may be pipelined (Backend CallOptions.pipelined: it may reject with NotRun) */
  pipelined?: boolean;
}

/** The verdict of a call whose executor died or was killed after its timeout t. */
export const crashVerdict = (e: KernelCrash, kernel: string, t: CallTimeout): Crash | Hang => {
  // what this call printed, when the transport tells it apart from earlier requests' output
  const said = e.output ? e.output.text : e.stderr;
  const v: Crash | Hang = e.timedOut
    ? { ...F, outcome: 'hang', kernel, stderrTail: stderrTail(said), timeout: t }
    : { ...F, outcome: 'crash', kernel, signal: e.signal, exitCode: e.exitCode, stderrTail: stderrTail(said) };
  return e.output && e.output.bytes > 0 ? { ...v, output: e.output } : v;
};

/** A failed verdict carries what the kernel printed during the call (a pass does not). */
const withOutput = (v: Verdict, res: ExecResult): Verdict => (v.ok || !res.output || v.output ? v : { ...v, output: res.output });

/** Encodes, runs and judges one case; crashes and executor errors become verdicts, never throws. */
export async function runCase(backend: Backend, kernel: KernelDesc, c: Case, opts: RunCaseOptions = {}): Promise<Verdict> {
  let enc: Encoded;
  let prior: Encoded | undefined;
  try {
    enc = opts.encoded ?? encodeCase(c, kernel, { force: opts.force, guardStart: opts.guardStart });
    if (c.prior) {
      prior = encodeCase(priorCase(c), kernel, { force: opts.force, guardStart: opts.guardStart ?? guardAtStart(c) });
      enc = { ...enc, req: { ...enc.req, prior: prior.req.buffers.map((b) => b.data), ...priorRequest(c) } };
    }
  } catch (e) {
    return { ...F, outcome: 'exec_error', reason: 'encode', kernel: kernel.name, error: (e as Error).message };
  }
  const timeout = callTimeout(caseWork(c, kernel), opts.timeout);
  let res: ExecResult;
  try {
    res = await backend.exec(enc.req, { timeoutMs: timeout.ms, pipelined: opts.pipelined === true && !c.prior });
  } catch (e) {
    if (e instanceof KernelCrash) return crashVerdict(e, kernel.name, timeout);
    if (e instanceof ExecError) return { ...F, outcome: 'exec_error', reason: 'executor', error: e.message };
    throw e;
  }
  opts.onExec?.(enc, res);
  const v = withOutput(judge(c, kernel, enc, res), res);
  if (!c.prior || !prior || res.fault) return v;
  return judgePair(backend, kernel, { ...c, prior: c.prior }, enc, prior, res, v, opts);
}

/** A case with `prior` (properties/stale.ts): both calls judged. A second call that stored what
 *  the oracle says of the first call's contents kept state. Any other failure is state when the
 *  failing call's contents pass alone, else it is that failure. (A kernel that keeps state may
 *  also go wrong alone, on what it kept from earlier requests at reused addresses.) */
async function judgePair(backend: Backend, kernel: KernelDesc, c: Case & { prior: PriorVariant }, enc: Encoded, prior: Encoded, res: ExecResult, v: Verdict, opts: RunCaseOptions): Promise<Verdict> {
  const pc = priorCase(c);
  const firstRes: ExecResult = { ...res, buffers: res.priorBuffers ?? [], violations: [], abi: null };
  const v1 = judge(pc, kernel, prior, firstRes);
  const [bad, call, alone] = !v.ok ? [v, 2, { ...c, prior: undefined }] as const : !v1.ok ? [v1, 1, pc] as const : [undefined, 0, c] as const;
  if (!bad) return v;
  // the same contents right at other addresses, then wrong: the result depends on history (a
  // call alone proves nothing here: the kernel meets what the pair left)
  if (c.prior === 'new_addresses' && call === 2 && v1.ok) return { ...bad, stale: { prior: c.prior, call, firstResult: false } };
  // the stores of one call hold the oracle values of the other call's contents
  const storesOf = (e: Encoded, want: Encoded, wantCase: Case, got: ExecResult): boolean => {
    const exp = expectedState(wantCase, kernel, want);
    return e.stores.length > 0 && e.stores.every((s) => exp.buffers[s.buf].every((x, i) => got.buffers[s.buf]?.[i] === x));
  };
  const firstResult = call === 2 ? storesOf(enc, prior, pc, res) : storesOf(prior, enc, c, firstRes);
  if (!firstResult) {
    const a = await runCase(backend, kernel, alone, { ...opts, onExec: undefined });
    // the case failing alone is its own failure; the earlier contents failing alone are a bug
    // of those contents, not of this case (the other properties judge such cases)
    if (!a.ok) return call === 2 ? a : v;
  }
  return { ...bad, stale: { prior: c.prior, call, firstResult } };
}
