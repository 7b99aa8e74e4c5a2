/*
 * kernel_selftest.c — developer self-test of the builtin host kernels.
 *
 * Runs thousands of random fused chains on every builtin kernel the CPU supports and compares
 * each Store bit-exactly with an independent scalar reference (int64 / __int128 arithmetic,
 * docs/semantics.md formulas written out literally, its own packer from docs/packing.md). Every
 * Store target carries 64-byte canaries on both sides and its untouched bytes are compared too,
 * so a write outside the tile or a wrong item size is a failure. Operands the kernel only reads
 * (packed panels, AddUnicast sources, vectors) are allocated at their exact size, so an
 * AddressSanitizer build also catches over-reads (e.g. 4-byte loads of 1-byte items).
 *
 * Build and run (see the Makefile next to this file):
 *   make -C native/kernels/selftest selftest     # -O2 -fsanitize=undefined,address, runs the test
 *   make -C native/kernels/selftest bench        # -O2, no sanitizers: 512^3 GOPS per kernel
 * Usage: kernel_selftest [--cases N] [--seed S] [--kernel NAME] [--case N] [--bench] [--verbose]
 * Exit status: 0 when every case matched, 1 on any mismatch (a reproducer line is printed).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitexact/kernel.h"

const bx_kernel_desc *const *bx_builtin_kernels(size_t *count);

/* ---- random numbers (xoshiro256**) ------------------------------------------------------ */

static uint64_t rs_[4];
static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static void rng_seed(uint64_t seed) {
  for (int i = 0; i < 4; ++i) rs_[i] = splitmix(&seed);
}
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t rnd64(void) {
  uint64_t r = rotl(rs_[1] * 5, 7) * 9, t = rs_[1] << 17;
  rs_[2] ^= rs_[0];
  rs_[3] ^= rs_[1];
  rs_[1] ^= rs_[2];
  rs_[0] ^= rs_[3];
  rs_[2] ^= t;
  rs_[3] = rotl(rs_[3], 45);
  return r;
}
static uint32_t rnd32(void) { return (uint32_t)(rnd64() >> 32); }
static uint64_t rndn(uint64_t n) { return n ? rnd64() % n : 0; }
static int chance(unsigned pct) { return rndn(100) < pct; }
static int64_t rnd_range(int64_t lo, int64_t hi) { return lo + (int64_t)rndn((uint64_t)(hi - lo + 1)); }

/* ---- per-case allocations ------------------------------------------------------------------ */

#define ARENA_MAX 8192
static void *arena_[ARENA_MAX];
static int arena_n_;
static void *xalloc(size_t n) { /* exact size: ASan flags any access past it */
  void *p = malloc(n ? n : 1);
  if (!p || arena_n_ == ARENA_MAX) { fprintf(stderr, "out of memory\n"); exit(2); }
  arena_[arena_n_++] = p;
  return p;
}
static void arena_reset(void) {
  while (arena_n_) free(arena_[--arena_n_]);
}
static void fill_random(void *p, size_t n) {
  for (size_t i = 0; i < n; ++i) ((unsigned char *)p)[i] = (unsigned char)rnd64();
}

/* ---- values with the SPEC's generator biases --------------------------------------------- */

static const int32_t SPECIALS[] = {
    0, 1, -1, 2, -2, 3, -3, 5, -5, INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1,
    1 << 30, -(1 << 30), (1 << 30) + 1, -(1 << 30) - 1, 65535, 65536, -65536, -65535, 32767,
    -32768, 32768, -32769, 40000, -40000, 127, -128, 128, -129, 255, 256, 46341, -46341,
    0x55555555, (int32_t)0xAAAAAAAAu, 0x7FFF8000, (int32_t)0x80008000u,
};
#define N_SPECIALS (sizeof SPECIALS / sizeof SPECIALS[0])

static int32_t as_i32(uint32_t u) { return (int32_t)u; }

static int32_t rnd_val(void) {
  switch (rndn(10)) {
  case 0: case 1: case 2: return SPECIALS[rndn(N_SPECIALS)];
  case 3: case 4: return (int32_t)rnd_range(-300, 300);
  case 5: case 6: return as_i32(rnd32());
  case 7: { /* +-2^e + small */
    uint32_t v = (UINT32_C(1) << rndn(32)) + (uint32_t)rnd_range(-2, 2);
    return as_i32(chance(50) ? v : 0u - v);
  }
  default: { /* random magnitude scale */
    uint32_t v = rnd32() >> rndn(32);
    return as_i32(chance(50) ? v : 0u - v);
  }
  }
}

/* An exact tie of RoundingShiftRight(s): an odd multiple of 2^(s-1), |v| < 2^31. */
static int32_t rsr_tie(unsigned s) {
  uint32_t n_odd = UINT32_C(1) << (31 - s); /* odd o < 2^(32-s) */
  uint32_t o = chance(20) ? (chance(50) ? 1 : 2 * n_odd - 1) : (uint32_t)rndn(n_odd) * 2 + 1;
  uint32_t v = o << (s - 1);
  return as_i32(chance(50) ? v : 0u - v);
}

/* Odd multiple of 2^d with |result| <= 2^31 (d <= 31). */
static int32_t odd_times_pow2(unsigned d) {
  if (d == 31) return INT32_MIN;
  uint32_t n_odd = UINT32_C(1) << (30 - d); /* odd o < 2^(31-d) */
  uint32_t o = chance(20) ? (chance(50) ? 1 : 2 * n_odd - 1) : (uint32_t)rndn(n_odd) * 2 + 1;
  uint32_t v = o << d;
  return as_i32(chance(50) ? v : 0u - v);
}

/* ---- the reference (docs/semantics.md, literally, in wide integers) -------------------------- */

static int32_t wrap32(__int128 v) { return as_i32((uint32_t)(unsigned __int128)v); }

