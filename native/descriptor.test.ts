// The descriptor JSON of LIST / LOAD_LIB is checked field by field before the gate sees it.
import { describe, expect, it } from 'vitest';
import { parseKernelDescs } from './descriptor.js';

const fmt = { kind: 'packed_format', r: 4, align: 1, end_padding_record: 1 };
const good = { name: 'k', isa: 'generic', mr: 4, nr: 4, packings: [{ a: fmt, b: fmt, k_alignment: 1 }], packing_ids: [0], supported_ops: [0, 1, 27, 28], runnable: true, why: '' };

describe('parseKernelDescs', () => {
  it('keeps a well-formed descriptor and tags it with its backend', () => {
    expect(parseKernelDescs(JSON.stringify([good]), 'host')).toEqual([{ ...good, backend: 'host' }]);
  });

  it('keeps a contract in its JSON form', () => {
    const contract = { store: { item_size: [1, 4] }, preconditions: ['shift_left_no_overflow'] };
    expect(parseKernelDescs(JSON.stringify([{ ...good, contract }]), 'host')[0].contract).toEqual(contract);
  });

  it.each([
    ['a contract outside SPEC\'s domain', JSON.stringify([{ ...good, contract: { shift_left: { shift: { min: 0, max: 32 } } } }]), /descriptor 0 \(k\)\.contract\.shift_left\.shift\.max: expected an integer in 0\.\.31/],
    ['not JSON', '[', /descriptor json/],
    ['not an array', '{}', /descriptor json: expected an array/],
    ['a missing name', JSON.stringify([{ ...good, name: undefined }]), /descriptor 0\.name: expected a string/],
    ['a fractional mr', JSON.stringify([{ ...good, mr: 4.5 }]), /descriptor 0 \(k\)\.mr: expected a u32/],
    ['an unknown packing kind', JSON.stringify([{ ...good, packings: [{ a: { ...fmt, kind: 'x' }, b: fmt, k_alignment: 1 }] }]), /packings\[0\]\.a\.kind: expected one of packed_format, packed_i8k4/],
    ['a tag beyond 63', JSON.stringify([{ ...good, supported_ops: [64] }]), /supported_ops\[0\]: expected a tag in 0\.\.63/],
    ['packing_ids of the wrong length', JSON.stringify([{ ...good, packing_ids: [0, 1] }]), /packing_ids: expected 1 indices \(one per packing\), got 2/],
    ['a negative packing id', JSON.stringify([{ ...good, packing_ids: [-1] }]), /packing_ids\[0\]: expected a u32/],
    ['repeated packing ids', JSON.stringify([{ ...good, packings: [good.packings[0], good.packings[0]], packing_ids: [1, 1] }]), /packing_ids: expected distinct indices/],
    ['a non-boolean runnable', JSON.stringify([{ ...good, runnable: 1 }]), /runnable: expected a boolean/],
  ])('rejects %s', (_what, json, message) => {
    expect(() => parseKernelDescs(json, 'host')).toThrow(message);
  });
});
