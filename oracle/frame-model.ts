// The frame model: what the C frame (native/frame/frame.c, docs/frame.md) hands the kernel on
// every tile, down to the addresses. One model serves three readers:
//  * the oracle's tile decomposition (eval.ts tileChain / evalTiled walks these tiles and takes
//    each op's values the way the frame routes them);
//  * the property that compares it with the executor's own trace of the chains it built
//    (FRAME flag TRACE, native/PROTOCOL.md), word for word;
//  * the repro writer, which lays out the frame's real buffers and replays one tile's chain.
// Addresses are words of the wire vocabulary (native/wire.ts): a PTR into a request buffer,
// or a scratch word into the scratch the frame allocates (ids in allocation order).
import type { ChainWord, WireOp } from '../native/wire.js';
import { TAGS, opSpec, type FrameHandling } from './opset.js';
import { packedLen, panelLen, type PackedLayout } from './packing.js';

/** One kernel tile of an m x n frame: its origin, its valid h x w part, full or border. */
export interface FrameTile { ti: number; tj: number; row0: number; col0: number; h: number; w: number; full: boolean }

export function frameTile(m: number, n: number, mr: number, nr: number, ti: number, tj: number): FrameTile {
  const row0 = ti * mr;
  const col0 = tj * nr;
  const h = Math.min(mr, m - row0);
  const w = Math.min(nr, n - col0);
  return { ti, tj, row0, col0, h, w, full: h === mr && w === nr };
}

/** Every tile, in the frame's walk order (tile row ti, then tile column tj). */
export function frameTiles(m: number, n: number, mr: number, nr: number): FrameTile[] {
  const out: FrameTile[] = [];
  for (let ti = 0; ti * mr < m; ti++) for (let tj = 0; tj * nr < n; tj++) out.push(frameTile(m, n, mr, nr, ti, tj));
  return out;
}

/** Does the frame hand this op's operand through scratch on this tile? Border tiles only: on a
 *  full tile every vector and matrix operand is the caller's pointer (with the caller's strides). */
export const viaScratch = (handling: FrameHandling, t: FrameTile): boolean =>
  !t.full && ['pad_row_vector', 'pad_col_vector', 'pad_row_col', 'scratch_tile', 'store_scratch'].includes(handling);

/** A tile chain entry as the kernel receives it. */
export interface TileEntry { tag: number; words: ChainWord[] }

/** What the frame model needs of a kernel. */
export interface FrameKernel { mr: number; nr: number; packings: readonly { a: PackedLayout; b: PackedLayout }[] }

/** One scratch allocation of the frame, by id. `op`: the request op it serves (-1: the chain). */
export interface FrameScratch { id: number; op: number; role: 'chain' | 'vector' | 'rows' | 'cols' | 'tile' | 'packed_a' | 'packed_b'; bytes: number }

/** The matrix-level request the frame runs (the FRAME body's shape and ops). */
export interface FrameRequest { m: number; n: number; ops: readonly WireOp[] }

/** Size of one bx_fused_ker_spec: the tag word and four payload words. */
export const ENTRY_BYTES = 40;

const handlingOf = (tag: number): FrameHandling => {
  const t = TAGS[tag];
  if (!t || t.op === 'done') throw new RangeError(`frame model: tag ${tag} is not a frame op`);
  return opSpec(t.op).frame;
};

const immOf = (op: WireOp, w: number): bigint => {
  const x = op.words[w] ?? { kind: 'imm', value: 0n };
  if (x.kind !== 'imm') throw new RangeError(`frame model: word ${w} of tag ${op.tag} must be IMM`);
  return x.value;
};

const ptrOf = (op: WireOp, w: number): { buf: number; offset: number } => {
  const x = op.words[w];
  if (x?.kind !== 'ptr') throw new RangeError(`frame model: word ${w} of tag ${op.tag} must be PTR`);
  return x;
};

const packingOf = (k: FrameKernel, op: WireOp): { a: PackedLayout; b: PackedLayout } => {
  const p = k.packings[Number(immOf(op, 3))];
  if (!p) throw new RangeError(`frame model: no packing ${immOf(op, 3)}`);
  return p;
};

/** The scratch the frame allocates, in id order: the chain first, then per op (request order)
 *  its border scratch (only when the shape has border tiles) or its packed operands. */
