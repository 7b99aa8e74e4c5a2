/*
 * builtins.c — the builtin kernel table of a build: every descriptor a kernel file of that
 * build registered with BX_REGISTER_KERNEL (bitexact/register.h), in link order. Which kernel
 * files a build links is decided by native/sources.cjs alone.
 *
 * Every kernel is listed whatever the CPU: callers ask each descriptor's is_supported_here()
 * before running it (ISA-specific code sits behind per-function target attributes or in
 * assembly, so the table is safe to build and read on any CPU of the architecture).
 */
#include "bitexact/register.h"

const bx_kernel_desc *const *bx_builtin_kernels(size_t *count);

const bx_kernel_desc *const *bx_builtin_kernels(size_t *count) { return bx_registered_kernels(count); }
