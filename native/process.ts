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
  /** the request may be written while earlier pipelined requests are still running (at most
   *  PIPELINE_DEPTH in flight), so the executor goes from one to the next without waiting for
   *  this process. Only for requests whose result does not depend on what ran before them. A
   *  pipelined request that was behind the one that crashed or hung the executor is rejected
   *  with NotRun (it did not run); the caller runs it again. */
  pipelined?: boolean;
}

/** A pipelined request did not run: the executor died (crash, hang, protocol violation) during
 *  an earlier request written before it. Running it again gives its real outcome. */
export class NotRun extends Error {
  override name = 'NotRun';
}

/** Pipelined requests in flight at once (a request, not a batch, is the unit of a verdict). */
export const PIPELINE_DEPTH = 16;

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
/** BITEXACT_PIPELINE=0: every request alone (the transport before pipelining, for comparisons) */
const PIPELINING = process.env.BITEXACT_PIPELINE !== '0';

interface Reply {
  msg: Uint8Array;
  /** what the executor printed while it handled the request, if anything */
  output?: ExecutorOutput;
  /** the process that answered */
  session: Session;
}

interface Pending {
  /** length header and payload, one write */
  frame: Buffer;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  what: string;
  timeoutMs: number;
  pipelined: boolean;
  timer?: NodeJS.Timeout;
}

type Refable = { ref?: () => void; unref?: () => void };

/** How to start the executor process (resolved at each (re)start). */
export interface Launch {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** One executor process: the requests written to it and not yet answered, in order (it answers
 *  in order), and what it wrote that is not yet a whole response. */
interface Session {
  child: ChildProcess;
  inflight: Pending[];
  chunks: Buffer[];
  buffered: number;
  timedOut: boolean;
  /** dropped: exited, or killed for a protocol violation (its in-flight requests are settled) */
  dead: boolean;
  /** writes are being gathered until the end of this tick */
  corked: boolean;
}

/** The oldest request in flight on a session, taken off it with its timeout cleared. */
const shiftHead = (s: Session): Pending | undefined => {
  const p = s.inflight.shift();
  if (p?.timer) clearTimeout(p.timer);
  return p;
};

const frameOf = (payload: Uint8Array): Buffer => {
  const f = Buffer.allocUnsafe(4 + payload.length);
  f.writeUInt32LE(payload.length, 0);
  f.set(payload, 4);
  return f;
};

class ProcessBackend implements Backend {
  /** the running process requests go to (null: none yet, or it died) */
  private session: Session | null = null;
  private starting = false;
  /** requests not yet written, in call order */
  private readonly waiting: Pending[] = [];
  private readonly idle: Array<() => void> = [];
  private stderrTail = '';
  private callOutput = '';
  private callBytes = 0;
  /** the executor printed something: requests then go one at a time, so that output is told
   *  to the request that printed it */
  private printed = false;
  private readonly noticed = new Set<string>();
  private readonly libs: string[] = [];
  private closed = false;

  constructor(
    readonly name: string,
    private readonly launch: () => Promise<Launch>,
    private readonly timeoutMs: number,
  ) {}

