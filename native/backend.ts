// The TypeScript side of the executor protocol (native/PROTOCOL.md): request encoding,
// response decoding, and backends that run the executor in a separate process so a crashing
// or hanging kernel takes down only that process.
//
//   hostBackend()   node child (native/host-child.ts) that loads build/Release/bitexact.node
//   stdioBackend()  any runner binary speaking the protocol on stdin/stdout (aarch64 under qemu)
//
// Both restart their process transparently after a crash and re-issue LOAD_LIB for every
// library loaded before, so a caller sees one KernelCrash and can go on.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// ---- public types ------------------------------------------------------------------------

export type Word = { kind: 'imm'; value: bigint } | { kind: 'ptr'; buf: number; offset: number };
/** A chain entry: tag and up to 4 payload words (missing words are IMM 0). */
export interface WireOp { tag: number; words: Word[] }
/** ret: send the buffer's contents back after the call. */
export interface WireBuffer { data: Uint8Array; ret: boolean }
export interface ExecRequest {
  type: 'tile' | 'frame';
  kernel: string;
  /** run even if the kernel's is_supported_here() says no */
  force?: boolean;
  /** FRAME: matrix shape (required). TILE: ignored. */
  m?: number;
  n?: number;
  buffers: WireBuffer[];
  ops: WireOp[];
}
/** buf: request buffer index, or (scratch) the executor's scratch id (PROTOCOL.md). */
export interface CanaryViolation { buf: number; scratch: boolean; offset: number; expected: number; got: number }
export interface ExecResult {
  /** 0 Done, 1 refused (FRAME: also when refused before running) */
  rc: number;
  /** FRAME: index of the op the kernel does not declare, else -1 */
  refusedOp: number;
  violations: CanaryViolation[];
  /** one per request buffer: contents after the call, empty unless ret */
  buffers: Uint8Array[];
}
export interface PackFormatDesc { kind: 'packed_format' | 'packed_i8k4'; r: number; align: number; end_padding_record: number }
export interface KernelDesc {
  name: string;
  isa: string;
  mr: number;
  nr: number;
  packings: { a: PackFormatDesc; b: PackFormatDesc; k_alignment: number }[];
  supported_ops: number[];
  runnable: boolean;
  why: string;
  /** name of the backend that listed it */
  backend?: string;
}

/** The executor answered ERROR (malformed request, unknown kernel, dlopen failure, ...). */
export class ExecError extends Error {
  override name = 'ExecError';
}

/** The executor process died (signal or exit) or was killed after a timeout. */
export class KernelCrash extends Error {
  override name = 'KernelCrash';
  signal: string | null;
  exitCode: number | null;
  timedOut: boolean;
  /** tail of the process's stderr */
  stderr: string;
  constructor(message: string, info: { signal: string | null; exitCode: number | null; timedOut: boolean; stderr: string }) {
    super(message);
    this.signal = info.signal;
    this.exitCode = info.exitCode;
    this.timedOut = info.timedOut;
    this.stderr = info.stderr;
  }
}

export interface Backend {
  readonly name: string;
  list(): Promise<KernelDesc[]>;
  exec(req: ExecRequest): Promise<ExecResult>;
  /** Packs a logical operand (A: row-major mn x k, B: row-major k x mn) with a kernel's packing. */
  pack(kernel: string, packing: number, side: 'a' | 'b', mn: number, k: number, data: Int8Array): Promise<Uint8Array>;
  /** dlopen()s a kernel library in the executor; returns its kernels. */
  loadLib(path: string): Promise<KernelDesc[]>;
  close(): Promise<void>;
}

// ---- wire constants (PROTOCOL.md) --------------------------------------------------------

export const REQ = { LIST: 1, TILE: 2, FRAME: 3, PACK: 4, LOAD_LIB: 5, PING: 6 } as const;
const STATUS_OK = 0;
const STATUS_ERROR = 1;
const FLAG_FORCE = 1;
const BUF_RETURN = 1;
const SCRATCH_FLAG = 0x8000_0000;

