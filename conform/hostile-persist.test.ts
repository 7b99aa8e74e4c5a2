// Persistence that cannot lose a finding, and names that cannot steer paths or shells.
//  * A fixture, repro.c or report that cannot be written (full disk, read-only or missing
//    directory, a file in place of the directory, /dev/full) is reported with its path and
//    errno; the run goes on, the failure stays in memory and in every other report, with the
//    case's text printed; the exit code is 1 (failures found), never an internal error.
//  * Files are written whole or not at all: a 0-byte or corrupt fixture is rewritten, and 16
//    processes saving the same fixture never leave or show invalid JSON.
//  * Hostile kernel names (`../`, `/`, quotes, `;`, `$(...)`, newlines, 10 kB) are refused on
//    the descriptor and the manifest with a named error; fixture and repro names stay inside
//    the fixture directory; every printed command is shell-quoted and parses back to its words.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from '../cli/main.js';
import { bufferIo } from '../cli/util.js';
import { writeReports } from '../cli/conform.js';
import { readCase } from '../oracle/case.js';
import type { Case } from '../oracle/types.js';
import { kernelNameProblem, KernelNameError, parseKernelDescs, type KernelDesc } from '../native/descriptor.js';
import { readManifest, ManifestError } from '../native/manifest.js';
import { PKG_ROOT } from '../native/paths.js';
import { discoverTargets } from '../native/targets.js';
import { caseFor } from '../properties/arbitraries.js';
import { fixtureLines, saveFixture } from '../properties/fixture-store.js';
import { kernelLibOption, replayCommand, rerunCommand, shellQuote } from '../properties/commands.js';
import type { FailedVerdict } from '../properties/verdict.js';
import { conformance, type ConformReport } from './engine.js';
import { writeRepro } from './repro.js';
import { failures, replayCommand as reportReplay } from './summary.js';
import { renderMarkdown } from './report-markdown.js';

