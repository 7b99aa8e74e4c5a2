// Case -> executor request (native/PROTOCOL.md). Tile level: the chain is handed to the kernel
// as FusedKerSpec entries over packed panels and tile-sized vectors. Frame level: the chain is
// given at matrix level and the C frame tiles it. Every buffer's initial bytes are kept, so the
// checker can tell a wrong value from a write outside the tile from a modified input.
import type { Case, Op, Bin } from '../oracle/types.js';
import { BINS, policyCode } from '../oracle/types.js';
import type { KernelDesc, PackFormatDesc } from '../native/descriptor.js';
import type { ExecRequest, WireBuffer, WireOp, Word } from '../native/wire.js';
import { packOperand } from './pack.js';
import { place, offsetOf, writeItem, sentinelFill, MARGIN, type Placement } from './layout.js';

export const TAG = {
  done: 0, clear: 1, load_tile: 2, scalar: 3, leaky_relu: 9, per_row: 10, per_col: 16,
  q_scale: 22, rounding_shift_right: 23, shift_left: 24, add_unicast: 25,
  add_row_col_products: 26, store: 27, add_mat_mul: 28,
} as const;

const binIndex = (b: Bin): number => BINS.indexOf(b);

/** Every ABI tag an op name can take (the Scalar/PerRow/PerCol families take one per bin). */
export const OP_TAGS: Record<Op['op'], number[]> = {
  clear: [TAG.clear], load_tile: [TAG.load_tile], leaky_relu: [TAG.leaky_relu],
  scalar: BINS.map((_, i) => TAG.scalar + i), per_row: BINS.map((_, i) => TAG.per_row + i), per_col: BINS.map((_, i) => TAG.per_col + i),
  q_scale: [TAG.q_scale], rounding_shift_right: [TAG.rounding_shift_right], shift_left: [TAG.shift_left],
  add_unicast: [TAG.add_unicast], add_row_col_products: [TAG.add_row_col_products], store: [TAG.store], add_mat_mul: [TAG.add_mat_mul],
};

/** The kernel ABI tag of an op (SPEC section 2 table). */
export function opTag(op: Op): number {
  switch (op.op) {
    case 'scalar': return TAG.scalar + binIndex(op.bin);
    case 'per_row': return TAG.per_row + binIndex(op.bin);
    case 'per_col': return TAG.per_col + binIndex(op.bin);
    default: return TAG[op.op];
  }
}

/** Index of the first op the kernel does not declare, or -1. */
export function firstUnsupported(chain: Op[], kernel: KernelDesc): number {
  const ok = new Set(kernel.supported_ops);
  return chain.findIndex((op) => !ok.has(opTag(op)));
}

export interface StoreSlot { opIndex: number; buf: number; placement: Placement }

export interface Encoded {
  req: ExecRequest;
  /** one per store op, in chain order */
  stores: StoreSlot[];
  /** initial bytes of every buffer (all are returned by the executor) */
  initial: Uint8Array[];
  /** what each buffer is, for messages */
  names: string[];
  /** its extent in the kernel's terms ("nr = 8 i32"; '' when its byte length says it), for messages */
  extents: string[];
}

/** The guard side of a case (PROTOCOL.md "guarded allocation"): derived from the case alone, so
 *  a replay places every buffer the same way, and alternating between nearby cases, so both
 *  sides are tried. true: buffers start at a page start; false: they end at a page end. */
export const guardAtStart = (c: Case): boolean => (c.m + c.n + c.k + c.chain.length) % 2 === 1;

const imm = (v: number | bigint): Word => ({ kind: 'imm', value: BigInt(v) });
const ptr = (buf: number, offset = 0): Word => ({ kind: 'ptr', buf, offset });
/** An i32 payload word whose undefined high bytes (12..15 of the entry) carry garbage. */
/** Garbage for the payload words an op does not use (and the undefined high half of QScale's
 *  mult): a kernel must ignore them (SPEC generator biases). Derived from the op index and word
 *  position, never zero, so a fixture replays the same bytes without storing them. */
export const unusedWord = (opIndex: number, word: number): bigint =>
  BigInt.asUintN(64, (BigInt(opIndex * 4 + word + 1) * 0x9e3779b97f4a7c15n) ^ 0xa5a5_0000_5a5a_0000n) || 1n;

const i32Word = (v: number, garbage = 0): Word =>
  imm((BigInt(garbage >>> 0) << 32n) | BigInt(v >>> 0));

function i32Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setInt32(i * 4, v, true));
  return out;
}

