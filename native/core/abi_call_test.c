/*
 * abi_call_test.c — self-test of the checked kernel call (abi_call.h), built and run by
 * `make -C native abi-test` (host, and aarch64 under qemu with and without SME / FA64).
 *
 * Every tiny kernel of abi_call_test_<arch>.S breaks exactly one rule of docs/abi.md and
 * must be reported as exactly that (violation class, register bitmask, the value it left,
 * the description); the good ones touch everything and restore it and must be clean. Each
 * case also runs nested inside an outer checked call, whose report must be clean: that is
 * the proof that the trampoline gives its caller back everything a bad kernel broke.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "abi_call.h"

#if defined(__aarch64__)
#include "../kernels/arm64_hwcap.h"
#endif

#if defined(__x86_64__)
#define ARCH "x86-64"
#else
#define ARCH "aarch64"
#endif
#define CLOBBER UINT64_C(0x0BAD0BAD0BAD0000)

#define K(name) intptr_t abi_t_##name(const bx_fused_ker_spec *);
#if defined(__x86_64__)
K(good) K(mxcsr_flag) K(clobber_rbx) K(clobber_rbp) K(clobber_r12) K(clobber_r13) K(clobber_r14)
K(clobber_r15) K(sp) K(mxcsr) K(x87cw) K(df) K(multi)
#else
K(good) K(fpsr) K(good_sme) K(clobber_x19) K(clobber_x20) K(clobber_x21) K(clobber_x22)
K(clobber_x23) K(clobber_x24) K(clobber_x25) K(clobber_x26) K(clobber_x27) K(clobber_x28)
K(clobber_x29) K(clobber_d8) K(clobber_d9) K(clobber_d10) K(clobber_d11) K(clobber_d12)
K(clobber_d13) K(clobber_d14) K(clobber_d15) K(sp) K(fpcr) K(sm) K(za) K(multi)
#endif
#undef K

typedef struct tcase {
  const char *name;
  bx_kernel_fn fn;
  uint32_t violations; /* exactly these classes */
  uint32_t regs;       /* exactly these registers */
  const char *words;   /* the description contains this ("" for a clean call) */
  int sme;             /* needs SME */
} tcase;

#define REG(i) (1u << (i))
#define CASE(n, v, r, w) {#n, abi_t_##n, v, r, w, 0}
#define SME_CASE(n, v, r, w) {#n, abi_t_##n, v, r, w, 1}

static const tcase cases[] = {
#if defined(__x86_64__)
    CASE(good, 0, 0, ""),
    CASE(mxcsr_flag, 0, 0, ""),
    CASE(clobber_rbx, BX_ABI_V_REG, REG(0), "rbx: expected 0x"),
    CASE(clobber_rbp, BX_ABI_V_REG, REG(1), "rbp: expected 0x"),
    CASE(clobber_r12, BX_ABI_V_REG, REG(2), "r12: expected 0x"),
    CASE(clobber_r13, BX_ABI_V_REG, REG(3), "r13: expected 0x"),
    CASE(clobber_r14, BX_ABI_V_REG, REG(4), "r14: expected 0x"),
    CASE(clobber_r15, BX_ABI_V_REG, REG(5), "r15: expected 0x"),
    CASE(sp, BX_ABI_V_SP, REG(BX_ABI_SP), "(moved by -64 bytes)"),
    CASE(mxcsr, BX_ABI_V_FPCTL, 0, "mxcsr: expected 0x1f80, got 0x7f80 (rounding nearest -> toward zero)"),
    CASE(x87cw, BX_ABI_V_X87CW, 0, "x87cw: expected 0x37f, got 0xf7f (rounding nearest -> toward zero)"),
    CASE(df, BX_ABI_V_DF, 0, "df: expected 0x0, got 0x1 (direction flag left set)"),
    CASE(multi, BX_ABI_V_REG | BX_ABI_V_DF, REG(0) | REG(4), "rbx: expected 0x"),
#else
    CASE(good, 0, 0, ""),
    CASE(fpsr, 0, 0, ""),
    SME_CASE(good_sme, 0, 0, ""),
    CASE(clobber_x19, BX_ABI_V_REG, REG(0), "x19: expected 0x"),
    CASE(clobber_x20, BX_ABI_V_REG, REG(1), "x20: expected 0x"),
    CASE(clobber_x21, BX_ABI_V_REG, REG(2), "x21: expected 0x"),
    CASE(clobber_x22, BX_ABI_V_REG, REG(3), "x22: expected 0x"),
    CASE(clobber_x23, BX_ABI_V_REG, REG(4), "x23: expected 0x"),
    CASE(clobber_x24, BX_ABI_V_REG, REG(5), "x24: expected 0x"),
    CASE(clobber_x25, BX_ABI_V_REG, REG(6), "x25: expected 0x"),
    CASE(clobber_x26, BX_ABI_V_REG, REG(7), "x26: expected 0x"),
    CASE(clobber_x27, BX_ABI_V_REG, REG(8), "x27: expected 0x"),
    CASE(clobber_x28, BX_ABI_V_REG, REG(9), "x28: expected 0x"),
    CASE(clobber_x29, BX_ABI_V_REG, REG(10), "x29: expected 0x"),
    CASE(clobber_d8, BX_ABI_V_REG, REG(11), "d8: expected 0x"),
    CASE(clobber_d9, BX_ABI_V_REG, REG(12), "d9: expected 0x"),
    CASE(clobber_d10, BX_ABI_V_REG, REG(13), "d10: expected 0x"),
    CASE(clobber_d11, BX_ABI_V_REG, REG(14), "d11: expected 0x"),
    CASE(clobber_d12, BX_ABI_V_REG, REG(15), "d12: expected 0x"),
    CASE(clobber_d13, BX_ABI_V_REG, REG(16), "d13: expected 0x"),
    CASE(clobber_d14, BX_ABI_V_REG, REG(17), "d14: expected 0x"),
    CASE(clobber_d15, BX_ABI_V_REG, REG(18), "d15: expected 0x"),
    CASE(sp, BX_ABI_V_SP, REG(BX_ABI_SP), "(moved by -64 bytes)"),
    CASE(fpcr, BX_ABI_V_FPCTL, 0, "fpcr: expected 0x0, got 0xc00000 (rounding nearest -> toward zero)"),
    SME_CASE(sm, BX_ABI_V_SM, 0, "svcr.sm: expected 0x0, got 0x1 (returned in streaming mode: SMSTOP missing)"),
    SME_CASE(za, BX_ABI_V_ZA, 0, "svcr.za: expected 0x0, got 0x1 (returned with ZA on)"),
    SME_CASE(multi, BX_ABI_V_SM | BX_ABI_V_ZA | BX_ABI_V_REG, REG(0), "x19: expected 0x"),
#endif
};

