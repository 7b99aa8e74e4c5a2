/*
 * abi_call.c — the C half of the checked kernel call (abi_call.h): picks the register seeds,
 * runs the trampoline (abi_call_<arch>.S) and turns what it recorded into a report.
 */
#include "abi_call.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#if defined(__aarch64__)
#include "../kernels/arm64_hwcap.h"
#endif

/* The trampoline's private frame; its layout is the BX_ABI_F_* offsets. */
typedef struct bx_abi_frame {
  uint64_t seed[BX_ABI_NSAVED];
  uint64_t got[BX_ABI_NSAVED];
#if defined(__x86_64__)
  uint64_t saved[BX_ABI_NSAVED];
#else
  uint64_t saved[BX_ABI_NSAVED + 1]; /* x19..x30, d8..d15 */
#endif
  uint64_t sp_before, sp_after;
  struct bx_abi_frame *prev;
  uint64_t state_after;
  uint64_t ctl_before, ctl_after;
  uint16_t x87_before, x87_after;
  uint32_t has_sme;
} bx_abi_frame;

BX_STATIC_ASSERT(offsetof(bx_abi_frame, seed) == BX_ABI_F_SEED, "frame seed");
BX_STATIC_ASSERT(offsetof(bx_abi_frame, got) == BX_ABI_F_GOT, "frame got");
BX_STATIC_ASSERT(offsetof(bx_abi_frame, saved) == BX_ABI_F_SAVED, "frame saved");
#if defined(__aarch64__)
BX_STATIC_ASSERT(offsetof(bx_abi_frame, saved[BX_ABI_NSAVED_X + 1]) == BX_ABI_F_SAVED_D, "frame saved d8");
#endif
BX_STATIC_ASSERT(offsetof(bx_abi_frame, sp_before) == BX_ABI_F_SP_BEFORE, "frame sp_before");
BX_STATIC_ASSERT(offsetof(bx_abi_frame, sp_after) == BX_ABI_F_SP_AFTER, "frame sp_after");
BX_STATIC_ASSERT(offsetof(bx_abi_frame, prev) == BX_ABI_F_PREV, "frame prev");
BX_STATIC_ASSERT(offsetof(bx_abi_frame, state_after) == BX_ABI_F_STATE, "frame state");
BX_STATIC_ASSERT(offsetof(bx_abi_frame, ctl_before) == BX_ABI_F_CTL_BEFORE, "frame ctl_before");
BX_STATIC_ASSERT(offsetof(bx_abi_frame, ctl_after) == BX_ABI_F_CTL_AFTER, "frame ctl_after");
BX_STATIC_ASSERT(offsetof(bx_abi_frame, x87_before) == BX_ABI_F_X87_BEFORE, "frame x87_before");
BX_STATIC_ASSERT(offsetof(bx_abi_frame, x87_after) == BX_ABI_F_X87_AFTER, "frame x87_after");
BX_STATIC_ASSERT(offsetof(bx_abi_frame, has_sme) == BX_ABI_F_HAS_SME, "frame has_sme");
BX_STATIC_ASSERT(sizeof(bx_abi_frame) == BX_ABI_F_SIZE, "frame size");

/* The frame of the innermost checked call on this thread. After the kernel returns no
 * register can be trusted, sp included; the thread pointer (fs base / TPIDR_EL0) can, so the
 * trampoline finds its frame here. initial-exec: one load off the thread pointer, no call
 * and no stack needed (the addon is dlopen'ed; its few bytes fit glibc's static TLS surplus). */
__attribute__((visibility("hidden"), tls_model("initial-exec"))) __thread bx_abi_frame *bx_abi_cur;

__attribute__((visibility("hidden"))) intptr_t bx_abi_call_raw(bx_kernel_fn fn,
                                                               const bx_fused_ker_spec *chain,
                                                               bx_abi_frame *f);

