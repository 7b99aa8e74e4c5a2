#include "ref.h"

#include <string.h>

/* All arithmetic in uint32_t / uint64_t: wrapping is the contract, signed overflow is UB. */

static int32_t ld_i32(const void *p) {
  int32_t v;
  memcpy(&v, p, 4); /* operands may be unaligned (strided i32 at odd offsets) */
  return v;
}

/* Loads whose values are thrown away must still happen. */
static volatile uint32_t sink;

static size_t panel_len(const bx_pack_format *f, size_t k) {
  if (f->kind == BX_PACK_I8K4) return (k + 3) / 4 * 4 * f->r;
  size_t raw = (k + f->end_padding_record) * f->r;
  return (raw + f->align - 1) / f->align * f->align;
}

static uint32_t bin(unsigned op, uint32_t acc, uint32_t x) {
  switch (op) {
  case 0: return (int32_t)x < (int32_t)acc ? x : acc; /* min */
  case 1: return (int32_t)x > (int32_t)acc ? x : acc; /* max */
  case 2: return acc + x;
  case 3: return acc * x;
  case 4: return x - acc; /* Sub: operand minus acc */
  default: return acc - x; /* SubF */
  }
}

/* round(v, s, policy) of docs/semantics.md with |v| <= 2^62, s in 0..63. */
static int64_t ref_round(int64_t v, unsigned s, uintptr_t policy) {
  if (s == 0) return v;
  uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  uint64_t half = UINT64_C(1) << (s - 1), t = a >> s;
  int minus_one; /* nudge: -1 (1) or 0 (0) */
  switch (policy) {
  case BX_ROUND_ZERO: minus_one = 1; break;
  case BX_ROUND_AWAY: minus_one = 0; break;
  case BX_ROUND_MINUS_INF: minus_one = v >= 0; break;
  case BX_ROUND_PLUS_INF: minus_one = v <= 0; break;
  case BX_ROUND_EVEN: minus_one = (t & 1) == 0; break;
  default: minus_one = (t & 1) != 0; break; /* Odd */
  }
  uint64_t r = (a + half - (uint64_t)minus_one) >> s; /* a + half <= 2^63: no overflow */
  return v < 0 ? -(int64_t)r : (int64_t)r;
}

static uint32_t wrap32(int64_t v) { return (uint32_t)(uint64_t)v; }

static size_t pk_off(const bx_pack_format *f, size_t kk, size_t lane) {
  return f->kind == BX_PACK_I8K4 ? (kk / 4) * 4 * f->r + lane * 4 + kk % 4 : kk * f->r + lane;
}

