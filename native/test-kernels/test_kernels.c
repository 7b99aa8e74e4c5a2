/*
 * Kernels used only by the tests, built into a separate shared library
 * (build/Release/bitexact_test_kernels.so) and loaded with LOAD_LIB:
 *   test_ref_i32_4x4, test_ref_i32_3x5  correct reference kernels (PackedFormat + I8K4)
 *   test_minimal_i32_4x4                declares only the required ops (frame refusal)
 *   test_unsupported_i32_4x4            is_supported_here() says no (FORCE)
 *   test_crash_i32_4x4                  SIGSEGV on AddMatMul
 *   test_hang_i32_4x4                   infinite loop on AddMatMul
 *   test_oob_i32_4x4                    Store writes one row too many
 *   test_chainwrite_i32_4x4             writes into its const chain
 *   test_unicast_tilestride_i32_4x4     AddUnicast assumes row stride nr * item (right on a
 *                                       row-major tile, wrong inside a wider frame)
 *   test_sparse_i32_4x4                 test_ref_i32_4x4 with its own packing indices 1 and 3 (ABI v2)
 *   test_v1_i32_4x4                     test_ref_i32_4x4 as an ABI version-1 descriptor (the
 *                                       shorter struct, no packing_ids / contract)
 *   test_tractlike_i32_4x4              written to a tract-like contract (item sizes {1, 4},
 *                                       Scaler-range QScale, no ShiftLeft overflow): its ShiftLeft
 *                                       saturates and its i16 Store writes one byte, both outside it
 *   test_tractlike_nocontract_i32_4x4   the same kernel code with no contract (fails the gate)
 *   test_skiptag_i32_4x4                skips an entry whose tag is no op (runs what follows)
 *   test_threebugs_i32_4x4              three independent bugs: RoundingShiftRight Odd rounds ties
 *                                       to even; a column-major i8 AddUnicast is read row-major; a
 *                                       column-major i16 Store writes the last tile column wrong
 *   test_fail_once_i32_4x4              the 5th call of its process stores wrong values (and never again)
 * right values, wrong accesses (docs/abi.md: what a kernel may read and write):
 *   test_overread_percol_i32_4x4        reads one i32 past a per-col vector
 *   test_overread_packed_b_i32_4x4      reads one K4 block past the packed B panel
 *   test_overread_unicast_i8_i32_4x4    reads 4 bytes per element of an i8 AddUnicast operand
 *   test_far_write_i32_4x4              Store also writes one row 4 KiB below the tile
 * state kept across calls (docs/abi.md):
 *   test_stale_panel_i32_4x4            reuses its last AddMatMul product when the packed-B
 *                                       pointer (and k) comes back
 *   test_stale_panel_peek_i32_4x4       the same, keyed also by the panel's first 4 bytes
 *   test_stale_pointer_i32_4x4          keys AddMatMul by a fingerprint of its panels' contents but
 *                                       reads B through the panel address it saw with that fingerprint
 * and, in abi_break.S, test_ref_i32_4x4 plus one calling-convention break each (docs/abi.md):
 *   x86-64:  test_clobber_{rbx,rbp,r12,r15}_i32_4x4  returns with that register changed
 *            test_sp_i32_4x4                         returns with rsp 64 bytes low
 *            test_mxcsr_i32_4x4                      leaves MXCSR rounding toward zero
 *            test_x87cw_i32_4x4                      leaves the x87 CW rounding toward zero
 *            test_df_i32_4x4                         leaves DF set
 *   aarch64: test_clobber_{x19,x29,d8,d15}_i32_4x4  returns with that register changed
 *            test_sp_i32_4x4                         returns with sp 64 bytes low
 *            test_fpcr_i32_4x4                       leaves FPCR rounding toward zero
 *            test_sm_i32_4x4, test_za_i32_4x4        returns in streaming mode / with ZA on (SME)
 *            test_neon_streaming_i32_4x4             keeps the convention, runs NEON in streaming
 *                                                    mode (faults without FEAT_SME_FA64: m4 profile)
 */
#include <stdio.h>

#include "ref.h"
#if defined(__aarch64__)
#include "../kernels/arm64_hwcap.h"
#endif

#define PF(r, align) {BX_PACK_FORMAT, (r), (align), 1}
#define K4(r) {BX_PACK_I8K4, (r), 1, 0}

static const bx_packing pk_4x4[] = {{PF(4, 16), PF(4, 16), 1}, {K4(4), K4(4), 4}};
static const bx_packing pk_3x5[] = {{PF(3, 8), PF(5, 8), 1}, {K4(3), K4(5), 4}};

