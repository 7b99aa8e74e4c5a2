// The package as a consumer gets it: `npm pack`, installed into a temporary project from the
// tarball, then `npx bitexact --version` and `npx bitexact list` there; once with npm's install
// script (it finds the shipped prebuilt addon and builds nothing) and once with scripts disabled
// (what pnpm does by default); with pnpm too when it is installed. And the test-runner
// integration as a kernel project uses it: vitest installed next to bitexact, the example kernel
// compiled there against the shipped header, a test file calling conformanceSuite; the replay /
// rerun / repro lines a failing run prints, pasted in a shell in that directory.
//
// The tarball is packed from a copy of the package (ci/package-copy.ts). By default the copy
// gets the checkout's dist/ and its addon as the prebuild (the file prebuildify writes), and is
// packed with --ignore-scripts, which keeps this test near 30 s; BITEXACT_PACK_FULL=1 runs the
// real prepare (tsc) and prepack (prebuildify) scripts instead (a minute or more on 2 cores).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addonPath, PKG_ROOT, PKG_VERSION } from '../native/paths.js';
import { copyPackage } from './package-copy.js';

const FULL = process.env.BITEXACT_PACK_FULL === '1';
// npm's own variables of an enclosing `npm test` would steer the inner npm (prefix, cache, scripts)
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
/** Runs a command; throws with its output on a non-zero exit. */
function exec(cmd: string, args: string[], cwd: string, timeout = 120_000): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r;
}
/** stdout with stderr appended (install scripts log there) */
const run = (cmd: string, args: string[], cwd: string): string => { const r = exec(cmd, args, cwd); return r.stdout + r.stderr; };

const hostAddon = addonPath();
const skip = process.platform !== 'linux' || process.arch !== 'x64' ? `the prebuilt addon is linux-x64 only (this is ${process.platform}-${process.arch})`
  : !FULL && !existsSync(hostAddon) ? `${hostAddon} is not built: run npm run build:native` : null;
if (skip) console.log(`ci/pack.test.ts skipped: ${skip}`);