// ---- encoding ----------------------------------------------------------------------------

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  len = 0;
  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number, what: string): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`${what}: ${v} is not a u32`);
    this.reserve(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
    return this;
  }
  /** Any value in [-2^63, 2^64): written as its low 64 bits (two's complement). */
  u64(v: bigint, what: string): this {
    if (v < -(1n << 63n) || v >= 1n << 64n) throw new RangeError(`${what}: ${v} does not fit in 64 bits`);
    this.reserve(8);
    this.view.setBigUint64(this.len, BigInt.asUintN(64, v), true);
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
    return this.buf.slice(0, this.len);
  }
}

function encodeWord(w: Writer, word: Word, where: string): void {
  if (word.kind === 'imm') {
    if (typeof word.value !== 'bigint') throw new TypeError(`${where}: IMM value must be a bigint`);
    w.u32(0, where).u32(0, where).u64(word.value, where);
  } else if (word.kind === 'ptr') {
    w.u32(1, where).u32(word.buf, `${where} buf`);
    if (!Number.isSafeInteger(word.offset)) throw new RangeError(`${where}: offset ${word.offset} is not an integer`);
    w.u64(BigInt(word.offset), `${where} offset`);
  } else {
    throw new TypeError(`${where}: unknown word kind ${(word as { kind: unknown }).kind}`);
  }
}