/* splitmix64's finalizer: a bijection, so distinct inputs give distinct seeds. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

#if defined(__aarch64__)
static uint32_t cpu_has_sme(void) {
  static int cached = -1; /* benign race: every thread computes the same value */
  int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (v < 0) {
    v = (getauxval(AT_HWCAP2) & BX_HWCAP2_SME) != 0;
    __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
  }
  return (uint32_t)v;
}
#endif

intptr_t bx_abi_call(bx_kernel_fn fn, const bx_fused_ker_spec *chain, bx_abi_report *rep) {
  /* New values on every call (a kernel cannot pass by restoring a constant it learned), the
   * same sequence in every process (a report reproduces). */
  static __thread uint64_t calls;
  bx_abi_frame f;
  memset(&f, 0, sizeof f);
  const uint64_t base = (calls++ + 1) * BX_ABI_NREGS + UINT64_C(0x9E3779B97F4A7C15);
  for (unsigned i = 0; i < BX_ABI_NSAVED; i++) f.seed[i] = mix64(base + i);
#if defined(__aarch64__)
  f.has_sme = cpu_has_sme();
#endif
  const intptr_t rc = bx_abi_call_raw(fn, chain, &f);

  memset(rep, 0, sizeof *rep);
  for (unsigned i = 0; i < BX_ABI_NSAVED; i++) {
    rep->expected[i] = f.seed[i];
    rep->got[i] = f.got[i];
    if (f.got[i] != f.seed[i]) {
      rep->regs |= 1u << i;
      rep->violations |= BX_ABI_V_REG;
    }
  }
  rep->expected[BX_ABI_SP] = f.sp_before;
  rep->got[BX_ABI_SP] = f.sp_after;
  if (f.sp_after != f.sp_before) {
    rep->regs |= 1u << BX_ABI_SP;
    rep->violations |= BX_ABI_V_SP;
  }
  rep->fpctl_before = f.ctl_before;
  rep->fpctl_after = f.ctl_after;
  rep->state_after = f.state_after;
#if defined(__x86_64__)
  if ((f.ctl_before ^ f.ctl_after) & BX_ABI_MXCSR_CONTROL) rep->violations |= BX_ABI_V_FPCTL;
  rep->x87cw_before = f.x87_before;
  rep->x87cw_after = f.x87_after;
  if (f.x87_before != f.x87_after) rep->violations |= BX_ABI_V_X87CW;
  if (f.state_after & (1u << 10)) rep->violations |= BX_ABI_V_DF; /* RFLAGS.DF */
#else
  if (f.ctl_before != f.ctl_after) rep->violations |= BX_ABI_V_FPCTL;
  if (f.state_after & 1u) rep->violations |= BX_ABI_V_SM; /* SVCR.SM */
  if (f.state_after & 2u) rep->violations |= BX_ABI_V_ZA; /* SVCR.ZA */
#endif
  return rc;
}

const char *bx_abi_reg_name(unsigned i) {
#if defined(__x86_64__)
  static const char *const names[BX_ABI_NREGS] = {"rbx", "rbp", "r12", "r13", "r14", "r15", "rsp"};
#else
  static const char *const names[BX_ABI_NREGS] = {"x19", "x20", "x21", "x22", "x23", "x24", "x25",
                                                  "x26", "x27", "x28", "x29", "d8",  "d9",  "d10",
                                                  "d11", "d12", "d13", "d14", "d15", "sp"};
#endif
  return i < BX_ABI_NREGS ? names[i] : "?";
}

