/*
 * x86_avx512vnni_i32_16x16_k4 — AVX-512 VNNI kernel, 16 x 16 i32 tile in sixteen zmm registers.
 *
 * Layout: acc[j] holds column j, lane i = row i (column-major), so the VNNI step needs one
 * 64-byte A block per 4 k and one 4-byte broadcast of B per column (an embedded {1to16}
 * memory broadcast), and the frame's column-major border Store is one store per column.
 *
 * Packing 0: PackedI8K4(16) for A and B (docs/packing.md): block kb of a panel is 64 bytes,
 * lane mn holds k = 4kb..4kb+3. The kernel gets the logical k and consumes ceil(k/4) blocks:
 * the K tail of the last block is zero in both panels (the packer's contract).
 *
 * vpdpbusd multiplies unsigned bytes by signed bytes. A is signed, so it is biased:
 * A ^ 0x80 = A + 128 as u8, and
 *     sum_k (A+128) * B = sum_k A * B + 128 * sum_k B.
 * The column sums sum_k B[k][j] come from one more vpdpbusd per block (u8 ones x B) and are
 * subtracted at the end. Everything is exact mod 2^32: each 4-product group is at most
 * 4 * 255 * 128 in magnitude and vpdpbusd (not vpdpbusds) wraps when it accumulates.
 *
 * Rounding ops follow common.h's carry table, on magnitudes (see the AVX2 kernel).
 */
#include "common.h"
#include "bitexact/register.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>

#define MR 16
#define NR 16

#define BX_Z_TARGET "avx2,avx512f,avx512bw,avx512vl,avx512vnni"
#define BX_Z_FN __attribute__((target(BX_Z_TARGET)))
#define BX_Z_INLINE static inline __attribute__((always_inline, target(BX_Z_TARGET)))

#if defined(__clang__)
#define BX_UNROLL _Pragma("unroll")
#else
#define BX_UNROLL _Pragma("GCC unroll 16")
#endif

static const bx_packing vnni_packings[] = {
    {{BX_PACK_I8K4, MR, 1, 0}, {BX_PACK_I8K4, NR, 1, 0}, 4},
};
#define N_PACKINGS ((uint32_t)(sizeof vnni_packings / sizeof vnni_packings[0]))

/* ---- layout helpers ------------------------------------------------------------------------ */

/* In-register 16 x 16 i32 transpose: out[j] lane i = in[i] lane j. */
BX_Z_INLINE void transpose16(__m512i out[16], const __m512i in[16]) {
  __m512i t[16], u[16], v[16];
  BX_UNROLL for (int p = 0; p < 8; ++p) { /* 32-bit interleave of row pairs */
    t[2 * p] = _mm512_unpacklo_epi32(in[2 * p], in[2 * p + 1]);
    t[2 * p + 1] = _mm512_unpackhi_epi32(in[2 * p], in[2 * p + 1]);
  }
  BX_UNROLL for (int q = 0; q < 4; ++q) { /* 64-bit interleave: each 128-bit lane is a 4x4 block */
    u[4 * q + 0] = _mm512_unpacklo_epi64(t[4 * q + 0], t[4 * q + 2]);
    u[4 * q + 1] = _mm512_unpackhi_epi64(t[4 * q + 0], t[4 * q + 2]);
    u[4 * q + 2] = _mm512_unpacklo_epi64(t[4 * q + 1], t[4 * q + 3]);
    u[4 * q + 3] = _mm512_unpackhi_epi64(t[4 * q + 1], t[4 * q + 3]);
  }
  BX_UNROLL for (int c = 0; c < 4; ++c) { /* 128-bit lanes: [x.L0 x.L2 y.L0 y.L2], [x.L1 x.L3 ..] */
    v[c] = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x88);
    v[4 + c] = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xdd);
    v[8 + c] = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x88);
    v[12 + c] = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xdd);
  }
  BX_UNROLL for (int c = 0; c < 4; ++c) {
    out[c] = _mm512_shuffle_i32x4(v[c], v[8 + c], 0x88);
    out[8 + c] = _mm512_shuffle_i32x4(v[c], v[8 + c], 0xdd);
    out[4 + c] = _mm512_shuffle_i32x4(v[4 + c], v[12 + c], 0x88);
    out[12 + c] = _mm512_shuffle_i32x4(v[4 + c], v[12 + c], 0xdd);
  }
}

