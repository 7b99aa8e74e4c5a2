/*
 * ext_kernel.c — a small external kernel for bitexact: `ext_generic_i32_4x4`.
 *
 * Portable C, every op of the ABI, built against the public header only:
 *     cc -O2 -shared -fPIC -I../../native/include ext_kernel.c -o build/libext_kernel.so
 * and gated with
 *     npx bitexact conform --kernel-lib examples/external-kernel/build/libext_kernel.so
 *
 * or, from the raw kernel function alone (no descriptor: kernels.json describes it), with
 *     npx bitexact conform --manifest examples/external-kernel/kernels.json
 *
 * Tile: 4 x 4 i32. One packing, PackedFormat(r = 4, align = 1, end_padding_record = 1) for A
 * and B: k-record kk of a panel is the 4 bytes at kk * 4 (docs/packing.md). Like tract's i8
 * kernels, the kernel's own index for it is 1: a chain's AddMatMul carries packing = 1.
 * All arithmetic is on uint32_t / uint64_t: the ABI wraps, and C's signed overflow is UB.
 */
#include <string.h>

#include "bitexact/kernel.h"

#define MR 4
#define NR 4
#define PACKING_ID 1

static uint32_t bin_op(unsigned bin, uint32_t acc, uint32_t x) {
  switch (bin) {
  case 0: return (int32_t)x < (int32_t)acc ? x : acc; /* Min */
  case 1: return (int32_t)x > (int32_t)acc ? x : acc; /* Max */
  case 2: return acc + x;                             /* Add */
  case 3: return acc * x;                             /* Mul */
  case 4: return x - acc;                             /* Sub:  operand - acc */
  default: return acc - x;                            /* SubF: acc - operand */
  }
}

/* round(v, s, policy) of docs/semantics.md for |v| <= 2^62 and 1 <= s <= 63: round to nearest,
 * the policy decides exact ties. Returns the low 32 bits (the ops wrap). */
static uint32_t round_shift(int negative, uint64_t a, unsigned s, uintptr_t policy) {
  uint64_t t = a >> s, carry; /* sum = a + 2^(s-1) - 1 + carry, carry = 1 + nudge */
  switch (policy) {
  case BX_ROUND_ZERO: carry = 0; break;
  case BX_ROUND_AWAY: carry = 1; break;
  case BX_ROUND_MINUS_INF: carry = negative ? 1 : 0; break;
  case BX_ROUND_PLUS_INF: carry = negative ? 0 : 1; break;
  case BX_ROUND_EVEN: carry = t & 1; break;
  default: carry = (~t) & 1; break; /* BX_ROUND_ODD */
  }
  uint32_t r = (uint32_t)((a + ((UINT64_C(1) << (s - 1)) - 1) + carry) >> s);
  return negative ? 0u - r : r;
}

static uint64_t mag(int32_t v) { return v < 0 ? (uint64_t)0 - (uint64_t)(int64_t)v : (uint64_t)v; }

static char *elem(const bx_output_store *s, int i, int j) {
  return (char *)s->ptr + (intptr_t)i * s->row_byte_stride + (intptr_t)j * s->col_byte_stride;
}

static int in_domain(const bx_fused_ker_spec *op) {
  switch (op->tag) {
  case BX_Q_SCALE:
    return op->u.q_scale.policy >= 1 && op->u.q_scale.policy <= 6 && op->u.q_scale.shift >= -31 && op->u.q_scale.shift <= 32;
  case BX_ROUNDING_SHIFT_RIGHT:
    return op->u.rounding_shift_right.policy >= 1 && op->u.rounding_shift_right.policy <= 6 &&
           op->u.rounding_shift_right.shift >= 1 && op->u.rounding_shift_right.shift <= 31;
  case BX_SHIFT_LEFT: return op->u.shift_left <= 31;
  case BX_ADD_UNICAST: return op->u.store.item_size == 1 || op->u.store.item_size == 4;
  case BX_STORE: return op->u.store.item_size == 1 || op->u.store.item_size == 2 || op->u.store.item_size == 4;
  case BX_ADD_MAT_MUL: return op->u.add_mat_mul.packing == PACKING_ID;
  default: return op->tag < BX_OP_COUNT;
  }
}

