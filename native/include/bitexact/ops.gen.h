/*
 * bitexact/ops.gen.h: the op tags of the kernel ABI (docs/semantics.md) and their names.
 * GENERATED from oracle/opset.ts by `npm run build && npm run gen`: do not edit. Included by bitexact/kernel.h.
 */
#ifndef BITEXACT_OPS_GEN_H
#define BITEXACT_OPS_GEN_H

#include <stdint.h>

/* Op tags (the usize at offset 0 of every entry). */
enum bx_op_tag {
  BX_DONE = 0,                  /* end of the chain */
  BX_CLEAR = 1,                 /* acc = 0; frame: reset */
  BX_LOAD_TILE = 2,             /* acc[i][j] = values[i][j]; frame: tile_only; tile level only */
  BX_SCALAR_MIN = 3,            /* acc = bin(value, acc), bin(x, acc) = min(x, acc); frame: passthrough */
  BX_SCALAR_MAX = 4,            /* acc = bin(value, acc), bin(x, acc) = max(x, acc); frame: passthrough */
  BX_SCALAR_ADD = 5,            /* acc = bin(value, acc), bin(x, acc) = wrap32(x + acc); frame: passthrough */
  BX_SCALAR_MUL = 6,            /* acc = bin(value, acc), bin(x, acc) = wrap32(x * acc); frame: passthrough */
  BX_SCALAR_SUB = 7,            /* acc = bin(value, acc), bin(x, acc) = wrap32(x - acc); frame: passthrough */
  BX_SCALAR_SUBF = 8,           /* acc = bin(value, acc), bin(x, acc) = wrap32(acc - x); frame: passthrough */
  BX_LEAKY_RELU = 9,            /* acc = acc >= 0 ? acc : wrap32(acc * alpha); frame: passthrough */
  BX_PER_ROW_MIN = 10,          /* acc[i][j] = bin(values[i], acc[i][j]), bin(x, acc) = min(x, acc); frame: pad_row_vector */
  BX_PER_ROW_MAX = 11,          /* acc[i][j] = bin(values[i], acc[i][j]), bin(x, acc) = max(x, acc); frame: pad_row_vector */
  BX_PER_ROW_ADD = 12,          /* acc[i][j] = bin(values[i], acc[i][j]), bin(x, acc) = wrap32(x + acc); frame: pad_row_vector */
  BX_PER_ROW_MUL = 13,          /* acc[i][j] = bin(values[i], acc[i][j]), bin(x, acc) = wrap32(x * acc); frame: pad_row_vector */
  BX_PER_ROW_SUB = 14,          /* acc[i][j] = bin(values[i], acc[i][j]), bin(x, acc) = wrap32(x - acc); frame: pad_row_vector */
  BX_PER_ROW_SUBF = 15,         /* acc[i][j] = bin(values[i], acc[i][j]), bin(x, acc) = wrap32(acc - x); frame: pad_row_vector */
  BX_PER_COL_MIN = 16,          /* acc[i][j] = bin(values[j], acc[i][j]), bin(x, acc) = min(x, acc); frame: pad_col_vector */
  BX_PER_COL_MAX = 17,          /* acc[i][j] = bin(values[j], acc[i][j]), bin(x, acc) = max(x, acc); frame: pad_col_vector */
  BX_PER_COL_ADD = 18,          /* acc[i][j] = bin(values[j], acc[i][j]), bin(x, acc) = wrap32(x + acc); frame: pad_col_vector */
  BX_PER_COL_MUL = 19,          /* acc[i][j] = bin(values[j], acc[i][j]), bin(x, acc) = wrap32(x * acc); frame: pad_col_vector */
  BX_PER_COL_SUB = 20,          /* acc[i][j] = bin(values[j], acc[i][j]), bin(x, acc) = wrap32(x - acc); frame: pad_col_vector */
  BX_PER_COL_SUBF = 21,         /* acc[i][j] = bin(values[j], acc[i][j]), bin(x, acc) = wrap32(acc - x); frame: pad_col_vector */
  BX_Q_SCALE = 22,              /* acc = wrap32(round(acc * mult, shift + 31, policy)); frame: passthrough */
  BX_ROUNDING_SHIFT_RIGHT = 23, /* acc = round(acc, shift, policy); frame: passthrough */
  BX_SHIFT_LEFT = 24,           /* acc = wrap32(acc << shift); frame: passthrough */
  BX_ADD_UNICAST = 25,          /* acc[i][j] = wrap32(acc[i][j] + values[i][j]) (i8 sign-extended or i32); frame: scratch_tile */
  BX_ADD_ROW_COL_PRODUCTS = 26, /* acc[i][j] = wrap32(acc[i][j] + rows[i] * cols[j]); frame: pad_row_col */
  BX_STORE = 27,                /* output[i][j] = acc[i][j] truncated to item_size bytes; frame: store_scratch */
  BX_ADD_MAT_MUL = 28,          /* acc = wrap32(acc + A x B) over the case's a (m x k) and b (k x n); frame: pack_panels */
  BX_OP_COUNT = 29
};

