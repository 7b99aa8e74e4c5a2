/*
 * abi_call.h — call a kernel and check that it kept the calling convention (docs/abi.md).
 *
 *   intptr_t bx_abi_call(bx_kernel_fn fn, const bx_fused_ker_spec *chain, bx_abi_report *rep);
 *
 * Before the call every callee-saved register is loaded with a distinct pseudo-random value
 * (new values on every call); after it the trampoline (abi_call_<arch>.S) records what the
 * kernel left, puts the caller's real state back (callee-saved registers, sp, MXCSR and x87 CW
 * or FPCR, DF clear, streaming mode and ZA off) and only then returns to C. So a kernel that
 * breaks the convention is reported in *rep and cannot corrupt the executor.
 *
 * x86-64 SysV: rbx, rbp, r12-r15, rsp, MXCSR control bits, x87 control word, DF.
 * AArch64 AAPCS64: x19-x29, sp, d8-d15, FPCR, SVCR.SM / SVCR.ZA (read only when the CPU has SME).
 *
 * The BX_ABI_F_* offsets describe the trampoline's private frame; the assembly includes this
 * header for them and the C side checks them against the struct.
 */
#ifndef BX_ABI_CALL_H
#define BX_ABI_CALL_H

#if defined(__x86_64__)
#define BX_ABI_NSAVED 6 /* rbx rbp r12 r13 r14 r15 */
#elif defined(__aarch64__)
#define BX_ABI_NSAVED 19 /* x19..x29, d8..d15 */
#define BX_ABI_NSAVED_X 11
#else
#error "abi_call: x86-64 and aarch64 only"
#endif

/* Frame offsets (bytes). seed: what is loaded before the call; got: what the kernel left;
 * saved: the caller's real values (aarch64: x19..x30 then d8..d15, one more slot for x30). */
#define BX_ABI_F_SEED 0
#define BX_ABI_F_GOT (BX_ABI_F_SEED + 8 * BX_ABI_NSAVED)
#define BX_ABI_F_SAVED (BX_ABI_F_GOT + 8 * BX_ABI_NSAVED)
#if defined(__x86_64__)
#define BX_ABI_F_SP_BEFORE (BX_ABI_F_SAVED + 8 * BX_ABI_NSAVED)
#else
#define BX_ABI_F_SAVED_D (BX_ABI_F_SAVED + 8 * (BX_ABI_NSAVED_X + 1))
#define BX_ABI_F_SP_BEFORE (BX_ABI_F_SAVED + 8 * (BX_ABI_NSAVED + 1))
#endif
#define BX_ABI_F_SP_AFTER (BX_ABI_F_SP_BEFORE + 8)
#define BX_ABI_F_PREV (BX_ABI_F_SP_AFTER + 8)      /* the enclosing frame (nested calls) */
#define BX_ABI_F_STATE (BX_ABI_F_PREV + 8)        /* x86-64: RFLAGS after; aarch64: SVCR after */
#define BX_ABI_F_CTL_BEFORE (BX_ABI_F_STATE + 8)  /* x86-64: MXCSR (u32); aarch64: FPCR (u64) */
#define BX_ABI_F_CTL_AFTER (BX_ABI_F_CTL_BEFORE + 8)
#define BX_ABI_F_X87_BEFORE (BX_ABI_F_CTL_AFTER + 8) /* x86-64: u16 */
#define BX_ABI_F_X87_AFTER (BX_ABI_F_X87_BEFORE + 2)
#define BX_ABI_F_HAS_SME (BX_ABI_F_X87_BEFORE + 4) /* aarch64: u32, 1 if SVCR can be read */
#define BX_ABI_F_SIZE (BX_ABI_F_X87_BEFORE + 8)

#ifndef __ASSEMBLER__

#include <stddef.h>
#include <stdint.h>

#include "bitexact/kernel.h"

/* Register indices of bx_abi_report.expected / got / regs: the callee-saved registers in
 * the order of bx_abi_reg_name(), then the stack pointer. */
#define BX_ABI_SP BX_ABI_NSAVED
#define BX_ABI_NREGS (BX_ABI_NSAVED + 1)