  private async start(): Promise<Session> {
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
    const s: Session = { child, inflight: [], chunks: [], buffered: 0, timedOut: false, dead: false, corked: false };
    track(child);
    this.stderrTail = '';
    this.callOutput = '';
    this.callBytes = 0;
    let spawnError: Error | null = null;
    child.on('error', (e) => {
      spawnError = e; // e.g. ENOENT; 'exit' may or may not follow
      this.onExit(s, null, null, e);
    });
    child.on('exit', (code, signal) => {
      if (!spawnError) this.onExit(s, code, signal, null);
    });
    const req = child.stdio[REQ_FD] as Writable;
    const resp = child.stdio[RESP_FD] as Readable;
    req.on('error', () => undefined); // EPIPE after a crash: 'exit' reports it
    resp.on('error', () => undefined);
    resp.on('data', (d: Buffer) => this.onData(s, d));
    // (a crashed child's last words arrive after its 'exit')
    const onOutput = (d: Buffer): void => {
      const t = d.toString('utf8');
      this.stderrTail = (this.stderrTail + t).slice(-STDERR_TAIL);
      this.callOutput = (this.callOutput + t).slice(-OUTPUT_TAIL);
      this.callBytes += d.length;
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    this.setRef(s, false);
    // A library loaded before a crash is loaded again, in the same order; an executor that
    // cannot reload one is not used half-configured. The start-up (process, addon or qemu)
    // is waited for by a PING with its own generous timeout: a kernel's timeout measures the
    // kernel, not a slow start on a loaded machine.
    try {
      decodeEmpty((await this.direct(s, encodePing(), 'PING (start)', Math.max(this.timeoutMs, STARTUP_TIMEOUT_MS))).msg);
      for (const lib of this.libs) decodeDescs((await this.direct(s, encodeLoadLib(lib), `LOAD_LIB ${lib} (restart)`, this.timeoutMs)).msg, this.name);
    } catch (e) {
      killGroup(child);
      s.dead = true;
      throw e;
    }
    return s;
  }

  // Idle children must not keep the caller's event loop alive (a CLI that forgets close()).
  private setRef(s: Session, on: boolean): void {
    for (const h of [s.child, ...s.child.stdio] as Refable[]) {
      if (!h) continue;
      if (on) h.ref?.();
      else h.unref?.();
    }
  }

  /** Writes requests while the head of the queue may go: alone when nothing is in flight, or
   *  pipelined behind pipelined ones. Starts a process when there is none. */
  private pump(): void {
    while (this.waiting.length > 0) {
      const s = this.session;
      if (!s || s.dead) {
        this.session = null;
        if (!this.starting) this.restart();
        return;
      }
      const head = this.waiting[0]!;
      const n = s.inflight.length;
      const together = PIPELINING && head.pipelined && !this.printed && n < PIPELINE_DEPTH && s.inflight.every((p) => p.pipelined);
      if (n > 0 && !together) return;
      this.waiting.shift();
      this.send(s, head);
    }
    if (!this.session || this.session.inflight.length === 0) for (const f of this.idle.splice(0)) f();
  }

  private restart(): void {
    this.starting = true;
    this.start().then(
      (s) => {
        this.starting = false;
        this.session = s;
        this.pump();
      },
      (e: Error) => {
        this.starting = false;
        // the request that asked for the process learns why it could not start; the next one
        // tries again
        this.waiting.shift()?.reject(e);
        this.pump();
      },
    );
  }

  private send(s: Session, p: Pending): void {
    if (s.inflight.length === 0) {
      this.takeOutput(); // output between requests belongs to none
      this.setRef(s, true);
      this.arm(s, p);
    }
    s.inflight.push(p);
    // the requests written in one tick (a lookahead's refill) go in one system call
    const w = s.child.stdio[REQ_FD] as Writable;
    if (!s.corked) {
      s.corked = true;
      w.cork();
      process.nextTick(() => {
        s.corked = false;
        w.uncork();
      });
    }
    w.write(p.frame);
  }

  /** The timeout of the request the executor is running now (the head of what is in flight). */
  private arm(s: Session, p: Pending): void {
    if (p.timeoutMs > 0 && Number.isFinite(p.timeoutMs)) {
      p.timer = setTimeout(() => {
        s.timedOut = true;
        killGroup(s.child);
      }, p.timeoutMs);
    }
  }

  /** One request on a session directly, outside the queue (start-up). */
  private direct(s: Session, payload: Uint8Array, what: string, timeoutMs: number): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => this.send(s, { frame: frameOf(payload), resolve, reject, what, timeoutMs, pipelined: false }));
  }

