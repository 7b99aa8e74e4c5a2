/*
 * arm64_selftest.c — development self-test of the aarch64 kernels (arm64_*), run under
 * qemu-aarch64 -cpu max,sme-default-vector-length=64.
 *
 * For every built-in kernel it runs thousands of random fused chains bit-exactly against an
 * independent scalar reference (int64 / __int128, written from docs/semantics.md), with operands
 * packed by its own packer (docs/packing.md). Not a substitute for the gate (TypeScript
 * fast-check vs the bigint oracle): a fast local check while writing assembly.
 *
 *  * Reads: every operand the kernel only reads (packed panels, per-row/col vectors, tiles,
 *    AddUnicast sources) ends exactly at a PROT_NONE page, so a read past its end faults.
 *  * Writes: every Store target is a buffer with 64 random canary bytes either side of the
 *    addressed span (plus the holes of strided layouts); the reference writes the same bytes
 *    into a copy, and the whole buffers, canaries included, must be identical.
 *  * Biases: -128 runs aligned on k pairs / quads in both operands, i32::MIN/MAX/+-1/0,
 *    exact ties of the rounding op being applied (shift chosen from the current accumulator),
 *    negative mult, operands beyond i16, garbage in every unused payload byte (bytes 12..15
 *    of a Scalar, 28..31 of QScale, unused words), strided / negative / zero strides,
 *    misaligned bases, item sizes 1/2/4, k in 0..300 with every residue, several AddMatMul and
 *    Store per chain, Clear / LoadTile mid-chain, unsupported ops (LeakyRelu on SME, bad
 *    tags) that must return 1 with nothing after them executed.
 *
 * usage: arm64-selftest [--cases N] [--seed S] [--kernel NAME] [--force] [--bench]
 *        arm64-selftest --supported      (is_supported_here() of every kernel, then exit 0)
 * The last line is "N passed, N failed" (cases).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bitexact/kernel.h"

const bx_kernel_desc *const *bx_builtin_kernels(size_t *count);

#define MAXOPS 24
#define MAXT 32

/* ---------------------------------------------------------------------------------------- */
/* random numbers                                                                            */
static uint64_t rng_s;
static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng_s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static uint32_t rn(uint32_t n) { return n ? (uint32_t)(rnd() % n) : 0; }
static int chance(int pct) { return (int)rn(100) < pct; }

static int32_t gen_i32(void) {
  switch (rn(14)) {
  case 0: return 0;
  case 1: return chance(50) ? 1 : -1;
  case 2: return INT32_MIN;
  case 3: return INT32_MAX;
  case 4: return chance(50) ? INT32_MIN + 1 : INT32_MAX - 1;
  case 5: { int32_t v = (int32_t)(1u << rn(31)); return chance(50) ? v : -v; }
  case 6: { int32_t v = (int32_t)((1u << rn(31)) + (chance(50) ? 1 : -1)); return chance(50) ? v : (int32_t)(0u - (uint32_t)v); }
  case 7: case 8: return (int32_t)(uint32_t)rnd();
  case 9: case 10: return (int32_t)rn(601) - 300;
  case 11: { static const int32_t b[] = {32767, -32768, 32768, -32769, 65535, 65536, 40000, -40000, 46341, -46341};
    return b[rn(10)]; }
  case 12: return (int32_t)rn(2000001) - 1000000;
  default: return (int32_t)(uint32_t)(rnd() >> rn(32));
  }
}

/* a value that is an exact tie for a right shift by s (odd multiple of 2^(s-1)) */
static int32_t gen_tie(int s) {
  int64_t unit = (int64_t)1 << (s - 1);
  int64_t maxm = (INT64_C(0x7fffffff) / unit - 1) / 2; /* (2m+1)*unit <= i32::MAX */
  int64_t m = maxm > 0 ? (int64_t)(rnd() % (uint64_t)(maxm + 1)) : 0;
  if (chance(30)) m = (int64_t)rn(4);
  int64_t v = (2 * m + 1) * unit;
  if (chance(50)) v = -v;
  if (s == 32) return INT32_MIN;
  return (int32_t)v;
}