/* The value a clobber kernel leaves in register index i. */
static uint64_t clobber_value(unsigned i) {
#if defined(__x86_64__)
  return CLOBBER + i;
#else
  return CLOBBER + (i < BX_ABI_NSAVED_X ? 19 + i : 8 + (i - BX_ABI_NSAVED_X));
#endif
}

static int have_sme_cpu(void) {
#if defined(__aarch64__)
  return (getauxval(AT_HWCAP2) & BX_HWCAP2_SME) != 0;
#else
  return 0;
#endif
}

static int failures, passes;

#define CHECK(cond, ...)                      \
  do {                                        \
    if (cond) {                               \
      passes++;                               \
    } else {                                  \
      failures++;                             \
      printf("FAIL %s: ", c->name);           \
      printf(__VA_ARGS__);                    \
      printf("\n");                           \
    }                                         \
  } while (0)

static void check_report(const tcase *c, const char *how, intptr_t rc, const bx_fused_ker_spec *chain,
                         const bx_abi_report *r) {
  char text[1024];
  const int n = bx_abi_describe(r, text, sizeof text);
  CHECK(rc == ((intptr_t)chain ^ 0x5A), "%s: rc %#lx, the kernel returned %#lx", how, (long)rc,
        (long)((intptr_t)chain ^ 0x5A));
  CHECK(r->violations == c->violations, "%s: violations %#x, expected %#x (%s)", how, r->violations,
        c->violations, text);
  CHECK(r->regs == c->regs, "%s: regs %#x, expected %#x (%s)", how, r->regs, c->regs, text);
  CHECK(c->words[0] ? strstr(text, c->words) != NULL : n == 0, "%s: description \"%s\", expected \"%s\"",
        how, text, c->words);
  for (unsigned i = 0; i < BX_ABI_NSAVED; i++)
    if (c->regs & REG(i))
      CHECK(r->got[i] == clobber_value(i), "%s: %s got %#llx, the kernel left %#llx", how,
            bx_abi_reg_name(i), (unsigned long long)r->got[i], (unsigned long long)clobber_value(i));
  if (c->regs & REG(BX_ABI_SP))
    CHECK(r->got[BX_ABI_SP] - r->expected[BX_ABI_SP] == (uint64_t)-64, "%s: sp moved by %lld, not -64",
          how, (long long)(r->got[BX_ABI_SP] - r->expected[BX_ABI_SP]));
  if (c->violations & BX_ABI_V_FPCTL)
#if defined(__x86_64__)
    CHECK(((r->fpctl_after >> 13) & 3) == 3, "%s: MXCSR after %#llx", how, (unsigned long long)r->fpctl_after);
#else
    CHECK(((r->fpctl_after >> 22) & 3) == 3, "%s: FPCR after %#llx", how, (unsigned long long)r->fpctl_after);
#endif
  if (*how == 'd') printf("  %-12s %s\n", c->name, n ? text : "clean");
}

/* The nested run: a C "kernel" making the checked call of the bad one. */
static const tcase *inner_case;
static bx_abi_report inner_rep;
static intptr_t inner_rc;
static intptr_t outer_kernel(const bx_fused_ker_spec *chain) {
  inner_rc = bx_abi_call(inner_case->fn, chain, &inner_rep);
  return 7;
}

