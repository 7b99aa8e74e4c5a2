// `bitexact eval CASE.json`: the oracle's result for a case file, as {"c": [[...]]} = the
// values written by the last store (signed). Exit 0; exit 2 on a malformed or invalid case.
import { readFile } from 'node:fs/promises';
import { readCase } from '../oracle/case.js';
import { evalChain, lastStore } from '../oracle/eval.js';
import { ValidationError } from '../oracle/validate.js';
import type { Case } from '../oracle/types.js';
import { parseOptions, processIo, type Io, type Verb } from './util.js';

export interface EvalOutcome {
  code: number;
  /** stdout text (the JSON line) when code = 0 */
  out: string;
  /** stderr text when code != 0 */
  err: string;
  /** the oracle's last-store values (undefined when there is no store or on error) */
  c?: number[][];
}

/** The JSON printed for a result: {"c": [[...], ...]} (null when the chain has no store). */
export const formatResult = (c: number[][] | undefined): string => `{"c": ${c === undefined ? 'null' : JSON.stringify(c)}}\n`;

/** The whole eval code path on a case text, without I/O: used by the CLI and the golden tests. */
export function evalCaseText(text: string, fileName: string): EvalOutcome {
  let c: Case;
  try {
    c = readCase(text, fileName);
  } catch (e) {
    if (e instanceof ValidationError) return { code: 2, out: '', err: `bitexact eval: ${e.message}\n` };
    throw e;
  }
  const result = lastStore(evalChain(c, { validate: false }));
  return { code: 0, out: formatResult(result), err: '', c: result };
}

export const evalVerb: Verb = {
  summary: 'print the oracle result of a bitexact-case/1 file as {"c": [[...]]}',
  usage: 'bitexact eval CASE.json [--kernel NAME]\n'
    + '  Prints {"c": [[...]]}: the values written by the chain\'s last store (signed), exit 0.\n'
    + '  Exit 2 when the file is malformed or outside the domain (the message names the JSON path).\n',
  async run(argv: string[], io: Io = processIo): Promise<number> {
    const parsed = parseOptions(argv, { kernel: { type: 'string' } });
    if ('error' in parsed) { io.err(`bitexact eval: ${parsed.error}\n${this.usage}`); return 2; }
    if (parsed.positionals.length !== 1) { io.err(`bitexact eval: expected one CASE.json\n${this.usage}`); return 2; }
    if (parsed.values.kernel !== undefined) {
      // HOOK (native): replace this line with the kernel run of native/ (same output format).
      io.err('bitexact eval: --kernel is not available yet\n');
      return 2;
    }
    const file = parsed.positionals[0];
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      io.err(`bitexact eval: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 2;
    }
    const r = evalCaseText(text, file);
    io.out(r.out);
    io.err(r.err);
    return r.code;
  },
};