/* Store 16 lanes contiguously; vpmovdw / vpmovdb truncate (never the saturating vpmovsd*). */
BX_Z_INLINE void store_line(char *p, __m512i v, uintptr_t item_size) {
  if (item_size == 4)
    _mm512_storeu_si512(p, v);
  else if (item_size == 2)
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtepi32_epi16(v));
  else
    _mm_storeu_si128((__m128i *)p, _mm512_cvtepi32_epi8(v));
}

/* Load 16 contiguous items (i32, or i8 sign-extended); reads exactly 16 * item_size bytes. */
BX_Z_INLINE __m512i load_line(const char *p, uintptr_t item_size) {
  if (item_size == 4) return _mm512_loadu_si512(p);
  return _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p));
}

/* Byte offsets i * stride for rows 0..7 and 8..15, as i64 gather / scatter indices. */
BX_Z_INLINE void row_offsets(intptr_t stride, __m512i *lo, __m512i *hi) {
  *lo = _mm512_setr_epi64(0, stride, 2 * stride, 3 * stride, 4 * stride, 5 * stride, 6 * stride,
                          7 * stride);
  *hi = _mm512_add_epi64(*lo, _mm512_set1_epi64((long long)(8 * stride)));
}

/* ---- ops --------------------------------------------------------------------------------- */

BX_Z_INLINE void op_store(__m512i acc[NR], const bx_output_store *s) {
  const uintptr_t item = s->item_size;
  char *base = (char *)s->ptr;
  const intptr_t rs = s->row_byte_stride, cs = s->col_byte_stride;
  if (rs == (intptr_t)item) { /* columns contiguous (column-major) */
    BX_UNROLL for (int j = 0; j < NR; ++j) store_line(base + (intptr_t)j * cs, acc[j], item);
  } else if (cs == (intptr_t)item) { /* rows contiguous (row-major) */
    __m512i rows[MR];
    transpose16(rows, acc);
    BX_UNROLL for (int i = 0; i < MR; ++i) store_line(base + (intptr_t)i * rs, rows[i], item);
  } else if (item == 4) { /* arbitrary strides: two 8-lane scatters per column */
    __m512i lo, hi;
    row_offsets(rs, &lo, &hi);
    BX_UNROLL for (int j = 0; j < NR; ++j) {
      char *col = base + (intptr_t)j * cs;
      _mm512_i64scatter_epi32(col, lo, _mm512_castsi512_si256(acc[j]), 1);
      _mm512_i64scatter_epi32(col, hi, _mm512_extracti64x4_epi64(acc[j], 1), 1);
    }
  } else { /* 1- and 2-byte items at arbitrary strides: there is no byte/word scatter */
    int32_t t[NR * MR];
    BX_UNROLL for (int j = 0; j < NR; ++j) _mm512_storeu_si512(t + j * MR, acc[j]);
    for (int j = 0; j < NR; ++j)
      for (int i = 0; i < MR; ++i) bx_store_item(bx_elem_ptr(s, i, j), bx_u32(t[j * MR + i]), item);
  }
}

BX_Z_INLINE void op_add_unicast(__m512i acc[NR], const bx_output_store *s) {
  const uintptr_t item = s->item_size;
  const char *base = (const char *)s->ptr;
  const intptr_t rs = s->row_byte_stride, cs = s->col_byte_stride;
  if (rs == (intptr_t)item) {
    BX_UNROLL for (int j = 0; j < NR; ++j)
      acc[j] = _mm512_add_epi32(acc[j], load_line(base + (intptr_t)j * cs, item));
  } else if (cs == (intptr_t)item) {
    __m512i rows[MR], cols[NR];
    BX_UNROLL for (int i = 0; i < MR; ++i) rows[i] = load_line(base + (intptr_t)i * rs, item);
    transpose16(cols, rows);
    BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm512_add_epi32(acc[j], cols[j]);
  } else if (item == 4) { /* gathers (zero strides broadcast naturally) */
    __m512i lo, hi;
    row_offsets(rs, &lo, &hi);
    BX_UNROLL for (int j = 0; j < NR; ++j) {
      const char *col = base + (intptr_t)j * cs;
      __m256i g0 = _mm512_i64gather_epi32(lo, col, 1);
      __m256i g1 = _mm512_i64gather_epi32(hi, col, 1);
      acc[j] = _mm512_add_epi32(acc[j], _mm512_inserti64x4(_mm512_castsi256_si512(g0), g1, 1));
    }
  } else { /* i8 at arbitrary strides: byte loads (a dword gather would read past the buffer) */
    int32_t t[NR * MR];
    for (int j = 0; j < NR; ++j)
      for (int i = 0; i < MR; ++i) t[j * MR + i] = bx_i32(bx_load_item(bx_elem_ptr(s, i, j), item));
    BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm512_add_epi32(acc[j], _mm512_loadu_si512(t + j * MR));
  }
}

