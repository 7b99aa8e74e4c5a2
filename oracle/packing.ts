// Packed operand layouts (docs/packing.md; tract linalg/src/frame/pack.rs). A packed operand is
// a sequence of panels; panel p holds rows mn in [p*r, p*r + r) of M (side A) or N (side B).
// Padding lanes and K padding are zero. The field names match the executor's LIST descriptor
// (native/PROTOCOL.md), so a kernel's declared packing can be passed here unchanged.
//
// pack() writes panels sequentially (a cursor walking the panel), offset() is the closed-form
// formula of docs/packing.md: the properties check one against the other.

export type PackedLayout =
  /** K-outer, mn-inner, one i8 per lane; panels padded to `align` elements after
   *  `end_padding_record` extra K records */
  | { kind: 'packed_format'; r: number; align: number; end_padding_record: number }
  /** K=4-inner (SDOT / SMOPA / VNNI): 4 consecutive K values per lane; K padded to 4 */
  | { kind: 'packed_i8k4'; r: number; align?: number };

/** Which operand: A (m x k, row-major; mn = m) or B (k x n, row-major; mn = n). */
export type Side = 'a' | 'b';

const posInt = (name: string, v: number, min: number): void => {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} = ${v}: expected an integer >= ${min}`);
};

/** PackedFormat(r, align_bytes, end_padding_record = 1). */
export function packedFormat(r: number, align = 1, endPadding = 1): PackedLayout {
  posInt('r', r, 1);
  posInt('align', align, 1);
  posInt('end_padding_record', endPadding, 0);
  return { kind: 'packed_format', r, align, end_padding_record: endPadding };
}

/** PackedI8K4(r). */
export function packedI8K4(r: number): PackedLayout {
  posInt('r', r, 1);
  return { kind: 'packed_i8k4', r, align: 16 };
}

/** Bytes (= i8 elements) of one panel for depth k.
 *  packed_format: ceil(((k + end_padding_record) * r) / align) * align; packed_i8k4: ceil(k/4)*4*r. */
export function panelLen(l: PackedLayout, k: number): number {
  if (l.kind === 'packed_format') return Math.ceil(((k + l.end_padding_record) * l.r) / l.align) * l.align;
  return Math.ceil(k / 4) * 4 * l.r;
}

/** Total bytes of a packed operand: ceil(mn / r) panels. */
export const packedLen = (l: PackedLayout, mn: number, k: number): number => Math.ceil(mn / l.r) * panelLen(l, k);

/** Byte offset of logical element (kk, mn) (docs/packing.md):
 *  packed_format: (mn / r) * panel_len + kk * r + (mn % r);
 *  packed_i8k4:   (mn / r) * panel_len + (kk / 4) * 4r + (mn % r) * 4 + (kk % 4). */
export function offset(l: PackedLayout, k: number, kk: number, mn: number): number {
  const r = l.r;
  const p = Math.floor(mn / r) * panelLen(l, k);
  if (l.kind === 'packed_format') return p + kk * r + (mn % r);
  return p + Math.floor(kk / 4) * 4 * r + (mn % r) * 4 + (kk % 4);
}

type Mat = Int8Array | readonly (readonly number[])[];

/** Logical element (kk, lane mn) of the operand: A[mn][kk] or B[kk][mn]. */
function getter(mat: Mat, mn: number, k: number, side: Side): (kk: number, x: number) => number {
  if (mat instanceof Int8Array) {
    if (mat.length !== mn * k) throw new RangeError(`pack: operand has ${mat.length} values, expected ${mn} x ${k}`);
    return side === 'a' ? (kk, x) => mat[x * k + kk] : (kk, x) => mat[kk * mn + x];
  }
  const rows = side === 'a' ? mn : k;
  const cols = side === 'a' ? k : mn;
  if (mat.length !== rows || mat.some((row) => row.length !== cols)) {
    throw new RangeError(`pack: operand ${side.toUpperCase()} must be ${rows} x ${cols}`);
  }
  return side === 'a' ? (kk, x) => mat[x][kk] : (kk, x) => mat[kk][x];
}

/** Packs A (mn x k) or B (k x mn), row-major int8, into the layout; every padding byte is 0. */
export function pack(l: PackedLayout, mat: Mat, mn: number, k: number, side: Side): Uint8Array {
  posInt('mn', mn, 0);
  posInt('k', k, 0);
  const get = getter(mat, mn, k, side);
  const r = l.r;
  const pl = panelLen(l, k);
  const out = new Uint8Array(packedLen(l, mn, k));
  for (let p = 0; p * r < mn; p++) {
    let cur = p * pl;
    if (l.kind === 'packed_format') {
      for (let kk = 0; kk < k; kk++) {
        for (let lane = 0; lane < r; lane++, cur++) {
          const x = p * r + lane;
          if (x < mn) out[cur] = get(kk, x) & 0xff;
        }
      }
    } else {
      for (let kb = 0; kb < k; kb += 4) {
        for (let lane = 0; lane < r; lane++) {
          for (let q = 0; q < 4; q++, cur++) {
            const x = p * r + lane;
            if (x < mn && kb + q < k) out[cur] = get(kb + q, x) & 0xff;
          }
        }
      }
    }
  }
  return out;
}

/** Inverse of pack: the operand, row-major (A: mn x k, B: k x mn), as int8. */
export function unpack(l: PackedLayout, packed: Uint8Array, mn: number, k: number, side: Side): Int8Array {
  if (packed.length !== packedLen(l, mn, k)) {
    throw new RangeError(`unpack: ${packed.length} bytes, expected ${packedLen(l, mn, k)}`);
  }
  const out = new Int8Array(mn * k);
  for (let x = 0; x < mn; x++) {
    for (let kk = 0; kk < k; kk++) {
      const v = (packed[offset(l, k, kk, x)] << 24) >> 24;
      if (side === 'a') out[x * k + kk] = v;
      else out[kk * mn + x] = v;
    }
  }
  return out;
}
