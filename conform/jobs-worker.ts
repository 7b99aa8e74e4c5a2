// A worker process of `conform --jobs N` (conform/jobs.ts): runs conformance() on the options
// the parent sends, claiming each unit from the parent before running it, forwards progress
// events, and sends its part of the report back.
import { conformance, type ConformEvent } from './engine.js';
import type { FromWorker, ToWorker } from './jobs.js';

const send = (m: FromWorker, then?: () => void): void => { if (process.connected) process.send!(m, undefined, {}, then); else then?.(); };
const stop = new AbortController();
const pending = new Map<number, (ok: boolean) => void>();
let nextId = 0;

// Ctrl-C reaches the whole process group: the parent decides and forwards the stop (abort)
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
// the parent is gone: stop after the case in flight, nobody reads the report
process.on('disconnect', () => { stop.abort('the parent process is gone'); for (const r of pending.values()) r(false); });

/** Progress events at most every PROGRESS_MS (one per case would cost an IPC message per
 *  case); unit start / end at once, after the progress they follow. */
const PROGRESS_MS = 100;
let held: ConformEvent | undefined;
let last = 0;
function forward(e: ConformEvent): void {
  if (e.type === 'progress') {
    const now = Date.now();
    if (now - last < PROGRESS_MS) { held = e; return; }
    last = now;
  } else if (held) send({ type: 'event', event: held });
  held = undefined;
  send({ type: 'event', event: e });
}

process.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'claim': pending.get(m.id)?.(m.ok); pending.delete(m.id); break;
    case 'abort': stop.abort(m.reason); break;
    case 'run': {
      const { events, ...opts } = m.opts;
      conformance({
        ...opts, signal: stop.signal,
        onEvent: events ? forward : undefined,
        claim: ({ index }) => new Promise<boolean>((resolve) => {
          if (!process.connected) return resolve(false);
          const id = nextId++;
          pending.set(id, resolve);
          send({ type: 'claim', id, index });
        }),
      }).then(
        (report) => report,
        (e: unknown) => ({ error: e instanceof Error ? e.stack ?? e.message : String(e) }),
      ).then((r) => send('error' in r ? { type: 'error', message: r.error } : { type: 'report', report: r }, () => process.disconnect()));
    }
  }
});
