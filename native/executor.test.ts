// The executor end to end: TS encoding -> host child -> addon -> bx_exec -> kernels from the
// test kernel library (native/test-kernels), and back.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KernelDesc } from './descriptor.js';
import { decodeResult, encodeLoadLib, encodePack, encodeRequest, ExecError, type ExecRequest } from './wire.js';
import { KernelCrash, type Backend } from './process.js';
import { addonPath, testKernelsPath } from './paths.js';
import { hostBackend } from './backends/host.js';
import {
  canary,
  i32Bytes,
  imm,
  op,
  packJs,
  POLICY_EVEN,
  ptr,
  readI32,
  rng,
  TAG,
  wrap32,
  BORDER,
  borderFrame,
  checkBorderFrame,
} from './test-helpers.js';

let backend: Backend;
let kernels: KernelDesc[];

beforeAll(async () => {
  for (const f of [addonPath(), testKernelsPath()])
    if (!existsSync(f)) throw new Error(`${f} is missing: build it with \`npm run build:native\``);
  backend = hostBackend({ timeoutMs: 20_000 });
  kernels = await backend.loadLib(testKernelsPath());
});

afterAll(async () => {
  await backend?.close();
});

const desc = (name: string): KernelDesc => {
  const d = kernels.find((k) => k.name === name);
  if (!d) throw new Error(`test kernel ${name} not loaded`);
  return d;
};

