/*
 * abi_call_x86_64.S — the checking trampoline of bx_abi_call (abi_call.h), x86-64 SysV.
 *
 * intptr_t bx_abi_call_raw(bx_kernel_fn fn, const bx_fused_ker_spec *chain, bx_abi_frame *f)
 *   rdi = fn, rsi = chain, rdx = f (zeroed by the caller, f->seed filled)
 *
 * Loads f->seed into rbx, rbp, r12-r15, calls fn(chain), stores what the kernel left into
 * f->got / sp_after / state_after (RFLAGS) / ctl_after (MXCSR) / x87_after, then puts the
 * caller's real state back. The caller's callee-saved registers are kept in the frame, not on
 * the stack: if the kernel moved rsp, the stack is found again through the thread-local
 * bx_abi_cur (fs-relative, valid whatever the kernel did to the registers).
 */
/* Assembles to nothing on the other architecture, so a build may list both files. */
#if defined(__x86_64__)
#include "abi_call.h"

  .text
  .globl bx_abi_call_raw
  .hidden bx_abi_call_raw
  .type bx_abi_call_raw, @function
  .p2align 4
bx_abi_call_raw:
  .cfi_startproc
#ifdef __CET__
  endbr64
#endif
  /* The caller's callee-saved registers: restored from here after the call. */
  mov %rbx, BX_ABI_F_SAVED+0(%rdx)
  mov %rbp, BX_ABI_F_SAVED+8(%rdx)
  mov %r12, BX_ABI_F_SAVED+16(%rdx)
  mov %r13, BX_ABI_F_SAVED+24(%rdx)
  mov %r14, BX_ABI_F_SAVED+32(%rdx)
  mov %r15, BX_ABI_F_SAVED+40(%rdx)

  /* Push f on this thread's frame chain (f->prev = bx_abi_cur; bx_abi_cur = f): a kernel
   * that itself makes a checked call (the self-test does) finds its own frame. */
  mov bx_abi_cur@gottpoff(%rip), %rax
  mov %fs:(%rax), %rcx
  mov %rcx, BX_ABI_F_PREV(%rdx)
  mov %rdx, %fs:(%rax)

  /* rsp is 8 mod 16 here (return address); the call needs 0 mod 16. The value at the call
   * is the one the kernel must hand back. */
  sub $8, %rsp
  .cfi_adjust_cfa_offset 8
  mov %rsp, BX_ABI_F_SP_BEFORE(%rdx)
  stmxcsr BX_ABI_F_CTL_BEFORE(%rdx)
  fnstcw BX_ABI_F_X87_BEFORE(%rdx)

  mov %rdi, %rax              /* fn */
  mov %rsi, %rdi              /* chain: the kernel's only argument */
  mov BX_ABI_F_SEED+0(%rdx), %rbx
  mov BX_ABI_F_SEED+8(%rdx), %rbp
  mov BX_ABI_F_SEED+16(%rdx), %r12
  mov BX_ABI_F_SEED+24(%rdx), %r13
  mov BX_ABI_F_SEED+32(%rdx), %r14
  mov BX_ABI_F_SEED+40(%rdx), %r15
  call *%rax
  /* rax = the kernel's result. Only caller-saved scratch (rcx, rdx, rsi, rdi, r8-r11) is
   * used from here on, so rbx..r15 still hold what the kernel left. */

  mov %rsp, %rcx              /* rsp as the kernel left it */
  mov bx_abi_cur@gottpoff(%rip), %rsi
  mov %fs:(%rsi), %rdx        /* f */
  mov BX_ABI_F_SP_BEFORE(%rdx), %rsp /* a usable stack again */
  mov %rcx, BX_ABI_F_SP_AFTER(%rdx)
  pushfq                      /* RFLAGS: DF is bit 10 */
  pop %rcx
  mov %rcx, BX_ABI_F_STATE(%rdx)
  cld                         /* the C caller assumes DF = 0 (rep movs / stos) */
  stmxcsr BX_ABI_F_CTL_AFTER(%rdx)
  ldmxcsr BX_ABI_F_CTL_BEFORE(%rdx)
  fnstcw BX_ABI_F_X87_AFTER(%rdx)
  fldcw BX_ABI_F_X87_BEFORE(%rdx)
  mov BX_ABI_F_PREV(%rdx), %rcx /* pop f off the frame chain */
  mov %rcx, %fs:(%rsi)

  mov %rbx, BX_ABI_F_GOT+0(%rdx)
  mov %rbp, BX_ABI_F_GOT+8(%rdx)
  mov %r12, BX_ABI_F_GOT+16(%rdx)
  mov %r13, BX_ABI_F_GOT+24(%rdx)
  mov %r14, BX_ABI_F_GOT+32(%rdx)
  mov %r15, BX_ABI_F_GOT+40(%rdx)
  mov BX_ABI_F_SAVED+0(%rdx), %rbx
  mov BX_ABI_F_SAVED+8(%rdx), %rbp
  mov BX_ABI_F_SAVED+16(%rdx), %r12
  mov BX_ABI_F_SAVED+24(%rdx), %r13
  mov BX_ABI_F_SAVED+32(%rdx), %r14
  mov BX_ABI_F_SAVED+40(%rdx), %r15

  add $8, %rsp
  .cfi_adjust_cfa_offset -8
  ret
  .cfi_endproc
  .size bx_abi_call_raw, .-bx_abi_call_raw

#endif
  /* No executable stack (also for the empty object on the other architecture). */
  .section .note.GNU-stack, "", %progbits
