// `bitexact setup aarch64` from a package that has no runner of its own (as in a consumer's
// node_modules): it builds the runner into the user cache (BITEXACT_CACHE_DIR), and `list`
// then runs the aarch64 kernels from there. Run in a copy of the package (ci/package-copy.ts);
// the cache's qemu is seeded with the clone's, so no download happens here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aarch64Paths } from '../native/backends/aarch64-qemu.js';
import { main } from '../cli/main.js';
import { bufferIo } from '../cli/util.js';
import { addonPath, PKG_VERSION } from '../native/paths.js';
import { copyPackage } from './package-copy.js';

describe('bitexact setup: usage', () => {
  it('needs one known target', async () => {
    for (const argv of [['setup'], ['setup', 'riscv'], ['setup', 'aarch64', 'x86']]) {
      const io = bufferIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.stderr).toContain('bitexact setup: expected one target (aarch64)');
    }
  });
  it('--version and -V print the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const io = bufferIo();
      expect(await main([flag], io)).toBe(0);
      expect(io.stdout).toBe(`bitexact ${PKG_VERSION}\n`);
    }
  });
});

const installed = (p: string): boolean => (spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout ?? '').includes('install ok installed');
const qemu = aarch64Paths().qemu;
const missing = ['gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross', 'clang-19'].filter((p) => !installed(p));
const skip = process.platform !== 'linux' || process.arch !== 'x64' ? `linux-x64 only (this is ${process.platform}-${process.arch})`
  : missing.length ? `apt packages missing: ${missing.join(', ')} (npm run setup installs them)`
  : !existsSync(qemu) ? `no qemu-aarch64 to seed the cache with (${qemu}): run npm run setup` : null;
if (skip) console.log(`ci/setup-verb.test.ts: the set-up run is skipped: ${skip}`);

describe.skipIf(skip !== null)('bitexact setup aarch64 into the user cache', () => {
  let dir = '';
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('builds the runner in <cache>/runner/<version>-<hash>, and list runs the aarch64 kernels from there', () => {
    dir = copyPackage('bitexact-setup-', ['dist']);
    const cache = path.join(dir, 'user-cache');
    mkdirSync(path.join(cache, 'toolchain'), { recursive: true });
    symlinkSync(path.resolve(qemu, '../../..'), path.join(cache, 'toolchain', 'qemu'));
    // the copy has no build/: the host backend uses the checkout's addon
    const env: NodeJS.ProcessEnv = { ...process.env, BITEXACT_CACHE_DIR: cache, BITEXACT_ADDON: addonPath() };
    for (const k of ['BX_AARCH64_RUNNER', 'BX_AARCH64_BUILD_DIR', 'BX_QEMU_AARCH64', 'BX_TOOLCHAIN_DIR']) delete env[k];
    const cli = path.join(dir, 'dist', 'cli', 'main.js');
    expect(existsSync(path.join(dir, 'native-build'))).toBe(false);

    const listBefore = spawnSync(process.execPath, [cli, 'list'], { cwd: dir, env, encoding: 'utf8' });
    expect(listBefore.stdout).toMatch(/aarch64 \(qemu-aarch64\): NOT AVAILABLE\n {2}why: aarch64 runner not built .*npx bitexact setup aarch64/);

    const r = spawnSync(process.execPath, [cli, 'setup', 'aarch64'], { cwd: dir, env, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('qemu-aarch64 already present');
    const builds = readdirSync(path.join(cache, 'runner'));
    expect(builds).toHaveLength(1);
    expect(builds[0]).toMatch(new RegExp(`^${PKG_VERSION.replace(/\./g, '\\.')}-[0-9a-f]{12}$`));
    expect(r.stdout).toContain(`runner: ${path.join(cache, 'runner', builds[0], 'bitexact-runner')}`);
    expect(existsSync(path.join(dir, 'native-build'))).toBe(false); // nothing written into the package

    const list = spawnSync(process.execPath, [cli, 'list', '--json'], { cwd: dir, env, encoding: 'utf8' });
    const arm = (JSON.parse(list.stdout) as { backends: { name: string; available: boolean; kernels: { runs_here: boolean }[] }[] }).backends.find((b) => b.name.startsWith('aarch64'));
    expect(arm?.available, list.stdout).toBe(true);
    expect(arm!.kernels.length).toBe(3);
    expect(arm!.kernels.every((k) => k.runs_here)).toBe(true);
  });
});
