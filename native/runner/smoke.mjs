// native/runner/smoke.mjs — protocol smoke test of the cross-built runner under qemu.
//   node native/runner/smoke.mjs [runner] [--static]
// Speaks native/PROTOCOL.md over the runner's descriptors 3 (requests) and 4 (responses): PING, LIST, a TILE chain and a
// FRAME matmul (checked against a plain JS product) on every built-in kernel, then LOAD_LIB of
// bitexact_test_kernels.so next to the runner. BX_SVL=16|32 runs at another streaming vector length.
// Not the gate (the TypeScript properties are); this only checks that the runner works.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const isStatic = args.includes('--static');
const runner =
  args.find((a) => !a.startsWith('--')) ??
  path.join(root, 'native-build/aarch64', isStatic ? 'bitexact-runner-static' : 'bitexact-runner');
const qemu = process.env.BX_QEMU_AARCH64 ?? path.join(root, '.toolchain/qemu/usr/bin/qemu-aarch64');
const sysroot = process.env.BX_AARCH64_SYSROOT ?? '/usr/aarch64-linux-gnu';
const svl = process.env.BX_SVL ?? '64';
const testLib = path.join(path.dirname(runner), 'bitexact_test_kernels.so');

const child = spawn(qemu, ['-L', sysroot, '-cpu', `max,sme-default-vector-length=${svl}`, runner], {
  stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'],
});
const [reqPipe, respPipe] = [child.stdio[3], child.stdio[4]];
let pending = Buffer.alloc(0);
let waiter = null;
respPipe.on('data', (d) => {
  pending = Buffer.concat([pending, d]);
  pump();
});
function pump() {
  if (!waiter || pending.length < 4) return;
  const len = pending.readUInt32LE(0);
  if (pending.length < 4 + len) return;
  const msg = pending.subarray(4, 4 + len);
  pending = pending.subarray(4 + len);
  const w = waiter;
  waiter = null;
  w(msg);
}
function request(payload) {
  return new Promise((resolve) => {
    waiter = resolve;
    const hdr = Buffer.alloc(4);
    hdr.writeUInt32LE(payload.length);
    reqPipe.write(Buffer.concat([hdr, payload]));
    pump();
  });
}

class W {
  constructor() { this.parts = []; }
  u32(v) { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); this.parts.push(b); return this; }
  i64(v) { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(v)); this.parts.push(b); return this; }
  str(s) { const b = Buffer.from(s, 'utf8'); this.u32(b.length); this.parts.push(b); return this; }
  bytes(b) { this.u32(b.length); this.parts.push(Buffer.from(b)); return this; }
  done() { return Buffer.concat(this.parts); }
}
class R {
  constructor(b) { this.b = b; this.o = 0; }
  u32() { const v = this.b.readUInt32LE(this.o); this.o += 4; return v; }
  i32() { const v = this.b.readInt32LE(this.o); this.o += 4; return v; }
  i64() { const v = this.b.readBigInt64LE(this.o); this.o += 8; return v; }
  u8() { return this.b[this.o++]; }
  str() { const n = this.u32(); const s = this.b.toString('utf8', this.o, this.o + n); this.o += n; return s; }
  bytes() { const n = this.u32(); const s = this.b.subarray(this.o, this.o + n); this.o += n; return s; }
}

const IMM = (v) => ({ kind: 0, buf: 0, value: v });
const PTR = (buf, off = 0) => ({ kind: 1, buf, value: off });
function execBody(type, kernel, m, n, bufs, ops) {
  const w = new W().u32(type).str(kernel).u32(0).u32(m).u32(n).u32(bufs.length);
  for (const b of bufs) w.u32(b.ret ? 1 : 0).bytes(b.data);
  w.u32(ops.length);
  for (const op of ops) {
    w.u32(op.tag);
    for (let i = 0; i < 4; i++) {
      const x = op.w[i] ?? IMM(0);
      w.u32(x.kind).u32(x.buf).i64(x.value);
    }
  }
  return w.done();
}
function parseExec(resp) {
  const r = new R(resp);
  const status = r.u32();
  if (status !== 0) throw new Error(`ERROR response: ${r.str()}`);
  const rc = r.i64();
  const refused = r.i32();
  const nviol = r.u32();
  const viol = [];
  for (let i = 0; i < nviol; i++) viol.push({ buf: r.u32(), off: r.i64(), exp: r.u8(), got: r.u8() });
  const nbuf = r.u32();
  const bufs = [];
  for (let i = 0; i < nbuf; i++) bufs.push(r.bytes());
  return { rc, refused, viol, bufs };
}

