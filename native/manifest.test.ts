// `bitexact-kernels/1` manifests: a raw kernel function gated with no descriptor code. The
// shipped example manifest passes and the buggy one fails through the built CLI run from
// another directory; errors name the file and the JSON path; object files are linked with their
// machine's toolchain (aarch64: the cross gcc, run under qemu); requirements decide
// is_supported_here; the shim is cached by content, outside the manifest's tree.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { conformance } from '../conform/engine.js';
import { aarch64Unavailable } from './backends/aarch64-qemu.js';
import { buildManifest, cacheDir, ManifestError, MANIFEST_SCHEMA_PATH, readManifest } from './manifest.js';
import { PKG_ROOT } from './paths.js';
import { openKernels } from './targets.js';

const EX = join(PKG_ROOT, 'examples', 'external-kernel');
const INCLUDE = join(PKG_ROOT, 'native', 'include');
const MAIN = join(PKG_ROOT, 'dist', 'cli', 'main.js');
const tmp = mkdtempSync(join(tmpdir(), 'bitexact-manifest-'));
const cache = join(tmp, 'cache');
const savedCache = process.env.BITEXACT_CACHE_DIR;
process.env.BITEXACT_CACHE_DIR = cache;
afterAll(() => { if (savedCache === undefined) delete process.env.BITEXACT_CACHE_DIR; else process.env.BITEXACT_CACHE_DIR = savedCache; });

const cc = (args: string[], tool = 'cc') => execFileSync(tool, ['-O2', '-fPIC', `-I${INCLUDE}`, ...args], { stdio: 'pipe' });
const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

const goodLib = join(tmp, 'libext_kernel.so');
cc(['-shared', join(EX, 'ext_kernel.c'), '-o', goodLib]);

const PF = { kind: 'packed_format', r: 4, align: 1, end_padding_record: 1 };
const kernel = (over: Record<string, unknown> = {}) => ({ name: 'm_ext_i32_4x4', symbol: 'ext_generic_i32_4x4_kernel', isa: 'generic', mr: 4, nr: 4, packings: [{ index: 1, a: PF, b: PF }], ops: 'all', ...over });
let n = 0;
/** Writes a manifest into its own directory; returns its path. */
function manifest(body: Record<string, unknown>, dir = join(tmp, `m${n++}`)): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'kernels.json');
  writeFileSync(file, JSON.stringify({ format: 'bitexact-kernels/1', ...body }, null, 2));
  return file;
}
const errorOf = (file: string): string => {
  try { readManifest(file); } catch (e) { if (e instanceof ManifestError) return e.message; throw e; }
  return 'no error';
};

describe('the manifest schema', () => {
  it('compiles, and the shipped manifests follow it', () => {
    const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(MANIFEST_SCHEMA_PATH, 'utf8')) as object);
    for (const f of ['kernels.json', 'kernels-buggy.json']) expect(validate(JSON.parse(readFileSync(join(EX, f), 'utf8'))), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
  });
});