intptr_t bx_ref_run(const bx_ref_cfg *cfg, const bx_fused_ker_spec *spec) {
  const size_t mr = cfg->mr, nr = cfg->nr;
  uint32_t acc[BX_REF_MAX_DIM * BX_REF_MAX_DIM];
#define ACC(i, j) acc[(i) * nr + (j)]
  memset(acc, 0x5a, sizeof acc); /* the accumulator is undefined at entry: not zero */
  static unsigned calls;
  const uint32_t once = (cfg->quirks & BX_REF_FAIL_ONCE) && ++calls == 5;
  for (;; spec++) {
    const uintptr_t t = spec->tag;
    if (t >= BX_OP_COUNT && (cfg->quirks & BX_REF_SKIP_UNKNOWN_TAGS)) continue;
    if (t >= BX_OP_COUNT || !(cfg->supported_ops & BX_OP_BIT(t))) return BX_KERNEL_UNSUPPORTED;
    if (t == BX_DONE) return BX_KERNEL_DONE;
    if (t == BX_CLEAR) {
      memset(acc, 0, sizeof acc);
      if (cfg->quirks & BX_REF_WRITE_CHAIN) ((bx_fused_ker_spec *)spec)->u.raw[3] ^= 0xFF;
    } else if (t == BX_LOAD_TILE) {
      for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++) ACC(i, j) = (uint32_t)ld_i32(spec->u.load_tile.col_major + j * mr + i);
    } else if (t >= BX_SCALAR_MIN && t <= BX_SCALAR_SUBF) {
      for (size_t i = 0; i < mr * nr; i++) acc[i] = bin((unsigned)(t - 3), acc[i], (uint32_t)spec->u.scalar.x);
    } else if (t == BX_LEAKY_RELU) {
      for (size_t i = 0; i < mr * nr; i++)
        if ((int32_t)acc[i] <= 0) acc[i] *= (uint32_t)spec->u.scalar.x;
    } else if (t >= BX_PER_ROW_MIN && t <= BX_PER_ROW_SUBF) {
      for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++)
          ACC(i, j) = bin((unsigned)(t - 10), ACC(i, j), (uint32_t)ld_i32(spec->u.per_vec + i));
    } else if (t >= BX_PER_COL_MIN && t <= BX_PER_COL_SUBF) {
      for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++)
          ACC(i, j) = bin((unsigned)(t - 16), ACC(i, j), (uint32_t)ld_i32(spec->u.per_vec + j));
      if (cfg->quirks & BX_REF_PERCOL_OVERREAD) sink = (uint32_t)ld_i32(spec->u.per_vec + nr);
    } else if (t == BX_Q_SCALE) {
      intptr_t s = spec->u.q_scale.shift + 31;
      uintptr_t pol = spec->u.q_scale.policy;
      if (s < 0 || s > 63 || pol < BX_ROUND_ZERO || pol > BX_ROUND_ODD) return BX_KERNEL_UNSUPPORTED;
      for (size_t i = 0; i < mr * nr; i++)
        acc[i] = wrap32(ref_round((int64_t)spec->u.q_scale.mult * (int32_t)acc[i], (unsigned)s, pol));
    } else if (t == BX_ROUNDING_SHIFT_RIGHT) {
      uintptr_t s = spec->u.rounding_shift_right.shift, pol = spec->u.rounding_shift_right.policy;
      if (s < 1 || s > 31 || pol < BX_ROUND_ZERO || pol > BX_ROUND_ODD) return BX_KERNEL_UNSUPPORTED;
      if ((cfg->quirks & BX_REF_RSR_ODD_TIES_EVEN) && pol == BX_ROUND_ODD) pol = BX_ROUND_EVEN; /* same off ties */
      for (size_t i = 0; i < mr * nr; i++) acc[i] = wrap32(ref_round((int32_t)acc[i], (unsigned)s, pol));
    } else if (t == BX_SHIFT_LEFT) {
      if (spec->u.shift_left > 31) return BX_KERNEL_UNSUPPORTED;
      const unsigned sh = (unsigned)spec->u.shift_left;
      for (size_t i = 0; i < mr * nr; i++) {
        const int64_t wide = (int64_t)(int32_t)acc[i] * ((int64_t)1 << sh);
        if ((cfg->quirks & BX_REF_SATURATING_SHL) && (wide > INT32_MAX || wide < INT32_MIN))
          acc[i] = wide > 0 ? (uint32_t)INT32_MAX : (uint32_t)INT32_MIN;
        else
          acc[i] <<= sh;
      }
    } else if (t == BX_ADD_UNICAST) {
      const bx_output_store *o = &spec->u.store;
      if (o->item_size != 1 && o->item_size != 4) return BX_KERNEL_UNSUPPORTED;
      intptr_t rs = cfg->quirks & BX_REF_UNICAST_NR_STRIDE ? (intptr_t)(nr * o->item_size)
                                                           : o->row_byte_stride;
      intptr_t cs = o->col_byte_stride;
      /* a "fast path" for a contiguous column-major i8 operand that takes it as row-major */
      if ((cfg->quirks & BX_REF_UNICAST_I8_COL_AS_ROW) && o->item_size == 1 && rs == 1 && cs == (intptr_t)mr)
        rs = (intptr_t)nr, cs = 1;
      for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++) {
          const char *p = (const char *)o->ptr + (intptr_t)i * rs + (intptr_t)j * cs;
          if (o->item_size == 1 && (cfg->quirks & BX_REF_UNICAST_I8_AS_I32)) {
            const uint32_t w = (uint32_t)ld_i32(p);
            sink = w; /* all 4 bytes are loaded (the compiler would narrow the load to one) */
            ACC(i, j) += (uint32_t)(int32_t)(int8_t)(uint8_t)w;
          } else
            ACC(i, j) += o->item_size == 1 ? (uint32_t)(int32_t)*(const int8_t *)p : (uint32_t)ld_i32(p);
        }
    } else if (t == BX_ADD_ROW_COL_PRODUCTS) {
      for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++)
          ACC(i, j) += (uint32_t)ld_i32(spec->u.row_col.rows + i) * (uint32_t)ld_i32(spec->u.row_col.cols + j);
    } else if (t == BX_STORE) {
      const bx_output_store *o = &spec->u.store;
      if (o->item_size != 1 && o->item_size != 2 && o->item_size != 4) return BX_KERNEL_UNSUPPORTED;
      const size_t rows = cfg->quirks & BX_REF_STORE_EXTRA_ROW ? mr + 1 : mr;
      for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < nr; j++) {
          char *p = (char *)o->ptr + (intptr_t)i * o->row_byte_stride + (intptr_t)j * o->col_byte_stride;
          const int last_col_bug = (cfg->quirks & BX_REF_STORE16_COL_LAST_COL) && o->item_size == 2 &&
                                   o->row_byte_stride == 2 && j == nr - 1 && nr > 1;
          uint32_t v = ACC(i < mr ? i : 0, last_col_bug ? j - 1 : j) + once; /* the extra row repeats row 0 */
          uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
          const int one_byte = o->item_size == 2 && (cfg->quirks & BX_REF_STORE16_ONE_BYTE);
          memcpy(p, b, one_byte ? 1 : o->item_size); /* little-endian truncation */
          if (i == 0 && (cfg->quirks & BX_REF_STORE_FAR_BELOW)) memcpy(p - 4096, b, o->item_size);
        }
    } else if (t == BX_ADD_MAT_MUL) {
      if (cfg->quirks & BX_REF_CRASH_ON_MATMUL) {
        volatile uintptr_t bad = 16; /* opaque to the compiler: a real faulting store */
        *(volatile int *)bad = 1;
      }
      if (cfg->quirks & BX_REF_HANG_ON_MATMUL)
        for (;;) __asm__ volatile("" ::: "memory");
      uintptr_t pk = spec->u.add_mat_mul.packing;
      if (cfg->packing_ids) {
        uint32_t pos = 0;
        while (pos < cfg->n_packings && cfg->packing_ids[pos] != pk) pos++;
        pk = pos;
      }
      if (pk >= cfg->n_packings) return BX_KERNEL_UNSUPPORTED;
      const bx_pack_format *fa = &cfg->packings[pk].a, *fb = &cfg->packings[pk].b;
      const int8_t *pa = spec->u.add_mat_mul.pa, *pb = spec->u.add_mat_mul.pb;
      if (cfg->quirks & BX_REF_PACKED_B_OVERREAD) {
        const uint8_t *past = (const uint8_t *)pb + panel_len(fb, spec->u.add_mat_mul.k);
        for (size_t b = 0; b < 4 * nr; b++) sink = past[b];
      }
      if (cfg->quirks & BX_REF_STALE_POINTER) {
        static struct { const bx_ref_cfg *cfg; uint64_t fp; const int8_t *pb; } seen;
        const size_t la = panel_len(fa, spec->u.add_mat_mul.k), lb = panel_len(fb, spec->u.add_mat_mul.k);
        uint64_t fp = UINT64_C(0xcbf29ce484222325) ^ spec->u.add_mat_mul.k ^ ((uint64_t)pk << 40); /* FNV-1a */
        for (size_t b = 0; b < la; b++) fp = (fp ^ (uint8_t)pa[b]) * UINT64_C(0x100000001b3);
        for (size_t b = 0; b < lb; b++) fp = (fp ^ (uint8_t)pb[b]) * UINT64_C(0x100000001b3);
        const int8_t *here = pb;
        if (seen.cfg == cfg && seen.fp == fp) pb = seen.pb;
        seen.cfg = cfg, seen.fp = fp, seen.pb = here;
      }
      const unsigned stale = cfg->quirks & (BX_REF_STALE_PANEL | BX_REF_STALE_PANEL_PEEK);
      static struct { const bx_ref_cfg *cfg; const int8_t *pb; size_t k; uint8_t head[4]; uint32_t prod[BX_REF_MAX_DIM * BX_REF_MAX_DIM]; } cache;
      uint8_t head[4] = {0};
      if ((cfg->quirks & BX_REF_STALE_PANEL_PEEK) && panel_len(fb, spec->u.add_mat_mul.k) >= 4) memcpy(head, pb, 4);
      if (stale && cache.cfg == cfg && cache.pb == pb && cache.k == spec->u.add_mat_mul.k && !memcmp(cache.head, head, 4)) {
        for (size_t i = 0; i < mr * nr; i++) acc[i] += cache.prod[i];
        continue;
      }
      uint32_t prod[BX_REF_MAX_DIM * BX_REF_MAX_DIM] = {0};
      for (size_t kk = 0; kk < spec->u.add_mat_mul.k; kk++)
        for (size_t i = 0; i < mr; i++)
          for (size_t j = 0; j < nr; j++)
            prod[i * nr + j] += (uint32_t)((int32_t)pa[pk_off(fa, kk, i)] * (int32_t)pb[pk_off(fb, kk, j)]);
      for (size_t i = 0; i < mr * nr; i++) acc[i] += prod[i];
      if (stale) {
        cache.cfg = cfg, cache.pb = pb, cache.k = spec->u.add_mat_mul.k;
        memcpy(cache.head, head, 4);
        memcpy(cache.prod, prod, sizeof prod);
      }
    }
  }
#undef ACC
}
