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
import { DEFAULT_FIXTURE_DIR, saveFixture } from './fixture-store.js';
import { replayCommand, rerunCommand, type RerunOptions } from './commands.js';
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
  /** generated cases run before the first failure (1 = the first case failed) */
  casesToFailure: number;
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
  failure?: CaseFailure;
  seconds: number;
}

/** What runCaseProperty hands exec for one case: the timeout policy its kernel calls use. */
export interface CaseCall { timeout: TimeoutPolicy }

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
  /** what the printed rerun line adds to --kernel and --seed (properties/commands.ts) */
  rerun?: RerunOptions;
  /** report shrunk cases through this instead of only returning them */
  replayHint?: (fixture: string | undefined) => string;
}

export async function runCaseProperty(o: PropertyRunOptions): Promise<PropertyOutcome> {
  const t0 = Date.now();
  let ran = 0, passed = 0, refused = 0, failed = 0;
  let shrinking = false;
  let casesToFailure = 0;
  const full: CaseCall = { timeout: o.timeout ?? {} };
  const short: CaseCall = { timeout: { ...full.timeout, shrinking: true } };
  // the first failure, run under the full timeout: run again and reported when a case shrunk
  // under the shortened timeout does not fail under the full one
  let first: { c: Case } | undefined;
  // once a hang shows up, every later candidate runs under the shortened timeout
  let hangMode = false;
  let hangShrinks = 0;
  const maxHangShrinks = o.maxHangShrinks ?? MAX_HANG_SHRINKS;
  const prop = fc.asyncProperty(o.arb, async (c) => {
    if (hangMode && hangShrinks >= maxHangShrinks) return true; // the shrink budget of a hang is spent: not run
    const v = await o.exec(c, hangMode ? short : full);
    if (!shrinking) {
      ran++;
      if (v.ok && v.refused) refused++;
      else if (v.ok) passed++;
      else { failed++; shrinking = true; casesToFailure = ran; first = { c }; }
      o.onCase?.(c, v);
      o.onProgress?.(ran);
    } else if (isHang(v) && hangMode) hangShrinks++;
    if (isHang(v)) hangMode = true;
    return v.ok;
  });
  const details = await fc.check(prop, {
    numRuns: o.numRuns,
    examples: o.examples?.map((c): [Case] => [c]),
    seed: o.seed,
    path: o.path,
    interruptAfterTimeLimit: o.timeBudgetMs,
    markInterruptAsFailure: false,
  });
  const out: PropertyOutcome = {
    kernel: o.kernel, property: o.property, seed: o.seed, ran, passed, refused, failed,
    interrupted: details.interrupted, seconds: (Date.now() - t0) / 1000,
  };
  if (details.failed && details.counterexample) {
    let c = details.counterexample[0];
    let path = details.counterexamplePath ?? undefined;
    let shrinks = details.numShrinks;
    // re-run the shrunk case under the full timeout: its verdict is the one reported (and proves it still fails)
    const rerun = await o.exec(c, full);
    let v: FailedVerdict | undefined = rerun.ok ? undefined : rerun;
    let unshrunk = '';
    let passesAgain = 'the shrunk case passes when run again';
    if (!v && hangMode && first && shrinks > 0) {
      // it failed only under the shortened timeout: the first failure, once more under the full one
      const again = await o.exec(first.c, full);
      if (!again.ok) {
        unshrunk = `the shrunk case (${c.chain.length} ops, k=${c.k}) did not fail under the full timeout, only under the shortened one used while shrinking: the first failing case is reported unshrunk`;
        ({ c } = first);
        v = again;
        path = path?.split(':')[0];
        shrinks = 0;
      } else passesAgain = 'the shrunk case and the first failing case pass when run again under the full timeout: the machine stalled, the kernel did not hang';
    }
    v ??= threw(hangMode ? passesAgain : details.errorInstance ?? passesAgain);
    // fast-check cannot shrink a deterministic case it did not generate: drop its ops here
    if (!rerun.ok && !unshrunk && o.examples?.includes(c)) {
      const before = c;
      ({ case: c, verdict: v } = await shrinkChain(c, v, (x) => o.exec(x, full)));
      shrinks += shrunkOps(before, c);
    }
    const fixture = o.fixtureDir === null ? undefined : saveFixture(o.fixtureDir ?? DEFAULT_FIXTURE_DIR, c, o.kernel, o.property, o.seed, path, v);
    const how = [
      unshrunk,
      `seed ${o.seed}, path ${path}, shrunk ${shrinks} time(s)${hangShrinks >= maxHangShrinks ? ` (stopped after ${hangShrinks} hanging candidates)` : ''}, first failure after ${casesToFailure} case(s)`,
      fixture ? `saved as ${fixture}; replay: ${replayCommand(fixture, o.kernel)}` : '',
      `rerun: ${rerunCommand(o.kernel, o.seed, o.rerun)}`,
    ].filter(Boolean).join('\n');
    out.failure = { case: c, verdict: v, text: `${fmtFailure(o.kernel, c, v)}\n${how}`, fixture, seed: o.seed, path, shrinks, casesToFailure };
  } else if (details.failed) {
    // failed without a counterexample: the predicate itself threw outside runCase's net
    const msg = String((details as { errorInstance?: unknown }).errorInstance ?? 'property failed without a counterexample');
    out.failed = Math.max(out.failed, 1);
    out.failure = { case: undefined as unknown as Case, verdict: threw(msg), text: msg, seed: o.seed, shrinks: 0, casesToFailure };
  }
  return out;
}

/** Drops chain ops, one at a time from the end, then the operands (k = 0), while the case stays
 *  valid, still ends with a Store, and fails the same way (a hang is not shrunk here: every step
 *  would wait for the timeout). */
async function shrinkChain(c: Case, v: FailedVerdict, exec: (c: Case) => Promise<Verdict>): Promise<{ case: Case; verdict: FailedVerdict }> {
  if (v.outcome === 'hang') return { case: c, verdict: v };
  // a step must keep the bug, not only its family: dropping the raw tag of a skipped-tag refusal
  // leaves a chain with nothing to refuse, another refusal
  const bug = signatureOf(v);
  const attempt = async (cand: Case): Promise<boolean> => {
    if (cand.chain[cand.chain.length - 1]?.op !== 'store' || checkCase(cand)) return false;
    const r = await exec(cand);
    if (r.ok || signatureOf(r) !== bug) return false;
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

/** What a failure is, beyond its family: the outcome and, where it has one, its reason. */
const signatureOf = (v: FailedVerdict): string => `${failureKind(v)}/${v.outcome}/${'reason' in v ? String(v.reason) : ''}`;

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
