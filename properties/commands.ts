// The commands a failure report prints for the user to paste: one place, so every printed
// command is built (and quoted) the same way. Every word that comes from outside (a fixture
// path, a kernel name, a library path) goes through shellQuote, so a pasted line runs exactly
// the command shown and nothing else.
import { sh } from '../native/backends/provider.js';

/** POSIX shell quoting of one word: unchanged when it has only safe characters, else in single
 *  quotes (a `'` inside as `'\''`). The one quoting function of bitexact (the repro build lines
 *  use it too, through native/backends/provider.ts). */
export const shellQuote: (word: string) => string = sh;

/** A path as a shell word that cannot read as an option (`-x.json` becomes `./-x.json`). */
export const pathWord = (path: string): string => shellQuote(path.startsWith('-') ? `./${path}` : path);

/** The `npx bitexact VERB ...` line of words already quoted (options, paths, names). */
const bitexact = (verb: string, ...words: string[]): string => ['npx bitexact', verb, ...words].filter(Boolean).join(' ');

/** The options that load an external kernel's library again (`--kernel-lib PATH`). */
export const kernelLibOption = (lib: string): string => `--kernel-lib ${pathWord(lib)}`;

/** Re-runs one saved fixture against a kernel. `load`: the options that load the kernel
 *  (kernelLibOption, a manifest's), `extra`: emulator options, both already shell words. */
export const replayCommand = (fixture: string, kernel: string, load = '', extra = ''): string =>
  bitexact('replay', pathWord(fixture), load, `--kernel ${shellQuote(kernel)}`, extra);

/** What else the rerun line needs to reproduce the run exactly (each absent: not printed). */
export interface RerunOptions {
  /** the options that load an external kernel (kernelLibOption, a manifest's), already shell words */
  load?: string;
  /** the run's --seed, when the seed a property ran with is derived from it (a shard's) */
  seed?: number;
  /** the run's --runs */
  runs?: number;
  property?: string;
  /** 0-based index, printed 1-based as --shard I/N */
  shard?: { index: number; count: number };
  /** further options, verbatim shell words (--strict, --timeout MS) */
  extra?: string[];
}

/** Re-runs the gate on one kernel with the seed that found the failure; `--kernel` comes
 *  right after the load options, so a caller may put a library option in front of it. */
export const rerunCommand = (kernel: string, seed: number, o: RerunOptions = {}): string =>
  bitexact('conform', o.load ?? '', `--kernel ${shellQuote(kernel)}`, `--seed ${o.seed ?? seed}`,
    o.property === undefined ? '' : `--property ${shellQuote(o.property)}`,
    o.runs === undefined ? '' : `--runs ${o.runs}`,
    o.shard === undefined ? '' : `--shard ${o.shard.index + 1}/${o.shard.count}`,
    ...(o.extra ?? []));
