import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

// Under c8 (`npm test` = build, then `c8 --config coverage/c8.json vitest run`), the oracle is
// loaded from its tsc build in dist/oracle (natively by Node, not transformed by vite), so V8's
// coverage has real file URLs and c8 maps it back to oracle/*.ts through tsc's source maps.
// Without c8 (plain `npx vitest`), the tests run on the .ts sources directly.
const useDist = process.env.NODE_V8_COVERAGE !== undefined || process.env.BITEXACT_TEST_DIST === '1';
const COVERED = ['oracle'];
const jobs = Number(process.env.BITEXACT_JOBS) > 0 ? Math.floor(Number(process.env.BITEXACT_JOBS)) : availableParallelism();

function distRedirect(): Plugin {
  return {
    name: 'bitexact-dist-redirect',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.') || !source.endsWith('.js')) return null;
      const target = resolve(dirname(importer), source);
      const rel = relative(root, target);
      if (!COVERED.includes(rel.split(sep)[0]) || rel.endsWith('.test.js')) return null;
      const ts = resolve(root, rel.replace(/\.js$/, '.ts'));
      const js = resolve(root, 'dist', rel);
      if (!existsSync(ts)) return null;
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(ts).mtimeMs) {
        throw new Error(`${relative(root, js)} is missing or older than ${relative(root, ts)}: run npm run build first`);
      }
      return js;
    },
  };
}

export default defineConfig({
  plugins: useDist ? [distRedirect()] : [],
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**', 'build/**', '.toolchain/**'],
    pool: 'forks',
    // test files in parallel: BITEXACT_JOBS, else one per processor (vitest alone keeps one core free)
    maxWorkers: jobs,
    testTimeout: 120000,
    hookTimeout: 120000,
    setupFiles: ['coverage/take-coverage.ts'],
    server: { deps: { external: useDist ? [/\/dist\//] : [] } },
  },
});
