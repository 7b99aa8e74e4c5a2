// The live view of `bitexact conform` on stderr, and the terminal's colours. On a terminal
// (stderr a TTY, TERM not "dumb"): one cli-progress bar per kernel, each line fitted to the
// terminal's current width. Otherwise: one plain line per finished kernel x property, no escape
// sequence at all. Colour (picocolors) follows NO_COLOR / FORCE_COLOR, else the terminal.
import cliProgress from 'cli-progress';
import pc from 'picocolors';
import type { ConformEvent, PropertyResult } from '../conform/engine.js';
import { casesText } from '../conform/summary.js';
import type { Io } from './util.js';

export type Colors = ReturnType<typeof pc.createColors>;

/** What the live view writes bars to: stderr, or a test's stand-in. */
export interface ProgressStream { write(s: string): unknown; isTTY?: boolean; columns?: number }

/** Whether escape sequences may go to this output: a TTY whose TERM is not "dumb". */
export const isInteractive = (isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean => isTTY && env.TERM !== 'dumb';

/** Colour on or off: NO_COLOR (any value but empty) wins, then FORCE_COLOR (not "0"), then the output. */
export function colorEnabled(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isInteractive(isTTY, env);
}

export const colors = (isTTY: boolean, env: NodeJS.ProcessEnv = process.env): Colors => pc.createColors(colorEnabled(isTTY, env));

/** Colours the words a summary line starts with or contains (PASS / FAIL / FAILED / INTERRUPTED / passed / skipped). */
export function paintStatus(c: Colors, line: string): string {
  return line
    .replace(/^(PASS)(:)/, (_, w: string, p: string) => c.bold(c.green(w)) + p)
    .replace(/^(FAIL|INTERRUPTED)(:)/, (_, w: string, p: string) => c.bold(c.red(w)) + p)
    .replace(/\bFAILED\b/g, (w) => c.bold(c.red(w)));
}

/** The unit-end line of the plain view: "K / P: passed: 36 run (5 random + 31 deterministic ...), ...". */
export function unitLine(kernel: string, property: string, r: PropertyResult, c: Colors): string {
  const status = r.status === 'failed' ? c.bold(c.red('FAILED')) : r.status === 'skipped' ? c.yellow('skipped') : c.green('passed');
  const how = casesText(r);
  const what = r.status === 'skipped' ? `${status} (${r.skipped})`
    : `${status}: ${r.ran} run, ${r.passed} passed, ${r.failed} failed, ${r.refused} refused${how ? `; ${how}` : ''}${r.interrupted ? `; ${r.note?.startsWith('interrupted') ? r.note : 'interrupted by the time budget'}` : ''}`
      + (r.status === 'failed' && r.failure ? ` — ${r.failure.verdict.label ?? r.failure.verdict.kind}: ${r.failure.verdict.message}` : r.note && !r.note.startsWith('interrupted') ? ` — ${r.note}` : '');
  return `${kernel} / ${property}: ${what} [${r.seconds.toFixed(2)} s]`;
}

interface KernelProgress { name: string; total: number; done: number; current: string; failed: string[]; finished: number; units: number; bar?: cliProgress.SingleBar }

/** Cuts a plain string to `n` visible characters (an ellipsis marks the cut). */
const fit = (s: string, n: number): string => (n <= 0 ? '' : s.length <= n ? s : n === 1 ? '…' : `${s.slice(0, n - 1)}…`);

/** One bar line, at most `width` visible characters: name, bar, percent, state. */
export function barLine(k: { name: string; total: number; done: number; state: string; failed: boolean }, nameWidth: number, width: number, c: Colors): string {
  const frac = k.total ? Math.min(1, k.done / k.total) : 1;
  const pct = `${String(Math.round(frac * 100)).padStart(3)}%`;
  const nw = Math.min(nameWidth, Math.max(8, width - 20));
  // the bar takes what is left after name, percent and a short state: 6 to 30 cells
  const barW = Math.max(6, Math.min(30, width - nw - pct.length - 2 - 18));
  const fixed = nw + 1 + barW + 1 + pct.length;
  if (fixed > width) return `${fit(k.name, width - pct.length - 1)} ${pct}`;
  const fill = Math.round(frac * barW);
  const bar = `${'█'.repeat(fill)}${'░'.repeat(barW - fill)}`;
  const state = fit(k.state, width - fixed - 2);
  const paint = (s: string) => (k.failed ? c.red(s) : s);
  return `${fit(k.name, nw).padEnd(nw)} ${paint(bar)} ${pct}${state ? `  ${paint(state)}` : ''}`;
}

/** The live view: feed it the engine's events; `end` leaves the final frame (or nothing) behind. */
export function liveView(io: Io, opts: { stream?: ProgressStream; env?: NodeJS.ProcessEnv; colors?: Colors } = {}): { onEvent: (e: ConformEvent) => void; end: () => void } {
  const env = opts.env ?? process.env;
  const c = opts.colors ?? colors(io.isTTY, env);
  const stream = opts.stream ?? (io.isTTY ? process.stderr : undefined);
  const tty = stream !== undefined && isInteractive(stream.isTTY === true, env);
  const ks = new Map<string, KernelProgress>();
  const unitRuns = new Map<string, number>();
  const planned = new Map<string, number>();
  let multi: cliProgress.MultiBar | undefined;
  // cli-progress renders the final frame with the terminal's line wrapping back on, cutting
  // each line at the width counted with its escape sequences: that frame goes uncoloured
  let final = false;
  const plain = colors(false, {});
  let nameWidth = 6;
  const key = (k: string, p: string) => `${k}\u0000${p}`;
  const state = (k: KernelProgress) => {
    const fails = k.failed.length ? `FAILED ${k.failed.join(', ')}` : '';
    return k.finished === k.units ? fails || 'passed' : [k.current, fails].filter(Boolean).join('  ');
  };
  const redraw = (k: KernelProgress) => k.bar?.update(k.done, { k });
  const onEvent = (e: ConformEvent) => {
    switch (e.type) {
      case 'start': {
        for (const u of e.units) {
          const k = ks.get(u.kernel) ?? { name: u.kernel, total: 0, done: 0, current: 'waiting', failed: [], finished: 0, units: 0 };
          k.total += u.runs; k.units++;
          ks.set(u.kernel, k);
        }
        nameWidth = Math.max(6, ...[...ks.keys()].map((n) => n.length));
        if (tty && ks.size) {
          multi = new cliProgress.MultiBar({
            stream: stream as unknown as NodeJS.WritableStream, hideCursor: false, clearOnComplete: false, linewrap: false, gracefulExit: false,
            // the line is built to fit the width the terminal has now (a resize takes effect at the next redraw)
            format: (_o, _p, payload: { k: KernelProgress }) => {
              const k = payload.k;
              return barLine({ name: k.name, total: k.total, done: k.done, state: state(k), failed: k.failed.length > 0 }, nameWidth, Math.max(20, (stream!.columns ?? 80) - 1), final ? plain : c);
            },
          });
          for (const k of ks.values()) k.bar = multi.create(Math.max(1, k.total), 0, { k });
        }
        break;
      }
      case 'unit-start': {
        const k = ks.get(e.kernel);
        if (k) { k.current = `${e.property} 0/${e.runs}`; redraw(k); }
        unitRuns.set(key(e.kernel, e.property), 0);
        planned.set(key(e.kernel, e.property), e.runs);
        break;
      }
      case 'progress': {
        const k = ks.get(e.kernel);
        const id = key(e.kernel, e.property);
        if (k) { k.done += e.ran - (unitRuns.get(id) ?? 0); k.current = `${e.property} ${e.ran}/${e.runs}`; redraw(k); }
        unitRuns.set(id, e.ran);
        break;
      }
      case 'unit-end': {
        const k = ks.get(e.kernel);
        const id = key(e.kernel, e.property);
        if (k) {
          // the unit's whole share counts as done (a failure or the time budget stops it early)
          k.done += (planned.get(id) ?? 0) - (unitRuns.get(id) ?? 0);
          k.finished++;
          if (e.result.status === 'failed') k.failed.push(e.property);
          redraw(k);
        }
        unitRuns.delete(id);
        if (!tty) io.err(`${unitLine(e.kernel, e.property, e.result, c)}\n`);
        break;
      }
    }
  };
  return { onEvent, end: () => { final = true; multi?.stop(); multi = undefined; } };
}
