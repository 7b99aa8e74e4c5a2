// The commands a failure report prints for the user to paste: one place, so every printed
// command is built (and quoted) the same way.

/** Re-runs one saved fixture against a kernel. */
export const replayCommand = (fixture: string, kernel: string): string => `npx bitexact replay ${fixture} --kernel ${kernel}`;

/** What else the rerun line needs to reproduce the run exactly (each absent: not printed). */
export interface RerunOptions {
  /** the run's --seed, when the seed a property ran with is derived from it (a shard's) */
  seed?: number;
  /** the run's --runs */
  runs?: number;
  property?: string;
  /** 0-based index, printed 1-based as --shard I/N */
  shard?: { index: number; count: number };
  /** further options, verbatim (--strict, --timeout MS) */
  extra?: string[];
}

/** Re-runs the gate on one kernel with the seed that found the failure; `--kernel` comes
 *  first, so a caller may put a library option in front of it. */
export const rerunCommand = (kernel: string, seed: number, o: RerunOptions = {}): string =>
  [`npx bitexact conform --kernel ${kernel} --seed ${o.seed ?? seed}`,
    o.property === undefined ? '' : ` --property ${o.property}`,
    o.runs === undefined ? '' : ` --runs ${o.runs}`,
    o.shard === undefined ? '' : ` --shard ${o.shard.index + 1}/${o.shard.count}`,
    ...(o.extra ?? []).map((x) => ` ${x}`)].join('');
