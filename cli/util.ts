// Small shared pieces of the CLI: the verb shape, an output abstraction (so tests can call a
// verb without a subprocess), and option parsing that never throws.
import { realpathSync } from 'node:fs';
import { FileError, readInputText } from '../native/files.js';
import { MAX_CASE_BYTES } from '../oracle/case.js';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** True when the module with this import.meta.url is the script node was started with
 *  (so a file can be both a library and a command). */
export function isEntry(moduleUrl: string): boolean {
  try {
    return process.argv[1] !== undefined && moduleUrl === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: progress bars may redraw a line */
  isTTY: boolean;
}

export const processIo: Io = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  isTTY: Boolean(process.stderr.isTTY),
};

/** Collects output in strings (tests, in-process callers). */
export function bufferIo(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out(t: string) { io.stdout += t; },
    err(t: string) { io.stderr += t; },
  };
  return io;
}

/** A CLI verb. Exit codes: 0 ok, 1 a check failed / internal error, 2 bad usage or invalid input. */
export interface Verb {
  /** one line for `bitexact help` */
  summary: string;
  /** usage text for `bitexact help VERB` */
  usage: string;
  run(argv: string[], io?: Io): Promise<number>;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict checking; returns an error string instead of throwing. */
export function parseOptions(argv: string[], options: Options): { values: Record<string, string | boolean | undefined>; positionals: string[] } | { error: string } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A non-negative safe integer option, or an error string. */
export function intOption(name: string, v: string | boolean | undefined, min = 0): number | undefined | string {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min) {
    return `--${name} ${String(v)}: expected an integer >= ${min}`;
  }
  return Number(v);
}

/** A case file's text, stat()ed first (a FIFO, a directory or a file over the size limit is an
 *  error, never a hang or an out-of-memory abort); the error message names the file. */
export function readCaseText(file: string): { text: string } | { error: string } {
  try {
    return { text: readInputText(file, { maxBytes: MAX_CASE_BYTES }) };
  } catch (e) {
    if (e instanceof FileError) return { error: `cannot read ${e.message}` };
    throw e;
  }
}
