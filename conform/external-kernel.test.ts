// The example external kernel (examples/external-kernel/) through the gate, the way a kernel
// author uses it: built with cc against the public header only, loaded with kernelLibs. The
// correct one conforms; the copy with Sub and SubF swapped fails with a shrunk case, a fixture
// and a repro.c that compiles with only the public header and, run by hand against the buggy
// library, exits 1 printing the same differing cells.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { abiTags } from '../oracle/opset.js';
import { conformance, type ConformReport } from './engine.js';
import { reproSource } from './repro.js';
import { describeCell, type Verdict } from '../properties/check.js';
import { readCase } from '../oracle/case.js';
import type { Case } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import { PKG_ROOT } from '../native/paths.js';
import { discoverTargets } from '../native/targets.js';
import { main } from '../cli/main.js';
import { bufferIo } from '../cli/util.js';

const EX = join(PKG_ROOT, 'examples', 'external-kernel');
const INCLUDE = join(PKG_ROOT, 'native', 'include');
const tmp = mkdtempSync(join(tmpdir(), 'bitexact-ext-'));
const SEED = 20261126;

/** The README's build line. */
function buildLib(src: string, out: string): string {
  execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${INCLUDE}`, join(EX, src), '-o', out], { stdio: 'pipe' });
  return out;
}

const good = buildLib('ext_kernel.c', join(tmp, 'libext_kernel.so'));
const buggy = buildLib('ext_kernel_buggy.c', join(tmp, 'libext_kernel_buggy.so'));
const fixtureDir = join(tmp, 'fixtures');

/** The good kernel's descriptor (as ext_kernel.c declares it). */
const goodDesc: KernelDesc = {
  name: 'ext_generic_i32_4x4', isa: 'generic', mr: 4, nr: 4, runnable: true, why: '',
  packings: [{ a: { kind: 'packed_format', r: 4, align: 1, end_padding_record: 1 }, b: { kind: 'packed_format', r: 4, align: 1, end_padding_record: 1 }, k_alignment: 1 }],
  packing_ids: [1],
  supported_ops: abiTags(1),
};

describe('external kernel example', () => {
  let bad: ConformReport;

  test('the correct external kernel passes the gate', async () => {
    const r = await conformance({ kernelLibs: [good], builtins: false, runs: 200, seed: SEED, fixtureDir, aarch64: false });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.kernels.map((k) => k.name)).toEqual(['ext_generic_i32_4x4']);
    const k = r.kernels[0];
    expect(k.source).toBe(good);
    // gating too: a kernel declaring every op still meets raw tags it must refuse
    expect(k.properties.filter((p) => p.status === 'passed').map((p) => p.property)).toEqual(['tile', 'frame', 'interleave', 'packing', 'gating', 'stale']);
    expect(k.coverage.missing).toEqual([]);
  });

  test('Sub/SubF swapped: shrunk case, fixture, repro.c that fails the same way by hand', async () => {
    // a fixture directory relative to the cwd: the printed repro lines must still work elsewhere
    bad = await conformance({ kernelLibs: [buggy], builtins: false, runs: 200, seed: SEED, fixtureDir: relative(process.cwd(), fixtureDir), aarch64: false });
    expect(bad.ok).toBe(false);
    const k = bad.kernels[0];
    expect(k.name).toBe('ext_buggy_i32_4x4');
    const failed = k.properties.filter((p) => p.status === 'failed');
    expect(failed.map((p) => p.property)).toContain('tile');
    for (const p of failed) {
      const f = p.failure!;
      expect(f.verdict.kind).toBe('mismatch');
      const c = f.case as Case;
      // shrunk: a handful of ops, and it involves a sub or sub_f
      // (gating: the refused op, shrinking toward the head, must stay after the failing store)
      expect(c.chain.length).toBeLessThanOrEqual(p.property === 'interleave' ? 13 : p.property === 'gating' ? 8 : 4);
      expect(c.chain.some((op) => 'bin' in op && (op.bin === 'sub' || op.bin === 'sub_f'))).toBe(true);
      // the readable text: the case, the differing cells in decimal and hex
      expect(f.text).toContain('differing cells');
      expect(f.text).toMatch(/expected -?\d+ \(0x[0-9a-f]{8}\) got -?\d+ \(0x[0-9a-f]{8}\)/);
      // the fixture: a bitexact-case/1 file naming the kernel
      expect(f.fixture && existsSync(f.fixture)).toBe(true);
      const saved = readCase(readFileSync(f.fixture!, 'utf8'), f.fixture!);
      expect(saved.kernel).toBe('ext_buggy_i32_4x4');
      expect(saved.chain).toEqual(c.chain);
      // repro.c next to it, including only the public header
      expect(f.repro).toBe(f.fixture!.replace(/\.json$/, '.repro.c'));
      const src = readFileSync(f.repro!, 'utf8');
      expect(src.match(/#include "[^"]+"/g)).toEqual(['#include "bitexact/kernel.h"']);
      expect(f.text).toContain(`repro.c: ${f.repro}`);
      expect(f.text).toContain(`replay: npx bitexact replay ${f.fixture} --kernel-lib ${buggy} --kernel ext_buggy_i32_4x4`);
      // the printed build and run lines, pasted in another directory
      const elsewhere = mkdtempSync(join(tmpdir(), 'bitexact-cwd-'));
      const pasted = spawnSync('sh', ['-c', `${f.reproBuild} && ${f.reproRun}`], { cwd: elsewhere, encoding: 'utf8' });
      expect(pasted.status, `${f.reproBuild}\n${f.reproRun}\n${pasted.stdout}${pasted.stderr}`).toBe(1);
      expect(pasted.stdout).toContain('MISMATCH');
      const exe = f.repro!.replace(/\.c$/, '');
      execFileSync('cc', ['-O1', '-Wall', '-Werror', `-I${INCLUDE}`, f.repro!, '-o', exe, '-ldl'], { stdio: 'pipe' });
      const run = spawnSync(exe, [buggy], { encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).toBe(1);
      const printed = run.stdout.split('\n').filter((l) => l.startsWith('store #'));
      const expected = (f.verdict as Verdict).cells!.map(describeCell);
      expect(printed.length).toBeGreaterThan(0);
      if (c.level === 'tile') expect(printed).toEqual(expected);
      else for (const l of printed) expect(expected).toContain(l); // the replayed tile's cells
      expect(run.stdout).toContain('MISMATCH');
      // without an argument it loads the library the kernel came from
      expect(spawnSync(exe, [], { encoding: 'utf8' }).status).toBe(1);
      // the same case as a repro against the correct kernel: exit 0
      const ok = reproSource(c, goodDesc, { source: good });
      const okSrc = join(tmp, `ok-${p.property}.c`);
      writeFileSync(okSrc, ok.text);
      execFileSync('cc', ['-O1', `-I${INCLUDE}`, okSrc, '-o', `${okSrc}.exe`, '-ldl'], { stdio: 'pipe' });
      const okRun = spawnSync(`${okSrc}.exe`, [good], { encoding: 'utf8' });
      expect(okRun.status, okRun.stdout + okRun.stderr).toBe(0);
      expect(okRun.stdout).toContain('OK: ext_generic_i32_4x4 agrees with the oracle');
    }
  });

  test('replay and eval --kernel on the saved fixtures', async () => {
    const fixtures = bad.kernels[0].properties.filter((p) => p.failure?.fixture).map((p) => p.failure!.fixture!);
    expect(fixtures.length).toBeGreaterThan(0);
    let io = bufferIo();
    expect(await main(['replay', ...fixtures, '--kernel-lib', buggy, '--no-aarch64'], io)).toBe(1);
    expect(io.stdout).toMatch(/FAIL .* on ext_buggy_i32_4x4: mismatch/);
    io = bufferIo();
    expect(await main(['replay', ...fixtures, '--kernel-lib', good, '--kernel', 'ext_generic_i32_4x4', '--no-aarch64'], io)).toBe(0);
    expect(io.stdout).toContain(`PASS: ${fixtures.length} passed, 0 failed`);
    // default kernels: every runnable one the case fits (builtins too: frame cases run anywhere)
    io = bufferIo();
    expect(await main(['replay', fixtures[0], '--no-aarch64'], io)).toBe(0);
    expect(io.stdout).toMatch(/PASS .* on generic_i32_4x4/);

    const f = fixtures[0];
    const oracle = bufferIo();
    expect(await main(['eval', f], oracle)).toBe(0);
    io = bufferIo();
    expect(await main(['eval', f, '--kernel', 'ext_generic_i32_4x4', '--kernel-lib', good, '--no-aarch64'], io)).toBe(0);
    expect(io.stdout).toBe(oracle.stdout);
    io = bufferIo();
    expect(await main(['eval', f, '--kernel', 'ext_buggy_i32_4x4', '--kernel-lib', buggy, '--no-aarch64'], io)).toBe(1);
    expect(io.stderr).toContain('disagrees with the oracle');
    expect(io.stderr).toContain('differing cells');
    expect(io.stdout).not.toBe(oracle.stdout);
  });

  test('repro.c of a builtin kernel: the printed build line links the kernel sources', async () => {
    const ps = bad.kernels[0].properties;
    const failing = ps.find((p) => p.property === 'frame' && p.failure) ?? ps.find((p) => p.failure)!;
    const c = failing.failure!.case as Case;
    const targets = await discoverTargets({ aarch64: false });
    try {
      const generic = targets.targets.find((t) => t.kernel.name === 'generic_i32_4x4')!;
      const file = join(tmp, 'builtin-repro.c');
      const r = reproSource(c, generic.kernel, { source: 'builtin', backend: generic.backend }, file);
      writeFileSync(file, r.text);
      expect(r.build).toContain('-DBX_REPRO_LINK=bx_builtin_kernels');
      const run = spawnSync('sh', ['-c', `${r.build} && ${r.run}`], { cwd: mkdtempSync(join(tmpdir(), 'bitexact-cwd-')), encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain('OK: generic_i32_4x4 agrees with the oracle');
    } finally {
      await targets.close();
    }
  });

  test('eval --kernel: exit 3 naming the op a kernel refuses', async () => {
    const lib = join(PKG_ROOT, 'build', 'Release', 'bitexact_test_kernels.so');
    expect(existsSync(lib), `${lib} is built by npm install (node-gyp)`).toBe(true);
    const file = join(tmp, 'refuse.json');
    writeFileSync(file, JSON.stringify({
      format: 'bitexact-case/1', level: 'frame', m: 2, n: 3, k: 1, a: [[1], [2]], b: [[3, 4, 5]],
      chain: [{ op: 'add_mat_mul' }, { op: 'scalar', bin: 'sub', value: 7 }, { op: 'store', item_size: 4 }],
    }));
    const io = bufferIo();
    expect(await main(['eval', file, '--kernel', 'test_minimal_i32_4x4', '--kernel-lib', lib, '--no-aarch64'], io)).toBe(3);
    expect(io.stderr).toContain('chain[1] scalar sub is not declared');
    // a tile-level case on a kernel of another tile shape is a usage error
    const io2 = bufferIo();
    const tile = JSON.stringify({ format: 'bitexact-case/1', level: 'tile', m: 3, n: 3, k: 0, a: [[], [], []], b: [], chain: [{ op: 'clear' }, { op: 'store', item_size: 4 }] });
    writeFileSync(join(tmp, 'tile.json'), tile);
    expect(await main(['eval', join(tmp, 'tile.json'), '--kernel', 'generic_i32_4x4', '--no-aarch64'], io2)).toBe(2);
    expect(io2.stderr).toContain('has a 4x4 tile');
  });
});
