// A standalone C reproducer for a failing case: `repro.c` includes only the public header
// (bitexact/kernel.h), builds the exact FusedKerSpec chain and buffers the gate handed the
// kernel (packed panels, garbage in the undefined payload bytes, sentinel bytes between strided
// elements, every buffer against no-access pages on the side the gate placed it, canaries in the
// rest of its pages, the chain guarded too), calls the kernel once (a case with `prior`: twice,
// the earlier call first, at the same addresses or, new_addresses, at other ones:
// properties/stale.ts) and compares every store
// with the oracle's expected tile: differing cells are printed as the gate prints them
// ("store #0 [1][2]: expected 5 (0x00000005), got -5 (0xfffffffb)") and it exits 1; 0 when
// the kernel's tile equals the oracle's; 2 when it cannot run (library, kernel name, tile). An
// access in a no-access page is caught by a SIGSEGV handler that prints the buffer, the side and
// the byte offset as the gate does ("reads past the end of chain[2] per_col values ...").
//
// A frame-level case becomes one tile that fails, replayed with the frame's own memory
// (properties/frame-tile.ts, from the frame model): the caller's whole operands and outputs with
// the tile's pointers and the caller's strides on a full tile, the frame's scratch on a border
// tile, the packed operands whole with the tile's panels; cells are printed in frame
// coordinates and only the tile's valid h x w part is compared (the frame crops the rest).
import { existsSync } from 'node:fs';
import { writeWhole } from '../native/files.js';
import type { Case } from '../oracle/types.js';
import type { KernelDesc } from '../native/descriptor.js';
import type { Word } from '../native/wire.js';
import type { Backend } from '../native/process.js';
import { elfMachine, providersFor } from '../native/backends/index.js';
import { hostProvider } from '../native/backends/host.js';
import type { ProvidedBackend, ReproCommands } from '../native/backends/provider.js';
import { encodeCase, guardAtStart, type Encoded } from '../properties/encode.js';
import { priorCase } from '../properties/stale.js';
import { encodeFrameTile } from '../properties/frame-tile.js';
import { runCase } from '../properties/check.js';
import type { TimeoutPolicy } from '../properties/timeout.js';
import { expectedState } from '../properties/expected.js';
import { cellsOf, type Verdict } from '../properties/verdict.js';
import { verdictLine } from '../properties/verdict-format.js';
import { fmtCase, fmtOp } from '../properties/report.js';

export interface ReproOptions {
  /** 'builtin' or the path of the kernel library the kernel came from */
  source: string;
  /** the backend the kernel ran on: its provider writes the build and run lines, with the
   *  settings of that run (default: the provider of the library's ELF machine; the host's
   *  for a builtin kernel) */
  backend?: ProvidedBackend;
  /** frame-level case: the tile (ia, ib) to replay (default: the tile of the first differing cell, else 0, 0) */
  tile?: [number, number];
  /** the verdict of the failing run (its cells choose the tile; its message goes in the header) */
  verdict?: Verdict;
  /** the fixture the repro belongs to (named in the header) */
  fixture?: string;
  /** a line for the header, e.g. why this tile was chosen */
  note?: string;
  /** the timeout of the kernel calls that search for a failing tile (default: scaled) */
  timeout?: TimeoutPolicy;
}

export interface Repro {
  /** the C source */
  text: string;
  /** the tile-level case the repro runs */
  tileCase: Case;
  /** frame-level source case: the replayed tile and its valid part */
  tile?: { ia: number; ib: number; h: number; w: number };
  /** shell commands that build and run it (from any directory) */
  build: string;
  run: string;
}

/** The tile that holds the first differing cell of a frame-level verdict (0, 0 without one). */
export function tileOfFailure(c: Case, k: KernelDesc, v?: Verdict): [number, number] {
  if (v?.outcome === 'out_of_bounds' && v.tile && c.level === 'frame') return v.tile;
  const d = v ? cellsOf(v)?.[0] : undefined;
  return d && c.level === 'frame' ? [Math.floor(d.i / k.mr), Math.floor(d.j / k.nr)] : [0, 0];
}