/* Seeds are distinct within a call and new on every call. */
static void check_seeds(void) {
  static const tcase seeds = {"seeds", NULL, 0, 0, "", 0};
  const tcase *c = &seeds;
  bx_fused_ker_spec chain[1] = {{0}};
  bx_abi_report a, b;
  bx_abi_call(abi_t_good, chain, &a);
  bx_abi_call(abi_t_good, chain, &b);
  int distinct = 1, fresh = 1;
  for (unsigned i = 0; i < BX_ABI_NSAVED; i++) {
    for (unsigned j = 0; j < i; j++) distinct &= a.expected[i] != a.expected[j];
    fresh &= a.expected[i] != b.expected[i];
  }
  CHECK(distinct, "two registers got the same seed");
  CHECK(fresh, "a register got the same seed on two calls");
}

/* bx_abi_items lists the multi case's breaks in order; the log keeps the first break. */
static void check_items_and_log(void) {
  static const tcase t = {"items+log", NULL, 0, 0, "", 0};
  const tcase *c = &t;
  const tcase *multi = &cases[sizeof cases / sizeof cases[0] - 1], *reg = &cases[3];
  bx_fused_ker_spec chain[1] = {{0}};
  bx_abi_log log = BX_ABI_LOG_INIT;
  bx_abi_call_logged(&log, cases[0].fn, chain); /* good */
  bx_abi_call_logged(&log, reg->fn, chain);
  bx_abi_call_logged(&log, cases[0].fn, chain);
  if (!multi->sme || have_sme_cpu()) bx_abi_call_logged(&log, multi->fn, chain);
  CHECK(log.first == 1 && log.rep.violations == reg->violations && log.rep.regs == reg->regs,
        "log: first %d, violations %#x", log.first, log.rep.violations);
  if (multi->sme && !have_sme_cpu()) return;
  bx_abi_report r;
  bx_abi_call(multi->fn, chain, &r);
  bx_abi_item it[BX_ABI_MAX_ITEMS];
  const size_t n = bx_abi_items(&r, it);
#if defined(__x86_64__)
  CHECK(n == 3 && !strcmp(it[0].what, "rbx") && !strcmp(it[1].what, "r14") && !strcmp(it[2].what, "df") &&
            it[0].got == clobber_value(0) && it[2].expected == 0 && it[2].got == 1,
        "items of multi: %zu", n);
#else
  CHECK(n == 3 && !strcmp(it[0].what, "x19") && !strcmp(it[1].what, "svcr.sm") && !strcmp(it[2].what, "svcr.za") &&
            it[0].got == clobber_value(0) && it[1].got == 1,
        "items of multi: %zu", n);
#endif
}

/* The frame pointer is thread-local: checked calls from two threads at once. */
static void *thread_body(void *arg) {
  const tcase *c = arg;
  bx_fused_ker_spec chain[1] = {{0}};
  for (int i = 0; i < 20000; i++) {
    bx_abi_report r;
    intptr_t rc = bx_abi_call(c->fn, chain, &r);
    if (rc != ((intptr_t)chain ^ 0x5A) || r.violations != c->violations || r.regs != c->regs)
      return (void *)1;
  }
  return NULL;
}
static void check_threads(void) {
  static const tcase t = {"threads", NULL, 0, 0, "", 0};
  const tcase *c = &t;
  pthread_t th[2];
  void *res[2] = {(void *)1, (void *)1};
  const tcase *work[2] = {&cases[0], &cases[3]}; /* good, and a register clobber */
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, thread_body, (void *)work[i]);
  for (int i = 0; i < 2; i++) pthread_join(th[i], &res[i]);
  CHECK(res[0] == NULL && res[1] == NULL, "concurrent checked calls disagree (%s, %s)", work[0]->name,
        work[1]->name);
}

int main(void) {
  const int have_sme = have_sme_cpu();
  int not_run = 0;
  bx_fused_ker_spec chain[2] = {{0}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const tcase *c = &cases[k];
    if (c->sme && !have_sme) {
      printf("  %-12s not run: this CPU has no SME\n", c->name);
      not_run++;
      continue;
    }
    bx_abi_report r;
    const intptr_t rc = bx_abi_call(c->fn, chain, &r);
    check_report(c, "direct", rc, chain, &r);

    bx_abi_report outer;
    inner_case = c;
    const intptr_t orc = bx_abi_call(outer_kernel, &chain[1], &outer);
    check_report(c, "nested", inner_rc, &chain[1], &inner_rep);
    char text[1024];
    bx_abi_describe(&outer, text, sizeof text);
    CHECK(orc == 7 && outer.violations == 0 && outer.regs == 0,
          "the caller of the checked call saw the kernel's breakage: rc %ld, %s", (long)orc, text);
  }
  check_seeds();
  check_items_and_log();
  check_threads();
  printf("abi-test (%s%s): %d checks passed, %d failed", ARCH,
         have_sme ? ", SME" : "", passes, failures);
  if (not_run) printf(", %d SME kernels not run on this CPU", not_run);
  printf("\n");
  return failures ? 1 : 0;
}
