/* MUTANT mut_maddubs_avx2: AddMatMul through vpmaddubsw, the classic AVX2 u8 x s8 path
 * (oneDNN #476 / #518): A is biased to u8 (A ^ 0x80 = A + 128), vpmaddubsw multiplies u8 by
 * s8 and adds adjacent products into i16 WITH SIGNED SATURATION (255*127 + 255*127 = 64770
 * becomes 32767), then 128 * sum_k B is subtracted (the compensation is exact). Four k per
 * step; the k % 4 leftover records go through the exact vpmaddwd path. */
BX_AVX2_INLINE void op_add_mat_mul_maddubs(__m256i acc[NR], size_t k, const int8_t *a, const int8_t *b) {
  const __m128i bias = _mm_set1_epi8((char)0x80);
  int32_t colsum[NR] = {0};
  for (; k >= 4; k -= 4, a += 4 * MR, b += 4 * NR) {
    /* 16-bit lane i of the low half = (A[i][kk], A[i][kk+1]), of the high half = kk+2, kk+3 */
    const __m128i a01 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)a), bias);
    const __m128i a23 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(a + 2 * MR)), bias);
    const __m128i b01 = _mm_loadu_si128((const __m128i *)b);
    const __m128i b23 = _mm_loadu_si128((const __m128i *)(b + 2 * NR));
    const __m256i au = _mm256_setr_m128i(_mm_unpacklo_epi8(a01, _mm_srli_si128(a01, 8)),
                                         _mm_unpacklo_epi8(a23, _mm_srli_si128(a23, 8)));
    int16_t bp[2 * NR]; /* (B[kk][j], B[kk+1][j]) for j < 8, then kk+2, kk+3 */
    _mm_storeu_si128((__m128i *)bp, _mm_unpacklo_epi8(b01, _mm_srli_si128(b01, 8)));
    _mm_storeu_si128((__m128i *)(bp + NR), _mm_unpacklo_epi8(b23, _mm_srli_si128(b23, 8)));
    for (int j = 0; j < NR; ++j) {
      const __m256i bj = _mm256_setr_m128i(_mm_set1_epi16(bp[j]), _mm_set1_epi16(bp[NR + j]));
      const __m256i p = _mm256_maddubs_epi16(au, bj); /* saturating i16 pair sums */
      acc[j] = _mm256_add_epi32(acc[j], _mm256_add_epi32(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(p)),
                                                         _mm256_cvtepi16_epi32(_mm256_extracti128_si256(p, 1))));
      for (int kk = 0; kk < 4; ++kk) colsum[j] += b[kk * NR + j];
    }
  }
  for (int j = 0; j < NR; ++j) /* compensation: - 128 * sum_k B[k][j] */
    acc[j] = _mm256_sub_epi32(acc[j], _mm256_set1_epi32((int32_t)((uint32_t)colsum[j] << 7)));
  op_add_mat_mul(acc, k, a, b); /* the k % 4 leftover records, exact */
}
