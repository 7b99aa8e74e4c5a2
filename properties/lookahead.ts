// The cases a property will run next, known before fast-check hands them over, so that their
// kernel calls can be written to the executor while the current case is judged (the executor
// goes from one request to the next without waiting for this process: native/process.ts,
// CallOptions.pipelined).
//
// fast-check runs the examples first, then the value of run i generated from its seed's
// generator jumped i + 1 times (its Tosser). This module generates the same values with the same
// generator, ahead, and serves them to fast-check through the property's own generate(), so that
// each value is generated once and keeps the context fast-check shrinks with. The first value is
// checked against fc.sample; a fast-check whose stream differs gets no lookahead (correct, slower).
import fc from 'fast-check';
import { xorshift128plus } from 'pure-rand/generator/xorshift128plus';

/** Values of a property, by position: the examples, then the generated runs. */
export interface Lookahead<T> {
  /** the value at a position (generated on demand, in order), or undefined past what may run */
  at(pos: number): T | undefined;
  /** no more values are made ahead (those made are still served); fast-check then generates
   *  as it would alone */
  stop(): void;
}

/** Installs the lookahead on prop (an fc.asyncProperty over one arbitrary, not yet run) for a
 *  run with this seed and examples; numRuns bounds the positions. Undefined when the installed
 *  fast-check generates differently (checked on the first value). */
export function installLookahead<T>(prop: fc.IAsyncProperty<[T]>, arb: fc.Arbitrary<T>, seed: number, examples: T[], numRuns: number, same: (a: T, b: T) => boolean): Lookahead<T> | undefined {
  if (numRuns <= examples.length) return examples.length ? { at: (p) => examples[p], stop: () => undefined } : undefined;
  const seed32 = readSeed(seed);
  const rng = xorshift128plus(seed32);
  const inner = prop.generate.bind(prop);
  type Generated = ReturnType<fc.IAsyncProperty<[T]>['generate']>;
  const ahead = new Map<number, Generated>();
  let next = 0; // the next run index the generator produces
  let stopped = false;
  const gen = (i: number): Generated | undefined => {
    if (i >= numRuns - examples.length) return undefined;
    while (next <= i) {
      rng.jump();
      ahead.set(next, inner(new fc.Random(rng), next));
      next++;
    }
    return ahead.get(i);
  };
  const first = gen(0);
  const [check] = fc.sample(arb, { seed, numRuns: 1 });
  if (!first || check === undefined || !same(first.value[0] as T, check)) return undefined;
  prop.generate = (mrng, runId) => {
    if (runId !== undefined) {
      // after stop() the values already made (their calls may have run) are still served
      const v = ahead.get(runId) ?? (!stopped && runId === next ? gen(runId) : undefined);
      // the value stays for at() (the run being served is read after this); older ones go
      ahead.delete(runId - 1);
      if (v) return v;
    }
    return inner(mrng, runId);
  };
  return {
    at(pos) {
      if (pos < examples.length) return examples[pos];
      if (stopped) return undefined;
      return gen(pos - examples.length)?.value[0] as T | undefined;
    },
    stop() {
      stopped = true;
    },
  };
}

/** fast-check's reading of a numeric seed (its readSeed). */
const readSeed = (seed: number): number => {
  const seed32 = seed | 0;
  return seed === seed32 ? seed32 : seed32 ^ ((seed - seed32) * 4294967296);
};
