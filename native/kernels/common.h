/*
 * native/kernels/common.h — portable helpers shared by the builtin kernels.
 *
 * Plain C99, no intrinsics, no platform assumptions beyond <stdint.h>: the x86-64 kernels and
 * the aarch64 kernels both include it. Everything is static inline.
 *
 * Integer rules (docs/semantics.md): every add/sub/mul wraps mod 2^32, so the helpers compute in
 * uint32_t / uint64_t and convert back to int32_t at the end (C's signed overflow is UB; the
 * unsigned -> signed conversion is implementation-defined and is modulo 2^32 on every compiler
 * we target, including under UBSan).
 */
#ifndef BX_KERNELS_COMMON_H
#define BX_KERNELS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bitexact/kernel.h"

#if defined(__GNUC__) || defined(__clang__)
#define BX_INLINE static inline __attribute__((always_inline))
#define BX_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define BX_INLINE static inline
#define BX_UNLIKELY(x) (x)
#endif

/* ---- wrapping i32 arithmetic ------------------------------------------------------------ */

BX_INLINE int32_t bx_i32(uint32_t u) { return (int32_t)u; } /* modulo 2^32 (GCC/Clang define it) */
BX_INLINE uint32_t bx_u32(int32_t v) { return (uint32_t)v; }
/* |v| as an unsigned 32-bit magnitude: |INT32_MIN| = 2^31 is representable here. */
BX_INLINE uint32_t bx_abs_u32(int32_t v) { return v < 0 ? 0u - (uint32_t)v : (uint32_t)v; }

/* The six binary ops in tag order (Scalar: tag - 3, PerRow: tag - 10, PerCol: tag - 16).
 * Sub is operand - acc, SubF is acc - operand (tract's convention, docs/semantics.md). */
enum bx_bin { BX_BIN_MIN = 0, BX_BIN_MAX, BX_BIN_ADD, BX_BIN_MUL, BX_BIN_SUB, BX_BIN_SUBF };

BX_INLINE uint32_t bx_bin_apply(unsigned bin, uint32_t acc, uint32_t x) {
  switch (bin) {
  case BX_BIN_MIN: return bx_i32(x) < bx_i32(acc) ? x : acc;
  case BX_BIN_MAX: return bx_i32(x) > bx_i32(acc) ? x : acc;
  case BX_BIN_ADD: return acc + x;
  case BX_BIN_MUL: return acc * x;
  case BX_BIN_SUB: return x - acc;
  default: return acc - x; /* BX_BIN_SUBF */
  }
}

/* ---- rounding (docs/semantics.md, tract linalg/src/generic/rounding.rs) ----------------------
 *
 * SPEC: round(v, s) = sign(v) * ((|v| + 2^(s-1) + nudge) >> s), nudge in {-1, 0}.
 * We write nudge = carry - 1 with carry in {0, 1}:
 *     round(v, s) = sign(v) * ((|v| + (2^(s-1) - 1) + carry) >> s)
 * so every policy is one table of carries (t = |v| >> s):
 *     Zero 0 | Away 1 | MinusInf v < 0 | PlusInf v > 0 | Even t & 1 | Odd !(t & 1)
 * MinusInf/PlusInf differ from the SPEC at v == 0 (carry 1 vs 0 resp. 0 vs 1), which cannot
 * change the result: |v| = 0 gives (2^(s-1) - 1 + carry) >> s = 0 for s >= 1. So "negative"
 * may be any predicate that is exact for v != 0 (e.g. sign(mult) != sign(acc) for QScale).
 * SIMD kernels use the same table with lane masks.
 */
BX_INLINE int bx_policy_valid(uintptr_t policy) {
  return policy >= BX_ROUND_ZERO && policy <= BX_ROUND_ODD;
}

BX_INLINE uint64_t bx_round_carry(uintptr_t policy, int negative, uint64_t t) {
  switch (policy) {
  case BX_ROUND_ZERO: return 0;
  case BX_ROUND_AWAY: return 1;
  case BX_ROUND_MINUS_INF: return negative ? 1 : 0;
  case BX_ROUND_PLUS_INF: return negative ? 0 : 1;
  case BX_ROUND_EVEN: return t & 1;
  default: return (~t) & 1; /* BX_ROUND_ODD */
  }
}

