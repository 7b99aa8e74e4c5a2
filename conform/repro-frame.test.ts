// A frame-level repro replays its tile with the frame's memory: on a full tile the caller's
// whole AddUnicast operand with the tile's pointer and the caller's strides, on a border tile
// the frame's scratch. test_unicast_tilestride_i32_4x4 reads AddUnicast rows nr items apart:
// right on any row-major tile, wrong inside a frame wider than nr. Its frame failure must
// reproduce (exit 1, the same cells) although the tile's values alone, laid out as a tile, pass.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tileChain } from '../oracle/eval.js';
import type { Case } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import type { Backend } from '../native/process.js';
import { hostBackend } from '../native/backends/host.js';
import { PKG_ROOT, testKernelsPath } from '../native/paths.js';
import { runCase } from '../properties/check.js';
import { cellsOf } from '../properties/verdict.js';
import { describeCell } from '../properties/verdict-format.js';
import { findFailingTile, reproSource } from './repro.js';

const INCLUDE = join(PKG_ROOT, 'native', 'include');
const tmp = mkdtempSync(join(tmpdir(), 'bitexact-frame-repro-'));
const lib = testKernelsPath();
let backend: Backend;
let kernels: KernelDesc[];
const kernel = (name: string): KernelDesc => kernels.find((k) => k.name === name)!;

beforeAll(async () => {
  backend = hostBackend({ timeoutMs: 60_000 });
  kernels = await backend.loadLib(lib);
});
afterAll(async () => {
  await backend?.close();
});

/** m x 8 frame (two 4x4 tile columns): matmul, AddUnicast (row-major i32, n = 8 > nr), Store. */
const frameCase = (m: number): Case => ({
  format: 'bitexact-case/1', level: 'frame', m, n: 8, k: 1,
  a: Array.from({ length: m }, (_x, i) => [i + 1]), b: [[1, 2, 3, 4, 5, 6, 7, 8]],
  chain: [
    { op: 'add_mat_mul' },
    { op: 'add_unicast', item_size: 4, layout: 'row_major', values: Array.from({ length: m }, (_x, i) => Array.from({ length: 8 }, (_y, j) => 100 * i + j)) },
    { op: 'store', item_size: 4, layout: 'row_major' },
  ],
});

/** Writes, builds and runs the repro of c on kernel k (tile ia, ib). */
function runRepro(c: Case, k: KernelDesc, tile: [number, number], name: string) {
  const r = reproSource(c, k, { source: lib, tile }, join(tmp, `${name}.repro.c`));
  const src = join(tmp, `${name}.repro.c`);
  writeFileSync(src, r.text);
  execFileSync('cc', ['-O1', '-Wall', '-Werror', `-I${INCLUDE}`, src, '-o', `${src}.exe`, '-ldl'], { stdio: 'pipe' });
  const run = spawnSync(`${src}.exe`, [lib], { encoding: 'utf8' });
  return { r, run, printed: run.stdout.split('\n').filter((l) => l.startsWith('store #')) };
}

describe('frame-level repro: the frame\'s buffers and strides', () => {
  it('a full tile: the caller\'s operand and row stride reproduce a stride-dependent bug', async () => {
    const k = kernel('test_unicast_tilestride_i32_4x4');
    const c = frameCase(4);
    const v = await runCase(backend, k, c);
    expect(v.ok).toBe(false);
    const cells = cellsOf(v)!;
    expect(cells.length).toBeGreaterThan(0);
    // the tile's values laid out as a tile (row stride nr * item): the kernel passes them
    expect((await runCase(backend, k, tileChain(c, 4, 4, 0, 0).tile)).ok).toBe(true);
    // with the frame's memory it fails alone
    expect(await findFailingTile(backend, k, c, v)).toEqual([0, 0]);
    const { r, run, printed } = runRepro(c, k, [0, 0], 'full');
    expect(r.text).toContain('a full tile');
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('MISMATCH');
    const want = cells.filter((d) => d.j < 4).map(describeCell);
    expect(printed).toEqual(want);
    // tile (0, 1): pointer into the middle of the caller's rows; cells in frame coordinates
    const right = runRepro(c, k, [0, 1], 'full-right');
    expect(right.run.status).toBe(1);
    expect(right.printed).toEqual(cells.filter((d) => d.j >= 4).map(describeCell));
    // the correct kernel on the same repro: exit 0
    const ok = runRepro(c, kernel('test_ref_i32_4x4'), [0, 0], 'full-ok');
    expect(ok.run.status, ok.run.stdout + ok.run.stderr).toBe(0);
    expect(ok.run.stdout).toContain('OK: test_ref_i32_4x4 agrees with the oracle');
  });

  it('a border tile: the frame\'s row-major scratch, where the same kernel is right', async () => {
    const k = kernel('test_unicast_tilestride_i32_4x4');
    const c = frameCase(5); // tile row 1 is a border row (h = 1)
    const v = await runCase(backend, k, c);
    expect(v.ok).toBe(false);
    expect(cellsOf(v)!.every((d) => d.i < 4)).toBe(true); // only the full tiles go wrong
    const border = runRepro(c, k, [1, 0], 'border');
    expect(border.r.text).toContain('a border tile');
    expect(border.run.status, border.run.stdout + border.run.stderr).toBe(0);
    expect(runRepro(c, k, [0, 1], 'border-full').run.status).toBe(1);
  });
});
