/*
 * generic_i32_4x4 — the portable reference kernel: plain C, no intrinsics, every op.
 *
 * Tile: 4 x 4 i32, held as uint32_t so that every wrapping op is defined C (a UBSan build is
 * clean). Packing 0: PackedFormat(r = 4, align = 1, end_padding_record = 1) for A and B,
 * K-outer: record kk of a panel is the 4 bytes at kk * 4 (docs/packing.md). The end padding
 * record is never read (tract leaves it uninitialised in release builds).
 */
#include "common.h"
#include "bitexact/register.h"

#define MR 4
#define NR 4

static const bx_packing generic_packings[] = {
    {{BX_PACK_FORMAT, MR, 1, 1}, {BX_PACK_FORMAT, NR, 1, 1}, 1},
};
#define N_PACKINGS ((uint32_t)(sizeof generic_packings / sizeof generic_packings[0]))

#if defined(__clang__)
#define BX_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define BX_UNROLL _Pragma("GCC unroll 16")
#else
#define BX_UNROLL
#endif

/* The 16 sums live in locals for the whole k loop (registers once unrolled), not in acc. */
static void add_mat_mul(uint32_t acc[MR][NR], size_t k, const int8_t *a, const int8_t *b) {
  uint32_t c[MR][NR];
  memcpy(c, acc, sizeof c);
  for (size_t kk = 0; kk < k; ++kk, a += MR, b += NR) {
    BX_UNROLL for (int i = 0; i < MR; ++i) {
      int32_t ai = a[i];
      /* i8 * i8 fits easily in int; the sum over k wraps in uint32_t. */
      BX_UNROLL for (int j = 0; j < NR; ++j) c[i][j] += bx_u32(ai * (int32_t)b[j]);
    }
  }
  memcpy(acc, c, sizeof c);
}

static intptr_t generic_i32_4x4_kernel(const bx_fused_ker_spec *op) {
  uint32_t acc[MR][NR]; /* acc[i][j], row-major */
  memset(acc, 0, sizeof acc); /* undefined by the ABI at entry; zero keeps the kernel deterministic */

  for (;; ++op) {
    if (BX_UNLIKELY(!bx_entry_in_domain(op, N_PACKINGS))) return BX_KERNEL_UNSUPPORTED;
    switch (op->tag) {
    case BX_DONE: return BX_KERNEL_DONE;

    case BX_CLEAR: memset(acc, 0, sizeof acc); break;

    case BX_LOAD_TILE:
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] = bx_u32(op->u.load_tile.col_major[j * MR + i]);
      break;

    case BX_SCALAR_MIN: case BX_SCALAR_MAX: case BX_SCALAR_ADD:
    case BX_SCALAR_MUL: case BX_SCALAR_SUB: case BX_SCALAR_SUBF: {
      unsigned bin = (unsigned)(op->tag - BX_SCALAR_MIN);
      uint32_t x = bx_u32(op->u.scalar.x); /* 4 bytes only: bytes 12..15 are garbage */
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] = bx_bin_apply(bin, acc[i][j], x);
      break;
    }

    case BX_LEAKY_RELU: {
      uint32_t alpha = bx_u32(op->u.scalar.x);
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j)
          if (bx_i32(acc[i][j]) <= 0) acc[i][j] *= alpha;
      break;
    }

    case BX_PER_ROW_MIN: case BX_PER_ROW_MAX: case BX_PER_ROW_ADD:
    case BX_PER_ROW_MUL: case BX_PER_ROW_SUB: case BX_PER_ROW_SUBF: {
      unsigned bin = (unsigned)(op->tag - BX_PER_ROW_MIN);
      const int32_t *p = op->u.per_vec;
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] = bx_bin_apply(bin, acc[i][j], bx_u32(p[i]));
      break;
    }

    case BX_PER_COL_MIN: case BX_PER_COL_MAX: case BX_PER_COL_ADD:
    case BX_PER_COL_MUL: case BX_PER_COL_SUB: case BX_PER_COL_SUBF: {
      unsigned bin = (unsigned)(op->tag - BX_PER_COL_MIN);
      const int32_t *p = op->u.per_vec;
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] = bx_bin_apply(bin, acc[i][j], bx_u32(p[j]));
      break;
    }

    case BX_Q_SCALE: {
      unsigned s = (unsigned)(op->u.q_scale.shift + 31);
      uintptr_t policy = op->u.q_scale.policy;
      int32_t mult = op->u.q_scale.mult;
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j)
          acc[i][j] = bx_u32(bx_q_scale_i32(bx_i32(acc[i][j]), mult, s, policy));
      break;
    }

    case BX_ROUNDING_SHIFT_RIGHT: {
      unsigned s = (unsigned)op->u.rounding_shift_right.shift;
      uintptr_t policy = op->u.rounding_shift_right.policy;
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j)
          acc[i][j] = bx_u32(bx_rounding_shift_right_i32(bx_i32(acc[i][j]), s, policy));
      break;
    }

    case BX_SHIFT_LEFT: {
      unsigned s = (unsigned)op->u.shift_left; /* 0..31: bits shifted out are lost */
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] <<= s;
      break;
    }

    case BX_ADD_UNICAST: {
      const bx_output_store *s = &op->u.store;
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] += bx_load_item(bx_elem_ptr(s, i, j), s->item_size);
      break;
    }

    case BX_ADD_ROW_COL_PRODUCTS: {
      const int32_t *rows = op->u.row_col.rows, *cols = op->u.row_col.cols;
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] += bx_u32(rows[i]) * bx_u32(cols[j]);
      break;
    }

    case BX_STORE: {
      const bx_output_store *s = &op->u.store;
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) bx_store_item(bx_elem_ptr(s, i, j), acc[i][j], s->item_size);
      break;
    }

    case BX_ADD_MAT_MUL:
      add_mat_mul(acc, op->u.add_mat_mul.k, (const int8_t *)op->u.add_mat_mul.pa,
                  (const int8_t *)op->u.add_mat_mul.pb);
      break;

    default: return BX_KERNEL_UNSUPPORTED;
    }
  }
}

static int generic_is_supported_here(char *why, size_t why_len) {
  (void)why;
  (void)why_len;
  return 1;
}

const bx_kernel_desc bx_kernel_generic_i32_4x4 = {
    BX_ABI_VERSION,
    "generic_i32_4x4",
    "generic",
    MR,
    NR,
    N_PACKINGS,
    generic_packings,
    BX_OPS_V1,
    generic_i32_4x4_kernel,
    generic_is_supported_here,
    NULL, /* packing_ids: 0..N_PACKINGS-1 */
    NULL, /* contract: SPEC's full domain */
};
BX_REGISTER_KERNEL(bx_kernel_generic_i32_4x4);
