/*
 * abi_call_aarch64.S — the checking trampoline of bx_abi_call (abi_call.h), AArch64 AAPCS64.
 *
 * intptr_t bx_abi_call_raw(bx_kernel_fn fn, const bx_fused_ker_spec *chain, bx_abi_frame *f)
 *   x0 = fn, x1 = chain, x2 = f (zeroed by the caller, f->seed and f->has_sme filled)
 *
 * Loads f->seed into x19-x29 and d8-d15, calls fn(chain), stores what the kernel left into
 * f->got / sp_after / ctl_after (FPCR) / state_after (SVCR, only if f->has_sme: the register
 * does not exist without SME), then puts the caller's real state back: SMSTOP if the kernel
 * left streaming mode or ZA on, FPCR, x19-x30, d8-d15, sp. The caller's registers are kept in
 * the frame, not on the stack: if the kernel moved sp, the frame is found again through the
 * thread-local bx_abi_cur (TPIDR_EL0-relative, valid whatever the kernel did to the registers).
 *
 * Everything between the kernel's return and the SMSTOP is legal in streaming mode without
 * FEAT_SME_FA64 (general-register ops, MRS, and scalar SIMD&FP stores), so a kernel that
 * returns in streaming mode is reported on an Apple-M4-like CPU too, not trapped here.
 */
/* Assembles to nothing on the other architecture, so a build may list both files. */
#if defined(__aarch64__)
#include "abi_call.h"

  /* +sme only lets the assembler spell MRS SVCR and SMSTOP; they run only if f->has_sme. */
  .arch armv8-a+sme
  .text
  .globl bx_abi_call_raw
  .hidden bx_abi_call_raw
  .type bx_abi_call_raw, %function
  .p2align 4
bx_abi_call_raw:
  .cfi_startproc
  /* The caller's callee-saved registers and its return address: restored from here. */
  stp x19, x20, [x2, #BX_ABI_F_SAVED + 0]
  stp x21, x22, [x2, #BX_ABI_F_SAVED + 16]
  stp x23, x24, [x2, #BX_ABI_F_SAVED + 32]
  stp x25, x26, [x2, #BX_ABI_F_SAVED + 48]
  stp x27, x28, [x2, #BX_ABI_F_SAVED + 64]
  stp x29, x30, [x2, #BX_ABI_F_SAVED + 80]
  stp d8, d9, [x2, #BX_ABI_F_SAVED_D + 0]
  stp d10, d11, [x2, #BX_ABI_F_SAVED_D + 16]
  stp d12, d13, [x2, #BX_ABI_F_SAVED_D + 32]
  stp d14, d15, [x2, #BX_ABI_F_SAVED_D + 48]

  /* Push f on this thread's frame chain (f->prev = bx_abi_cur; bx_abi_cur = f): a kernel
   * that itself makes a checked call (the self-test does) finds its own frame. */
  mrs x9, tpidr_el0
  adrp x10, :gottprel:bx_abi_cur
  ldr x10, [x10, #:gottprel_lo12:bx_abi_cur]
  ldr x11, [x9, x10]
  str x11, [x2, #BX_ABI_F_PREV]
  str x2, [x9, x10]

  /* sp is 16-aligned at entry and is what the kernel must hand back. */
  mov x9, sp
  str x9, [x2, #BX_ABI_F_SP_BEFORE]
  mrs x9, fpcr
  str x9, [x2, #BX_ABI_F_CTL_BEFORE]

  mov x16, x0                 /* fn (x16: intra-procedure scratch, not an argument) */
  mov x0, x1                  /* chain: the kernel's only argument */
  ldp x19, x20, [x2, #BX_ABI_F_SEED + 0]
  ldp x21, x22, [x2, #BX_ABI_F_SEED + 16]
  ldp x23, x24, [x2, #BX_ABI_F_SEED + 32]
  ldp x25, x26, [x2, #BX_ABI_F_SEED + 48]
  ldp x27, x28, [x2, #BX_ABI_F_SEED + 64]
  ldr x29, [x2, #BX_ABI_F_SEED + 80]
  ldp d8, d9, [x2, #BX_ABI_F_SEED + 88]
  ldp d10, d11, [x2, #BX_ABI_F_SEED + 104]
  ldp d12, d13, [x2, #BX_ABI_F_SEED + 120]
  ldp d14, d15, [x2, #BX_ABI_F_SEED + 136]
  blr x16
  /* x0 = the kernel's result. Only x1-x17 are used from here on, so x19-x29 and d8-d15
   * still hold what the kernel left. */

  mov x9, sp                  /* sp as the kernel left it */
  mrs x10, tpidr_el0
  adrp x11, :gottprel:bx_abi_cur
  ldr x11, [x11, #:gottprel_lo12:bx_abi_cur]
  add x10, x10, x11           /* &bx_abi_cur */
  ldr x2, [x10]               /* f */
  ldr x12, [x2, #BX_ABI_F_SP_BEFORE]
  mov sp, x12                 /* a usable stack again */
  str x9, [x2, #BX_ABI_F_SP_AFTER]
  ldr x9, [x2, #BX_ABI_F_PREV] /* pop f off the frame chain */
  str x9, [x10]

  stp x19, x20, [x2, #BX_ABI_F_GOT + 0]
  stp x21, x22, [x2, #BX_ABI_F_GOT + 16]
  stp x23, x24, [x2, #BX_ABI_F_GOT + 32]
  stp x25, x26, [x2, #BX_ABI_F_GOT + 48]
  stp x27, x28, [x2, #BX_ABI_F_GOT + 64]
  str x29, [x2, #BX_ABI_F_GOT + 80]
  /* Before any SMSTOP: leaving streaming mode zeroes the vector registers. */
  stp d8, d9, [x2, #BX_ABI_F_GOT + 88]
  stp d10, d11, [x2, #BX_ABI_F_GOT + 104]
  stp d12, d13, [x2, #BX_ABI_F_GOT + 120]
  stp d14, d15, [x2, #BX_ABI_F_GOT + 136]
  mrs x9, fpcr
  str x9, [x2, #BX_ABI_F_CTL_AFTER]

  ldr w9, [x2, #BX_ABI_F_HAS_SME]
  cbz w9, 1f
  mrs x9, svcr                /* bit 0 SM, bit 1 ZA */
  str x9, [x2, #BX_ABI_F_STATE]
  cbz x9, 1f
  smstop                      /* SM = ZA = 0: the executor runs in normal mode */
1:
  ldr x9, [x2, #BX_ABI_F_CTL_BEFORE]
  msr fpcr, x9

  ldp x19, x20, [x2, #BX_ABI_F_SAVED + 0]
  ldp x21, x22, [x2, #BX_ABI_F_SAVED + 16]
  ldp x23, x24, [x2, #BX_ABI_F_SAVED + 32]
  ldp x25, x26, [x2, #BX_ABI_F_SAVED + 48]
  ldp x27, x28, [x2, #BX_ABI_F_SAVED + 64]
  ldp x29, x30, [x2, #BX_ABI_F_SAVED + 80]
  ldp d8, d9, [x2, #BX_ABI_F_SAVED_D + 0]
  ldp d10, d11, [x2, #BX_ABI_F_SAVED_D + 16]
  ldp d12, d13, [x2, #BX_ABI_F_SAVED_D + 32]
  ldp d14, d15, [x2, #BX_ABI_F_SAVED_D + 48]
  ret
  .cfi_endproc
  .size bx_abi_call_raw, .-bx_abi_call_raw

#endif
  /* No executable stack (also for the empty object on the other architecture). */
  .section .note.GNU-stack, "", %progbits
