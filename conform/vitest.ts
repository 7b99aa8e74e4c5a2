// The gate inside a kernel project's own vitest suite: `conformanceSuite()` registers the saved
// fixtures as one test each, then one test per kernel x property (and a coverage test per
// kernel), so a reporter lists what failed by name. The pieces it is built from are exported for
// hand-written tests and @fast-check/vitest's `test.prop`: `openGate()` (the kernels, opened
// once), `caseArbitraries()` (each property's case generator), `runCase()` / `expectCase()`
// (one case judged bit-exact) and `replay()` (saved fixtures).
//
// vitest is not a dependency of bitexact: the suite takes describe / test / afterAll from the
// caller, or imports vitest itself when they are not given.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type fc from 'fast-check';
import { conformance, DEFAULT_CONFORM_RUNS, type ConformOptions, type KernelReport, type PropertyResult } from './engine.js';
import { envRuns, envSeed } from './env.js';
import { problemText } from './problems.js';
import { openKernels, type Target } from '../native/targets.js';
import type { KernelDesc } from '../native/descriptor.js';
import { MAX_CASE_BYTES, readCase } from '../oracle/case.js';
import { inContract } from '../oracle/contract.js';
import type { Case } from '../oracle/types.js';
import { readInputText } from '../native/files.js';
import { PROPERTIES, PROPERTY_NAMES, propertyByName } from '../properties/kernel-properties.js';
import { runCase as judgeCase } from '../properties/check.js';
import { fmtFailure } from '../properties/report.js';
import { kernelLibOption, replayCommand } from '../properties/commands.js';
import { resolveSeed } from '../properties/run.js';
import type { TimeoutPolicy } from '../properties/timeout.js';
import type { Verdict } from '../properties/verdict.js';
import { verdictLine } from '../properties/verdict-format.js';

/** Which kernels to open, as conformance() takes them. */
export type GateOptions = Pick<ConformOptions, 'kernels' | 'kernelLibs' | 'manifests' | 'builtins' | 'aarch64' | 'aarch64SvlBytes' | 'aarch64CpuProfile' | 'timeoutMs'>;

/** A kernel of an open gate. */
export interface GateKernel {
  name: string;
  desc: KernelDesc;
  /** the options that load it in a pasted command (`--kernel-lib PATH`, `--manifest FILE`; '' for a built-in) */
  load: string;
  /** emulator options of a pasted command (`--cpu-profile m4 --svl 64`; '' on real hardware) */
  emulation: string;
  /** @internal what runs it, and every kernel a refused chain may fall back to */
  readonly target: Target;
  readonly fallbacks: readonly Target[];
  readonly timeout: TimeoutPolicy;
}

/** The kernels a suite gates, opened once (close() them in afterAll). */
export interface Gate {
  kernels: GateKernel[];
  /** kernels, or whole backends, that cannot run here, and why */
  unavailable: { name: string; why: string }[];
  /** libraries or manifests that did not load, unknown --kernel names */
  problems: string[];
  /** the kernel of that name (default: the only one); throws naming the kernels there are */
  kernel(name?: string): GateKernel;
  close(): Promise<void>;
}

/** Opens the kernels conformance() would gate with these options (the built-ins are opened
 *  too, as fallbacks of the gating property, and gated unless builtins: false). */
export async function openGate(o: GateOptions = {}): Promise<Gate> {
  const set = await openKernels({ libs: o.kernelLibs, manifests: o.manifests, aarch64: o.aarch64, builtins: true, svlBytes: o.aarch64SvlBytes, cpuProfile: o.aarch64CpuProfile });
  const timeout: TimeoutPolicy = o.timeoutMs === undefined ? {} : { fixedMs: o.timeoutMs, fixedBy: 'timeoutMs' };
  const gated = (source: string) => o.builtins !== false || source !== 'builtin';
  const problems = [...set.problems];
  let targets = set.targets.filter((t) => gated(t.source));
  for (const name of o.kernels ?? []) {
    if (!targets.some((t) => t.kernel.name === name)) problems.push(`--kernel ${name}: ${set.unavailable.find((u) => u.name === name)?.why ?? 'no such kernel (see bitexact list)'}`);
  }
  if (o.kernels?.length) targets = targets.filter((t) => o.kernels!.includes(t.kernel.name));
  const fallbacks = set.targets.map(({ kernel, backend }) => ({ kernel, backend }));
  const kernels = targets.map((t): GateKernel => ({
    name: t.kernel.name, desc: t.kernel,
    load: t.source === 'builtin' ? '' : t.load ?? kernelLibOption(t.source),
    emulation: t.backend.emulation?.options.join(' ') ?? '',
    target: { kernel: t.kernel, backend: t.backend }, fallbacks, timeout,
  }));
  const unavailable = set.unavailable.filter((u) => o.builtins !== false || set.all.some((a) => a.kernel.name === u.name && a.source !== 'builtin'));
  return {
    kernels, unavailable, problems,
    kernel(name) {
      const k = name === undefined ? (kernels.length === 1 ? kernels[0] : undefined) : kernels.find((x) => x.name === name);
      if (!k) throw new Error(`bitexact: ${name === undefined ? `${kernels.length} kernels are open, name one` : `no kernel ${name} is open`} (open: ${kernels.map((x) => x.name).join(', ') || 'none'})`);
      return k;
    },
    close: () => set.close(),
  };
}

