// Case -> executor request (native/PROTOCOL.md). Tile level: the chain is handed to the kernel
// as FusedKerSpec entries over packed panels and tile-sized vectors. Frame level: the chain is
// given at matrix level and the C frame tiles it. Every buffer's initial bytes are kept, so the
// checker can tell a wrong value from a write outside the tile from a modified input.
import type { Case, Op, Policy } from '../oracle/types.js';
import { policyCode } from '../oracle/types.js';
import { declaresOp, entryTag, opSpec, opTag, type FrameHandling, type WordSpec } from '../oracle/opset.js';
import type { KernelDesc, PackFormatDesc } from '../native/descriptor.js';
import type { ExecRequest, WireBuffer, WireOp, Word } from '../native/wire.js';
import { frameKernel, packOperand } from './pack.js';
import { ENTRY_BYTES, frameScratch, type FrameScratch } from '../oracle/frame-model.js';
import { place, offsetOf, writeItem, sentinelFill, MARGIN, type Placement } from './layout.js';

/** Re-exported for the callers that meet tags through the encoder. */
export { OP_TAGS, opTag } from '../oracle/opset.js';

/** Index of the first op the kernel does not declare (a raw tag is never declared), or -1. */
export function firstUnsupported(chain: Op[], kernel: KernelDesc): number {
  const ok = new Set(kernel.supported_ops);
  return chain.findIndex((op) => !declaresOp(ok, op));
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
/** Garbage for the payload words an op does not use (and the undefined high half of QScale's
 *  mult): a kernel must ignore them (SPEC generator biases). Derived from the op index and word
 *  position, never zero, so a fixture replays the same bytes without storing them. */
export const unusedWord = (opIndex: number, word: number): bigint =>
  BigInt.asUintN(64, (BigInt(opIndex * 4 + word + 1) * 0x9e3779b97f4a7c15n) ^ 0xa5a5_0000_5a5a_0000n) || 1n;

/** An i32 payload word whose undefined high bytes (12..15 of the entry) carry garbage. */
const i32Word = (v: number, garbage = 0): Word =>
  imm((BigInt(garbage >>> 0) << 32n) | BigInt(v >>> 0));

export function i32Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setInt32(i * 4, values[i]!, true);
  return out;
}

