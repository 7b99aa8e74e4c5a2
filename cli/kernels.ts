// Kernels for the CLI verbs that run single cases (eval --kernel, replay, list): every backend
// available here plus the kernels of --kernel-lib libraries, each paired with its backend.
import { ExecError } from '../native/wire.js';
import { KernelCrash } from '../native/process.js';
import type { Target } from '../native/targets.js';
// the kernel set (builtins + --kernel-lib libraries) is shared with the conform engine
export { openKernels, type KernelSet } from '../native/targets.js';
import type { Case } from '../oracle/types.js';
import { encodeCase, firstUnsupported } from '../properties/encode.js';
import { judge, type Verdict } from '../properties/check.js';
import { readMatrix } from '../properties/layout.js';

/** The string[] of a `multiple: true` option. */
export const many = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

/** Runs one case on one kernel like runCase, and also returns what the kernel's last store
 *  wrote (signed), so a caller can print the kernel's own result. Never throws for a kernel's
 *  misbehaviour: crashes and executor errors come back as verdicts. */
export async function execCase(t: Target, c: Case): Promise<{ verdict: Verdict; got?: number[][]; refusedAt: number }> {
  const refusedAt = firstUnsupported(c.chain, t.kernel);
  let enc;
  try {
    enc = encodeCase(c, t.kernel);
  } catch (e) {
    return { verdict: { ok: false, refused: false, kind: 'exec_error', message: `cannot encode the case for ${t.kernel.name}: ${(e as Error).message}` }, refusedAt };
  }
  let res;
  try {
    res = await t.backend.exec(enc.req);
  } catch (e) {
    // the same classification as runCase
    if (e instanceof KernelCrash) {
      const what = e.timedOut ? 'hung (timed out)' : `crashed (${e.signal ?? 'exit ' + e.exitCode})`;
      return { verdict: { ok: false, refused: false, kind: 'crash', message: `${t.kernel.name} ${what}` }, refusedAt };
    }
    if (e instanceof ExecError) return { verdict: { ok: false, refused: false, kind: 'exec_error', message: `executor: ${e.message}` }, refusedAt };
    throw e;
  }
  const verdict = judge(c, t.kernel, enc, res);
  const last = enc.stores[enc.stores.length - 1];
  const got = last && res.buffers[last.buf]?.length ? readMatrix(res.buffers[last.buf], last.placement, c.m, c.n) : undefined;
  return { verdict, got, refusedAt };
}