/** Each property's case generator on this kernel, by property name (the properties that apply
 *  to it; `beyond` has one generator per contract clause and is not among them). */
export function caseArbitraries(k: GateKernel | KernelDesc): Record<string, fc.Arbitrary<Case>> {
  const desc = 'desc' in k ? k.desc : k;
  return Object.fromEntries(PROPERTIES.filter((p) => p.skipReason(desc) === null).map((p) => [p.name, p.arb(desc)]));
}

/** One case judged on a kernel. */
export interface CaseResult {
  ok: boolean;
  verdict: Verdict;
  /** PASS / refused line, or the readable failure (case, differing cells) */
  text: string;
}

/** Runs one case on a kernel and judges it bit-exact against the oracle, as `bitexact replay`
 *  does; with `property`, as that property judges its own cases (the gating property's
 *  fallback, the stale property's two calls, the packing property's packer). */
export async function runCase(k: GateKernel, c: Case, o: { property?: string } = {}): Promise<CaseResult> {
  const call = { timeout: k.timeout };
  let v: Verdict;
  if (o.property === undefined) v = await judgeCase(k.target.backend, k.target.kernel, c, call);
  else {
    const p = propertyByName(o.property);
    if (!p) throw new Error(`bitexact: runCase: property "${o.property}" is not one of ${PROPERTIES.map((x) => x.name).join(', ')}`);
    v = await p.exec(k.target, k.fallbacks, c, call);
  }
  return { ok: v.ok, verdict: v, text: v.ok ? `PASS on ${k.name}${v.refused ? ` (${verdictLine(v)})` : ''}` : fmtFailure(k.name, c, v) };
}

/** runCase, throwing the readable failure (for a test.prop predicate). */
export async function expectCase(k: GateKernel, c: Case, o: { property?: string } = {}): Promise<void> {
  const r = await runCase(k, c, o);
  if (!r.ok) throw new Error(`\n${r.text}`);
}

/** One fixture on one kernel, or why it ran on none. */
export interface ReplayResult {
  /** the fixture file (absent for a Case passed in) */
  file?: string;
  /** the kernel it ran on (absent when it fits none: see skipped) */
  kernel?: string;
  ok: boolean;
  /** why it did not run (no kernel of its tile shape, outside every fitting kernel's contract) */
  skipped?: string;
  verdict?: Verdict;
  /** the failure with the command that replays it from a shell, or the PASS line */
  text: string;
}

/** The fixture files a path names: the file, or a directory's *.json in name order. */
export function fixtureFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).filter((f) => f.endsWith('.json')).sort().map((f) => join(path, f));
}

/** Replays saved fixtures (a file, a directory's *.json, or Cases) on every kernel of the gate
 *  (or the one kernel given) that fits each: a tile-level case needs the kernel's tile shape, a
 *  contracted kernel runs only the cases inside its contract. An unreadable or invalid file
 *  throws, naming the file and the field. */
export async function replay(fixtures: string | Case | readonly (string | Case)[], on: Gate | GateKernel): Promise<ReplayResult[]> {
  const kernels = 'kernels' in on ? on.kernels : [on];
  const items = (Array.isArray(fixtures) ? fixtures : [fixtures]) as (string | Case)[];
  const cases = items.flatMap((x): { file?: string; c: Case }[] =>
    typeof x === 'string' ? fixtureFiles(x).map((file) => ({ file, c: readCase(readInputText(file, { maxBytes: MAX_CASE_BYTES }), file) })) : [{ c: x }]);
  const out: ReplayResult[] = [];
  for (const { file, c } of cases) {
    const shape = kernels.filter((k) => c.level === 'frame' || (k.desc.mr === c.m && k.desc.nr === c.n));
    const fits = shape.filter((k) => !k.desc.contract || inContract(c, k.desc.contract));
    if (fits.length === 0) {
      const skipped = shape.length ? `outside the contract of ${shape.map((k) => k.name).join(', ')}` : `no kernel here has its ${c.m}x${c.n} tile (it is tile-level)`;
      out.push({ file, ok: true, skipped, text: `SKIP${file ? ` ${file}` : ''}: ${skipped}` });
      continue;
    }
    for (const k of fits) {
      const r = await runCase(k, c);
      const again = file ? `\nreplay: ${replayCommand(file, k.name, k.load, k.emulation)}` : '';
      out.push({ file, kernel: k.name, ok: r.ok, verdict: r.verdict, text: r.ok ? `${file ?? 'case'}: ${r.text}` : `${r.text}${again}` });
    }
  }
  return out;
}

