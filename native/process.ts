// Process management for executors: a Backend runs its executor in a separate process, so a
// crashing or hanging kernel takes down only that process. The process is started lazily,
// restarted transparently after a crash or a timeout (every library loaded before is loaded
// again, in order), and killed after a timeout; its stderr tail goes into the KernelCrash a
// caller sees. What to start is the provider's business (native/backends/).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { KernelDesc } from './descriptor.js';
import {
  decodeDescs, decodeEmpty, decodePacked, decodeResult, encodeList, encodeLoadLib, encodePack, encodePing, encodeRequest,
  type ExecRequest, type ExecResult,
} from './wire.js';

/** The executor process died (signal or exit) or was killed after a timeout. */
export class KernelCrash extends Error {
  override name = 'KernelCrash';
  signal: string | null;
  exitCode: number | null;
  timedOut: boolean;
  /** the timeout of the request that was in flight (ms; 0 = none) */
  timeoutMs: number;
  /** tail of the process's stderr */
  stderr: string;
  constructor(message: string, info: { signal: string | null; exitCode: number | null; timedOut: boolean; timeoutMs?: number; stderr: string }) {
    super(message);
    this.signal = info.signal;
    this.exitCode = info.exitCode;
    this.timedOut = info.timedOut;
    this.timeoutMs = info.timeoutMs ?? 0;
    this.stderr = info.stderr;
  }
}

/** Per-call settings of a request that runs kernel code. */
export interface CallOptions {
  /** how long the call may take before the process is killed and the call counts as hung (ms);
   *  default: the backend's timeout */
  timeoutMs?: number;
}

/** A running executor (any transport): what the gate, the CLI and the bench call. */
export interface Backend {
  readonly name: string;
  list(): Promise<KernelDesc[]>;
  exec(req: ExecRequest, opts?: CallOptions): Promise<ExecResult>;
  /** Packs a logical operand (A: row-major mn x k, B: row-major k x mn) with a kernel's packing. */
  pack(kernel: string, packing: number, side: 'a' | 'b', mn: number, k: number, data: Int8Array, opts?: CallOptions): Promise<Uint8Array>;
  /** dlopen()s a kernel library in the executor; returns its kernels. */
  loadLib(path: string): Promise<KernelDesc[]>;
  close(): Promise<void>;
}

// ---- the restartable process ------------------------------------------------------------

const STDERR_TAIL = 16 * 1024;
/** How long a freshly started executor may take to answer its first PING. */
const STARTUP_TIMEOUT_MS = 60_000;
/** Requests that name no timeout (LIST, LOAD_LIB, PING; kernel calls name theirs) */
const DEFAULT_TIMEOUT_MS = 60_000;

interface Pending {
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
  what: string;
  timeoutMs: number;
  timer?: NodeJS.Timeout;
}

type Refable = { ref?: () => void; unref?: () => void };

/** How to start the executor process (resolved at each (re)start). */
export interface Launch {
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
      ? `timed out after ${p.timeoutMs} ms (killed)`
      : signal
        ? `killed by ${signal}`
        : `exited with code ${code}`;
    const tail = this.stderrTail.trim();
    p.reject(
      new KernelCrash(`${this.name} executor ${how} during ${p.what}${tail ? `\n--- stderr ---\n${tail.slice(-2000)}` : ''}`, {
        signal: signal ?? null,
        exitCode: code,
        timedOut: this.timedOut,
        timeoutMs: p.timeoutMs,
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
      const p: Pending = { resolve, reject, what, timeoutMs };
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

  private call(payload: Uint8Array, what: string, opts: CallOptions = {}): Promise<Uint8Array> {
    return this.serial(async () => {
      if (this.closed) throw new Error(`${this.name} backend is closed`);
      if (!this.child) await this.start();
      return this.roundTrip(payload, what, opts.timeoutMs ?? this.timeoutMs);
    });
  }

  async list(): Promise<KernelDesc[]> {
    return decodeDescs(await this.call(encodeList(), 'LIST'), this.name);
  }

  async exec(req: ExecRequest, opts?: CallOptions): Promise<ExecResult> {
    const payload = encodeRequest(req);
    return decodeResult(await this.call(payload, `${req.type.toUpperCase()} ${req.kernel}`, opts), req.trace === true, req.prior !== undefined);
  }

  async pack(kernel: string, packing: number, side: 'a' | 'b', mn: number, k: number, data: Int8Array, opts?: CallOptions): Promise<Uint8Array> {
    return decodePacked(await this.call(encodePack(kernel, packing, side, mn, k, data), `PACK ${kernel}`, opts));
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

/** A Backend whose executor is the process launch() describes. */
export function processBackend(name: string, launch: () => Promise<Launch>, opts: { timeoutMs?: number } = {}): Backend {
  return new ProcessBackend(name, launch, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}

/** Any runner speaking the protocol on stdin/stdout, e.g. ['qemu-aarch64', '-cpu', 'max', 'runner']. */
export function stdioBackend(name: string, argv: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Backend {
  if (argv.length === 0) throw new TypeError('stdioBackend: empty argv');
  return new ProcessBackend(name, async () => ({ command: argv[0]!, args: argv.slice(1), env: opts.env }), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}
