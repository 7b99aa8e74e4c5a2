// A kernel that keeps state from one call to the next (docs/abi.md) must fail `stale` with
// the stale-state message on every seed, shrunk; its saved fixture must replay the two calls
// (`bitexact replay`) and its repro.c make both, failing on it and passing on a correct kernel;
// a correct kernel passes. The executor's PRIOR option (PROTOCOL.md) makes the second call at
// the same buffer and chain addresses as the first; with MOVED the first runs at other ones.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KernelDesc } from '../native/descriptor.js';
import { addonPath, testKernelsPath } from '../native/paths.js';
import { createRequire } from 'node:module';
import { encodeRequest } from '../native/wire.js';
import { hostBackend } from '../native/backends/host.js';
import { readCase, writeCase } from '../oracle/case.js';
import { propertyByName } from './kernel-properties.js';
import { runCaseProperty } from './run.js';
import { runCase } from './check.js';
import { failureMessage } from './verdict-format.js';
import { encodeCase } from './encode.js';
import { priorCase } from './stale.js';
import { reproSource } from '../conform/repro.js';
import { replayVerb } from '../cli/replay.js';
import { bufferIo } from '../cli/util.js';
import type { Case } from '../oracle/types.js';
import { cellsOf, type FailedVerdict } from './verdict.js';
import { describeCell } from './verdict-format.js';

const SEEDS = [1, 2, 3, 42, 20261202];