let failures = 0;
let passes = 0;
function check(cond, what) {
  if (cond) passes++;
  else failures++;
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
}

async function main() {
  if (!existsSync(qemu) || !existsSync(runner)) {
    console.error(`missing ${existsSync(qemu) ? runner : qemu}: run ci/setup-aarch64.sh and make -C native/runner`);
    process.exit(2);
  }
  let resp = await request(new W().u32(6).done());
  check(resp.length === 4 && resp.readUInt32LE(0) === 0, 'PING');

  resp = await request(new W().u32(1).done());
  const list = JSON.parse(new R(resp.subarray(4)).str());
  const names = list.map((k) => k.name);
  check(['arm64_neon_i32_8x8', 'arm64_dotprod_i32_8x8_k4', 'arm64_sme2_i32_32x32_k4'].every((n) => names.includes(n)), `LIST: ${names.join(', ')}`);
  for (const k of list) console.log(`     ${k.name}: runnable=${k.runnable} (${k.why})`);

  for (const k of list.filter((k) => k.name.startsWith('arm64_') && k.runnable)) {
    const { mr, nr } = k;
    // TILE: Clear, ScalarAdd(7 with garbage in bytes 12..15), Store(row-major i32)
    const out = Buffer.alloc(mr * nr * 4, 0xee);
    const tile = parseExec(
      await request(
        execBody(2, k.name, 0, 0, [{ ret: true, data: out }], [
          { tag: 1, w: [] },
          { tag: 5, w: [IMM(0x7777777700000007n)] },
          { tag: 27, w: [PTR(0), IMM(nr * 4), IMM(4), IMM(4)] },
        ]),
      ),
    );
    const got = tile.bufs[0];
    let okTile = tile.rc === 0n && tile.viol.length === 0;
    for (let i = 0; i < mr * nr; i++) okTile &&= got.readInt32LE(4 * i) === 7;
    check(okTile, `TILE ${k.name}: Clear, ScalarAdd(7), Store`);

    // FRAME: m x n x k matmul, -128 heavy, then Store(i32); m, n not multiples of the tile
    const m = mr + 3, n = nr + 5, kk = 13;
    const A = Buffer.alloc(m * kk), B = Buffer.alloc(kk * n);
    for (let i = 0; i < A.length; i++) A[i] = i % 3 ? (i * 37) & 0xff : 0x80;
    for (let i = 0; i < B.length; i++) B[i] = i % 2 ? (i * 91) & 0xff : 0x80;
    const C = Buffer.alloc(m * n * 4);
    const frame = parseExec(
      await request(
        execBody(3, k.name, m, n, [{ data: A }, { data: B }, { ret: true, data: C }], [
          { tag: 28, w: [IMM(kk), PTR(0), PTR(1), IMM(0)] },
          { tag: 27, w: [PTR(2), IMM(n * 4), IMM(4), IMM(4)] },
        ]),
      ),
    );
    let okFrame = frame.rc === 0n && frame.viol.length === 0;
    const s8 = (x) => (x << 24) >> 24;
    for (let i = 0; i < m && okFrame; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < kk; q++) sum += s8(A[i * kk + q]) * s8(B[q * n + j]);
        if (frame.bufs[2].readInt32LE(4 * (i * n + j)) !== sum) okFrame = false;
      }
    check(okFrame, `FRAME ${k.name}: ${m}x${n}x${kk} matmul`);
  }

  resp = await request(new W().u32(5).str(testLib).done());
  const st = resp.readUInt32LE(0);
  const msg = new R(resp.subarray(4)).str();
  // The static runner dlopens too under qemu -L (glibc's static dlopen loads the sysroot's
  // libc.so.6 of the same version); the dynamic runner is the supported way.
  check(st === 0, `LOAD_LIB ${path.basename(testLib)}${isStatic ? ' (static runner)' : ''}: ${st === 0 ? JSON.parse(msg).length + ' kernels' : msg}`);
  reqPipe.end();
  const code = await new Promise((r) => child.on('exit', r));
  check(code === 0, `runner exits 0 on EOF (got ${code})`);
  console.log(`${passes} passed, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
