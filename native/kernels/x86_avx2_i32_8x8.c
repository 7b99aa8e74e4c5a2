/*
 * x86_avx2_i32_8x8 — AVX2 kernel, 8 x 8 i32 tile in eight ymm registers.
 *
 * Layout: acc[j] holds column j, lane i = row i (column-major), so a
 * PerRow vector is one load and a column-major Store (the frame's border scratch) is one store
 * per column.
 *
 * Packing 0: PackedFormat(r = 8, align = 32, end_padding_record = 1) for A and B: record kk of
 * a panel is the 8 bytes at kk * 8. The end padding record is never read.
 *
 * AddMatMul is exact: i8 is sign-extended to i16 and two k are reduced by vpmaddwd
 * (a0*b0 + a1*b1 <= 2 * 128 * 128 = 32768 fits its i32 result; nothing saturates — unlike
 * vpmaddubsw, whose i16 pair sums saturate: oneDNN #476/#518). The i32 sums wrap.
 *
 * Rounding (QScale, RoundingShiftRight) follows common.h's carry table, on magnitudes:
 * |acc| as u32 (so i32::MIN is 2^31), |acc| * |mult| with vpmuludq (exact u64), the rounding
 * sum in u64, a logical shift, and the sign restored in 32 bits (the wrap32 of SPEC).
 */
#include "common.h"
#include "bitexact/register.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>

#define MR 8
#define NR 8

#define BX_AVX2_FN __attribute__((target("avx2")))
#define BX_AVX2_INLINE static inline __attribute__((always_inline, target("avx2")))

#if defined(__clang__)
#define BX_UNROLL _Pragma("unroll")
#else
#define BX_UNROLL _Pragma("GCC unroll 16")
#endif

static const bx_packing avx2_packings[] = {
    {{BX_PACK_FORMAT, MR, 32, 1}, {BX_PACK_FORMAT, NR, 32, 1}, 1},
};
#define N_PACKINGS ((uint32_t)(sizeof avx2_packings / sizeof avx2_packings[0]))

/* ---- layout helpers ------------------------------------------------------------------------ */

