// The public API of oracle/index.ts is complete and wired to the implementations.
import { expect, test } from 'vitest';
import * as api from './index.js';

test('oracle/index.ts exports the public API', () => {
  for (const name of [
    'round', 'roundRational', 'wrap32', 'binop', 'evalChain', 'evalTiled', 'tileChain', 'lastStore',
    'evalChainFast', 'qScale1', 'rsr1', 'roundMagnitude', 'matmulInto', 'prepareMatmul',
    'ValidationError', 'validateCase', 'checkCase', 'itemRange', 'readCase', 'parseCase', 'writeCase',
    'packedFormat', 'packedI8K4', 'panelLen', 'packedLen', 'offset', 'pack', 'unpack',
    'SELF_PROPERTIES', 'runSelfProperty', 'assertSelfProperty', 'BINS', 'POLICIES', 'LAYOUTS', 'UNICAST_LAYOUTS', 'policyCode',
  ]) expect(api, name).toHaveProperty(name);
  expect(api.ops.clear).toBeTypeOf('function');
  expect(api.FORMAT).toBe('bitexact-case/1');
  expect(api.policyCode('even')).toBe(5);
  expect(api.itemRange(2)).toEqual([-32768, 32767]);
  expect([api.I32_MIN, api.I32_MAX, api.U32_MAX]).toEqual([-(2 ** 31), 2 ** 31 - 1, 2 ** 32 - 1]);
  expect(api.OP_NAMES).toContain('add_mat_mul');
});
