// node-gyp rebuild (npm install's install script, npx, npm run build:native) deletes build/
// whole: the aarch64 runner lives outside it (native-build/aarch64), so a rebuild keeps it and
// `bitexact list` still runs the aarch64 kernels. Run in a copy of the package (ci/package-copy.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aarch64Paths } from '../native/backends/aarch64-qemu.js';
import { copyPackage } from './package-copy.js';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const qemu = aarch64Paths().qemu;
const skip = !has('clang-19') || !has('aarch64-linux-gnu-gcc') ? 'the aarch64 cross toolchain (clang-19, aarch64-linux-gnu-gcc) is absent: run npm run setup'
  : !existsSync(qemu) ? `qemu-aarch64 is absent (${qemu}): run npm run setup` : null;
if (skip) console.log(`ci/native-build.test.ts skipped: ${skip}`);

describe.skipIf(skip !== null)('npm run build:native keeps the aarch64 runner', () => {
  let dir = '';
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('rebuilds build/ and the runner in native-build/aarch64 is still there and listed as runnable', () => {
    dir = copyPackage('bitexact-native-build-', ['dist']);
    // a clean environment: no override that would point at the checkout's runner
    // (and an empty cache: only the copy's own native-build/aarch64 can supply the runner)
    const env: NodeJS.ProcessEnv = { ...process.env, BX_QEMU_AARCH64: qemu, BITEXACT_CACHE_DIR: path.join(dir, 'empty-cache') };
    for (const k of ['BX_AARCH64_RUNNER', 'BX_AARCH64_BUILD_DIR', 'BITEXACT_ADDON']) delete env[k];
    execFileSync('make', ['-s', '-C', path.join(dir, 'native', 'runner'), '-j2', 'runner'], { env, stdio: 'pipe' });
    const runner = path.join(dir, 'native-build', 'aarch64', 'bitexact-runner');
    const before = statSync(runner).mtimeMs;

    execFileSync('npm', ['run', '-s', 'build:native'], { cwd: dir, env, stdio: 'pipe' });
    expect(existsSync(path.join(dir, 'build', 'Release', 'bitexact.node'))).toBe(true);
    expect(statSync(runner).mtimeMs).toBe(before); // untouched, not rebuilt

    const out = execFileSync(process.execPath, [path.join(dir, 'dist', 'cli', 'main.js'), 'list', '--json'], { cwd: dir, env, encoding: 'utf8' });
    const { backends } = JSON.parse(out) as { backends: { name: string; available: boolean; kernels: { name: string; runs_here: boolean; source: string }[] }[] };
    const arm = backends.find((b) => b.name.startsWith('aarch64'));
    expect(arm?.available, JSON.stringify(arm)).toBe(true);
    const names = arm!.kernels.map((k) => k.name).sort();
    expect(names).toEqual(['arm64_dotprod_i32_8x8_k4', 'arm64_neon_i32_8x8', 'arm64_sme2_i32_32x32_k4']);
    expect(arm!.kernels.every((k) => k.runs_here)).toBe(true);
  });
});