/* In-register 8 x 8 i32 transpose: out[j] lane i = in[i] lane j. */
BX_AVX2_INLINE void transpose8(__m256i out[8], const __m256i in[8]) {
  __m256i t0 = _mm256_unpacklo_epi32(in[0], in[1]), t1 = _mm256_unpackhi_epi32(in[0], in[1]);
  __m256i t2 = _mm256_unpacklo_epi32(in[2], in[3]), t3 = _mm256_unpackhi_epi32(in[2], in[3]);
  __m256i t4 = _mm256_unpacklo_epi32(in[4], in[5]), t5 = _mm256_unpackhi_epi32(in[4], in[5]);
  __m256i t6 = _mm256_unpacklo_epi32(in[6], in[7]), t7 = _mm256_unpackhi_epi32(in[6], in[7]);
  __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
  __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
  __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
  __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
  out[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  out[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  out[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  out[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  out[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  out[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  out[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  out[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

/* Low 16 bits of each i32 lane, packed (truncation: the mask makes packus exact). */
BX_AVX2_INLINE __m128i trunc_epi16(__m256i v) {
  v = _mm256_and_si256(v, _mm256_set1_epi32(0xFFFF));
  return _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

/* Low 8 bits of each i32 lane, packed into the low 8 bytes. */
BX_AVX2_INLINE __m128i trunc_epi8(__m256i v) {
  v = _mm256_and_si256(v, _mm256_set1_epi32(0xFF));
  __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return _mm_packus_epi16(w, w);
}

/* Store 8 lanes (one column or one row) contiguously with the given item size. */
BX_AVX2_INLINE void store_line(char *p, __m256i v, uintptr_t item_size) {
  if (item_size == 4)
    _mm256_storeu_si256((__m256i *)p, v);
  else if (item_size == 2)
    _mm_storeu_si128((__m128i *)p, trunc_epi16(v));
  else
    _mm_storel_epi64((__m128i *)p, trunc_epi8(v));
}

/* Load 8 contiguous items (i32, or i8 sign-extended) into 8 lanes; reads 8 * item_size bytes. */
BX_AVX2_INLINE __m256i load_line(const char *p, uintptr_t item_size) {
  if (item_size == 4) return _mm256_loadu_si256((const __m256i *)p);
  return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p));
}

/* ---- ops --------------------------------------------------------------------------------- */

BX_AVX2_INLINE void op_store(__m256i acc[NR], const bx_output_store *s) {
  const uintptr_t item = s->item_size;
  char *base = (char *)s->ptr;
  if (s->row_byte_stride == (intptr_t)item) { /* columns contiguous (column-major) */
    BX_UNROLL for (int j = 0; j < NR; ++j) store_line(base + (intptr_t)j * s->col_byte_stride, acc[j], item);
  } else if (s->col_byte_stride == (intptr_t)item) { /* rows contiguous (row-major) */
    __m256i rows[MR];
    transpose8(rows, acc);
    BX_UNROLL for (int i = 0; i < MR; ++i) store_line(base + (intptr_t)i * s->row_byte_stride, rows[i], item);
  } else { /* arbitrary strides: AVX2 has no scatter */
    int32_t t[NR * MR];
    BX_UNROLL for (int j = 0; j < NR; ++j) _mm256_storeu_si256((__m256i *)(t + j * MR), acc[j]);
    for (int j = 0; j < NR; ++j)
      for (int i = 0; i < MR; ++i) bx_store_item(bx_elem_ptr(s, i, j), bx_u32(t[j * MR + i]), item);
  }
}

BX_AVX2_INLINE void op_add_unicast(__m256i acc[NR], const bx_output_store *s) {
  const uintptr_t item = s->item_size;
  const char *base = (const char *)s->ptr;
  const intptr_t rs = s->row_byte_stride, cs = s->col_byte_stride;
  if (rs == (intptr_t)item) {
    BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm256_add_epi32(acc[j], load_line(base + (intptr_t)j * cs, item));
  } else if (cs == (intptr_t)item) {
    __m256i rows[MR], cols[NR];
    BX_UNROLL for (int i = 0; i < MR; ++i) rows[i] = load_line(base + (intptr_t)i * rs, item);
    transpose8(cols, rows);
    BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm256_add_epi32(acc[j], cols[j]);
  } else if (item == 4 && rs >= -(INT32_MAX / MR) && rs <= INT32_MAX / MR) {
    /* gather one column at a time: lane i reads base + j*cs + i*rs (zero strides included) */
    const __m256i vindex = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                              _mm256_set1_epi32((int32_t)rs));
    BX_UNROLL for (int j = 0; j < NR; ++j) {
      const int *col = (const int *)(base + (intptr_t)j * cs);
      acc[j] = _mm256_add_epi32(acc[j], _mm256_i32gather_epi32(col, vindex, 1));
    }
  } else { /* i8 at arbitrary strides: byte loads (a 32-bit gather would read past the buffer) */
    int32_t t[NR * MR];
    for (int j = 0; j < NR; ++j)
      for (int i = 0; i < MR; ++i) t[j * MR + i] = bx_i32(bx_load_item(bx_elem_ptr(s, i, j), item));
    BX_UNROLL for (int j = 0; j < NR; ++j)
      acc[j] = _mm256_add_epi32(acc[j], _mm256_loadu_si256((const __m256i *)(t + j * MR)));
  }
}

/* Sign-extends two consecutive 8-byte records (k, k+1) to i16 and interleaves them: lane l of
 * the result (as i32) is the pair (r0[l], r1[l]), the operand layout of vpmaddwd. */
BX_AVX2_INLINE __m256i interleave_pair(const int8_t *p) {
  const __m128i r = _mm_loadu_si128((const __m128i *)p);
  return _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r, _mm_srli_si128(r, 8)));
}

/* acc[j] += sum_kk A[.][kk] * B[kk][j]. Two k per step: lane i of the A operand is the i16
 * pair (a[kk][i], a[kk+1][i]), the B pair (b[kk][j], b[kk+1][j]) is broadcast to every lane,
 * and vpmaddwd adds both products exactly into i32.
 * The panels are first re-laid as i16 pairs, CHUNK k-pairs at a time, into stack buffers:
 * the main loop is then one aligned load, eight vpbroadcastd from memory (load ports) and
 * eight vpmaddwd + vpaddd per k pair, with no shuffles. Broadcasting B in registers instead
 * makes the loop shuffle-bound, and broadcasting from a just-written vector stalls on store
 * forwarding (both measured ~30% slower). Reads exactly k records of each panel. */
BX_AVX2_INLINE void op_add_mat_mul(__m256i acc[NR], size_t k, const int8_t *a, const int8_t *b) {
  enum { CHUNK = 64 };
  int32_t ap[CHUNK][MR] __attribute__((aligned(32)));
  int32_t bp[CHUNK][NR] __attribute__((aligned(32)));
  while (k >= 2) {
    const size_t np = k / 2 < CHUNK ? k / 2 : CHUNK;
    for (size_t p = 0; p < np; ++p) {
      _mm256_store_si256((__m256i *)ap[p], interleave_pair(a + 2 * MR * p));
      _mm256_store_si256((__m256i *)bp[p], interleave_pair(b + 2 * NR * p));
    }
    for (size_t p = 0; p < np; ++p) {
      const __m256i av = _mm256_load_si256((const __m256i *)ap[p]);
      BX_UNROLL for (int j = 0; j < NR; ++j)
        acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(av, _mm256_set1_epi32(bp[p][j])));
    }
    a += 2 * MR * np;
    b += 2 * NR * np;
    k -= 2 * np;
  }
  if (k) { /* odd k: the last record, paired with zero (the end padding record is not read) */
    const __m128i z = _mm_setzero_si128();
    const __m256i av = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)a), z));
    _mm256_store_si256((__m256i *)bp[0],
                       _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)b), z)));
    BX_UNROLL for (int j = 0; j < NR; ++j)
      acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(av, _mm256_set1_epi32(bp[0][j])));
  }
}

