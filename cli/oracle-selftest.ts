// `bitexact oracle-selftest [--runs N] [--seed S] [--only TEXT]`: runs the oracle's own
// properties (oracle/selftest.ts, the same ones `npm test` runs) and prints the seed first,
// so any failure is reproducible with the printed command.
import { SELF_PROPERTIES, runSelfProperty } from '../oracle/selftest.js';
import { intOption, parseOptions, processIo, type Io, type Verb } from './util.js';

const BAR = 30;

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
    let failures = 0;
    for (const p of props) {
      const numRuns = (runs as number | undefined) ?? p.runs;
      let done = 0;
      let shown = -1;
      const t0 = Date.now();
      const draw = (): void => {
        const filled = Math.min(BAR, Math.floor((done / numRuns) * BAR));
        io.err(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${Math.min(done, numRuns)}/${numRuns} ${p.name}`);
      };
      const tick = io.isTTY
        ? () => { done++; const step = Math.floor((done / numRuns) * 100); if (step !== shown) { shown = step; draw(); } }
        : () => { done++; };
      const r = runSelfProperty(p, { seed, numRuns, tick });
      const ms = Date.now() - t0;
      if (io.isTTY) io.err('\r\x1b[K');
      if (r.failed) {
        failures++;
        io.err(`FAIL ${p.name}\n${r.report}\n`);
      } else {
        io.err(`ok   ${p.name} (${numRuns} runs, ${ms} ms)\n`);
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
