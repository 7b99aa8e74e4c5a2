/* Descriptor of arm64_dotprod_i32_8x8_k4 (kernel in arm64_dotprod_i32_8x8_k4.S). */
#if defined(__aarch64__)
#include "bitexact/register.h"
#include "arm64_hwcap.h"

intptr_t arm64_dotprod_i32_8x8_k4_kernel(const bx_fused_ker_spec *chain);

static const bx_packing arm64_dotprod_i32_8x8_k4_packings[] = {
    {.a = {BX_PACK_I8K4, 8, 1, 0}, .b = {BX_PACK_I8K4, 8, 1, 0}, .k_alignment = 4},
};

static int arm64_dotprod_i32_8x8_k4_supported(char *why, size_t why_len) {
  if (!(getauxval(AT_HWCAP) & BX_HWCAP_ASIMDDP)) {
    bx_arm64_why(why, why_len, "CPU lacks the dot product instructions (FEAT_DotProd, HWCAP_ASIMDDP)");
    return 0;
  }
  bx_arm64_why(why, why_len, "FEAT_DotProd present");
  return 1;
}

const bx_kernel_desc bx_kernel_arm64_dotprod_i32_8x8_k4 = {
    .abi_version = BX_ABI_VERSION,
    .name = "arm64_dotprod_i32_8x8_k4",
    .isa = "dotprod",
    .mr = 8,
    .nr = 8,
    .n_packings = 1,
    .packings = arm64_dotprod_i32_8x8_k4_packings,
    .supported_ops = BX_OPS_V1,
    .kernel = arm64_dotprod_i32_8x8_k4_kernel,
    .is_supported_here = arm64_dotprod_i32_8x8_k4_supported,
};
BX_REGISTER_KERNEL(bx_kernel_arm64_dotprod_i32_8x8_k4);
#endif