/* Binary op on one column; bin is a constant after inlining. */
BX_AVX2_INLINE __m256i bin8(unsigned bin, __m256i acc, __m256i x) {
  switch (bin) {
  case BX_BIN_MIN: return _mm256_min_epi32(acc, x);
  case BX_BIN_MAX: return _mm256_max_epi32(acc, x);
  case BX_BIN_ADD: return _mm256_add_epi32(acc, x);
  case BX_BIN_MUL: return _mm256_mullo_epi32(acc, x); /* low 32 bits: wraps */
  case BX_BIN_SUB: return _mm256_sub_epi32(x, acc);
  default: return _mm256_sub_epi32(acc, x);
  }
}

BX_AVX2_INLINE void op_scalar(__m256i acc[NR], unsigned bin, int32_t x) {
  const __m256i v = _mm256_set1_epi32(x);
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = bin8(bin, acc[j], v);
}

BX_AVX2_INLINE void op_per_row(__m256i acc[NR], unsigned bin, const int32_t *p) {
  const __m256i v = _mm256_loadu_si256((const __m256i *)p);
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = bin8(bin, acc[j], v);
}

BX_AVX2_INLINE void op_per_col(__m256i acc[NR], unsigned bin, const int32_t *p) {
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = bin8(bin, acc[j], _mm256_set1_epi32(p[j]));
}

/* QScale on one column, s = shift + 31 in 1..63 (s = 0 is a plain mullo). am = |mult| in every
 * dword (u32), mneg = mult. Even and odd lanes are done as u64 products, then recombined. */
