// Timeouts that fit: the budget of a call follows its work, a hang is shrunk under a shortened
// budget with a bound on the candidates that may hang, and the shrunk case is confirmed under the
// full budget. The bound on a hanging kernel's cost is asserted as the number of calls made per
// timeout value (an executor that "hangs" at once and records the timeout it was given), not as
// wall-clock time.
import { describe, expect, it, afterAll } from 'vitest';
import type { Case } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import type { ExecRequest } from '../native/wire.js';
import { KernelCrash, type CallOptions } from '../native/process.js';
import type { ProvidedBackend } from '../native/backends/provider.js';
import { hostBackend } from '../native/backends/host.js';
import { propertyByName } from './kernel-properties.js';
import { MAX_HANG_SHRINKS, runCaseProperty } from './run.js';
import {
  callTimeout, caseWork, parseTimeoutMs, SHRINK_FLOOR_MS, timeoutFromEnv, TIMEOUT_BASE_MS, WORK_PER_MS, MAX_TIMEOUT_MS,
} from './timeout.js';
import { abiTags } from '../oracle/opset.js';

const k4x4: KernelDesc = {
  name: 'k_hang', isa: 'generic', mr: 4, nr: 4, runnable: true, why: '',
  packings: [{ a: { kind: 'packed_format', r: 4, align: 1, end_padding_record: 1 }, b: { kind: 'packed_format', r: 4, align: 1, end_padding_record: 1 }, k_alignment: 1 }],
  packing_ids: [0],
  supported_ops: abiTags(1),
};

const timedOut = (o?: CallOptions) =>
  new KernelCrash(`timed out after ${o?.timeoutMs} ms (killed)`, { signal: 'SIGKILL', exitCode: null, timedOut: true, timeoutMs: o?.timeoutMs, stderr: '' });

/** An executor whose every kernel call hangs; it records the timeout of each call. */
function hangingBackend(): { backend: ProvidedBackend; timeouts: number[] } {
  const timeouts: number[] = [];
  const hang = async (o?: CallOptions): Promise<never> => { timeouts.push(o?.timeoutMs ?? -1); throw timedOut(o); };
  const backend = {
    exec: (_req: ExecRequest, o?: CallOptions) => hang(o),
    pack: (_k: string, _p: number, _s: 'a' | 'b', _mn: number, _k2: number, _d: Int8Array, o?: CallOptions) => hang(o),
  } as unknown as ProvidedBackend;
  return { backend, timeouts };
}

const frameCase = (m: number, n: number, k: number, matmuls: number): Case => ({
  format: 'bitexact-case/1', level: 'frame', m, n, k,
  a: Array.from({ length: m }, () => new Array<number>(k).fill(1)), b: Array.from({ length: k }, () => new Array<number>(n).fill(1)),
  chain: [...Array.from({ length: matmuls }, () => ({ op: 'add_mat_mul' as const })), { op: 'store', item_size: 4 }],
});

describe('the timeout of a call', () => {
  it('is a base plus a term in the work, frames padded to whole tiles', () => {
    const small = callTimeout(caseWork(frameCase(1, 1, 5, 1), k4x4));
    expect(small).toMatchObject({ basis: 'scaled', ms: TIMEOUT_BASE_MS + 1, shrinking: false, work: { cells: 16, k: 5, matmuls: 1, ops: 1 } });
    // the largest case the generators make for a 32x32 kernel: 97x97 (4x4 tiles of 32), k 300, 4 matmuls
    const big = callTimeout(caseWork(frameCase(97, 97, 300, 4), { mr: 32, nr: 32 }));
    expect(big.ms).toBe(TIMEOUT_BASE_MS + Math.ceil((128 * 128 * (300 * 4 + 1)) / WORK_PER_MS));
    expect(big.ms).toBeGreaterThan(7000);
  });

  it('while shrinking a hang: shortened, never below the floor nor above the full budget', () => {
    const w = caseWork(frameCase(1, 1, 5, 1), k4x4);
    expect(callTimeout(w, { shrinking: true }).ms).toBe(Math.max(SHRINK_FLOOR_MS, Math.round((TIMEOUT_BASE_MS + 1) / 8)));
    expect(callTimeout(w, { fixedMs: 8000, shrinking: true }).ms).toBe(1000);
    expect(callTimeout(w, { fixedMs: 100, shrinking: true }).ms).toBe(100);
    expect(callTimeout(w, { fixedMs: 100 })).toMatchObject({ ms: 100, basis: 'fixed', by: '--timeout' });
    const huge = callTimeout({ cells: 1e6, k: 1e6, matmuls: 1e3, ops: 0 });
    expect(huge.ms).toBe(MAX_TIMEOUT_MS);
  });

  it('--timeout and BITEXACT_TIMEOUT_MS: whole milliseconds within what timers take', () => {
    expect(parseTimeoutMs(undefined)).toBeUndefined();
    expect(parseTimeoutMs('1500')).toBe(1500);
    for (const bad of ['0', '-1', '1.5', '1e3', '', 'x', String(MAX_TIMEOUT_MS + 1)]) expect(parseTimeoutMs(bad), bad).toMatch(/^--timeout .*: expected a whole number of milliseconds/);
    expect(timeoutFromEnv({})).toEqual({});
    expect(timeoutFromEnv({ BITEXACT_TIMEOUT_MS: '5000' })).toEqual({ fixedMs: 5000, fixedBy: 'BITEXACT_TIMEOUT_MS' });
    expect(() => timeoutFromEnv({ BITEXACT_TIMEOUT_MS: 'soon' })).toThrow(/^BITEXACT_TIMEOUT_MS soon: expected/);
  });
});