/* ---------------------------------------------------------------------------------------- */
/* memory: read-only operands end at a guard page; everything is freed at the end of a case  */
static size_t page;
typedef struct { void *base; size_t len; } mapping;
static mapping maps[256];
static int nmaps;
static void *heap_ptrs[256];
static int nheap;

static void *ro_alloc(size_t n) { /* n bytes ending exactly at a PROT_NONE page */
  size_t body = (n + page - 1) / page * page;
  if (body == 0) body = page;
  size_t len = body + page;
  uint8_t *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (b == MAP_FAILED) { perror("mmap"); exit(2); }
  if (mprotect(b + body, page, PROT_NONE)) { perror("mprotect"); exit(2); }
  maps[nmaps].base = b;
  maps[nmaps].len = len;
  nmaps++;
  uint8_t *p = b + body - n;
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
  return p;
}
static void *heap_alloc(size_t n) {
  void *p = malloc(n ? n : 1);
  heap_ptrs[nheap++] = p;
  return p;
}
static void free_case_memory(void) {
  for (int i = 0; i < nmaps; i++) munmap(maps[i].base, maps[i].len);
  for (int i = 0; i < nheap; i++) free(heap_ptrs[i]);
  nmaps = nheap = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* the reference (docs/semantics.md), independent of the kernels                                */
static int32_t wrap32(int64_t v) { return (int32_t)(uint32_t)(uint64_t)v; }

static __int128 round_mag(__int128 v, int s, int policy) {
  if (s <= 0) return v << -s;
  __int128 a = v < 0 ? -v : v;
  __int128 half = (__int128)1 << (s - 1);
  __int128 t = a >> s;
  __int128 nudge;
  switch (policy) {
  case BX_ROUND_ZERO: nudge = -1; break;
  case BX_ROUND_AWAY: nudge = 0; break;
  case BX_ROUND_MINUS_INF: nudge = v >= 0 ? -1 : 0; break;
  case BX_ROUND_PLUS_INF: nudge = v <= 0 ? -1 : 0; break;
  case BX_ROUND_EVEN: nudge = (t & 1) - 1; break;
  case BX_ROUND_ODD: nudge = -(t & 1); break;
  default: abort();
  }
  __int128 r = (a + half + nudge) >> s;
  return v < 0 ? -r : r;
}

static int32_t binop(int which, int32_t acc, int32_t x) {
  switch (which) {
  case 0: return x < acc ? x : acc;
  case 1: return x > acc ? x : acc;
  case 2: return wrap32((int64_t)acc + x);
  case 3: return wrap32((int64_t)acc * x);
  case 4: return wrap32((int64_t)x - acc);
  case 5: return wrap32((int64_t)acc - x);
  }
  abort();
}

typedef struct {
  /* Store targets: the kernel writes kbuf, the reference rbuf (same layout, same canaries) */
  uint8_t *kbuf, *rbuf;
  size_t len;
  /* AddMatMul: logical operands */
  int k;
  const int8_t *A; /* mr x k, row-major */
  const int8_t *B; /* k x nr, row-major */
} aux_t;

typedef struct {
  const bx_kernel_desc *d;
  int mr, nr;
  bx_fused_ker_spec ops[MAXOPS + 1];
  aux_t aux[MAXOPS];
  int nops;
  int32_t acc[MAXT * MAXT]; /* reference accumulator while generating */
  int stopped;              /* the reference met an unsupported op: rc 1, nothing after runs */
} case_t;

static int kernel_supports(const case_t *c, uintptr_t tag) {
  return tag < 64 && (c->d->supported_ops >> tag) & 1;
}

/* apply ops[idx] to the reference accumulator */
static void ref_apply(case_t *c, int idx) {
  const bx_fused_ker_spec *op = &c->ops[idx];
  const aux_t *ax = &c->aux[idx];
  int mr = c->mr, nr = c->nr;
  int32_t *acc = c->acc;
  if (c->stopped) return;
  if (!kernel_supports(c, op->tag)) { c->stopped = 1; return; }
  uintptr_t tag = op->tag;
  if (tag == BX_CLEAR) {
    memset(acc, 0, sizeof(int32_t) * mr * nr);
  } else if (tag == BX_LOAD_TILE) {
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) {
        acc[i * nr + j] = op->u.load_tile.row_major[i * nr + j];
        if (op->u.load_tile.col_major[j * mr + i] != acc[i * nr + j]) abort();
      }
  } else if (tag >= BX_SCALAR_MIN && tag <= BX_SCALAR_SUBF) {
    int32_t x;
    memcpy(&x, (const uint8_t *)op + 8, 4); /* bytes 8..11 only */
    for (int e = 0; e < mr * nr; e++) acc[e] = binop((int)(tag - BX_SCALAR_MIN), acc[e], x);
  } else if (tag == BX_LEAKY_RELU) {
    int32_t alpha;
    memcpy(&alpha, (const uint8_t *)op + 8, 4);
    for (int e = 0; e < mr * nr; e++) acc[e] = acc[e] > 0 ? acc[e] : wrap32((int64_t)alpha * acc[e]);
  } else if (tag >= BX_PER_ROW_MIN && tag <= BX_PER_ROW_SUBF) {
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++)
        acc[i * nr + j] = binop((int)(tag - BX_PER_ROW_MIN), acc[i * nr + j], op->u.per_vec[i]);
  } else if (tag >= BX_PER_COL_MIN && tag <= BX_PER_COL_SUBF) {
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++)
        acc[i * nr + j] = binop((int)(tag - BX_PER_COL_MIN), acc[i * nr + j], op->u.per_vec[j]);
  } else if (tag == BX_Q_SCALE) {
    int s = (int)op->u.q_scale.shift + 31;
    int32_t mult;
    memcpy(&mult, (const uint8_t *)op + 24, 4);
    for (int e = 0; e < mr * nr; e++)
      acc[e] = wrap32((int64_t)round_mag((__int128)mult * acc[e], s, (int)op->u.q_scale.policy));
  } else if (tag == BX_ROUNDING_SHIFT_RIGHT) {
    for (int e = 0; e < mr * nr; e++)
      acc[e] = (int32_t)round_mag(acc[e], (int)op->u.rounding_shift_right.shift,
                                  (int)op->u.rounding_shift_right.policy);
  } else if (tag == BX_SHIFT_LEFT) {
    for (int e = 0; e < mr * nr; e++) acc[e] = (int32_t)((uint32_t)acc[e] << op->u.shift_left);
  } else if (tag == BX_ADD_UNICAST) {
    const bx_output_store *s = &op->u.store;
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) {
        const uint8_t *p = (const uint8_t *)s->ptr + i * s->row_byte_stride + j * s->col_byte_stride;
        int32_t v;
        if (s->item_size == 1) v = (int8_t)p[0];
        else memcpy(&v, p, 4);
        acc[i * nr + j] = wrap32((int64_t)acc[i * nr + j] + v);
      }
  } else if (tag == BX_ADD_ROW_COL_PRODUCTS) {
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++)
        acc[i * nr + j] = wrap32((int64_t)acc[i * nr + j] +
                                 (int64_t)op->u.row_col.rows[i] * op->u.row_col.cols[j]);
  } else if (tag == BX_STORE) {
    const bx_output_store *s = &op->u.store;
    uint8_t *base = ax->rbuf + ((uint8_t *)s->ptr - ax->kbuf);
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) {
        uint8_t *p = base + i * s->row_byte_stride + j * s->col_byte_stride;
        uint32_t v = (uint32_t)acc[i * nr + j];
        for (uintptr_t b = 0; b < s->item_size; b++) p[b] = (uint8_t)(v >> (8 * b));
      }
  } else if (tag == BX_ADD_MAT_MUL) {
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) {
        int64_t sum = 0;
        for (int kk = 0; kk < ax->k; kk++) sum += (int64_t)ax->A[i * ax->k + kk] * ax->B[kk * nr + j];
        acc[i * nr + j] = wrap32((int64_t)acc[i * nr + j] + sum);
      }
  } else {
    abort();
  }
}

