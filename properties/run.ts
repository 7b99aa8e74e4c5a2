// Drives one case property with fast-check: counts what ran (passed / refused as declared /
// failed), stops on a time budget if asked, shrinks a failure to a minimal case, and persists it
// as a bitexact-case/1 fixture that `npm test` replays from then on (fast-check has no failure
// database: the fixture is the database). A hang is shrunk under shorter timeouts, with a bound
// on how many candidates may hang, and the shrunk case is confirmed under the full timeout.
import fc from 'fast-check';
import type { Case } from '../oracle/types.js';
import { checkCase } from '../oracle/validate.js';
import { failureKind, isHang, type FailedVerdict, type Verdict } from './verdict.js';
import type { TimeoutPolicy } from './timeout.js';
import { fmtFailure } from './report.js';
import { DEFAULT_FIXTURE_DIR, fixtureLines, saveFixture, savedPath } from './fixture-store.js';
import { rerunCommand, type RerunOptions } from './commands.js';
import { divergenceText, firstDivergence, ranAfterRefusal, type FirstDivergence } from './divergence.js';
import type { Contract } from '../oracle/contract.js';
import { NotRun } from '../native/process.js';
import { installLookahead, type Lookahead } from './lookahead.js';
export { DEFAULT_FIXTURE_DIR, saveFixture } from './fixture-store.js';

export interface CaseFailure {
  case: Case;
  verdict: FailedVerdict;
  /** readable report: shrunk case, differing cells, how to replay */
  text: string;
  /** where the shrunk case was saved, if it was */
  fixture?: string;
  seed: number;
  path?: string;
  shrinks: number;
  /** generated cases run before this failure was first seen (1 = the first case failed) */
  casesToFailure: number;
  /** what the failures of one group share (signatureOf) */
  signature: string;
  /** where the kernel first departs from the oracle (properties/divergence.ts) */
  divergence?: FirstDivergence;
}

export interface PropertyOutcome {
  kernel: string;
  property: string;
  seed: number;
  /** generated cases executed (shrinking runs not counted) */
  ran: number;
  passed: number;
  /** cases the kernel refused as it declared (unsupported op): correct behaviour, counted apart */
  refused: number;
  failed: number;
  /** why nothing ran (kernel not runnable here, no op to test, ...) — never a silent pass */
  skipped?: string;
  interrupted: boolean;
  /** the first distinct failure (failures[0]) */
  failure?: CaseFailure;
  /** every distinct failure (one per signature), each shrunk keeping its signature */
  failures: CaseFailure[];
  seconds: number;
}

/** What runCaseProperty hands exec for one case: the timeout policy its kernel calls use. */
export interface CaseCall {
  timeout: TimeoutPolicy;
  /** the case's kernel calls may be pipelined behind earlier cases' (a case ahead of the one
   *  fast-check runs: properties/lookahead.ts) */
  pipelined?: boolean;
}

/** Shrink candidates of a hang that may hang in turn (each costs a shortened timeout and an
 *  executor restart); candidates after that are not run, the last hanging one is reported. */
export const MAX_HANG_SHRINKS = 16;

export interface PropertyRunOptions {
  kernel: string;
  property: string;
  arb: fc.Arbitrary<Case>;
  /** runs one case; its kernel calls take call.timeout (shortened while a hang is shrunk) */
  exec: (c: Case, call: CaseCall) => Promise<Verdict>;
  /** the timeout of every kernel call (default: scaled to each case's work) */
  timeout?: TimeoutPolicy;
  /** default MAX_HANG_SHRINKS */
  maxHangShrinks?: number;
  numRuns: number;
  seed: number;
  /** stop generating after this many ms (the run is then marked interrupted, not failed) */
  timeBudgetMs?: number;
  /** directory for shrunk failures; null = do not persist */
  fixtureDir?: string | null;
  /** called after each generated case */
  onCase?: (c: Case, v: Verdict) => void;
  /** called when a case passes or fails, before shrinking (for progress bars) */
  onProgress?: (ran: number) => void;
  /** deterministic cases run before the random ones (counted in numRuns) */
  examples?: Case[];
  /** replay an exact fast-check path (with the same seed) */
  path?: string;
  /** cases run ahead of fast-check, their kernel calls pipelined (0 or absent: none); only for
   *  a property whose cases do not depend on the calls before them. Stops at the first failure. */
  lookahead?: number;
  /** stop at the first failure and shrink it (default: keep generating, one failure per signature) */
  firstFailure?: boolean;
  /** distinct failures kept (default MAX_FAILURE_GROUPS) */
  maxGroups?: number;
  /** the kernel's contract: the probe Store of the first-divergent-op search stays inside it */
  contract?: Contract;
  /** runs a chain prefix plainly on the kernel (the first-divergent-op search): not the
   *  property's own exec, which may judge more than the values (a gating case must refuse) */
  probe?: (c: Case) => Promise<Verdict>;
  /** what the printed rerun line adds to --kernel and --seed (properties/commands.ts) */
  rerun?: RerunOptions;
  /** report shrunk cases through this instead of only returning them */
  replayHint?: (fixture: string | undefined) => string;
}

