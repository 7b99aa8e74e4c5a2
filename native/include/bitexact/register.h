/*
 * bitexact/register.h — link-time registration of kernel descriptors.
 *
 *   const bx_kernel_desc bx_kernel_<name> = {...};
 *   BX_REGISTER_KERNEL(bx_kernel_<name>);
 *
 * puts a pointer to the descriptor into the ELF section `bx_kernels` of the object file. The
 * linker concatenates that section over every object of one executable or shared object and
 * defines __start_bx_kernels / __stop_bx_kernels around it, so bx_registered_kernels() sees
 * exactly the kernels linked into the same executable or shared object as its caller: no list
 * to keep in sync. The builtins (native/kernels/builtins.c) and the mutant libraries use it.
 *
 * `used` keeps the compiler from dropping the unreferenced static, `retain` (SHF_GNU_RETAIN)
 * keeps --gc-sections from dropping the section (GNU ld keeps __start_-referenced sections
 * anyway, lld under -z start-stop-gc does not). The section name is a C identifier, which is what makes
 * the linker define __start_/__stop_, and AddressSanitizer leaves such sections without
 * redzones (GCC does not instrument globals in user sections, clang skips identifier-named
 * ones), so the pointers stay contiguous. The bounds are hidden references: in a shared
 * object they resolve to that object's own section, never to another loaded library's.
 */
#ifndef BITEXACT_REGISTER_H
#define BITEXACT_REGISTER_H

#include <stddef.h>

#include "bitexact/kernel.h"

#if !defined(__ELF__)
#error "BX_REGISTER_KERNEL needs an ELF target (linker-defined __start_/__stop_ section bounds)"
#endif

#if defined(__has_attribute)
#if __has_attribute(retain)
#define BX_RETAIN_ __attribute__((retain))
#endif
#endif
#ifndef BX_RETAIN_
#define BX_RETAIN_
#endif

#define BX_REGISTER_KERNEL(desc)                                                                   \
  static const bx_kernel_desc *const bx_registered_##desc                                          \
      __attribute__((used, section("bx_kernels"), aligned(sizeof(void *)))) BX_RETAIN_ = &(desc)

extern const bx_kernel_desc *const __start_bx_kernels[] __attribute__((visibility("hidden")));
extern const bx_kernel_desc *const __stop_bx_kernels[] __attribute__((visibility("hidden")));

/* The descriptors registered in the executable or shared object this is compiled into, in link
 * order. A link without any BX_REGISTER_KERNEL fails (undefined __start_bx_kernels): a build
 * that lost its kernels is an error, not an empty table. */
static inline const bx_kernel_desc *const *bx_registered_kernels(size_t *count) {
  *count = (size_t)(__stop_bx_kernels - __start_bx_kernels);
  return __start_bx_kernels;
}

#endif /* BITEXACT_REGISTER_H */
