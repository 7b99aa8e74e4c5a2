/* registry_aarch64.c — the built-in aarch64 kernels (NEON SMLAL, SDOT, SME2 SMOPA). */
#if defined(__aarch64__)
#include "bitexact/kernel.h"

extern const bx_kernel_desc bx_arm64_neon_i32_8x8_desc;
extern const bx_kernel_desc bx_arm64_dotprod_i32_8x8_k4_desc;
extern const bx_kernel_desc bx_arm64_sme2_i32_32x32_k4_desc;

static const bx_kernel_desc *const bx_aarch64_kernels[] = {
    &bx_arm64_neon_i32_8x8_desc,
    &bx_arm64_dotprod_i32_8x8_k4_desc,
    &bx_arm64_sme2_i32_32x32_k4_desc,
};

const bx_kernel_desc *const *bx_builtin_kernels(size_t *count) {
  *count = sizeof bx_aarch64_kernels / sizeof bx_aarch64_kernels[0];
  return bx_aarch64_kernels;
}
#endif