/** For a frame-level failure, the first tile that also fails when its chain is handed to the
 *  kernel alone, with the frame's buffers (the tile of the first differing cell first);
 *  undefined if none does. */
export async function findFailingTile(backend: Backend, k: KernelDesc, c: Case, v?: Verdict, maxTiles = 64, timeout?: TimeoutPolicy): Promise<[number, number] | undefined> {
  if (c.level !== 'frame') return [0, 0];
  const first = tileOfFailure(c, k, v);
  const tiles: [number, number][] = [first];
  for (let ia = 0; ia * k.mr < c.m; ia++) for (let ib = 0; ib * k.nr < c.n; ib++) if (ia !== first[0] || ib !== first[1]) tiles.push([ia, ib]);
  for (const [ia, ib] of tiles.slice(0, maxTiles)) {
    const { tileCase, enc } = encodeFrameTile(c, k, ia, ib);
    const r = await runCase(backend, k, tileCase, { encoded: enc, timeout });
    if (!r.ok) return [ia, ib];
  }
  return undefined;
}

const u64 = (v: bigint): string => `UINT64_C(0x${BigInt.asUintN(64, v).toString(16)})`;
const cstr = (s: string): string => JSON.stringify(s); // JSON escapes are valid C escapes for these strings
const comment = (s: string): string => s.replace(/\*\//g, '* /');

function bytesLiteral(b: Uint8Array): string {
  if (b.length === 0) return '{0}';
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 16) lines.push('  ' + Array.from(b.subarray(i, i + 16), (x) => `0x${x.toString(16).padStart(2, '0')}`).join(','));
  return `{\n${lines.join(',\n')}\n}`;
}

/** How to build and run the repro: the recipe of the backend's provider. */
function reproCommands(file: string, k: KernelDesc, o: Pick<ReproOptions, 'source' | 'backend'>): ReproCommands {
  const input = { file, kernel: k, source: o.source };
  if (o.backend) return o.backend.repro(input);
  let machine: ReturnType<typeof elfMachine> = 'unknown';
  try { if (o.source !== 'builtin' && existsSync(o.source)) machine = elfMachine(o.source); } catch { /* unreadable: the host's recipe */ }
  return ((machine !== 'unknown' && providersFor(machine)[0]) || hostProvider).repro(input);
}

/** The C reproducer of case c on kernel k (pure: no kernel runs). `file` is where it will live
 *  (its name goes into the build commands of the header). */