static __int128 ref_round(__int128 v, int s, int policy) {
  if (s <= 0) return v * ((__int128)1 << -s);
  __int128 a = v < 0 ? -v : v;
  __int128 half = (__int128)1 << (s - 1);
  __int128 t = a >> s;
  int nudge;
  switch (policy) {
  case BX_ROUND_ZERO: nudge = -1; break;
  case BX_ROUND_AWAY: nudge = 0; break;
  case BX_ROUND_MINUS_INF: nudge = v >= 0 ? -1 : 0; break;
  case BX_ROUND_PLUS_INF: nudge = v <= 0 ? -1 : 0; break;
  case BX_ROUND_EVEN: nudge = (int)(t & 1) - 1; break;
  case BX_ROUND_ODD: nudge = -(int)(t & 1); break;
  default: abort();
  }
  __int128 r = (a + half + nudge) >> s;
  return v < 0 ? -r : v > 0 ? r : 0;
}
static int ref_is_tie(__int128 v, int s) {
  if (s <= 0) return 0;
  __int128 a = v < 0 ? -v : v;
  return (a & (((__int128)1 << s) - 1)) == ((__int128)1 << (s - 1));
}

static int32_t ref_bin(int bin, int32_t acc, int32_t x) {
  switch (bin) {
  case 0: return x < acc ? x : acc;
  case 1: return x > acc ? x : acc;
  case 2: return wrap32((__int128)acc + x);
  case 3: return wrap32((__int128)acc * x);
  case 4: return wrap32((__int128)x - acc);
  default: return wrap32((__int128)acc - x);
  }
}

/* ---- test ops ------------------------------------------------------------------------------- */

typedef struct {
  uintptr_t tag;
  int invalid; /* the kernel must stop here with return 1 */
  int32_t x;
  uint32_t garbage;
  const int32_t *vec, *vec2; /* per_row/per_col; rows/cols; load tile (col, row major) */
  intptr_t q_shift;
  uintptr_t policy, shift;
  int32_t mult;
  /* AddUnicast / Store */
  unsigned char *buf, *ref_buf, *orig_buf;
  size_t buf_len;
  intptr_t base_off, rs, cs;
  uintptr_t item;
  /* AddMatMul */
  size_t k;
  const int8_t *A, *B; /* logical, row-major mr x k and k x nr */
  const void *pa, *pb;
  uintptr_t packing;
  uintptr_t raw_override[5]; /* for invalid entries: the words verbatim */
} TOp;

#define MAX_OPS 40
typedef struct {
  const bx_kernel_desc *kd;
  uint32_t mr, nr;
  TOp ops[MAX_OPS];
  int n;
} Chain;

static const char *const TAG_NAMES[BX_OP_COUNT] = {BX_OP_NAMES_INIT};

/* coverage counters, summed over all kernels */
static uint64_t cov_ops[BX_OP_COUNT], cov_invalid, cov_qs_tie[7], cov_rsr_tie[7], cov_k_mod4[4];
static uint64_t cov_store_path[3][5], cov_unicast_path[3][5]; /* [colmajor/rowmajor/other][item] */

static int32_t *ref_load_tile(const TOp *o, uint32_t mr, uint32_t nr, int32_t *acc) {
  for (uint32_t i = 0; i < mr; ++i)
    for (uint32_t j = 0; j < nr; ++j) acc[i * nr + j] = o->vec[j * mr + i];
  return acc;
}