/* Tags BX_OP_COUNT..UINTPTR_MAX are no op of any ABI version: a kernel returns 1 at such an
 * entry, nothing after it runs (the gate probes them with the case op raw_tag). */

/* The highest tag this header knows, and every tag it knows as a bit set. */
#define BX_OP_LAST_TAG 28
#define BX_OP_LAST_TAG_STR "28"
#define BX_OPS_KNOWN UINT64_C(0x000000001fffffff)

/* Ops every kernel must implement (BX_OP_BIT: bitexact/kernel.h). */
#define BX_OPS_REQUIRED (BX_OP_BIT(BX_DONE) | BX_OP_BIT(BX_CLEAR) | BX_OP_BIT(BX_STORE) | BX_OP_BIT(BX_ADD_MAT_MUL))

/* The tags of ABI version 1, frozen. A descriptor claims the ops it implements from this set
 * (BX_OPS_V1, minus what it lacks), so a tag added later is never claimed by a kernel that has
 * not heard of it. */
#define BX_OPS_V1 UINT64_C(0x000000001fffffff)

/* Tag names, by tag: snake case as in case files and reports, and tract's variant names. */
#define BX_OP_NAMES_INIT \
  "done", \
  "clear", \
  "load_tile", \
  "scalar_min", \
  "scalar_max", \
  "scalar_add", \
  "scalar_mul", \
  "scalar_sub", \
  "scalar_sub_f", \
  "leaky_relu", \
  "per_row_min", \
  "per_row_max", \
  "per_row_add", \
  "per_row_mul", \
  "per_row_sub", \
  "per_row_sub_f", \
  "per_col_min", \
  "per_col_max", \
  "per_col_add", \
  "per_col_mul", \
  "per_col_sub", \
  "per_col_sub_f", \
  "q_scale", \
  "rounding_shift_right", \
  "shift_left", \
  "add_unicast", \
  "add_row_col_products", \
  "store", \
  "add_mat_mul"
#define BX_OP_TRACT_NAMES_INIT \
  "Done", \
  "Clear", \
  "LoadTile", \
  "ScalarMin", \
  "ScalarMax", \
  "ScalarAdd", \
  "ScalarMul", \
  "ScalarSub", \
  "ScalarSubF", \
  "LeakyRelu", \
  "PerRowMin", \
  "PerRowMax", \
  "PerRowAdd", \
  "PerRowMul", \
  "PerRowSub", \
  "PerRowSubF", \
  "PerColMin", \
  "PerColMax", \
  "PerColAdd", \
  "PerColMul", \
  "PerColSub", \
  "PerColSubF", \
  "QScale", \
  "RoundingShiftRight", \
  "ShiftLeft", \
  "AddUnicast", \
  "AddRowColProducts", \
  "Store", \
  "AddMatMul"

/* Name of a tag, or NULL beyond BX_OP_LAST_TAG. */
static inline const char *bx_op_tag_name(uintptr_t tag) {
  static const char *const names[BX_OP_COUNT] = {BX_OP_NAMES_INIT};
  return tag < BX_OP_COUNT ? names[tag] : (const char *)0;
}

/* tract's name of a tag (ScalarSubF), or NULL beyond BX_OP_LAST_TAG. */
static inline const char *bx_op_tract_name(uintptr_t tag) {
  static const char *const names[BX_OP_COUNT] = {BX_OP_TRACT_NAMES_INIT};
  return tag < BX_OP_COUNT ? names[tag] : (const char *)0;
}

#endif /* BITEXACT_OPS_GEN_H */
