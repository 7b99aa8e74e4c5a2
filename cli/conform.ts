// `bitexact conform`: the gate. Runs every property against every kernel runnable here (or the
// --kernel ones, or the kernels of --kernel-lib libraries), with a live view on stderr (a
// progress bar per kernel on a terminal, one plain line per finished kernel x property
// otherwise), then the summary on stdout and the reports asked for. Exit 0 only when the
// report is ok; 1 when a kernel failed (or coverage is incomplete); 2 on bad usage.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { conformance, DEFAULT_CONFORM_RUNS, type ConformReport, type ConformOptions } from '../conform/engine.js';
import { envRuns, envSeed } from '../conform/env.js';
import { renderHtml } from '../conform/report-html.js';
import { renderJunit } from '../conform/report-junit.js';
import { renderMarkdown } from '../conform/report-markdown.js';
import { renderText } from '../conform/report-text.js';
import { isUsageProblem } from '../conform/problems.js';
import { CPU_PROFILES, DEFAULT_CPU_PROFILE } from '../native/backends/aarch64-qemu.js';
import { resolveSeed } from '../properties/run.js';
import { parseTimeoutMs, TIMEOUT_USAGE } from '../properties/timeout.js';
import { many } from './kernels.js';
import { intOption, parseOptions, processIo, type Io, type Verb } from './util.js';
import { colors, liveView, paintStatus } from './progress.js';

export const CONFORM_OPTIONS = {
  kernel: { type: 'string', multiple: true },
  'kernel-lib': { type: 'string', multiple: true },
  manifest: { type: 'string', multiple: true },
  property: { type: 'string', multiple: true },
  runs: { type: 'string' },
  seed: { type: 'string' },
  'time-budget': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'string' },
  junit: { type: 'string' },
  markdown: { type: 'string' },
  html: { type: 'string' },
  shard: { type: 'string' },
  'fixture-dir': { type: 'string' },
  'no-aarch64': { type: 'boolean' },
  svl: { type: 'string' },
  'cpu-profile': { type: 'string' },
  strict: { type: 'boolean' },
} as const;

/** "I/N" (1-based) -> { index: I-1, count: N }, or an error. */
export function parseShard(s: string): { index: number; count: number } | string {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(s);
  if (!m) return `--shard ${s}: expected I/N, e.g. 1/4`;
  const i = Number(m[1]), n = Number(m[2]);
  if (n < 1 || i < 1 || i > n) return `--shard ${s}: expected 1 <= I <= N`;
  return { index: i - 1, count: n };
}

/** Writes the reports asked for (a file "-": to `stdout`); returns the lines that say where. */
export function writeReports(r: ConformReport, files: { json?: string; junit?: string; markdown?: string; html?: string }, stdout?: (text: string) => void): string[] {
  const out: string[] = [];
  const put = (file: string | undefined, what: string, text: () => string) => {
    if (!file) return;
    if (file === '-' && stdout) { stdout(text()); out.push(`${what} report: standard output`); return; }
    const path = resolve(file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text());
    out.push(`${what} report: ${file}`);
  };
  put(files.json, 'JSON', () => JSON.stringify(r, null, 2) + '\n');
  put(files.junit, 'JUnit', () => renderJunit(r));
  put(files.markdown, 'markdown', () => renderMarkdown(r));
  put(files.html, 'HTML', () => renderHtml(r));
  return out;
}

/** The exit code of a run stopped by SIGINT / SIGTERM (the shell's 128 + SIGINT). */
export const INTERRUPTED_EXIT = 130;

/** Exit code of a report: 130 interrupted, 0 ok, 2 when only usage problems (--kernel, --property, ...) failed it, else 1. */
export function exitCode(r: ConformReport): number {
  if (r.interrupted) return INTERRUPTED_EXIT;
  if (r.ok) return 0;
  const kernelFailed = r.kernels.some((k) => k.properties.some((p) => p.status === 'failed'));
  if (!kernelFailed && r.problemDetails.length > 0 && r.problemDetails.every(isUsageProblem)) return 2;
  return 1;
}

export { liveView } from './progress.js';