/* RoundingShiftRight: s in 1..31, policy valid. Exact: |v| + 2^(s-1) <= 2^31 + 2^30 fits u32. */
BX_INLINE int32_t bx_rounding_shift_right_i32(int32_t v, unsigned s, uintptr_t policy) {
  uint32_t a = bx_abs_u32(v);
  uint32_t c = (uint32_t)bx_round_carry(policy, v < 0, a >> s);
  uint32_t r = (a + ((UINT32_C(1) << (s - 1)) - 1u) + c) >> s;
  return bx_i32(v < 0 ? 0u - r : r);
}

/* QScale: s = shift + 31 in 0..63, policy valid. The product |mult| * |acc| <= 2^62 is exact in
 * u64 and so is the rounding sum (< 2^63); the result is wrapped to 32 bits (SPEC: wrap32). */
BX_INLINE int32_t bx_q_scale_i32(int32_t acc, int32_t mult, unsigned s, uintptr_t policy) {
  if (s == 0) /* round(v, 0) = v: the low 32 bits of the exact product */
    return bx_i32(bx_u32(acc) * bx_u32(mult));
  int negative = (acc < 0) != (mult < 0); /* exact whenever the product is non-zero */
  uint64_t a = (uint64_t)bx_abs_u32(acc) * bx_abs_u32(mult);
  uint64_t c = bx_round_carry(policy, negative, a >> s);
  uint32_t r = (uint32_t)((a + ((UINT64_C(1) << (s - 1)) - 1u) + c) >> s);
  return bx_i32(negative ? 0u - r : r);
}

/* ---- op parameter domain ------------------------------------------------------------------
 *
 * SPEC "Domain of definition": the library rejects out-of-domain chains before any kernel
 * runs. The builtin kernels still check the few parameters whose misuse would be UB or garbage
 * (shift amounts, policies, item sizes, packing index) and treat such an entry as an op they do
 * not implement: return 1 at once, nothing else done. One function so every kernel agrees.
 */
BX_INLINE int bx_entry_in_domain(const bx_fused_ker_spec *op, uint32_t n_packings) {
  switch (op->tag) {
  case BX_Q_SCALE:
    return bx_policy_valid(op->u.q_scale.policy) && op->u.q_scale.shift >= -31 &&
           op->u.q_scale.shift <= 32;
  case BX_ROUNDING_SHIFT_RIGHT:
    return bx_policy_valid(op->u.rounding_shift_right.policy) &&
           op->u.rounding_shift_right.shift >= 1 && op->u.rounding_shift_right.shift <= 31;
  case BX_SHIFT_LEFT: return op->u.shift_left <= 31;
  case BX_ADD_UNICAST: return op->u.store.item_size == 1 || op->u.store.item_size == 4;
  case BX_STORE:
    return op->u.store.item_size == 1 || op->u.store.item_size == 2 || op->u.store.item_size == 4;
  case BX_ADD_MAT_MUL: return op->u.add_mat_mul.packing < n_packings;
  default: return op->tag < BX_OP_COUNT;
  }
}

/* ---- strided operands (AddUnicast / Store) ----------------------------------------------- */

/* Address of element (i, j); strides are signed byte strides (negative and zero allowed). */
BX_INLINE char *bx_elem_ptr(const bx_output_store *s, uint32_t i, uint32_t j) {
  return (char *)s->ptr + (intptr_t)i * s->row_byte_stride + (intptr_t)j * s->col_byte_stride;
}

/* AddUnicast operand: item_size 4 reads an i32, 1 reads an i8 sign-extended (never more than
 * item_size bytes: the last element may end the caller's buffer). */
BX_INLINE uint32_t bx_load_item(const char *p, uintptr_t item_size) {
  if (item_size == 1) return bx_u32((int32_t)(int8_t)*p);
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* Store: keep the low 8/16/32 bits (truncation, never saturation). Unaligned-safe. */
BX_INLINE void bx_store_item(char *p, uint32_t v, uintptr_t item_size) {
  if (item_size == 4) {
    memcpy(p, &v, 4);
  } else if (item_size == 2) {
    uint16_t h = (uint16_t)v;
    memcpy(p, &h, 2);
  } else {
    *(unsigned char *)p = (unsigned char)v;
  }
}

/* Unaligned 4-byte load (native byte order) from a byte pointer: packed panels, broadcasts. */
BX_INLINE int32_t bx_load_i32(const void *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

#endif /* BX_KERNELS_COMMON_H */
