/*
 * registry_x86_64.c — the builtin kernel table of an x86-64 build.
 *
 * Every kernel is listed whatever the CPU: callers ask each descriptor's is_supported_here()
 * before running it (the table itself must be safe to build and read on any x86-64 CPU: the
 * kernels' ISA-specific code sits behind per-function target attributes).
 */
#include "bitexact/kernel.h"

#if defined(__x86_64__)

extern const bx_kernel_desc bx_kernel_generic_i32_4x4;
extern const bx_kernel_desc bx_kernel_x86_avx2_i32_8x8;
extern const bx_kernel_desc bx_kernel_x86_avx512vnni_i32_16x16_k4;

static const bx_kernel_desc *const builtin_kernels[] = {
    &bx_kernel_generic_i32_4x4,
    &bx_kernel_x86_avx2_i32_8x8,
    &bx_kernel_x86_avx512vnni_i32_16x16_k4,
};

const bx_kernel_desc *const *bx_builtin_kernels(size_t *count) {
  *count = sizeof builtin_kernels / sizeof builtin_kernels[0];
  return builtin_kernels;
}

#endif /* __x86_64__ */
