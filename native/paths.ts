// Where the package's own files are: the one package-root finder every module uses, from the
// .ts sources (vitest) and from dist/ alike, and the build products found under it.
//
// node-gyp owns build/: `node-gyp rebuild` (npm install, npx, npm run build:native) deletes the
// whole directory. Everything we build outside node-gyp therefore lives elsewhere:
//   native-build/aarch64/            the runner built in a clone (make -C native/runner)
//   <cache>/runner/<version>-<hash>/ the runner built by `bitexact setup aarch64` (a consumer
//                                    project: node_modules is wiped by the next npm ci)
//   <cache>/toolchain/qemu/          qemu-aarch64 unpacked by `bitexact setup aarch64`
// <cache> = $BITEXACT_CACHE_DIR, else $XDG_CACHE_HOME/bitexact, else ~/.cache/bitexact.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  const here = fileURLToPath(import.meta.url);
  for (let dir = path.dirname(here); ; ) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'bitexact') return dir;
      } catch {
        // not ours: keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`bitexact: cannot find the package root (a package.json named bitexact) above ${here}`);
    dir = up;
  }
}

/** The package root: the directory of bitexact's package.json (absolute). */
export const PKG_ROOT = findPackageRoot();

/** The version in bitexact's package.json. */
export const PKG_VERSION: string = (JSON.parse(readFileSync(path.join(PKG_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const require = createRequire(import.meta.url);

/** The command that builds the addon, for messages: in a clone the npm script, in an installed
 *  package a rebuild of the dependency (what a package manager without install scripts needs). */
export const ADDON_BUILD_HINT = PKG_ROOT.split(path.sep).includes('node_modules')
  ? 'npm rebuild bitexact   (pnpm: pnpm rebuild bitexact; needs a C/C++ compiler and python3)'
  : 'npm run build:native';

/** The addon: $BITEXACT_ADDON, else what node-gyp-build resolves (build/Release/bitexact.node
 *  from a source build, else the shipped prebuilds/<platform>-<arch>/ one), else the
 *  source-build path (absent: the caller reports it). */
export function addonPath(): string {
  if (process.env.BITEXACT_ADDON) return process.env.BITEXACT_ADDON;
  const built = path.join(PKG_ROOT, 'build', 'Release', 'bitexact.node');
  if (existsSync(built)) return built;
  try {
    return (require('node-gyp-build') as { path(dir: string): string }).path(PKG_ROOT);
  } catch {
    return built; // no build and no prebuild for this platform
  }
}

/** build/Release/bitexact_test_kernels.so: the test kernel library (a source build only). */
export function testKernelsPath(): string {
  return path.join(PKG_ROOT, 'build', 'Release', 'bitexact_test_kernels.so');
}

/** build/Release/bitexact_hostile_kernels.so: the test kernels that touch the executor's stdio. */
export function hostileKernelsPath(): string {
  return path.join(PKG_ROOT, 'build', 'Release', 'bitexact_hostile_kernels.so');
}

/** The user cache directory: $BITEXACT_CACHE_DIR, else $XDG_CACHE_HOME/bitexact, else ~/.cache/bitexact. */
export function cacheDir(): string {
  const e = process.env;
  if (e.BITEXACT_CACHE_DIR) return path.resolve(e.BITEXACT_CACHE_DIR);
  const xdg = e.XDG_CACHE_HOME && path.isAbsolute(e.XDG_CACHE_HOME) ? e.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(xdg, 'bitexact');
}

/** native-build/aarch64 in the package: where `make -C native/runner` puts the runner. */
export const LOCAL_AARCH64_DIR = path.join(PKG_ROOT, 'native-build', 'aarch64');

let sourceHash: string | undefined;
/** A short hash of every source the runner is built from: a cached runner is used only by the
 *  package sources it was built from (a clone's edit, or another version, gets its own). */
function runnerSourceHash(): string {
  if (sourceHash) return sourceHash;
  const src = require(path.join(PKG_ROOT, 'native', 'sources.cjs')) as { coreSources(): string[]; builtinKernelSources(arch: string): string[] };
  const headers = ['native/include/bitexact', 'native/core', 'native/frame', 'native/kernels'].flatMap((d) =>
    readdirSync(path.join(PKG_ROOT, d)).filter((f) => /\.(h|inc)$/.test(f)).map((f) => `${d}/${f}`));
  const files = [...new Set([...src.coreSources(), ...src.builtinKernelSources('aarch64'), 'native/runner/main.c', 'native/runner/Makefile', ...headers])].sort();
  const h = createHash('sha256');
  for (const f of files) h.update(f).update('\0').update(readFileSync(path.join(PKG_ROOT, f))).update('\0');
  sourceHash = h.digest('hex').slice(0, 12);
  return sourceHash;
}

/** `<cache>/runner/<version>-<source hash>`: where `bitexact setup aarch64` builds the runner. */
export function cachedAarch64Dir(): string {
  return path.join(cacheDir(), 'runner', `${PKG_VERSION}-${runnerSourceHash()}`);
}

/** The directory of the aarch64 build products (runner, test kernel library): the package's
 *  native-build/aarch64 when it has a runner, else the cache's, else (neither built) the one
 *  `bitexact setup aarch64` would fill. $BX_AARCH64_BUILD_DIR overrides. */
export function aarch64BuildDir(): string {
  if (process.env.BX_AARCH64_BUILD_DIR) return path.resolve(process.env.BX_AARCH64_BUILD_DIR);
  if (existsSync(path.join(LOCAL_AARCH64_DIR, 'bitexact-runner'))) return LOCAL_AARCH64_DIR;
  return cachedAarch64Dir();
}

/** The aarch64 runner: $BX_AARCH64_RUNNER, else bitexact-runner in aarch64BuildDir(). */
export function aarch64RunnerPath(): string {
  return process.env.BX_AARCH64_RUNNER ?? path.join(aarch64BuildDir(), 'bitexact-runner');
}

/** native/test-kernels cross-built for aarch64 (next to the runner). */
export function aarch64TestKernelsPath(): string {
  return path.join(aarch64BuildDir(), 'bitexact_test_kernels.so');
}

/** qemu-aarch64: $BX_QEMU_AARCH64, else the clone's .toolchain (ci/setup-aarch64.sh), else the
 *  cache's (bitexact setup aarch64); when neither exists, the cache's (for the message). */
export function qemuAarch64Path(): string {
  if (process.env.BX_QEMU_AARCH64) return process.env.BX_QEMU_AARCH64;
  const rel = path.join('qemu', 'usr', 'bin', 'qemu-aarch64');
  const local = path.join(PKG_ROOT, '.toolchain', rel);
  return existsSync(local) ? local : path.join(cacheDir(), 'toolchain', rel);
}

/** The command that installs the aarch64 toolchain and builds the runner, for messages. */
export const AARCH64_SETUP_COMMAND = 'npx bitexact setup aarch64';