export function frameScratch(req: FrameRequest, k: FrameKernel): FrameScratch[] {
  const border = req.m % k.mr !== 0 || req.n % k.nr !== 0;
  const out: FrameScratch[] = [{ id: 0, op: -1, role: 'chain', bytes: (req.ops.length + 2) * ENTRY_BYTES }];
  const add = (op: number, role: FrameScratch['role'], bytes: number): void => { out.push({ id: out.length, op, role, bytes }); };
  req.ops.forEach((op, i) => {
    switch (handlingOf(Number(op.tag))) {
      case 'pad_row_vector': if (border) add(i, 'vector', k.mr * 4); break;
      case 'pad_col_vector': if (border) add(i, 'vector', k.nr * 4); break;
      case 'pad_row_col': if (border) { add(i, 'rows', k.mr * 4); add(i, 'cols', k.nr * 4); } break;
      case 'scratch_tile': case 'store_scratch': if (border) add(i, 'tile', k.mr * k.nr * Number(immOf(op, 3))); break;
      case 'pack_panels': {
        const p = packingOf(k, op);
        const depth = Number(immOf(op, 0));
        add(i, 'packed_a', packedLen(p.a, req.m, depth));
        add(i, 'packed_b', packedLen(p.b, req.n, depth));
        break;
      }
      default: break;
    }
  });
  return out;
}

const imm = (value: bigint): ChainWord => ({ kind: 'imm', value: BigInt.asUintN(64, value) });
const at = (p: { buf: number; offset: number }, delta: number): ChainWord => ({ kind: 'ptr', buf: p.buf, offset: p.offset + delta });
const scratch = (id: number, offset = 0): ChainWord => ({ kind: 'scratch', id, offset });

/** The chain the frame hands the kernel on tile t: Clear, then one entry per request op (Done
 *  is not listed). IMM words are 64-bit unsigned. */
export function tileEntries(req: FrameRequest, k: FrameKernel, t: FrameTile, sc: readonly FrameScratch[] = frameScratch(req, k)): TileEntry[] {
  const idOf = (op: number, role: FrameScratch['role']): number => {
    const s = sc.find((x) => x.op === op && x.role === role);
    if (!s) throw new RangeError(`frame model: op ${op} has no ${role} scratch`);
    return s.id;
  };
  const entries: TileEntry[] = [{ tag: TAGS.findIndex((x) => x.op === 'clear'), words: [0n, 0n, 0n, 0n].map(imm) }];
  req.ops.forEach((op, i) => {
    // words the frame does not interpret reach the kernel verbatim
    const words: ChainWord[] = [0, 1, 2, 3].map((w) => { const x = op.words[w]; return x?.kind === 'ptr' ? imm(BigInt(x.offset)) : imm(x?.value ?? 0n); });
    const h = handlingOf(Number(op.tag));
    const border = viaScratch(h, t);
    switch (h) {
      case 'pad_row_vector': words[0] = border ? scratch(idOf(i, 'vector')) : at(ptrOf(op, 0), t.row0 * 4); break;
      case 'pad_col_vector': words[0] = border ? scratch(idOf(i, 'vector')) : at(ptrOf(op, 0), t.col0 * 4); break;
      case 'pad_row_col':
        words[0] = border ? scratch(idOf(i, 'rows')) : at(ptrOf(op, 0), t.row0 * 4);
        words[1] = border ? scratch(idOf(i, 'cols')) : at(ptrOf(op, 1), t.col0 * 4);
        break;
      case 'scratch_tile': case 'store_scratch': {
        const rs = immOf(op, 1), cs = immOf(op, 2), item = immOf(op, 3);
        if (border) {
          words.splice(0, 4, scratch(idOf(i, 'tile')), imm(BigInt(k.nr) * item), imm(item), imm(item));
        } else {
          const s = BigInt.asIntN(64, rs) * BigInt(t.row0) + BigInt.asIntN(64, cs) * BigInt(t.col0);
          words.splice(0, 4, at(ptrOf(op, 0), Number(s)), imm(rs), imm(cs), imm(item));
        }
        break;
      }
      case 'pack_panels': {
        const p = packingOf(k, op);
        const depth = Number(immOf(op, 0));
        words[1] = scratch(idOf(i, 'packed_a'), t.ti * panelLen(p.a, depth));
        words[2] = scratch(idOf(i, 'packed_b'), t.tj * panelLen(p.b, depth));
        break;
      }
      default: break;
    }
    entries.push({ tag: Number(op.tag), words }); // frame requests carry no raw tag (tile level only)
  });
  return entries;
}