size_t bx_abi_items(const bx_abi_report *r, bx_abi_item *out) {
  size_t n = 0;
  for (unsigned i = 0; i < BX_ABI_NREGS; i++)
    if (r->regs & (1u << i)) out[n++] = (bx_abi_item){bx_abi_reg_name(i), r->expected[i], r->got[i]};
#if defined(__x86_64__)
  if (r->violations & BX_ABI_V_FPCTL) out[n++] = (bx_abi_item){"mxcsr", r->fpctl_before, r->fpctl_after};
  if (r->violations & BX_ABI_V_X87CW) out[n++] = (bx_abi_item){"x87cw", r->x87cw_before, r->x87cw_after};
  if (r->violations & BX_ABI_V_DF) out[n++] = (bx_abi_item){"df", 0, 1};
#else
  if (r->violations & BX_ABI_V_FPCTL) out[n++] = (bx_abi_item){"fpcr", r->fpctl_before, r->fpctl_after};
  if (r->violations & BX_ABI_V_SM) out[n++] = (bx_abi_item){"svcr.sm", 0, 1};
  if (r->violations & BX_ABI_V_ZA) out[n++] = (bx_abi_item){"svcr.za", 0, 1};
#endif
  return n;
}

/* Appends to buf[*at..len) like snprintf; *at counts what would have been written. */
__attribute__((format(printf, 4, 5))) static void put(char *buf, size_t len, int *at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const size_t off = (size_t)*at;
  const int n = vsnprintf(off < len ? buf + off : NULL, off < len ? len - off : 0, fmt, ap);
  va_end(ap);
  if (n > 0) *at += n;
}

/* " (rounding A -> B)" when the 2-bit rounding field at bit `shift` changed. */
static void put_rounding(char *buf, size_t len, int *at, const bx_abi_item *it, unsigned shift,
                         const char *const names[4]) {
  const unsigned b = (unsigned)(it->expected >> shift) & 3, a = (unsigned)(it->got >> shift) & 3;
  if (a != b) put(buf, len, at, " (rounding %s -> %s)", names[b], names[a]);
}

int bx_abi_describe(const bx_abi_report *r, char *buf, size_t len) {
  /* x86-64: MXCSR.RC (bits 13..14) and x87 CW.RC (bits 10..11); aarch64: FPCR.RMode (22..23). */
  static const char *const rc_x86[4] = {"nearest", "down", "up", "toward zero"};
  static const char *const rmode[4] = {"nearest", "toward +inf", "toward -inf", "toward zero"};
  bx_abi_item items[BX_ABI_MAX_ITEMS];
  const size_t n = bx_abi_items(r, items);
  int at = 0;
  if (len) buf[0] = '\0';
  for (size_t k = 0; k < n; k++) {
    const bx_abi_item *it = &items[k];
    put(buf, len, &at, "%s%s: expected 0x%llx, got 0x%llx", k ? "; " : "", it->what,
        (unsigned long long)it->expected, (unsigned long long)it->got);
    const char *w = it->what;
    if (!strcmp(w, bx_abi_reg_name(BX_ABI_SP)))
      put(buf, len, &at, " (moved by %+lld bytes)", (long long)(it->got - it->expected));
    else if (!strcmp(w, "mxcsr")) put_rounding(buf, len, &at, it, 13, rc_x86);
    else if (!strcmp(w, "x87cw")) put_rounding(buf, len, &at, it, 10, rc_x86);
    else if (!strcmp(w, "fpcr")) put_rounding(buf, len, &at, it, 22, rmode);
    else if (!strcmp(w, "df")) put(buf, len, &at, " (direction flag left set)");
    else if (!strcmp(w, "svcr.sm")) put(buf, len, &at, " (returned in streaming mode: SMSTOP missing)");
    else if (!strcmp(w, "svcr.za")) put(buf, len, &at, " (returned with ZA on)");
  }
  return at;
}

intptr_t bx_abi_call_logged(bx_abi_log *log, bx_kernel_fn fn, const bx_fused_ker_spec *chain) {
  bx_abi_report rep;
  const intptr_t rc = bx_abi_call(fn, chain, &rep);
  if (rep.violations && log->first < 0) {
    log->first = (int32_t)log->calls;
    log->rep = rep;
  }
  log->calls++;
  return rc;
}

void *bx_abi_mark(void) { return bx_abi_cur; }

void bx_abi_unwind(void *mark) { bx_abi_cur = mark; }
