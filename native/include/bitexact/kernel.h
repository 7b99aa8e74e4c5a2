/*
 * bitexact/kernel.h — the public kernel ABI of bitexact.
 *
 * A kernel is `intptr_t kernel(const bx_fused_ker_spec *chain)`. It walks the chain of
 * 40-byte entries in order, applying each op to its private mr x nr i32 accumulator, and
 * returns 0 when it reaches BX_DONE, or 1 as soon as it meets an op it does not implement
 * (nothing after that op runs, Store included).
 *
 * The entry layout is binary-compatible with tract's `FusedKerSpec<i32>`
 * (tract linalg/src/frame/mmm/fuse.rs, a `#[repr(C, usize)]` enum): a usize tag followed by
 * a union of the variants' payloads. A tract kernel can therefore be gated unchanged.
 *
 * An external kernel library (loaded by `bitexact conform --kernel-lib PATH.so`) exports
 *     const bx_kernel_desc *const *bitexact_kernels(size_t *count);
 * returning a table of descriptors that stays valid for the life of the process.
 *
 * Semantics of every op: docs/semantics.md / oracle/ops.ts. Packing layouts: docs/packing.md.
 */
#ifndef BITEXACT_KERNEL_H
#define BITEXACT_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: bx_kernel_desc gains packing_ids and contract. A version-1 descriptor (the struct without
 * those fields) still loads: the executor reads them only when abi_version >= 2. */
#define BX_ABI_VERSION 2u

/* Return codes of a kernel call. */
#define BX_KERNEL_DONE 0
#define BX_KERNEL_UNSUPPORTED 1

/* Op tags (enum bx_op_tag, BX_OP_COUNT), their names and the frozen tag set BX_OPS_V1:
 * generated from the op table (oracle/opset.ts). */
#include "ops.gen.h"

/* Rounding policies (QScale, RoundingShiftRight). Native (0) is never valid for i32. */
enum bx_rounding_policy {
  BX_ROUND_NATIVE = 0,
  BX_ROUND_ZERO = 1,      /* ties toward 0 (NOT truncation) */
  BX_ROUND_AWAY = 2,      /* ties away from 0 */
  BX_ROUND_MINUS_INF = 3, /* ties toward -inf */
  BX_ROUND_PLUS_INF = 4,  /* ties toward +inf */
  BX_ROUND_EVEN = 5,      /* ties to even */
  BX_ROUND_ODD = 6        /* ties to odd */
};

/* AddUnicast / Store operand: element (i, j) lives at
 * (char *)ptr + i * row_byte_stride + j * col_byte_stride. */
typedef struct bx_output_store {
  void *ptr;
  intptr_t row_byte_stride;
  intptr_t col_byte_stride;
  uintptr_t item_size; /* Store: 1, 2, 4 (truncation). AddUnicast: 1 (i8, sign-extended), 4. */
} bx_output_store;

typedef struct bx_fused_ker_spec {
  uintptr_t tag; /* enum bx_op_tag */
  union {
    struct {
      int32_t x;
      uint32_t undefined_hi; /* bytes 12..15: undefined, kernels must ignore them */
    } scalar;                /* Scalar*, LeakyRelu (x = alpha) */
    const int32_t *per_vec;  /* PerRow* (mr values), PerCol* (nr values) */
    struct {
      const int32_t *col_major; /* acc[i][j] = col_major[j * mr + i] */
      const int32_t *row_major; /* acc[i][j] = row_major[i * nr + j] (same tile) */
    } load_tile;
    struct {
      intptr_t shift; /* the rounding shift is shift + 31, in 0..63 */
      uintptr_t policy;
      int32_t mult;
      uint32_t undefined_hi;
    } q_scale;
    struct {
      uintptr_t shift; /* 1..31 */
      uintptr_t policy;
    } rounding_shift_right;
    uintptr_t shift_left; /* 0..31 */
    bx_output_store store; /* AddUnicast, Store */
    struct {
      const int32_t *rows; /* mr values */
      const int32_t *cols; /* nr values */
    } row_col;
    struct {
      uintptr_t k;     /* logical depth; K padding in the panels is zero */
      const void *pa;  /* packed A panel (mr rows) */
      const void *pb;  /* packed B panel (nr columns) */
      uintptr_t packing; /* the kernel's own packing index: packing_ids[i] of packings[i] */
    } add_mat_mul;
    uintptr_t raw[4];
  } u;
} bx_fused_ker_spec;

