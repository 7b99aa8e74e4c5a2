// Process management for executors: a Backend runs its executor in a separate process, so a
// crashing or hanging kernel takes down only that process. The process is started lazily,
// restarted transparently after a crash or a timeout (every library loaded before is loaded
// again, in order), and killed after a timeout; its output tail goes into the KernelCrash a
// caller sees. What to start is the provider's business (native/backends/).
//
// Transport (native/PROTOCOL.md): requests on the child's descriptor 3, responses on 4; its
// stdin is /dev/null and its stdout and stderr are captured as the kernel's output, never read
// as protocol. The child is a process group of its own, killed whole after a timeout and when
// this process exits; the executor itself dies with us (PR_SET_PDEATHSIG, native/core/serve.c).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { KernelDesc } from './descriptor.js';
import {
  decodeDescs, decodeEmpty, decodePacked, decodeResult, encodeList, encodeLoadLib, encodePack, encodePing, encodeRequest,
  ExecError, type ExecRequest, type ExecResult,
} from './wire.js';

/** The executor process died (signal or exit) or was killed after a timeout. */
export class KernelCrash extends Error {
  override name = 'KernelCrash';
  signal: string | null;
  exitCode: number | null;
  timedOut: boolean;
  /** the timeout of the request that was in flight (ms; 0 = none) */
  timeoutMs: number;
  /** tail of the process's output: its stderr and stdout as they arrived (what a kernel printed
   *  included, and the executor's own last words) */
  stderr: string;
  /** the executor broke the protocol (bytes on the response descriptor that are no response):
   *  what was wrong; the process was killed */
  protocolViolation?: string;
  /** what the executor printed during the call that crashed (set by this transport, empty when
   *  nothing; the kernel's output and the executor's last words, without earlier requests') */
  output?: ExecutorOutput;
  constructor(message: string, info: { signal: string | null; exitCode: number | null; timedOut: boolean; timeoutMs?: number; stderr: string; protocolViolation?: string; output?: ExecutorOutput }) {
    super(message);
    this.signal = info.signal;
    this.exitCode = info.exitCode;
    this.timedOut = info.timedOut;
    this.timeoutMs = info.timeoutMs ?? 0;
    this.stderr = info.stderr;
    if (info.protocolViolation !== undefined) this.protocolViolation = info.protocolViolation;
    if (info.output !== undefined) this.output = info.output;
  }
}

/** What an executor printed (stdout and stderr) while it handled one request, bounded. */
export interface ExecutorOutput {
  /** the last OUTPUT_TAIL characters */
  text: string;
  /** bytes printed in all (more than text holds when truncated) */
  bytes: number;
}

/** Longest output kept per request (characters; the tail is kept). */
export const OUTPUT_TAIL = 2048;

/** Bounded text of an output for a message: the tail, with how much was cut. */
export function outputText(o: ExecutorOutput): string {
  const cut = o.bytes > Buffer.byteLength(o.text) ? `[... ${o.bytes} bytes in all, the last ${o.text.length} characters:]\n` : '';
  return cut + o.text;
}

/** Told once per backend and kernel (or library) the first time it prints anything while its
 *  request succeeds: output is not an error, but it is worth a look. `what` is the request
 *  ("TILE kernel_name", "LOAD_LIB /path"). */
export type OutputNotice = (backend: string, what: string, output: ExecutorOutput) => void;

/** Control characters (but newline and tab) as \xNN, for a terminal. */
export const visible = (t: string): string => t.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

const defaultNotice: OutputNotice = (backend, what, o) => {
  const text = visible(outputText(o)).replace(/\s+$/, '');
  process.stderr.write(`bitexact: note: ${backend}: ${what} printed (shown once; a kernel's output is not judged):\n${text.replace(/^/gm, '  | ')}\n`);
};
let outputNotice: OutputNotice | null = defaultNotice;

/** Where first-output notices go (null: nowhere); the default writes a note to stderr. */
export function setOutputNotice(fn: OutputNotice | null): void {
  outputNotice = fn;
}