/* acc[j] += sum_kk A[.][kk] * B[kk][j] over ceil(k/4) blocks of the K4 panels.
 * Out of line on purpose: inlined into the op dispatch loop, GCC 12 shuffles the sixteen
 * loop-carried accumulators through spare registers and the stack on every block (about 2x
 * slower). Here the tile is loaded once, the loop runs on registers only, and the caller pays
 * 16 stores + 16 loads per AddMatMul. */
BX_Z_FN __attribute__((noinline)) static void add_mat_mul_k4(__m512i tile[NR], size_t k, const int8_t *a,
                                                             const int8_t *b) {
  /* No early return for k = 0 here: with one, GCC 12 stops keeping the accumulators in fixed
   * registers across the loop. */
  const size_t blocks = k / 4 + (k % 4 != 0);
  __m512i acc[NR];
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = tile[j];
  const __m512i bias = _mm512_set1_epi8((char)0x80), ones = _mm512_set1_epi8(1);
  __m512i colsum = _mm512_setzero_si512(); /* lane j: sum_k B[k][j] */
  for (size_t kb = 0; kb < blocks; ++kb, a += 4 * MR, b += 4 * NR) {
    const __m512i au = _mm512_xor_si512(_mm512_loadu_si512(a), bias); /* A + 128 as u8 */
    BX_UNROLL for (int j = 0; j < NR; ++j)
      acc[j] = _mm512_dpbusd_epi32(acc[j], au, _mm512_set1_epi32(bx_load_i32(b + 4 * j)));
    colsum = _mm512_dpbusd_epi32(colsum, ones, _mm512_loadu_si512(b));
  }
  const __m512i comp = _mm512_slli_epi32(colsum, 7); /* 128 * colsum, mod 2^32 */
  BX_UNROLL for (int j = 0; j < NR; ++j)
    tile[j] = _mm512_sub_epi32(acc[j], _mm512_permutexvar_epi32(_mm512_set1_epi32(j), comp));
}

BX_Z_INLINE void op_add_mat_mul(__m512i acc[NR], size_t k, const int8_t *a, const int8_t *b) {
  __m512i tile[NR]; /* a copy, so that acc itself never has its address taken */
  BX_UNROLL for (int j = 0; j < NR; ++j) tile[j] = acc[j];
  add_mat_mul_k4(tile, k, a, b);
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = tile[j];
}

BX_Z_INLINE __m512i bin16(unsigned bin, __m512i acc, __m512i x) {
  switch (bin) {
  case BX_BIN_MIN: return _mm512_min_epi32(acc, x);
  case BX_BIN_MAX: return _mm512_max_epi32(acc, x);
  case BX_BIN_ADD: return _mm512_add_epi32(acc, x);
  case BX_BIN_MUL: return _mm512_mullo_epi32(acc, x); /* low 32 bits: wraps */
  case BX_BIN_SUB: return _mm512_sub_epi32(x, acc);
  default: return _mm512_sub_epi32(acc, x);
  }
}

BX_Z_INLINE void op_scalar(__m512i acc[NR], unsigned bin, int32_t x) {
  const __m512i v = _mm512_set1_epi32(x);
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = bin16(bin, acc[j], v);
}

BX_Z_INLINE void op_per_row(__m512i acc[NR], unsigned bin, const int32_t *p) {
  const __m512i v = _mm512_loadu_si512(p);
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = bin16(bin, acc[j], v);
}

BX_Z_INLINE void op_per_col(__m512i acc[NR], unsigned bin, const int32_t *p) {
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = bin16(bin, acc[j], _mm512_set1_epi32(p[j]));
}

