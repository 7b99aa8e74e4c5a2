// Where shrunk failures are persisted: one bitexact-case/1 fixture per distinct case, named by
// kernel, property and a hash of the case, which `npm test` and `bitexact replay` read back.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Case } from '../oracle/types.js';
import { writeCase } from '../oracle/case.js';
import { lastStore } from '../oracle/eval.js';
import { expectedOf, failureKind, type FailedVerdict } from './verdict.js';
import { verdictLine } from './verdict-format.js';

export const DEFAULT_FIXTURE_DIR = join(process.cwd(), 'fixtures', 'regressions');

export function saveFixture(dir: string, c: Case, kernel: string, property: string, seed: number, path: string | undefined, v: FailedVerdict): string {
  const withMeta: Case = {
    ...c,
    kernel,
    seed: path ? `${seed}:${path}` : String(seed),
    note: `${property}: ${verdictLine(v)}`.slice(0, 500),
  };
  const exp = expectedOf(v);
  const expect = exp ? lastStore(exp) : undefined;
  const kind = failureKind(v);
  if (expect && (kind === 'mismatch' || kind === 'out_of_tile_write') && c.chain.length && c.chain[c.chain.length - 1].op === 'store') withMeta.expect = expect;
  const body = { ...c, kernel: undefined, seed: undefined, note: undefined };
  const hash = createHash('sha1').update(JSON.stringify(body)).digest('hex').slice(0, 10);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${kernel}--${property}--${hash}.json`);
  if (!existsSync(file)) writeFileSync(file, writeCase(withMeta));
  return file;
}