BX_AVX2_INLINE __m256i q_scale8(__m256i v, __m256i am, __m256i mv, __m128i cnt, __m256i hm1,
                                uintptr_t policy) {
  const __m256i one = _mm256_set1_epi64x(1);
  const __m256i neg = _mm256_srai_epi32(_mm256_xor_si256(v, mv), 31); /* product < 0 (if != 0) */
  const __m256i av = _mm256_abs_epi32(v);                            /* u32 magnitude */
  const __m256i pe = _mm256_mul_epu32(av, am);                       /* lanes 0,2,4,6 */
  const __m256i po = _mm256_mul_epu32(_mm256_srli_epi64(av, 32), am); /* lanes 1,3,5,7 */
  __m256i ce, co; /* carries 0/1 in u64 (common.h's table) */
  switch (policy) {
  case BX_ROUND_ZERO: ce = co = _mm256_setzero_si256(); break;
  case BX_ROUND_AWAY: ce = co = one; break;
  case BX_ROUND_MINUS_INF:
    ce = _mm256_and_si256(neg, one);
    co = _mm256_and_si256(_mm256_srli_epi64(neg, 32), one);
    break;
  case BX_ROUND_PLUS_INF:
    ce = _mm256_andnot_si256(neg, one);
    co = _mm256_andnot_si256(_mm256_srli_epi64(neg, 32), one);
    break;
  case BX_ROUND_EVEN:
    ce = _mm256_and_si256(_mm256_srl_epi64(pe, cnt), one);
    co = _mm256_and_si256(_mm256_srl_epi64(po, cnt), one);
    break;
  default: /* BX_ROUND_ODD */
    ce = _mm256_andnot_si256(_mm256_srl_epi64(pe, cnt), one);
    co = _mm256_andnot_si256(_mm256_srl_epi64(po, cnt), one);
    break;
  }
  /* |p| + 2^(s-1) - 1 + c <= 2^62 + 2^62: no u64 overflow. */
  __m256i re = _mm256_srl_epi64(_mm256_add_epi64(_mm256_add_epi64(pe, hm1), ce), cnt);
  __m256i ro = _mm256_srl_epi64(_mm256_add_epi64(_mm256_add_epi64(po, hm1), co), cnt);
  __m256i r = _mm256_blend_epi32(re, _mm256_slli_epi64(ro, 32), 0xAA); /* low 32 bits of each */
  return _mm256_sub_epi32(_mm256_xor_si256(r, neg), neg); /* conditional negate, wraps */
}

BX_AVX2_INLINE void q_scale_tile(__m256i acc[NR], int32_t mult, unsigned s, uintptr_t policy) {
  const __m256i am = _mm256_set1_epi32((int32_t)bx_abs_u32(mult));
  const __m256i mv = _mm256_set1_epi32(mult);
  const __m128i cnt = _mm_cvtsi32_si128((int)s);
  const __m256i hm1 = _mm256_set1_epi64x((int64_t)((UINT64_C(1) << (s - 1)) - 1));
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = q_scale8(acc[j], am, mv, cnt, hm1, policy);
}