/** The test functions the suite registers with (vitest's; taken from the caller, or imported). */
export interface SuiteRunner {
  describe(name: string, fn: () => void | Promise<void>): void;
  test(name: string, fn: (ctx: { skip(note?: string): void }) => void | Promise<void>, timeout?: number): void;
  afterAll(fn: () => unknown): void;
}

export interface SuiteOptions extends Omit<ConformOptions, 'onEvent' | 'signal' | 'shard'>, Partial<SuiteRunner> {
  /** the outer describe block (default "bitexact conformance") */
  title?: string;
  /** fixtures replayed first, one test each (default: fixtureDir; null: none) */
  replayDir?: string | null;
  /** per test (default 600000 ms: a property runs all its cases in one test) */
  testTimeoutMs?: number;
}

const DEFAULT_FIXTURES = () => resolve('fixtures', 'regressions');

/** Registers the gate as vitest tests: `<title> > fixtures <dir> > FILE` (each saved fixture on
 *  every kernel it fits), then `<title> > KERNEL > PROPERTY` (one conformance() run of that
 *  kernel and property, failing with its shrunk failures, fixture, rerun and repro.c lines) and
 *  `<title> > KERNEL > coverage` (the semantic coverage of the kernel's property tests together).
 *  Call it at the top level of a test file; await it when describe / test / afterAll are not
 *  passed (vitest is then imported). One seed for every test: options.seed, BITEXACT_SEED, or a
 *  fresh one, printed. */
export async function conformanceSuite(o: SuiteOptions = {}): Promise<void> {
  const r: SuiteRunner = o.describe && o.test && o.afterAll ? { describe: o.describe, test: o.test, afterAll: o.afterAll } : (await import('vitest')) as unknown as SuiteRunner;
  register(r, o);
}

