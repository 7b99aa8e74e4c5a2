// `bitexact oracle-selftest [--runs N] [--seed S] [--only TEXT]`: runs the oracle's own
// properties (oracle/selftest.ts, the same ones `npm test` runs) and prints the seed first,
// so any failure is reproducible with the printed command.
import { SELF_PROPERTIES, runSelfProperty } from '../oracle/selftest.js';
import cliProgress from 'cli-progress';
import { intOption, parseOptions, processIo, type Io, type Verb } from './util.js';
import { colors, isInteractive } from './progress.js';

export const selftestVerb: Verb = {
  summary: 'run the oracle\'s own properties (rounding formulations, fast == bigint, frame == tiles, packing, case files)',
  usage: 'bitexact oracle-selftest [--runs N] [--seed S] [--only TEXT]\n'
    + '  --runs N   runs per property (default: each property\'s own count, as in npm test)\n'
    + '  --seed S   fast-check seed (default: random; always printed first)\n'
    + '  --only T   only the properties whose name contains T\n'
    + '  Exit 0 when every property holds, 1 when one fails (with its counterexample).\n',
  async run(argv: string[], io: Io = processIo): Promise<number> {
    const parsed = parseOptions(argv, { runs: { type: 'string' }, seed: { type: 'string' }, only: { type: 'string' } });
    if ('error' in parsed) { io.err(`bitexact oracle-selftest: ${parsed.error}\n${this.usage}`); return 2; }
    if (parsed.positionals.length) { io.err(`bitexact oracle-selftest: unexpected ${parsed.positionals.join(' ')}\n${this.usage}`); return 2; }
    const runs = intOption('runs', parsed.values.runs, 1);
    const seedOpt = intOption('seed', parsed.values.seed, 0);
    for (const x of [runs, seedOpt]) if (typeof x === 'string') { io.err(`bitexact oracle-selftest: ${x}\n`); return 2; }
    const seed = (seedOpt as number | undefined) ?? (Math.random() * 2 ** 31) >>> 0;
    const only = parsed.values.only as string | undefined;
    const props = SELF_PROPERTIES.filter((p) => only === undefined || p.name.includes(only));
    if (props.length === 0) { io.err(`bitexact oracle-selftest: no property matches --only ${only}\n`); return 2; }
    io.err(`seed ${seed}\n`);
    // a bar on a terminal (cli-progress, fitted to its width); plain lines otherwise
    const tty = io === processIo && isInteractive(io.isTTY);
    const c = colors(io.isTTY);
    let failures = 0;
    for (const p of props) {
      const numRuns = (runs as number | undefined) ?? p.runs;
      let done = 0;
      const t0 = Date.now();
      const bar = tty ? new cliProgress.SingleBar({ stream: process.stderr, format: `[{bar}] {value}/{total} ${p.name}`, barsize: 30, clearOnComplete: true, hideCursor: false, linewrap: false }) : undefined;
      bar?.start(numRuns, 0);
      const tick = () => { done++; bar?.update(Math.min(done, numRuns)); };
      const r = runSelfProperty(p, { seed, numRuns, tick });
      const ms = Date.now() - t0;
      bar?.stop();
      if (r.failed) {
        failures++;
        io.err(`${c.bold(c.red('FAIL'))} ${p.name}\n${r.report}\n`);
      } else {
        io.err(`${c.green('ok')}   ${p.name} (${numRuns} runs, ${ms} ms)\n`);
      }
    }
    if (failures) {
      io.err(`${failures} of ${props.length} properties failed; reproduce: bitexact oracle-selftest --seed ${seed}${runs === undefined ? '' : ` --runs ${runs as number}`}\n`);
      return 1;
    }
    io.err(`all ${props.length} properties hold (seed ${seed})\n`);
    return 0;
  },
};
