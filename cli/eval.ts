// `bitexact eval CASE.json`: the oracle's result for a case file, as {"c": [[...]]} = the
// values written by the last store (signed). Exit 0; exit 2 on a malformed or invalid case.
import { readCase } from '../oracle/case.js';
import { evalChain, lastStore } from '../oracle/eval.js';
import { ValidationError } from '../oracle/validate.js';
import type { Case } from '../oracle/types.js';
import { parseOptions, processIo, readCaseText, type Io, type Verb } from './util.js';
import { many, openKernels } from './kernels.js';
import { kernelNameProblem } from '../native/descriptor.js';
import { fmtFailure } from '../properties/report.js';
import { runCase } from '../properties/check.js';
import { readMatrix } from '../properties/layout.js';
import { parseTimeoutMs, TIMEOUT_USAGE, type TimeoutPolicy } from '../properties/timeout.js';

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
  usage: 'bitexact eval CASE.json [--kernel NAME [--kernel-lib PATH.so]... [--manifest KERNELS.json]... [--timeout MS]]\n'
    + '  Prints {"c": [[...]]}: the values written by the chain\'s last store (signed), exit 0.\n'
    + '  Exit 2 when the file is malformed or outside the domain (the message names the JSON path).\n'
    + '  --kernel NAME: run the case on that native kernel instead (a tile-level case needs its tile shape;\n'
    + '  a frame-level case runs through the frame on any kernel) and print the kernel\'s last store.\n'
    + '  Exit 3 (naming the op) when the kernel refuses the case, 1 with the readable failure when it\n'
    + '  disagrees with the oracle. --kernel-lib / --manifest load external kernels (see bitexact list).\n'
    + TIMEOUT_USAGE,
  async run(argv: string[], io: Io = processIo): Promise<number> {
    const parsed = parseOptions(argv, { kernel: { type: 'string' }, 'kernel-lib': { type: 'string', multiple: true }, manifest: { type: 'string', multiple: true }, 'no-aarch64': { type: 'boolean' }, timeout: { type: 'string' } });
    if ('error' in parsed) { io.err(`bitexact eval: ${parsed.error}\n${this.usage}`); return 2; }
    if (parsed.positionals.length !== 1) { io.err(`bitexact eval: expected one CASE.json\n${this.usage}`); return 2; }
    for (const o of ['kernel-lib', 'manifest'] as const) {
      if (parsed.values.kernel === undefined && parsed.values[o] !== undefined) { io.err(`bitexact eval: --${o} needs --kernel NAME\n${this.usage}`); return 2; }
    }
    if (parsed.values.kernel === undefined && parsed.values.timeout !== undefined) { io.err(`bitexact eval: --timeout needs --kernel NAME (the oracle alone runs no kernel)\n${this.usage}`); return 2; }
    const timeoutMs = parseTimeoutMs(parsed.values.timeout);
    if (typeof timeoutMs === 'string') { io.err(`bitexact eval: ${timeoutMs}\n${this.usage}`); return 2; }
    if (typeof parsed.values.kernel === 'string') {
      const why = kernelNameProblem(parsed.values.kernel);
      if (why) { io.err(`bitexact eval: --kernel: ${why}\n`); return 2; }
    }
    const file = parsed.positionals[0];
    const read = readCaseText(file);
    if ('error' in read) { io.err(`bitexact eval: ${read.error}\n`); return 2; }
    const { text } = read;
    if (typeof parsed.values.kernel === 'string') {
      const timeout: TimeoutPolicy = timeoutMs === undefined ? {} : { fixedMs: timeoutMs };
      return evalOnKernel(text, file, parsed.values.kernel, { libs: many(parsed.values['kernel-lib']), manifests: many(parsed.values.manifest) }, parsed.values['no-aarch64'] === true, timeout, io);
    }
    const r = evalCaseText(text, file);
    io.out(r.out);
    io.err(r.err);
    return r.code;
  },
};

/** `eval --kernel NAME`: the case on a native kernel, judged against the oracle. */
async function evalOnKernel(text: string, file: string, name: string, ext: { libs: string[]; manifests: string[] }, noAarch64: boolean, timeout: TimeoutPolicy, io: Io): Promise<number> {
  let c: Case;
  try {
    c = readCase(text, file);
  } catch (e) {
    if (e instanceof ValidationError) { io.err(`bitexact eval: ${e.message}\n`); return 2; }
    throw e;
  }
  const set = await openKernels({ ...ext, aarch64: noAarch64 ? false : undefined });
  try {
    for (const p of set.problems) { io.err(`bitexact eval: ${p}\n`); return 2; }
    const t = set.targets.find((x) => x.kernel.name === name);
    if (!t) {
      const u = set.unavailable.find((x) => x.name === name || x.name.includes(name));
      io.err(`bitexact eval: --kernel ${name}: ${u ? `not runnable here: ${u.why}` : 'no such kernel (see bitexact list; external kernels need --kernel-lib or --manifest)'}\n`);
      return 2;
    }
    if (c.level === 'tile' && (c.m !== t.kernel.mr || c.n !== t.kernel.nr)) {
      io.err(`bitexact eval: a tile-level case is ${c.m}x${c.n}, but ${name} has a ${t.kernel.mr}x${t.kernel.nr} tile (use a frame-level case, or a kernel with this tile)\n`);
      return 2;
    }
    // what the kernel's last store wrote (signed), printed even when it disagrees
    let got: number[][] | undefined;
    const verdict = await runCase(t.backend, t.kernel, c, {
      timeout,
      onExec: (enc, res) => {
        const last = enc.stores[enc.stores.length - 1];
        if (last && res.buffers[last.buf]?.length) got = readMatrix(res.buffers[last.buf], last.placement, c.m, c.n);
      },
    });
    if (verdict.outcome === 'refused') {
      const op = c.chain[verdict.at];
      io.err(`bitexact eval: ${name} refuses the case: chain[${verdict.at}] ${op.op}${'bin' in op ? ` ${op.bin}` : ''} is not declared by the kernel (it returned 1 there, as declared)\n`);
      return 3;
    }
    if (!verdict.ok) {
      if (got) io.out(formatResult(got));
      // a case the executor or the encoder rejects was never run: the kernel did not disagree
      const what = verdict.outcome === 'exec_error' ? `could not run the case on ${name} (the executor or the encoder rejected it)` : `${name} disagrees with the oracle`;
      io.err(`bitexact eval: ${what}\n${fmtFailure(name, c, verdict)}\n`);
      return 1;
    }
    io.out(formatResult(got));
    return 0;
  } finally {
    await set.close();
  }
}
