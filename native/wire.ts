// The wire codec of the executor protocol (native/PROTOCOL.md): requests encoded, responses
// decoded, in the byte layout the C side (native/core/wire.c) reads and writes. No I/O here:
// a transport (native/process.ts, or the addon in-process) carries the bytes.
import { parseKernelDescs, type KernelDesc } from './descriptor.js';

export type Word = { kind: 'imm'; value: bigint } | { kind: 'ptr'; buf: number; offset: number };
/** A word as a kernel chain holds it, with every address named: a request buffer (ptr) or the
 *  executor's scratch id; 'addr' is an address inside neither (never seen from a correct frame). */
export type ChainWord = Word | { kind: 'scratch'; id: number; offset: number } | { kind: 'addr'; value: bigint };
/** FRAME with trace: one tile's chain as the frame handed it to the kernel (Done not listed). */
export interface TraceTile { ti: number; tj: number; chain: { tag: number; words: ChainWord[] }[] }
/** A chain entry: its u64 tag and up to 4 payload words (missing words are IMM 0). */
export interface WireOp { tag: number | bigint; words: Word[] }
/** ret: send the buffer's contents back after the call. */
export interface WireBuffer { data: Uint8Array; ret: boolean }
export interface ExecRequest {
  type: 'tile' | 'frame';
  kernel: string;
  /** run even if the kernel's is_supported_here() says no */
  force?: boolean;
  /** place every buffer at the start of its pages instead of at their end (the side an
   *  access outside it faults on; PROTOCOL.md "guarded allocation") */
  guardStart?: boolean;
  /** FRAME: return, per tile the kernel was called on, the chain it was handed (ExecResult.trace) */
  trace?: boolean;
  /** FRAME: matrix shape (required). TILE: ignored. */
  m?: number;
  n?: number;
  buffers: WireBuffer[];
  ops: WireOp[];
  /** TILE: the contents of every buffer (same lengths) for an earlier call at the same buffer
   *  and chain addresses; the response is the second call's, on `buffers` (PROTOCOL.md PRIOR) */
  prior?: Uint8Array[];
  /** TILE with prior: that earlier call runs at other buffer and chain addresses (copies the
   *  executor allocates, bit-flipped after it), not at the same ones (PROTOCOL.md MOVED) */
  moved?: boolean;
}
/** buf: request buffer index, or (scratch) the executor's scratch id (PROTOCOL.md). */
export interface CanaryViolation { buf: number; scratch: boolean; offset: number; expected: number; got: number }
/** A kernel access inside the no-access zone of a buffer (the call was stopped there). */
export interface GuardFault {
  buf: number;
  scratch: boolean;
  /** of the faulting byte from the data start: < 0 before it, >= its length past it */
  offset: number;
  /** the buffer's length */
  len: number;
  access: 'read' | 'write' | 'access';
  /** FRAME: the tile being computed (tile row, tile column); TILE: undefined */
  tile?: [number, number];
}
export interface ExecResult {
  /** 0 Done, 1 refused (FRAME: also when refused before running) */
  rc: number;
  /** FRAME: index of the op the kernel does not declare, else -1 */
  refusedOp: number;
  violations: CanaryViolation[];
  /** one per request buffer: contents after the call, empty unless ret */
  buffers: Uint8Array[];
  /** the first kernel call that broke the calling convention (docs/abi.md), if one did */
  abi: AbiBreak | null;
  /** the access inside a guard that ended the kernel call, if one did */
  fault?: GuardFault;
  /** FRAME with trace: the tiles in walk order, up to the one the walk stopped at */
  trace?: TraceTile[];
  /** TILE with prior: the buffers after the earlier call (empty unless ret), as `buffers` */
  priorBuffers?: Uint8Array[];
  /** what the executor printed (stdout, stderr) during the call, if anything: set by the
   *  process transport (native/process.ts), not part of the response bytes */
  output?: { text: string; bytes: number };
}
/** call: TILE 0, FRAME the tile index in walk order. Each item: a register name, or mxcsr /
 * x87cw / df (x86-64), fpcr / svcr.sm / svcr.za (aarch64); flags expect 0 and got 1. */
export interface AbiBreak { call: number; items: AbiItem[] }
export interface AbiItem { what: string; expected: bigint; got: bigint }

/** The executor answered ERROR (malformed request, unknown kernel, dlopen failure, ...). */
export class ExecError extends Error {
  override name = 'ExecError';
}

