// Where the package's own files are: the one package-root finder every module uses, from the
// .ts sources (vitest) and from dist/ alike, and the build products found under it.
import { existsSync, readFileSync } from 'node:fs';
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

/** build/Release/bitexact.node (override: BITEXACT_ADDON). */
export function addonPath(): string {
  return process.env.BITEXACT_ADDON ?? path.join(PKG_ROOT, 'build', 'Release', 'bitexact.node');
}

/** build/Release/bitexact_test_kernels.so: the test kernel library. */
export function testKernelsPath(): string {
  return path.join(PKG_ROOT, 'build', 'Release', 'bitexact_test_kernels.so');
}

/** build/Release/bitexact_hostile_kernels.so: the test kernels that touch the executor's stdio. */
export function hostileKernelsPath(): string {
  return path.join(PKG_ROOT, 'build', 'Release', 'bitexact_hostile_kernels.so');
}
