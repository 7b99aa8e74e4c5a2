// The packed operand a kernel's AddMatMul reads at tile level, built by the oracle's packer
// from the kernel's declared format (the native packer is checked against the same function).
import type { KernelDesc, PackFormatDesc } from '../native/descriptor.js';
import { pack, type PackedLayout } from '../oracle/packing.js';
import type { FrameKernel } from '../oracle/frame-model.js';

/** A declared packing format as the oracle's packer names it. */
export const packedLayout = (f: PackFormatDesc): PackedLayout => f.kind === 'packed_format'
  ? { kind: 'packed_format', r: f.r, align: f.align, end_padding_record: f.end_padding_record }
  : { kind: 'packed_i8k4', r: f.r };

/** What the frame model (oracle/frame-model.ts) needs of a kernel. */
export const frameKernel = (k: KernelDesc): FrameKernel => ({ mr: k.mr, nr: k.nr, packings: k.packings.map((p) => ({ a: packedLayout(p.a), b: packedLayout(p.b) })) });

export function packOperand(f: PackFormatDesc, side: 'a' | 'b', mat: number[][] | Int8Array, mn: number, k: number): Uint8Array {
  return pack(packedLayout(f), mat, mn, k, side);
}

/** A row-major matrix as one Int8Array (values already in i8 range: the case format's). */
export function flatInt8(rows: readonly (readonly number[])[]): Int8Array {
  const cols = rows.length ? rows[0].length : 0;
  const out = new Int8Array(rows.length * cols);
  for (let i = 0, o = 0; i < rows.length; i++, o += cols) {
    if (rows[i].length !== cols) throw new RangeError(`row ${i} has ${rows[i].length} values, row 0 has ${cols}`);
    out.set(rows[i], o);
  }
  return out;
}