// Every live executor process, killed (with its process group) when this process exits,
// however it exits through 'exit': end of the event loop, process.exit, an uncaught exception.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killGroup(c: ChildProcess): void {
  if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
  try {
    process.kill(-c.pid, 'SIGKILL'); // the group: whatever a kernel forked goes too
  } catch {
    c.kill('SIGKILL');
  }
}
/** Kills every live executor now (a run stopped by a signal: the call in flight is not waited for). */
export function killAllExecutors(): void {
  for (const c of live) killGroup(c);
}
function track(c: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const k of live) killGroup(k);
    });
  }
  live.add(c);
  c.once('exit', () => live.delete(c));
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
/** The descriptors the executor speaks the protocol on (native/core/serve.h). */
const REQ_FD = 3;
const RESP_FD = 4;
/** Names the parent to the executor (native/core/serve.h BX_SERVE_PARENT_ENV). */
const PARENT_ENV = 'BX_EXECUTOR_PARENT';
/** How long a dead executor's output pipes may take to deliver its last words (ms). */
const OUTPUT_GRACE_MS = 500;
/** Largest response accepted (the executor's own bound on a frame, native/core/serve.c). */
const MAX_FRAME = 2 ** 30;
/** How long a freshly started executor may take to answer its first PING. */
const STARTUP_TIMEOUT_MS = 60_000;
/** Requests that name no timeout (LIST, LOAD_LIB, PING; kernel calls name theirs) */
const DEFAULT_TIMEOUT_MS = 60_000;

interface Reply {
  msg: Uint8Array;
  /** what the executor printed while it handled the request, if anything */
  output?: ExecutorOutput;
}