/* ---------------------------------------------------------------------------------------- */
/* packing (docs/packing.md), written from the formulas                                       */
static const uint8_t *pack_operand(const bx_pack_format *f, int r, int k, const int8_t *m,
                                   int is_b, int nr_or_k) {
  /* m: A = r x k row-major (is_b = 0), B = k x r row-major (is_b = 1); one full panel */
  (void)nr_or_k;
  size_t panel_len;
  uint8_t *p;
  if (f->kind == BX_PACK_FORMAT) {
    size_t raw = (size_t)(k + f->end_padding_record) * r;
    panel_len = (raw + f->align - 1) / f->align * f->align;
    p = ro_alloc(panel_len);
    /* padding (end record, alignment tail): zero, or garbage in 1 case of 3 — this kernel
     * must never let it matter */
    if (!chance(33)) memset(p, 0, panel_len);
    for (int kk = 0; kk < k; kk++)
      for (int mn = 0; mn < r; mn++)
        p[(size_t)kk * r + mn] = (uint8_t)(is_b ? m[kk * r + mn] : m[mn * k + kk]);
  } else {
    size_t kp = (size_t)(k + 3) / 4 * 4;
    panel_len = kp * r;
    p = ro_alloc(panel_len);
    memset(p, 0, panel_len); /* the zero K tail is part of the format */
    for (int kk = 0; kk < k; kk++)
      for (int mn = 0; mn < r; mn++)
        p[(size_t)(kk / 4) * 4 * r + (size_t)mn * 4 + kk % 4] = (uint8_t)(is_b ? m[kk * r + mn] : m[mn * k + kk]);
  }
  return p;
}