describe('protocol encoding', () => {
  it('encodes a TILE request byte for byte', () => {
    const bytes = encodeRequest({
      type: 'tile',
      kernel: 'ab',
      force: true,
      buffers: [{ data: new Uint8Array([7, 8]), ret: true }],
      ops: [op(TAG.store, ptr(0, 1), imm(-1n), imm(0xffff_ffff_0000_0001n))],
    });
    const dv = new DataView(bytes.buffer);
    let p = 0;
    const u32 = (): number => ((p += 4), dv.getUint32(p - 4, true));
    const i64 = (): bigint => ((p += 8), dv.getBigInt64(p - 8, true));
    expect(u32()).toBe(2); // TILE
    expect(u32()).toBe(2);
    expect([bytes[p++], bytes[p++]]).toEqual([0x61, 0x62]);
    expect(u32()).toBe(1); // FORCE
    expect([u32(), u32()]).toEqual([0, 0]);
    expect(u32()).toBe(1); // nbuf
    expect([u32(), u32(), bytes[p++], bytes[p++]]).toEqual([1, 2, 7, 8]);
    expect(u32()).toBe(1); // nops
    expect(u32()).toBe(TAG.store);
    expect([u32(), u32(), i64()]).toEqual([1, 0, 1n]); // PTR buf 0 offset 1
    expect([u32(), u32(), i64()]).toEqual([0, 0, -1n]);
    expect([u32(), u32(), i64()]).toEqual([0, 0, -(1n << 32n) + 1n]); // verbatim 64 bits
    expect([u32(), u32(), i64()]).toEqual([0, 0, 0n]); // missing word = IMM 0
    expect(p).toBe(bytes.length);
  });

  it('writes u64 tags (flag TAG64) only when a tag needs more than 32 bits', () => {
    const base: ExecRequest = { type: 'tile', kernel: 'ab', buffers: [], ops: [] };
    const narrow = encodeRequest({ ...base, ops: [op(TAG.clear), op(0xffff_ffffn)] });
    const wide = encodeRequest({ ...base, ops: [op(TAG.clear), op(1n << 40n)] });
    const dv = (b: Uint8Array): DataView => new DataView(b.buffer);
    const flagsAt = 4 + 4 + 2;
    const opsAt = flagsAt + 4 + 8 + 4 + 4; // flags, m, n, nbuf, nops
    expect(dv(narrow).getUint32(flagsAt, true)).toBe(0);
    expect(dv(narrow).getUint32(opsAt, true)).toBe(TAG.clear);
    expect(narrow.length).toBe(opsAt + 2 * (4 + 4 * 16));
    expect(dv(wide).getUint32(flagsAt, true)).toBe(8); // TAG64
    expect(dv(wide).getBigUint64(opsAt, true)).toBe(BigInt(TAG.clear));
    expect(dv(wide).getBigUint64(opsAt + 8 + 4 * 16, true)).toBe(1n << 40n);
    expect(wide.length).toBe(opsAt + 2 * (8 + 4 * 16));
    expect(() => encodeRequest({ ...base, ops: [op(1n << 64n)] })).toThrow(/op 0 tag: 18446744073709551616 is not a u64/);
    expect(() => encodeRequest({ ...base, ops: [op(-1n)] })).toThrow(RangeError);
  });

  it('rejects values that do not fit on the TS side', () => {
    const base: ExecRequest = { type: 'tile', kernel: 'x', buffers: [], ops: [] };
    expect(() => encodeRequest({ ...base, ops: [op(1, imm(1n << 64n))] })).toThrow(RangeError);
    expect(() => encodeRequest({ ...base, ops: [op(1, imm(0), imm(0), imm(0), imm(0), imm(0))] })).toThrow(RangeError);
    expect(() => encodeRequest({ ...base, type: 'frame' })).toThrow(TypeError);
  });

  it('decodes a TILE response with violations and returned buffers', () => {
    const r = new Uint8Array(4 + 8 + 4 + 4 + 2 * 14 + 4 + 4 + 4 + 3 + 4 + 4 + 4 + 3 + 16 + 4); // ... abi, then no fault (u32 0)
    const dv = new DataView(r.buffer);
    let p = 0;
    const u32 = (v: number): void => (dv.setUint32(p, v, true), void (p += 4));
    const i64 = (v: bigint): void => (dv.setBigInt64(p, v, true), void (p += 8));
    u32(0); i64(1n); u32(0xffff_ffff);
    u32(2);
    u32(1); i64(-3n); r[p++] = 0xa5; r[p++] = 0;
    u32(0x8000_0002); i64(70n); r[p++] = 1; r[p++] = 2;
    u32(2); u32(0); u32(3); r.set([9, 8, 7], p); p += 3;
    u32(0); u32(1); u32(3); r.set([0x72, 0x62, 0x78], p); p += 3; i64(5n); i64(-1n); // call 0: rbx 5 -> 2^64-1
    u32(0);
    expect(p).toBe(r.length);
    expect(decodeResult(r)).toEqual({
      rc: 1,
      refusedOp: -1,
      violations: [
        { buf: 1, scratch: false, offset: -3, expected: 0xa5, got: 0 },
        { buf: 2, scratch: true, offset: 70, expected: 1, got: 2 },
      ],
      buffers: [new Uint8Array(0), new Uint8Array([9, 8, 7])],
      abi: { call: 0, items: [{ what: 'rbx', expected: 5n, got: (1n << 64n) - 1n }] },
    });
  });

  it('decodes a FRAME response in record order: buffers, abi, fault, then the trace', () => {
    const r = new Uint8Array(4 + 8 + 4 + 4 + 4 + 4 + 4 + 4 + (4 + 4 + 8 + 8 + 4 + 4 + 4) + 4 + 12 + 4 + 4 * 16);
    const dv = new DataView(r.buffer);
    let p = 0;
    const u32 = (v: number): void => (dv.setUint32(p, v, true), void (p += 4));
    const i64 = (v: bigint): void => (dv.setBigInt64(p, v, true), void (p += 8));
    u32(0); i64(0n); u32(0xffff_ffff); u32(0); // OK, rc 0, refused_op -1, no violations
    u32(1); u32(0); // one buffer, not returned
    u32(0xffff_ffff); u32(0); // abi: no break
    u32(1); u32(0x8000_0001); i64(64n); i64(64n); u32(1); u32(0); u32(1); // fault: scratch 1, write past the end, tile (0, 1)
    u32(1); u32(0); u32(1); u32(1); // trace: one tile (0, 1), one entry
    u32(TAG.clear);
    for (let k = 0; k < 4; k++) { u32(0); u32(0); i64(0n); }
    expect(p).toBe(r.length);
    expect(decodeResult(r, true)).toEqual({
      rc: 0,
      refusedOp: -1,
      violations: [],
      buffers: [new Uint8Array(0)],
      abi: null,
      fault: { buf: 1, scratch: true, offset: 64, len: 64, access: 'write', tile: [0, 1] },
      trace: [{ ti: 0, tj: 1, chain: [{ tag: TAG.clear, words: Array.from({ length: 4 }, () => ({ kind: 'imm', value: 0n })) }] }],
    });
  });

  it('turns an ERROR response into ExecError with the executor message', () => {
    const msg = Buffer.from('boom');
    const r = new Uint8Array(8 + msg.length);
    new DataView(r.buffer).setUint32(0, 1, true);
    new DataView(r.buffer).setUint32(4, msg.length, true);
    r.set(msg, 8);
    expect(() => decodeResult(r)).toThrow(new ExecError('boom'));
  });
});

