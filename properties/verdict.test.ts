// The judge on synthetic executor results (no native code): every way a result can be wrong
// gets its variant, and the variant renders the message the reports print.
import { describe, expect, it } from 'vitest';
import type { Case } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import type { ExecResult } from '../native/wire.js';
import { encodeCase } from './encode.js';
import { judge } from './check.js';
import { expectedState } from './expected.js';
import { cellsOf, failureKind, type FailedVerdict, type Verdict } from './verdict.js';
import { failureLabel, failureMessage, verdictLine, verdictRecord } from './verdict-format.js';
import { callTimeout, TIMEOUT_BASE_MS, WORK_PER_MS } from './timeout.js';
import { ALL_OPS_2X2, NO_SCALAR_2X2 } from './test-descs.js';

const all = ALL_OPS_2X2;
const noScalar = NO_SCALAR_2X2;

const tileCase: Case = {
  format: 'bitexact-case/1', level: 'tile', m: 2, n: 2, k: 3,
  a: [[1, 2, 3], [4, 5, 6]], b: [[1, 0], [0, 1], [1, 1]],
  chain: [{ op: 'clear' }, { op: 'add_mat_mul' }, { op: 'scalar', bin: 'add', value: 7 }, { op: 'store', item_size: 4 }],
};

/** What a correct kernel hands back: exactly the expected bytes. */
function correct(c: Case, k: KernelDesc): { enc: ReturnType<typeof encodeCase>; res: ExecResult } {
  const enc = encodeCase(c, k);
  const exp = expectedState(c, k, enc);
  return { enc, res: { rc: exp.refusedAt < 0 ? 0 : 1, refusedOp: -1, violations: [], buffers: exp.buffers.map((b) => b.slice()), abi: null } };
}

const failed = (v: Verdict): FailedVerdict => {
  if (v.ok) throw new Error(`expected a failure, got ${v.outcome}`);
  return v;
};