/* ---------------------------------------------------------------------------------------- */
/* generator                                                                                 */
static void garbage(bx_fused_ker_spec *op, uintptr_t tag) {
  op->tag = tag;
  for (int w = 0; w < 4; w++) op->u.raw[w] = rnd();
}

static int gen_k(void) {
  switch (rn(5)) {
  case 0: return (int)rn(9);
  case 1: return (int)rn(41);
  case 2: return (int)rn(301);
  case 3: return (int)(4 * rn(20) + rn(4));
  default: return (int)(16 * rn(8) + rn(16));
  }
}

static void gen_i8_operands(int mr, int nr, int k, int8_t *A, int8_t *B) {
  int mode = (int)rn(7);
  uint8_t gmask[80]; /* per aligned k group (pair or quad): -128 in both operands */
  int g = chance(50) ? 2 : 4;
  for (int i = 0; i < 80; i++) gmask[i] = (uint8_t)chance(50);
  for (int side = 0; side < 2; side++) {
    int8_t *M = side ? B : A;
    int n = side ? nr : mr;
    for (int kk = 0; kk < k; kk++)
      for (int mn = 0; mn < n; mn++) {
        int8_t v;
        switch (mode) {
        case 0: v = (int8_t)rnd(); break;
        case 1: v = -128; break;
        case 2: v = gmask[(kk / g) % 80] ? -128 : (int8_t)rnd(); break;
        case 3: { static const int8_t e[] = {-128, 127, -127, 0, -1, 1}; v = e[rn(6)]; break; }
        case 4: v = (int8_t)((int)rn(7) - 3); break;
        case 5: v = chance(50) ? -128 : (int8_t)rnd(); break;
        default: v = gmask[(kk / g) % 80] ? (chance(80) ? -128 : 127) : (int8_t)rnd(); break;
        }
        if (side) M[kk * nr + mn] = v;
        else M[mn * k + kk] = v;
      }
  }
}

typedef struct { intptr_t rs, cs; intptr_t off_min, off_max; } layout_t;

static layout_t gen_layout(int mr, int nr, int item, int allow_zero) {
  layout_t L;
  intptr_t rs, cs;
  switch (rn(allow_zero ? 7 : 5)) {
  case 0: case 1: cs = item; rs = (intptr_t)nr * item; break;              /* row-major */
  case 2: rs = item; cs = (intptr_t)mr * item; break;                      /* col-major */
  case 3: cs = item * (1 + rn(3)); rs = nr * cs + item * rn(6); break;     /* strided, row outer */
  case 4: rs = item * (1 + rn(3)); cs = mr * rs + item * rn(6); break;     /* strided, col outer */
  case 5: rs = chance(50) ? 0 : (intptr_t)nr * item; cs = rs ? 0 : item * (1 + rn(2)); break;
  default: rs = 0; cs = 0; break;                                          /* broadcast */
  }
  if (chance(30)) rs = -rs;
  if (chance(30)) cs = -cs;
  L.rs = rs;
  L.cs = cs;
  L.off_min = (rs < 0 ? (mr - 1) * rs : 0) + (cs < 0 ? (nr - 1) * cs : 0);
  L.off_max = (rs > 0 ? (mr - 1) * rs : 0) + (cs > 0 ? (nr - 1) * cs : 0) + item;
  return L;
}

