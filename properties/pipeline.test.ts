// Pipelined kernel calls (native/process.ts, CallOptions.pipelined) and the lookahead that feeds
// them (properties/lookahead.ts): the same cases, in the same order, with the same verdicts and
// shrunk failures as one call at a time; a crash or hang in the pipe is the verdict of the call
// that caused it, and the calls behind it did not run (NotRun), whatever they were.
import { afterAll, describe, expect, it } from 'vitest';
import type { Case } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import { testKernelsPath } from '../native/paths.js';
import { hostBackend } from '../native/backends/host.js';
import { KernelCrash, NotRun, PIPELINE_DEPTH } from '../native/process.js';
import { encodeCase } from './encode.js';
import { deterministicCases, propertyByName } from './kernel-properties.js';
import { runCaseProperty, resolveSeed, type PropertyOutcome } from './run.js';
import type { Verdict } from './verdict.js';

describe('pipelined calls', async () => {
  const seed = resolveSeed(process.env.BITEXACT_SEED);
  const backend = hostBackend({ timeoutMs: 10_000 });
  const lib = await backend.loadLib(testKernelsPath());
  const kernel = (name: string): KernelDesc => lib.find((k) => k.name === name)!;
  afterAll(() => backend.close());

  const run = async (name: string, prop: string, lookahead: number, numRuns: number) => {
    const p = propertyByName(prop)!;
    const k = kernel(name);
    const t = { kernel: k, backend };
    const { edges, sweep } = deterministicCases(p, k);
    const seen: Array<{ c: string; v: string }> = [];
    let pipelined = 0;
    const out = await runCaseProperty({
      kernel: name, property: prop, arb: p.arb(k), examples: [...edges, ...sweep], numRuns: edges.length + sweep.length + numRuns, seed, fixtureDir: null, lookahead,
      exec: (c, call) => { if (call.pipelined) pipelined++; return p.exec(t, [t], c, call); },
      onCase: (c: Case, v: Verdict) => seen.push({ c: JSON.stringify(c), v: v.outcome }),
    });
    return { out, seen, pipelined };
  };
  const failuresOf = (o: PropertyOutcome) => o.failures.map((f) => ({ sig: f.signature, c: JSON.stringify(f.case), shrinks: f.shrinks, text: f.text.replace(/\d+(\.\d+)? s\b/g, '') }));

  for (const prop of ['tile', 'frame', 'interleave', 'packing', 'gating'])
    it(`seed ${seed}: ${prop} on a correct kernel: the same cases and verdicts with the lookahead, its calls pipelined`, async () => {
      expect(propertyByName(prop)!.pipeline).toBe(true);
      const one = await run('test_ref_i32_4x4', prop, 0, 60);
      const piped = await run('test_ref_i32_4x4', prop, PIPELINE_DEPTH, 60);
      expect(one.out.failure?.text).toBeUndefined();
      expect(piped.seen).toEqual(one.seen);
      expect(one.pipelined).toBe(0);
      // every case's calls were made ahead (the count covers calls made ahead and not used)
      expect(piped.pipelined).toBeGreaterThanOrEqual(piped.seen.length);
    });

  it('the stale property is not pipelined (its cases test what a call leaves to the next)', () => {
    expect(propertyByName('stale')!.pipeline).toBe(false);
  });

  it(`seed ${seed}: a kernel with three bugs: the same distinct failures, shrunk to the same cases, with and without the lookahead`, async () => {
    const one = await run('test_threebugs_i32_4x4', 'tile', 0, 150);
    const piped = await run('test_threebugs_i32_4x4', 'tile', PIPELINE_DEPTH, 150);
    expect(one.out.failures.length).toBeGreaterThan(0);
    expect(failuresOf(piped.out)).toEqual(failuresOf(one.out));
    expect(piped.seen).toEqual(one.seen);
  });

  const reqOf = (name: string) => {
    const k = kernel(name);
    const c = deterministicCases(propertyByName('tile')!, k).edges[0]!;
    return encodeCase(c, k).req;
  };
  const settle = (p: Promise<unknown>) => p.then((r) => ({ ok: r }), (e: unknown) => ({ e }));

  it('a crash in the pipe: the calls before it answered, it a KernelCrash, the pipelined calls behind it NotRun; a call alone runs on a new process', async () => {
    const ok = reqOf('test_ref_i32_4x4');
    const bad = reqOf('test_crash_i32_4x4');
    const calls = [ok, ok, ok, bad, ok, ok, ok, ok, ok, ok, ok, ok].map((r) => settle(backend.exec(r, { pipelined: true })));
    const alone = settle(backend.exec(ok));
    const rs = await Promise.all(calls);
    for (const r of rs.slice(0, 3)) expect('ok' in r).toBe(true);
    expect((rs[3] as { e: unknown }).e).toBeInstanceOf(KernelCrash);
    for (const r of rs.slice(4)) expect((r as { e: unknown }).e).toBeInstanceOf(NotRun);
    expect('ok' in (await alone)).toBe(true);
  });

  it('a hang in the pipe is one timeout: the pipelined calls behind it do not run', async () => {
    const hang = reqOf('test_hang_i32_4x4');
    const calls = Array.from({ length: 6 }, () => settle(backend.exec(hang, { pipelined: true, timeoutMs: 300 })));
    const rs = await Promise.all(calls);
    const first = (rs[0] as { e: unknown }).e as KernelCrash;
    expect(first).toBeInstanceOf(KernelCrash);
    expect(first.timedOut).toBe(true);
    for (const r of rs.slice(1)) expect((r as { e: unknown }).e).toBeInstanceOf(NotRun);
  });
});