#if defined(__cplusplus)
static_assert(sizeof(void *) == 8, "bitexact's ABI is defined for 64-bit targets");
#define BX_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define BX_STATIC_ASSERT(c, m) _Static_assert(c, m)
BX_STATIC_ASSERT(sizeof(void *) == 8, "bitexact's ABI is defined for 64-bit targets");
#endif
/* Binary compatibility with tract's FusedKerSpec<i32> (docs/abi.md). */
BX_STATIC_ASSERT(sizeof(bx_fused_ker_spec) == 40, "FusedKerSpec entries are 40 bytes");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, tag) == 0, "tag at +0");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.scalar.x) == 8, "scalar i32 at +8");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.per_vec) == 8, "per-row/col ptr at +8");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.load_tile.col_major) == 8, "col_major at +8");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.load_tile.row_major) == 16, "row_major at +16");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.q_scale.shift) == 8, "q_scale shift at +8");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.q_scale.policy) == 16, "q_scale policy at +16");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.q_scale.mult) == 24, "q_scale mult at +24");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.rounding_shift_right.shift) == 8, "rsr shift at +8");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.rounding_shift_right.policy) == 16, "rsr policy at +16");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.shift_left) == 8, "shift_left at +8");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.store.ptr) == 8, "store ptr at +8");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.store.row_byte_stride) == 16, "row stride at +16");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.store.col_byte_stride) == 24, "col stride at +24");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.store.item_size) == 32, "item_size at +32");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.row_col.rows) == 8, "rows at +8");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.row_col.cols) == 16, "cols at +16");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.add_mat_mul.k) == 8, "k at +8");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.add_mat_mul.pa) == 16, "pa at +16");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.add_mat_mul.pb) == 24, "pb at +24");
BX_STATIC_ASSERT(offsetof(bx_fused_ker_spec, u.add_mat_mul.packing) == 32, "packing at +32");

/* Packed operand layouts (docs/packing.md). */
enum bx_pack_kind {
  BX_PACK_FORMAT = 0, /* PackedFormat(r, align, end_padding_record): K-outer, mn-inner, i8 */
  BX_PACK_I8K4 = 1    /* PackedI8K4(r): groups of 4 k inner (SDOT, SMOPA, VNNI) */
};

typedef struct bx_pack_format {
  uint32_t kind;               /* enum bx_pack_kind */
  uint32_t r;                  /* panel width: mr for A, nr for B */
  uint32_t align;              /* PackedFormat: panel length alignment in bytes; I8K4: unused (1) */
  uint32_t end_padding_record; /* PackedFormat: extra zero k-records per panel (usually 1); I8K4: 0 */
} bx_pack_format;

typedef struct bx_packing {
  bx_pack_format a;
  bx_pack_format b;
  uint32_t k_alignment; /* 1 for PackedFormat, 4 for I8K4: the panels hold ceil(k/4)*4 records */
} bx_packing;

#define BX_OP_BIT(tag) (UINT64_C(1) << (tag))
/* BX_OPS_REQUIRED (ops.gen.h): Done, Clear, Store, AddMatMul, which every kernel implements. */
/* Deprecated: the name ABI v1 descriptors used for "every op"; it stays BX_OPS_V1 forever
 * (never grows with new tags). New descriptors write BX_OPS_V1. */
#define BX_OPS_ALL BX_OPS_V1

typedef intptr_t (*bx_kernel_fn)(const bx_fused_ker_spec *chain);

/* Writes a short human reason into why[0..why_len) when it returns 0. */
typedef int (*bx_is_supported_fn)(char *why, size_t why_len);

/* ---- kernel contracts (ABI v2) ----------------------------------------------------------
 * What a kernel promises: a narrowing of SPEC's domain of definition, per op, plus named value
 * preconditions (values its runtime never produces). The gate generates cases inside it, and
 * reports divergences outside it as information (oracle/contract.ts is the TS side; LIST
 * emits it as the descriptor's "contract" JSON). A zero bit set and a range whose bit is not
 * in ranges_declared keep SPEC's full domain, so a zero-initialised contract promises it all. */
typedef struct bx_range {
  int64_t min, max; /* inclusive, within SPEC's domain of the field */
} bx_range;

