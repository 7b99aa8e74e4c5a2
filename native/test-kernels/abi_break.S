/*
 * abi_break.S — test kernels that compute exactly what the reference 4x4 kernel computes
 * (they call bx_test_abi_ref, test_kernels.c) and then break one rule of the calling
 * convention (docs/abi.md) on the way out. Listed in test_kernels.c; one section per
 * architecture, so one file serves the host library and the aarch64 one.
 */
#define BAD_VALUE 0x0BAD0BAD0BAD0000

#if defined(__x86_64__)

  .text
/* name: rax = bx_test_abi_ref(chain), the stack as on entry; the breakage follows. */
.macro BREAKER name
  .globl \name
  .hidden \name
  .type \name, @function
  .p2align 4
\name:
#ifdef __CET__
  endbr64
#endif
  sub $8, %rsp                /* 16-byte alignment for the call */
  call bx_test_abi_ref
  add $8, %rsp
.endm

.macro CLOBBER reg
BREAKER kern_clobber_\reg
  movabs $BAD_VALUE, %\reg
  ret
  .size kern_clobber_\reg, .-kern_clobber_\reg
.endm
  CLOBBER rbx
  CLOBBER rbp
  CLOBBER r12
  CLOBBER r15

/* Returns with rsp 64 bytes low: pops its return address and jumps to it. */
BREAKER kern_sp
  pop %rcx
  lea -64(%rsp), %rsp
  jmp *%rcx
  .size kern_sp, .-kern_sp

/* Leaves MXCSR.RC = toward zero. */
BREAKER kern_mxcsr
  stmxcsr -4(%rsp)
  orl $0x6000, -4(%rsp)
  ldmxcsr -4(%rsp)
  ret
  .size kern_mxcsr, .-kern_mxcsr

/* Leaves the x87 control word's RC = toward zero. */
BREAKER kern_x87cw
  fnstcw -2(%rsp)
  orw $0x0C00, -2(%rsp)
  fldcw -2(%rsp)
  ret
  .size kern_x87cw, .-kern_x87cw

/* Leaves DF set. */
BREAKER kern_df
  std
  ret
  .size kern_df, .-kern_df

  .section .note.GNU-stack, "", @progbits

#elif defined(__aarch64__)

  .arch armv8-a+sme
  .text
/* name: x0 = bx_test_abi_ref(chain), sp and x29/x30 as on entry; the breakage follows. */
.macro BREAKER name
  .globl \name
  .hidden \name
  .type \name, %function
  .p2align 4
\name:
  stp x29, x30, [sp, #-16]!
  mov x29, sp
  bl bx_test_abi_ref
  ldp x29, x30, [sp], #16
.endm

/* x<dst> = BAD_VALUE */
.macro BAD dst
  movz x\dst, #((BAD_VALUE >> 0) & 0xFFFF)
  movk x\dst, #((BAD_VALUE >> 16) & 0xFFFF), lsl #16
  movk x\dst, #((BAD_VALUE >> 32) & 0xFFFF), lsl #32
  movk x\dst, #((BAD_VALUE >> 48) & 0xFFFF), lsl #48
.endm

.macro CLOBBER_X n
BREAKER kern_clobber_x\n
  BAD \n
  ret
  .size kern_clobber_x\n, .-kern_clobber_x\n
.endm
  CLOBBER_X 19
  CLOBBER_X 29

.macro CLOBBER_D n
BREAKER kern_clobber_d\n
  BAD 9
  fmov d\n, x9
  ret
  .size kern_clobber_d\n, .-kern_clobber_d\n
.endm
  CLOBBER_D 8
  CLOBBER_D 15

/* Returns with sp 64 bytes low. */
BREAKER kern_sp
  sub sp, sp, #64
  ret
  .size kern_sp, .-kern_sp

/* Leaves FPCR.RMode = toward zero (RZ). */
BREAKER kern_fpcr
  mrs x9, fpcr
  orr x9, x9, #(3 << 22)
  msr fpcr, x9
  ret
  .size kern_fpcr, .-kern_fpcr

/* Returns in streaming mode (SMSTART SM, no SMSTOP). Entering it zeroes the vector
 * registers, so d8-d15 are kept around it: the mode is the only fault. */
BREAKER kern_sm
  stp d8, d9, [sp, #-64]!
  stp d10, d11, [sp, #16]
  stp d12, d13, [sp, #32]
  stp d14, d15, [sp, #48]
  smstart sm
  ldp d10, d11, [sp, #16]
  ldp d12, d13, [sp, #32]
  ldp d14, d15, [sp, #48]
  ldp d8, d9, [sp], #64
  ret
  .size kern_sm, .-kern_sm

/* Keeps the convention but runs one NEON instruction in streaming mode: legal only with
 * FEAT_SME_FA64 (qemu's max CPU), SIGILL on an Apple-M4-like CPU (the m4 CPU profile). */
BREAKER kern_neon_streaming
  stp d8, d9, [sp, #-64]!
  stp d10, d11, [sp, #16]
  stp d12, d13, [sp, #32]
  stp d14, d15, [sp, #48]
  smstart sm
  add v0.4s, v0.4s, v0.4s
  smstop sm
  ldp d10, d11, [sp, #16]
  ldp d12, d13, [sp, #32]
  ldp d14, d15, [sp, #48]
  ldp d8, d9, [sp], #64
  ret
  .size kern_neon_streaming, .-kern_neon_streaming

/* Returns with ZA on (SMSTART ZA, no SMSTOP). */
BREAKER kern_za
  smstart za
  ret
  .size kern_za, .-kern_za

  .section .note.GNU-stack, "", %progbits

#endif