/* QScale on one column, s in 1..63; am = |mult| (u32) in every dword, mv = mult. */
BX_Z_INLINE __m512i q_scale16(__m512i v, __m512i am, __m512i mv, __m128i cnt, __m512i hm1,
                              uintptr_t policy) {
  const __m512i one = _mm512_set1_epi64(1);
  const __m512i neg = _mm512_srai_epi32(_mm512_xor_si512(v, mv), 31); /* product < 0 (if != 0) */
  const __m512i av = _mm512_abs_epi32(v);
  const __m512i pe = _mm512_mul_epu32(av, am);                        /* even lanes, exact u64 */
  const __m512i po = _mm512_mul_epu32(_mm512_srli_epi64(av, 32), am); /* odd lanes */
  __m512i ce, co;
  switch (policy) {
  case BX_ROUND_ZERO: ce = co = _mm512_setzero_si512(); break;
  case BX_ROUND_AWAY: ce = co = one; break;
  case BX_ROUND_MINUS_INF:
    ce = _mm512_and_si512(neg, one);
    co = _mm512_and_si512(_mm512_srli_epi64(neg, 32), one);
    break;
  case BX_ROUND_PLUS_INF:
    ce = _mm512_andnot_si512(neg, one);
    co = _mm512_andnot_si512(_mm512_srli_epi64(neg, 32), one);
    break;
  case BX_ROUND_EVEN:
    ce = _mm512_and_si512(_mm512_srl_epi64(pe, cnt), one);
    co = _mm512_and_si512(_mm512_srl_epi64(po, cnt), one);
    break;
  default: /* BX_ROUND_ODD */
    ce = _mm512_andnot_si512(_mm512_srl_epi64(pe, cnt), one);
    co = _mm512_andnot_si512(_mm512_srl_epi64(po, cnt), one);
    break;
  }
  __m512i re = _mm512_srl_epi64(_mm512_add_epi64(_mm512_add_epi64(pe, hm1), ce), cnt);
  __m512i ro = _mm512_srl_epi64(_mm512_add_epi64(_mm512_add_epi64(po, hm1), co), cnt);
  __m512i r = _mm512_mask_blend_epi32(0xAAAA, re, _mm512_slli_epi64(ro, 32));
  return _mm512_sub_epi32(_mm512_xor_si512(r, neg), neg); /* conditional negate, wraps */
}

BX_Z_INLINE void q_scale_tile(__m512i acc[NR], int32_t mult, unsigned s, uintptr_t policy) {
  const __m512i am = _mm512_set1_epi32((int32_t)bx_abs_u32(mult));
  const __m512i mv = _mm512_set1_epi32(mult);
  const __m128i cnt = _mm_cvtsi32_si128((int)s);
  const __m512i hm1 = _mm512_set1_epi64((long long)((UINT64_C(1) << (s - 1)) - 1));
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = q_scale16(acc[j], am, mv, cnt, hm1, policy);
}

BX_Z_INLINE void op_q_scale(__m512i acc[NR], int32_t mult, unsigned s, uintptr_t policy) {
  if (s == 0) { /* round(v, 0) = v: wrap32 of the product */
    const __m512i mv = _mm512_set1_epi32(mult);
    BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm512_mullo_epi32(acc[j], mv);
    return;
  }
  switch (policy) { /* one specialised loop per policy */
  case BX_ROUND_ZERO: q_scale_tile(acc, mult, s, BX_ROUND_ZERO); break;
  case BX_ROUND_AWAY: q_scale_tile(acc, mult, s, BX_ROUND_AWAY); break;
  case BX_ROUND_MINUS_INF: q_scale_tile(acc, mult, s, BX_ROUND_MINUS_INF); break;
  case BX_ROUND_PLUS_INF: q_scale_tile(acc, mult, s, BX_ROUND_PLUS_INF); break;
  case BX_ROUND_EVEN: q_scale_tile(acc, mult, s, BX_ROUND_EVEN); break;
  default: q_scale_tile(acc, mult, s, BX_ROUND_ODD); break;
  }
}