export function reproSource(c: Case, k: KernelDesc, o: ReproOptions, file = 'repro.c'): Repro {
  let tileCase = c;
  let tile: Repro['tile'];
  let enc: Encoded;
  if (c.level === 'frame') {
    const [ia, ib] = o.tile ?? tileOfFailure(c, k, o.verdict);
    const t = encodeFrameTile(c, k, ia, ib);
    tileCase = t.tileCase;
    enc = t.enc;
    tile = { ia, ib, h: t.tile.h, w: t.tile.w };
  } else {
    enc = encodeCase(tileCase, k, { force: false });
  }
  // the bytes the judge holds the kernel to (properties/expected.ts)
  const { refusedAt, storesRun, buffers: exp } = expectedState(tileCase, k, enc);
  // a case with prior (tile level): the earlier call's contents and expected bytes, encoded as
  // properties/check.ts encodes them (same chain, so the same stores and refusal)
  // (a failure the verdict does not call stale is the case's own: one call replays it)
  const stale = !o.verdict || o.verdict.ok || o.verdict.stale !== undefined;
  const pc = c.level === 'tile' && c.prior && stale ? priorCase(c) : undefined;
  const penc = pc && encodeCase(pc, k, { force: false, guardStart: guardAtStart(c) });
  const pexp = pc && penc ? expectedState(pc, k, penc).buffers : undefined;
  const moved = pc !== undefined && c.prior === 'new_addresses';
  const { build, run } = reproCommands(file, k, o);
  const h = tile?.h ?? k.mr;
  const w = tile?.w ?? k.nr;
  const r0 = tile ? tile.ia * k.mr : 0;
  const c0 = tile ? tile.ib * k.nr : 0;

  const header = [
    `repro.c — standalone reproducer generated by bitexact for kernel ${k.name} (${k.isa}, ${k.mr}x${k.nr} tile)`,
    o.fixture ? `fixture: ${o.fixture}` : '',
    o.verdict && !o.verdict.ok ? `gate verdict: ${verdictLine(o.verdict)}` : '',
    tile ? `frame-level case ${c.m}x${c.n}x${c.k}: replays tile (${tile.ia}, ${tile.ib}) = rows ${r0}..${r0 + h - 1}, cols ${c0}..${c0 + w - 1} (its valid part is ${h}x${w}), with the frame's buffers, pointers and strides (${h === k.mr && w === k.nr ? "a full tile: the caller's matrices, the tile's pointers, the caller's strides" : "a border tile: the frame's zero-padded scratch"}; packed operands whole, the tile's panels)` : '',
    pc ? (moved
      ? 'two calls, as the gate made them (prior new_addresses): call 1 on the same contents in copies of every buffer and a chain at other addresses, whose bytes are then bit-flipped; call 2, judged, on the buffers and chain below. Both calls are compared with the oracle.'
      : `two calls at the same buffer and chain addresses, as the gate made them (prior ${c.prior}): call 1 on other contents (the earlier call), then call 2 on the case's own contents. Both calls are compared with the oracle.`) : '',
    o.note ?? '',
    '',
    'build and run (from any directory):',
    `  ${build}`,
    `  ${run}`,
    o.source === 'builtin'
      ? `${k.name} is a builtin kernel: the build line links the kernel sources (-DBX_REPRO_LINK=bx_builtin_kernels). To run it against a library instead, build without -DBX_REPRO_LINK (add -ldl) and pass a .so exporting ${'bitexact_kernels'} with a kernel named ${k.name}.`
      : `Without arguments it dlopen()s ${o.source}; pass another library path as the first argument. Or link the library directly: -DBX_REPRO_LINK=bitexact_kernels and the .so on the command line.`,
    `exit status: 0 the tile equals the oracle${pc ? ' on both calls' : ''}, 1 it differs (cells printed), 2 cannot run (library, kernel, tile shape).`,
    '',
    'the case (tile level: the chain exactly as the kernel receives it):',
    ...fmtCase(tileCase).split('\n'),
  ].filter((x, i, all) => x !== '' || (i > 0 && all[i - 1] !== ''));

  const B = enc.req.buffers.length;
  const lines: string[] = [];
  lines.push('/*', ...header.map((l) => ` * ${comment(l)}`.trimEnd()), ' */');
  lines.push('#define _GNU_SOURCE /* REG_ERR */', '#include <signal.h>', '#include <stdint.h>', '#include <stdio.h>', '#include <stdlib.h>', '#include <string.h>', '#include <sys/mman.h>', '#include <ucontext.h>', '#include <unistd.h>');
  lines.push('#if defined(__aarch64__)', '#include <asm/sigcontext.h>', '#endif', '', '#include "bitexact/kernel.h"', '');
  lines.push('#ifdef BX_REPRO_LINK', 'const bx_kernel_desc *const *BX_REPRO_LINK(size_t *count);', '#else', '#include <dlfcn.h>', '#endif', '');
  lines.push(`#define KERNEL_NAME ${cstr(k.name)}`);
  lines.push(`#define DEFAULT_LIB ${o.source === 'builtin' ? 'NULL' : cstr(o.source)}`);
  lines.push(`#define MR ${k.mr}`, `#define NR ${k.nr}`);
  lines.push(`#define NBUF ${B}`, `#define NOPS ${enc.req.ops.length}`, `#define NSTORES ${enc.stores.length}`);
  const refused = refusedAt < 0 ? undefined : tileCase.chain[refusedAt];
  const why = refused === undefined ? 'every op is declared: Done'
    : `chain[${refusedAt}] ${refused.op === 'raw_tag' ? `is raw tag ${refused.tag}, no tag of the ABI` : 'is not declared'}: the kernel must return 1 there`;
  lines.push(`#define EXPECTED_RC ${refusedAt < 0 ? 0 : 1} /* ${why} */`);
  lines.push(`#define VALID_H ${h} /* rows of the tile compared (the frame crops the rest) */`, `#define VALID_W ${w}`);
  lines.push(`#define ROW0 ${r0} /* cells are printed in the coordinates of the case */`, `#define COL0 ${c0}`);
  lines.push(`#define GUARD_START ${enc.req.guardStart ? 1 : 0} /* 1: every buffer starts at a page start; 0: it ends at a page end (as the gate placed them) */`);
  lines.push('#define ZONE (64 * 1024) /* no-access bytes on each side of every buffer */');
  lines.push(`#define PRIOR ${pc ? 1 : 0} /* 1: an earlier call first (call 1 of 2), then the judged call */`);
  lines.push(`#define MOVED ${moved ? 1 : 0} /* 1: the earlier call in copies at other addresses, bit-flipped after it */`, '');
  const same = (x: Uint8Array, y: Uint8Array): boolean => x.length === y.length && x.every((v, j) => v === y[j]);
  type Names = { init: string; expect: string }[];
  // the buffers of one call: contents before it, the oracle's bytes after it (the earlier
  // call's arrays are the judged call's where they are equal)
  const bufLines = (prefix: string, e: Encoded, ex: Uint8Array[], reuse?: { e: Encoded; ex: Uint8Array[]; names: Names }): { lines: string[]; names: Names } => {
    const out: string[] = [];
    const names = e.req.buffers.map((b, i) => {
      const r = reuse?.names[i];
      const init = r && same(reuse.e.req.buffers[i].data, b.data) ? r.init : `${prefix}init${i}`;
      const expect = !ex[i].some((x, j) => x !== b.data[j]) ? init : r && same(reuse.ex[i], ex[i]) ? r.expect : `${prefix}expect${i}`;
      const fresh = [init, expect].filter((x, n) => x === (n ? `${prefix}expect${i}` : `${prefix}init${i}`));
      if (fresh.length) {
        out.push(`/* buffer ${i}: ${comment(e.names[i])}, ${b.data.length} bytes${prefix ? ', the earlier call' : ''} */`);
        if (init === `${prefix}init${i}`) out.push(`static const unsigned char ${init}[] = ${bytesLiteral(b.data)};`);
        if (expect === `${prefix}expect${i}`) out.push(`static const unsigned char ${expect}[] = ${bytesLiteral(ex[i])};`);
        out.push('');
      }
      return { init, expect };
    });
    out.push(`static const struct buf ${prefix}bufs[NBUF] = {`);
    e.req.buffers.forEach((b, i) => out.push(`  {${cstr(e.names[i])}, ${b.data.length}, ${names[i].init}, ${names[i].expect}},`));
    out.push('};', '');
    return { lines: out, names };
  };
  lines.push('struct buf { const char *name; size_t len; const unsigned char *init, *expect; };', '');
  const judged = bufLines('', enc, exp);
  lines.push(...judged.lines);
  if (penc && pexp) lines.push(...bufLines('p', penc, pexp, { e: enc, ex: exp, names: judged.names }).lines);
  lines.push('/* the pages of buffer b (b = NBUF: the chain); set 1 (MOVED): the earlier call\'s copies */');
  lines.push('struct place { const char *name; size_t len; unsigned char *map, *lo, *hi, *data; size_t map_len; };');
  lines.push('static struct place places[2][NBUF + 1];', 'static struct place *cur = places[0]; /* the set the chain is built on */', '#define DATA(b) (cur[b].data)', '');
  lines.push('/* the stores of the chain: buffer, offset of element (0,0), strides, item size; ran = stores before the refused op */');
  lines.push('struct store { int buf; long base, row_stride, col_stride; int item_size, ran; };');
  lines.push(`static const struct store stores[${Math.max(1, enc.stores.length)}] = {`);
  enc.stores.forEach((s, n) => {
    const p = s.placement;
    lines.push(`  {${s.buf}, ${p.base}, ${p.rowStride}, ${p.colStride}, ${p.itemSize}, ${n < storesRun ? 1 : 0}}, /* chain[${s.opIndex}] */`);
  });
  if (enc.stores.length === 0) lines.push('  {0, 0, 0, 0, 0, 0},');
  lines.push('};', '');
  lines.push('static bx_fused_ker_spec *chain; /* NOPS + 1 entries, guarded like the buffers */', '', 'static void build_chain(void) {', '  memset(chain, 0, (NOPS + 1) * sizeof *chain);');
  const word = (wd: Word): string => (wd.kind === 'imm' ? u64(wd.value) : `(uintptr_t)(DATA(${wd.buf}) + ${wd.offset})`);
  enc.req.ops.forEach((op, i) => {
    lines.push(`  /* ${comment(fmtOp(tileCase.chain[i], i).trim().split('\n')[0])} */`);
    const tag = BigInt(op.tag); // a raw tag may need all 64 bits
    lines.push(`  chain[${i}].tag = ${tag > 0xffff_ffffn ? u64(tag) : String(tag)};`);
    op.words.forEach((wd, n) => {
      if (wd.kind === 'imm' && wd.value === 0n) return;
      lines.push(`  chain[${i}].u.raw[${n}] = ${word(wd)};`);
    });
  });
  lines.push(`  chain[NOPS].tag = BX_DONE;`, '}', '');
  lines.push(C_MAIN);
  return { text: lines.join('\n') + '\n', tileCase, tile, build, run };
}