function register(r: SuiteRunner, o: SuiteOptions): void {
  const seed = resolveSeed(o.seed ?? envSeed());
  const runs = o.runs ?? envRuns() ?? DEFAULT_CONFORM_RUNS;
  const fixtureDir = o.fixtureDir === undefined ? DEFAULT_FIXTURES() : o.fixtureDir;
  const replayDir = o.replayDir === undefined ? fixtureDir : o.replayDir;
  const ms = o.testTimeoutMs ?? 600_000;
  const { title, replayDir: _r, testTimeoutMs: _t, describe: _d, test: _x, afterAll: _a, ...conform } = o;
  const skip = (ctx: { skip(note?: string): void }, what: string, why: string) => {
    console.warn(`[bitexact] SKIP ${what}: ${why}`);
    ctx.skip(why);
  };
  r.describe(title ?? 'bitexact conformance', async () => {
    const gate = await openGate(o);
    r.afterAll(() => gate.close());
    console.log(`[bitexact] seed ${seed} (rerun the same cases with BITEXACT_SEED=${seed})`);
    if (gate.problems.length) r.test('the kernels load', () => { throw new Error(gate.problems.join('\n')); });
    else if (!gate.kernels.length) r.test('a kernel to gate', () => { throw new Error(problemText({ kind: 'nothing_to_gate' })); });
    for (const u of gate.unavailable) r.test(u.name, (ctx) => skip(ctx, u.name, u.why));

    if (replayDir) {
      const files = existsSync(replayDir) ? fixtureFiles(replayDir) : [];
      const shown = relative(process.cwd(), replayDir);
      r.describe(`fixtures ${shown && !shown.startsWith('..') && !isAbsolute(shown) ? shown : replayDir}`, () => {
        if (!files.length) r.test('(no fixture saved yet)', (ctx) => skip(ctx, `fixtures ${replayDir}`, 'no *.json fixture there yet (failing runs save theirs there)'));
        for (const file of files) {
          r.test(file.slice(replayDir.length + 1), async (ctx) => {
            const res = await replay(file, gate);
            const bad = res.filter((x) => !x.ok);
            if (bad.length) throw new Error(`\n${bad.map((x) => x.text).join('\n\n')}`);
            if (res.every((x) => x.skipped)) skip(ctx, file, res[0].skipped!);
          }, ms);
        }
      });
    }

    const props = PROPERTY_NAMES.filter((p) => !o.properties?.length || o.properties.includes(p));
    const unknown = (o.properties ?? []).filter((p) => !PROPERTY_NAMES.includes(p));
    if (unknown.length) r.test('the properties exist', () => { throw new Error(`no such property: ${unknown.join(', ')} (${PROPERTY_NAMES.join(', ')})`); });
    for (const k of gate.kernels) {
      r.describe(k.name, () => {
        const done = new Map<string, { kernel: KernelReport; prop: PropertyResult }>();
        for (const p of props) {
          r.test(p, async (ctx) => {
            const rep = await conformance({ ...conform, kernels: [k.name], properties: [p], seed, runs, fixtureDir });
            const kernel = rep.kernels.find((x) => x.name === k.name);
            const prop = kernel?.properties.find((x) => x.property === p);
            // coverage is judged by the kernel's coverage test, over all its property tests
            const problems = rep.problemDetails.filter((x) => x.kind !== 'coverage' && x.kind !== 'property').map(problemText);
            if (!kernel || !prop) throw new Error(`bitexact: ${k.name} / ${p} did not run:\n${rep.problems.join('\n')}`);
            done.set(p, { kernel, prop });
            if (prop.status === 'skipped') return skip(ctx, `${k.name} / ${p}`, prop.skipped ?? 'skipped');
            if (prop.status === 'failed' || problems.length) {
              const fs = prop.failures ?? (prop.failure ? [prop.failure] : []);
              const head = `bitexact: ${k.name} / ${p} failed (seed ${seed}, runs ${runs})${fs.length ? `: ${fs.length} distinct failure(s)` : prop.skipped ? `: ${prop.skipped}` : ''}`;
              throw new Error(`\n${[head, ...problems, ...fs.map((f, i) => `---- failure ${i + 1} of ${fs.length}${f.signature ? ` (${f.signature})` : ''} ----\n${f.text}`)].join('\n\n')}`);
            }
            if (prop.note) console.log(`[bitexact] ${k.name} / ${p}: ${prop.note}`);
          }, ms);
        }
        r.test('coverage', (ctx) => {
          const why = coverageNotJudged(props, done);
          if (why) return skip(ctx, `${k.name} / coverage`, why);
          const reports = [...done.values()].map((x) => x.kernel);
          const hit = new Set(reports.flatMap((x) => Object.entries(x.coverage.hits).filter(([, n]) => n > 0).map(([cell]) => cell)));
          const missing = reports[0].coverage.required.filter((cell) => !hit.has(cell));
          if (missing.length) throw new Error(problemText({ kind: 'coverage', kernel: k.name, missing, hint: '' }));
        });
      });
    }
  });
}

/** Why the coverage test cannot judge (null: it can): coverage is judged over the whole sweep,
 *  on property tests that all ran and passed. */
function coverageNotJudged(props: string[], done: Map<string, { kernel: KernelReport; prop: PropertyResult }>): string | null {
  const sweepProps = PROPERTIES.filter((p) => p.sweep).map((p) => p.name);
  const absent = sweepProps.filter((p) => !props.includes(p));
  if (absent.length) return `coverage not judged: the coverage sweep runs in ${sweepProps.join(', ')} (not selected: ${absent.join(', ')})`;
  const notRun = props.filter((p) => !done.has(p));
  if (notRun.length) return `coverage not judged: the tests of ${notRun.join(', ')} did not run (filtered out, or an error before the run)`;
  const failed = [...done].filter(([, x]) => x.prop.status === 'failed').map(([p]) => p);
  if (failed.length) return `coverage not judged: ${failed.join(', ')} failed (a failing property stops early)`;
  const cut = [...done].filter(([, x]) => x.prop.interrupted).map(([p]) => p);
  if (cut.length) return `coverage not judged: the time budget cut ${cut.join(', ')} short`;
  const reports = [...done.values()].map((x) => x.kernel);
  const sweep = reports[0].coverage.sweep ?? 0;
  const ran = reports.reduce((s, x) => s + (x.coverage.sweepRan ?? 0), 0);
  if (ran < sweep) return `coverage not judged: ${ran} of the sweep's ${sweep} cases ran`;
  return null;
}