#define BX_ITEM_BIT(size) (1u << (size))        /* item sizes 1, 2, 4 */
#define BX_POLICY_BIT(policy) (1u << (policy))  /* enum bx_rounding_policy, ZERO..ODD */
/* Store layouts (bit i: oracle/types.ts LAYOUTS[i]); AddUnicast adds the broadcasts. */
enum bx_layout {
  BX_LAYOUT_ROW_MAJOR = 0,
  BX_LAYOUT_COL_MAJOR = 1,
  BX_LAYOUT_STRIDED = 2,
  BX_LAYOUT_REVERSED = 3,
  BX_LAYOUT_BROADCAST_ROW = 4, /* AddUnicast only */
  BX_LAYOUT_BROADCAST_COL = 5,
  BX_LAYOUT_BROADCAST = 6
};
#define BX_LAYOUT_BIT(l) (1u << (l))
/* ranges_declared bits */
#define BX_RANGE_Q_SCALE_MULT (1u << 0)
#define BX_RANGE_Q_SCALE_SHIFT (1u << 1)
#define BX_RANGE_RSR_SHIFT (1u << 2)
#define BX_RANGE_SHIFT_LEFT_SHIFT (1u << 3)
/* preconditions bits (oracle/contract.ts PRECONDITIONS, in order) */
#define BX_PRE_SHIFT_LEFT_NO_OVERFLOW (UINT64_C(1) << 0)   /* acc * 2^shift fits in i32 */
#define BX_PRE_NO_I32_MIN_INTO_ROUNDING (UINT64_C(1) << 1) /* no i32::MIN into QScale / RSR */
#define BX_PRE_ROW_COL_PRODUCTS_I16 (UINT64_C(1) << 2)     /* rows, cols within i16 */

typedef struct bx_contract {
  uint32_t store_item_sizes;       /* BX_ITEM_BIT set (0: 1, 2, 4) */
  uint32_t store_layouts;          /* BX_LAYOUT_BIT set, ROW_MAJOR..REVERSED (0: all) */
  uint32_t add_unicast_item_sizes; /* BX_ITEM_BIT set (0: 1, 4) */
  uint32_t add_unicast_layouts;    /* BX_LAYOUT_BIT set (0: all seven) */
  uint32_t q_scale_policies;       /* BX_POLICY_BIT set (0: all six) */
  uint32_t rsr_policies;           /* BX_POLICY_BIT set (0: all six) */
  uint32_t ranges_declared;        /* BX_RANGE_* bits: which ranges below are declared */
  uint32_t reserved;               /* 0 */
  bx_range q_scale_mult;           /* within i32 */
  bx_range q_scale_shift;          /* within -31..32 */
  bx_range rsr_shift;              /* within 1..31 */
  bx_range shift_left_shift;       /* within 0..31 */
  uint64_t preconditions;          /* BX_PRE_* bits */
} bx_contract;

typedef struct bx_kernel_desc {
  uint32_t abi_version; /* BX_ABI_VERSION */
  const char *name;     /* <isa>_i32_<mr>x<nr>[_k4], e.g. x86_avx512vnni_i32_16x16_k4 */
  const char *isa;      /* e.g. "generic", "avx2", "avx512vnni", "neon", "dotprod", "sme2" */
  uint32_t mr;
  uint32_t nr;
  uint32_t n_packings;
  const bx_packing *packings;
  uint64_t supported_ops; /* BX_OP_BIT(tag) for every tag the kernel implements */
  bx_kernel_fn kernel;
  bx_is_supported_fn is_supported_here;
  /* abi_version >= 2 only. The kernel's own packing index of packings[i], which a chain's
   * AddMatMul carries (distinct; NULL = 0..n_packings-1). E.g. a kernel whose i8 packing is
   * its index 1 declares n_packings = 1 and packing_ids = {1}. */
  const uint32_t *packing_ids;
  /* abi_version >= 2 only: what the kernel promises (NULL = SPEC's full domain). */
  const bx_contract *contract;
} bx_kernel_desc;

/* Symbol exported by an external kernel library. */
typedef const bx_kernel_desc *const *(*bx_kernels_fn)(size_t *count);
#define BX_KERNELS_SYMBOL "bitexact_kernels"

#ifdef __cplusplus
}
#endif

#endif /* BITEXACT_KERNEL_H */