/** The fixed part of every repro: kernel lookup, guards, the call, the comparison. */
const C_MAIN = String.raw`static unsigned char canary(int i) { return (unsigned char)(0xA5 ^ ((i * 29) & 0xff)); }

/* canary(i) at offset -64 + i before the data and len + i after it, repeating outward */
static unsigned char slack_canary(const struct place *p, const unsigned char *a) {
  size_t d = a < p->data ? 64 - (size_t)(p->data - a) % 64 : (size_t)(a - (p->data + p->len));
  return canary((int)(d % 64));
}

/* The gate's placement: ZONE no-access bytes, the buffer's pages, ZONE no-access bytes; the data
 * against the page end (or, GUARD_START, the page start), canaries in the rest of its pages. */
static int place_buffer(struct place *p, const char *name, size_t len) {
  size_t ps = (size_t)sysconf(_SC_PAGESIZE), body = len ? (len + ps - 1) / ps * ps : ps;
  p->name = name;
  p->len = len;
  p->map_len = ZONE + body + ZONE;
  void *m = mmap(NULL, p->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return -1;
  p->map = m;
  if (mprotect(p->map + ZONE, body, PROT_READ | PROT_WRITE)) return -1;
  p->lo = p->map + ZONE;
  p->hi = p->lo + body;
  p->data = GUARD_START ? p->lo : p->hi - len;
  for (unsigned char *a = p->lo; a < p->hi; a++)
    if (a < p->data || a >= p->data + len) *a = slack_canary(p, a);
  return 0;
}

/* An access in a no-access page: name the buffer, the side and the offset, as the gate does. */
static void on_fault(int sig, siginfo_t *si, void *uctx) {
  const unsigned char *a = si->si_addr;
  const char *verb = "accesses";
#if defined(__x86_64__)
  verb = ((ucontext_t *)uctx)->uc_mcontext.gregs[REG_ERR] & 2 ? "writes" : "reads";
#elif defined(__aarch64__)
  const unsigned char *r = ((ucontext_t *)uctx)->uc_mcontext.__reserved;
  const unsigned char *end = r + sizeof ((ucontext_t *)uctx)->uc_mcontext.__reserved;
  while (r + sizeof(struct _aarch64_ctx) <= end) {
    const struct _aarch64_ctx *h = (const void *)r;
    if (h->magic == 0 || h->size < sizeof *h) break;
    if (h->magic == ESR_MAGIC) {
      unsigned long long esr = ((const struct esr_context *)r)->esr;
      unsigned ec = (unsigned)(esr >> 26) & 0x3f;
      if (ec == 0x24 || ec == 0x25) verb = (esr >> 6) & 1 ? "writes" : "reads";
      break;
    }
    r += h->size;
  }
#else
  (void)uctx;
#endif
  for (int b = 0; b <= 2 * NBUF + 1; b++) {
    const struct place *p = &places[b > NBUF][b % (NBUF + 1)];
    if (p->map == NULL || a < p->map || a >= p->map + p->map_len || (a >= p->lo && a < p->hi)) continue;
    long off = (long)(a - p->data);
    char where[64], msg[512];
    if (off < 0) snprintf(where, sizeof where, "%ld byte(s) before the start of", -off);
    else if ((size_t)off == p->len) snprintf(where, sizeof where, "past the end of");
    else snprintf(where, sizeof where, "%ld byte(s) past the end of", off - (long)p->len + 1);
    const char *copy = b > NBUF ? ", the earlier call's copy" : "";
    int n = b % (NBUF + 1) < NBUF ? snprintf(msg, sizeof msg, "OUT OF BOUNDS: the kernel %s %s %s (buffer %d%s, %zu bytes): byte offset %ld\n", verb, where, p->name, b % (NBUF + 1), copy, p->len, off)
                                  : snprintf(msg, sizeof msg, "OUT OF BOUNDS: the kernel %s %s %s%s (%zu bytes): byte offset %ld\n", verb, where, p->name, copy, p->len, off);
    fflush(stdout);
    if (n > 0 && write(1, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0) _exit(1);
    _exit(1);
  }
  signal(sig, SIG_DFL); /* outside every guard: a plain crash */
}

static const bx_kernel_desc *find_kernel(int argc, char **argv) {
  bx_kernels_fn table_fn;
#ifdef BX_REPRO_LINK
  (void)argc; (void)argv;
  table_fn = BX_REPRO_LINK;
#else
  const char *lib = argc > 1 ? argv[1] : DEFAULT_LIB;
  if (lib == NULL) {
    fprintf(stderr, "usage: %s LIBRARY.so   (a library exporting %s with a kernel named %s)\n", argv[0], BX_KERNELS_SYMBOL, KERNEL_NAME);
    return NULL;
  }
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) { fprintf(stderr, "cannot load %s: %s\n", lib, dlerror()); return NULL; }
  void *sym = dlsym(h, BX_KERNELS_SYMBOL);
  if (sym == NULL) { fprintf(stderr, "%s does not export %s\n", lib, BX_KERNELS_SYMBOL); return NULL; }
  memcpy(&table_fn, &sym, sizeof table_fn);
#endif
  size_t n = 0;
  const bx_kernel_desc *const *t = table_fn(&n);
  for (size_t i = 0; i < n; i++)
    if (t[i] != NULL && t[i]->name != NULL && strcmp(t[i]->name, KERNEL_NAME) == 0) return t[i];
  fprintf(stderr, "no kernel named %s in the library's table (%zu kernels)\n", KERNEL_NAME, n);
  return NULL;
}

static int32_t read_item(const unsigned char *p, int size) {
  uint32_t v = 0;
  for (int b = 0; b < size; b++) v |= (uint32_t)p[b] << (8 * b);
  if (size < 4) { uint32_t sign = UINT32_C(1) << (8 * size - 1); v = (v ^ sign) - sign; }
  return (int32_t)v;
}

/* One kernel call on the chain built on set cur, judged against the oracle's bytes bs; what
 * differs is printed after which ("" for a single call). Returns the number of problems. */
static int cells_total;
static int run_call(const bx_kernel_desc *k, const struct buf *bs, const char *which) {
  intptr_t rc = k->kernel(chain);
  int bad = 0;
  if (rc != EXPECTED_RC) {
    printf("%skernel returned %ld, expected %d (%s)\n", which, (long)rc, EXPECTED_RC, EXPECTED_RC ? "an op of the chain is not declared: return 1 there" : "every op is declared: return 0 at Done");
    bad++;
  }
  for (int b = 0; b <= NBUF; b++) {
    const struct place *p = &cur[b];
    for (const unsigned char *a = p->lo; a < p->hi; a++)
      if ((a < p->data || a >= p->data + p->len) && *a != slack_canary(p, a)) {
        printf("%swrite outside the buffer: %s (buffer %d) byte offset %ld (canary) changed\n", which, p->name, b, (long)(a - p->data));
        bad++;
        break;
      }
  }
  /* the differing cells of every store, in the case's coordinates */
  int cells = 0;
  for (int s = 0; s < NSTORES; s++) {
    const struct store *st = &stores[s];
    for (int i = 0; i < VALID_H; i++)
      for (int j = 0; j < VALID_W; j++) {
        long off = st->base + i * st->row_stride + j * st->col_stride;
        int32_t e = read_item(bs[st->buf].expect + off, st->item_size);
        int32_t g = read_item(DATA(st->buf) + off, st->item_size);
        if (e != g || (!st->ran && memcmp(bs[st->buf].expect + off, DATA(st->buf) + off, (size_t)st->item_size) != 0)) {
          if (cells < 64)
            printf("%sstore #%d [%d][%d]: expected %ld (0x%08lx), got %ld (0x%08lx)%s\n", which, s, ROW0 + i, COL0 + j, (long)e,
                   (unsigned long)(uint32_t)e, (long)g, (unsigned long)(uint32_t)g, st->ran ? "" : " (this store must not run)");
          cells++;
        }
      }
  }
  if (cells > 64) printf("%s... %d differing cells in all\n", which, cells);
  bad += cells;
  cells_total += cells;
  /* every other byte: inputs must be unchanged, bytes between stored elements untouched */
  for (int b = 0; b < NBUF && cells == 0; b++) {
    for (size_t i = 0; i < bs[b].len; i++) {
      int in_cell = 0;
      for (int s = 0; s < NSTORES && !in_cell; s++) {
        const struct store *st = &stores[s];
        if (st->buf != b) continue;
        for (int r = 0; r < MR && !in_cell; r++)
          for (int c = 0; c < NR && !in_cell; c++) {
            long off = st->base + r * st->row_stride + c * st->col_stride;
            if ((long)i >= off && (long)i < off + st->item_size) in_cell = 1;
          }
      }
      if (!in_cell && DATA(b)[i] != bs[b].expect[i]) {
        printf("%s%s (buffer %d) byte %zu changed from 0x%02x to 0x%02x\n", which, bs[b].name, b, i, bs[b].expect[i], DATA(b)[i]);
        bad++;
        break;
      }
    }
  }
  return bad;
}

/* The buffers of set "set" rewritten with the contents bs, the chain built on them. */
static void prepare(int set, const struct buf *bs) {
  cur = places[set];
  for (int b = 0; b < NBUF; b++) memcpy(DATA(b), bs[b].init, bs[b].len);
  chain = (bx_fused_ker_spec *)DATA(NBUF);
  build_chain();
}

int main(int argc, char **argv) {
  const bx_kernel_desc *k = find_kernel(argc, argv);
  if (k == NULL) return 2;
  if (k->mr != MR || k->nr != NR) {
    fprintf(stderr, "%s has a %ux%u tile; this repro was generated for %dx%d\n", KERNEL_NAME, (unsigned)k->mr, (unsigned)k->nr, MR, NR);
    return 2;
  }
  if (k->is_supported_here != NULL) {
    char why[256] = "";
    if (!k->is_supported_here(why, sizeof why)) { fprintf(stderr, "%s does not run here: %s\n", KERNEL_NAME, why); return 2; }
  }
  for (int set = 0; set <= MOVED; set++)
    for (int b = 0; b <= NBUF; b++) {
      int failed = b < NBUF ? place_buffer(&places[set][b], bufs[b].name, bufs[b].len) : place_buffer(&places[set][b], "the chain", (NOPS + 1) * sizeof *chain);
      if (failed) { perror("mmap"); return 2; }
    }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  int bad = 0;
#if PRIOR
  prepare(MOVED, pbufs);
  printf("%s: call 1 of 2 (the earlier call%s) on a %d-op chain\n", KERNEL_NAME, MOVED ? ", the same contents at other addresses" : ", other contents at the same addresses", NOPS);
  fflush(stdout);
  bad += run_call(k, pbufs, "call 1 of 2: ");
#if MOVED
  /* other bytes at the earlier addresses: a pointer kept from call 1 reads other values */
  for (int b = 0; b < NBUF; b++)
    for (size_t i = 0; i < bufs[b].len; i++) DATA(b)[i] = (unsigned char)~DATA(b)[i];
#endif
  prepare(0, bufs);
  printf("%s: call 2 of 2 (judged) on a %d-op chain\n", KERNEL_NAME, NOPS);
  fflush(stdout);
  bad += run_call(k, bufs, ""); /* the judged call: its cells as the gate prints them */
#else
  prepare(0, bufs);
  printf("%s: calling the kernel on a %d-op chain\n", KERNEL_NAME, NOPS);
  fflush(stdout);
  bad += run_call(k, bufs, "");
#endif
  if (bad) { printf("MISMATCH: %s disagrees with the oracle (%d cell(s) differ)\n", KERNEL_NAME, cells_total); return 1; }
  printf("OK: %s agrees with the oracle on this tile%s\n", KERNEL_NAME, PRIOR ? " (both calls)" : "");
  return 0;
}
`;