function i8Bytes(rows: number[][], cols: number): Uint8Array {
  const out = new Uint8Array(rows.length * cols);
  rows.forEach((r, i) => r.forEach((v, j) => { out[i * cols + j] = v & 0xff; }));
  return out;
}

/** guardStart: the guard side, when not the case's own (a frame tile replayed alone keeps the
 *  side of its frame-level case). */
export function encodeCase(c: Case, kernel: KernelDesc, opts: { force?: boolean; guardStart?: boolean } = {}): Encoded {
  const tile = c.level === 'tile';
  if (tile && (c.m !== kernel.mr || c.n !== kernel.nr)) {
    throw new Error(`tile-level case is ${c.m}x${c.n} but ${kernel.name} has a ${kernel.mr}x${kernel.nr} tile`);
  }
  const buffers: WireBuffer[] = [];
  const names: string[] = [];
  const extents: string[] = [];
  const add = (data: Uint8Array, name: string, extent = ''): number => {
    buffers.push({ data, ret: true });
    names.push(name);
    extents.push(extent);
    return buffers.length - 1;
  };
  const guardStart = opts.guardStart ?? guardAtStart(c);
  // m / n values of a vector, as the kernel sees it at tile level (mr / nr)
  const rows = `${tile ? 'mr' : 'm'} = ${c.m} i32`, cols = `${tile ? 'nr' : 'n'} = ${c.n} i32`;
  const stores: StoreSlot[] = [];
  const ops: WireOp[] = [];
  // operand buffers shared by every add_mat_mul of the chain (same a, b; per packing at tile level)
  const matBufs = new Map<number, [number, number]>();
  const matmulBuffers = (packing: number): [number, number] => {
    const hit = matBufs.get(packing);
    if (hit) return hit;
    let pair: [number, number];
    if (tile) {
      const p = kernel.packings[packing];
      if (!p) throw new Error(`${kernel.name} has no packing ${packing}`);
      pair = [
        add(packOperand(p.a as PackFormatDesc, 'a', c.a, c.m, c.k), `packed A (packing ${packing})`),
        add(packOperand(p.b as PackFormatDesc, 'b', c.b, c.n, c.k), `packed B (packing ${packing})`),
      ];
    } else {
      pair = [add(i8Bytes(c.a, c.k), 'A (row-major m x k)'), add(i8Bytes(c.b, c.n), 'B (row-major k x n)')];
    }
    matBufs.set(packing, pair);
    return pair;
  };

  c.chain.forEach((op, idx) => {
    const tag = opTag(op);
    switch (op.op) {
      case 'clear':
        ops.push({ tag, words: [] });
        break;
      case 'load_tile': {
        const rowMajor = op.values.flat();
        const colMajor: number[] = [];
        for (let j = 0; j < c.n; j++) for (let i = 0; i < c.m; i++) colMajor.push(op.values[i][j]);
        const cm = add(i32Bytes(colMajor), `chain[${idx}] load_tile col_major`, `${c.m} x ${c.n} i32`);
        const rm = add(i32Bytes(rowMajor), `chain[${idx}] load_tile row_major`, `${c.m} x ${c.n} i32`);
        ops.push({ tag, words: [ptr(cm), ptr(rm)] });
        break;
      }
      case 'scalar':
        ops.push({ tag, words: [i32Word(op.value, op.garbage)] });
        break;
      case 'leaky_relu':
        ops.push({ tag, words: [i32Word(op.alpha, op.garbage)] });
        break;
      case 'per_row':
      case 'per_col':
        ops.push({ tag, words: [ptr(add(i32Bytes(op.values), `chain[${idx}] ${op.op} values`, op.op === 'per_row' ? rows : cols))] });
        break;
      case 'q_scale':
        ops.push({ tag, words: [imm(op.shift), imm(policyCode(op.policy)), i32Word(op.mult)] });
        break;
      case 'rounding_shift_right':
        ops.push({ tag, words: [imm(op.shift), imm(policyCode(op.policy))] });
        break;
      case 'shift_left':
        ops.push({ tag, words: [imm(op.shift)] });
        break;
      case 'add_row_col_products': {
        const r = add(i32Bytes(op.rows), `chain[${idx}] rows`, rows);
        const cl = add(i32Bytes(op.cols), `chain[${idx}] cols`, cols);
        ops.push({ tag, words: [ptr(r), ptr(cl)] });
        break;
      }
      case 'add_unicast': {
        // no margin on the guarded side: an element read wider than item_size reaches the guard
        const p = place(op.layout ?? 'row_major', c.m, c.n, op.item_size, guardStart ? [0, MARGIN] : [MARGIN, 0]);
        const data = new Uint8Array(p.length);
        sentinelFill(data, idx); // bytes between elements are garbage a kernel must not read
        for (let i = 0; i < c.m; i++) for (let j = 0; j < c.n; j++) writeItem(data, offsetOf(p, i, j), op.values[i][j], op.item_size);
        const b = add(data, `chain[${idx}] add_unicast operand (${op.layout ?? 'row_major'}, i${op.item_size * 8})`, `${c.m} x ${c.n} i${op.item_size * 8}`);
        ops.push({ tag, words: [ptr(b, p.base), imm(p.rowStride), imm(p.colStride), imm(op.item_size)] });
        break;
      }
      case 'store': {
        const p = place(op.layout ?? 'row_major', c.m, c.n, op.item_size);
        const data = new Uint8Array(p.length);
        sentinelFill(data, 1000 + idx);
        const b = add(data, `chain[${idx}] store output (${op.layout ?? 'row_major'}, ${op.item_size} bytes)`, `${c.m} x ${c.n} x ${op.item_size} bytes`);
        stores.push({ opIndex: idx, buf: b, placement: p });
        ops.push({ tag, words: [ptr(b, p.base), imm(p.rowStride), imm(p.colStride), imm(op.item_size)] });
        break;
      }
      case 'add_mat_mul': {
        const packing = op.packing ?? 0;
        const [a, b] = matmulBuffers(packing);
        ops.push({ tag, words: [imm(c.k), ptr(a), ptr(b), imm(packing)] });
        break;
      }
    }
  });

  // every payload word an op leaves unused carries garbage (QScale: also bytes 28..31)
  ops.forEach((o, idx) => {
    while (o.words.length < 4) o.words.push(imm(unusedWord(idx, o.words.length)));
    if (o.tag === TAG.q_scale) {
      const w = o.words[2] as { kind: 'imm'; value: bigint };
      w.value = (w.value & 0xffffffffn) | (unusedWord(idx, 2) & 0xffffffff00000000n);
    }
  });

  const req: ExecRequest = {
    type: tile ? 'tile' : 'frame',
    kernel: kernel.name,
    force: opts.force,
    guardStart,
    m: c.m,
    n: c.n,
    buffers,
    ops,
  };
  return { req, stores, initial: buffers.map((b) => b.data.slice()), names, extents };
}