const EX = join(PKG_ROOT, 'examples', 'external-kernel');
const INCLUDE = join(PKG_ROOT, 'native', 'include');
const tmp = mkdtempSync(join(tmpdir(), 'bitexact-hostile-'));
const buggy = join(tmp, 'libext_kernel_buggy.so');
execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${INCLUDE}`, join(EX, 'ext_kernel_buggy.c'), '-o', buggy], { stdio: 'pipe' });

const HOSTILE = [
  '../../x/evil_i32_4x4', '/abs/evil', "it's", 'a"b', 'x;touch${IFS}pwned', '$(touch pwned)', '`touch pwned`', 'line\nbreak', ' lead', '-rf', 'x'.repeat(10_000), '',
];

/** The words a POSIX shell makes of `line` (run by sh, each printed NUL-terminated). */
function shellWords(line: string): string[] {
  const r = spawnSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8', cwd: tmp });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}

const VERDICT: FailedVerdict = { ok: false, refused: false, outcome: 'exec_error', reason: 'threw', error: 'test' };
const CASE: Case = { format: 'bitexact-case/1', level: 'frame', m: 1, n: 2, k: 1, a: [[3]], b: [[4, -5]], chain: [{ op: 'add_mat_mul' }, { op: 'store', item_size: 4 }] };

describe('shell quoting (properties/commands.ts)', () => {
  test('sh -c printf %s of a quoted word prints the word, for every hostile string', () => {
    for (const s of [...HOSTILE, "''", "'\\''", 'tab\there', '~user', '*', 'a b', '#c', '!x', '{a,b}', 'ünï']) {
      const r = spawnSync('sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8', cwd: tmp });
      expect(r.stdout, JSON.stringify(s).slice(0, 80)).toBe(s);
    }
    expect(existsSync(join(tmp, 'pwned'))).toBe(false);
  });

  test('replay and rerun lines parse back to exactly their words', () => {
    const fixture = join(tmp, "dir with 'quote' and $(x)", '-f.json');
    const lib = join(tmp, 'lib;rm -rf ~', 'k$HOME.so');
    for (const kernel of ['ok_i32_4x4', ...HOSTILE]) {
      expect(shellWords(replayCommand(fixture, kernel, kernelLibOption(lib), '--cpu-profile m4')))
        .toEqual(['npx', 'bitexact', 'replay', fixture, '--kernel-lib', lib, '--kernel', kernel, '--cpu-profile', 'm4']);
      expect(shellWords(rerunCommand(kernel, 42, { load: kernelLibOption(lib) })))
        .toEqual(['npx', 'bitexact', 'conform', '--kernel-lib', lib, '--kernel', kernel, '--seed', '42']);
    }
    // a relative path starting with "-" cannot read as an option
    expect(shellWords(replayCommand('-x.json', 'k'))[3]).toBe('./-x.json');
    expect(existsSync(join(tmp, 'pwned'))).toBe(false);
  });
});

describe('hostile kernel names are refused with a named error', () => {
  test('kernelNameProblem: every hostile name, and only those', () => {
    for (const n of HOSTILE) expect(kernelNameProblem(n), JSON.stringify(n).slice(0, 60)).not.toBeNull();
    expect(kernelNameProblem('x'.repeat(10_000))).toMatch(/\(10000 characters\) is longer than 128 characters/);
    for (const n of ['generic_i32_4x4', 'a.b-c_1', 'x'.repeat(128)]) expect(kernelNameProblem(n)).toBeNull();
  });

  test('on the descriptor: KernelNameError naming descriptor and field', () => {
    for (const name of HOSTILE) {
      const json = JSON.stringify([{ name, isa: 'generic', mr: 4, nr: 4, packings: [], packing_ids: [], supported_ops: [0], runnable: true, why: '' }]);
      let err: unknown;
      try { parseKernelDescs(json, 'host'); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(KernelNameError);
      expect((err as KernelNameError).kernelName).toBe(name);
      expect((err as Error).message).toMatch(/^malformed executor response: descriptor 0\.name: kernel name /);
    }
  });

  test('a library whose kernel is named ../../x/evil_i32_4x4 (or x;touch${IFS}pwned): exit 2, nothing written anywhere', async () => {
    const names = ['../../x/evil_i32_4x4', 'x;touch${IFS}pwned_i32_4x4', '$(touch pwned)', 'a"b'];
    for (const [i, name] of names.entries()) {
      const src = readFileSync(join(EX, 'ext_kernel_buggy.c'), 'utf8').replace('"ext_buggy_i32_4x4"', JSON.stringify(name));
      const dir = join(tmp, `lib${i}`, 'a', 'b');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'k.c'), src);
      const lib = join(dir, 'libevil.so');
      execFileSync('cc', ['-O1', '-shared', '-fPIC', `-I${INCLUDE}`, join(dir, 'k.c'), '-o', lib], { stdio: 'pipe', cwd: dir });
      const fx = join(dir, 'fixtures');
      const io = bufferIo();
      const code = await main(['conform', '--kernel-lib', lib, '--runs', '20', '--seed', '3', '--no-aarch64', '--fixture-dir', fx, '--json', join(dir, 'r.json')], io);
      expect(code, io.stderr).toBe(2);
      expect(io.stdout).toBe('');
      // the TypeScript check names the descriptor; a quote or a space is refused by the C registry first
      expect(io.stderr).toMatch(/["\s]/.test(name) ? /kernel #0 \(\?\): name is missing, longer than 128 bytes, or not printable ASCII/ : /descriptor 0\.name: kernel name .* has /);
      expect(existsSync(join(tmp, `lib${i}`, 'x')), 'nothing beside the fixture dir').toBe(false);
      expect(readdirSync(fx), 'no fixture, no repro').toEqual([]);
      expect(existsSync(join(dir, 'pwned')) || existsSync(join(process.cwd(), 'pwned'))).toBe(false);
    }
  });

  test('on a manifest: kernels[0].name, before anything is linked', () => {
    const good = join(tmp, 'libext_kernel.so');
    execFileSync('cc', ['-O2', '-shared', '-fPIC', `-I${INCLUDE}`, join(EX, 'ext_kernel.c'), '-o', good], { stdio: 'pipe' });
    const PF = { kind: 'packed_format', r: 4, align: 1, end_padding_record: 1 };
    for (const name of ['../../x/evil_i32_4x4', 'x;touch${IFS}pwned', "it's", '-rf']) {
      const file = join(tmp, `m-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify({ format: 'bitexact-kernels/1', library: good, kernels: [{ name, symbol: 'ext_generic_i32_4x4_kernel', isa: 'generic', mr: 4, nr: 4, packings: [{ index: 1, a: PF, b: PF }], ops: 'all' }] }));
      let err: unknown;
      try { readManifest(file); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ManifestError);
      expect((err as ManifestError).detail).toMatch(/^kernels\[0\]\.name: kernel name /);
    }
  });
});