describe('judge', () => {
  it('passes the expected bytes, refuses as declared', () => {
    const { enc, res } = correct(tileCase, all);
    expect(judge(tileCase, all, enc, res)).toMatchObject({ outcome: 'pass', ok: true, refused: false });
    const r = correct(tileCase, noScalar);
    expect(judge(tileCase, noScalar, r.enc, r.res)).toMatchObject({ outcome: 'refused', ok: true, refused: true, at: 2 });
  });

  it('a wrong cell is a mismatch with the cell', () => {
    const { enc, res } = correct(tileCase, all);
    const s = enc.stores[0];
    res.buffers[s.buf][s.placement.base] ^= 1;
    const v = failed(judge(tileCase, all, enc, res));
    expect(v.outcome).toBe('mismatch');
    expect(failureKind(v)).toBe('mismatch');
    expect(failureMessage(v)).toMatch(/^1 cell\(s\) differ; first: store #0 \[0\]\[0\]: expected \d+ \(0x[0-9a-f]{8}\), got \d+ \(0x[0-9a-f]{8}\)$/);
    const rec = verdictRecord(v);
    expect(rec).toMatchObject({ kind: 'mismatch', ok: false, refused: false, message: failureMessage(v) });
    expect(rec.cells).toHaveLength(1);
  });

  it('a store after the refused op is a mismatch that says so', () => {
    const { enc, res } = correct(tileCase, noScalar);
    const s = enc.stores[0];
    res.buffers[s.buf][s.placement.base] ^= 1;
    expect(failureMessage(failed(judge(tileCase, noScalar, enc, res)))).toBe('store #0 (after the refused op chain[2]) must not run, but wrote [0][0]');
  });

  it('a changed input byte, a canary, a wrong rc, a short buffer', () => {
    let { enc, res } = correct(tileCase, all);
    const input = enc.names.findIndex((n) => n.startsWith('packed A'));
    res.buffers[input][0] ^= 0xff;
    const v = failed(judge(tileCase, all, enc, res));
    expect([v.outcome, failureKind(v)]).toEqual(['stray_write', 'input_modified']);
    expect(failureMessage(v)).toMatch(/^packed A \(packing 0\) \(buffer \d+\) byte 0 changed from 0x[0-9a-f]+ to 0x[0-9a-f]+ \(an input the kernel must only read\)$/);

    ({ enc, res } = correct(tileCase, all));
    res.violations.push({ buf: 1, scratch: false, offset: -3, expected: 0xa5, got: 0 });
    const c = failed(judge(tileCase, all, enc, res));
    expect(failureKind(c)).toBe('out_of_tile_write');
    expect(failureMessage(c)).toBe(`write outside the buffer: ${enc.names[1]} (buffer 1) byte offset -3 (canary expected 0xa5, got 0x0); 1 canary byte(s) changed`);

    ({ enc, res } = correct(tileCase, all));
    res.rc = 7;
    expect(failureMessage(failed(judge(tileCase, all, enc, res)))).toBe('kernel returned 7 (only 0 = Done and 1 = unsupported op are defined)');

    ({ enc, res } = correct(tileCase, all));
    res.rc = 1; res.refusedOp = 2;
    expect(failureMessage(failed(judge(tileCase, all, enc, res)))).toBe('kernel returned 1 at chain[2] (scalar, tag 5) but declares every op of the chain');

    const r = correct(tileCase, noScalar);
    r.res.rc = 0;
    expect(failureMessage(failed(judge(tileCase, noScalar, r.enc, r.res)))).toBe('chain[2] (scalar) is not declared by k_noscalar, yet the kernel returned 0 (computed an op it does not implement)');

    ({ enc, res } = correct(tileCase, all));
    const want = res.buffers[input].length;
    res.buffers[input] = res.buffers[input].subarray(1);
    const e = failed(judge(tileCase, all, enc, res));
    expect(failureKind(e)).toBe('exec_error');
    expect(failureMessage(e)).toBe(`buffer ${input} came back with ${want - 1} bytes, expected ${want}`);
  });

  it('a fault in a guard is out_of_bounds_read / _write naming the buffer, side and offset', () => {
    const c: Case = { ...tileCase, chain: [{ op: 'clear' }, { op: 'per_col', bin: 'add', values: [1, 2] }, { op: 'store', item_size: 4 }] };
    let { enc, res } = correct(c, all);
    res.fault = { buf: 0, scratch: false, offset: 8, len: 8, access: 'read' };
    let v = failed(judge(c, all, enc, res));
    expect(failureKind(v)).toBe('out_of_bounds_read');
    expect(failureMessage(v)).toBe('reads past the end of chain[1] per_col values (buffer 0, nr = 2 i32, 8 bytes): byte offset 8');
    ({ enc, res } = correct(c, all));
    const store = enc.stores[0].buf;
    const len = enc.initial[store].length;
    res.fault = { buf: store, scratch: false, offset: -4096, len, access: 'write' };
    v = failed(judge(c, all, enc, res));
    expect(failureKind(v)).toBe('out_of_bounds_write');
    expect(failureMessage(v)).toBe(`writes 4096 byte(s) before the start of ${enc.names[store]} (buffer ${store}, 2 x 2 x 4 bytes, ${len} bytes): byte offset -4096`);
    // frame level: the executor's scratch in allocation order (chain, border copy of the vector, border tile of the store)
    const frame: Case = { ...c, level: 'frame', m: 3, n: 3, chain: [{ op: 'per_col', bin: 'add', values: [1, 2, 3] }, { op: 'add_mat_mul' }, { op: 'store', item_size: 4 }] };
    frame.a = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
    frame.b = [[1, 0, 0], [0, 1, 0], [1, 1, 1]];
    ({ enc, res } = correct(frame, all));
    const names = [0, 1, 2, 3, 4].map((id) => {
      res.fault = { buf: id, scratch: true, offset: 12, len: 8, access: 'access', tile: [1, 0] };
      return failureMessage(failed(judge(frame, all, enc, res)));
    });
    expect(names).toEqual([
      'accesses 5 byte(s) past the end of the chain (5 entries of 40 bytes, 8 bytes): byte offset 12, in tile (1, 0)',
      'accesses 5 byte(s) past the end of border copy of chain[0] per_col values (nr = 2 i32, 8 bytes): byte offset 12, in tile (1, 0)',
      'accesses 5 byte(s) past the end of packed A (packing 0) of chain[1] (2 panel(s), 8 bytes): byte offset 12, in tile (1, 0)',
      'accesses 5 byte(s) past the end of packed B (packing 0) of chain[1] (2 panel(s), 8 bytes): byte offset 12, in tile (1, 0)',
      `accesses 5 byte(s) past the end of border tile of ${enc.names[enc.stores[0].buf]} (2 x 2 x 4 bytes, 8 bytes): byte offset 12, in tile (1, 0)`,
    ]);
    expect(failureKind(failed(judge(frame, all, enc, res)))).toBe('out_of_bounds_write');
    // a fault wins over a calling-convention break of an earlier tile, and says so
    res.abi = { call: 0, items: [{ what: 'rbx', expected: 0x1234n, got: 0n }] };
    res.fault = { buf: 1, scratch: true, offset: 8, len: 8, access: 'read', tile: [1, 0] };
    v = failed(judge(frame, all, enc, res));
    expect(v.outcome).toBe('out_of_bounds');
    expect(verdictLine(v)).toBe(
      'out_of_bounds_read: reads past the end of border copy of chain[0] per_col values (nr = 2 i32, 8 bytes): byte offset 8, in tile (1, 0); ' +
        'the calling convention was broken too: rbx not preserved: expected 0x1234, got 0x0 (callee-saved, x86-64 SysV)',
    );
  });

  it('a calling-convention break is judged before the values, and says when they differ too', () => {
    let { enc, res } = correct(tileCase, all);
    res.abi = { call: 0, items: [{ what: 'rbx', expected: 0x1234n, got: 0n }, { what: 'df', expected: 0n, got: 1n }] };
    const v = failed(judge(tileCase, all, enc, res));
    expect([v.outcome, failureKind(v)]).toEqual(['abi_violation', 'abi_violation']);
    expect(verdictLine(v)).toBe('abi_violation: rbx not preserved: expected 0x1234, got 0x0 (callee-saved, x86-64 SysV); df left set: expected 0x0, got 0x1 (direction flag clear on return, x86-64 SysV)');

    ({ enc, res } = correct(tileCase, all));
    res.abi = { call: 3, items: [{ what: 'svcr.sm', expected: 0n, got: 1n }] };
    const s = enc.stores[0];
    res.buffers[s.buf][s.placement.base] ^= 1;
    const w = failed(judge(tileCase, all, enc, res));
    expect(w.outcome).toBe('abi_violation');
    expect(cellsOf(w)).toHaveLength(1);
    expect(failureMessage(w)).toMatch(/^svcr\.sm left on: expected 0x0, got 0x1 \(streaming mode off on return \(SMSTOP\), AAPCS64\) \(kernel call 3 of the frame walk\); the values are wrong too: mismatch: 1 cell\(s\) differ; first: store #0 \[0\]\[0\]/);
  });

  it('crash, hang and a fallback render as the reports print them', () => {
    const F = { ok: false, refused: false } as const;
    expect(failureMessage({ ...F, outcome: 'crash', kernel: 'k', signal: 'SIGSEGV', exitCode: null, stderrTail: ['a', 'b'] })).toBe('k crashed (SIGSEGV): a | b');
    expect(failureMessage({ ...F, outcome: 'crash', kernel: 'k', signal: null, exitCode: 3, stderrTail: [] })).toBe('k crashed (exit 3)');
    // a hang names its timeout and how it was derived; its family stays crash, its label is hang
    const timeout = callTimeout({ cells: 16, k: 64, matmuls: 1, ops: 2 }, {});
    const hang: FailedVerdict = { ...F, outcome: 'hang', kernel: 'k', stderrTail: [], timeout };
    const hangText = `no response within ${TIMEOUT_BASE_MS + 1} ms (timeout scaled to the case: ${TIMEOUT_BASE_MS} ms + 16 cells x (k 64 x 1 matmul(s) + 2 op(s)) / ${WORK_PER_MS} per ms; --timeout MS sets it)`;
    expect([failureKind(hang), failureLabel(hang), failureMessage(hang)]).toEqual(['crash', 'hang', hangText]);
    expect(verdictLine(hang)).toBe(`hang: ${hangText}`);
    expect(verdictRecord(hang)).toMatchObject({ kind: 'crash', label: 'hang', outcome: 'hang', timeout: { ms: TIMEOUT_BASE_MS + 1, basis: 'scaled' } });
    const fixed: FailedVerdict = { ...hang, timeout: callTimeout({ cells: 16, k: 64, matmuls: 1, ops: 2 }, { fixedMs: 500 }) };
    expect(failureMessage(fixed)).toBe('no response within 500 ms (--timeout 500)');
    const fb: FailedVerdict = { ...F, outcome: 'on_kernel', role: 'fallback', kernel: 'other', cause: hang };
    expect([failureKind(fb), failureLabel(fb), failureMessage(fb)]).toEqual(['crash', 'hang', `fallback other: ${hangText}`]);
    const crash: FailedVerdict = { ...F, outcome: 'crash', kernel: 'k', signal: 'SIGSEGV', exitCode: null, stderrTail: [] };
    expect(verdictLine(crash)).toBe('crash: k crashed (SIGSEGV)');
    expect(failureMessage({ ...F, outcome: 'pack_mismatch', packing: 1, side: 'b', mn: 3, k: 5, byte: 4, native: 0x10, oracle: 0 })).toBe('packing 1 side b (mn=3, k=5): byte 4 is 0x10, oracle 0x0');
  });
});
