/* arm64_hwcap.h — Linux aarch64 hardware capability bits used by the arm64_* kernels'
 * is_supported_here() (values from the kernel's uapi asm/hwcap.h; defined here because
 * bookworm's cross linux headers (6.1) predate HWCAP2_SME2). */
#ifndef BX_ARM64_HWCAP_H
#define BX_ARM64_HWCAP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/auxv.h>

#ifndef AT_HWCAP2
#define AT_HWCAP2 26
#endif
#define BX_HWCAP_ASIMD (1UL << 1)
#define BX_HWCAP_ASIMDDP (1UL << 20)
#define BX_HWCAP2_SME (1UL << 23)
#define BX_HWCAP2_SME2 (1UL << 37)

static inline void bx_arm64_why(char *why, size_t why_len, const char *fmt, ...) {
  if (why == NULL || why_len == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, why_len, fmt, ap);
  va_end(ap);
}

#endif