static uint64_t garbage_word(uint64_t low, int bits) { /* keep `bits` low bits, garbage above */
  if (bits >= 64) return low;
  return (rnd() << bits) | (low & ((UINT64_C(1) << bits) - 1));
}

static int gen_op(case_t *c, int idx, int final_store) {
  bx_fused_ker_spec *op = &c->ops[idx];
  aux_t *ax = &c->aux[idx];
  int mr = c->mr, nr = c->nr;
  memset(ax, 0, sizeof *ax);
  int pick = final_store ? 100 : (int)rn(100);
  if (pick < 4) {
    garbage(op, BX_CLEAR);
  } else if (pick < 9) {
    garbage(op, BX_LOAD_TILE);
    int32_t *rm = ro_alloc(sizeof(int32_t) * mr * nr);
    int32_t *cm = ro_alloc(sizeof(int32_t) * mr * nr);
    int tie_s = 1 + (int)rn(31);
    int mode = (int)rn(3);
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) {
        int32_t v = mode == 0 ? gen_i32() : mode == 1 ? gen_tie(tie_s) : (chance(50) ? gen_tie(tie_s) : gen_i32());
        rm[i * nr + j] = v;
        cm[j * mr + i] = v;
      }
    op->u.load_tile.col_major = cm;
    op->u.load_tile.row_major = rm;
  } else if (pick < 19) {
    garbage(op, BX_SCALAR_MIN + rn(6));
    op->u.scalar.x = gen_i32(); /* bytes 12..15 keep their garbage */
  } else if (pick < 22) {
    garbage(op, BX_LEAKY_RELU);
    static const int32_t al[] = {0, 1, -1, 5, -7, 65536, INT32_MIN, INT32_MAX, 3};
    op->u.scalar.x = chance(50) ? al[rn(9)] : gen_i32();
  } else if (pick < 32) {
    int per_row = chance(50);
    garbage(op, (per_row ? BX_PER_ROW_MIN : BX_PER_COL_MIN) + rn(6));
    int n = per_row ? mr : nr;
    int32_t *v = ro_alloc(sizeof(int32_t) * n);
    for (int i = 0; i < n; i++) v[i] = gen_i32();
    op->u.per_vec = v;
  } else if (pick < 42) {
    garbage(op, BX_Q_SCALE);
    int32_t mult;
    switch (rn(5)) {
    case 0: mult = gen_i32(); break;
    case 1: mult = (int32_t)((1u << 30) + rn(1u << 30)); break; /* Scaler::new range */
    case 2: { int32_t v = (int32_t)(1u << rn(31)); mult = chance(50) ? v : -v; break; }
    case 3: mult = -(int32_t)((1u << 30) + rn(1u << 30)); break;
    default: mult = (int32_t)(uint32_t)rnd(); break;
    }
    int s;
    int32_t sample = c->acc[rn((uint32_t)(mr * nr))];
    int64_t prod = (int64_t)mult * sample;
    if (chance(50) && prod != 0) {
      s = __builtin_ctzll((uint64_t)prod) + 1; /* exact tie for this element */
      if (s > 63) s = 63;
    } else {
      s = chance(20) ? 0 : chance(50) ? 31 + (int)rn(33) - 16 : (int)rn(64);
    }
    if (s < 0) s = 0;
    op->u.q_scale.shift = s - 31;
    op->u.q_scale.policy = 1 + rn(6);
    op->u.raw[2] = garbage_word((uint32_t)mult, 32); /* bytes 28..31 garbage */
  } else if (pick < 52) {
    garbage(op, BX_ROUNDING_SHIFT_RIGHT);
    int32_t sample = c->acc[rn((uint32_t)(mr * nr))];
    int s;
    if (chance(50) && sample != 0 && __builtin_ctz((uint32_t)sample) < 31)
      s = __builtin_ctz((uint32_t)sample) + 1;
    else
      s = 1 + (int)rn(31);
    op->u.rounding_shift_right.shift = (uintptr_t)s;
    op->u.rounding_shift_right.policy = 1 + rn(6);
  } else if (pick < 57) {
    garbage(op, BX_SHIFT_LEFT);
    op->u.shift_left = chance(30) ? rn(3) : rn(32);
  } else if (pick < 64) {
    garbage(op, BX_ADD_UNICAST);
    int item = chance(50) ? 1 : 4;
    layout_t L = gen_layout(mr, nr, item, 1);
    size_t mis = chance(20) ? rn(4) : 0;
    size_t span = (size_t)(L.off_max - L.off_min);
    uint8_t *buf = ro_alloc(span + mis);
    op->u.store.ptr = buf + mis - L.off_min;
    op->u.store.row_byte_stride = L.rs;
    op->u.store.col_byte_stride = L.cs;
    op->u.store.item_size = (uintptr_t)item;
  } else if (pick < 70) {
    garbage(op, BX_ADD_ROW_COL_PRODUCTS);
    int32_t *r = ro_alloc(sizeof(int32_t) * mr);
    int32_t *cc = ro_alloc(sizeof(int32_t) * nr);
    for (int i = 0; i < mr; i++) r[i] = gen_i32();
    for (int j = 0; j < nr; j++) cc[j] = gen_i32();
    op->u.row_col.rows = r;
    op->u.row_col.cols = cc;
  } else if (pick < 84) {
    garbage(op, BX_ADD_MAT_MUL);
    const bx_packing *pk = &c->d->packings[0];
    int k = gen_k();
    int8_t *A = heap_alloc((size_t)mr * k);
    int8_t *B = heap_alloc((size_t)k * nr);
    gen_i8_operands(mr, nr, k, A, B);
    ax->k = k;
    ax->A = A;
    ax->B = B;
    op->u.add_mat_mul.k = (uintptr_t)k;
    op->u.add_mat_mul.pa = pack_operand(&pk->a, mr, k, A, 0, 0);
    op->u.add_mat_mul.pb = pack_operand(&pk->b, nr, k, B, 1, 0);
    op->u.add_mat_mul.packing = 0;
  } else if (pick < 99 || final_store) {
    garbage(op, BX_STORE);
    static const int items[] = {1, 2, 4, 4};
    int item = items[rn(4)];
    layout_t L = gen_layout(mr, nr, item, 0);
    size_t mis = chance(20) ? rn(4) : 0;
    size_t span = (size_t)(L.off_max - L.off_min);
    size_t len = 64 + mis + span + 64;
    uint8_t *kb = heap_alloc(len), *rb = heap_alloc(len);
    for (size_t i = 0; i < len; i++) kb[i] = (uint8_t)rnd();
    memcpy(rb, kb, len);
    ax->kbuf = kb;
    ax->rbuf = rb;
    ax->len = len;
    op->u.store.ptr = kb + 64 + mis - L.off_min;
    op->u.store.row_byte_stride = L.rs;
    op->u.store.col_byte_stride = L.cs;
    op->u.store.item_size = (uintptr_t)item;
  } else {
    /* a tag no kernel implements: must return 1 at once */
    static const uintptr_t bad[] = {29, 30, 63, 64, 1000, UINT64_MAX};
    garbage(op, bad[rn(6)]);
  }
  return 0;
}