describe('LIST and LOAD_LIB', () => {
  it('lists builtin kernels with descriptors, runnable and why', async () => {
    const list = await backend.list();
    expect(list.length).toBeGreaterThan(kernels.length);
    for (const d of list) {
      expect(d.name).toMatch(/_i32_\d+x\d+/);
      expect(d.mr).toBeGreaterThan(0);
      expect(d.packings.length).toBeGreaterThan(0);
      for (const p of d.packings) {
        expect(p.a.r).toBe(d.mr);
        expect(p.b.r).toBe(d.nr);
      }
      for (const t of [0, 1, 27, 28]) expect(d.supported_ops).toContain(t);
      expect(typeof d.runnable).toBe('boolean');
      if (d.runnable) expect(d.why).toBe('');
      else expect(d.why).not.toBe('');
      expect(d.backend).toBe('host');
    }
    expect(list.some((d) => d.name === 'generic_i32_4x4')).toBe(true);
  });

  it('loads the test library once and describes its kernels', async () => {
    expect(desc('test_ref_i32_4x4')).toMatchObject({
      isa: 'test',
      mr: 4,
      nr: 4,
      runnable: true,
      why: '',
      packings: [
        { a: { kind: 'packed_format', r: 4, align: 16, end_padding_record: 1 }, k_alignment: 1 },
        { a: { kind: 'packed_i8k4', r: 4 }, b: { kind: 'packed_i8k4', r: 4 }, k_alignment: 4 },
      ],
    });
    expect(desc('test_minimal_i32_4x4').supported_ops).toEqual([0, 1, 27, 28]);
    expect(desc('test_unsupported_i32_4x4')).toMatchObject({ runnable: false, why: expect.stringContaining('never supported') });
    // Loading again is idempotent.
    expect((await backend.loadLib(testKernelsPath())).map((d) => d.name)).toEqual(kernels.map((d) => d.name));
  });

  it('reports dlopen failures', async () => {
    await expect(backend.loadLib('/nonexistent/lib.so')).rejects.toThrow(/dlopen.*nonexistent/);
    await expect(backend.loadLib(addonPath())).rejects.toThrow(/does not export bitexact_kernels/);
  });
});