BX_AVX2_INLINE void op_q_scale(__m256i acc[NR], int32_t mult, unsigned s,
                                                             uintptr_t policy) {
  if (s == 0) { /* round(v, 0) = v: wrap32 of the product */
    const __m256i mv = _mm256_set1_epi32(mult);
    BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm256_mullo_epi32(acc[j], mv);
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

/* RoundingShiftRight on one column, s in 1..31, all in u32: |v| + 2^(s-1) <= 3 * 2^30. */
BX_AVX2_INLINE __m256i rsr8(__m256i v, __m128i cnt, __m256i hm1, uintptr_t policy) {
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i a = _mm256_abs_epi32(v);
  const __m256i base = _mm256_add_epi32(a, hm1);
  __m256i sum;
  switch (policy) {
  case BX_ROUND_ZERO: sum = base; break;
  case BX_ROUND_AWAY: sum = _mm256_add_epi32(base, one); break;
  case BX_ROUND_MINUS_INF: sum = _mm256_sub_epi32(base, _mm256_srai_epi32(v, 31)); break; /* +1 if v < 0 */
  case BX_ROUND_PLUS_INF:
    sum = _mm256_sub_epi32(base, _mm256_cmpgt_epi32(v, _mm256_setzero_si256())); /* +1 if v > 0 */
    break;
  case BX_ROUND_EVEN: sum = _mm256_add_epi32(base, _mm256_and_si256(_mm256_srl_epi32(a, cnt), one)); break;
  default: sum = _mm256_add_epi32(base, _mm256_andnot_si256(_mm256_srl_epi32(a, cnt), one)); break;
  }
  /* vpsignd: negate where v < 0 (the magnitude is < 2^31, so this is exact); v == 0 gives 0. */
  return _mm256_sign_epi32(_mm256_srl_epi32(sum, cnt), v);
}

BX_AVX2_INLINE void rsr_tile(__m256i acc[NR], unsigned s, uintptr_t policy) {
  const __m128i cnt = _mm_cvtsi32_si128((int)s);
  const __m256i hm1 = _mm256_set1_epi32((int32_t)((UINT32_C(1) << (s - 1)) - 1));
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = rsr8(acc[j], cnt, hm1, policy);
}

BX_AVX2_INLINE void op_rsr(__m256i acc[NR], unsigned s, uintptr_t policy) {
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

BX_AVX2_FN static intptr_t avx2_i32_8x8_kernel(const bx_fused_ker_spec *op) {
  __m256i acc[NR];
  BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm256_setzero_si256(); /* undefined by the ABI */

  for (;; ++op) {
    if (BX_UNLIKELY(!bx_entry_in_domain(op, N_PACKINGS))) return BX_KERNEL_UNSUPPORTED;
    switch (op->tag) {
    case BX_DONE: return BX_KERNEL_DONE;
    case BX_CLEAR:
      BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm256_setzero_si256();
      break;
    case BX_LOAD_TILE:
      BX_UNROLL for (int j = 0; j < NR; ++j)
        acc[j] = _mm256_loadu_si256((const __m256i *)(op->u.load_tile.col_major + j * MR));
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
      const __m256i alpha = _mm256_set1_epi32(op->u.scalar.x), zero = _mm256_setzero_si256();
      BX_UNROLL for (int j = 0; j < NR; ++j)
        acc[j] = _mm256_blendv_epi8(_mm256_mullo_epi32(acc[j], alpha), acc[j], _mm256_cmpgt_epi32(acc[j], zero));
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
      BX_UNROLL for (int j = 0; j < NR; ++j) acc[j] = _mm256_sll_epi32(acc[j], cnt);
      break;
    }
    case BX_ADD_UNICAST: op_add_unicast(acc, &op->u.store); break;
    case BX_ADD_ROW_COL_PRODUCTS: {
      const __m256i rows = _mm256_loadu_si256((const __m256i *)op->u.row_col.rows);
      const int32_t *cols = op->u.row_col.cols;
      BX_UNROLL for (int j = 0; j < NR; ++j)
        acc[j] = _mm256_add_epi32(acc[j], _mm256_mullo_epi32(rows, _mm256_set1_epi32(cols[j])));
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

static int avx2_is_supported_here(char *why, size_t why_len) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) {
    set_why(why, why_len, "CPU lacks OSXSAVE: the OS does not enable AVX state");
    return 0;
  }
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 0x6) != 0x6) { /* XMM and YMM state */
    set_why(why, why_len, "OS does not save YMM state (XCR0)");
    return 0;
  }
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) {
    set_why(why, why_len, "CPU lacks AVX2");
    return 0;
  }
  return 1;
}

const bx_kernel_desc bx_kernel_x86_avx2_i32_8x8 = {
    BX_ABI_VERSION,
    "x86_avx2_i32_8x8",
    "avx2",
    MR,
    NR,
    N_PACKINGS,
    avx2_packings,
    BX_OPS_V1,
    avx2_i32_8x8_kernel,
    avx2_is_supported_here,
};
BX_REGISTER_KERNEL(bx_kernel_x86_avx2_i32_8x8);

#endif /* __x86_64__ */