/** The signature a failure is grouped by: its family and outcome, the fields that say which
 *  bug (the buffer of a fault, the registers of an ABI break, the reason of a refusal) and the
 *  first divergent op with its parameter class. Two failures with one signature are one bug. */
export function signatureOf(v: FailedVerdict, d?: FirstDivergence): string {
  const kind = failureKind(v);
  // the buffer's role, not where this case placed it: "chain[] store output"
  const buf = (name: string) => name.replace(/chain\[\d+\]/g, 'chain[]').replace(/\s*\([^)]*\)/g, '');
  const at = d ? ` @ ${d.cls}` : '';
  const stale = v.stale ? ` stale(call ${v.stale.call}${v.stale.firstResult ? ', first result' : ''})` : '';
  switch (v.outcome) {
    case 'mismatch': return `${kind}${ranAfterRefusal(v) ? `/ran after refused ${v.rawTag !== undefined ? 'raw tag' : 'op'}` : ''}${at}${stale}`;
    case 'pack_mismatch': return `${kind}/packing ${v.packing} ${v.side}`;
    // a canary and a sentinel byte are one family: where a stray write lands is the layout's doing
    case 'canary_write': return `${kind}/${buf(v.bufName || 'scratch')}${stale}`;
    case 'stray_write': return `${kind}/${buf(v.bufName)}${stale}`;
    case 'out_of_bounds': return `${kind}/${buf(v.bufName)} ${v.offset < 0 ? 'before' : 'past'}${stale}`;
    case 'abi_violation': return `${kind}/${v.items.map((i) => i.what).sort().join(',')}`;
    case 'refusal': return `${kind}/${v.reason}${'op' in v && v.op ? ` ${v.op}` : ''}${'rawTag' in v && v.rawTag !== undefined ? ' raw tag' : ''}${stale}`;
    case 'crash': return `${kind}/${v.signal ?? `exit ${v.exitCode}`}${at}${stale}`;
    case 'hang': return `${kind}/hang${stale}`;
    case 'exec_error': return `${kind}/${v.reason}`;
    case 'on_kernel': return `${v.role} ${v.kernel}/${signatureOf(v.cause)}`;
    case 'nondeterministic': return `${kind}/${signatureOf(v.first)}`;
  }
}