/* The raw kernel function: exported, so a manifest can name it without the descriptor below. */
__attribute__((visibility("default"))) intptr_t ext_generic_i32_4x4_kernel(const bx_fused_ker_spec *op) {
  uint32_t acc[MR][NR];
  memset(acc, 0, sizeof acc);
  for (;; ++op) {
    if (!in_domain(op)) return BX_KERNEL_UNSUPPORTED;
    const uintptr_t tag = op->tag;
    if (tag == BX_DONE) return BX_KERNEL_DONE;
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < NR; ++j) {
        uint32_t *a = &acc[i][j];
        switch (tag) {
        case BX_CLEAR: *a = 0; break;
        case BX_LOAD_TILE: *a = (uint32_t)op->u.load_tile.col_major[j * MR + i]; break;
        case BX_SCALAR_MIN: case BX_SCALAR_MAX: case BX_SCALAR_ADD:
        case BX_SCALAR_MUL: case BX_SCALAR_SUB: case BX_SCALAR_SUBF:
          /* only the low 4 bytes of the payload: bytes 12..15 are undefined */
          *a = bin_op((unsigned)(tag - BX_SCALAR_MIN), *a, (uint32_t)op->u.scalar.x);
          break;
        case BX_LEAKY_RELU: if ((int32_t)*a <= 0) *a *= (uint32_t)op->u.scalar.x; break;
        case BX_PER_ROW_MIN: case BX_PER_ROW_MAX: case BX_PER_ROW_ADD:
        case BX_PER_ROW_MUL: case BX_PER_ROW_SUB: case BX_PER_ROW_SUBF:
          *a = bin_op((unsigned)(tag - BX_PER_ROW_MIN), *a, (uint32_t)op->u.per_vec[i]);
          break;
        case BX_PER_COL_MIN: case BX_PER_COL_MAX: case BX_PER_COL_ADD:
        case BX_PER_COL_MUL: case BX_PER_COL_SUB: case BX_PER_COL_SUBF:
          *a = bin_op((unsigned)(tag - BX_PER_COL_MIN), *a, (uint32_t)op->u.per_vec[j]);
          break;
        case BX_Q_SCALE: {
          unsigned s = (unsigned)(op->u.q_scale.shift + 31);
          int32_t v = (int32_t)*a, mult = op->u.q_scale.mult;
          if (s == 0) { *a = *a * (uint32_t)mult; break; }
          *a = round_shift((v < 0) != (mult < 0), mag(v) * mag(mult), s, op->u.q_scale.policy);
          break;
        }
        case BX_ROUNDING_SHIFT_RIGHT: {
          int32_t v = (int32_t)*a;
          *a = round_shift(v < 0, mag(v), (unsigned)op->u.rounding_shift_right.shift, op->u.rounding_shift_right.policy);
          break;
        }
        case BX_SHIFT_LEFT: *a <<= op->u.shift_left; break;
        case BX_ADD_UNICAST: {
          const char *p = elem(&op->u.store, i, j);
          if (op->u.store.item_size == 1) *a += (uint32_t)(int32_t)(int8_t)*p;
          else { uint32_t x; memcpy(&x, p, 4); *a += x; }
          break;
        }
        case BX_ADD_ROW_COL_PRODUCTS:
          *a += (uint32_t)op->u.row_col.rows[i] * (uint32_t)op->u.row_col.cols[j];
          break;
        case BX_STORE: {
          char *p = elem(&op->u.store, i, j);
          uint32_t v = *a;
          if (op->u.store.item_size == 4) memcpy(p, &v, 4);
          else if (op->u.store.item_size == 2) { uint16_t h = (uint16_t)v; memcpy(p, &h, 2); }
          else *(unsigned char *)p = (unsigned char)v;
          break;
        }
        case BX_ADD_MAT_MUL: {
          const int8_t *pa = (const int8_t *)op->u.add_mat_mul.pa, *pb = (const int8_t *)op->u.add_mat_mul.pb;
          for (uintptr_t kk = 0; kk < op->u.add_mat_mul.k; ++kk)
            *a += (uint32_t)((int32_t)pa[kk * MR + i] * (int32_t)pb[kk * NR + j]);
          break;
        }
        default: return BX_KERNEL_UNSUPPORTED;
        }
      }
    }
  }
}

static const bx_packing ext_packings[] = {
    {{BX_PACK_FORMAT, MR, 1, 1}, {BX_PACK_FORMAT, NR, 1, 1}, 1},
};
static const uint32_t ext_packing_ids[] = {PACKING_ID};

static const bx_kernel_desc ext_desc = {
    BX_ABI_VERSION, "ext_generic_i32_4x4", "generic", MR, NR, 1, ext_packings, BX_OPS_V1, ext_generic_i32_4x4_kernel,
    NULL /* is_supported_here: NULL = runs everywhere */, ext_packing_ids, NULL /* contract: none */
};

static const bx_kernel_desc *const ext_table[] = {&ext_desc};

__attribute__((visibility("default"))) const bx_kernel_desc *const *bitexact_kernels(size_t *count) {
  *count = sizeof ext_table / sizeof ext_table[0];
  return ext_table;
}
