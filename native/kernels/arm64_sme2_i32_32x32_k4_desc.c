/* Descriptor of arm64_sme2_i32_32x32_k4 (kernel in arm64_sme2_i32_32x32_k4.S). */
#if defined(__aarch64__)
#include "bitexact/register.h"
#include "arm64_hwcap.h"

intptr_t arm64_sme2_i32_32x32_k4_kernel(const bx_fused_ker_spec *chain);
size_t bx_arm64_sme_svl_bytes(void);

static const bx_packing arm64_sme2_i32_32x32_k4_packings[] = {
    {.a = {BX_PACK_I8K4, 32, 1, 0}, .b = {BX_PACK_I8K4, 32, 1, 0}, .k_alignment = 4},
};

/* The 32x32 tile is four 16x16 i32 ZA tiles: only right when SVL = 512 bits. */
#define BX_SME_SVL_BYTES 64

static int arm64_sme2_i32_32x32_k4_supported(char *why, size_t why_len) {
  unsigned long hw2 = getauxval(AT_HWCAP2);
  if (!(hw2 & BX_HWCAP2_SME)) {
    bx_arm64_why(why, why_len, "CPU lacks SME (HWCAP2_SME)");
    return 0;
  }
  if (!(hw2 & BX_HWCAP2_SME2)) {
    bx_arm64_why(why, why_len, "CPU has SME but not SME2 (HWCAP2_SME2)");
    return 0;
  }
  size_t svl = bx_arm64_sme_svl_bytes();
  if (svl != BX_SME_SVL_BYTES) {
    bx_arm64_why(why, why_len,
                 "streaming vector length is %zu bytes (%zu bits); this kernel's 32x32 tile "
                 "(four 16x16 i32 ZA tiles) needs exactly %d bytes (512 bits)",
                 svl, svl * 8, BX_SME_SVL_BYTES);
    return 0;
  }
  bx_arm64_why(why, why_len, "SME2 present, SVL = 512 bits");
  return 1;
}

const bx_kernel_desc bx_kernel_arm64_sme2_i32_32x32_k4 = {
    .abi_version = BX_ABI_VERSION,
    .name = "arm64_sme2_i32_32x32_k4",
    .isa = "sme2",
    .mr = 32,
    .nr = 32,
    .n_packings = 1,
    .packings = arm64_sme2_i32_32x32_k4_packings,
    .supported_ops = BX_OPS_V1 & ~BX_OP_BIT(BX_LEAKY_RELU),
    .kernel = arm64_sme2_i32_32x32_k4_kernel,
    .is_supported_here = arm64_sme2_i32_32x32_k4_supported,
};
BX_REGISTER_KERNEL(bx_kernel_arm64_sme2_i32_32x32_k4);
#endif