  private onData(s: Session, d: Buffer): void {
    if (s.dead) return;
    s.chunks.push(d);
    s.buffered += d.length;
    while (s.buffered >= 4) {
      const all = s.chunks.length === 1 ? s.chunks[0]! : Buffer.concat(s.chunks);
      s.chunks = [all];
      const len = all.readUInt32LE(0);
      if (len > MAX_FRAME) {
        this.violation(s, `a response header announcing ${len} bytes`);
        return;
      }
      if (s.buffered < 4 + len) return;
      const p = s.inflight[0];
      if (!p) {
        // A response nobody asked for: something wrote into the response descriptor (only a
        // kernel can). The process is dropped; the call is a named crash.
        this.violation(s, `${s.buffered} byte(s) on the response descriptor while no request was in flight`);
        return;
      }
      const rest = all.subarray(4 + len);
      if (rest.length > 0 && s.inflight.length === 1) {
        // more than this response while nothing else was asked: the response is not one
        this.violation(s, `${s.buffered} byte(s) on the response descriptor beyond the response`);
        return;
      }
      const msg = new Uint8Array(all.buffer, all.byteOffset + 4, len).slice();
      s.chunks = rest.length ? [rest] : [];
      s.buffered = rest.length;
      shiftHead(s);
      const next = s.inflight[0];
      if (next) this.arm(s, next);
      else this.setRef(s, false);
      // Output the executor wrote before its response is in our pipes by now; let the poll
      // phase that brought the response hand it over too, then attribute it to this request.
      setImmediate(() => {
        const output = this.takeOutput();
        if (output) {
          this.printed = true;
          this.notice(p.what, output);
        }
        p.resolve(output ? { msg, output, session: s } : { msg, session: s });
      });
      this.pump();
    }
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

  /** Drops a session that broke the protocol: the request it was running fails with the crash
   *  that names the violation, the ones behind it did not run. */
  private violation(s: Session, why: string): void {
    const p = shiftHead(s);
    const e = this.violationCrash(s, p?.what ?? '', p?.timeoutMs ?? 0, why);
    p?.reject(e);
    this.abandon(s);
  }

  private violationCrash(s: Session, what: string, timeoutMs: number, why: string): KernelCrash {
    killGroup(s.child);
    const note = `[bitexact] protocol violation: ${why} (did the kernel write to the executor's descriptors?)\n`;
    const nl = (t: string): string => (t && !t.endsWith('\n') ? '\n' : '');
    this.stderrTail += nl(this.stderrTail) + note;
    const o = this.takeOutput() ?? { text: '', bytes: 0 };
    return new KernelCrash(`${this.name} executor broke the protocol during ${what}: ${why}; killed`, {
      signal: 'SIGKILL', exitCode: null, timedOut: false, timeoutMs, stderr: this.stderrTail, protocolViolation: why,
      output: { text: (o.text + nl(o.text) + note).slice(-OUTPUT_TAIL), bytes: o.bytes },
    });
  }

  /** A session is no longer used: what is still in flight on it did not run, nor do the
   *  pipelined requests waiting behind it (after a hang, each would cost a timeout). */
  private abandon(s: Session): void {
    s.dead = true;
    s.chunks = [];
    s.buffered = 0;
    if (this.session === s) this.session = null;
    const notRun = (q: Pending): void => q.reject(new NotRun(`${this.name}: ${q.what} did not run: the executor died during an earlier request`));
    for (let q = shiftHead(s); q; q = shiftHead(s)) notRun(q);
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]!.pipelined) notRun(this.waiting.splice(i, 1)[0]!);
    this.pump();
  }

  private onExit(s: Session, code: number | null, signal: NodeJS.Signals | null, err: Error | null): void {
    if (s.dead) return;
    if (this.session === s) this.session = null;
    const child = s.child;
    if (err) {
      shiftHead(s)?.reject(new Error(`${this.name} backend: cannot run ${child.spawnfile}: ${err.message}`));
      this.abandon(s);
      return;
    }
    // 'exit' can come before the pipes are drained: wait (briefly: a process the kernel forked
    // may hold them open) for responses written before the end and what the kernel printed.
    const drained = Promise.all(
      [child.stdout, child.stderr, child.stdio[RESP_FD] as Readable].map((st) => (st && !st.readableEnded && !st.destroyed ? new Promise<void>((r) => { st.once('end', r); st.once('close', r); }) : undefined)),
    );
    const grace = new Promise<void>((r) => setTimeout(r, OUTPUT_GRACE_MS).unref());
    void Promise.race([drained, grace]).then(() => {
      if (s.dead) return;
      const p = shiftHead(s);
      if (p) this.reportExit(s, p, code, signal);
      this.abandon(s);
    });
  }

  private reportExit(s: Session, p: Pending, code: number | null, signal: NodeJS.Signals | null): void {
    const how = s.timedOut
      ? `timed out after ${p.timeoutMs} ms (killed)`
      : signal
        ? `killed by ${signal}`
        : `exited with code ${code}`;
    const tail = this.stderrTail.trim();
    p.reject(
      new KernelCrash(`${this.name} executor ${how} during ${p.what}${tail ? `\n--- output (stderr, stdout) ---\n${tail.slice(-2000)}` : ''}`, {
        signal: signal ?? null,
        exitCode: code,
        timedOut: s.timedOut,
        timeoutMs: p.timeoutMs,
        stderr: this.stderrTail,
        output: this.takeOutput() ?? { text: '', bytes: 0 },
      }),
    );
  }

  /** One request, queued behind the earlier ones; its response decoded when it arrives, so that
   *  a response that does not decode (only a kernel writing into the response descriptor makes
   *  one) is a protocol violation of this call, named, and the process dropped. ExecError (the
   *  executor's ERROR) and, for requests that run no kernel, any error pass as they are. */
  private async call<T>(payload: Uint8Array, what: string, decode: (r: Reply) => T, opts: CallOptions & { runsKernel?: boolean } = {}): Promise<T> {
    if (this.closed) throw new Error(`${this.name} backend is closed`);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const r = await new Promise<Reply>((resolve, reject) => {
      this.waiting.push({ frame: frameOf(payload), resolve, reject, what, timeoutMs, pipelined: opts.pipelined === true });
      this.pump();
    });
    try {
      return decode(r);
    } catch (e) {
      if (e instanceof ExecError || !opts.runsKernel) throw e;
      const crash = this.violationCrash(r.session, what, timeoutMs, `malformed response (${(e as Error).message})`);
      if (!r.session.dead) this.abandon(r.session);
      throw crash;
    }
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
    // every request made before close() is answered first
    if (this.waiting.length > 0 || (this.session?.inflight.length ?? 0) > 0 || this.starting) await new Promise<void>((r) => this.idle.push(r));
    this.closed = true;
    const s = this.session;
    this.session = null;
    if (!s || s.dead) return;
    const exited = new Promise<void>((r) => (s.child.exitCode !== null || s.child.signalCode !== null ? r() : s.child.once('exit', () => r())));
    (s.child.stdio[REQ_FD] as Writable).end(); // EOF: the executor exits by itself
    const t = setTimeout(() => killGroup(s.child), 2000);
    await exited;
    clearTimeout(t);
    s.dead = true;
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
