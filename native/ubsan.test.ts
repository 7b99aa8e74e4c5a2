// The executor built as a host stdin/stdout runner with -fsanitize=undefined
// -fno-sanitize-recover=all (native/Makefile `ubsan`): any undefined behaviour in request
// parsing, packing, the frame or the builtin kernels aborts the runner and fails here.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeList, encodeLoadLib, encodePack, encodeRequest, ExecError } from './wire.js';
import { stdioBackend, type Backend } from './process.js';
import { PKG_ROOT, testKernelsPath } from './paths.js';
import { borderFrame, checkBorderFrame, imm, op, ptr, readI32, rng, TAG } from './test-helpers.js';

const runner = path.join(PKG_ROOT, 'build', 'host-ubsan', 'bitexact-runner');
// The runner speaks on descriptors 3 and 4 (native/PROTOCOL.md): a batch of frames goes in on
// stdin and the responses come out on stdout through the shell's redirections (kernel output
// discarded).
const STDIO_BRIDGE = 'exec "$0" 3<&0 4>&1 </dev/null >/dev/null';
let backend: Backend;

beforeAll(() => {
  try {
    execFileSync('make', ['-C', path.join(PKG_ROOT, 'native'), 'ubsan'], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`make -C native ubsan failed:\n${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? err.message}`);
  }
  if (!existsSync(testKernelsPath())) throw new Error(`${testKernelsPath()} is missing: run \`npm run build:native\``);
  backend = stdioBackend('host-ubsan', [runner], { timeoutMs: 60_000 });
});

afterAll(async () => {
  await backend?.close();
});

describe('UBSan host runner', () => {
  it('answers LIST and a border-shape FRAME on the reference test kernel', async () => {
    const builtins = await backend.list();
    expect(builtins.length).toBeGreaterThan(0);
    await backend.loadLib(testKernelsPath());
    for (const kernel of ['test_ref_i32_4x4', 'test_ref_i32_3x5'])
      for (const packing of [0, 1]) checkBorderFrame(await backend.exec(borderFrame(kernel, packing)));
  });

  it('runs a FRAME through every runnable builtin kernel', async () => {
    const g = rng(99);
    for (const d of (await backend.list()).filter((x) => x.runnable && x.isa !== 'test')) {
      const m = d.mr + 1;
      const n = d.nr * 2 - 1;
      const k = 13;
      const A = Int8Array.from({ length: m * k }, () => g.i8());
      const B = Int8Array.from({ length: k * n }, () => g.i8());
      const res = await backend.exec({
        type: 'frame',
        kernel: d.name,
        m,
        n,
        buffers: [
          { data: new Uint8Array(A.buffer), ret: false },
          { data: new Uint8Array(B.buffer), ret: false },
          { data: new Uint8Array(m * n * 4), ret: true },
        ],
        ops: [op(TAG.add_mat_mul, imm(k), ptr(0), ptr(1), imm(0)), op(TAG.store, ptr(2), imm(n * 4), imm(4), imm(4))],
      });
      expect(res.violations, d.name).toEqual([]);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let kk = 0; kk < k; kk++) acc += A[i * k + kk]! * B[kk * n + j]!;
          expect(readI32(res.buffers[2]!, (i * n + j) * 4), `${d.name} (${i}, ${j})`).toBe(acc);
        }
    }
  });

  it('answers ERROR for malformed requests', async () => {
    await expect(backend.exec({ type: 'frame', kernel: 'test_ref_i32_4x4', m: 5, n: 7, buffers: [], ops: [op(TAG.store, ptr(0))] })).rejects.toThrow(ExecError);
    await expect(backend.pack('test_ref_i32_4x4', 0, 'b', 3, 3, new Int8Array(8))).rejects.toThrow(/needs 9/);
  });

  it('survives every truncation of valid requests, in one process', () => {
    // Frames are written back to back on stdin; the runner must answer each with ERROR and
    // exit 0 at EOF (UBSan would abort it with a non-zero status).
    const valid = [
      encodeList(),
      encodeLoadLib(testKernelsPath()),
      encodePack('test_ref_i32_4x4', 1, 'a', 5, 7, new Int8Array(35)),
      encodeRequest(borderFrame('test_ref_i32_4x4', 0)),
      encodeRequest({
        type: 'tile',
        kernel: 'test_ref_i32_4x4',
        buffers: [{ data: new Uint8Array(64), ret: true }],
        ops: [op(TAG.clear), op(TAG.store, ptr(0), imm(16), imm(4), imm(4))],
      }),
    ];
    const frames: Buffer[] = [];
    let expected = 0;
    const add = (b: Uint8Array): void => {
      const h = Buffer.alloc(4);
      h.writeUInt32LE(b.length, 0);
      frames.push(h, Buffer.from(b));
      expected++;
    };
    add(valid[1]!); // the test library first, so the later requests name a known kernel
    for (const req of valid) for (let len = 0; len < req.length; len++) add(req.subarray(0, len));
    const r = spawnSync('sh', ['-c', STDIO_BRIDGE, runner], { input: Buffer.concat(frames), maxBuffer: 1 << 28 });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout;
    let p = 0;
    const statuses: number[] = [];
    while (p < out.length) {
      const len = out.readUInt32LE(p);
      statuses.push(out.readUInt32LE(p + 4));
      p += 4 + len;
    }
    expect(statuses.length).toBe(expected);
    expect(statuses[0]).toBe(0);
    expect(statuses.slice(1).every((s) => s === 1)).toBe(true);
  });

  it('survives random byte corruption of FRAME and PACK requests', () => {
    // FRAME validates every pointer before a kernel runs, so with the reference kernel any
    // corrupted request is either a well-defined run or an ERROR: never UB, never a crash.
    // (TILE is excluded: it hands arbitrary pointers to the kernel by design.)
    const g = rng(2024);
    const bases = [
      encodeRequest(borderFrame('test_ref_i32_4x4', 0)),
      encodeRequest(borderFrame('test_ref_i32_3x5', 1)),
      encodePack('test_ref_i32_4x4', 1, 'a', 5, 7, new Int8Array(35)),
    ];
    // m and n (u32 at 28 and 32, after a 16-byte kernel name) keep their high bytes clear so a
    // corrupted shape stays small enough to walk quickly.
    const shapeHigh = [29, 30, 31, 33, 34, 35];
    const frames: Buffer[] = [];
    const add = (b: Uint8Array): void => {
      const h = Buffer.alloc(4);
      h.writeUInt32LE(b.length, 0);
      frames.push(h, Buffer.from(b));
    };
    add(encodeLoadLib(testKernelsPath()));
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const b = bases[i % 3]!.slice();
      for (let f = g.int(1, 4); f > 0; f--) b[g.int(0, b.length - 1)] = g.int(0, 255);
      if (i % 3 !== 2) for (const p of shapeHigh) b[p] = 0;
      add(b);
    }
    const r = spawnSync('sh', ['-c', STDIO_BRIDGE, runner], { input: Buffer.concat(frames), maxBuffer: 1 << 28 });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    let p = 0;
    let answers = 0;
    while (p < r.stdout.length) {
      expect(r.stdout.readUInt32LE(p + 4)).toBeLessThanOrEqual(1);
      p += 4 + r.stdout.readUInt32LE(p);
      answers++;
    }
    expect(answers).toBe(n + 1);
  });
});