describe('manifest errors name the file and the JSON path', () => {
  const lib = { library: goodLib };
  const bad = join(tmp, 'bad.c');
  writeFileSync(bad, `#include "bitexact/kernel.h"
static intptr_t local_k(const bx_fused_ker_spec *c) { (void)c; return 1; }
__attribute__((visibility("hidden"))) intptr_t hidden_k(const bx_fused_ker_spec *c) { return local_k(c); }
__attribute__((visibility("default"))) int not_a_function = 3;
__attribute__((visibility("default"))) intptr_t (*keep)(const bx_fused_ker_spec *) = hidden_k;
`);
  const badLib = join(tmp, 'libbad.so');
  execFileSync('cc', ['-O0', '-shared', '-fPIC', `-I${INCLUDE}`, bad, '-o', badLib], { stdio: 'pipe' });

  it.each([
    ['a missing field', { ...lib, kernels: [kernel(), kernel({ mr: undefined, name: 'b' })] }, /kernels\[1\]: must have required property 'mr'/],
    ['an unknown field', { ...lib, kernels: [kernel({ packing: 1 })] }, /kernels\[0\]: unknown field "packing"/],
    ['library and objects', { ...lib, objects: ['x.o'], kernels: [kernel()] }, /\(top level\): needs exactly one of "library" or "objects"/],
    ['a wrong format', { ...lib, format: 'bitexact-kernels/2', kernels: [kernel()] }, /format: must be "bitexact-kernels\/1"/],
    ['a missing library', { library: 'nope.so', kernels: [kernel()] }, /library: no such file .*nope\.so/],
    ['a symbol the library lacks', { ...lib, kernels: [kernel(), kernel({ name: 'b', symbol: 'no_such_kernel' })] }, /kernels\[1\]\.symbol: no_such_kernel is not defined in libext_kernel\.so/],
    ['a static kernel function', { library: badLib, kernels: [kernel({ symbol: 'local_k' })] }, /kernels\[0\]\.symbol: local_k is in libbad\.so but not exported \(static, or hidden visibility\)/],
    ['a hidden kernel function', { library: badLib, kernels: [kernel({ symbol: 'hidden_k' })] }, /kernels\[0\]\.symbol: hidden_k is in libbad\.so but not exported/],
    ['a data symbol', { library: badLib, kernels: [kernel({ symbol: 'not_a_function' })] }, /kernels\[0\]\.symbol: not_a_function is not a function/],
    ['ops of no known form', { ...lib, kernels: [kernel({ ops: 'most' })] }, /kernels\[0\]\.ops: expected "all", a list of op names \/ tags, or \{"except": \[\.\.\.\]\}, got "most"/],
    ['an unknown op', { ...lib, kernels: [kernel({ ops: ['clear', 'store', 'add_mat_mul', 'frobnicate'] })] }, /kernels\[0\]\.ops\[3\]: unknown op "frobnicate"/],
    ['a required op left out', { ...lib, kernels: [kernel({ ops: { except: ['store'] } })] }, /kernels\[0\]\.ops: every kernel implements store \(required ops\)/],
    ['a repeated packing index', { ...lib, kernels: [kernel({ packings: [{ index: 1, a: PF, b: PF }, { index: 1, a: PF, b: PF }] })] }, /kernels\[0\]\.packings\[1\]\.index: packing index 1 is declared twice/],
    ['a packing narrower than the tile', { ...lib, kernels: [kernel({ packings: [{ index: 0, a: PF, b: { ...PF, r: 8 } }] })] }, /kernels\[0\]\.packings\[0\]\.b\.r: 8 differs from nr 4/],
    ['an unknown CPU feature', { ...lib, kernels: [kernel({ requirements: { features: ['avx2', 'warp9'] } })] }, /kernels\[0\]\.requirements\.features\[1\]: unknown x86_64 feature "warp9"/],
    ['an SVL on x86-64 code', { ...lib, kernels: [kernel({ requirements: { svl_bytes: 64 } })] }, /kernels\[0\]\.requirements\.svl_bytes: an SME streaming vector length needs aarch64 code/],
    ['a name given twice', { ...lib, kernels: [kernel(), kernel()] }, /kernels\[1\]\.name: m_ext_i32_4x4 is named twice/],
  ])('%s', (_what, body, message) => {
    const file = manifest(body);
    const err = errorOf(file);
    expect(err.startsWith(`${file}: `), err).toBe(true);
    expect(err).toMatch(message);
  });

  it('not JSON', () => {
    const file = join(tmp, 'broken.json');
    writeFileSync(file, '{"format": ');
    expect(errorOf(file)).toMatch(/broken\.json: not JSON/);
  });

  it('a bad manifest is a usage problem of the run (exit 2), not a stack trace', async () => {
    const file = manifest({ ...lib, kernels: [kernel({ symbol: 'no_such_kernel' })] });
    const r = spawnSync(process.execPath, [MAIN, 'conform', '--manifest', file, '--no-aarch64'], { cwd: tmp, encoding: 'utf8', env: { ...process.env, BITEXACT_CACHE_DIR: cache } });
    expect(r.status, r.stdout + r.stderr).toBe(2);
    // a usage error: one line on stderr before the gate runs
    expect(r.stderr).toContain(`--manifest ${file}: kernels[0].symbol: no_such_kernel is not defined in libext_kernel.so`);
    expect(r.stdout).toBe('');
  });
});