describe('stale state across calls (host)', async () => {
  const backend = hostBackend({ timeoutMs: 5000 });
  const kernels = await backend.loadLib(testKernelsPath());
  afterAll(async () => { await backend.close(); });
  const kernel = (name: string): KernelDesc => {
    const k = kernels.find((x) => x.name === name);
    expect(k, name).toBeDefined();
    return k as KernelDesc;
  };
  const p = propertyByName('stale')!;
  // the first seed's shrunk failure of every stale kernel, for the replay and repro tests
  const found = new Map<string, { c: Case; v: FailedVerdict; fixture: string }>();

  // kernel, the earlier call that exposes it (a cache keyed by the panel's first bytes still
  // hits when only interior bytes change; a pointer kept with a content key is read when the
  // same contents come back at other addresses)
  for (const [name, prior] of [['test_stale_panel_i32_4x4', /^(all|interior)_bytes$/], ['test_stale_panel_peek_i32_4x4', /^interior_bytes$/], ['test_stale_pointer_i32_4x4', /^new_addresses$/]] as const) {
    it(`${name} fails stale with the stale-state message on every seed, and its fixture replays`, async () => {
      const k = kernel(name);
      const t = { kernel: k, backend };
      const dir = mkdtempSync(path.join(tmpdir(), 'bx-stale-'));
      for (const seed of SEEDS) {
        const out = await runCaseProperty({ kernel: k.name, property: 'stale', arb: p.arb(k), exec: (c) => p.exec(t, [t], c), numRuns: 200, seed, fixtureDir: dir });
        expect(out.failure, `seed ${seed}: must be caught`).toBeDefined();
        // every distinct failure is reported: one of them names the kept state (at reused
        // addresses a stale kernel can also fail a case on its own, a failure of its own)
        const f = out.failures.find((x) => x.verdict.stale) ?? out.failure!;
        expect(f.verdict.stale, `seed ${seed}: ${f.text}`).toBeDefined();
        expect(f.verdict.stale!.prior).toMatch(prior);
        expect(failureMessage(f.verdict)).toMatch(f.case.prior === 'new_addresses'
          ? /^stale state: the second call on the same contents, at new addresses, returned a wrong result \(first call on the same contents at other addresses, changed after it, was right\); /
          : /^stale state: the (second call at the same addresses returned (the first call's result|a wrong result)|first of two calls at the same addresses returned (the second call's result \(kept from an earlier request at these addresses\)|a wrong result, and its contents alone pass)) \(first call on other (contents in every byte|interior bytes)(; this case alone passes)?\); /);
        // shrunk to one matmul over a small depth
        expect(f.case.chain.filter((o) => o.op === 'add_mat_mul').length, `seed ${seed}`).toBeGreaterThan(0);
        // the fixture carries `prior`, and replaying it reruns both calls
        const saved = readCase(readFileSync(f.fixture!, 'utf8'), f.fixture);
        expect(saved.prior).toBe(f.case.prior);
        const again = await runCase(backend, k, saved);
        expect(again.ok).toBe(false);
        expect(again.ok ? undefined : again.stale?.prior).toBe(f.case.prior);
        if (!found.has(name)) found.set(name, { c: f.case, v: f.verdict, fixture: f.fixture! });
      }
    }, 300_000);
  }

  const lib = testKernelsPath();
  it('bitexact replay reruns both calls of a stale fixture: FAIL (stale state) on its kernel, PASS on a correct one', async () => {
    expect(found.size, 'the kernel tests above ran first').toBe(3);
    for (const [name, { fixture }] of found) {
      const bad = bufferIo();
      expect(await replayVerb.run([fixture, '--kernel-lib', lib, '--kernel', name, '--no-aarch64'], bad), bad.stdout + bad.stderr).toBe(1);
      expect(bad.stdout).toMatch(new RegExp(`^FAIL .* on ${name}: mismatch: stale state: `, 'm'));
      const good = bufferIo();
      expect(await replayVerb.run([fixture, '--kernel-lib', lib, '--kernel', 'test_ref_i32_4x4', '--no-aarch64'], good), good.stdout + good.stderr).toBe(0);
      expect(good.stdout).toMatch(/^PASS .* on test_ref_i32_4x4$/m);
    }
  }, 120_000);

  it('the repro.c of a stale failure makes both calls: exit 1 on its kernel, 0 on a correct one', async () => {
    expect(found.size, 'the kernel tests above ran first').toBe(3);
    const dir = mkdtempSync(path.join(tmpdir(), 'bx-stale-repro-'));
    const build = (k: KernelDesc, c: Case, v?: FailedVerdict) => {
      const file = path.join(dir, `${k.name}-${c.prior}.repro.c`);
      const r = reproSource(p.repro!(c), k, { source: lib, verdict: v }, file);
      writeFileSync(file, r.text);
      const run = spawnSync('sh', ['-c', `${r.build} && ${r.run}`], { encoding: 'utf8' });
      return { r, run, log: `${r.build}\n${r.run}\n${run.stdout}${run.stderr}` };
    };
    for (const [name, { c, v }] of found) {
      const bad = build(kernel(name), c, v);
      expect(bad.r.text).toContain(`#define PRIOR 1`);
      expect(bad.r.text).toContain(`#define MOVED ${c.prior === 'new_addresses' ? 1 : 0}`);
      expect(bad.run.status, bad.log).toBe(1);
      expect(bad.run.stdout).toContain(`${name}: call 1 of 2 (the earlier call`);
      expect(bad.run.stdout).toContain(`${name}: call 2 of 2 (judged)`);
      // a failure of the judged call: its cells, as the gate printed them (one of the earlier
      // call, seen on state from an earlier request, cannot be replayed by a fresh process)
      const cells = bad.run.stdout.split('\n').filter((l) => l.startsWith('store #'));
      if (v.stale?.call === 2) expect(cells).toEqual(cellsOf(v)!.map(describeCell));
      const good = build(kernel('test_ref_i32_4x4'), c);
      expect(good.run.status, good.log).toBe(0);
      expect(good.run.stdout).toContain('OK: test_ref_i32_4x4 agrees with the oracle on this tile (both calls)');
    }
  }, 120_000);

  it('a kernel that keeps a pointer with a content key passes the same-address variants: new_addresses is needed', async () => {
    const k = kernel('test_stale_pointer_i32_4x4');
    const t = { kernel: k, backend };
    const same = p.arb(k).filter((c) => c.prior !== 'new_addresses');
    const out = await runCaseProperty({ kernel: k.name, property: 'stale', arb: same, exec: (c) => p.exec(t, [t], c), numRuns: 100, seed: 1, fixtureDir: null });
    expect(out.failure?.text).toBeUndefined();
  }, 120_000);

  it('a correct kernel passes stale', async () => {
    const k = kernel('test_ref_i32_4x4');
    const t = { kernel: k, backend };
    for (const seed of SEEDS.slice(0, 2)) {
      const out = await runCaseProperty({ kernel: k.name, property: 'stale', arb: p.arb(k), exec: (c) => p.exec(t, [t], c), numRuns: 100, seed, fixtureDir: null });
      expect(out.failure?.text, `seed ${seed}`).toBeUndefined();
    }
  }, 300_000);

  it('PRIOR: both calls run on the same buffers, each judged; lengths must match', async () => {
    const k = kernel('test_ref_i32_4x4');
    const c = { format: 'bitexact-case/1' as const, level: 'tile' as const, m: 4, n: 4, k: 12,
      a: Array.from({ length: 4 }, (_, i) => Array.from({ length: 12 }, (_x, kk) => ((i * 31 + kk * 7) % 200) - 100)),
      b: Array.from({ length: 12 }, (_, kk) => Array.from({ length: 4 }, (_x, j) => ((kk * 13 + j * 5) % 200) - 100)),
      chain: [{ op: 'clear' as const }, { op: 'add_mat_mul' as const }, { op: 'per_col' as const, bin: 'add' as const, values: [1, 2, 3, 4] }, { op: 'store' as const, item_size: 4 as const }] };
    for (const prior of ['all_bytes', 'interior_bytes'] as const) {
      const enc = encodeCase(c, k);
      const first = encodeCase(priorCase({ ...c, prior }), k);
      const res = await backend.exec({ ...enc.req, prior: first.req.buffers.map((b) => b.data) });
      const s = enc.stores[0];
      // the second call's stores are this case's, the first call's are the prior contents'
      expect(res.buffers[s.buf]).not.toEqual(res.priorBuffers![s.buf]);
      expect((await runCase(backend, k, { ...c, prior })).ok).toBe(true);
      const alone = await backend.exec(first.req);
      expect(res.priorBuffers![s.buf]).toEqual(alone.buffers[s.buf]);
    }
    const enc = encodeCase(c, k);
    const short = enc.req.buffers.map((b) => b.data.slice(1));
    await expect(backend.exec({ ...enc.req, prior: short })).rejects.toThrow(/prior buffer 0/);
    await expect(backend.exec({ ...enc.req, moved: true })).rejects.toThrow(/moved needs prior/);
  });

  it('the executor refuses MOVED without PRIOR, naming both flags', () => {
    const enc = encodeCase({ format: 'bitexact-case/1', level: 'tile', m: 4, n: 4, k: 0, a: [[], [], [], []], b: [], chain: [{ op: 'clear' }, { op: 'store', item_size: 4 }] }, kernel('test_ref_i32_4x4'));
    const req = encodeRequest(enc.req);
    const flagsAt = 4 + 4 + enc.req.kernel.length; // type, kernel name (str)
    const dv = new DataView(req.buffer, req.byteOffset);
    dv.setUint32(flagsAt, dv.getUint32(flagsAt, true) | 32, true);
    const addon = createRequire(import.meta.url)(addonPath()) as { exec(b: Uint8Array): Buffer };
    const r = addon.exec(req);
    expect(r.readUInt32LE(0)).toBe(1); // ERROR
    expect(r.subarray(8).toString()).toBe('TILE: flag MOVED (0x20) needs PRIOR (0x10)');
  });

  it('MOVED: the earlier call at other addresses on the same contents; a pointer kept from it reads other bytes', async () => {
    const c: Case = { format: 'bitexact-case/1', level: 'tile', m: 4, n: 4, k: 8,
      a: Array.from({ length: 4 }, (_, i) => Array.from({ length: 8 }, (_x, kk) => ((i * 31 + kk * 7) % 200) - 100)),
      b: Array.from({ length: 8 }, (_, kk) => Array.from({ length: 4 }, (_x, j) => ((kk * 13 + j * 5) % 200) - 100)),
      chain: [{ op: 'clear' }, { op: 'add_mat_mul' }, { op: 'store', item_size: 4 }], prior: 'new_addresses' };
    const ref = kernel('test_ref_i32_4x4');
    const enc = encodeCase(c, ref);
    const s = enc.stores[0];
    const res = await backend.exec({ ...enc.req, prior: enc.req.buffers.map((b) => b.data), moved: true });
    // same contents: both calls of a correct kernel store the same tile
    expect(res.priorBuffers![s.buf]).toEqual(res.buffers[s.buf]);
    expect((await runCase(backend, ref, c)).ok).toBe(true);
    // the pointer kernel reads B through the earlier call's (then bit-flipped) panel
    const ptr = kernel('test_stale_pointer_i32_4x4');
    const v = await runCase(backend, ptr, c);
    expect(v.ok).toBe(false);
    expect(v.ok ? undefined : v.stale).toEqual({ prior: 'new_addresses', call: 2, firstResult: false });
    // and passes the same case alone and at the same addresses
    expect((await runCase(backend, ptr, { ...c, prior: undefined })).ok).toBe(true);
    expect((await runCase(backend, ptr, { ...c, prior: 'all_bytes' })).ok).toBe(true);
  });

  it('the case format keeps prior (tile level only)', () => {
    const c = { format: 'bitexact-case/1' as const, level: 'tile' as const, m: 4, n: 4, k: 0, a: [[], [], [], []], b: [], chain: [{ op: 'clear' as const }, { op: 'store' as const, item_size: 4 as const }], prior: 'interior_bytes' as const };
    expect(readCase(writeCase(c)).prior).toBe('interior_bytes');
    expect(() => readCase(writeCase({ ...c, level: 'frame' }))).toThrow(/prior is tile level only/);
    expect(() => readCase(JSON.stringify({ ...c, prior: 'some' }))).toThrow(/prior/);
  });
});
