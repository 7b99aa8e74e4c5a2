/*
 * bx_fault_call (fault.h): the guarded kernel call and its SIGSEGV / SIGBUS handler.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* REG_ERR */
#endif
#include "fault.h"

#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#if defined(__aarch64__)
#include <asm/sigcontext.h>
#include <sys/auxv.h>
#ifndef AT_HWCAP2
#define AT_HWCAP2 26
#endif
#define HWCAP2_SME_BIT (1UL << 23)
#endif

/* The call in progress on this thread (the handler runs on the faulting thread). */
static __thread sigjmp_buf *cur_env;
static __thread const bx_fault_scope *cur_scope;
static __thread bx_fault *cur_fault;
static __thread struct sigaction prev_segv, prev_bus;
static __thread int armed; /* our handler is installed (prev_* hold what it replaced) */

static int in_zones(const bx_guarded *g, uint32_t id, uintptr_t a, bx_fault *f) {
  const uintptr_t map = (uintptr_t)g->map;
  if (!g->map || a < map || a - map >= g->map_len) return 0;
  if (a >= (uintptr_t)g->lo && a < (uintptr_t)g->hi) return 0; /* accessible: not a guard hit */
  f->buf = id;
  f->len = g->len;
  f->offset = (int64_t)(a - (uintptr_t)g->data); /* wraps to the signed distance */
  return 1;
}

static int lookup(const bx_fault_scope *s, uintptr_t a, bx_fault *f) {
  for (uint32_t i = 0; i < s->nbuf; i++)
    if (in_zones(&s->bufs[i], i, a, f)) return 1;
  for (size_t i = 0; s->scratch && i < s->scratch->count; i++)
    if (in_zones(&s->scratch->items[i], BX_SCRATCH_FLAG | (uint32_t)i, a, f)) return 1;
  return 0;
}

/* Read or write, from what the CPU reported: x86-64 page-fault error code bit 1; aarch64 the
 * ESR of a data abort (WnR, bit 6), when the kernel (or emulator) supplies an esr_context. */
static uint32_t access_of(void *uctx) {
#if defined(__x86_64__)
  const ucontext_t *uc = uctx;
  return (uc->uc_mcontext.gregs[REG_ERR] & 2) ? BX_ACCESS_WRITE : BX_ACCESS_READ;
#elif defined(__aarch64__)
  const ucontext_t *uc = uctx;
  const uint8_t *p = (const uint8_t *)uc->uc_mcontext.__reserved;
  const uint8_t *end = p + sizeof uc->uc_mcontext.__reserved;
  while (p + sizeof(struct _aarch64_ctx) <= end) {
    const struct _aarch64_ctx *h = (const void *)p;
    if (h->magic == 0 || h->size < sizeof *h) break;
    if (h->magic == ESR_MAGIC && p + sizeof(struct esr_context) <= end) {
      uint64_t esr = ((const struct esr_context *)p)->esr;
      uint32_t ec = (uint32_t)(esr >> 26) & 0x3f;
      if (ec == 0x24 || ec == 0x25) return (esr >> 6) & 1 ? BX_ACCESS_WRITE : BX_ACCESS_READ;
      return BX_ACCESS_UNKNOWN;
    }
    p += h->size;
  }
  return BX_ACCESS_UNKNOWN;
#else
  (void)uctx;
  return BX_ACCESS_UNKNOWN;
#endif
}

static void on_fault(int sig, siginfo_t *si, void *uctx) {
  bx_fault *f = cur_fault;
  if (f && cur_env && lookup(cur_scope, (uintptr_t)si->si_addr, f)) {
    f->hit = 1;
    f->signal = (uint32_t)sig;
    f->access = access_of(uctx);
    siglongjmp(*cur_env, 1);
  }
  /* Not ours: the previous dispositions take over when the instruction faults again. */
  bx_fault_disarm();
}

/* The floating-point control state a kernel may have changed before it faulted. */
typedef struct fp_ctl {
#if defined(__x86_64__)
  uint32_t mxcsr;
  uint16_t x87cw;
#elif defined(__aarch64__)
  uint64_t fpcr;
#endif
} fp_ctl;

static void fp_save(fp_ctl *c) {
#if defined(__x86_64__)
  __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(c->mxcsr), "=m"(c->x87cw));
#elif defined(__aarch64__)
  __asm__ volatile("mrs %0, fpcr" : "=r"(c->fpcr));
#else
  (void)c;
#endif
}

static void fp_restore(const fp_ctl *c) {
#if defined(__x86_64__)
  __asm__ volatile("cld\n\tldmxcsr %0\n\tfldcw %1" : : "m"(c->mxcsr), "m"(c->x87cw));
#elif defined(__aarch64__)
  /* A kernel may fault in streaming mode or with ZA on: SMSTOP (only if SME exists). */
  if (getauxval(AT_HWCAP2) & HWCAP2_SME_BIT) __asm__ volatile(".inst 0xd503467f" ::: "memory");
  __asm__ volatile("msr fpcr, %0" : : "r"(c->fpcr));
#else
  (void)c;
#endif
}

void bx_fault_disarm(void) {
  if (!armed) return;
  armed = 0;
  sigaction(SIGSEGV, &prev_segv, NULL);
  sigaction(SIGBUS, &prev_bus, NULL);
}

int bx_fault_call(const bx_fault_scope *scope, bx_abi_log *abi, bx_kernel_fn fn,
                  const bx_fused_ker_spec *chain, intptr_t *rc, bx_fault *f) {
  if (!armed) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &prev_segv);
    sigaction(SIGBUS, &sa, &prev_bus);
    armed = 1;
  }
  sigjmp_buf env;
  fp_ctl ctl;
  fp_save(&ctl);
  cur_scope = scope;
  cur_fault = f;
  void *const abi_mark = bx_abi_mark();
  volatile int faulted = 0;
  /* No mask saved (a syscall per call): the fault path unblocks the signal itself. */
  if (sigsetjmp(env, 0) == 0) {
    cur_env = &env;
    *rc = bx_abi_call_logged(abi, fn, chain);
  } else {
    faulted = 1;
    bx_abi_unwind(abi_mark); /* the trampoline's frame is gone with the kernel's stack */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, (int)f->signal);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    fp_restore(&ctl);
  }
  cur_env = NULL;
  cur_fault = NULL;
  cur_scope = NULL;
  return faulted;
}
