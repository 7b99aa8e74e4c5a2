// `bitexact conform`: the gate. Runs every property against every kernel runnable here (or the
// --kernel ones, or the kernels of --kernel-lib libraries), with a live view on stderr (a
// progress bar per kernel on a terminal, one plain line per finished kernel x property
// otherwise), then the summary on stdout and the reports asked for. Exit 0 only when the
// report is ok; 1 when a kernel failed (or coverage is incomplete); 2 on bad usage.
import { resolve } from 'node:path';
import { DEFAULT_CONFORM_RUNS, type ConformReport, type ConformOptions } from '../conform/engine.js';
import { envRuns, envSeed } from '../conform/env.js';
import { conformJobs, defaultJobs } from '../conform/jobs.js';
import { renderHtml } from '../conform/report-html.js';
import { renderJunit } from '../conform/report-junit.js';
import { renderMarkdown } from '../conform/report-markdown.js';
import { renderText } from '../conform/report-text.js';
import { isUsageProblem } from '../conform/problems.js';
import { cpuProfileError, CPU_PROFILES, DEFAULT_CPU_PROFILE, SVL_BYTES, svlError } from '../native/backends/aarch64-qemu.js';
import { libraryProblem } from '../native/backends/index.js';
import { kernelNameProblem } from '../native/descriptor.js';
import { dirProblem, FileError, inputProblem, outputProblem, writeWhole } from '../native/files.js';
import { openKernels } from '../native/targets.js';
import { PROPERTY_NAMES } from '../properties/kernel-properties.js';
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
  'first-failure': { type: 'boolean' },
  jobs: { type: 'string' },
} as const;

/** "I/N" (1-based) -> { index: I-1, count: N }, or an error. */
export function parseShard(s: string): { index: number; count: number } | string {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(s);
  if (!m) return `--shard ${s}: expected I/N, e.g. 1/4`;
  const i = Number(m[1]), n = Number(m[2]);
  if (n < 1 || i < 1 || i > n) return `--shard ${s}: expected 1 <= I <= N`;
  return { index: i - 1, count: n };
}

/** The report options and their titles, in the order they are written. */
export const REPORT_OPTIONS = [['json', 'JSON'], ['junit', 'JUnit'], ['markdown', 'markdown'], ['html', 'HTML']] as const;
export type ReportFiles = Partial<Record<(typeof REPORT_OPTIONS)[number][0], string>>;

/** Writes every report asked for (a file "-": to `stdout`), each whole or not at all (native/files.ts); one that cannot
 *  be written does not stop the others. `written`: the lines that say where; `failed`: why a
 *  report is missing (its path and errno). */
export function writeReports(r: ConformReport, files: ReportFiles, stdout?: (text: string) => void): { written: string[]; failed: string[] } {
  const written: string[] = [];
  const failed: string[] = [];
  const render: Record<keyof ReportFiles, () => string> = {
    json: () => JSON.stringify(r, null, 2) + '\n', junit: () => renderJunit(r), markdown: () => renderMarkdown(r), html: () => renderHtml(r),
  };
  for (const [key, what] of REPORT_OPTIONS) {
    const file = files[key];
    if (!file) continue;
    if (file === '-' && stdout) { stdout(render[key]()); written.push(`${what} report: standard output`); continue; }
    try {
      writeWhole(file, render[key]());
      written.push(`${what} report: ${file}`);
    } catch (e) {
      if (!(e instanceof FileError)) throw e;
      failed.push(`${what} report not written: ${e.message}`);
    }
  }
  return { written, failed };
}

