// The environment variables `npm test`, `bitexact conform` and `conformance()` share: an
// explicit option wins, then the variable, then the default. A bad value is an error naming it.

/** BITEXACT_SEED, if set: the seed of the run (an integer). */
export function envSeed(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.BITEXACT_SEED;
  if (v === undefined || v === '') return undefined;
  if (!/^-?[0-9]+$/.test(v.trim())) throw new Error(`BITEXACT_SEED=${v}: expected an integer`);
  return Number(v) | 0;
}

/** BITEXACT_RUNS, if set: random cases per property per kernel (an integer >= 1). */
export function envRuns(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.BITEXACT_RUNS;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) throw new Error(`BITEXACT_RUNS=${v}: expected an integer >= 1`);
  return n;
}
