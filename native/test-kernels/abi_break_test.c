/*
 * abi_break_test.c — self-test of the calling-convention breakers of the test-kernel library
 * (abi_break.S), built with test_kernels.c and the checked call and run by
 * `make -C native abi-test` (host, and aarch64 under qemu). Each breaker must compute the
 * reference result of a small AddMatMul + Store chain and be reported by bx_abi_call as
 * exactly its break; test_ref_i32_4x4 must be clean.
 */
#include <stdio.h>
#include <string.h>

#include "abi_call.h"

const bx_kernel_desc *const *bitexact_kernels(size_t *count);

#define REG(i) (1u << (i))
static const struct {
  const char *name;
  uint32_t violations, regs;
} expect[] = {
    {"test_ref_i32_4x4", 0, 0},
#if defined(__x86_64__)
    {"test_clobber_rbx_i32_4x4", BX_ABI_V_REG, REG(0)},
    {"test_clobber_rbp_i32_4x4", BX_ABI_V_REG, REG(1)},
    {"test_clobber_r12_i32_4x4", BX_ABI_V_REG, REG(2)},
    {"test_clobber_r15_i32_4x4", BX_ABI_V_REG, REG(5)},
    {"test_sp_i32_4x4", BX_ABI_V_SP, REG(BX_ABI_SP)},
    {"test_mxcsr_i32_4x4", BX_ABI_V_FPCTL, 0},
    {"test_x87cw_i32_4x4", BX_ABI_V_X87CW, 0},
    {"test_df_i32_4x4", BX_ABI_V_DF, 0},
#else
    {"test_clobber_x19_i32_4x4", BX_ABI_V_REG, REG(0)},
    {"test_clobber_x29_i32_4x4", BX_ABI_V_REG, REG(10)},
    {"test_clobber_d8_i32_4x4", BX_ABI_V_REG, REG(11)},
    {"test_clobber_d15_i32_4x4", BX_ABI_V_REG, REG(18)},
    {"test_sp_i32_4x4", BX_ABI_V_SP, REG(BX_ABI_SP)},
    {"test_fpcr_i32_4x4", BX_ABI_V_FPCTL, 0},
    {"test_sm_i32_4x4", BX_ABI_V_SM, 0},
    {"test_za_i32_4x4", BX_ABI_V_ZA, 0},
#endif
};

enum { MR = 4, NR = 4, K = 7 };

int main(void) {
  size_t n;
  const bx_kernel_desc *const *table = bitexact_kernels(&n);
  int failures = 0, passed = 0, not_run = 0;

  /* A (4 x K) and B (K x 4), packed with packing 0 (PackedFormat: k-outer, lane-inner). */
  int8_t a[MR][K], b[K][NR], pa[K * MR + 64] = {0}, pb[K * NR + 64] = {0};
  int32_t want[MR][NR] = {{0}};
  for (int i = 0; i < MR; i++)
    for (int k = 0; k < K; k++) a[i][k] = (int8_t)(i * 37 - k * 19 + 3);
  for (int k = 0; k < K; k++)
    for (int j = 0; j < NR; j++) b[k][j] = (int8_t)(k * 53 + j * 11 - 128);
  for (int k = 0; k < K; k++) {
    for (int i = 0; i < MR; i++) pa[k * MR + i] = a[i][k];
    for (int j = 0; j < NR; j++) pb[k * NR + j] = b[k][j];
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++)
      for (int k = 0; k < K; k++) want[i][j] += a[i][k] * b[k][j];

  for (size_t e = 0; e < sizeof expect / sizeof expect[0]; e++) {
    const bx_kernel_desc *d = NULL;
    for (size_t t = 0; t < n; t++)
      if (strcmp(table[t]->name, expect[e].name) == 0) d = table[t];
    if (!d) {
      printf("FAIL %s: not in the test-kernel library\n", expect[e].name);
      failures++;
      continue;
    }
    char why[200] = "";
    if (d->is_supported_here && !d->is_supported_here(why, sizeof why)) {
      printf("  %-26s not run: %s\n", d->name, why);
      not_run++;
      continue;
    }
    int32_t out[MR][NR];
    memset(out, 0x55, sizeof out);
    bx_fused_ker_spec chain[4];
    memset(chain, 0, sizeof chain);
    chain[0].tag = BX_CLEAR;
    chain[1].tag = BX_ADD_MAT_MUL;
    chain[1].u.add_mat_mul.k = K;
    chain[1].u.add_mat_mul.pa = pa;
    chain[1].u.add_mat_mul.pb = pb;
    chain[2].tag = BX_STORE;
    chain[2].u.store = (bx_output_store){out, NR * 4, 4, 4};
    chain[3].tag = BX_DONE;
    bx_abi_report r;
    const intptr_t rc = bx_abi_call(d->kernel, chain, &r);
    char text[512];
    bx_abi_describe(&r, text, sizeof text);
    const int ok = rc == 0 && memcmp(out, want, sizeof out) == 0 &&
                   r.violations == expect[e].violations && r.regs == expect[e].regs;
    printf("%s %-26s rc %ld, result %s, %s\n", ok ? " " : "FAIL", d->name, (long)rc,
           memcmp(out, want, sizeof out) == 0 ? "exact" : "WRONG", text[0] ? text : "clean");
    if (ok) passed++;
    else failures++;
  }
  printf("abi-break-test: %d passed, %d failed", passed, failures);
  if (not_run) printf(", %d not run on this CPU", not_run);
  printf("\n");
  return failures ? 1 : 0;
}