/* RoundingShiftRight on one column, s in 1..31, in u32: |v| + 2^(s-1) <= 3 * 2^30. */
BX_Z_INLINE __m512i rsr16(__m512i v, __m128i cnt, __m512i hm1, uintptr_t policy) {
  const __m512i one = _mm512_set1_epi32(1), zero = _mm512_setzero_si512();
  const __m512i a = _mm512_abs_epi32(v);
  const __m512i base = _mm512_add_epi32(a, hm1);
  __m512i sum;
  switch (policy) {
  case BX_ROUND_ZERO: sum = base; break;
  case BX_ROUND_AWAY: sum = _mm512_add_epi32(base, one); break;
  case BX_ROUND_MINUS_INF: sum = _mm512_sub_epi32(base, _mm512_srai_epi32(v, 31)); break; /* +1 if v < 0 */
  case BX_ROUND_PLUS_INF: sum = _mm512_mask_add_epi32(base, _mm512_cmpgt_epi32_mask(v, zero), base, one); break;
  case BX_ROUND_EVEN: sum = _mm512_add_epi32(base, _mm512_and_si512(_mm512_srl_epi32(a, cnt), one)); break;
  default: sum = _mm512_add_epi32(base, _mm512_andnot_si512(_mm512_srl_epi32(a, cnt), one)); break;
  }
  const __m512i r = _mm512_srl_epi32(sum, cnt); /* < 2^31: negation is exact */
  return _mm512_mask_sub_epi32(r, _mm512_cmplt_epi32_mask(v, zero), zero, r);
}

BX_Z_INLINE void rsr_tile(__m512i acc[NR], unsigned s, uintptr_t policy) {
  const __m128i cnt = _mm_cvtsi32_si128((int)s);
  const __m512i hm1 = _mm512_set1_epi32((int32_t)((UINT32_C(1) << (s - 1)) - 1));
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = rsr16(acc[j], cnt, hm1, policy);
}

BX_Z_INLINE void op_rsr(__m512i acc[NR], unsigned s, uintptr_t policy) {
  switch (policy) {
  case BX_ROUND_ZERO: rsr_tile(acc, s, BX_ROUND_ZERO); break;
  case BX_ROUND_AWAY: rsr_tile(acc, s, BX_ROUND_AWAY); break;
  case BX_ROUND_MINUS_INF: rsr_tile(acc, s, BX_ROUND_MINUS_INF); break;
  case BX_ROUND_PLUS_INF: rsr_tile(acc, s, BX_ROUND_PLUS_INF); break;
  case BX_ROUND_EVEN: rsr_tile(acc, s, BX_ROUND_EVEN); break;
  default: rsr_tile(acc, s, BX_ROUND_ODD); break;
  }
}

/* ---- the kernel ---------------------------------------------------------------------------- */

#define BIN_CASES(first, body)                                                                     \
  case first + BX_BIN_MIN: body(BX_BIN_MIN); break;                                                \
  case first + BX_BIN_MAX: body(BX_BIN_MAX); break;                                                \
  case first + BX_BIN_ADD: body(BX_BIN_ADD); break;                                                \
  case first + BX_BIN_MUL: body(BX_BIN_MUL); break;                                                \
  case first + BX_BIN_SUB: body(BX_BIN_SUB); break;                                                \
  case first + BX_BIN_SUBF: body(BX_BIN_SUBF); break;

