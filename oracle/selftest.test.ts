// Runs every oracle self-property (oracle/selftest.ts) with a seed that is printed in the test
// name: BITEXACT_SEED=<n> reproduces a run; fast-check's failure report also carries it.
import { describe, test } from 'vitest';
import { SELF_PROPERTIES, assertSelfProperty } from './selftest.js';

const seed = process.env.BITEXACT_SEED !== undefined ? Number(process.env.BITEXACT_SEED) : (Math.random() * 2 ** 31) >>> 0;

describe(`oracle self-properties (seed ${seed})`, () => {
  for (const p of SELF_PROPERTIES) {
    test(`${p.name} [seed ${seed}, ${p.runs} runs]`, () => {
      assertSelfProperty(p, { seed });
    });
  }
});
