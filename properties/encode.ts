// Case -> executor request (native/PROTOCOL.md). Tile level: the chain is handed to the kernel
// as FusedKerSpec entries over packed panels and tile-sized vectors. Frame level: the chain is
// given at matrix level and the C frame tiles it. Every buffer's initial bytes are kept, so the
// checker can tell a wrong value from a write outside the tile from a modified input.
import type { Case, Op, Policy } from '../oracle/types.js';
import { policyCode } from '../oracle/types.js';
import { declaresOp, entryTag, opSpec, type WordSpec } from '../oracle/opset.js';
import type { KernelDesc, PackFormatDesc } from '../native/descriptor.js';
import type { ExecRequest, WireBuffer, WireOp, Word } from '../native/wire.js';
import { packOperand } from './pack.js';
import { place, offsetOf, writeItem, sentinelFill, type Placement } from './layout.js';

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
}

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
  values.forEach((v, i) => dv.setInt32(i * 4, v, true));
  return out;
}

function i8Bytes(rows: number[][], cols: number): Uint8Array {
  const out = new Uint8Array(rows.length * cols);
  rows.forEach((r, i) => r.forEach((v, j) => { out[i * cols + j] = v & 0xff; }));
  return out;
}

export function encodeCase(c: Case, kernel: KernelDesc, opts: { force?: boolean } = {}): Encoded {
  const tile = c.level === 'tile';
  if (tile && (c.m !== kernel.mr || c.n !== kernel.nr)) {
    throw new Error(`tile-level case is ${c.m}x${c.n} but ${kernel.name} has a ${kernel.mr}x${kernel.nr} tile`);
  }
  const buffers: WireBuffer[] = [];
  const names: string[] = [];
  const add = (data: Uint8Array, name: string): number => {
    buffers.push({ data, ret: true });
    names.push(name);
    return buffers.length - 1;
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
        case 'i32_vec': words.push(ptr(add(i32Bytes(f[w.field] as number[]), `chain[${idx}] ${w.name}`))); break;
        case 'i32_tile': {
          const v = f[w.field] as number[][];
          const flat: number[] = [];
          if (w.order === 'row_major') flat.push(...v.flat());
          else for (let j = 0; j < c.n; j++) for (let i = 0; i < c.m; i++) flat.push(v[i][j]);
          words.push(ptr(add(i32Bytes(flat), `chain[${idx}] ${op.op} ${w.order}`)));
          break;
        }
        case 'strided': {
          const item = f.item_size as 1 | 2 | 4;
          const layout = (f.layout as string | undefined) ?? 'row_major';
          const p = place(layout as Parameters<typeof place>[0], c.m, c.n, item);
          const data = new Uint8Array(p.length);
          let b: number;
          if (w.role === 'operand') {
            sentinelFill(data, idx); // bytes between elements are garbage a kernel must not read
            const v = f.values as number[][];
            for (let i = 0; i < c.m; i++) for (let j = 0; j < c.n; j++) writeItem(data, offsetOf(p, i, j), v[i][j], item);
            b = add(data, `chain[${idx}] ${op.op} operand (${layout}, i${item * 8})`);
          } else {
            sentinelFill(data, 1000 + idx);
            b = add(data, `chain[${idx}] ${op.op} output (${layout}, ${item} bytes)`);
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
    m: c.m,
    n: c.n,
    buffers,
    ops,
  };
  return { req, stores, initial: buffers.map((b) => b.data.slice()), names };
}