describe('a kernel that always hangs', () => {
  // the properties that reach the kernel's matmul, as conform runs them (edge sweep, default runs)
  for (const name of ['tile', 'frame', 'interleave', 'packing']) {
    it(`${name}: two calls under the full timeout, at most ${MAX_HANG_SHRINKS} under the shortened one`, async () => {
      const p = propertyByName(name)!;
      const { backend, timeouts } = hangingBackend();
      const t = { kernel: k4x4, backend };
      const examples = p.examples?.(k4x4) ?? [];
      const out = await runCaseProperty({
        kernel: k4x4.name, property: name, arb: p.arb(k4x4), exec: (c, call) => p.exec(t, [t], c, call),
        examples, numRuns: examples.length + Math.round(200 / p.cost), seed: 42, fixtureDir: null,
      });
      const v = out.failure?.verdict;
      expect(v?.outcome).toBe('hang');
      if (v?.outcome !== 'hang') return;
      // reported: the timeout of a full-length call
      expect(v.timeout.shrinking).toBe(false);
      expect(v.timeout.ms).toBeGreaterThanOrEqual(TIMEOUT_BASE_MS);
      const full = timeouts.filter((ms) => ms >= TIMEOUT_BASE_MS);
      const short = timeouts.filter((ms) => ms < TIMEOUT_BASE_MS);
      expect(full.length, `full-timeout calls ${JSON.stringify(full)}`).toBe(2); // the first failure and the confirmation
      expect(short.length).toBeLessThanOrEqual(MAX_HANG_SHRINKS);
      for (const ms of short) expect(ms).toBeLessThanOrEqual(Math.max(SHRINK_FLOOR_MS, Math.ceil(Math.max(...full) / 8)));
      // what the timeouts cost at most: the bound of the hanging kernel's run, without the restarts
      expect(timeouts.reduce((a, b) => a + b, 0)).toBeLessThan(2 * 2100 + MAX_HANG_SHRINKS * 300);
    });
  }
});

describe('a case that only exceeds the shortened timeout', () => {
  const real = hostBackend();
  afterAll(() => real.close());

  it('is not reported: the first failure, run under the full timeout, is', async () => {
    const k = (await real.list()).find((x) => x.name === 'generic_i32_4x4')!;
    expect(k).toBeDefined();
    // the first case hangs whenever it runs; smaller ones need more than the shortened budget
    // but not the full one
    const timeouts: number[] = [];
    let first: Case | undefined;
    let current: Case | undefined;
    const backend = {
      exec: async (req: ExecRequest, o?: CallOptions) => {
        timeouts.push(o?.timeoutMs ?? -1);
        if (current === first || (o?.timeoutMs ?? 0) < TIMEOUT_BASE_MS) throw timedOut(o);
        return real.exec(req, o);
      },
    } as unknown as ProvidedBackend;
    const p = propertyByName('tile')!;
    const t = { kernel: k, backend };
    const out = await runCaseProperty({
      kernel: k.name, property: 'tile', arb: p.arb(k), numRuns: 20, seed: 7, fixtureDir: null,
      exec: (c, call) => { first ??= c; current = c; return p.exec(t, [t], c, call); },
    });
    expect(out.failure!.case).toEqual(first);
    expect(out.failure!.shrinks).toBe(0);
    expect(out.failure!.verdict).toMatchObject({ outcome: 'hang', timeout: { shrinking: false } });
    expect(out.failure!.text).toContain('did not fail under the full timeout');
    // full-timeout calls: the first failure, the shrunk case's confirmation, the first case again
    expect(timeouts.filter((ms) => ms >= TIMEOUT_BASE_MS).length).toBe(3);
  });

  it('a first hang that does not come back is no hang: the shrunk case passes when run again', async () => {
    const k = (await real.list()).find((x) => x.name === 'generic_i32_4x4')!;
    const timeouts: number[] = [];
    const backend = {
      exec: async (req: ExecRequest, o?: CallOptions) => {
        timeouts.push(o?.timeoutMs ?? -1);
        // one stall of the machine on the first call; shrink candidates only exceed the shortened budget
        if (timeouts.length === 1 || (o?.timeoutMs ?? 0) < TIMEOUT_BASE_MS) throw timedOut(o);
        return real.exec(req, o);
      },
    } as unknown as ProvidedBackend;
    const p = propertyByName('tile')!;
    const t = { kernel: k, backend };
    const out = await runCaseProperty({ kernel: k.name, property: 'tile', arb: p.arb(k), numRuns: 20, seed: 7, fixtureDir: null, exec: (c, call) => p.exec(t, [t], c, call) });
    expect(out.failure!.verdict).toMatchObject({ outcome: 'exec_error', reason: 'threw' });
    expect(out.failure!.text).toContain('pass when run again under the full timeout: the machine stalled, the kernel did not hang');
    expect(timeouts.filter((ms) => ms >= TIMEOUT_BASE_MS).length).toBe(3);
  });
});