/** The output paths of a run, checked before anything runs: a usage error, or null. */
export function outputsProblem(files: ReportFiles, fixtureDir?: string): string | null {
  for (const [key] of REPORT_OPTIONS) {
    const file = files[key];
    if (file === undefined) continue;
    if (file === '') return `--${key}: expected a file path`;
    if (file === '-') continue;
    const why = outputProblem(file);
    if (why) return `--${key} ${why}`;
  }
  if (fixtureDir !== undefined) {
    if (fixtureDir === '') return '--fixture-dir: expected a directory';
    const why = dirProblem(resolve(fixtureDir), fixtureDir);
    if (why) return `--fixture-dir ${why}`;
  }
  return null;
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
    + '                  [--svl BYTES] [--cpu-profile NAME] [--fixture-dir DIR] [--strict] [--first-failure] [--jobs N]\n'
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
    + `  --svl BYTES         streaming vector length qemu gives the aarch64 runner: ${SVL_BYTES.join(', ')} (default 64 = 512 bits;\n`
    + '                      16 or 32 show that the SME2 kernel refuses a geometry it was not written for)\n'
    + `  --cpu-profile NAME  the CPU qemu emulates for the aarch64 runner (default ${DEFAULT_CPU_PROFILE}):\n`
    + Object.entries(CPU_PROFILES).map(([n, p]) => `                      ${n}: ${p.about}\n`).join('')
    + '                      qemu:STRING: that qemu -cpu string verbatim (what BX_QEMU_CPU selects)\n'
    + '  --jobs N            run the kernel x property units in N processes (default: the number of processors);\n'
    + '                      the report is the same as with --jobs 1 (one process) but for timings\n'
    + '  --shard I/N         run shard I of N (kernel x property x seed range); join with bitexact merge\n'
    + '  --fixture-dir DIR   where shrunk failures (.json) and their repro.c go (default fixtures/regressions)\n'
    + '  --strict            a divergence outside a kernel\'s declared contract (property beyond) fails the gate\n'
    + '  --first-failure     stop each property at its first failure (default: keep generating within the budget and\n'
    + '                      report every distinct failure, grouped by verdict and first divergent op, each shrunk)\n'
    + '  --json/--junit/--markdown/--html FILE   write the report (the JSON is the ConformReport); every output path\n'
    + '                      is checked before the run; one that fails while written is reported, the others are still written (exit 1);\n'
    + '                      FILE - (one of them, e.g. --json -): that report on standard output, the rest on standard error\n'
    + `  BITEXACT_SEED / BITEXACT_RUNS   the seed / --runs when the option is not given\n`
    + '  SIGINT / SIGTERM    stop after the case in flight, write every report asked for (marked interrupted) with\n'
    + '                      what ran and the failures found, print the summary, exit 130 (a second one: exit at once)\n'
    + '  Exit 0 only when every property passed with full semantic coverage; 1 when a kernel failed; 2 on bad usage;\n'
    + '  130 when interrupted.\n'
    + '  Coverage is judged once the whole coverage sweep ran (a correct kernel then reaches every required cell);\n'
    + '  a sweep cut short (--time-budget, --property) is a printed note, not a failure.\n',
  async run(argv: string[], io: Io = processIo): Promise<number> {
    const parsed = parseOptions(argv, CONFORM_OPTIONS);
    // every usage error is one line on stderr, exit 2, before anything is printed or run
    const fail = (msg: string) => { io.err(`bitexact conform: ${msg} (usage: bitexact help conform)\n`); return 2; };
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
    const jobs = intOption('jobs', v.jobs as string | undefined, 1);
    if (typeof jobs === 'string') return fail(jobs);
    const svl = intOption('svl', v.svl as string | undefined, 16);
    if (typeof svl === 'string') return fail(svl);
    const badSvl = svl === undefined ? null : svlError(svl);
    if (badSvl) return fail(`--svl ${svl}: ${badSvl}`);
    const cpuProfile = v['cpu-profile'] as string | undefined;
    const badProfile = cpuProfile === undefined ? null : cpuProfileError(cpuProfile);
    if (badProfile) return fail(`--cpu-profile ${cpuProfile}: ${badProfile}`);
    const timeoutMs = parseTimeoutMs(v.timeout as string | undefined);
    if (typeof timeoutMs === 'string') return fail(timeoutMs);
    let seed: number;
    try { seed = resolveSeed(seedGiven); } catch (e) { return fail((e as Error).message); }
    const libs = many(v['kernel-lib']);
    const manifests = many(v.manifest);
    const kernels = many(v.kernel);
    const properties = many(v.property);
    for (const p of properties) if (!PROPERTY_NAMES.includes(p)) return fail(`--property ${p}: no such property (${PROPERTY_NAMES.join(', ')})`);
    for (const k of kernels) { const why = kernelNameProblem(k); if (why) return fail(`--kernel: ${why}`); }
    for (const lib of libs) { const why = libraryProblem(resolve(lib)); if (why) return fail(`--kernel-lib ${lib}: ${why}`); }
    for (const m of manifests) { const bad = inputProblem(m, { nonEmpty: true }); if (bad) return fail(`--manifest ${bad.code === 'ENOENT' ? `${m}: no such file` : bad.message}`); }
    const reports: ReportFiles = { json: v.json as string | undefined, junit: v.junit as string | undefined, markdown: v.markdown as string | undefined, html: v.html as string | undefined };
    const fixtureDir = v['fixture-dir'] as string | undefined;
    const badOut = outputsProblem(reports, fixtureDir);
    if (badOut) return fail(badOut);
    const builtins = libs.length + manifests.length > 0 && kernels.length === 0 ? false : true;
    const aarch64 = v['no-aarch64'] ? false : undefined;
    // the kernels themselves: a library that does not load, a manifest that does not link, a
    // --kernel that is nowhere, before the first case
    const badKernels = await kernelsProblem({ libs, manifests, kernels, aarch64, svlBytes: svl, cpuProfile });
    if (badKernels) return fail(badKernels);
    const opts: ConformOptions = {
      kernels: kernels.length ? kernels : undefined,
      kernelLibs: libs,
      manifests,
      // --kernel-lib / --manifest alone gates their kernels; with --kernel, the named ones wherever they are
      builtins,
      properties,
      runs, seed, timeBudgetSeconds: budget === undefined ? undefined : Number(budget), shard,
      aarch64,
      aarch64SvlBytes: svl,
      aarch64CpuProfile: cpuProfile,
      timeoutMs,
      fixtureDir,
      strict: v.strict === true,
      firstFailure: v['first-failure'] === true,
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
      report = await conformJobs({ ...opts, jobs: jobs ?? defaultJobs(), onEvent: live.onEvent, signal: stop.signal });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      live.end();
    }
    human.out('\n' + renderText(report).split('\n').map((l) => paintStatus(c, l)).join('\n'));
    const { written, failed } = writeReports(report, reports, io.out);
    for (const line of written) human.out(`${line}\n`);
    for (const line of failed) io.err(`bitexact conform: ${line}\n`);
    // a report asked for and not written: the run did not deliver, whatever it found
    return failed.length ? Math.max(1, exitCode(report)) : exitCode(report);
  },
};

/** Opens the kernel set a run will gate and says what is wrong with it: the first library or
 *  manifest problem, or a --kernel that is not runnable here; null when every one is fine. */
async function kernelsProblem(o: { libs: string[]; manifests: string[]; kernels: string[]; aarch64?: boolean; svlBytes?: number; cpuProfile?: string }): Promise<string | null> {
  const set = await openKernels({ libs: o.libs, manifests: o.manifests, aarch64: o.aarch64, builtins: true, svlBytes: o.svlBytes, cpuProfile: o.cpuProfile });
  try {
    if (set.problems.length) return set.problems[0];
    for (const name of o.kernels) {
      if (set.targets.some((t) => t.kernel.name === name)) continue;
      const u = set.unavailable.find((x) => x.name === name || x.name.includes(name));
      return `--kernel ${name}: ${u ? `not runnable here: ${u.why}` : 'no such kernel (see bitexact list)'}`;
    }
    return null;
  } finally {
    await set.close();
  }
}