/** TILE / FRAME request (PROTOCOL.md "TILE and FRAME body"). */
export function encodeRequest(req: ExecRequest): Uint8Array {
  if (req.type !== 'tile' && req.type !== 'frame') throw new TypeError(`unknown request type ${String(req.type)}`);
  const w = new Writer();
  w.u32(req.type === 'tile' ? REQ.TILE : REQ.FRAME, 'type');
  w.str(req.kernel);
  w.u32(req.force ? FLAG_FORCE : 0, 'flags');
  if (req.type === 'frame' && (req.m === undefined || req.n === undefined)) throw new TypeError('frame request needs m and n');
  w.u32(req.m ?? 0, 'm').u32(req.n ?? 0, 'n');
  w.u32(req.buffers.length, 'nbuf');
  for (const b of req.buffers) w.u32(b.ret ? BUF_RETURN : 0, 'buffer flags').u32(b.data.length, 'buffer length').bytes(b.data);
  w.u32(req.ops.length, 'nops');
  req.ops.forEach((op, i) => {
    if (op.words.length > 4) throw new RangeError(`op ${i}: ${op.words.length} words (at most 4)`);
    w.u32(op.tag, `op ${i} tag`);
    for (let k = 0; k < 4; k++) encodeWord(w, op.words[k] ?? { kind: 'imm', value: 0n }, `op ${i} word ${k}`);
  });
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
export function decodeResult(buf: Uint8Array): ExecResult {
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
  r.end();
  return { rc, refusedOp, violations, buffers };
}

function decodeDescs(buf: Uint8Array, backend: string): KernelDesc[] {
  const r = okReader(buf);
  const json = r.str('descriptor json');
  r.end();
  const descs = JSON.parse(json) as KernelDesc[];
  return descs.map((d) => ({ ...d, backend }));
}

function decodePacked(buf: Uint8Array): Uint8Array {
  const r = okReader(buf);
  const b = r.bytes('packed');
  r.end();
  return b;
}

function decodeEmpty(buf: Uint8Array): void {
  okReader(buf).end();
}

// ---- process backend ---------------------------------------------------------------------

const STDERR_TAIL = 16 * 1024;
/** How long a freshly started executor may take to answer its first PING. */
const STARTUP_TIMEOUT_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 60_000;

interface Pending {
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
  what: string;
  timer?: NodeJS.Timeout;
}

type Refable = { ref?: () => void; unref?: () => void };

interface Launch {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

class ProcessBackend implements Backend {
  private child: ChildProcess | null = null;
  private pending: Pending | null = null;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private stderrTail = '';
  private timedOut = false;
  private exited: Promise<void> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly libs: string[] = [];
  private closed = false;

  constructor(
    readonly name: string,
    private readonly launch: () => Promise<Launch>,
    private readonly timeoutMs: number,
  ) {}

  // Serializes calls: one request in flight, in call order, whatever happens to earlier ones.
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async start(): Promise<void> {
    const { command, args, env } = await this.launch();
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    // Fail here, with the reason, when the program cannot be started at all (ENOENT, EACCES).
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new Error(`${this.name} backend: cannot run ${command}: ${e.message}`)));
    });
    this.child = child;
    this.chunks = [];
    this.buffered = 0;
    this.stderrTail = '';
    this.timedOut = false;
    this.exited = new Promise<void>((resolve) => {
      let spawnError: Error | null = null;
      child.on('error', (e) => {
        spawnError = e; // e.g. ENOENT; 'exit' may or may not follow
        if (this.child === child) this.onExit(child, null, null, e);
        resolve();
      });
      child.on('exit', (code, signal) => {
        if (!spawnError && this.child === child) this.onExit(child, code, signal, null);
        resolve();
      });
    });
    child.stdin!.on('error', () => undefined); // EPIPE after a crash: 'exit' reports it
    child.stdout!.on('data', (d: Buffer) => this.onData(child, d));
    child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-STDERR_TAIL);
    });
    this.setRef(false);
    // A library loaded before a crash is loaded again, in the same order; an executor that
    // cannot reload one is not used half-configured. The start-up (process, addon or qemu)
    // is waited for by a PING with its own generous timeout: a kernel's timeout measures the
    // kernel, not a slow start on a loaded machine.
    try {
      decodeEmpty(await this.roundTrip(encodePing(), 'PING (start)', Math.max(this.timeoutMs, STARTUP_TIMEOUT_MS)));
      for (const lib of this.libs) decodeDescs(await this.roundTrip(encodeLoadLib(lib), `LOAD_LIB ${lib} (restart)`), this.name);
    } catch (e) {
      this.kill();
      this.child = null;
      throw e;
    }
  }

  // Idle children must not keep the caller's event loop alive (a CLI that forgets close()).
  private setRef(on: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const h of [c, c.stdin, c.stdout, c.stderr] as Refable[]) {
      if (!h) continue;
      if (on) h.ref?.();
      else h.unref?.();
    }
  }

  private onData(child: ChildProcess, d: Buffer): void {
    if (this.child !== child) return;
    this.chunks.push(d);
    this.buffered += d.length;
    if (this.buffered < 4) return;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [all];
    const len = all.readUInt32LE(0);
    if (this.buffered < 4 + len) return;
    const p = this.pending;
    if (!p || this.buffered > 4 + len) {
      // A response nobody asked for, or two at once: the process does not speak the protocol.
      this.kill();
      p?.reject(new Error(`${this.name} backend: protocol violation (unexpected response bytes)`));
      this.pending = null;
      return;
    }
    const msg = new Uint8Array(all.buffer, all.byteOffset + 4, len).slice();
    this.chunks = [];
    this.buffered = 0;
    this.finish(p);
    p.resolve(msg);
  }

  private finish(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    this.pending = null;
    this.setRef(false);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, err: Error | null): void {
    this.child = null;
    const p = this.pending;
    if (!p) return;
    this.finish(p);
    if (err) {
      p.reject(new Error(`${this.name} backend: cannot run ${child.spawnfile}: ${err.message}`));
      return;
    }
    const how = this.timedOut
      ? `timed out after ${this.timeoutMs} ms (killed)`
      : signal
        ? `killed by ${signal}`
        : `exited with code ${code}`;
    const tail = this.stderrTail.trim();
    p.reject(
      new KernelCrash(`${this.name} executor ${how} during ${p.what}${tail ? `\n--- stderr ---\n${tail.slice(-2000)}` : ''}`, {
        signal: signal ?? null,
        exitCode: code,
        timedOut: this.timedOut,
        stderr: this.stderrTail,
      }),
    );
  }

  private kill(): void {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }

  // One request/response on the running child.
  private roundTrip(payload: Uint8Array, what: string, timeoutMs = this.timeoutMs): Promise<Uint8Array> {
    const child = this.child;
    if (!child) return Promise.reject(new Error(`${this.name} backend: executor not running`));
    return new Promise<Uint8Array>((resolve, reject) => {
      const p: Pending = { resolve, reject, what };
      this.pending = p;
      this.setRef(true);
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        p.timer = setTimeout(() => {
          this.timedOut = true;
          this.kill();
        }, timeoutMs);
      }
      const header = Buffer.alloc(4);
      header.writeUInt32LE(payload.length, 0);
      child.stdin!.write(header);
      child.stdin!.write(payload);
    });
  }

  private call(payload: Uint8Array, what: string): Promise<Uint8Array> {
    return this.serial(async () => {
      if (this.closed) throw new Error(`${this.name} backend is closed`);
      if (!this.child) await this.start();
      return this.roundTrip(payload, what);
    });
  }

  async list(): Promise<KernelDesc[]> {
    return decodeDescs(await this.call(encodeList(), 'LIST'), this.name);
  }

  async exec(req: ExecRequest): Promise<ExecResult> {
    const payload = encodeRequest(req);
    return decodeResult(await this.call(payload, `${req.type.toUpperCase()} ${req.kernel}`));
  }

  async pack(kernel: string, packing: number, side: 'a' | 'b', mn: number, k: number, data: Int8Array): Promise<Uint8Array> {
    return decodePacked(await this.call(encodePack(kernel, packing, side, mn, k, data), `PACK ${kernel}`));
  }

  async ping(): Promise<void> {
    decodeEmpty(await this.call(encodePing(), 'PING'));
  }

  async loadLib(libPath: string): Promise<KernelDesc[]> {
    // A path with a slash is made absolute (the executor's cwd is ours, but be explicit);
    // a bare name keeps dlopen's library search.
    const p = libPath.includes('/') ? path.resolve(libPath) : libPath;
    const descs = decodeDescs(await this.call(encodeLoadLib(p), `LOAD_LIB ${p}`), this.name);
    if (!this.libs.includes(p)) this.libs.push(p);
    return descs;
  }

  async close(): Promise<void> {
    await this.serial(async () => {
      this.closed = true;
      const c = this.child;
      if (!c) return;
      const exited = this.exited;
      c.stdin!.end(); // EOF: the executor exits by itself
      const t = setTimeout(() => this.kill(), 2000);
      await exited;
      clearTimeout(t);
      this.child = null;
    });
  }
}

