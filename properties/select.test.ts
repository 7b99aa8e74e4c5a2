// Kernel selection over synthetic descriptor sets: never a kernel that cannot run here, never
// one that does not declare the chain, never an nr = 1 kernel for n > 1 while a matrix kernel
// exists (tract PR #2277), and deterministic.
import { test } from '@fast-check/vitest';
import { abiTags } from '../oracle/opset.js';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { KernelDesc } from '../native/descriptor.js';
import { selectKernel, declaresChain } from '../native/select.js';
import type { Op } from '../oracle/types.js';

const ALL_TAGS = abiTags(1);
const desc = fc.record({
  name: fc.string({ minLength: 1, maxLength: 6 }),
  mr: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 32 })),
  nr: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 32 })),
  runnable: fc.boolean(),
  dropLeaky: fc.boolean(),
}).map(({ name, mr, nr, runnable, dropLeaky }): KernelDesc => ({
  name, isa: 'x', mr, nr, packings: [], runnable, why: runnable ? '' : 'not here',
  supported_ops: ALL_TAGS.filter((t) => !(dropLeaky && t === 9)),
}));
const chain = fc.subarray<Op>([{ op: 'add_mat_mul' }, { op: 'leaky_relu', alpha: 2 }, { op: 'store', item_size: 4 }], { minLength: 1 });

test.prop([fc.array(desc, { maxLength: 8 }), chain, fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 })])(
  'selection respects runnability, declared ops and the nr = 1 rule',
  (kernels, ch, m, n) => {
    const k = selectKernel(kernels, ch, m, n);
    const eligible = kernels.filter((x) => x.runnable && declaresChain(x, ch));
    if (!k) { expect(eligible).toEqual([]); return; }
    expect(k.runnable).toBe(true);
    expect(declaresChain(k, ch)).toBe(true);
    if (n > 1 && eligible.some((x) => x.nr > 1)) expect(k.nr).toBeGreaterThan(1);
    // the m rule applies among the kernels the n rule kept
    const kept = n > 1 && eligible.some((x) => x.nr > 1) ? eligible.filter((x) => x.nr > 1) : eligible;
    if (m > 1 && kept.some((x) => x.mr > 1)) expect(k.mr).toBeGreaterThan(1);
    expect(selectKernel([...kernels].reverse(), ch, m, n)?.name).toBe(k.name);
  },
);