// ---- the verb ----------------------------------------------------------------------------

export const conformVerb: Verb = {
  summary: 'the conformance gate: every property against every kernel runnable here (or --kernel / --kernel-lib / --manifest)',
  usage: 'bitexact conform [--kernel NAME]... [--kernel-lib PATH.so]... [--manifest KERNELS.json]... [--property NAME]...\n'
    + '                  [--runs N] [--seed S] [--time-budget SECONDS] [--timeout MS] [--shard I/N] [--no-aarch64]\n'
    + '                  [--svl BYTES] [--cpu-profile NAME] [--fixture-dir DIR] [--strict]\n'
    + '                  [--json FILE] [--junit FILE] [--markdown FILE] [--html FILE]\n'
    + '  --kernel NAME       gate only this kernel (repeatable; see bitexact list)\n'
    + '  --kernel-lib PATH   load the kernels of a library built against native/include/bitexact/kernel.h\n'
    + '                      (x86-64: isolated child process; aarch64: the runner under qemu); repeatable.\n'
    + '                      With --kernel-lib and no --kernel, only the library\'s kernels are gated.\n'
    + '  --manifest FILE     a bitexact-kernels/1 manifest: raw kernel functions in a library or object files,\n'
    + '                      described in JSON (no descriptor code; see README); repeatable, like --kernel-lib.\n'
    + '  --property NAME     tile, frame, interleave, packing, gating, beyond (repeatable; default all)\n'
    + `  --runs N            random cases per property per kernel (default ${DEFAULT_CONFORM_RUNS}; divided by a property's cost),\n`
    + '                      after the deterministic ones (edge cases, the coverage sweep), which always run in full\n'
    + '  --seed S            fast-check seed (default random; printed first)\n'
    + '  --time-budget S     wall-clock budget for the whole run\n'
    + TIMEOUT_USAGE
    + '  --svl BYTES         streaming vector length qemu gives the aarch64 runner (default 64 = 512 bits;\n'
    + '                      16 or 32 show that the SME2 kernel refuses a geometry it was not written for)\n'
    + `  --cpu-profile NAME  the CPU qemu emulates for the aarch64 runner (default ${DEFAULT_CPU_PROFILE}):\n`
    + Object.entries(CPU_PROFILES).map(([n, p]) => `                      ${n}: ${p.about}\n`).join('')
    + '                      qemu:STRING: that qemu -cpu string verbatim (what BX_QEMU_CPU selects)\n'
    + '  --shard I/N         run shard I of N (kernel x property x seed range); join with bitexact merge\n'
    + '  --fixture-dir DIR   where shrunk failures (.json) and their repro.c go (default fixtures/regressions)\n'
    + '  --strict            a divergence outside a kernel\'s declared contract (property beyond) fails the gate\n'
    + '  --json/--junit/--markdown/--html FILE   write the report (the JSON is the ConformReport); FILE - (one of\n'
    + '                      them, e.g. --json -): that report on standard output, the rest on standard error\n'
    + `  BITEXACT_SEED / BITEXACT_RUNS   the seed / --runs when the option is not given\n`
    + '  SIGINT / SIGTERM    stop after the case in flight, write every report asked for (marked interrupted) with\n'
    + '                      what ran and the failures found, print the summary, exit 130 (a second one: exit at once)\n'
    + '  Exit 0 only when every property passed with full semantic coverage; 1 when a kernel failed; 2 on bad usage;\n'
    + '  130 when interrupted.\n'
    + '  Coverage is judged once the whole coverage sweep ran (a correct kernel then reaches every required cell);\n'
    + '  a sweep cut short (--time-budget, --property) is a printed note, not a failure.\n',
  async run(argv: string[], io: Io = processIo): Promise<number> {
    const parsed = parseOptions(argv, CONFORM_OPTIONS);
    const fail = (msg: string) => { io.err(`bitexact conform: ${msg}\n${this.usage}`); return 2; };
    if ('error' in parsed) return fail(parsed.error);
    if (parsed.positionals.length) return fail(`unexpected ${parsed.positionals.join(' ')}`);
    const v = parsed.values as Record<string, unknown>;
    let runs = intOption('runs', v.runs as string | undefined, 1);
    if (typeof runs === 'string') return fail(runs);
    let seedGiven = v.seed as string | number | undefined;
    try {
      runs ??= envRuns();
      seedGiven ??= envSeed();
    } catch (e) { return fail((e as Error).message); }
    const budget = v['time-budget'] as string | undefined;
    if (budget !== undefined && !(Number(budget) > 0)) return fail(`--time-budget ${budget}: expected a positive number of seconds`);
    let shard: { index: number; count: number } | undefined;
    if (v.shard !== undefined) {
      const s = parseShard(v.shard as string);
      if (typeof s === 'string') return fail(s);
      shard = s;
    }
    const svl = intOption('svl', v.svl as string | undefined, 16);
    if (typeof svl === 'string') return fail(svl);
    const timeoutMs = parseTimeoutMs(v.timeout as string | undefined);
    if (typeof timeoutMs === 'string') return fail(timeoutMs);
    let seed: number;
    try { seed = resolveSeed(seedGiven); } catch (e) { return fail((e as Error).message); }
    const libs = many(v['kernel-lib']);
    const manifests = many(v.manifest);
    const kernels = many(v.kernel);
    const opts: ConformOptions = {
      kernels: kernels.length ? kernels : undefined,
      kernelLibs: libs,
      manifests,
      // --kernel-lib / --manifest alone gates their kernels; with --kernel, the named ones wherever they are
      builtins: libs.length + manifests.length > 0 && kernels.length === 0 ? false : true,
      properties: many(v.property),
      runs, seed, timeBudgetSeconds: budget === undefined ? undefined : Number(budget), shard,
      aarch64: v['no-aarch64'] ? false : undefined,
      aarch64SvlBytes: svl,
      aarch64CpuProfile: v['cpu-profile'] as string | undefined,
      timeoutMs,
      fixtureDir: v['fixture-dir'] as string | undefined,
      strict: v.strict === true,
    };
    // FILE "-" (--json - above all): that report owns standard output, the human output goes to standard error
    const dashed = (['json', 'junit', 'markdown', 'html'] as const).filter((f) => v[f] === '-');
    if (dashed.length > 1) return fail(`${dashed.map((f) => `--${f} -`).join(' and ')}: only one report can go to standard output`);
    const jsonOut = dashed.length === 1;
    const human: Io = jsonOut ? { ...io, out: io.err } : io;
    const c = colors(jsonOut ? io.isTTY : io === processIo ? Boolean(process.stdout.isTTY) : false);
    const rerun = [`--seed ${seed}`, ...(runs === undefined ? [] : [`--runs ${runs}`]), ...opts.properties!.map((p) => `--property ${p}`), ...(shard ? [`--shard ${shard.index + 1}/${shard.count}`] : [])].join(' ');
    human.out(`bitexact conform: seed ${seed}${shard ? `, shard ${shard.index + 1}/${shard.count}` : ''} (rerun: ${rerun})\n`);
    const live = liveView(io);
    // SIGINT / SIGTERM: stop between cases and report what ran; a second signal quits at once
    const stop = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => {
      if (stop.signal.aborted) { io.err(`bitexact conform: ${sig} again: exit without reports\n`); process.exit(INTERRUPTED_EXIT); }
      live.end();
      io.err(`\nbitexact conform: ${sig}: stopping after the case in flight, then writing the reports (${sig} again: exit at once)\n`);
      stop.abort(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let report: ConformReport;
    try {
      report = await conformance({ ...opts, onEvent: live.onEvent, signal: stop.signal });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      live.end();
    }
    human.out('\n' + renderText(report).split('\n').map((l) => paintStatus(c, l)).join('\n'));
    try {
      const files = { json: v.json as string | undefined, junit: v.junit as string | undefined, markdown: v.markdown as string | undefined, html: v.html as string | undefined };
      for (const line of writeReports(report, files, io.out)) human.out(`${line}\n`);
    } catch (e) {
      io.err(`bitexact conform: cannot write a report: ${(e as Error).message}\n`);
      return 2;
    }
    return exitCode(report);
  },
};