// ---- wire constants (PROTOCOL.md) --------------------------------------------------------

export const REQ = { LIST: 1, TILE: 2, FRAME: 3, PACK: 4, LOAD_LIB: 5, PING: 6 } as const;
const STATUS_OK = 0;
const STATUS_ERROR = 1;
const FLAG_FORCE = 1;
const FLAG_GUARD_START = 2;
const FLAG_TRACE = 4;
const ACCESS = ['read', 'write', 'access'] as const;
/** op tags are u64 on the wire (set only when a tag needs it, so other requests stay as they were) */
const FLAG_TAG64 = 8;
const FLAG_PRIOR = 16;
const FLAG_MOVED = 32;
const BUF_RETURN = 1;
const SCRATCH_FLAG = 0x8000_0000;

// ---- encoding ----------------------------------------------------------------------------

const MIN_I64 = -(1n << 63n);
const LIMIT_U64 = 1n << 64n;
const LIMIT_U32 = 1n << 32n;

/** A little-endian byte writer. Names of fields are functions, built only for an error (a
 *  request has hundreds of fields; their names are for the message of a bad one). */
class Writer {
  private buf: Uint8Array;
  private view: DataView;
  len = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }
  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number, what: string | (() => string)): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`${typeof what === 'string' ? what : what()}: ${v} is not a u32`);
    this.reserve(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
    return this;
  }
  /** Any value in [-2^63, 2^64): written as its low 64 bits (two's complement). */
  u64(v: bigint, what: string | (() => string)): this {
    if (v < MIN_I64 || v >= LIMIT_U64) throw new RangeError(`${typeof what === 'string' ? what : what()}: ${v} does not fit in 64 bits`);
    this.reserve(8);
    this.view.setBigUint64(this.len, BigInt.asUintN(64, v), true);
    this.len += 8;
    return this;
  }
  /** A safe non-negative integer as a u64 (no bigint on the way). */
  u64n(v: number, what: () => string): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what()}: ${v} is not an integer in [0, 2^53)`);
    this.reserve(8);
    this.view.setUint32(this.len, v % 0x1_0000_0000, true);
    this.view.setUint32(this.len + 4, Math.floor(v / 0x1_0000_0000), true);
    this.len += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.u32(b.length, 'string length').bytes(b);
  }
  done(): Uint8Array {
    return this.len === this.buf.length ? this.buf : this.buf.slice(0, this.len);
  }
}

const IMM0: Word = { kind: 'imm', value: 0n };

function encodeWord(w: Writer, word: Word, i: number, k: number): void {
  if (word.kind === 'imm') {
    if (typeof word.value !== 'bigint') throw new TypeError(`op ${i} word ${k}: IMM value must be a bigint`);
    w.u32(0, '').u32(0, '').u64(word.value, () => `op ${i} word ${k}`);
  } else if (word.kind === 'ptr') {
    w.u32(1, '').u32(word.buf, () => `op ${i} word ${k} buf`);
    if (!Number.isSafeInteger(word.offset)) throw new RangeError(`op ${i} word ${k}: offset ${word.offset} is not an integer`);
    if (word.offset >= 0) w.u64n(word.offset, () => `op ${i} word ${k} offset`);
    else w.u64(BigInt(word.offset), () => `op ${i} word ${k} offset`);
  } else {
    throw new TypeError(`op ${i} word ${k}: unknown word kind ${(word as { kind: unknown }).kind}`);
  }
}

/** TILE / FRAME request (PROTOCOL.md "TILE and FRAME body"). */
export function encodeRequest(req: ExecRequest): Uint8Array {
  if (req.type !== 'tile' && req.type !== 'frame') throw new TypeError(`unknown request type ${String(req.type)}`);
  let tag64 = false;
  for (let i = 0; i < req.ops.length; i++) {
    const t = req.ops[i]!.tag;
    if (typeof t === 'number' ? !(Number.isInteger(t) && t >= 0 && t <= 0xffff_ffff) : true) {
      const b = BigInt(t);
      if (b < 0n || b >= LIMIT_U64) throw new RangeError(`op ${i} tag: ${b} is not a u64`);
      if (b >= LIMIT_U32) tag64 = true;
    }
  }
  // the exact size, so the bytes are written once
  let size = 4 + 4 + Buffer.byteLength(req.kernel, 'utf8') + 4 + 8 + 4 + 4 + req.ops.length * ((tag64 ? 8 : 4) + 64);
  for (const b of req.buffers) size += 8 + b.data.length;
  if (req.prior) for (const d of req.prior) size += 4 + d.length;
  const w = new Writer(size);
  w.u32(req.type === 'tile' ? REQ.TILE : REQ.FRAME, 'type');
  w.str(req.kernel);
  if (req.trace && req.type !== 'frame') throw new TypeError('trace is a FRAME flag');
  w.u32((req.force ? FLAG_FORCE : 0) | (req.guardStart ? FLAG_GUARD_START : 0) | (req.trace ? FLAG_TRACE : 0) | (tag64 ? FLAG_TAG64 : 0) | (req.prior ? FLAG_PRIOR : 0) | (req.moved ? FLAG_MOVED : 0), 'flags');
  if (req.moved && !req.prior) throw new TypeError('moved needs prior');
  if (req.type === 'frame' && (req.m === undefined || req.n === undefined)) throw new TypeError('frame request needs m and n');
  w.u32(req.m ?? 0, 'm').u32(req.n ?? 0, 'n');
  w.u32(req.buffers.length, 'nbuf');
  for (const b of req.buffers) w.u32(b.ret ? BUF_RETURN : 0, 'buffer flags').u32(b.data.length, 'buffer length').bytes(b.data);
  w.u32(req.ops.length, 'nops');
  for (let i = 0; i < req.ops.length; i++) {
    const op = req.ops[i]!;
    if (op.words.length > 4) throw new RangeError(`op ${i}: ${op.words.length} words (at most 4)`);
    if (tag64) w.u64(BigInt(op.tag), () => `op ${i} tag`);
    else w.u32(Number(op.tag), () => `op ${i} tag`);
    for (let k = 0; k < 4; k++) encodeWord(w, op.words[k] ?? IMM0, i, k);
  }
  if (req.prior) {
    if (req.type !== 'tile') throw new TypeError('prior is a TILE option');
    if (req.prior.length !== req.buffers.length) throw new RangeError(`prior: ${req.prior.length} buffers, the request has ${req.buffers.length}`);
    req.prior.forEach((d, i) => {
      if (d.length !== req.buffers[i].data.length) throw new RangeError(`prior buffer ${i}: ${d.length} bytes, buffer ${i} has ${req.buffers[i].data.length}`);
      w.u32(d.length, `prior buffer ${i} length`).bytes(d);
    });
  }
  return w.done();
}

export function encodeList(): Uint8Array {
  return new Writer().u32(REQ.LIST, 'type').done();
}
export function encodePing(): Uint8Array {
  return new Writer().u32(REQ.PING, 'type').done();
}
export function encodeLoadLib(libPath: string): Uint8Array {
  return new Writer().u32(REQ.LOAD_LIB, 'type').str(libPath).done();
}
export function encodePack(kernel: string, packing: number, side: 'a' | 'b', mn: number, k: number, data: Int8Array | Uint8Array): Uint8Array {
  return new Writer()
    .u32(REQ.PACK, 'type')
    .str(kernel)
    .u32(packing, 'packing')
    .u32(side === 'a' ? 0 : 1, 'side')
    .u32(mn, 'mn')
    .u32(k, 'k')
    .u32(data.length, 'data length')
    .bytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    .done();
}

// ---- decoding ----------------------------------------------------------------------------

class Reader {
  private view: DataView;
  pos = 0;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number, what: string): void {
    if (this.buf.length - this.pos < n) throw new Error(`malformed executor response: truncated at ${what} (offset ${this.pos})`);
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  bytes(what: string): Uint8Array {
    const n = this.u32(what);
    this.need(n, what);
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  str(what: string): string {
    return Buffer.from(this.bytes(what)).toString('utf8');
  }
  end(): void {
    if (this.pos !== this.buf.length) throw new Error(`malformed executor response: ${this.buf.length - this.pos} trailing bytes`);
  }
}

/** Reads the status word; throws ExecError with the executor's message on ERROR. */
function okReader(buf: Uint8Array): Reader {
  const r = new Reader(buf);
  const status = r.u32('status');
  if (status === STATUS_ERROR) throw new ExecError(r.str('error message'));
  if (status !== STATUS_OK) throw new Error(`malformed executor response: status ${status}`);
  return r;
}

/** TILE / FRAME response. */
export function decodeResult(buf: Uint8Array, traced = false, prior = false): ExecResult {
  const r = okReader(buf);
  const rc = Number(r.i64('kernel_rc'));
  const refusedOp = r.i32('refused_op');
  const nviol = r.u32('nviol');
  const violations: CanaryViolation[] = [];
  for (let i = 0; i < nviol; i++) {
    const id = r.u32('violation buf');
    const offset = Number(r.i64('violation offset'));
    const expected = r.u8('violation expected');
    const got = r.u8('violation got');
    const scratch = (id & SCRATCH_FLAG) !== 0;
    violations.push({ buf: scratch ? id & ~SCRATCH_FLAG : id, scratch, offset, expected, got });
  }
  const nbuf = r.u32('nbuf');
  const buffers: Uint8Array[] = [];
  for (let i = 0; i < nbuf; i++) buffers.push(r.bytes(`buffer ${i}`));
  const res: ExecResult = { rc, refusedOp, violations, buffers, abi: decodeAbi(r) };
  const fault = decodeFault(r);
  if (fault) res.fault = fault;
  if (traced) res.trace = decodeTrace(r);
  if (prior) res.priorBuffers = Array.from({ length: nbuf }, (_, i) => r.bytes(`prior buffer ${i}`));
  r.end();
  return res;
}

/** The fault record of a TILE / FRAME response (after the abi record). */
function decodeFault(r: Reader): GuardFault | undefined {
  if (!r.u32('fault')) return undefined;
  const id = r.u32('fault buf');
  const offset = Number(r.i64('fault offset'));
  const len = Number(r.i64('fault len'));
  const access = ACCESS[r.u32('fault access')];
  if (!access) throw new Error('malformed executor response: fault access');
  const ti = r.i32('fault tile row');
  const tj = r.i32('fault tile col');
  const scratch = (id & SCRATCH_FLAG) !== 0;
  return { buf: scratch ? id & ~SCRATCH_FLAG : id, scratch, offset, len, access, tile: ti >= 0 ? [ti, tj] : undefined };
}

/** The abi record of a TILE / FRAME response. */
function decodeAbi(r: Reader): AbiBreak | null {
  const call = r.i32('abi_call');
  const n = r.u32('nabi');
  const items: AbiItem[] = [];
  const u64 = (what: string): bigint => BigInt.asUintN(64, r.i64(what));
  for (let i = 0; i < n; i++) items.push({ what: r.str('abi what'), expected: u64('abi expected'), got: u64('abi got') });
  return call < 0 ? null : { call, items };
}

const TRACE_KINDS = ['imm', 'ptr', 'scratch', 'addr'] as const;

/** The trace record (PROTOCOL.md "trace"), last in a FRAME response that asked for it. */
function decodeTrace(r: Reader): TraceTile[] {
  const tiles: TraceTile[] = [];
  const ntiles = r.u32('trace tiles');
  for (let t = 0; t < ntiles; t++) {
    const ti = r.u32('trace ti'), tj = r.u32('trace tj'), nent = r.u32('trace entries');
    const chain: TraceTile['chain'] = [];
    for (let e = 0; e < nent; e++) {
      const tag = r.u32('trace tag');
      const words: ChainWord[] = [];
      for (let k = 0; k < 4; k++) {
        const kind = TRACE_KINDS[r.u32('trace word kind')];
        const id = r.u32('trace word buf');
        const v = r.i64('trace word value');
        if (kind === 'ptr') words.push({ kind, buf: id, offset: Number(v) });
        else if (kind === 'scratch') words.push({ kind, id, offset: Number(v) });
        else if (kind) words.push({ kind, value: BigInt.asUintN(64, v) });
        else throw new Error('malformed executor response: unknown trace word kind');
      }
      chain.push({ tag, words });
    }
    tiles.push({ ti, tj, chain });
  }
  return tiles;
}

/** LIST / LOAD_LIB response: the validated descriptors, tagged with the backend that listed them. */
export function decodeDescs(buf: Uint8Array, backend: string): KernelDesc[] {
  const r = okReader(buf);
  const json = r.str('descriptor json');
  r.end();
  return parseKernelDescs(json, backend);
}

export function decodePacked(buf: Uint8Array): Uint8Array {
  const r = okReader(buf);
  const b = r.bytes('packed');
  r.end();
  return b;
}

export function decodeEmpty(buf: Uint8Array): void {
  okReader(buf).end();
}
