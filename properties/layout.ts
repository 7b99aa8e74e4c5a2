// Memory layouts of the m x n operands of Store and AddUnicast: where element (i, j) lives
// in a byte buffer. The same function serves the tile level (m x n = mr x nr) and the frame
// level (the whole matrix), the native encoders and the expected-bytes model, so a layout
// bug cannot hide behind a second, disagreeing copy.
import type { Layout, UnicastLayout } from '../oracle/types.js';

export interface Placement {
  /** byte offset of element (0, 0) in the buffer */
  base: number;
  rowStride: number;
  colStride: number;
  itemSize: number;
  /** buffer length in bytes: every addressed element lies inside */
  length: number;
}

/** Bytes around the addressed elements that a correct kernel never touches (sentinels). */
export const MARGIN = 8;

/** margins: sentinel bytes before the lowest and after the highest element (a side without
 *  margin puts the footprint's edge against the buffer's edge, where the guard is). */
export function place(layout: Layout | UnicastLayout, m: number, n: number, itemSize: number, margins: [number, number] = [MARGIN, MARGIN]): Placement {
  const s = itemSize;
  let rowStride: number;
  let colStride: number;
  switch (layout) {
    case 'row_major': rowStride = n * s; colStride = s; break;
    case 'col_major': rowStride = s; colStride = m * s; break;
    // gaps between columns and rows, so a kernel that assumes contiguity writes into a sentinel
    case 'strided': colStride = 2 * s + 1 * s; rowStride = n * colStride + 5 * s; break;
    // both strides negative: element (0,0) is the last one in memory
    case 'reversed': rowStride = -n * s; colStride = -s; break;
    case 'broadcast_row': rowStride = 0; colStride = s; break;
    case 'broadcast_col': rowStride = s; colStride = 0; break;
    case 'broadcast': rowStride = 0; colStride = 0; break;
  }
  // the lowest and highest addressed byte, from the four corners
  const corners = [0, (m - 1) * rowStride, (n - 1) * colStride, (m - 1) * rowStride + (n - 1) * colStride];
  const lo = Math.min(...corners);
  const hi = Math.max(...corners) + s;
  const base = margins[0] - lo;
  return { base, rowStride, colStride, itemSize: s, length: base + hi + margins[1] };
}

export const offsetOf = (p: Placement, i: number, j: number): number => p.base + i * p.rowStride + j * p.colStride;

/** Writes the low itemSize bytes of v (little-endian): Store's truncation. */
export function writeItem(buf: Uint8Array, off: number, v: number, itemSize: number): void {
  for (let b = 0; b < itemSize; b++) buf[off + b] = (v >>> (8 * b)) & 0xff;
}

/** Reads a signed item (sign-extended from itemSize bytes). */
export function readItem(buf: Uint8Array, off: number, itemSize: number): number {
  let v = 0;
  for (let b = 0; b < itemSize; b++) v |= buf[off + b] << (8 * b);
  const shift = 32 - 8 * itemSize;
  return shift === 0 ? v | 0 : (v << shift) >> shift;
}

/** Deterministic sentinel bytes: a written-where-it-should-not byte shows as a diff, and the
 *  pattern is not all-equal, so an off-by-one copy of the sentinel itself is also seen. */
export function sentinelFill(buf: Uint8Array, salt: number): void {
  for (let i = 0; i < buf.length; i++) buf[i] = (0x5c + i * 37 + salt * 101) & 0xff;
}

/** Reads back the m x n matrix written through a placement. */
export function readMatrix(buf: Uint8Array, p: Placement, m: number, n: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) row.push(readItem(buf, offsetOf(p, i, j), p.itemSize));
    out.push(row);
  }
  return out;
}
