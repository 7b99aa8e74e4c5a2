// The packing property's judge on a packer that is not native code: the oracle's bytes pass,
// one wrong byte and a wrong length fail with the byte, the side and the sizes named.
import { describe, expect, it } from 'vitest';
import type { Case } from '../oracle/types.js';
import type { Target } from '../native/targets.js';
import { propertyByName } from './kernel-properties.js';
import { flatInt8, packOperand } from './pack.js';
import { ALL_OPS_2X2 } from './test-descs.js';

const kernel = ALL_OPS_2X2;
const c: Case = {
  format: 'bitexact-case/1', level: 'frame', m: 3, n: 2, k: 2,
  a: [[1, -2], [3, -128], [127, 0]], b: [[5, 6], [-7, 8]], chain: [{ op: 'add_mat_mul', packing: 0 }],
};

/** A backend whose packer is the oracle's, then `spoil`ed. */
const target = (spoil: (side: 'a' | 'b', bytes: Uint8Array) => Uint8Array): Target => ({
  kernel,
  backend: {
    pack: async (_k: string, pi: number, side: 'a' | 'b', mn: number, k: number, data: Int8Array) =>
      spoil(side, packOperand(side === 'a' ? kernel.packings[pi].a : kernel.packings[pi].b, side, data, mn, k)),
  } as unknown as Target['backend'],
});
const exec = (t: Target) => propertyByName('packing')!.exec(t, [t], c);

describe('packing property', () => {
  it('passes the oracle packer', async () => {
    expect((await exec(target((_s, b) => b))).ok).toBe(true);
  });

  it('names the first wrong byte of the side that differs', async () => {
    const v = await exec(target((s, b) => { if (s === 'b') b[3] ^= 0x40; return b; }));
    expect(v).toMatchObject({ ok: false, outcome: 'pack_mismatch', packing: 0, side: 'b', mn: 2, k: 2, byte: 3 });
  });

  it('names a packed operand of the wrong length', async () => {
    const v = await exec(target((s, b) => (s === 'a' ? b.subarray(0, b.length - 1) : b)));
    expect(v).toMatchObject({ ok: false, outcome: 'pack_mismatch', side: 'a', native: 11, oracle: 12 });
  });

  it('flattens rows as the executor is sent them, and refuses ragged rows', () => {
    expect(Array.from(flatInt8(c.a))).toEqual([1, -2, 3, -128, 127, 0]);
    expect(() => flatInt8([[1, 2], [3]])).toThrow(/row 1 has 1 values, row 0 has 2/);
  });
});