static void gen_case(case_t *c) {
  int n = 1 + (int)rn(chance(20) ? MAXOPS - 1 : 10);
  c->nops = 0;
  c->stopped = 0;
  for (int e = 0; e < c->mr * c->nr; e++) c->acc[e] = 0;
  /* start from Clear or LoadTile (the accumulator's initial content is undefined) */
  for (int i = 0; i < n; i++) {
    int final_store = (i == n - 1);
    for (;;) {
      gen_op(c, i, final_store);
      if (i == 0 && c->ops[0].tag != BX_CLEAR && c->ops[0].tag != BX_LOAD_TILE) {
        garbage(&c->ops[0], chance(70) ? BX_CLEAR : BX_CLEAR);
        if (chance(40)) {
          gen_op(c, 0, 0);
          if (c->ops[0].tag != BX_LOAD_TILE) garbage(&c->ops[0], BX_CLEAR);
        }
      }
      break;
    }
    ref_apply(c, i);
    c->nops++;
  }
  garbage(&c->ops[c->nops], BX_DONE);
}

/* ---------------------------------------------------------------------------------------- */
static const char *tag_name(uintptr_t t) {
  const char *name = bx_op_tract_name(t);
  return name ? name : "(bad tag)";
}

static void dump_case(const case_t *c) {
  for (int i = 0; i <= c->nops; i++) {
    const bx_fused_ker_spec *op = &c->ops[i];
    fprintf(stderr, "    %2d %-18s", i, tag_name(op->tag));
    switch (op->tag) {
    case BX_Q_SCALE: fprintf(stderr, " shift=%" PRIdPTR " policy=%" PRIuPTR " mult=%d", op->u.q_scale.shift, op->u.q_scale.policy, op->u.q_scale.mult); break;
    case BX_ROUNDING_SHIFT_RIGHT: fprintf(stderr, " shift=%" PRIuPTR " policy=%" PRIuPTR, op->u.rounding_shift_right.shift, op->u.rounding_shift_right.policy); break;
    case BX_SHIFT_LEFT: fprintf(stderr, " shift=%" PRIuPTR, op->u.shift_left); break;
    case BX_STORE: case BX_ADD_UNICAST: fprintf(stderr, " rs=%" PRIdPTR " cs=%" PRIdPTR " item=%" PRIuPTR, op->u.store.row_byte_stride, op->u.store.col_byte_stride, op->u.store.item_size); break;
    case BX_ADD_MAT_MUL: fprintf(stderr, " k=%" PRIuPTR, op->u.add_mat_mul.k); break;
    default:
      if (op->tag >= BX_SCALAR_MIN && op->tag <= BX_LEAKY_RELU) fprintf(stderr, " x=%d (hi bytes %08x)", op->u.scalar.x, op->u.scalar.undefined_hi);
    }
    fprintf(stderr, "\n");
  }
}

