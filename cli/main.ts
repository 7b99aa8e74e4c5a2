#!/usr/bin/env node
// The `bitexact` command: a registry of verbs. To add a verb, write it in its own file
// (cli/list.ts exporting `listVerb: Verb`, see cli/util.ts) and add ONE line to `verbs` below.
import { isEntry, processIo, type Io, type Verb } from './util.js';
import { evalVerb } from './eval.js';
import { selftestVerb } from './oracle-selftest.js';
import { conformVerb } from './conform.js';
import { listVerb } from './list.js';
import { replayVerb } from './replay.js';
import { mergeVerb } from './merge.js';
import { setupVerb } from './setup.js';
import { PKG_VERSION } from '../native/paths.js';

export type { Verb } from './util.js';

export const verbs: Record<string, Verb> = {
  eval: evalVerb,
  'oracle-selftest': selftestVerb,
  conform: conformVerb,
  list: listVerb,
  replay: replayVerb,
  merge: mergeVerb,
  setup: setupVerb,
  // one line per verb, e.g.  list: listVerb,
};

const helpVerb: Verb = {
  summary: 'list the verbs, or show one verb\'s usage (bitexact help VERB)',
  usage: 'bitexact help [VERB]\n',
  async run(argv: string[], io: Io = processIo): Promise<number> {
    const name = argv[0];
    if (name !== undefined) {
      const v = allVerbs()[name];
      if (!v) { io.err(`bitexact: unknown verb ${name}\n`); return 2; }
      io.out(`bitexact ${name}: ${v.summary}\n${v.usage}`);
      return 0;
    }
    const all = allVerbs();
    const width = Math.max(...Object.keys(all).map((k) => k.length));
    io.out('usage: bitexact VERB [options]   (bitexact help VERB for details; bitexact --version)\n\n'
      + Object.entries(all).map(([k, v]) => `  ${k.padEnd(width)}  ${v.summary}\n`).join(''));
    return 0;
  },
};

const allVerbs = (): Record<string, Verb> => ({ ...verbs, help: helpVerb });

/** Runs the CLI on argv (without node and script); returns the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') return helpVerb.run([], io);
  if (name === '--version' || name === '-V') { io.out(`bitexact ${PKG_VERSION}\n`); return 0; }
  const verb = allVerbs()[name];
  if (!verb) {
    io.err(`bitexact: unknown verb ${JSON.stringify(name)}\n`);
    await helpVerb.run([], { ...io, out: io.err });
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) return helpVerb.run([name], io);
  try {
    return await verb.run(rest, io);
  } catch (e) {
    io.err(`bitexact ${name}: internal error: ${process.env.BITEXACT_DEBUG ? (e as Error).stack : (e as Error).message}\n`);
    return 1;
  }
}

if (isEntry(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
