/* Descriptor of arm64_neon_i32_8x8 (kernel in arm64_neon_i32_8x8.S). */
#if defined(__aarch64__)
#include "bitexact/register.h"
#include "arm64_hwcap.h"

intptr_t arm64_neon_i32_8x8_kernel(const bx_fused_ker_spec *chain);

static const bx_packing arm64_neon_i32_8x8_packings[] = {
    {.a = {BX_PACK_FORMAT, 8, 16, 1}, .b = {BX_PACK_FORMAT, 8, 16, 1}, .k_alignment = 1},
};

static int arm64_neon_i32_8x8_supported(char *why, size_t why_len) {
  if (!(getauxval(AT_HWCAP) & BX_HWCAP_ASIMD)) {
    bx_arm64_why(why, why_len, "CPU lacks Advanced SIMD (HWCAP_ASIMD)");
    return 0;
  }
  bx_arm64_why(why, why_len, "NEON (ASIMD) present");
  return 1;
}

const bx_kernel_desc bx_kernel_arm64_neon_i32_8x8 = {
    .abi_version = BX_ABI_VERSION,
    .name = "arm64_neon_i32_8x8",
    .isa = "neon",
    .mr = 8,
    .nr = 8,
    .n_packings = 1,
    .packings = arm64_neon_i32_8x8_packings,
    .supported_ops = BX_OPS_V1,
    .kernel = arm64_neon_i32_8x8_kernel,
    .is_supported_here = arm64_neon_i32_8x8_supported,
};
BX_REGISTER_KERNEL(bx_kernel_arm64_neon_i32_8x8);
#endif