/* runs one case; returns 1 on success */
static int run_case(case_t *c, uint64_t case_seed, int verbose) {
  intptr_t rc = c->d->kernel(c->ops);
  intptr_t want = c->stopped ? 1 : 0;
  int ok = rc == want;
  if (!ok && verbose) fprintf(stderr, "  rc = %" PRIdPTR ", expected %" PRIdPTR "\n", rc, want);
  for (int i = 0; i < c->nops; i++) {
    if (c->ops[i].tag != BX_STORE) continue;
    const aux_t *ax = &c->aux[i];
    if (memcmp(ax->kbuf, ax->rbuf, ax->len) == 0) continue;
    if (ok && verbose) {
      const bx_output_store *s = &c->ops[i].u.store;
      intptr_t base = (uint8_t *)s->ptr - ax->kbuf;
      int shown = 0;
      for (size_t b = 0; b < ax->len && shown < 8; b++)
        if (ax->kbuf[b] != ax->rbuf[b]) {
          /* locate the element */
          int fi = -1, fj = -1;
          for (int ii = 0; ii < c->mr && fi < 0; ii++)
            for (int jj = 0; jj < c->nr; jj++) {
              intptr_t o = base + ii * s->row_byte_stride + jj * s->col_byte_stride;
              if ((intptr_t)b >= o && (intptr_t)b < o + (intptr_t)s->item_size) { fi = ii; fj = jj; break; }
            }
          fprintf(stderr, "  store op %d: byte %zu (element %d,%d%s): kernel %02x, reference %02x\n", i, b, fi, fj,
                  fi < 0 ? " = canary / hole" : "", ax->kbuf[b], ax->rbuf[b]);
          shown++;
        }
    }
    ok = 0;
  }
  if (!ok && verbose) {
    fprintf(stderr, "FAIL %s case seed 0x%016" PRIx64 "\n", c->d->name, case_seed);
    dump_case(c);
  }
  return ok;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void bench(const bx_kernel_desc *d) {
  /* matmul throughput under emulation: Clear, AddMatMul(k = 1024), Done, repeated */
  int mr = (int)d->mr, nr = (int)d->nr, k = 1024;
  int8_t *A = heap_alloc((size_t)mr * k), *B = heap_alloc((size_t)k * nr);
  for (int i = 0; i < mr * k; i++) A[i] = (int8_t)rnd();
  for (int i = 0; i < k * nr; i++) B[i] = (int8_t)rnd();
  bx_fused_ker_spec ops[4];
  memset(ops, 0, sizeof ops);
  ops[0].tag = BX_CLEAR;
  ops[1].tag = BX_ADD_MAT_MUL;
  ops[1].u.add_mat_mul.k = (uintptr_t)k;
  ops[1].u.add_mat_mul.pa = pack_operand(&d->packings[0].a, mr, k, A, 0, 0);
  ops[1].u.add_mat_mul.pb = pack_operand(&d->packings[0].b, nr, k, B, 1, 0);
  ops[2].tag = BX_DONE;
  int reps = 0;
  double t0 = now(), t;
  do {
    for (int i = 0; i < 10; i++) d->kernel(ops);
    reps += 10;
    t = now() - t0;
  } while (t < 1.0);
  double ops_count = 2.0 * mr * nr * k * reps;
  printf("  bench %-26s %8.3f GOPS (int8 MAC = 2 ops) under this CPU/emulator\n", d->name, ops_count / t / 1e9);
  free_case_memory();
}

int main(int argc, char **argv) {
  long cases = 3000;
  uint64_t seed = 0x5EED0001;
  const char *only = NULL;
  int force = 0, do_bench = 0, supported_only = 0;
  uint64_t one_case = 0;
  int have_one_case = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--cases") && i + 1 < argc) cases = strtol(argv[++i], NULL, 0);
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
    else if (!strcmp(argv[i], "--kernel") && i + 1 < argc) only = argv[++i];
    else if (!strcmp(argv[i], "--case") && i + 1 < argc) { one_case = strtoull(argv[++i], NULL, 0); have_one_case = 1; }
    else if (!strcmp(argv[i], "--force")) force = 1;
    else if (!strcmp(argv[i], "--bench")) do_bench = 1;
    else if (!strcmp(argv[i], "--supported")) supported_only = 1;
    else { fprintf(stderr, "usage: %s [--cases N] [--seed S] [--kernel NAME] [--case SEED] [--force] [--bench] [--supported]\n", argv[0]); return 2; }
  }
  setvbuf(stdout, NULL, _IOLBF, 0); /* progress visible when redirected */
  page = (size_t)sysconf(_SC_PAGESIZE);
  size_t nk;
  const bx_kernel_desc *const *ks = bx_builtin_kernels(&nk);
  long passed = 0, failed = 0;
  for (size_t ki = 0; ki < nk; ki++) {
    const bx_kernel_desc *d = ks[ki];
    char why[256] = "";
    int sup = d->is_supported_here(why, sizeof why);
    printf("%-26s isa=%-8s %ux%u  is_supported_here=%d  (%s)\n", d->name, d->isa, d->mr, d->nr, sup, why);
    if (supported_only) continue;
    if (only && strcmp(only, d->name)) continue;
    if (!sup && !force) { printf("  skipped (not supported here)\n"); continue; }
    case_t *c = calloc(1, sizeof *c);
    c->d = d;
    c->mr = (int)d->mr;
    c->nr = (int)d->nr;
    long kp = 0, kf = 0;
    long tag_count[32] = {0};
    double t0 = now();
    for (long n = 0; n < (have_one_case ? 1 : cases); n++) {
      uint64_t cs = have_one_case ? one_case : seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(n + 1)) ^ ((uint64_t)ki << 56);
      rng_s = cs;
      gen_case(c);
      for (int i = 0; i < c->nops; i++) tag_count[c->ops[i].tag < 29 ? c->ops[i].tag : 29]++;
      if (run_case(c, cs, kf < 3)) kp++;
      else kf++;
      free_case_memory();
    }
    double t = now() - t0;
    printf("  %ld cases: %ld passed, %ld failed  (%.1f cases/s)\n", kp + kf, kp, kf, (kp + kf) / t);
    printf("  ops exercised:");
    for (int tg = 0; tg < 30; tg++) printf(" %s=%ld", tg < 29 ? tag_name((uintptr_t)tg) : "bad", tag_count[tg]);
    printf("\n");
    passed += kp;
    failed += kf;
    if (do_bench) bench(d);
    free(c);
  }
  if (supported_only) return 0;
  printf("%ld passed, %ld failed\n", passed, failed);
  return failed ? 1 : 0;
}