/** An m x n i32 matrix's bytes in row-major or column-major order. */
function i32TileBytes(v: number[][], m: number, n: number, rowMajor: boolean): Uint8Array {
  const out = new Uint8Array(m * n * 4);
  const dv = new DataView(out.buffer);
  let o = 0;
  if (rowMajor) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++, o += 4) dv.setInt32(o, v[i]![j]!, true);
  else for (let j = 0; j < n; j++) for (let i = 0; i < m; i++, o += 4) dv.setInt32(o, v[i]![j]!, true);
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
  // a vector's length as the kernel sees it: mr / nr at tile level, m / n at frame level
  // (which one: how the frame pads it, per row or per column)
  const vectorDim = (h: FrameHandling, word: number): string => {
    const perRow = h === 'pad_row_vector' || (h === 'pad_row_col' && word === 0);
    return tile ? (perRow ? 'mr' : 'nr') : perRow ? 'm' : 'n';
  };
  const stores: StoreSlot[] = [];
  const ops: WireOp[] = [];
  const unusedHiWords = new Map<number, number[]>();
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
    const f = op as unknown as Record<string, unknown>;
    const handling = opSpec(op.op).frame;
    const words: Word[] = [];
    const unusedHi: number[] = [];
    const word = (w: WordSpec): void => {
      switch (w.w) {
        case 'i32':
          if (w.hi === 'unused') unusedHi.push(words.length);
          words.push(i32Word(f[w.field] as number, w.hi === 'garbage' ? f.garbage as number | undefined : undefined));
          break;
        case 'imm': words.push(imm((f[w.field] as number | undefined) ?? 0)); break;
        case 'policy': words.push(imm(policyCode(f[w.field] as Policy))); break;
        case 'i32_vec': {
          const v = f[w.field] as number[];
          words.push(ptr(add(i32Bytes(v), `chain[${idx}] ${w.name}`, `${vectorDim(handling, words.length)} = ${v.length} i32`)));
          break;
        }
        case 'i32_tile': {
          const v = f[w.field] as number[][];
          words.push(ptr(add(i32TileBytes(v, c.m, c.n, w.order === 'row_major'), `chain[${idx}] ${op.op} ${w.order}`, `${c.m} x ${c.n} i32`)));
          break;
        }
        case 'strided': {
          const item = f.item_size as 1 | 2 | 4;
          const layout = (f.layout as string | undefined) ?? 'row_major';
          // an operand has no margin on the guarded side: an element read wider than item_size
          // reaches the guard
          const margins: [number, number] | undefined = w.role === 'operand' ? (guardStart ? [0, MARGIN] : [MARGIN, 0]) : undefined;
          const p = place(layout as Parameters<typeof place>[0], c.m, c.n, item, margins);
          const data = new Uint8Array(p.length);
          let b: number;
          if (w.role === 'operand') {
            sentinelFill(data, idx); // bytes between elements are garbage a kernel must not read
            const v = f.values as number[][];
            for (let i = 0; i < c.m; i++) for (let j = 0; j < c.n; j++) writeItem(data, offsetOf(p, i, j), v[i][j], item);
            b = add(data, `chain[${idx}] ${op.op} operand (${layout}, i${item * 8})`, `${c.m} x ${c.n} i${item * 8}`);
          } else {
            sentinelFill(data, 1000 + idx);
            b = add(data, `chain[${idx}] ${op.op} output (${layout}, ${item} bytes)`, `${c.m} x ${c.n} x ${item} bytes`);
            stores.push({ opIndex: idx, buf: b, placement: p });
          }
          words.push(ptr(b, p.base), imm(p.rowStride), imm(p.colStride), imm(item));
          break;
        }
        case 'matmul': {
          // the case names a position in the kernel's packings; the kernel sees its own index
          const packing = (f.packing as number | undefined) ?? 0;
          const [a, b] = matmulBuffers(packing);
          const id = kernel.packing_ids[packing];
          if (id === undefined) throw new Error(`${kernel.name} has no packing ${packing}`);
          words.push(imm(c.k), ptr(a), ptr(b), imm(id));
          break;
        }
      }
    };
    opSpec(op.op).words.forEach(word);
    ops.push({ tag: entryTag(op), words });
    unusedHiWords.set(idx, unusedHi);
  });

  // every payload word an op leaves unused carries garbage, and so does the undefined high half
  // of an i32 word without a garbage field (QScale's bytes 28..31)
  ops.forEach((o, idx) => {
    while (o.words.length < 4) o.words.push(imm(unusedWord(idx, o.words.length)));
    for (const wi of unusedHiWords.get(idx) ?? []) {
      const w = o.words[wi] as { kind: 'imm'; value: bigint };
      w.value = (w.value & 0xffffffffn) | (unusedWord(idx, wi) & 0xffffffff00000000n);
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
 *  allocation order (PROTOCOL.md "Scratch ids"): at tile level the chain alone, at frame level
 *  the scratch the frame model allocates (oracle/frame-model.ts frameScratch). */
export function scratchBuffer(c: Case, kernel: KernelDesc, enc: Encoded, id: number): { name: string; extent: string } {
  const ops = enc.req.ops;
  const sc: FrameScratch[] = c.level === 'frame'
    ? frameScratch({ m: c.m, n: c.n, ops }, frameKernel(kernel))
    : [{ id: 0, op: -1, role: 'chain', bytes: (ops.length + 1) * ENTRY_BYTES }];
  const s = sc[id];
  if (!s) return { name: `frame scratch buffer ${id}`, extent: 'unknown size' };
  const { mr, nr } = kernel;
  // the request buffer word w of op s.op points into
  const of = (w: number): string => {
    const word = ops[s.op].words[w];
    return word?.kind === 'ptr' ? enc.names[word.buf] : `chain[${s.op}]`;
  };
  const packing = (): bigint => { const w = ops[s.op].words[3]; return w?.kind === 'imm' ? w.value : 0n; };
  switch (s.role) {
    case 'chain': return { name: 'the chain', extent: `${s.bytes / ENTRY_BYTES} entries of ${ENTRY_BYTES} bytes` };
    case 'vector': return { name: `border copy of ${of(0)}`, extent: opSpec(c.chain[s.op].op).frame === 'pad_row_vector' ? `mr = ${mr} i32` : `nr = ${nr} i32` };
    case 'rows': return { name: `border copy of ${of(0)}`, extent: `mr = ${mr} i32` };
    case 'cols': return { name: `border copy of ${of(1)}`, extent: `nr = ${nr} i32` };
    case 'tile': return { name: `border tile of ${of(0)}`, extent: `${mr} x ${nr} x ${s.bytes / (mr * nr)} bytes` };
    case 'packed_a': return { name: `packed A (packing ${packing()}) of chain[${s.op}]`, extent: `${Math.ceil(c.m / mr)} panel(s)` };
    case 'packed_b': return { name: `packed B (packing ${packing()}) of chain[${s.op}]`, extent: `${Math.ceil(c.n / nr)} panel(s)` };
  }
}
