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

/** Re-runs the gate on one kernel with the seed that found the failure. */
export const rerunCommand = (kernel: string, seed: number, load = '', extra = ''): string =>
  bitexact('conform', load, `--kernel ${shellQuote(kernel)}`, `--seed ${seed}`, extra);
