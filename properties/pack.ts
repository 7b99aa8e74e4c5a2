// The packed operand a kernel's AddMatMul reads at tile level, built by the oracle's packer
// from the kernel's declared format (the native packer is checked against the same function).
import type { PackFormatDesc } from '../native/descriptor.js';
import { pack, type PackedLayout } from '../oracle/packing.js';

export function packOperand(f: PackFormatDesc, side: 'a' | 'b', mat: number[][], mn: number, k: number): Uint8Array {
  const layout: PackedLayout = f.kind === 'packed_format'
    ? { kind: 'packed_format', r: f.r, align: f.align, end_padding_record: f.end_padding_record }
    : { kind: 'packed_i8k4', r: f.r };
  return pack(layout, mat, mn, k, side);
}