BX_Z_FN static intptr_t vnni_i32_16x16_k4_kernel(const bx_fused_ker_spec *op) {
  __m512i acc[NR];
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm512_setzero_si512(); /* undefined by the ABI */

  for (;; ++op) {
    if (BX_UNLIKELY(!bx_entry_in_domain(op, N_PACKINGS))) return BX_KERNEL_UNSUPPORTED;
    switch (op->tag) {
    case BX_DONE: return BX_KERNEL_DONE;
    case BX_CLEAR:
      BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm512_setzero_si512();
      break;
    case BX_LOAD_TILE:
      BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm512_loadu_si512(op->u.load_tile.col_major + j * MR);
      break;
#define SCALAR(bin) op_scalar(acc, bin, op->u.scalar.x) /* 4 bytes: bytes 12..15 are garbage */
      BIN_CASES(BX_SCALAR_MIN, SCALAR)
#undef SCALAR
#define PER_ROW(bin) op_per_row(acc, bin, op->u.per_vec)
      BIN_CASES(BX_PER_ROW_MIN, PER_ROW)
#undef PER_ROW
#define PER_COL(bin) op_per_col(acc, bin, op->u.per_vec)
      BIN_CASES(BX_PER_COL_MIN, PER_COL)
#undef PER_COL
    case BX_LEAKY_RELU: {
      const __m512i alpha = _mm512_set1_epi32(op->u.scalar.x), zero = _mm512_setzero_si512();
      BX_UNROLL for (int j = 0; j < NR; ++j) /* lanes <= 0 get alpha * acc (wraps) */
        acc[j] = _mm512_mask_mullo_epi32(acc[j], _mm512_cmple_epi32_mask(acc[j], zero), acc[j], alpha);
      break;
    }
    case BX_Q_SCALE:
      op_q_scale(acc, op->u.q_scale.mult, (unsigned)(op->u.q_scale.shift + 31), op->u.q_scale.policy);
      break;
    case BX_ROUNDING_SHIFT_RIGHT:
      op_rsr(acc, (unsigned)op->u.rounding_shift_right.shift, op->u.rounding_shift_right.policy);
      break;
    case BX_SHIFT_LEFT: {
      const __m128i cnt = _mm_cvtsi32_si128((int)op->u.shift_left); /* 0..31, wraps */
      BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm512_sll_epi32(acc[j], cnt);
      break;
    }
    case BX_ADD_UNICAST: op_add_unicast(acc, &op->u.store); break;
    case BX_ADD_ROW_COL_PRODUCTS: {
      const __m512i rows = _mm512_loadu_si512(op->u.row_col.rows);
      const int32_t *cols = op->u.row_col.cols;
      BX_UNROLL for (int j = 0; j < NR; ++j)
        acc[j] = _mm512_add_epi32(acc[j], _mm512_mullo_epi32(rows, _mm512_set1_epi32(cols[j])));
      break;
    }
    case BX_STORE: op_store(acc, &op->u.store); break;
    case BX_ADD_MAT_MUL:
      op_add_mat_mul(acc, op->u.add_mat_mul.k, (const int8_t *)op->u.add_mat_mul.pa,
                     (const int8_t *)op->u.add_mat_mul.pb);
      break;
    default: return BX_KERNEL_UNSUPPORTED;
    }
  }
}

/* ---- CPU detection (compiled for the baseline ISA) ------------------------------------------ */

static void set_why(char *why, size_t why_len, const char *msg) {
  if (why && why_len) {
    size_t n = strlen(msg);
    if (n >= why_len) n = why_len - 1;
    memcpy(why, msg, n);
    why[n] = 0;
  }
}

static int vnni_is_supported_here(char *why, size_t why_len) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) {
    set_why(why, why_len, "CPU lacks OSXSAVE: the OS does not enable AVX state");
    return 0;
  }
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 0xE6) != 0xE6) { /* XMM, YMM, opmask, ZMM_Hi256, Hi16_ZMM state */
    set_why(why, why_len, "OS does not save AVX-512 state (XCR0: opmask/zmm)");
    return 0;
  }
  __builtin_cpu_init();
  static const char *const need[] = {"avx512f", "avx512bw", "avx512vl", "avx512vnni"};
  int have[4] = {__builtin_cpu_supports("avx512f"), __builtin_cpu_supports("avx512bw"),
                 __builtin_cpu_supports("avx512vl"), __builtin_cpu_supports("avx512vnni")};
  for (int f = 0; f < 4; ++f) {
    if (!have[f]) {
      char msg[64] = "CPU lacks ";
      strncat(msg, need[f], sizeof msg - strlen(msg) - 1);
      set_why(why, why_len, msg);
      return 0;
    }
  }
  return 1;
}

const bx_kernel_desc bx_kernel_x86_avx512vnni_i32_16x16_k4 = {
    BX_ABI_VERSION,
    "x86_avx512vnni_i32_16x16_k4",
    "avx512vnni",
    MR,
    NR,
    N_PACKINGS,
    vnni_packings,
    BX_OPS_V1,
    vnni_i32_16x16_k4_kernel,
    vnni_is_supported_here,
    NULL, /* packing_ids: 0..N_PACKINGS-1 */
    NULL, /* contract: SPEC's full domain */
};
BX_REGISTER_KERNEL(bx_kernel_x86_avx512vnni_i32_16x16_k4);

#endif /* __x86_64__ */