/** Writes the repro of a failure next to its fixture (same name, .repro.c), whole or not at
 *  all; returns its path and commands. For a frame-level case the tile is the first one that
 *  fails alone. Throws a FileError (path and errno) when it cannot be written. */
export async function writeRepro(
  target: { kernel: KernelDesc; backend: ProvidedBackend },
  c: Case,
  o: Omit<ReproOptions, 'tile' | 'note'> & { fixture: string },
): Promise<{ path: string; build: string; run: string; note?: string }> {
  let note: string | undefined;
  let tile: [number, number] | undefined;
  if (c.level === 'frame') {
    tile = await findFailingTile(target.backend, target.kernel, c, o.verdict, undefined, o.timeout);
    if (!tile) {
      tile = tileOfFailure(c, target.kernel, o.verdict);
      note = `note: every tile of this case passes when called alone: the failure needs the frame around it; this repro (tile ${tile[0]}, ${tile[1]}) may pass`;
    }
  }
  if (o.verdict && !o.verdict.ok && o.verdict.stale?.call === 1) {
    note = 'note: the gate saw call 1 (the earlier call) fail on state the kernel kept from an earlier request; this repro starts in a fresh process and may pass';
  }
  if (o.verdict?.outcome === 'abi_violation') {
    const regs = o.verdict.items.map((i) => i.what).join(', ');
    note = `note: this repro compares values only: the calling-convention break (${regs}) is seen by the gate's checked call (native/core/abi_call.h); in gdb, compare ${regs} before and after the kernel call`;
  }
  const path = o.fixture.replace(/\.json$/, '') + '.repro.c';
  const r = reproSource(c, target.kernel, { ...o, backend: o.backend ?? target.backend, tile, note }, path);
  writeWhole(path, r.text);
  return { path, build: r.build, run: r.run, note };
}