describe('the shipped example manifests, through the built CLI from another directory', () => {
  execFileSync('make', ['-s', '-C', EX], { stdio: 'pipe' });
  const cwd = mkdtempSync(join(tmpdir(), 'bitexact-cwd-'));
  const run = (verb: string, file: string, ...args: string[]) =>
    spawnSync(process.execPath, [MAIN, verb, '--manifest', relative(cwd, join(EX, file)), ...args], { cwd, encoding: 'utf8', env: { ...process.env, BITEXACT_CACHE_DIR: cache } });

  it('kernels.json: the raw ext_generic_i32_4x4_kernel (own packing index 1) PASSES', () => {
    const r = run('conform', 'kernels.json', '--runs', '200', '--seed', '20261126', '--no-aarch64', '--fixture-dir', join(cwd, 'fx'));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASS: 1 kernel\(s\) conform/);
    expect(readdirSync(EX).filter((f) => !f.startsWith('.') && !['build', 'Makefile', 'README.md'].includes(f) && !/\.(c|json)$/.test(f)), 'nothing written into the manifest\'s folder').toEqual([]);
  });

  it('kernels-buggy.json FAILS, and its rerun line names the manifest', () => {
    const r = run('conform', 'kernels-buggy.json', '--runs', '100', '--seed', '20261126', '--no-aarch64', '--fixture-dir', join(cwd, 'fx'));
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAILED ext_buggy_i32_4x4/);
    expect(r.stdout).toContain(`rerun: npx bitexact conform --manifest ${join(EX, 'kernels-buggy.json')} --kernel ext_buggy_i32_4x4`);
  });

  it('list, eval and replay take --manifest too', () => {
    const l = run('list', 'kernels.json', '--json', '--no-aarch64');
    expect(l.status, l.stderr).toBe(0);
    const listed = (JSON.parse(l.stdout) as { backends: { kernels: { name: string; packings: { index: number }[] }[] }[] }).backends.flatMap((b) => b.kernels).find((k) => k.name === 'ext_generic_i32_4x4');
    expect(listed?.packings.map((p) => p.index)).toEqual([1]);
    const fx = join(cwd, 'case.json');
    writeFileSync(fx, JSON.stringify({ format: 'bitexact-case/1', level: 'frame', m: 5, n: 3, k: 2, a: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], b: [[1, -1, 2], [0, 3, -2]], chain: [{ op: 'add_mat_mul' }, { op: 'scalar', bin: 'sub', value: 7 }, { op: 'store', item_size: 4 }] }));
    const good = run('eval', 'kernels.json', fx, '--kernel', 'ext_generic_i32_4x4');
    expect(good.status, good.stderr).toBe(0);
    expect(run('replay', 'kernels.json', fx).stdout).toMatch(/PASS .*case\.json on ext_generic_i32_4x4/);
    expect(run('replay', 'kernels-buggy.json', fx).status).toBe(1);
  });
});

describe('building the shim', () => {
  it('object files are linked into one library; the result is cached by content outside the source tree', async () => {
    const dir = join(tmp, 'objs');
    mkdirSync(dir, { recursive: true });
    cc(['-c', join(EX, 'ext_kernel.c'), '-o', join(dir, 'ext_kernel.o')]);
    const file = manifest({ objects: ['ext_kernel.o'], kernels: [kernel()] }, dir);
    const before = readdirSync(dir).sort();
    const m = buildManifest(file);
    expect(m.lib.startsWith(cache + '/')).toBe(true);
    const t = statSync(m.lib).mtimeMs;
    expect(buildManifest(file).lib).toBe(m.lib); // same content: the cached shim, not relinked
    expect(statSync(m.lib).mtimeMs).toBe(t);
    expect(readdirSync(dir).sort()).toEqual(before);
    const r = await conformance({ manifests: [file], builtins: false, properties: ['tile', 'frame'], runs: 60, seed: 5, fixtureDir: null, aarch64: false });
    expect(r.problemDetails.filter((p) => p.kind !== 'coverage')).toEqual([]);
    expect(r.kernels.flatMap((k) => k.properties.map((p) => p.status))).toEqual(['passed', 'passed']);
    expect(r.kernels.map((k) => k.name)).toEqual(['m_ext_i32_4x4']);
  });

  it('non-PIC objects: the link error says to compile with -fPIC', () => {
    const dir = join(tmp, 'nopic');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'g.c'), 'int g_counter; long bump(void) { return (long)&g_counter; }\n');
    execFileSync('cc', ['-O1', '-fno-pic', '-mcmodel=small', '-c', join(dir, 'g.c'), '-o', join(dir, 'g.o')], { stdio: 'pipe' });
    cc(['-c', '-fno-pic', join(EX, 'ext_kernel.c'), '-o', join(dir, 'ext_kernel.o')]);
    const file = manifest({ objects: ['ext_kernel.o', 'g.o'], kernels: [kernel()] }, dir);
    expect(() => buildManifest(file)).toThrow(/linking the kernels failed[\s\S]*-fPIC/);
  });

  it('the default cache is node_modules/.cache/bitexact of the nearest node_modules above the working directory', () => {
    delete process.env.BITEXACT_CACHE_DIR;
    try {
      expect(cacheDir()).toBe(join(PKG_ROOT, 'node_modules', '.cache', 'bitexact'));
    } finally {
      process.env.BITEXACT_CACHE_DIR = cache;
    }
  });

  it('ops lists, all-but and requirements become the descriptor; a contract is parsed (oracle/contract.ts)', async () => {
    const contract = { store: { item_size: [1, 4] } };
    const avx2 = readFileSync('/proc/cpuinfo', 'utf8').includes(' avx2');
    const file = manifest({
      library: goodLib,
      kernels: [
        kernel({ name: 'm_list', ops: ['clear', 'add_mat_mul', 'store', 'scalar', 'per_row_add'], contract }),
        kernel({ name: 'm_except', ops: { except: ['leaky_relu', 13] } }),
        kernel({ name: 'm_avx2', requirements: { features: ['sse2', 'avx2'] } }),
      ],
    });
    const set = await openKernels({ manifests: [file], builtins: false, aarch64: false });
    try {
      expect(set.problems).toEqual([]);
      const k = (name: string) => set.all.find((x) => x.kernel.name === name)!.kernel;
      expect(k('m_list').supported_ops).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 12, 27, 28]);
      expect(k('m_list').contract).toEqual(contract);
      expect(k('m_except').supported_ops).toEqual([...Array(29).keys()].filter((t) => t !== 9 && t !== 13));
      expect(k('m_except').contract).toBeUndefined();
      expect(k('m_avx2').packing_ids).toEqual([1]);
      expect(k('m_avx2').runnable, k('m_avx2').why).toBe(avx2);
      if (!avx2) expect(k('m_avx2').why).toMatch(/CPU lacks avx2/);
    } finally {
      await set.close();
    }
  });
});