static const uint32_t sparse_ids[] = {1, 3};

#define CFG_IDS(id, mr, nr, pk, ids, ops, quirks)                                               \
  static const bx_ref_cfg cfg_##id = {mr, nr, pk, sizeof pk / sizeof pk[0], ids, ops, quirks};  \
  static intptr_t kern_##id(const bx_fused_ker_spec *s) { return bx_ref_run(&cfg_##id, s); }
#define CFG(id, mr, nr, pk, ops, quirks) CFG_IDS(id, mr, nr, pk, NULL, ops, quirks)

CFG(ref44, 4, 4, pk_4x4, BX_OPS_V1, 0)
CFG(ref35, 3, 5, pk_3x5, BX_OPS_V1, 0)
CFG(minimal, 4, 4, pk_4x4, BX_OPS_REQUIRED, 0)
CFG(unsup, 4, 4, pk_4x4, BX_OPS_V1, 0)
CFG(crash, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_CRASH_ON_MATMUL)
CFG(hang, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_HANG_ON_MATMUL)
CFG(oob, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_STORE_EXTRA_ROW)
CFG(chainwrite, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_WRITE_CHAIN)
CFG(tilestride, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_UNICAST_NR_STRIDE)
CFG_IDS(sparse, 4, 4, pk_4x4, sparse_ids, BX_OPS_V1, 0)
CFG(v1, 4, 4, pk_4x4, BX_OPS_V1, 0)
CFG(tractlike, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_SATURATING_SHL | BX_REF_STORE16_ONE_BYTE)

/* tract's i32 kernels: store(i8) (item sizes 1 and 4), QScale from Scaler (mult in
 * [2^30, 2^31), shift >= -4), and a runtime that never shifts a value left out of i32. */
static const bx_contract tract_contract = {
    .store_item_sizes = BX_ITEM_BIT(1) | BX_ITEM_BIT(4),
    .add_unicast_item_sizes = BX_ITEM_BIT(1) | BX_ITEM_BIT(4),
    .ranges_declared = BX_RANGE_Q_SCALE_MULT | BX_RANGE_Q_SCALE_SHIFT,
    .q_scale_mult = {INT64_C(1) << 30, INT32_MAX},
    .q_scale_shift = {-4, 32},
    .preconditions = BX_PRE_SHIFT_LEFT_NO_OVERFLOW,
};
CFG(skiptag, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_SKIP_UNKNOWN_TAGS)
CFG(or_percol, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_PERCOL_OVERREAD)
CFG(or_packed_b, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_PACKED_B_OVERREAD)
CFG(or_unicast, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_UNICAST_I8_AS_I32)
CFG(far_write, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_STORE_FAR_BELOW)
CFG(stale, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_STALE_PANEL)
CFG(stale_peek, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_STALE_PANEL_PEEK)
CFG(fail_once, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_FAIL_ONCE)
CFG(threebugs, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_RSR_ODD_TIES_EVEN | BX_REF_UNICAST_I8_COL_AS_ROW | BX_REF_STORE16_COL_LAST_COL)
CFG(stale_pointer, 4, 4, pk_4x4, BX_OPS_V1, BX_REF_STALE_POINTER)

/* What every abi_break.S kernel computes before it breaks the convention. */
__attribute__((visibility("hidden"))) intptr_t bx_test_abi_ref(const bx_fused_ker_spec *s) {
  return bx_ref_run(&cfg_ref44, s);
}
#if defined(__x86_64__)
#define ABI_BREAKERS(X) X(clobber_rbx) X(clobber_rbp) X(clobber_r12) X(clobber_r15) X(sp) X(mxcsr) X(x87cw) X(df)
#define ABI_BREAKERS_SME(X)
#elif defined(__aarch64__)
#define ABI_BREAKERS(X) X(clobber_x19) X(clobber_x29) X(clobber_d8) X(clobber_d15) X(sp) X(fpcr)
#define ABI_BREAKERS_SME(X) X(sm) X(za)
#endif
#define DECLARE(id) __attribute__((visibility("hidden"))) intptr_t kern_##id(const bx_fused_ker_spec *s);
ABI_BREAKERS(DECLARE)
ABI_BREAKERS_SME(DECLARE)

static int never_here(char *why, size_t n) {
  snprintf(why, n, "test kernel: never supported here (FORCE runs it)");
  return 0;
}

#define DESC_C(id, name, mr, nr, pk, ids, ops, pred, contract)                                  \
  static const bx_kernel_desc desc_##id = {BX_ABI_VERSION, name, "test", mr, nr,               \
                                           sizeof pk / sizeof pk[0], pk, ops, kern_##id, pred,  \
                                           ids, contract};