/** Name and extent of the executor's scratch buffer `id` for an encoded case, in the executor's
 *  allocation order (PROTOCOL.md "Scratch ids"): the chain, then per frame-level op its border
 *  copies (only when the shape has border tiles) or its packed operands. */
export function scratchBuffer(c: Case, kernel: KernelDesc, enc: Encoded, id: number): { name: string; extent: string } {
  const ops = enc.req.ops;
  const list: { name: string; extent: string }[] = [{ name: 'the chain', extent: `${ops.length + (c.level === 'tile' ? 1 : 2)} entries of 40 bytes` }];
  if (c.level === 'frame') {
    const { mr, nr } = kernel;
    const border = c.m % mr !== 0 || c.n % nr !== 0;
    const of = (idx: number, w: number): string => {
      const word = ops[idx].words[w];
      return word.kind === 'ptr' ? enc.names[word.buf] : `chain[${idx}]`;
    };
    c.chain.forEach((op, idx) => {
      const copy = (w: number, extent: string, what = 'border copy'): void => { if (border) list.push({ name: `${what} of ${of(idx, w)}`, extent }); };
      switch (op.op) {
        case 'per_row': copy(0, `mr = ${mr} i32`); break;
        case 'per_col': copy(0, `nr = ${nr} i32`); break;
        case 'add_row_col_products': copy(0, `mr = ${mr} i32`); copy(1, `nr = ${nr} i32`); break;
        case 'add_unicast': case 'store': copy(0, `${mr} x ${nr} x ${op.item_size} bytes`, 'border tile'); break;
        case 'add_mat_mul': {
          const p = op.packing ?? 0;
          list.push({ name: `packed A (packing ${p}) of chain[${idx}]`, extent: `${Math.ceil(c.m / mr)} panel(s)` });
          list.push({ name: `packed B (packing ${p}) of chain[${idx}]`, extent: `${Math.ceil(c.n / nr)} panel(s)` });
          break;
        }
        default: break;
      }
    });
  }
  return list[id] ?? { name: `frame scratch buffer ${id}`, extent: 'unknown size' };
}