/* Runs the chain on the reference; Store ops write into ref_buf. Returns the expected rc. */
static int ref_run(Chain *c) {
  const uint32_t mr = c->mr, nr = c->nr;
  int32_t acc[16 * 16];
  memset(acc, 0, sizeof acc);
  for (int n = 0; n < c->n; ++n) {
    TOp *o = &c->ops[n];
    if (o->invalid) { ++cov_invalid; return 1; }
    ++cov_ops[o->tag];
    switch (o->tag) {
    case BX_CLEAR: memset(acc, 0, sizeof acc); break;
    case BX_LOAD_TILE: ref_load_tile(o, mr, nr, acc); break;
    case BX_LEAKY_RELU:
      for (uint32_t e = 0; e < mr * nr; ++e) acc[e] = acc[e] > 0 ? acc[e] : wrap32((__int128)o->x * acc[e]);
      break;
    case BX_Q_SCALE: {
      int s = (int)o->q_shift + 31;
      for (uint32_t e = 0; e < mr * nr; ++e) {
        __int128 v = (__int128)o->mult * acc[e];
        cov_qs_tie[o->policy] += ref_is_tie(v, s);
        acc[e] = wrap32(ref_round(v, s, (int)o->policy));
      }
      break;
    }
    case BX_ROUNDING_SHIFT_RIGHT:
      for (uint32_t e = 0; e < mr * nr; ++e) {
        cov_rsr_tie[o->policy] += ref_is_tie(acc[e], (int)o->shift);
        acc[e] = wrap32(ref_round(acc[e], (int)o->shift, (int)o->policy));
      }
      break;
    case BX_SHIFT_LEFT:
      for (uint32_t e = 0; e < mr * nr; ++e) acc[e] = wrap32((__int128)acc[e] * ((__int128)1 << o->shift));
      break;
    case BX_ADD_UNICAST:
      for (uint32_t i = 0; i < mr; ++i)
        for (uint32_t j = 0; j < nr; ++j) {
          const unsigned char *p = o->orig_buf + o->base_off + (intptr_t)i * o->rs + (intptr_t)j * o->cs;
          int32_t v;
          if (o->item == 1) v = (int8_t)p[0];
          else v = as_i32((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
          acc[i * nr + j] = wrap32((__int128)acc[i * nr + j] + v);
        }
      break;
    case BX_ADD_ROW_COL_PRODUCTS:
      for (uint32_t i = 0; i < mr; ++i)
        for (uint32_t j = 0; j < nr; ++j)
          acc[i * nr + j] = wrap32((__int128)acc[i * nr + j] + (__int128)o->vec[i] * o->vec2[j]);
      break;
    case BX_STORE:
      for (uint32_t i = 0; i < mr; ++i)
        for (uint32_t j = 0; j < nr; ++j) {
          unsigned char *p = o->ref_buf + o->base_off + (intptr_t)i * o->rs + (intptr_t)j * o->cs;
          uint32_t v = (uint32_t)acc[i * nr + j];
          for (uintptr_t b = 0; b < o->item; ++b) p[b] = (unsigned char)(v >> (8 * b)); /* little-endian */
        }
      break;
    case BX_ADD_MAT_MUL:
      ++cov_k_mod4[o->k % 4];
      for (uint32_t i = 0; i < mr; ++i)
        for (uint32_t j = 0; j < nr; ++j) {
          int64_t s = 0;
          for (size_t kk = 0; kk < o->k; ++kk) s += (int64_t)o->A[i * o->k + kk] * o->B[kk * nr + j];
          acc[i * nr + j] = wrap32((__int128)acc[i * nr + j] + s);
        }
      break;
    default:
      if (o->tag >= BX_SCALAR_MIN && o->tag <= BX_SCALAR_SUBF) {
        for (uint32_t e = 0; e < mr * nr; ++e) acc[e] = ref_bin((int)(o->tag - BX_SCALAR_MIN), acc[e], o->x);
      } else if (o->tag >= BX_PER_ROW_MIN && o->tag <= BX_PER_ROW_SUBF) {
        for (uint32_t i = 0; i < mr; ++i)
          for (uint32_t j = 0; j < nr; ++j)
            acc[i * nr + j] = ref_bin((int)(o->tag - BX_PER_ROW_MIN), acc[i * nr + j], o->vec[i]);
      } else if (o->tag >= BX_PER_COL_MIN && o->tag <= BX_PER_COL_SUBF) {
        for (uint32_t i = 0; i < mr; ++i)
          for (uint32_t j = 0; j < nr; ++j)
            acc[i * nr + j] = ref_bin((int)(o->tag - BX_PER_COL_MIN), acc[i * nr + j], o->vec[j]);
      } else {
        abort();
      }
    }
  }
  return 0;
}

/* ---- packing (docs/packing.md) ---------------------------------------------------------------- */

/* Packs one panel (mn = 0..r-1) of a logical operand: A is r x k row-major (element (mn, kk) at
 * mn * k + kk), B is k x r row-major (element (kk, mn) at kk * r + mn). */
static const void *pack_panel(const bx_pack_format *f, const int8_t *m, int is_a, size_t k) {
  const size_t r = f->r;
  if (f->kind == BX_PACK_FORMAT) {
    size_t align = f->align ? f->align : 1;
    size_t len = ((k + f->end_padding_record) * r + align - 1) / align * align;
    int8_t *p = xalloc(len);
    fill_random(p, len); /* the end padding record and the alignment tail: kernels must not use them */
    for (size_t kk = 0; kk < k; ++kk)
      for (size_t mn = 0; mn < r; ++mn) p[kk * r + mn] = is_a ? m[mn * k + kk] : m[kk * r + mn];
    return p;
  } else {
    size_t kp = (k + 3) / 4 * 4, len = kp * r;
    int8_t *p = xalloc(len);
    memset(p, 0, len); /* the K tail is zero: the kernel relies on it */
    for (size_t kk = 0; kk < k; ++kk)
      for (size_t mn = 0; mn < r; ++mn)
        p[(kk / 4) * 4 * r + mn * 4 + kk % 4] = is_a ? m[mn * k + kk] : m[kk * r + mn];
    return p;
  }
}

/* ---- generators --------------------------------------------------------------------------- */

static void gen_i8_matrix(int8_t *m, size_t n) {
  switch (rndn(7)) {
  case 0: memset(m, 0x80, n); return; /* all -128 */
  case 1: /* -128 runs aligned on pairs / quads, over random values */
    fill_random(m, n);
    for (size_t i = 0; i < n;) {
      size_t run = (1 + rndn(3)) * (chance(50) ? 2 : 4);
      size_t start = i / 4 * 4;
      for (size_t t = start; t < start + run && t < n; ++t) m[t] = -128;
      i = start + run + rndn(8);
    }
    return;
  case 2: for (size_t i = 0; i < n; ++i) m[i] = chance(50) ? -128 : 127; return;
  case 3: for (size_t i = 0; i < n; ++i) m[i] = (int8_t)rnd_range(-3, 3); return;
  case 4: for (size_t i = 0; i < n; ++i) m[i] = chance(90) ? 0 : (int8_t)rnd64(); return;
  default: fill_random(m, n); return;
  }
}

static int cmp_intptr(const void *a, const void *b) {
  intptr_t x = *(const intptr_t *)a, y = *(const intptr_t *)b;
  return (x > y) - (x < y);
}
/* mr x nr elements of item bytes at i*rs + j*cs, pairwise disjoint? */
static int disjoint(uint32_t mr, uint32_t nr, intptr_t rs, intptr_t cs, uintptr_t item) {
  intptr_t off[256];
  size_t n = 0;
  for (uint32_t i = 0; i < mr; ++i)
    for (uint32_t j = 0; j < nr; ++j) off[n++] = (intptr_t)i * rs + (intptr_t)j * cs;
  qsort(off, n, sizeof off[0], cmp_intptr);
  for (size_t e = 1; e < n; ++e)
    if (off[e] - off[e - 1] < (intptr_t)item) return 0;
  return 1;
}

static intptr_t rnd_sign(intptr_t v) { return chance(50) ? v : -v; }

static void gen_layout(uint32_t mr, uint32_t nr, uintptr_t item, int allow_overlap, intptr_t *rs, intptr_t *cs) {
  const intptr_t it = (intptr_t)item;
  for (;;) {
    intptr_t pad = chance(50) ? 0 : chance(50) ? (intptr_t)rndn(4) * it : (intptr_t)rndn(7);
    switch (rndn(allow_overlap ? 9 : 7)) {
    case 0: *cs = it; *rs = (intptr_t)nr * it + pad; break;                  /* row-major */
    case 1: *rs = it; *cs = (intptr_t)mr * it + pad; break;                  /* column-major */
    case 2: *cs = it; *rs = rnd_sign((intptr_t)nr * it + pad); break;        /* rows contiguous, +-rs */
    case 3: *rs = it; *cs = rnd_sign((intptr_t)mr * it + pad); break;        /* cols contiguous, +-cs */
    case 4: *cs = -it; *rs = rnd_sign((intptr_t)nr * it + pad); break;       /* reversed rows */
    case 5: { /* strided, possibly unaligned */
      intptr_t step = it * (intptr_t)(1 + rndn(3)) + (chance(30) ? 1 : 0);
      if (chance(50)) { *cs = rnd_sign(step); *rs = rnd_sign((intptr_t)nr * step + pad); }
      else { *rs = rnd_sign(step); *cs = rnd_sign((intptr_t)mr * step + pad); }
      break;
    }
    case 6: /* anything */
      *rs = (intptr_t)rnd_range(-3 * (int64_t)mr * nr * it, 3 * (int64_t)mr * nr * it);
      *cs = (intptr_t)rnd_range(-3 * (int64_t)mr * nr * it, 3 * (int64_t)mr * nr * it);
      break;
    case 7: /* broadcasts (AddUnicast only) */
      *rs = chance(50) ? 0 : rnd_sign((intptr_t)nr * it);
      *cs = chance(50) ? 0 : rnd_sign(it);
      if (chance(30)) *rs = *cs = 0;
      break;
    default: /* small overlapping strides (AddUnicast only) */
      *rs = (intptr_t)rnd_range(-5, 5);
      *cs = (intptr_t)rnd_range(-5, 5);
      break;
    }
    if (allow_overlap || disjoint(mr, nr, *rs, *cs, item)) return;
  }
}

/* Buffer geometry of a layout: span of the addressed bytes, offset of element (0, 0). */
static void layout_span(uint32_t mr, uint32_t nr, intptr_t rs, intptr_t cs, uintptr_t item, size_t *span,
                        intptr_t *off00) {
  intptr_t lo = 0, hi = 0;
  intptr_t corners[4] = {0, (intptr_t)(mr - 1) * rs, (intptr_t)(nr - 1) * cs,
                         (intptr_t)(mr - 1) * rs + (intptr_t)(nr - 1) * cs};
  for (int c = 0; c < 4; ++c) {
    if (corners[c] < lo) lo = corners[c];
    if (corners[c] > hi) hi = corners[c];
  }
  *span = (size_t)(hi - lo) + item;
  *off00 = -lo;
}

#define CANARY 64

static int path_of(intptr_t rs, intptr_t cs, uintptr_t item) {
  return rs == (intptr_t)item ? 0 : cs == (intptr_t)item ? 1 : 2;
}

static void gen_store(Chain *c, TOp *o) {
  static const uintptr_t items[] = {1, 2, 4, 4};
  o->tag = BX_STORE;
  o->item = items[rndn(4)];
  gen_layout(c->mr, c->nr, o->item, 0, &o->rs, &o->cs);
  size_t span;
  layout_span(c->mr, c->nr, o->rs, o->cs, o->item, &span, &o->base_off);
  o->base_off += CANARY;
  o->buf_len = span + 2 * CANARY;
  o->buf = xalloc(o->buf_len);
  o->ref_buf = xalloc(o->buf_len);
  fill_random(o->buf, o->buf_len);
  memcpy(o->ref_buf, o->buf, o->buf_len);
  ++cov_store_path[path_of(o->rs, o->cs, o->item)][o->item];
}

static void gen_unicast(Chain *c, TOp *o) {
  o->tag = BX_ADD_UNICAST;
  o->item = chance(50) ? 1 : 4;
  gen_layout(c->mr, c->nr, o->item, 1, &o->rs, &o->cs);
  size_t span;
  layout_span(c->mr, c->nr, o->rs, o->cs, o->item, &span, &o->base_off);
  o->buf_len = span; /* exact: ASan catches reads past the last element */
  o->buf = xalloc(span);
  o->orig_buf = xalloc(span);
  fill_random(o->buf, span);
  for (uint32_t i = 0; i < c->mr; ++i)
    for (uint32_t j = 0; j < c->nr; ++j) {
      unsigned char *p = o->buf + o->base_off + (intptr_t)i * o->rs + (intptr_t)j * o->cs;
      int32_t v = rnd_val();
      if (o->item == 1) p[0] = (unsigned char)(chance(30) ? 0x80 : chance(30) ? 0xFF : v);
      else memcpy(p, &v, 4);
    }
  memcpy(o->orig_buf, o->buf, span);
  ++cov_unicast_path[path_of(o->rs, o->cs, o->item)][o->item];
}

static int32_t *gen_vec(size_t n) {
  int32_t *v = xalloc(n * 4);
  for (size_t i = 0; i < n; ++i) v[i] = rnd_val();
  return v;
}

/* LoadTile; tie_fn (optional) makes elements that are exact ties of the next rounding op. */
static void gen_load_tile(Chain *c, TOp *o, int tie_kind, unsigned tie_param) {
  const uint32_t mr = c->mr, nr = c->nr;
  int32_t *cm = xalloc(mr * nr * 4), *rm = xalloc(mr * nr * 4);
  for (uint32_t i = 0; i < mr; ++i)
    for (uint32_t j = 0; j < nr; ++j) {
      int32_t v;
      if (tie_kind && chance(70)) v = tie_kind == 1 ? rsr_tie(tie_param) : odd_times_pow2(tie_param);
      else v = rnd_val();
      cm[j * mr + i] = v;
      rm[i * nr + j] = v;
    }
  o->tag = BX_LOAD_TILE;
  o->vec = cm;
  o->vec2 = rm;
}

static void gen_mat_mul(Chain *c, TOp *o) {
  o->tag = BX_ADD_MAT_MUL;
  switch (rndn(5)) {
  case 0: o->k = rndn(17); break;
  case 1: o->k = 0; break;
  default: o->k = rndn(301); break;
  }
  int8_t *a = xalloc(c->mr * o->k), *b = xalloc(o->k * c->nr);
  gen_i8_matrix(a, c->mr * o->k);
  gen_i8_matrix(b, o->k * c->nr);
  o->A = a;
  o->B = b;
  o->packing = rndn(c->kd->n_packings);
  const bx_packing *pk = &c->kd->packings[o->packing];
  o->pa = pack_panel(&pk->a, a, 1, o->k);
  o->pb = pack_panel(&pk->b, b, 0, o->k);
}

/* An entry the kernel must refuse (return 1, nothing after it runs). */
static void gen_invalid(Chain *c, TOp *o) {
  o->invalid = 1;
  for (int w = 0; w < 5; ++w) o->raw_override[w] = rnd64();
  switch (rndn(9)) {
  case 0: o->raw_override[0] = BX_OP_COUNT + rndn(100); break;
  case 1: o->raw_override[0] = UINT64_MAX - rndn(3); break;
  case 2: o->raw_override[0] = ((uint64_t)1 << 32) | rndn(BX_OP_COUNT); break; /* tag is a full usize */
  case 3: /* QScale, bad policy or shift */
    o->raw_override[0] = BX_Q_SCALE;
    if (chance(50)) { o->raw_override[1] = 0; o->raw_override[2] = chance(50) ? 0 : 7 + rndn(5); }
    else { o->raw_override[1] = (uint64_t)(chance(50) ? -32 - (int64_t)rndn(3) : 33 + (int64_t)rndn(3)); o->raw_override[2] = 1 + rndn(6); }
    break;
  case 4: /* RSR, shift 0 / >= 32 or bad policy */
    o->raw_override[0] = BX_ROUNDING_SHIFT_RIGHT;
    if (chance(50)) { o->raw_override[1] = chance(50) ? 0 : 32 + rndn(40); o->raw_override[2] = 1 + rndn(6); }
    else { o->raw_override[1] = 1 + rndn(31); o->raw_override[2] = chance(50) ? 0 : 7; }
    break;
  case 5: o->raw_override[0] = BX_SHIFT_LEFT; o->raw_override[1] = 32 + rndn(40); break;
  case 6: o->raw_override[0] = BX_STORE; o->raw_override[4] = chance(50) ? 0 : chance(50) ? 3 : 8; break;
  case 7: o->raw_override[0] = BX_ADD_UNICAST; o->raw_override[4] = chance(50) ? 2 : 8; break;
  default: o->raw_override[0] = BX_ADD_MAT_MUL; o->raw_override[4] = c->kd->n_packings + rndn(3); break;
  }
  o->tag = o->raw_override[0];
}

static void gen_chain(Chain *c) {
  c->n = 0;
  TOp *o = &c->ops[c->n++];
  memset(o, 0, sizeof *o);
  if (chance(60)) o->tag = BX_CLEAR;
  else gen_load_tile(c, o, 0, 0);
  int body = 1 + (int)rndn(14);
  int invalid_at = chance(6) ? (int)rndn((uint64_t)body + 1) : -1;
  for (int n = 0; n < body && c->n < MAX_OPS - 4; ++n) {
    if (n == invalid_at) {
      o = &c->ops[c->n++];
      memset(o, 0, sizeof *o);
      gen_invalid(c, o);
    }
    o = &c->ops[c->n++];
    memset(o, 0, sizeof *o);
    o->garbage = rnd32();
    unsigned r = (unsigned)rndn(100);
    if (r < 20) gen_mat_mul(c, o);
    else if (r < 32) gen_store(c, o);
    else if (r < 40) { o->tag = BX_SCALAR_MIN + rndn(6); o->x = rnd_val(); }
    else if (r < 44) { o->tag = BX_LEAKY_RELU; o->x = chance(30) ? (int32_t)rnd_range(-2, 5) : rnd_val(); }
    else if (r < 50) { o->tag = BX_PER_ROW_MIN + rndn(6); o->vec = gen_vec(c->mr); }
    else if (r < 56) { o->tag = BX_PER_COL_MIN + rndn(6); o->vec = gen_vec(c->nr); }
    else if (r < 66) { /* QScale, half the time right after a tile of exact ties */
      o->tag = BX_Q_SCALE;
      o->policy = 1 + rndn(6);
      unsigned s = chance(30) ? (unsigned[]){0, 1, 2, 31, 32, 33, 62, 63}[rndn(8)] : (unsigned)rndn(64);
      o->q_shift = (intptr_t)s - 31;
      if (s >= 1 && chance(50)) {
        /* tie: mult = odd * 2^e, acc = odd * 2^(s-1-e)  =>  mult * acc = odd * 2^(s-1) */
        unsigned e_lo = s > 32 ? s - 32 : 0, e_hi = s - 1 < 31 ? s - 1 : 31;
        unsigned e = e_lo + (unsigned)rndn(e_hi - e_lo + 1);
        o->mult = odd_times_pow2(e);
        TOp saved = *o;
        gen_load_tile(c, o, 2, s - 1 - e);
        o = &c->ops[c->n++];
        *o = saved;
      } else {
        o->mult = chance(40) ? (int32_t)rnd_range(1 << 30, INT32_MAX) * (chance(25) ? -1 : 1) : rnd_val();
      }
    } else if (r < 74) {
      o->tag = BX_ROUNDING_SHIFT_RIGHT;
      o->policy = 1 + rndn(6);
      o->shift = chance(30) ? (chance(50) ? 1 : 31) : 1 + rndn(31);
      if (chance(50)) {
        TOp saved = *o;
        gen_load_tile(c, o, 1, (unsigned)saved.shift);
        o = &c->ops[c->n++];
        *o = saved;
      }
    } else if (r < 78) { o->tag = BX_SHIFT_LEFT; o->shift = chance(30) ? (chance(50) ? 0 : 31) : rndn(32); }
    else if (r < 86) gen_unicast(c, o);
    else if (r < 92) { o->tag = BX_ADD_ROW_COL_PRODUCTS; o->vec = gen_vec(c->mr); o->vec2 = gen_vec(c->nr); }
    else if (r < 96) o->tag = BX_CLEAR;
    else gen_load_tile(c, o, 0, 0);
  }
  if (invalid_at == body) { /* invalid as the very last op before the final Store */
    o = &c->ops[c->n++];
    memset(o, 0, sizeof *o);
    gen_invalid(c, o);
  }
  o = &c->ops[c->n++];
  memset(o, 0, sizeof *o);
  gen_store(c, o); /* every chain ends with a Store so that its result is observed */
}

/* Encodes the chain as kernel entries: every word the op does not use is random garbage. */
static bx_fused_ker_spec *encode(const Chain *c) {
  bx_fused_ker_spec *spec = xalloc(sizeof(bx_fused_ker_spec) * (size_t)(c->n + 1));
  for (int n = 0; n < c->n; ++n) {
    const TOp *o = &c->ops[n];
    bx_fused_ker_spec *e = &spec[n];
    for (int w = 0; w < 4; ++w) e->u.raw[w] = rnd64();
    e->tag = o->tag;
    if (o->invalid) {
      e->tag = o->raw_override[0];
      for (int w = 0; w < 4; ++w) e->u.raw[w] = o->raw_override[w + 1];
      continue;
    }
    switch (o->tag) {
    case BX_CLEAR: break;
    case BX_LOAD_TILE: e->u.load_tile.col_major = o->vec; e->u.load_tile.row_major = o->vec2; break;
    case BX_Q_SCALE:
      e->u.q_scale.shift = o->q_shift;
      e->u.q_scale.policy = o->policy;
      e->u.q_scale.mult = o->mult;
      e->u.q_scale.undefined_hi = o->garbage;
      break;
    case BX_ROUNDING_SHIFT_RIGHT:
      e->u.rounding_shift_right.shift = o->shift;
      e->u.rounding_shift_right.policy = o->policy;
      break;
    case BX_SHIFT_LEFT: e->u.shift_left = o->shift; break;
    case BX_ADD_UNICAST:
    case BX_STORE:
      e->u.store.ptr = o->buf + o->base_off;
      e->u.store.row_byte_stride = o->rs;
      e->u.store.col_byte_stride = o->cs;
      e->u.store.item_size = o->item;
      break;
    case BX_ADD_ROW_COL_PRODUCTS: e->u.row_col.rows = o->vec; e->u.row_col.cols = o->vec2; break;
    case BX_ADD_MAT_MUL:
      e->u.add_mat_mul.k = o->k;
      e->u.add_mat_mul.pa = o->pa;
      e->u.add_mat_mul.pb = o->pb;
      e->u.add_mat_mul.packing = o->packing;
      break;
    default:
      if (o->tag >= BX_PER_ROW_MIN && o->tag <= BX_PER_COL_SUBF) {
        e->u.per_vec = o->vec;
      } else { /* Scalar*, LeakyRelu: i32 at +8, garbage in bytes 12..15 */
        e->u.scalar.x = o->x;
        e->u.scalar.undefined_hi = o->garbage;
      }
    }
  }
  memset(&spec[c->n], 0xA5, sizeof spec[c->n]);
  spec[c->n].tag = BX_DONE;
  return spec;
}

static void dump_chain(const Chain *c) {
  for (int n = 0; n < c->n; ++n) {
    const TOp *o = &c->ops[n];
    if (o->invalid) {
      fprintf(stderr, "    [%d] INVALID tag=%" PRIu64 " words=%" PRIx64 " %" PRIx64 " %" PRIx64 " %" PRIx64 "\n", n,
              (uint64_t)o->raw_override[0], (uint64_t)o->raw_override[1], (uint64_t)o->raw_override[2],
              (uint64_t)o->raw_override[3], (uint64_t)o->raw_override[4]);
      continue;
    }
    fprintf(stderr, "    [%d] %s", n, TAG_NAMES[o->tag]);
    switch (o->tag) {
    case BX_Q_SCALE: fprintf(stderr, " shift=%ld policy=%lu mult=%d", (long)o->q_shift, (unsigned long)o->policy, o->mult); break;
    case BX_ROUNDING_SHIFT_RIGHT: fprintf(stderr, " shift=%lu policy=%lu", (unsigned long)o->shift, (unsigned long)o->policy); break;
    case BX_SHIFT_LEFT: fprintf(stderr, " shift=%lu", (unsigned long)o->shift); break;
    case BX_ADD_UNICAST: case BX_STORE:
      fprintf(stderr, " item=%lu rs=%ld cs=%ld", (unsigned long)o->item, (long)o->rs, (long)o->cs);
      break;
    case BX_ADD_MAT_MUL: fprintf(stderr, " k=%zu packing=%lu", o->k, (unsigned long)o->packing); break;
    default:
      if ((o->tag >= BX_SCALAR_MIN && o->tag <= BX_LEAKY_RELU)) fprintf(stderr, " x=%d", o->x);
    }
    fprintf(stderr, "\n");
  }
}

/* Compares every Store target (whole buffer, canaries included) and every AddUnicast source. */
static int check_case(const Chain *c, intptr_t rc, int want_rc) {
  int ok = rc == want_rc;
  if (!ok) fprintf(stderr, "  return code %ld, expected %d\n", (long)rc, want_rc);
  for (int n = 0; n < c->n; ++n) {
    const TOp *o = &c->ops[n];
    if (o->invalid) continue;
    if (o->tag == BX_ADD_UNICAST && memcmp(o->buf, o->orig_buf, o->buf_len)) {
      fprintf(stderr, "  op %d: the kernel wrote into an AddUnicast operand\n", n);
      ok = 0;
    }
    if (o->tag != BX_STORE || !memcmp(o->buf, o->ref_buf, o->buf_len)) continue;
    ok = 0;
    int reported = 0;
    for (uint32_t i = 0; i < c->mr && reported < 4; ++i)
      for (uint32_t j = 0; j < c->nr && reported < 4; ++j) {
        intptr_t off = o->base_off + (intptr_t)i * o->rs + (intptr_t)j * o->cs;
        if (memcmp(o->buf + off, o->ref_buf + off, o->item)) {
          uint32_t got = 0, want = 0;
          memcpy(&got, o->buf + off, o->item);
          memcpy(&want, o->ref_buf + off, o->item);
          fprintf(stderr, "  op %d (store item %lu): acc[%u][%u] = 0x%08x, expected 0x%08x\n", n,
                  (unsigned long)o->item, i, j, got, want);
          ++reported;
        }
      }
    if (!reported) fprintf(stderr, "  op %d (store): bytes outside the tile's elements were written\n", n);
  }
  return ok;
}

/* ---- directed checks of the reference itself (vectors from SPEC / tract rounding.rs) -------- */

static int check_reference(void) {
  struct { int64_t v; int s, p; int64_t want; } rv[] = {
      {3, 2, BX_ROUND_ZERO, 1}, {2, 2, BX_ROUND_ZERO, 0}, {-2, 2, BX_ROUND_ZERO, 0},
      {6, 2, BX_ROUND_AWAY, 2}, {-6, 2, BX_ROUND_AWAY, -2}, {6, 2, BX_ROUND_MINUS_INF, 1},
      {-6, 2, BX_ROUND_MINUS_INF, -2}, {6, 2, BX_ROUND_PLUS_INF, 2}, {-6, 2, BX_ROUND_PLUS_INF, -1},
      {6, 2, BX_ROUND_EVEN, 2}, {10, 2, BX_ROUND_EVEN, 2}, {6, 2, BX_ROUND_ODD, 1}, {10, 2, BX_ROUND_ODD, 3},
      {INT32_MAX, 1, BX_ROUND_AWAY, 1073741824}, {INT32_MIN, 1, BX_ROUND_AWAY, -1073741824},
      {INT32_MIN, 31, BX_ROUND_EVEN, -1}, {INT32_MIN, 31, BX_ROUND_ODD, -1},
  };
  int bad = 0;
  for (size_t t = 0; t < sizeof rv / sizeof rv[0]; ++t) {
    int64_t got = (int64_t)ref_round(rv[t].v, rv[t].s, rv[t].p);
    if (got != rv[t].want) {
      fprintf(stderr, "reference: round(%" PRId64 ", %d, %d) = %" PRId64 ", expected %" PRId64 "\n", rv[t].v,
              rv[t].s, rv[t].p, got, rv[t].want);
      bad = 1;
    }
  }
  /* QScale(shift 0, Even, mult -2^30) = x * -0.5: 3 -> -2, -3 -> 2, 5 -> -2 (tract, executed) */
  int32_t in[3] = {3, -3, 5}, want[3] = {-2, 2, -2};
  for (int t = 0; t < 3; ++t)
    if (wrap32(ref_round((__int128)in[t] * -(1 << 30), 31, BX_ROUND_EVEN)) != want[t]) {
      fprintf(stderr, "reference: q_scale(%d) wrong\n", in[t]);
      bad = 1;
    }
  return !bad;
}

/* ---- benchmark: 512^3 through the kernel, tile by tile over packed panels ----------------- */

static size_t panel_bytes(const bx_pack_format *f, size_t k) {
  if (f->kind == BX_PACK_FORMAT) {
    size_t align = f->align ? f->align : 1;
    return ((k + f->end_padding_record) * f->r + align - 1) / align * align;
  }
  return (k + 3) / 4 * 4 * f->r;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double bench_kernel(const bx_kernel_desc *kd, size_t m, size_t n, size_t k) {
  const bx_packing *pk = &kd->packings[0];
  const size_t mr = kd->mr, nr = kd->nr;
  const size_t pm = (m + mr - 1) / mr, pn = (n + nr - 1) / nr;
  const size_t la = panel_bytes(&pk->a, k), lb = panel_bytes(&pk->b, k);
  int8_t *A = malloc(m * k), *B = malloc(k * n);
  int8_t *pa = calloc(pm, la), *pb = calloc(pn, lb);
  int32_t *C = malloc(m * n * 4);
  fill_random(A, m * k);
  fill_random(B, k * n);
  /* pack through the selftest's packer, one panel at a time (m, n multiples of mr, nr here) */
  int8_t *tmp = malloc((mr > nr ? mr : nr) * k);
  for (size_t p = 0; p < pm; ++p) {
    for (size_t i = 0; i < mr; ++i) memcpy(tmp + i * k, A + (p * mr + i) * k, k);
    memcpy(pa + p * la, pack_panel(&pk->a, tmp, 1, k), la);
    arena_reset();
  }
  for (size_t p = 0; p < pn; ++p) {
    for (size_t kk = 0; kk < k; ++kk) memcpy(tmp + kk * nr, B + kk * n + p * nr, nr);
    memcpy(pb + p * lb, pack_panel(&pk->b, tmp, 0, k), lb);
    arena_reset();
  }
  bx_fused_ker_spec chain[4];
  memset(chain, 0, sizeof chain);
  chain[0].tag = BX_CLEAR;
  chain[1].tag = BX_ADD_MAT_MUL;
  chain[1].u.add_mat_mul.k = k;
  chain[2].tag = BX_STORE;
  chain[2].u.store.row_byte_stride = (intptr_t)(n * 4);
  chain[2].u.store.col_byte_stride = 4;
  chain[2].u.store.item_size = 4;
  chain[3].tag = BX_DONE;
  double best = 1e30;
  for (int rep = 0; rep < 7; ++rep) {
    double t0 = now_s();
    for (size_t ia = 0; ia < pm; ++ia)
      for (size_t ib = 0; ib < pn; ++ib) {
        chain[1].u.add_mat_mul.pa = pa + ia * la;
        chain[1].u.add_mat_mul.pb = pb + ib * lb;
        chain[2].u.store.ptr = C + ia * mr * n + ib * nr;
        if (kd->kernel(chain) != 0) { fprintf(stderr, "bench: kernel refused the chain\n"); exit(1); }
      }
    double t = now_s() - t0;
    if (t < best) best = t;
  }
  /* spot-check the result so the figure is for correct code */
  for (int t = 0; t < 64; ++t) {
    size_t i = rndn(m), j = rndn(n);
    int64_t s = 0;
    for (size_t kk = 0; kk < k; ++kk) s += (int64_t)A[i * k + kk] * B[kk * n + j];
    if (C[i * n + j] != wrap32(s)) { fprintf(stderr, "bench: wrong result at %zu,%zu\n", i, j); exit(1); }
  }
  free(A); free(B); free(pa); free(pb); free(C); free(tmp);
  return 2.0 * (double)m * (double)n * (double)k / best * 1e-9;
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(int argc, char **argv) {
  uint64_t seed = 0x5EED0001, cases = 20000;
  const char *only = NULL;
  int bench = 0, verbose = 0;
  int64_t one_case = -1;
  for (int a = 1; a < argc; ++a) {
    if (!strcmp(argv[a], "--cases") && a + 1 < argc) cases = strtoull(argv[++a], NULL, 0);
    else if (!strcmp(argv[a], "--seed") && a + 1 < argc) seed = strtoull(argv[++a], NULL, 0);
    else if (!strcmp(argv[a], "--kernel") && a + 1 < argc) only = argv[++a];
    else if (!strcmp(argv[a], "--case") && a + 1 < argc) one_case = (int64_t)strtoull(argv[++a], NULL, 0);
    else if (!strcmp(argv[a], "--bench")) bench = 1;
    else if (!strcmp(argv[a], "--verbose")) verbose = 1;
    else { fprintf(stderr, "usage: %s [--cases N] [--seed S] [--kernel NAME] [--case N] [--bench] [--verbose]\n", argv[0]); return 2; }
  }
  size_t nk;
  const bx_kernel_desc *const *kds = bx_builtin_kernels(&nk);

  if (bench) {
    double base = 0;
    rng_seed(seed);
    for (size_t i = 0; i < nk; ++i) {
      const bx_kernel_desc *kd = kds[i];
      char why[128] = "";
      if (!kd->is_supported_here(why, sizeof why)) { printf("%-30s skipped: %s\n", kd->name, why); continue; }
      double g = bench_kernel(kd, 512, 512, 512);
      if (!base) base = g;
      printf("%-30s 512^3: %7.2f GOPS  (%.1fx generic)\n", kd->name, g, g / base);
    }
    return 0;
  }

  if (!check_reference()) { fprintf(stderr, "FAIL: the reference itself is wrong\n"); return 1; }

  uint64_t failures = 0, total = 0;
  int tested = 0;
  for (size_t ki = 0; ki < nk; ++ki) {
    const bx_kernel_desc *kd = kds[ki];
    if (only && strcmp(only, kd->name)) continue;
    char why[128] = "";
    if (!kd->is_supported_here(why, sizeof why)) {
      printf("%-30s SKIPPED (not supported here: %s)\n", kd->name, why);
      continue;
    }
    if (kd->abi_version != BX_ABI_VERSION || kd->mr > 16 || kd->nr > 16 || !kd->n_packings ||
        (kd->supported_ops & BX_OPS_REQUIRED) != BX_OPS_REQUIRED) {
      printf("%-30s FAIL: malformed descriptor\n", kd->name);
      ++failures;
      continue;
    }
    ++tested;
    uint64_t kfail = 0, ran = 0;
    for (uint64_t cs = 0; cs < cases; ++cs) {
      if (one_case >= 0 && cs != (uint64_t)one_case) continue;
      /* every case has its own seed, so `--kernel K --seed S --case N` replays exactly one */
      uint64_t x = seed ^ (0x9E3779B97F4A7C15ull * (ki + 1)) ^ (0xD1B54A32D192ED03ull * (cs + 1));
      rng_seed(splitmix(&x));
      Chain c;
      c.kd = kd;
      c.mr = kd->mr;
      c.nr = kd->nr;
      gen_chain(&c);
      bx_fused_ker_spec *spec = encode(&c);
      int want = ref_run(&c);
      intptr_t rc = kd->kernel(spec);
      ++ran;
      if (!check_case(&c, rc, want)) {
        ++kfail;
        fprintf(stderr, "MISMATCH %s case %" PRIu64 "; replay: --kernel %s --seed %" PRIu64 " --case %" PRIu64 "\n",
                kd->name, cs, kd->name, seed, cs);
        dump_chain(&c);
      } else if (verbose) {
        fprintf(stderr, "%s case %" PRIu64 ": ok\n", kd->name, cs);
        dump_chain(&c);
      }
      arena_reset();
      if (kfail >= 5) { fprintf(stderr, "%s: stopping after 5 mismatches\n", kd->name); break; }
    }
    total += ran;
    failures += kfail;
    printf("%-30s mr=%-2u nr=%-2u %" PRIu64 " chains: %s\n", kd->name, kd->mr, kd->nr, ran,
           kfail ? "FAIL" : "all bit-exact");
  }
  printf("\ncoverage (all kernels):\n  ops:");
  for (int t = 1; t < BX_OP_COUNT; ++t) printf(" %s=%" PRIu64, TAG_NAMES[t], cov_ops[t]);
  printf("\n  refused (invalid) entries: %" PRIu64 "\n  exact ties per policy 1..6, q_scale:", cov_invalid);
  for (int p = 1; p <= 6; ++p) printf(" %" PRIu64, cov_qs_tie[p]);
  printf("; rounding_shift_right:");
  for (int p = 1; p <= 6; ++p) printf(" %" PRIu64, cov_rsr_tie[p]);
  printf("\n  add_mat_mul k mod 4: %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", cov_k_mod4[0], cov_k_mod4[1],
         cov_k_mod4[2], cov_k_mod4[3]);
  printf("  store paths (col-contig/row-contig/other) item 1: %" PRIu64 "/%" PRIu64 "/%" PRIu64
         ", item 2: %" PRIu64 "/%" PRIu64 "/%" PRIu64 ", item 4: %" PRIu64 "/%" PRIu64 "/%" PRIu64 "\n",
         cov_store_path[0][1], cov_store_path[1][1], cov_store_path[2][1], cov_store_path[0][2],
         cov_store_path[1][2], cov_store_path[2][2], cov_store_path[0][4], cov_store_path[1][4],
         cov_store_path[2][4]);
  printf("  add_unicast paths item 1: %" PRIu64 "/%" PRIu64 "/%" PRIu64 ", item 4: %" PRIu64 "/%" PRIu64 "/%" PRIu64 "\n",
         cov_unicast_path[0][1], cov_unicast_path[1][1], cov_unicast_path[2][1], cov_unicast_path[0][4],
         cov_unicast_path[1][4], cov_unicast_path[2][4]);
  if (!tested) { printf("FAIL: no kernel was tested\n"); return 1; }
  printf("\n%s: %d kernel(s), %" PRIu64 " chains, %" PRIu64 " mismatching chains, seed %" PRIu64 "\n",
         failures ? "FAIL" : "PASS", tested, total, failures, seed);
  return failures ? 1 : 0;
}