describe('fixture and repro names stay inside the fixture directory', () => {
  test('saveFixture with hostile kernel and property names; writeRepro beside it', async () => {
    const dir = join(tmp, 'fx-hostile');
    const t = await discoverTargets({ aarch64: false });
    try {
      const target = t.targets.find((x) => x.kernel.name === 'generic_i32_4x4')!;
      const c = fc.sample(caseFor(target.kernel, { level: 'tile', maxOps: 3, maxK: 4 }), { seed: 5, numRuns: 1 })[0];
      const seen = new Set<string>();
      for (const name of HOSTILE) {
        const s = saveFixture(dir, c, name, name, 1, undefined, VERDICT);
        expect(s.saved, JSON.stringify(s).slice(0, 200)).toBe(true);
        expect(dirname(s.path)).toBe(dir);
        const base = s.path.slice(dir.length + 1);
        expect(base).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.~-]*--[A-Za-z0-9_][A-Za-z0-9_.~-]*--[0-9a-f]{10}\.json$/);
        expect(base.length).toBeLessThan(200);
        expect(seen.has(base), 'two names, two files').toBe(false);
        seen.add(base);
        expect(readCase(readFileSync(s.path, 'utf8'), s.path).kernel).toBe(name);
        const r = await writeRepro(target as { kernel: KernelDesc; backend: typeof target.backend }, c, { source: 'builtin', fixture: s.path });
        expect(dirname(r.path)).toBe(dir);
        expect(r.path).toBe(s.path.replace(/\.json$/, '.repro.c'));
      }
      expect(readdirSync(dir).length).toBe(2 * HOSTILE.length);
      expect(existsSync(join(tmp, 'x'))).toBe(false);
    } finally {
      await t.close();
    }
  });
});

