// One tile of a frame-level case as a tile-level request with the frame's own memory: the
// frame request's buffers exactly as encodeCase lays them out (the caller's whole operands and
// outputs), plus the scratch the frame allocates (packed operands, border copies), and the
// chain the frame model (oracle/frame-model.ts) says the C frame hands the kernel on that tile:
// on a full tile the caller's pointers and strides, on a border tile the scratch. Replaying it
// shows the kernel the addresses and strides it saw inside the frame.
import type { Case } from '../oracle/types.js';
import { tileChain } from '../oracle/eval.js';
import { frameScratch, frameTile, tileEntries, type FrameScratch, type FrameTile } from '../oracle/frame-model.js';
import type { KernelDesc } from '../native/descriptor.js';
import type { WireBuffer, WireOp, Word } from '../native/wire.js';
import { encodeCase, i32Bytes, scratchBuffer, type Encoded, type StoreSlot } from './encode.js';
import { packOperand, frameKernel } from './pack.js';
import { writeItem } from './layout.js';

export interface FrameTileEncoding {
  /** the tile-level request (buffers: the frame request's, then the scratch the chain uses) */
  enc: Encoded;
  /** the same tile as a tile-level case (its values: oracle/eval.ts tileChain) */
  tileCase: Case;
  tile: FrameTile;
}

export function encodeFrameTile(c: Case, k: KernelDesc, ia: number, ib: number): FrameTileEncoding {
  if (c.level !== 'frame') throw new RangeError('encodeFrameTile: the case must be frame level');
  const frame = encodeCase(c, k, { force: false });
  const fk = frameKernel(k);
  const req = { m: c.m, n: c.n, ops: frame.req.ops };
  const sc = frameScratch(req, fk);
  const tile = frameTile(c.m, c.n, k.mr, k.nr, ia, ib);
  const entries = tileEntries(req, fk, tile, sc);
  const { tile: tileCase } = tileChain(c, k.mr, k.nr, ia, ib);

  const buffers: WireBuffer[] = frame.req.buffers.map((b) => ({ data: b.data.slice(), ret: true }));
  const names = [...frame.names];
  const extents = [...frame.extents];
  const bufOf = new Map<number, number>(); // scratch id -> buffer index
  // what the frame has put into a scratch buffer when the kernel is called on this tile
  const contents = (s: FrameScratch): Uint8Array => {
    const op = c.chain[s.op];
    const seen = tileCase.chain[s.op + 1]; // the tile chain: Clear, then one entry per frame op
    switch (s.role) {
      case 'packed_a': case 'packed_b': {
        const p = k.packings[op.op === 'add_mat_mul' ? op.packing ?? 0 : 0];
        return s.role === 'packed_a' ? packOperand(p.a, 'a', c.a, c.m, c.k) : packOperand(p.b, 'b', c.b, c.n, c.k);
      }
      case 'vector': return i32Bytes((seen as { values: number[] }).values);
      case 'rows': return i32Bytes((seen as { rows: number[] }).rows);
      case 'cols': return i32Bytes((seen as { cols: number[] }).cols);
      case 'tile': {
        const out = new Uint8Array(s.bytes); // zeroed, Store's included
        if (seen.op === 'add_unicast') seen.values.forEach((row, i) => row.forEach((v, j) => writeItem(out, (i * k.nr + j) * seen.item_size, v, seen.item_size)));
        return out;
      }
      case 'chain': throw new RangeError('the chain is no operand');
    }
  };
  const word = (w: ReturnType<typeof tileEntries>[number]['words'][number]): Word => {
    if (w.kind === 'imm' || w.kind === 'ptr') return w;
    if (w.kind === 'addr') throw new RangeError('frame model: an address outside every buffer');
    let b = bufOf.get(w.id);
    if (b === undefined) {
      const s = sc[w.id];
      b = buffers.push({ data: contents(s), ret: true }) - 1;
      const what = scratchBuffer(c, k, frame, w.id);
      names.push(what.name); // as the gate names it (a fault message reads the same in both)
      extents.push(what.extent);
      bufOf.set(w.id, b);
    }
    return { kind: 'ptr', buf: b, offset: w.offset };
  };
  const ops: WireOp[] = entries.map((e) => ({ tag: e.tag, words: e.words.map(word) }));

  // each Store writes where the frame points it: the caller's matrix at the tile (full tile),
  // or its row-major scratch tile (border)
  const stores: StoreSlot[] = [];
  frame.stores.forEach((s) => {
    const w = ops[s.opIndex + 1].words;
    const at = w[0] as { kind: 'ptr'; buf: number; offset: number };
    const stride = (x: Word): number => Number(BigInt.asIntN(64, (x as { value: bigint }).value));
    stores.push({
      opIndex: s.opIndex + 1, buf: at.buf,
      placement: { base: at.offset, rowStride: stride(w[1]), colStride: stride(w[2]), itemSize: s.placement.itemSize, length: buffers[at.buf].data.length },
    });
  });
  const enc: Encoded = {
    // the guard side of the frame request, so an access outside a buffer faults as in the frame
    req: { type: 'tile', kernel: k.name, guardStart: frame.req.guardStart, m: k.mr, n: k.nr, buffers, ops },
    stores, initial: buffers.map((b) => b.data.slice()), names, extents,
  };
  return { enc, tileCase, tile };
}