describe('aarch64 manifests run under qemu', () => {
  const why = !onPath('aarch64-linux-gnu-gcc') ? 'aarch64 cross toolchain missing (aarch64-linux-gnu-gcc)' : aarch64Unavailable();

  it('a .so and a .o of the example kernel; HWCAP2 and SVL requirements', async (ctx) => {
    if (why) { console.warn(`[bitexact] SKIP aarch64 manifests: ${why}`); ctx.skip(why); return; } // reason: toolchain missing (printed)
    const dir = join(tmp, 'a64');
    mkdirSync(dir, { recursive: true });
    cc(['-shared', join(EX, 'ext_kernel.c'), '-o', join(dir, 'libext_a64.so')], 'aarch64-linux-gnu-gcc');
    cc(['-c', join(EX, 'ext_kernel.c'), '-o', join(dir, 'ext_a64.o')], 'aarch64-linux-gnu-gcc');
    const so = manifest({ library: 'libext_a64.so', kernels: [kernel({ name: 'm_a64_so', requirements: { features: ['asimd'] } })] }, join(dir, 'so'));
    writeFileSync(so, readFileSync(so, 'utf8').replace('"libext_a64.so"', '"../libext_a64.so"'));
    const obj = manifest({
      objects: ['../ext_a64.o'],
      kernels: [
        kernel({ name: 'm_a64_o', requirements: { features: ['sme', 'sme2'], svl_bytes: 64 } }),
        kernel({ name: 'm_a64_svl16', requirements: { svl_bytes: 16 } }),
      ],
    }, join(dir, 'o'));
    expect(existsSync(dirname(obj))).toBe(true);
    const r = await conformance({ manifests: [so, obj], builtins: false, properties: ['tile', 'frame'], runs: 40, seed: 11, fixtureDir: null });
    // a short run: the semantic coverage of 40 cases is not the point here
    expect(r.problemDetails.filter((p) => p.kind !== 'coverage')).toEqual([]);
    expect(r.kernels.flatMap((k) => k.properties.map((p) => `${k.name} ${p.property} ${p.status}`))).toEqual(['m_a64_so tile passed', 'm_a64_so frame passed', 'm_a64_o tile passed', 'm_a64_o frame passed']);
    expect(r.kernels.map((k) => [k.name, k.backend])).toEqual([['m_a64_so', expect.stringMatching(/^aarch64/)], ['m_a64_o', expect.stringMatching(/^aarch64/)]]);
    expect(r.unavailable).toEqual([{ name: 'm_a64_svl16', why: expect.stringMatching(/streaming vector length is 64 bytes, the manifest requires 16/) }]);
  });
});