describe('a fixture that cannot be written loses nothing', () => {
  test('an existing 0-byte or corrupt fixture is rewritten; a valid one is kept', () => {
    const dir = join(tmp, 'fx-repair');
    const first = saveFixture(dir, CASE, 'k_i32_1x2', 'frame', 1, undefined, VERDICT);
    expect(first).toMatchObject({ saved: true, kept: false });
    for (const junk of ['', '{"format": "bitexact-case/1", "lev', 'not json']) {
      writeFileSync(first.path, junk);
      const again = saveFixture(dir, CASE, 'k_i32_1x2', 'frame', 1, undefined, VERDICT);
      expect(again).toMatchObject({ saved: true, kept: false, repaired: `${first.path} was there but not a valid case: rewritten` });
      expect(readCase(readFileSync(first.path, 'utf8')).chain).toEqual(CASE.chain);
    }
    expect(saveFixture(dir, CASE, 'k_i32_1x2', 'frame', 1, undefined, VERDICT)).toMatchObject({ saved: true, kept: true });
    expect(readdirSync(dir), 'no temporary file left').toEqual([first.path.slice(dir.length + 1)]);
  });

  test('a file in place of the directory: not saved, path and errno named, the case printed', () => {
    const notDir = join(tmp, 'a-file');
    writeFileSync(notDir, 'x');
    const s = saveFixture(join(notDir, 'sub'), CASE, 'k_i32_1x2', 'frame', 1, undefined, VERDICT);
    expect(s.saved).toBe(false);
    if (s.saved) return;
    expect(s.error).toMatch(new RegExp(`^cannot write ${notDir}/sub/k_i32_1x2--frame--[0-9a-f]{10}\\.json: ENOTDIR`));
    const lines = fixtureLines(s, 'k_i32_1x2');
    expect(lines).toMatch(/^fixture NOT saved: cannot write .*ENOTDIR/);
    // the fixture text itself follows: nothing is lost
    const json = lines.slice(lines.indexOf('{'));
    expect(readCase(json).chain).toEqual(CASE.chain);
  });

  test('16 processes saving the same fixture 40 times each: every read sees valid JSON, the last file is valid', async () => {
    const dir = join(tmp, 'fx-race');
    mkdirSync(dir);
    const file = join(dir, 'same.json');
    // the built modules (npm run build), as a separate node process each
    const script = `
      import { writeWhole } from ${JSON.stringify(join(PKG_ROOT, 'dist', 'native', 'files.js'))};
      import { readCase, writeCase } from ${JSON.stringify(join(PKG_ROOT, 'dist', 'oracle', 'case.js'))};
      import { readFileSync } from 'node:fs';
      const c = ${JSON.stringify(CASE)};
      let bad = 0;
      for (let i = 0; i < 40; i++) {
        writeWhole(${JSON.stringify(file)}, writeCase({ ...c, note: 'writer ' + process.argv[1] + ' round ' + i + ' ' + 'x'.repeat(i * 97) }));
        try { readCase(readFileSync(${JSON.stringify(file)}, 'utf8')); } catch { bad++; }
      }
      console.log(bad);`;
    const path = join(tmp, 'race.mjs');
    writeFileSync(path, script);
    const runs = await Promise.all(Array.from({ length: 16 }, (_, i) => new Promise<string>((res, rej) => {
      const p = spawn(process.execPath, [path, String(i)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.on('exit', (code) => (code === 0 ? res(out.trim()) : rej(new Error(`writer ${i} exited ${code}`))));
    })));
    expect(runs).toEqual(Array(16).fill('0'));
    expect(readCase(readFileSync(file, 'utf8')).chain).toEqual(CASE.chain);
    expect(readdirSync(dir)).toEqual(['same.json']);
  });
});

/** Mounts a tmpfs of `size` at a new directory (root with a working mount only), or says why not. */
function tinyTmpfs(opts: string): { dir: string; umount: () => void } | string {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a tmpfs';
  const dir = mkdtempSync(join(tmpdir(), 'bitexact-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return `mount -t tmpfs failed: ${r.stderr.trim() || r.error?.message}`;
  return { dir, umount: () => { spawnSync('umount', [dir]); } };
}
const mounted: (() => void)[] = [];
afterAll(() => { for (const u of mounted) u(); });

describe('a full disk, a read-only directory, /dev/full: the run goes on, exit 1', () => {
  test('fixtures on a full tmpfs, JSON and JUnit elsewhere, markdown to /dev/full', async (ctx) => {
    const fs = tinyTmpfs('size=8k');
    if (typeof fs === 'string') { console.warn(`[bitexact] SKIP full-disk fixtures: ${fs}`); ctx.skip(); return; }
    mounted.push(fs.umount);
    // fill it: the probe (an empty file) still succeeds, every fixture write gets ENOSPC
    spawnSync('sh', ['-c', `head -c 1048576 /dev/zero > ${shellQuote(join(fs.dir, 'fill'))}`]);
    const io = bufferIo();
    const json = join(tmp, 'full', 'r.json'), junit = join(tmp, 'full', 'r.xml');
    const code = await main(['conform', '--kernel-lib', buggy, '--property', 'tile', '--runs', '50', '--seed', '20261126', '--no-aarch64',
      '--fixture-dir', fs.dir, '--json', json, '--junit', junit, '--markdown', '/dev/full'], io);
    expect(code, io.stderr).toBe(1);
    expect(io.stdout).not.toContain('internal error');
    expect(io.stdout).toMatch(new RegExp(`fixture NOT saved: cannot write ${fs.dir}/ext_buggy_i32_4x4--tile--[0-9a-f]{10}\\.json: ENOSPC \\(no space left on device\\)`));
    expect(io.stdout).toContain('the fixture, to save by hand as');
    expect(io.stderr).toContain('bitexact conform: markdown report not written: cannot write /dev/full: ENOSPC (no space left on device)');
    // the reports on the other disk are whole, and carry the failure and its case
    const r = JSON.parse(readFileSync(json, 'utf8')) as ConformReport;
    const tile = r.kernels[0].properties.find((p) => p.property === 'tile')!;
    expect(tile.status).toBe('failed');
    expect(tile.failure!.fixture).toBeUndefined();
    expect((tile.failure!.case as Case).chain.length).toBeGreaterThan(0);
    expect(tile.failure!.text).toContain('fixture NOT saved');
    expect(readFileSync(junit, 'utf8')).toContain('<failure');
    // nothing half-written on the full disk
    expect(readdirSync(fs.dir).sort()).toEqual(['fill']);
  });

  test('a read-only fixture directory at run time (API): no throw, the failure kept, EROFS named', async (ctx) => {
    const fs = tinyTmpfs('size=64k,ro');
    if (typeof fs === 'string') { console.warn(`[bitexact] SKIP read-only fixture dir: ${fs}`); ctx.skip(); return; }
    mounted.push(fs.umount);
    const r = await conformance({ kernelLibs: [buggy], builtins: false, properties: ['tile'], runs: 50, seed: 20261126, fixtureDir: join(fs.dir, 'fx'), aarch64: false });
    const f = r.kernels[0].properties[0].failure!;
    expect(r.ok).toBe(false);
    expect(f.fixture).toBeUndefined();
    expect(f.text).toMatch(/fixture NOT saved: cannot write .*: EROFS \(read-only file system\)/);
    // every report still renders and writes, with the failure
    const md = join(tmp, 'ro', 'r.md');
    expect(writeReports(r, { markdown: md })).toEqual({ written: [`markdown report: ${md}`], failed: [] });
    expect(readFileSync(md, 'utf8')).toContain('ext_buggy_i32_4x4');
  });

  test('a report line of a hostile kernel name parses back (report files)', async () => {
    const r = await conformance({ kernelLibs: [buggy], builtins: false, properties: ['tile'], runs: 50, seed: 20261126, fixtureDir: join(tmp, 'fx-report'), aarch64: false });
    const hostile = "x;touch${IFS}pwned'$(id)";
    r.kernels[0].name = hostile; // as if a name had slipped past the checks: the printed line still quotes it
    const f = failures(r)[0];
    expect(shellWords(reportReplay(f))).toEqual(['npx', 'bitexact', 'replay', f.fixture, '--kernel-lib', buggy, '--kernel', hostile]);
    expect(renderMarkdown(r)).toContain(reportReplay(f));
    expect(f.text).toContain(`replay: ${replayCommand(f.fixture!, 'ext_buggy_i32_4x4', kernelLibOption(buggy))}`);
  });
});