// ---- locating the package, the addon and the child script ---------------------------------

let rootCache: string | undefined;

/** The package root (directory of bitexact's package.json), from dist/native or native/. */
export function packageRoot(): string {
  if (rootCache) return rootCache;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'bitexact') return (rootCache = dir);
      } catch {
        // not ours: keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('bitexact: cannot find the package root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** build/Release/bitexact.node (override: BITEXACT_ADDON). */
export function addonPath(): string {
  return process.env.BITEXACT_ADDON ?? path.join(packageRoot(), 'build', 'Release', 'bitexact.node');
}

/** build/Release/bitexact_test_kernels.so: the test kernel library. */
export function testKernelsPath(): string {
  return path.join(packageRoot(), 'build', 'Release', 'bitexact_test_kernels.so');
}

// From dist/: the compiled sibling. From source (vitest runs .ts in-process, but the child is
// a plain node process that cannot run TypeScript): transpile host-child.ts once into
// node_modules/.cache, refreshed when the source is newer. It imports only node builtins.
async function hostChildScript(): Promise<string> {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), 'host-child.js');
  const src = path.join(path.dirname(here), 'host-child.ts');
  const outDir = path.join(packageRoot(), 'node_modules', '.cache', 'bitexact');
  const out = path.join(outDir, 'host-child.mjs');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) return out;
  const ts = (await import('typescript')).default;
  const js = ts.transpileModule(readFileSync(src, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  mkdirSync(outDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`; // parallel test workers: write, then rename atomically
  writeFileSync(tmp, js);
  renameSync(tmp, out);
  return out;
}

/** Executor in a node child process that loads the addon (build/Release/bitexact.node). */
export function hostBackend(opts: { timeoutMs?: number } = {}): Backend {
  return new ProcessBackend(
    'host',
    async () => {
      const addon = addonPath();
      if (!existsSync(addon)) throw new Error(`bitexact: native addon not built (${addon}); run \`npm run build:native\``);
      return { command: process.execPath, args: [await hostChildScript(), addon] };
    },
    opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
}

/** Any runner speaking the protocol on stdin/stdout, e.g. ['qemu-aarch64', '-cpu', 'max', 'runner']. */
export function stdioBackend(name: string, argv: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Backend {
  if (argv.length === 0) throw new TypeError('stdioBackend: empty argv');
  return new ProcessBackend(name, async () => ({ command: argv[0]!, args: argv.slice(1), env: opts.env }), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}