describe.skipIf(skip !== null)('the packed package in a consumer project', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bitexact-pack-'));
  let tarball = '';
  let files: string[] = [];
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  beforeAll(() => {
    const src = copyPackage('bitexact-pack-src-', FULL ? [] : ['dist']);
    try {
      if (!FULL) {
        mkdirSync(path.join(src, 'prebuilds', 'linux-x64'), { recursive: true });
        copyFileSync(hostAddon, path.join(src, 'prebuilds', 'linux-x64', 'bitexact.glibc.node'));
      }
      const out = exec('npm', ['pack', '--json', '--pack-destination', tmp, ...(FULL ? [] : ['--ignore-scripts'])], src, FULL ? 600_000 : 120_000).stdout;
      // lifecycle scripts (prepare, prepack) print to stdout before the JSON
      const json = out.slice(out.indexOf('[\n'), out.lastIndexOf(']') + 1);
      const info = (JSON.parse(json) as { filename: string; files: { path: string }[] }[])[0];
      tarball = path.join(tmp, info.filename);
      files = info.files.map((f) => f.path);
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  }, FULL ? 660_000 : 120_000);

  it('ships the docs, schemas, licence, changelog and a prebuilt addon, and no test file', () => {
    expect(files.filter((f) => /\.test\.|test-helpers|\.map$/.test(f))).toEqual([]);
    for (const f of ['LICENSE', 'CHANGELOG.md', 'README.md', 'docs/semantics.md', 'docs/packing.md', 'docs/frame.md', 'docs/formats.md',
      'schema/bitexact-case-1.schema.json', 'schema/bitexact-kernels-1.schema.json', 'schema/bitexact-conform-report-1.schema.json',
      'prebuilds/linux-x64/bitexact.glibc.node', 'dist/cli/main.js', 'binding.gyp', 'native/runner/Makefile', 'ci/setup-aarch64.sh']) expect(files).toContain(f);
  });

  const consumer = (name: string): string => {
    const dir = path.join(tmp, name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, version: '1.0.0', private: true }));
    return dir;
  };
  const checkCli = (dir: string, npx: string[]): void => {
    expect(run(npx[0], [...npx.slice(1), 'bitexact', '--version'], dir)).toBe(`bitexact ${PKG_VERSION}\n`);
    const list = run(npx[0], [...npx.slice(1), 'bitexact', 'list'], dir);
    expect(list).toMatch(/^ {2}generic_i32_4x4 .* runs here$/m);
    expect(list).not.toContain('internal error');
    // the aarch64 block: runnable (a set-up cache) or not available with the command that fixes it
    expect(list).toMatch(/aarch64-qemu\(m4,svl=64\)\n {2}arm64_|aarch64 \(qemu-aarch64\): NOT AVAILABLE\n {2}why: .*npx bitexact setup aarch64/);
  };

  it('npm install of the tarball uses the prebuilt addon (no compiler run), and the CLI works', () => {
    const dir = consumer('npm');
    const log = run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], dir);
    expect(log).toContain('bitexact: using the prebuilt addon prebuilds/linux-x64/bitexact.glibc.node');
    expect(existsSync(path.join(dir, 'node_modules', 'bitexact', 'build'))).toBe(false);
    checkCli(dir, ['npx']);
  });

  it('with install scripts disabled (pnpm\'s default) the CLI works on the prebuilt addon', () => {
    const dir = consumer('noscripts');
    run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], dir);
    checkCli(dir, ['npx']);
  });

  const noPnpm = has('pnpm') ? null : 'pnpm is not installed';
  if (noPnpm) console.log(`ci/pack.test.ts: the pnpm case is skipped: ${noPnpm}`);
  it.skipIf(noPnpm !== null)('pnpm add of the tarball (build scripts skipped) and the CLI work', () => {
    const dir = consumer('pnpm');
    run('pnpm', ['add', tarball, '--prefer-offline'], dir);
    checkCli(dir, ['pnpm', 'exec']);
  });

  // the consumer's vitest: the version this checkout tests with (npm's cache has it)
  const VITEST = (JSON.parse(readFileSync(path.join(PKG_ROOT, 'node_modules', 'vitest', 'package.json'), 'utf8')) as { version: string }).version;
  it('a consumer\'s vitest suite: conformanceSuite passes on ext_kernel.c, fails on the buggy copy, and its printed commands work there', () => {
    const dir = consumer('vitest');
    run('npm', ['install', tarball, `vitest@${VITEST}`, '--prefer-offline', '--no-audit', '--no-fund'], dir);
    const ex = 'node_modules/bitexact/examples/external-kernel';
    mkdirSync(path.join(dir, 'build'));
    for (const src of ['ext_kernel', 'ext_kernel_buggy']) run('cc', ['-O2', '-shared', '-fPIC', '-I', 'node_modules/bitexact/native/include', `${ex}/${src}.c`, '-o', `build/lib${src}.so`], dir);
    const suite = (file: string, lib: string, props: string[]) => writeFileSync(path.join(dir, file), [
      "import { afterAll, describe, test } from 'vitest';",
      "import { conformanceSuite } from 'bitexact';",
      `await conformanceSuite({ describe, test, afterAll, kernelLibs: ['./build/${lib}.so'], builtins: false, aarch64: false, runs: 40, seed: 11, properties: ${JSON.stringify(props)} });`,
      '',
    ].join('\n'));
    type Assertion = { ancestorTitles: string[]; title: string; status: string; failureMessages: string[] };
    const vitest = (file: string): { status: number | null; tests: Assertion[]; out: string } => {
      const r = spawnSync('npx', ['vitest', 'run', file, '--reporter=json', `--outputFile=${file}.json`], { cwd: dir, env, encoding: 'utf8', timeout: 240_000 });
      const json = JSON.parse(readFileSync(path.join(dir, `${file}.json`), 'utf8')) as { testResults: { assertionResults: Assertion[] }[] };
      return { status: r.status, tests: json.testResults.flatMap((t) => t.assertionResults), out: r.stdout + r.stderr };
    };
    const names = (ts: Assertion[]) => ts.map((t) => `${t.ancestorTitles.slice(1).join(' > ')} > ${t.title}: ${t.status}`);
    const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });

    suite('good.test.ts', 'libext_kernel', ['tile', 'frame', 'interleave']);
    let r = vitest('good.test.ts');
    expect(names(r.tests)).toEqual([
      'fixtures fixtures/regressions > (no fixture saved yet): skipped',
      'ext_generic_i32_4x4 > tile: passed', 'ext_generic_i32_4x4 > frame: passed', 'ext_generic_i32_4x4 > interleave: passed', 'ext_generic_i32_4x4 > coverage: passed',
    ]);
    expect(r.status).toBe(0);

    suite('buggy.test.ts', 'libext_kernel_buggy', ['tile', 'interleave']);
    r = vitest('buggy.test.ts');
    expect(r.status).toBe(1);
    expect(names(r.tests).slice(1)).toEqual(['ext_buggy_i32_4x4 > tile: failed', 'ext_buggy_i32_4x4 > interleave: failed', 'ext_buggy_i32_4x4 > coverage: skipped']);
    const msg = r.tests.find((t) => t.title === 'interleave')!.failureMessages.join('\n');
    expect(msg).toMatch(/bitexact: ext_buggy_i32_4x4 \/ interleave failed \(seed 11, runs 40\): \d+ distinct failure\(s\)/);
    // the printed lines, pasted in the consumer's directory
    const line = (re: RegExp): string => { const m = re.exec(msg); expect(m, `${re} in:\n${msg}`).not.toBeNull(); return m![1]; };
    const replay = sh(line(/; replay: (npx bitexact replay .*)$/m));
    expect(replay.stdout).toMatch(/^FAIL .* on ext_buggy_i32_4x4: mismatch/m);
    expect(replay.status).toBe(1);
    const rerun = line(/^rerun: (npx bitexact conform .*)$/m);
    expect(rerun).toMatch(/--kernel-lib \S*build\/libext_kernel_buggy\.so --kernel ext_buggy_i32_4x4 --seed 11 --property interleave --runs 40$/);
    const again = sh(rerun);
    expect(again.stdout).toContain('FAILED ext_buggy_i32_4x4 / interleave');
    expect(again.status).toBe(1);
    const build = sh(line(/^ {2}build: (cc .*)$/m));
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    const repro = sh(line(/^ {2}run: {3}(.*)$/m));
    expect(repro.stdout).toMatch(/^store #\d+ \[\d\]\[\d\]: expected/m);
    expect(repro.status).toBe(1);

    // the next run replays the fixtures the failing one saved, first, each its own test: the
    // correct kernel passes them, the wrong one fails them
    r = vitest('good.test.ts');
    const fixtures = r.tests.filter((t) => t.ancestorTitles.includes('fixtures fixtures/regressions'));
    expect(fixtures.length).toBeGreaterThanOrEqual(2);
    expect(r.tests.slice(0, fixtures.length)).toEqual(fixtures);
    expect(fixtures.map((t) => t.status)).toEqual(fixtures.map(() => 'passed'));
    expect(r.status).toBe(0);
    suite('buggy.test.ts', 'libext_kernel_buggy', ['packing']);
    r = vitest('buggy.test.ts');
    expect(names(r.tests).filter((n) => n.startsWith('fixtures '))).toEqual(fixtures.map((t) => `fixtures fixtures/regressions > ${t.title}: failed`));
    expect(names(r.tests)).toContain('ext_buggy_i32_4x4 > packing: passed');
    expect(r.status).toBe(1);
  }, 600_000);

  it('a readable package.json (what npx runs)', () => {
    const pj = JSON.parse(readFileSync(path.join(PKG_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pj.bin.bitexact).toBe('dist/cli/main.js');
  });
});