interface Pending {
  resolve: (r: Reply) => void;
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
  private callOutput = '';
  private callBytes = 0;
  private readonly noticed = new Set<string>();
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
    const child = spawn(command, args, {
      // 0: /dev/null; 1, 2: the kernel's output; 3: requests; 4: responses
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: { ...(env ?? process.env), [PARENT_ENV]: String(process.pid) },
      detached: true, // its own process group (killed whole), and Ctrl-C reaches only us
    });
    // Fail here, with the reason, when the program cannot be started at all (ENOENT, EACCES).
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new Error(`${this.name} backend: cannot run ${command}: ${e.message}`)));
    });
    this.child = child;
    track(child);
    this.chunks = [];
    this.buffered = 0;
    this.stderrTail = '';
    this.callOutput = '';
    this.callBytes = 0;
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
    const req = child.stdio[REQ_FD] as Writable;
    const resp = child.stdio[RESP_FD] as Readable;
    req.on('error', () => undefined); // EPIPE after a crash: 'exit' reports it
    resp.on('error', () => undefined);
    resp.on('data', (d: Buffer) => this.onData(child, d));
    // (not tied to this.child: a crashed child's last words arrive after its 'exit')
    const onOutput = (d: Buffer): void => {
      const t = d.toString('utf8');
      this.stderrTail = (this.stderrTail + t).slice(-STDERR_TAIL);
      this.callOutput = (this.callOutput + t).slice(-OUTPUT_TAIL);
      this.callBytes += d.length;
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    this.setRef(false);
    // A library loaded before a crash is loaded again, in the same order; an executor that
    // cannot reload one is not used half-configured. The start-up (process, addon or qemu)
    // is waited for by a PING with its own generous timeout: a kernel's timeout measures the
    // kernel, not a slow start on a loaded machine.
    try {
      decodeEmpty((await this.roundTrip(encodePing(), 'PING (start)', Math.max(this.timeoutMs, STARTUP_TIMEOUT_MS))).msg);
      for (const lib of this.libs) decodeDescs((await this.roundTrip(encodeLoadLib(lib), `LOAD_LIB ${lib} (restart)`)).msg, this.name);
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
    for (const h of [c, ...c.stdio] as Refable[]) {
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
    if (len > MAX_FRAME) {
      this.protocolViolation(child, this.pending, `a response header announcing ${len} bytes`);
      return;
    }
    if (this.buffered < 4 + len) return;
    const p = this.pending;
    if (!p || this.buffered > 4 + len) {
      // A response nobody asked for, or two at once: something wrote into the response
      // descriptor (only a kernel can). The process is dropped; the call is a named crash.
      const why = `${this.buffered} byte(s) on the response descriptor ${p ? 'beyond the response' : 'while no request was in flight'}`;
      this.protocolViolation(child, p, why);
      return;
    }
    const msg = new Uint8Array(all.buffer, all.byteOffset + 4, len).slice();
    this.chunks = [];
    this.buffered = 0;
    this.finish(p);
    // Output the executor wrote before its response is in our pipes by now; let the poll
    // phase that brought the response hand it over too, then attribute it to this request.
    setImmediate(() => {
      const output = this.takeOutput();
      if (output) this.notice(p.what, output);
      p.resolve(output ? { msg, output } : { msg });
    });
  }

  private takeOutput(): ExecutorOutput | undefined {
    const o = this.callBytes > 0 ? { text: this.callOutput, bytes: this.callBytes } : undefined;
    this.callOutput = '';
    this.callBytes = 0;
    return o;
  }

  private notice(what: string, o: ExecutorOutput): void {
    const key = what.replace(/^(TILE|FRAME|PACK) /, ''); // the kernel, whatever the request
    if (this.noticed.has(key) || !outputNotice) return;
    this.noticed.add(key);
    outputNotice(this.name, what, o);
  }

  private protocolViolation(child: ChildProcess, p: Pending | null, why: string): void {
    if (!p) {
      this.violation(child, '', 0, why);
      return;
    }
    this.finish(p);
    p.reject(this.violation(child, p.what, p.timeoutMs, why));
  }

  /** Drops a child that broke the protocol; the crash that names it for the call `what`. */
  private violation(child: ChildProcess, what: string, timeoutMs: number, why: string): KernelCrash {
    killGroup(child);
    if (this.child === child) this.child = null; // its 'exit' is not this call's story any more
    this.chunks = [];
    this.buffered = 0;
    const note = `[bitexact] protocol violation: ${why} (did the kernel write to the executor's descriptors?)\n`;
    const nl = (t: string): string => (t && !t.endsWith('\n') ? '\n' : '');
    this.stderrTail += nl(this.stderrTail) + note;
    const o = this.takeOutput() ?? { text: '', bytes: 0 };
    return new KernelCrash(`${this.name} executor broke the protocol during ${what}: ${why}; killed`, {
      signal: 'SIGKILL', exitCode: null, timedOut: false, timeoutMs, stderr: this.stderrTail, protocolViolation: why,
      output: { text: (o.text + nl(o.text) + note).slice(-OUTPUT_TAIL), bytes: o.bytes },
    });
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
    // 'exit' can come before the pipes are drained: wait (briefly: a process the kernel forked
    // may hold them open) for what the kernel printed before it died.
    const drained = Promise.all(
      [child.stdout, child.stderr].map((s) => (s && !s.readableEnded && !s.destroyed ? new Promise<void>((r) => { s.once('end', r); s.once('close', r); }) : undefined)),
    );
    const grace = new Promise<void>((r) => setTimeout(r, OUTPUT_GRACE_MS).unref());
    void Promise.race([drained, grace]).then(() => this.reportExit(p, code, signal));
  }

  private reportExit(p: Pending, code: number | null, signal: NodeJS.Signals | null): void {
    const how = this.timedOut
      ? `timed out after ${p.timeoutMs} ms (killed)`
      : signal
        ? `killed by ${signal}`
        : `exited with code ${code}`;
    const tail = this.stderrTail.trim();
    p.reject(
      new KernelCrash(`${this.name} executor ${how} during ${p.what}${tail ? `\n--- output (stderr, stdout) ---\n${tail.slice(-2000)}` : ''}`, {
        signal: signal ?? null,
        exitCode: code,
        timedOut: this.timedOut,
        timeoutMs: p.timeoutMs,
        stderr: this.stderrTail,
        output: this.takeOutput() ?? { text: '', bytes: 0 },
      }),
    );
  }

  private kill(): void {
    if (this.child) killGroup(this.child);
  }

  // One request/response on the running child.
  private roundTrip(payload: Uint8Array, what: string, timeoutMs = this.timeoutMs): Promise<Reply> {
    const child = this.child;
    if (!child) return Promise.reject(new Error(`${this.name} backend: executor not running`));
    this.takeOutput(); // output between requests belongs to none
    return new Promise<Reply>((resolve, reject) => {
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
      const req = child.stdio[REQ_FD] as Writable;
      req.write(header);
      req.write(payload);
    });
  }

  /** One request; its response decoded while no other request can be in flight, so that a
   *  response that does not decode (only a kernel writing into the response descriptor makes
   *  one) is a protocol violation of this call, named, and the process dropped. ExecError (the
   *  executor's ERROR) and, for requests that run no kernel, any error pass as they are. */
  private call<T>(payload: Uint8Array, what: string, decode: (r: Reply) => T, opts: CallOptions & { runsKernel?: boolean } = {}): Promise<T> {
    return this.serial(async () => {
      if (this.closed) throw new Error(`${this.name} backend is closed`);
      if (!this.child) await this.start();
      const child = this.child!;
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      const r = await this.roundTrip(payload, what, timeoutMs);
      try {
        return decode(r);
      } catch (e) {
        if (e instanceof ExecError || !opts.runsKernel || this.child !== child) throw e;
        throw this.violation(child, what, timeoutMs, `malformed response (${(e as Error).message})`);
      }
    });
  }

  async list(): Promise<KernelDesc[]> {
    return this.call(encodeList(), 'LIST', (r) => decodeDescs(r.msg, this.name));
  }

  async exec(req: ExecRequest, opts?: CallOptions): Promise<ExecResult> {
    const payload = encodeRequest(req);
    return this.call(payload, `${req.type.toUpperCase()} ${req.kernel}`, (r) => {
      const res = decodeResult(r.msg, req.trace === true, req.prior !== undefined);
      if (r.output) res.output = r.output;
      return res;
    }, { ...opts, runsKernel: true });
  }

  async pack(kernel: string, packing: number, side: 'a' | 'b', mn: number, k: number, data: Int8Array, opts?: CallOptions): Promise<Uint8Array> {
    return this.call(encodePack(kernel, packing, side, mn, k, data), `PACK ${kernel}`, (r) => decodePacked(r.msg), { ...opts, runsKernel: true });
  }

  async ping(): Promise<void> {
    await this.call(encodePing(), 'PING', (r) => decodeEmpty(r.msg));
  }

  async loadLib(libPath: string): Promise<KernelDesc[]> {
    // A path with a slash is made absolute (the executor's cwd is ours, but be explicit);
    // a bare name keeps dlopen's library search.
    const p = libPath.includes('/') ? path.resolve(libPath) : libPath;
    const descs = await this.call(encodeLoadLib(p), `LOAD_LIB ${p}`, (r) => decodeDescs(r.msg, this.name));
    if (!this.libs.includes(p)) this.libs.push(p);
    return descs;
  }

  async close(): Promise<void> {
    await this.serial(async () => {
      this.closed = true;
      const c = this.child;
      if (!c) return;
      const exited = this.exited;
      (c.stdio[REQ_FD] as Writable).end(); // EOF: the executor exits by itself
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

/** Any runner speaking the protocol on descriptors 3 and 4 (native/PROTOCOL.md, "Transport"),
 *  e.g. ['qemu-aarch64', '-cpu', 'max', 'runner']. A wrapper must exec the runner (the runner
 *  checks that its parent is this process). */
export function stdioBackend(name: string, argv: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Backend {
  if (argv.length === 0) throw new TypeError('stdioBackend: empty argv');
  return new ProcessBackend(name, async () => ({ command: argv[0]!, args: argv.slice(1), env: opts.env }), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}