#define DESC_IDS(id, name, mr, nr, pk, ids, ops, pred) DESC_C(id, name, mr, nr, pk, ids, ops, pred, NULL)
#define DESC(id, name, mr, nr, pk, ops, pred) DESC_C(id, name, mr, nr, pk, NULL, ops, pred, NULL)

DESC(ref44, "test_ref_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(ref35, "test_ref_i32_3x5", 3, 5, pk_3x5, BX_OPS_V1, NULL)
DESC(minimal, "test_minimal_i32_4x4", 4, 4, pk_4x4, BX_OPS_REQUIRED, NULL)
DESC(unsup, "test_unsupported_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, never_here)
DESC(crash, "test_crash_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(hang, "test_hang_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(oob, "test_oob_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(chainwrite, "test_chainwrite_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(tilestride, "test_unicast_tilestride_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC_IDS(sparse, "test_sparse_i32_4x4", 4, 4, pk_4x4, sparse_ids, BX_OPS_V1, NULL)

/* A library built against the version-1 header: its descriptor ends at is_supported_here. */
typedef struct {
  uint32_t abi_version;
  const char *name, *isa;
  uint32_t mr, nr, n_packings;
  const bx_packing *packings;
  uint64_t supported_ops;
  bx_kernel_fn kernel;
  bx_is_supported_fn is_supported_here;
} desc_v1_layout;
static const desc_v1_layout desc_v1 = {1, "test_v1_i32_4x4", "test", 4, 4, 2, pk_4x4, BX_OPS_V1,
                                       kern_v1, NULL};
DESC_C(tractlike, "test_tractlike_i32_4x4", 4, 4, pk_4x4, NULL, BX_OPS_V1, NULL, &tract_contract)
static const bx_kernel_desc desc_tractlike_nc = {BX_ABI_VERSION, "test_tractlike_nocontract_i32_4x4", "test", 4, 4,
                                                 sizeof pk_4x4 / sizeof pk_4x4[0], pk_4x4, BX_OPS_V1, kern_tractlike,
                                                 NULL, NULL, NULL};
DESC(skiptag, "test_skiptag_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(or_percol, "test_overread_percol_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(or_packed_b, "test_overread_packed_b_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(or_unicast, "test_overread_unicast_i8_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(far_write, "test_far_write_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(stale, "test_stale_panel_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(stale_peek, "test_stale_panel_peek_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(threebugs, "test_threebugs_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(fail_once, "test_fail_once_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
DESC(stale_pointer, "test_stale_pointer_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)

#if defined(__aarch64__)
static int has_sme(char *why, size_t n) {
  if (getauxval(AT_HWCAP2) & BX_HWCAP2_SME) return 1;
  bx_arm64_why(why, n, "test kernel: needs SME (HWCAP2_SME)");
  return 0;
}
#endif

#define ABI_DESC(id) DESC(id, "test_" #id "_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, NULL)
#define ABI_DESC_SME(id) DESC(id, "test_" #id "_i32_4x4", 4, 4, pk_4x4, BX_OPS_V1, has_sme)
ABI_BREAKERS(ABI_DESC)
ABI_BREAKERS_SME(ABI_DESC_SME)
#if defined(__aarch64__)
__attribute__((visibility("hidden"))) intptr_t kern_neon_streaming(const bx_fused_ker_spec *s);
ABI_DESC_SME(neon_streaming)
#define NEON_STREAMING &desc_neon_streaming,
#else
#define NEON_STREAMING
#endif
#define ENTRY(id) &desc_##id,

static const bx_kernel_desc *const table[] = {&desc_ref44, &desc_ref35, &desc_minimal,
                                              &desc_unsup, &desc_crash, &desc_hang,
                                              &desc_oob,   &desc_chainwrite, &desc_tilestride,
                                              &desc_sparse, (const bx_kernel_desc *)&desc_v1,
                                              &desc_tractlike, &desc_tractlike_nc, &desc_skiptag,
                                              &desc_or_percol, &desc_or_packed_b,
                                              &desc_or_unicast, &desc_far_write,
                                              &desc_stale, &desc_stale_peek, &desc_threebugs, &desc_fail_once, &desc_stale_pointer,
                                              ABI_BREAKERS(ENTRY) ABI_BREAKERS_SME(ENTRY) NEON_STREAMING};

__attribute__((visibility("default"))) const bx_kernel_desc *const *bitexact_kernels(size_t *count) {
  *count = sizeof table / sizeof table[0];
  return table;
}
