// Where shrunk failures are persisted: one bitexact-case/1 fixture per distinct case, named by
// kernel, property and a hash of the case, which `npm test` and `bitexact replay` read back.
// A fixture is written whole or not at all (native/files.ts); one already there is kept only
// when it reads back as a valid case. Saving never throws: a fixture that cannot be written is
// a SavedFixture saying why, and the failure's text then carries the case itself.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Case } from '../oracle/types.js';
import { MAX_CASE_BYTES, readCase, writeCase } from '../oracle/case.js';
import { lastStore } from '../oracle/eval.js';
import { readInputText, writeWhole } from '../native/files.js';
import { expectedOf, failureKind, type FailedVerdict } from './verdict.js';
import { verdictLine } from './verdict-format.js';
import { replayCommand } from './commands.js';

export const DEFAULT_FIXTURE_DIR = join(process.cwd(), 'fixtures', 'regressions');

/** Where saveFixture put a case, or why it could not. */
export type SavedFixture =
  | { saved: true; path: string; /** an equal valid fixture was already there */ kept: boolean; /** a corrupt file there was replaced */ repaired?: string }
  | { saved: false; path: string; /** names the path and the errno */ error: string; /** the fixture's text, for the report */ text?: string };

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

/** A name as a file-name part: itself when it has only [A-Za-z0-9_.-] and does not start with
 *  `.` or `-`; else those characters, the rest as `_`, cut to 64, plus a hash of the name (two
 *  names never share a file). */
export function fileNamePart(name: string): string {
  if (/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(name)) return name;
  return `${name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[.-]/, '_').slice(0, 64) || '_'}~${sha1(name).slice(0, 8)}`;
}

/** The file name of a fixture: kernel, property, hash of the case body. */
export const fixtureFileName = (kernel: string, property: string, hash: string): string =>
  `${fileNamePart(kernel)}--${fileNamePart(property)}--${hash}.json`;

/** Whether the file at `file` reads back as a valid bitexact-case/1 case. */
function validFixture(file: string): boolean {
  try {
    readCase(readInputText(file, { maxBytes: MAX_CASE_BYTES }), file);
    return true;
  } catch {
    return false;
  }
}

export function saveFixture(dir: string, c: Case, kernel: string, property: string, seed: number, path: string | undefined, v: FailedVerdict): SavedFixture {
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
  const hash = sha1(JSON.stringify(body)).slice(0, 10);
  const file = join(dir, fixtureFileName(kernel, property, hash));
  let text: string;
  try {
    text = writeCase(withMeta);
  } catch (e) {
    return { saved: false, path: file, error: `not saved: the case does not write as bitexact-case/1: ${(e as Error).message}` };
  }
  let repaired: string | undefined;
  if (existsSync(file)) {
    if (validFixture(file)) return { saved: true, path: file, kept: true };
    repaired = `${file} was there but not a valid case: rewritten`;
  }
  try {
    writeWhole(file, text);
  } catch (e) {
    return { saved: false, path: file, error: (e as Error).message, text };
  }
  return { saved: true, path: file, kept: false, ...(repaired ? { repaired } : {}) };
}

/** The path of a saved fixture (undefined when it was not saved). */
export const savedPath = (s: SavedFixture | undefined): string | undefined => (s?.saved ? s.path : undefined);

/** The lines a failure prints about its fixture: where it is and how to replay it, or why it
 *  could not be written, followed by the fixture's text so that nothing is lost. */
export function fixtureLines(s: SavedFixture, kernel: string): string {
  if (s.saved) return `${s.repaired ? `${s.repaired}\n` : ''}saved as ${s.path}; replay: ${replayCommand(s.path, kernel)}`;
  return `fixture NOT saved: ${s.error}${s.text ? `\nthe fixture, to save by hand as ${s.path}:\n${s.text.trimEnd()}` : ''}`;
}