/* Violation classes (bx_abi_report.violations). */
enum bx_abi_violation {
  BX_ABI_V_REG = 1u << 0,   /* a callee-saved register changed (see regs) */
  BX_ABI_V_SP = 1u << 1,    /* the stack pointer moved */
  BX_ABI_V_FPCTL = 1u << 2, /* MXCSR control bits (x86-64) / FPCR (aarch64) changed */
  BX_ABI_V_X87CW = 1u << 3, /* x86-64: x87 control word changed */
  BX_ABI_V_DF = 1u << 4,    /* x86-64: direction flag left set */
  BX_ABI_V_SM = 1u << 5,    /* aarch64: returned in streaming mode (PSTATE.SM) */
  BX_ABI_V_ZA = 1u << 6     /* aarch64: returned with ZA storage on (PSTATE.ZA) */
};

/* MXCSR bits a kernel must leave alone: DAZ, the exception masks, RC, FZ (not the sticky
 * exception flags 0..5, which any float code may set). */
#define BX_ABI_MXCSR_CONTROL 0xFFC0u

typedef struct bx_abi_report {
  uint32_t violations; /* enum bx_abi_violation bits; 0 = the kernel kept the convention */
  uint32_t regs;       /* bit i: register i changed (BX_ABI_V_REG, or BX_ABI_V_SP for i = BX_ABI_SP) */
  uint64_t expected[BX_ABI_NREGS]; /* what register i held before the call */
  uint64_t got[BX_ABI_NREGS];      /* what the kernel left in it */
  uint64_t fpctl_before, fpctl_after; /* MXCSR (whole register) / FPCR */
  uint16_t x87cw_before, x87cw_after; /* x86-64 */
  uint64_t state_after; /* x86-64: RFLAGS; aarch64: SVCR (0 when the CPU has no SME) */
} bx_abi_report;

/* Calls fn(chain) through the checking trampoline and returns its result; *rep says what
 * the kernel broke. Thread-safe and reentrant (the trampoline keeps its frame pointer in a
 * thread-local slot and restores the enclosing one). */
intptr_t bx_abi_call(bx_kernel_fn fn, const bx_fused_ker_spec *chain, bx_abi_report *rep);

/* Name of register index i ("rbx", "x19", "d8", "rsp"/"sp"). */
const char *bx_abi_reg_name(unsigned i);

/* One broken rule: what (a register name, or "mxcsr", "x87cw", "df" / "fpcr", "svcr.sm",
 * "svcr.za"), the value it had to keep (flags: 0) and the value the kernel left. */
typedef struct bx_abi_item {
  const char *what;
  uint64_t expected, got;
} bx_abi_item;
#define BX_ABI_MAX_ITEMS (BX_ABI_NREGS + 3)

/* Fills out[0..BX_ABI_MAX_ITEMS) with the violations of *rep in a fixed order (registers in
 * index order, sp, then the control state); returns how many. */
size_t bx_abi_items(const bx_abi_report *rep, bx_abi_item *out);

/* One line naming every item with its values and what it means, e.g.
 * "rbx: expected 0x..., got 0x0; mxcsr: expected 0x1f80, got 0x7f80 (rounding nearest ->
 * toward zero)". Returns the length snprintf would have written ("" when clean). */
int bx_abi_describe(const bx_abi_report *rep, char *buf, size_t len);

/* The first break over the checked calls of one request (TILE: one call; FRAME: one per
 * tile, in walk order). */
typedef struct bx_abi_log {
  uint32_t calls;    /* checked calls made */
  int32_t first;     /* index of the first call that broke the convention, -1 if none did */
  bx_abi_report rep; /* that call's report */
} bx_abi_log;
#define BX_ABI_LOG_INIT {0, -1, {0}}

/* bx_abi_call, keeping the first violating report in *log. */
intptr_t bx_abi_call_logged(bx_abi_log *log, bx_kernel_fn fn, const bx_fused_ker_spec *chain);

/* A jump out of a checked call (a fault caught by fault.c) skips the trampoline's epilogue and
 * leaves its frame, on the dead stack, as this thread's innermost one. bx_abi_mark() before the
 * call names the enclosing frame; bx_abi_unwind(mark) after the jump makes it innermost again.
 * The rest of what the epilogue restores (callee-saved registers, sp, MXCSR / x87 CW / DF or
 * FPCR, streaming mode and ZA) is the jumper's to put back. */
void *bx_abi_mark(void);
void bx_abi_unwind(void *mark);

#endif /* __ASSEMBLER__ */
#endif