/** The part of a signature known without probing (the first divergent op needs kernel calls). */
const coarseOf = (sig: string): string => sig.replace(/ @ .*?(?= stale\(|$)/, '');

/** Distinct failures a keep-going run shrinks and reports, per property (each costs a shrink). */
export const MAX_FAILURE_GROUPS = 8;
/** Failing cases after which a keep-going property runs no more cases (a kernel wrong on every
 *  case has shown its bugs by then). */
export const MAX_FAILING_CASES = 64;
/** Crashing cases after which a keep-going property runs no more cases (each restarts the executor). */
export const MAX_CRASHING_CASES = 8;
/** Failing cases of one verdict family probed for their first divergent op (a crash: 2). */
export const MAX_PROBED_PER_KIND = 16;

/** A kernel call under the run's full timeout (not the shortened one of a hang's shrinking). */
const fullCall = (o: PropertyRunOptions): CaseCall => ({ timeout: o.timeout ?? {} });
const probeOf = (o: PropertyRunOptions) => o.probe ?? ((x: Case) => o.exec(x, fullCall(o)));

interface Group { c: Case; index: number; v: FailedVerdict; sig: string; casesToFailure: number }

/** What a call made ahead came to: a verdict, an error to rethrow, or nothing (not run). */
type Ahead = { v: Verdict } | { e: unknown } | { notRun: true };

/** Equal cases (the lookahead's check that it generates what fast-check does). */
const sameCase = (a: Case, b: Case): boolean => {
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
};

export async function runCaseProperty(o: PropertyRunOptions): Promise<PropertyOutcome> {
  const t0 = Date.now();
  let ran = 0, passed = 0, refused = 0, failed = 0;
  let shrinking = false;
  const full = fullCall(o);
  const short: CaseCall = { timeout: { ...full.timeout, shrinking: true } };
  const keepGoing = !o.firstFailure;
  const maxGroups = o.maxGroups ?? MAX_FAILURE_GROUPS;
  // once a hang shows up, every later candidate runs under the shortened timeout
  let hangMode = false;
  let hangShrinks = 0;
  const maxHangShrinks = o.maxHangShrinks ?? MAX_HANG_SHRINKS;
  const examples = o.examples?.map((c): [Case] => [c]);
  const signed = async (c: Case, v: FailedVerdict): Promise<string> =>
    signatureOf(v, await firstDivergence(c, v, probeOf(o), o.contract));
  // distinct failures in the order found: the case, its stream index (a fast-check path), verdict
  const groups = new Map<string, Group>();
  // the failure the first fast-check run shrinks: the first of all (stop at first), or a hang
  let stopped: Group | undefined;
  const probedBy = new Map<string, number>();
  let crashes = 0;
  // cases ahead of fast-check: position (examples, then runs) -> its call, already made
  const ahead = new Map<number, { c: Case; r: Promise<Ahead> }>();
  let pos = 0;
  let look: Lookahead<Case> | undefined;
  const launch = (from: number, upto: number): void => {
    for (let q = from; q < upto && look; q++) {
      if (ahead.has(q)) continue;
      const c = look.at(q);
      if (!c) break;
      ahead.set(q, { c, r: o.exec(c, { ...full, pipelined: true }).then((v): Ahead => ({ v }), (e: unknown): Ahead => (e instanceof NotRun ? { notRun: true } : { e })) });
    }
  };
  const prop = fc.asyncProperty(o.arb, async (c) => {
    const here = shrinking ? -1 : pos++;
    if (hangMode && hangShrinks >= maxHangShrinks) return true; // the shrink budget of a hang is spent: not run
    // enough failing cases seen: the rest of the budget would only find the same bugs again
    if (!shrinking && (failed >= MAX_FAILING_CASES || crashes >= MAX_CRASHING_CASES)) return true;
    // this case first, then the ones after it, refilled by halves (one write for several)
    const depth = o.lookahead ?? 0;
    if (here >= 0 && depth > 0 && !ahead.has(here + (depth >> 1))) launch(here, here + 1 + depth);
    const early = ahead.get(here);
    ahead.delete(here);
    let v: Verdict | undefined;
    const r = early && early.c === c ? await early.r : undefined;
    if (r && 'e' in r) throw r.e;
    if (r && 'v' in r) v = r.v;
    v ??= await o.exec(c, hangMode ? short : full);
    if (!v.ok && look) {
      // one at a time from the first failure on: probes and shrinking see calls in case order
      look.stop();
      look = undefined;
    }
    if (!shrinking) {
      ran++;
      if (v.ok && v.refused) refused++;
      else if (v.ok) passed++;
      else failed++;
      o.onCase?.(c, v);
      o.onProgress?.(ran);
      if (v.ok) return true;
      if (v.outcome === 'crash') crashes++;
      // a hang stops the run: every later hang would cost a timeout
      if (!keepGoing || isHang(v)) {
        shrinking = true;
        stopped = { c, index: ran - 1, v, sig: signatureOf(v), casesToFailure: ran };
        if (isHang(v)) hangMode = true;
        return false;
      }
      // probes cost kernel calls (a crash: an executor restart each): a bounded number of
      // failing cases per coarse signature is probed for its first divergent op
      const coarse = coarseOf(signatureOf(v));
      const probed = probedBy.get(coarse) ?? 0;
      if (groups.size < maxGroups && probed < (v.outcome === 'crash' ? 2 : MAX_PROBED_PER_KIND)) {
        probedBy.set(coarse, probed + 1);
        const sig = await signed(c, v);
        if (!groups.has(sig)) groups.set(sig, { c, index: ran - 1, v, sig, casesToFailure: ran });
      }
      return true;
    }
    if (isHang(v) && hangMode) hangShrinks++;
    if (isHang(v)) hangMode = true;
    // keep-going: a shrink step of a hang must stay a hang (the other bugs are their own groups)
    return keepGoing ? !isHang(v) : v.ok;
  });
  if ((o.lookahead ?? 0) > 0 && !o.path) look = installLookahead(prop, o.arb, o.seed, o.examples ?? [], o.numRuns, sameCase);
  const details = await fc.check(prop, {
    numRuns: o.numRuns, examples, seed: o.seed, path: o.path,
    interruptAfterTimeLimit: o.timeBudgetMs, markInterruptAsFailure: false,
  });
  look?.stop();
  look = undefined;
  // calls made ahead and not used (a time budget, a stop) end before anything else runs
  await Promise.all([...ahead.values()].map((a) => a.r));
  ahead.clear();
  const out: PropertyOutcome = {
    kernel: o.kernel, property: o.property, seed: o.seed, ran, passed, refused, failed,
    interrupted: details.interrupted, seconds: 0, failures: [],
  };
  const found: CaseFailure[] = [];
  if (details.failed && details.counterexample && stopped) {
    const r = { c: details.counterexample[0], path: details.counterexamplePath ?? undefined, shrinks: details.numShrinks, error: details.errorInstance };
    found.push(await finish(o, r, stopped, { hangMode, hangShrinks, maxHangShrinks }));
  } else if (details.failed) {
    // failed without a counterexample: the predicate itself threw outside runCase's net
    const msg = String((details as { errorInstance?: unknown }).errorInstance ?? 'property failed without a counterexample');
    out.failed = Math.max(out.failed, 1);
    found.push({ case: undefined as unknown as Case, verdict: threw(msg), text: msg, seed: o.seed, shrinks: 0, casesToFailure: ran, signature: 'exec_error/threw' });
  }
  // every other distinct failure: replayed from its stream index and shrunk keeping its signature
  const sameBug = (sig: string) => async (c: Case, v: Verdict): Promise<boolean> =>
    !v.ok && coarseOf(signatureOf(v)) === coarseOf(sig) && (await signed(c, v)) === sig;
  for (const g of groups.values()) {
    if (found.some((f) => f.signature === g.sig)) continue;
    found.push(await shrinkGroup(o, g, examples, sameBug(g.sig)));
  }
  out.failures = found;
  out.failure = found[0];
  out.seconds = (Date.now() - t0) / 1000;
  return out;
}

/** Shrinks one failure group: fast-check replays the group's case from its stream index and
 *  shrinks it, a candidate counting as failing only when it fails with the group's signature. */
async function shrinkGroup(o: PropertyRunOptions, g: Group, examples: [Case][] | undefined, sameBug: (c: Case, v: Verdict) => Promise<boolean>): Promise<CaseFailure> {
  const full = fullCall(o);
  // a deterministic case: fast-check cannot shrink what it did not generate (finish drops ops)
  if (g.index < (examples?.length ?? 0) || o.path) return finish(o, { c: g.c, path: o.path, shrinks: 0 }, g, undefined, sameBug);
  const prop = fc.asyncProperty(o.arb, async (c) => !(await sameBug(c, await o.exec(c, full))));
  const details = await fc.check(prop, { numRuns: 1, examples, seed: o.seed, path: String(g.index) });
  if (details.failed && details.counterexample) {
    return finish(o, { c: details.counterexample[0], path: details.counterexamplePath ?? undefined, shrinks: details.numShrinks }, g, undefined, sameBug);
  }
  // the replay did not fail the same way: the case as first seen, unshrunk
  return finish(o, { c: g.c, path: String(g.index), shrinks: 0 }, g, undefined, sameBug);
}

/** Re-runs a shrunk failure under the full timeout (its verdict is the one reported), shrinks a
 *  deterministic case's chain, names its first divergent op, saves the fixture, writes the text. */
async function finish(
  o: PropertyRunOptions,
  r: { c: Case; path?: string; shrinks: number; error?: unknown },
  g: Group,
  hang?: { hangMode: boolean; hangShrinks: number; maxHangShrinks: number },
  sameBug?: (c: Case, v: Verdict) => Promise<boolean>,
): Promise<CaseFailure> {
  const full = fullCall(o);
  let { c, path, shrinks } = r;
  const hangMode = hang?.hangMode ?? false;
  const rerun = await o.exec(c, full);
  let v: FailedVerdict | undefined = rerun.ok ? undefined : rerun;
  let unshrunk = '';
  let passesAgain = 'the shrunk case passes when run again';
  if (!v && hangMode && shrinks > 0) {
    // it failed only under the shortened timeout: the first failure, once more under the full one
    const again = await o.exec(g.c, full);
    if (!again.ok) {
      unshrunk = `the shrunk case (${c.chain.length} ops, k=${c.k}) did not fail under the full timeout, only under the shortened one used while shrinking: the first failing case is reported unshrunk`;
      c = g.c;
      v = again;
      path = path?.split(':')[0];
      shrinks = 0;
    } else passesAgain = 'the shrunk case and the first failing case pass when run again under the full timeout: the machine stalled, the kernel did not hang';
  }
  if (!v && !hangMode) {
    // the shrunk case passes: the first failing case once more, under the full timeout
    const again = c === g.c ? rerun : await o.exec(g.c, full);
    if (!again.ok) {
      unshrunk = `the shrunk case (${c.chain.length} ops, k=${c.k}) passes when run again: the first failing case is reported unshrunk`;
      c = g.c;
      v = again;
      path = path?.split(':')[0];
      shrinks = 0;
    } else {
      // reported as first seen: the case that failed
      v = { ok: false, refused: false, outcome: 'nondeterministic', first: g.v, reruns: c === g.c ? 1 : 2 };
      c = g.c;
      path = path?.split(':')[0];
      shrinks = 0;
    }
  }
  v ??= threw(hangMode ? passesAgain : r.error ?? passesAgain);
  // fast-check cannot shrink a deterministic case it did not generate: drop its ops here
  if (!rerun.ok && !unshrunk && o.examples?.includes(c)) {
    const before = c;
    ({ case: c, verdict: v } = await shrinkChain(c, v, (x) => o.exec(x, full), sameBug));
    shrinks += shrunkOps(before, c);
  }
  const d = isHang(v) ? undefined : await firstDivergence(c, v, probeOf(o), o.contract);
  const signature = signatureOf(v, d);
  const saved = o.fixtureDir === null ? undefined : saveFixture(o.fixtureDir ?? DEFAULT_FIXTURE_DIR, c, o.kernel, o.property, o.seed, path, v);
  const fixture = savedPath(saved);
  const how = [
    unshrunk,
    d ? divergenceText(d) : '',
    `seed ${o.seed}${path ? `, path ${path}` : ''}, shrunk ${shrinks} time(s)${hang && hang.hangShrinks >= hang.maxHangShrinks ? ` (stopped after ${hang.hangShrinks} hanging candidates)` : ''}, first seen after ${g.casesToFailure} case(s)`,
    saved ? fixtureLines(saved, o.kernel) : '',
    `rerun: ${rerunCommand(o.kernel, o.seed, o.rerun)}`,
  ].filter(Boolean).join('\n');
  return { case: c, verdict: v, text: `${fmtFailure(o.kernel, c, v)}\n${how}`, fixture, seed: o.seed, path, shrinks, casesToFailure: g.casesToFailure, signature, ...(d ? { divergence: d } : {}) };
}

/** Drops chain ops, one at a time from the end, then the operands (k = 0), while the case stays
 *  valid, still ends with a Store, and fails the same way (a hang is not shrunk here: every step
 *  would wait for the timeout). */
async function shrinkChain(c: Case, v: FailedVerdict, exec: (c: Case) => Promise<Verdict>, sameBug?: (c: Case, v: Verdict) => Promise<boolean>): Promise<{ case: Case; verdict: FailedVerdict }> {
  if (v.outcome === 'hang') return { case: c, verdict: v };
  // a step must keep the bug, not only its family: dropping the raw tag of a skipped-tag refusal
  // leaves a chain with nothing to refuse, another refusal
  const bug = signatureOf(v);
  const attempt = async (cand: Case): Promise<boolean> => {
    if (cand.chain[cand.chain.length - 1]?.op !== 'store' || checkCase(cand)) return false;
    const r = await exec(cand);
    if (r.ok || (sameBug ? !(await sameBug(cand, r)) : signatureOf(r) !== bug)) return false;
    c = cand; v = r;
    return true;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let i = c.chain.length - 1; i >= 0; i--) changed = (await attempt({ ...c, chain: [...c.chain.slice(0, i), ...c.chain.slice(i + 1)] })) || changed;
  }
  if (c.k > 0) await attempt({ ...c, k: 0, a: c.a.map(() => []), b: [] });
  return { case: c, verdict: v };
}

/** Steps shrinkChain took: ops dropped, and the operands. */
const shrunkOps = (from: Case, to: Case): number => from.chain.length - to.chain.length + (from.k !== to.k ? 1 : 0);

const threw = (e: unknown): FailedVerdict => ({ ok: false, refused: false, outcome: 'exec_error', reason: 'threw', error: String(e) });

/** A fresh seed for a random run (printed by every caller), or the one given. */
export function resolveSeed(given?: string | number): number {
  if (given !== undefined && given !== '') {
    const s = Number(given);
    if (!Number.isInteger(s)) throw new Error(`--seed ${given}: expected an integer`);
    return s | 0;
  }
  return (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
}
