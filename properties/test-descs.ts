// Kernel descriptors the oracle-side tests judge against without running a kernel: a 2x2 tile
// declaring every op of ABI version 1, and the same without the scalar ops (tags 3..8), where
// chains with one are refused.
import type { KernelDesc } from '../native/descriptor.js';

export const ALL_OPS_2X2: KernelDesc = {
  name: 'k_all', isa: 'generic', mr: 2, nr: 2, runnable: true, why: '',
  packings: [{ a: { kind: 'packed_format', r: 2, align: 1, end_padding_record: 1 }, b: { kind: 'packed_format', r: 2, align: 1, end_padding_record: 1 }, k_alignment: 1 }],
  packing_ids: [0],
  supported_ops: Array.from({ length: 29 }, (_, i) => i),
};

export const NO_SCALAR_2X2: KernelDesc = { ...ALL_OPS_2X2, name: 'k_noscalar', supported_ops: ALL_OPS_2X2.supported_ops.filter((t) => t < 3 || t > 8) };