describe('PACK', () => {
  const shapes: [number, number][] = [[1, 1], [4, 4], [5, 7], [7, 9], [3, 0], [9, 17], [16, 3]];
  for (const name of ['test_ref_i32_4x4', 'test_ref_i32_3x5'])
    for (const packing of [0, 1])
      for (const side of ['a', 'b'] as const)
        it(`${name} packing ${packing} side ${side} matches the SPEC formulas`, async () => {
          const d = desc(name);
          const f = side === 'a' ? d.packings[packing]!.a : d.packings[packing]!.b;
          const g = rng(mnSeed(name, packing, side));
          for (const [mn, k] of shapes) {
            const data = Int8Array.from({ length: mn * k }, () => g.i8());
            const got = await backend.pack(name, packing, side, mn, k, data);
            expect(got, `${mn} x ${k}`).toEqual(packJs(f, side, mn, k, data));
          }
        });

  it('lays out a tiny operand exactly (hand-checked)', async () => {
    // A = [[1, 2, 3], [4, 5, 6]] (2 x 3); PackedFormat(4, 16, 1): panel_len = ceil(4*4/16)*16 = 16.
    const a = Int8Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await backend.pack('test_ref_i32_4x4', 0, 'a', 2, 3, a))).toEqual([
      1, 4, 0, 0, 2, 5, 0, 0, 3, 6, 0, 0, 0, 0, 0, 0,
    ]);
    // PackedI8K4(4): kp = 4, panel_len = 16, lane-major groups of 4 k.
    expect(Array.from(await backend.pack('test_ref_i32_4x4', 1, 'a', 2, 3, a))).toEqual([
      1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('rejects bad PACK requests', async () => {
    await expect(backend.pack('test_ref_i32_4x4', 2, 'a', 1, 1, new Int8Array(1))).rejects.toThrow(/packing 2/);
    await expect(backend.pack('test_ref_i32_4x4', 0, 'a', 2, 2, new Int8Array(3))).rejects.toThrow(/needs 4/);
    await expect(backend.pack('nope', 0, 'a', 1, 1, new Int8Array(1))).rejects.toThrow(/unknown kernel 'nope'/);
  });
});

function mnSeed(name: string, packing: number, side: string): number {
  return [...`${name}${packing}${side}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
}

describe('TILE', () => {
  // acc = A*B over packed panels, then + rowcol products, Sub (x - acc), ShiftLeft, Store i32.
  async function knownTile(kernel: string, packed: { a: Uint8Array; b: Uint8Array }, k: number, A: number[][], B: number[][]): Promise<void> {
    const rows = [1, -2, 3, 40000];
    const cols = [3, 5, -7, 11];
    const res = await backend.exec({
      type: 'tile',
      kernel,
      buffers: [
        { data: packed.a, ret: false },
        { data: packed.b, ret: false },
        { data: i32Bytes(rows), ret: false },
        { data: i32Bytes(cols), ret: false },
        { data: new Uint8Array(64).fill(0xee), ret: true },
      ],
      ops: [
        op(TAG.load_tile, ptr(4), ptr(4)), // garbage accumulator first
        op(TAG.clear),
        op(TAG.add_mat_mul, imm(k), ptr(0), ptr(1), imm(0)),
        op(TAG.add_row_col_products, ptr(2), ptr(3)),
        op(TAG.scalar_sub, imm((0xdead_beefn << 32n) | 100n)), // garbage in bytes 12..15
        op(TAG.shift_left, imm(1)),
        op(TAG.store, ptr(4), imm(16), imm(4), imm(4)),
      ],
    });
    expect(res.rc).toBe(0);
    expect(res.violations).toEqual([]);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        let acc = 0n;
        for (let kk = 0; kk < k; kk++) acc += BigInt(A[i]![kk]! * B[kk]![j]!);
        acc = BigInt(wrap32(acc + BigInt(rows[i]!) * BigInt(cols[j]!)));
        acc = BigInt(wrap32(100n - acc));
        expect(readI32(res.buffers[4]!, (i * 4 + j) * 4), `(${i}, ${j})`).toBe(wrap32(acc << 1n));
      }
  }

  it('runs a known chain on the reference test kernel and on the builtin scalar kernel', async () => {
    const g = rng(42);
    const k = 6;
    const A = Array.from({ length: 4 }, () => Array.from({ length: k }, () => g.i8()));
    const B = Array.from({ length: k }, () => Array.from({ length: 4 }, () => g.i8()));
    const list = await backend.list();
    const names = ['test_ref_i32_4x4', ...list.filter((d) => d.name === 'generic_i32_4x4').map((d) => d.name)];
    for (const name of names) {
      const d = list.find((x) => x.name === name) ?? desc(name);
      const pk = d.packings[0]!;
      const a = packJs(pk.a, 'a', 4, k, Int8Array.from(A.flat()));
      const b = packJs(pk.b, 'b', 4, k, Int8Array.from(B.flat()));
      await knownTile(name, { a, b }, k, A, B);
    }
  });

  it('reports rc 1 when the kernel meets an op it does not implement', async () => {
    const res = await backend.exec({
      type: 'tile',
      kernel: 'test_minimal_i32_4x4',
      buffers: [{ data: new Uint8Array(64), ret: true }],
      ops: [op(TAG.clear), op(TAG.scalar_add, imm(1)), op(TAG.store, ptr(0), imm(16), imm(4), imm(4))],
    });
    expect(res.rc).toBe(1);
    expect(res.refusedOp).toBe(-1);
    expect(res.buffers[0]).toEqual(new Uint8Array(64)); // stopped before Store
  });

  it('passes a tag of no op through to the kernel, all 64 bits of it (TILE)', async () => {
    const chain = (tag: bigint) => [op(TAG.clear), op(TAG.scalar_add, imm(3)), op(tag), op(TAG.store, ptr(0), imm(16), imm(4), imm(4))];
    // 2^32 + 27: store in the low half, so a tag narrowed to 32 bits would run as a Store
    for (const tag of [29n, 63n, 64n, 255n, (1n << 32n) + 27n, 1n << 40n, (1n << 63n) - 1n, (1n << 64n) - 1n]) {
      const res = await backend.exec({ type: 'tile', kernel: 'test_ref_i32_4x4', buffers: [{ data: new Uint8Array(64), ret: true }], ops: chain(tag) });
      expect(res.rc, `tag ${tag}`).toBe(1);
      expect(res.buffers[0], `tag ${tag}`).toEqual(new Uint8Array(64));
      // the kernel that skips unknown tags runs the Store after it
      const skip = await backend.exec({ type: 'tile', kernel: 'test_skiptag_i32_4x4', buffers: [{ data: new Uint8Array(64), ret: true }], ops: chain(tag) });
      expect(skip.rc, `tag ${tag}`).toBe(0);
      expect(readI32(skip.buffers[0]!, 0)).toBe(3);
    }
  });

  it('refuses a kernel not supported here unless FORCE', async () => {
    const req: ExecRequest = {
      type: 'tile',
      kernel: 'test_unsupported_i32_4x4',
      buffers: [{ data: new Uint8Array(64), ret: true }],
      ops: [op(TAG.clear), op(TAG.scalar_add, imm(7)), op(TAG.store, ptr(0), imm(16), imm(4), imm(4))],
    };
    await expect(backend.exec(req)).rejects.toThrow(/not supported here: test kernel: never supported/);
    const res = await backend.exec({ ...req, force: true });
    expect(res.rc).toBe(0);
    expect(readI32(res.buffers[0]!, 60)).toBe(7);
  });

  it('stops a store one row past the tile at the page end of the buffer', async () => {
    const res = await backend.exec({
      type: 'tile',
      kernel: 'test_oob_i32_4x4',
      buffers: [{ data: new Uint8Array(64), ret: true }],
      ops: [op(TAG.clear), op(TAG.scalar_add, imm(0x11223344)), op(TAG.store, ptr(0), imm(16), imm(4), imm(4))],
    });
    expect(res.fault).toEqual({ buf: 0, scratch: false, offset: 64, len: 64, access: 'write', tile: undefined });
  });

  it('reports a store one row past the tile as canary violations at the right offsets (buffer at its page start)', async () => {
    const res = await backend.exec({
      type: 'tile',
      kernel: 'test_oob_i32_4x4',
      guardStart: true,
      buffers: [{ data: new Uint8Array(64), ret: true }],
      ops: [op(TAG.clear), op(TAG.scalar_add, imm(0x11223344)), op(TAG.store, ptr(0), imm(16), imm(4), imm(4))],
    });
    expect(res.rc).toBe(0);
    expect(res.fault).toBeUndefined();
    // The extra row is bytes 64..79: the first 16 bytes of the trailing guard.
    const written = [0x44, 0x33, 0x22, 0x11];
    const expected = [];
    for (let i = 0; i < 16; i++)
      if (written[i % 4] !== canary(i)) expected.push({ buf: 0, scratch: false, offset: 64 + i, expected: canary(i), got: written[i % 4] });
    expect(expected.length).toBeGreaterThan(12);
    expect(res.violations).toEqual(expected);
  });

  it('reports writes before a buffer with negative offsets', async () => {
    // Store with a negative row stride starting at row 0 of a 4-row buffer: rows go upwards.
    const res = await backend.exec({
      type: 'tile',
      kernel: 'test_ref_i32_4x4',
      buffers: [{ data: new Uint8Array(16), ret: true }],
      ops: [op(TAG.clear), op(TAG.scalar_add, imm(-1)), op(TAG.store, ptr(0, 0), imm(-16), imm(4), imm(4))],
    });
    const offs = res.violations.map((v) => v.offset);
    expect(offs.length).toBeGreaterThan(0);
    expect(Math.min(...offs)).toBe(-48);
    expect(Math.max(...offs)).toBe(-1);
  });

  it('reports a kernel writing into its chain', async () => {
    const res = await backend.exec({
      type: 'tile',
      kernel: 'test_chainwrite_i32_4x4',
      buffers: [{ data: new Uint8Array(64), ret: false }],
      ops: [op(TAG.clear), op(TAG.store, ptr(0), imm(16), imm(4), imm(4))],
    });
    // Entry 0 (Clear), payload word 3 (+32): low byte flipped.
    expect(res.violations).toEqual([{ buf: 0, scratch: true, offset: 32, expected: 0, got: 0xff }]);
  });
});

describe('crash isolation', () => {
  const crashy = (kernel: string): ExecRequest => ({
    type: 'tile',
    kernel,
    buffers: [{ data: new Uint8Array(64), ret: true }, { data: new Uint8Array(64), ret: false }],
    ops: [op(TAG.clear), op(TAG.add_mat_mul, imm(1), ptr(1), ptr(1), imm(0)), op(TAG.store, ptr(0), imm(16), imm(4), imm(4))],
  });

  async function stillWorks(b: Backend): Promise<void> {
    // The restarted child has the test library again (LOAD_LIB replayed).
    const res = await b.exec({
      type: 'tile',
      kernel: 'test_ref_i32_4x4',
      buffers: [{ data: new Uint8Array(64), ret: true }],
      ops: [op(TAG.clear), op(TAG.scalar_add, imm(3)), op(TAG.store, ptr(0), imm(16), imm(4), imm(4))],
    });
    expect(readI32(res.buffers[0]!, 0)).toBe(3);
  }

  it('reports a SIGSEGV as KernelCrash and keeps working', async () => {
    const err = await backend.exec(crashy('test_crash_i32_4x4')).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KernelCrash);
    expect(err).toMatchObject({ signal: 'SIGSEGV', timedOut: false, exitCode: null });
    await stillWorks(backend);
  });

  it('kills a hanging kernel after the timeout and keeps working', async () => {
    const b = hostBackend({ timeoutMs: 1500 });
    try {
      await b.loadLib(testKernelsPath());
      const t0 = Date.now();
      const err = await b.exec(crashy('test_hang_i32_4x4')).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KernelCrash);
      expect(err).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
      expect(Date.now() - t0).toBeLessThan(10_000);
      await stillWorks(b);
    } finally {
      await b.close();
    }
  });

  it('serializes concurrent calls, a crash failing only its own request', async () => {
    const okReq = (v: number): ExecRequest => ({
      type: 'tile',
      kernel: 'test_ref_i32_4x4',
      buffers: [{ data: new Uint8Array(64), ret: true }],
      ops: [op(TAG.clear), op(TAG.scalar_add, imm(v)), op(TAG.store, ptr(0), imm(16), imm(4), imm(4))],
    });
    const results = await Promise.allSettled([
      backend.exec(okReq(1)),
      backend.exec(crashy('test_crash_i32_4x4')),
      backend.exec(okReq(2)),
      backend.list(),
      backend.exec(okReq(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    const vals = [0, 2, 4].map((i) => readI32((results[i] as PromiseFulfilledResult<{ buffers: Uint8Array[] }>).value.buffers[0]!, 0));
    expect(vals).toEqual([1, 2, 3]);
  });

  it('reports a runner that cannot start', async () => {
    const { stdioBackend } = await import('./process.js');
    const b = stdioBackend('nothing', ['/nonexistent/runner']);
    await expect(b.list()).rejects.toThrow(/cannot run/);
    await b.close();
  });
});

describe('malformed requests', () => {
  it('answers ERROR with a clear message through the backend', async () => {
    const tile = (over: Partial<ExecRequest>): Promise<unknown> =>
      backend.exec({ type: 'tile', kernel: 'test_ref_i32_4x4', buffers: [{ data: new Uint8Array(8), ret: false }], ops: [], ...over });
    await expect(tile({ kernel: 'no_such_kernel' })).rejects.toThrow(new ExecError("unknown kernel 'no_such_kernel' (LIST shows the registered ones)"));
    await expect(tile({ ops: [op(TAG.store, ptr(0, 9))] })).rejects.toThrow(/op 0 word 0: PTR offset 9 outside \[0, 8\] of buffer 0/);
    await expect(tile({ ops: [op(TAG.store, ptr(1, 0))] })).rejects.toThrow(/PTR to buffer 1, but there are 1 buffers/);
    await expect(tile({ ops: [op(TAG.store, ptr(0, -1))] })).rejects.toThrow(/PTR offset -1/);
    const frame = (ops: ExecRequest['ops'], m = 5, n = 7): Promise<unknown> =>
      backend.exec({ type: 'frame', kernel: 'test_ref_i32_4x4', m, n, buffers: [{ data: new Uint8Array(35), ret: false }], ops });
    await expect(frame([op(TAG.load_tile, ptr(0), ptr(0))])).rejects.toThrow(/op 0 \(load_tile\): load_tile is a tile-level op only/);
    await expect(frame([op(TAG.store, ptr(0), imm(7), imm(1), imm(3))])).rejects.toThrow(/item_size 3 is not one of 1, 2, 4/);
    await expect(frame([op(TAG.add_unicast, ptr(0), imm(7), imm(1), imm(2))])).rejects.toThrow(/item_size 2 is not one of 1, 4/);
    await expect(frame([op(TAG.store, ptr(0), imm(7), imm(1), imm(4))])).rejects.toThrow(/span bytes \[0, 38\) of buffer 0, which has 35/);
    await expect(frame([op(TAG.store, ptr(0, 34), imm(-7), imm(-1), imm(1))])).resolves.toBeDefined();
    await expect(frame([op(TAG.store, ptr(0, 33), imm(-7), imm(-1), imm(1))])).rejects.toThrow(/span bytes \[-1, 34\)/);
    await expect(frame([op(TAG.per_row_add, ptr(0, 20))])).rejects.toThrow(/needs 20 bytes from offset 20 but buffer 0 has 35/);
    await expect(frame([op(TAG.scalar_add, ptr(0))])).rejects.toThrow(/op 0 \(scalar_add\): word 0 must be IMM/);
    await expect(frame([op(TAG.add_mat_mul, imm(5), ptr(0), ptr(0), imm(2))])).rejects.toThrow(/packing 2: kernel test_ref_i32_4x4 declares 2 packing/);
    await expect(frame([op(TAG.add_mat_mul, imm(8), ptr(0), ptr(0), imm(0))])).rejects.toThrow(/word 1 needs 40 bytes/);
    await expect(frame([op(99)])).rejects.toThrow(/unknown tag 99/);
    await expect(frame([op((1n << 32n) + BigInt(TAG.clear))])).rejects.toThrow(/op 0 \(unknown\): unknown tag 4294967297/);
    await expect(frame([op(TAG.done)])).rejects.toThrow(/Done is appended by the executor/);
    await expect(frame([], 0, 7)).rejects.toThrow(/m = 0, n = 7: both must be in 1\.\./);
  });

  it('answers every truncation and bad field of a request with ERROR, in-process', () => {
    const addon = createRequire(import.meta.url)(addonPath()) as { exec(b: Uint8Array): Buffer };
    const errorOf = (b: Uint8Array): string => {
      const r = addon.exec(b);
      expect(r.readUInt32LE(0), 'status').toBe(1);
      return r.subarray(8, 8 + r.readUInt32LE(4)).toString();
    };
    const frame = encodeRequest({
      type: 'frame',
      kernel: 'test_ref_i32_4x4',
      m: 5,
      n: 7,
      buffers: [{ data: new Uint8Array(35), ret: true }, { data: new Uint8Array(35), ret: false }],
      ops: [op(TAG.add_mat_mul, imm(5), ptr(1), ptr(1), imm(0)), op(TAG.store, ptr(0), imm(7), imm(1), imm(1))],
    });
    expect(addon.exec(encodeLoadLib(testKernelsPath())).readUInt32LE(0)).toBe(0); // this process
    const full = addon.exec(frame);
    expect(full.readUInt32LE(0)).toBe(0);
    for (const req of [frame, encodePack('test_ref_i32_4x4', 0, 'a', 2, 3, new Int8Array(6)), encodeLoadLib(testKernelsPath())])
      for (let len = 0; len < req.length; len++) expect(errorOf(req.subarray(0, len))).toMatch(/truncated request|path must be/);
    const extra = new Uint8Array(frame.length + 1);
    extra.set(frame);
    expect(errorOf(extra)).toBe('FRAME request has 1 trailing bytes after its body');
    expect(errorOf(Uint8Array.from([1, 0, 0, 0, 0]))).toMatch(/LIST request has 1 trailing/);
    expect(errorOf(Uint8Array.from([42, 0, 0, 0]))).toMatch(/unknown request type 42/);
    const flags = frame.slice();
    flags[8 + 'test_ref_i32_4x4'.length] = 0x80; // flags word: unknown bit
    expect(errorOf(flags)).toMatch(/FRAME: unknown flag bits 0x80/);
    const tileTrace = encodeRequest({ type: 'tile', kernel: 'test_ref_i32_4x4', buffers: [], ops: [] });
    tileTrace[8 + 'test_ref_i32_4x4'.length] = 4; // TRACE is a FRAME flag
    expect(errorOf(tileTrace)).toMatch(/TILE: unknown flag bits 0x4/);
    const kind = frame.slice();
    // first word kind of op 0: after header, buffers, nops and tag
    const wordAt = 4 + 4 + 16 + 4 + 8 + 4 + (8 + 35) * 2 + 4 + 4;
    kind[wordAt] = 7;
    expect(errorOf(kind)).toMatch(/op 0 word 0: unknown word kind 7/);
    const immBuf = frame.slice();
    immBuf[wordAt + 4] = 1; // IMM with a buffer index
    expect(errorOf(immBuf)).toMatch(/IMM word with buf = 1/);
    // Hostile lengths never allocate or read beyond the request.
    expect(errorOf(Uint8Array.from([2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]))).toMatch(/truncated request: kernel_name needs 4294967295 bytes/);
    expect(errorOf(Uint8Array.from([5, 0, 0, 0, 0, 0, 0, 0]))).toMatch(/path must be 1\.\.4096 bytes/);
  });
});

describe('FRAME', () => {
  const { m, n, k } = BORDER;
  for (const kernel of ['test_ref_i32_4x4', 'test_ref_i32_3x5'])
    for (const packing of [0, 1])
      it(`${kernel} packing ${packing}: m=${m} n=${n} k=${k} with border tiles`, async () => {
        const res = await backend.exec(borderFrame(kernel, packing));
        checkBorderFrame(res);
      });

  it('walks exact multiples without scratch and broadcasts a zero-stride add_unicast', async () => {
    const res = await backend.exec({
      type: 'frame',
      kernel: 'test_ref_i32_4x4',
      m: 8,
      n: 4,
      buffers: [{ data: i32Bytes([1000]), ret: false }, { data: new Uint8Array(8 * 4 * 2), ret: true }],
      ops: [op(TAG.add_unicast, ptr(0), imm(0), imm(0), imm(4)), op(TAG.scalar_mul, imm(-3)), op(TAG.store, ptr(1), imm(8), imm(2), imm(2))],
    });
    expect(res.violations).toEqual([]);
    const dv = new DataView(res.buffers[1]!.buffer);
    for (let e = 0; e < 32; e++) expect(dv.getInt16(e * 2, true)).toBe(-3000);
  });

  it('refuses a chain with an op the kernel does not declare, before running anything', async () => {
    const res = await backend.exec({
      type: 'frame',
      kernel: 'test_minimal_i32_4x4',
      m: 5,
      n: 7,
      buffers: [{ data: new Uint8Array(35).fill(9), ret: true }],
      ops: [op(TAG.clear), op(TAG.store, ptr(0), imm(7), imm(1), imm(1)), op(TAG.scalar_add, imm(1)), op(TAG.store, ptr(0), imm(7), imm(1), imm(1))],
    });
    expect(res).toMatchObject({ rc: 1, refusedOp: 2, violations: [] });
    expect(res.buffers[0]).toEqual(new Uint8Array(35).fill(9)); // the first Store never ran
  });

  it('stops a border-tile store overflow at the page end of the scratch tile', async () => {
    const res = await backend.exec({
      type: 'frame',
      kernel: 'test_oob_i32_4x4',
      m: 5,
      n: 7,
      buffers: [{ data: new Uint8Array(35 * 4), ret: true }],
      ops: [op(TAG.scalar_add, imm(0x01020304)), op(TAG.store, ptr(0), imm(28), imm(4), imm(4))],
    });
    // tile (0, 0) is full (its extra row is row 4 of the user's buffer); tile (0, 1) is a border tile
    expect(res.fault).toEqual({ buf: 1, scratch: true, offset: 64, len: 64, access: 'write', tile: [0, 1] });
  });

  it('reports the fault and traces the walk up to the faulting tile', async () => {
    const res = await backend.exec({
      type: 'frame',
      kernel: 'test_oob_i32_4x4',
      trace: true,
      m: 5,
      n: 7,
      buffers: [{ data: new Uint8Array(35 * 4), ret: true }],
      ops: [op(TAG.scalar_add, imm(0x01020304)), op(TAG.store, ptr(0), imm(28), imm(4), imm(4))],
    });
    expect(res.abi).toBeNull();
    expect(res.fault).toEqual({ buf: 1, scratch: true, offset: 64, len: 64, access: 'write', tile: [0, 1] });
    expect(res.trace?.map((t) => [t.ti, t.tj])).toEqual([[0, 0], [0, 1]]);
  });

  it('reports a border-tile store overflow in the scratch tile, and full-tile ones in the user buffer', async () => {
    const res = await backend.exec({
      type: 'frame',
      kernel: 'test_oob_i32_4x4',
      guardStart: true,
      m: 5,
      n: 7,
      buffers: [{ data: new Uint8Array(35 * 4), ret: true }],
      ops: [op(TAG.scalar_add, imm(0x01020304)), op(TAG.store, ptr(0), imm(28), imm(4), imm(4))],
    });
    expect(res.rc).toBe(0);
    // Scratch ids: 0 chain, 1 the store's border tile (mr x nr x 4 = 64 bytes).
    const scratch = res.violations.filter((v) => v.scratch);
    expect(scratch.length).toBeGreaterThan(0);
    expect(scratch.every((v) => v.buf === 1 && v.offset >= 64 && v.offset < 80)).toBe(true);
    // Tile (0, 0) is full: its extra row 4 lands inside the user's buffer (row 4 is valid, so
    // no canary is hit), then tile (1, 0) overwrites it; the result must still be right.
    expect(res.violations.filter((v) => !v.scratch)).toEqual([]);
    for (let e = 0; e < 35; e++) expect(readI32(res.buffers[0]!, e * 4)).toBe(0x01020304);
  });

  it('stops at the first tile whose kernel call fails', async () => {
    const res = await backend.exec({
      type: 'frame',
      kernel: 'test_ref_i32_4x4',
      m: 5,
      n: 7,
      buffers: [{ data: new Uint8Array(35).fill(1), ret: true }],
      // RoundingShiftRight with shift 0 is outside the domain: the reference kernel returns 1.
      ops: [op(TAG.rounding_shift_right, imm(0), imm(POLICY_EVEN)), op(TAG.store, ptr(0), imm(7), imm(1), imm(1))],
    });
    expect(res).toMatchObject({ rc: 1, refusedOp: -1 });
    expect(res.buffers[0]).toEqual(new Uint8Array(35).fill(1));
  });
});
