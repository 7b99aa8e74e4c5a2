/*
 * abi_call_test_aarch64.S — tiny "kernels" for abi_call_test.c, each breaking exactly one
 * rule of docs/abi.md (and good ones that touch everything and restore it). Every one
 * returns chain ^ 0x5A, so the test also sees the argument and the result pass through the
 * trampoline. The SME ones are called only when the CPU has SME.
 */
  .arch armv8-a+sme
  .text
.macro KERNEL name
  .globl \name
  .type \name, %function
  .p2align 4
\name:
  mov x9, #0x5A
  eor x0, x0, x9
.endm
.macro END name
  ret
  .size \name, .-\name
.endm

/* x<dst> = 0x0BAD0BAD0BAD0000 + n: the value a clobber kernel leaves. */
.macro BAD dst, n
  movz x\dst, #(0x0000 + \n)
  movk x\dst, #0x0BAD, lsl #16
  movk x\dst, #0x0BAD, lsl #32
  movk x\dst, #0x0BAD, lsl #48
.endm

/* abi_t_clobber_x<n>: returns with x<n> = 0x0BAD0BAD0BAD0000 + n. */
.macro CLOBBER_X n
KERNEL abi_t_clobber_x\n
  BAD \n, \n
END abi_t_clobber_x\n
.endm
  .irp n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29
  CLOBBER_X \n
  .endr

/* abi_t_clobber_d<n>: returns with d<n> = 0x0BAD0BAD0BAD0000 + n; only the low 64 bits
 * of v<n> are callee-saved, so the good kernels change the high half freely. */
.macro CLOBBER_D n
KERNEL abi_t_clobber_d\n
  BAD 9, \n
  fmov d\n, x9
END abi_t_clobber_d\n
.endm
  .irp n, 8, 9, 10, 11, 12, 13, 14, 15
  CLOBBER_D \n
  .endr

/* Returns with sp 64 bytes lower. */
KERNEL abi_t_sp
  sub sp, sp, #64
END abi_t_sp

/* Leaves FPCR.RMode = toward zero (RZ). */
KERNEL abi_t_fpcr
  mrs x9, fpcr
  orr x9, x9, #(3 << 22)
  msr fpcr, x9
END abi_t_fpcr

/* Only raises a cumulative exception flag (FPSR.DZC): FPSR is not callee-saved, must be clean. */
KERNEL abi_t_fpsr
  mrs x9, fpsr
  orr x9, x9, #2
  msr fpsr, x9
END abi_t_fpsr

/* Entering streaming mode zeroes the vector registers: d8-d15 are saved around it, so the
 * only fault left is the mode itself. */
.macro SAVE_D
  stp d8, d9, [sp, #-64]!
  stp d10, d11, [sp, #16]
  stp d12, d13, [sp, #32]
  stp d14, d15, [sp, #48]
.endm
.macro RESTORE_D
  ldp d10, d11, [sp, #16]
  ldp d12, d13, [sp, #32]
  ldp d14, d15, [sp, #48]
  ldp d8, d9, [sp], #64
.endm

/* Returns in streaming mode (no SMSTOP). */
KERNEL abi_t_sm
  SAVE_D
  smstart sm
  RESTORE_D
END abi_t_sm

/* Returns with ZA on (no SMSTOP ZA). */
KERNEL abi_t_za
  smstart za
END abi_t_za

/* Both, and x19 too. */
KERNEL abi_t_multi
  SAVE_D
  smstart
  RESTORE_D
  BAD 19, 19
END abi_t_multi

/* Uses x19-x29, d8-d15 (and the high halves of v8-v15), moves sp, changes FPCR, and puts
 * all of it back: must be clean. */
KERNEL abi_t_good
  stp x19, x20, [sp, #-160]!
  stp x21, x22, [sp, #16]
  stp x23, x24, [sp, #32]
  stp x25, x26, [sp, #48]
  stp x27, x28, [sp, #64]
  stp x29, x30, [sp, #80]
  stp d8, d9, [sp, #96]
  stp d10, d11, [sp, #112]
  stp d12, d13, [sp, #128]
  stp d14, d15, [sp, #144]
  mrs x9, fpcr
  mov x10, #(0xF << 22)       /* RMode = RZ, FZ, DN */
  msr fpcr, x10
  .irp n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29
  mov x\n, #\n
  .endr
  .irp n, 8, 9, 10, 11, 12, 13, 14, 15
  movi v\n\().2d, #0xffffffffffffffff
  .endr
  msr fpcr, x9
  ldp d8, d9, [sp, #96]
  ldp d10, d11, [sp, #112]
  ldp d12, d13, [sp, #128]
  ldp d14, d15, [sp, #144]
  .irp n, 8, 9, 10, 11, 12, 13, 14, 15
  ins v\n\().d[1], x10       /* high halves are not callee-saved: leave them changed */
  .endr
  ldp x21, x22, [sp, #16]
  ldp x23, x24, [sp, #32]
  ldp x25, x26, [sp, #48]
  ldp x27, x28, [sp, #64]
  ldp x29, x30, [sp, #80]
  ldp x19, x20, [sp], #160
END abi_t_good

/* Enters streaming mode with ZA, leaves it, keeps d8-d15: must be clean. */
KERNEL abi_t_good_sme
  SAVE_D
  smstart
  zero {za}
  smstop
  RESTORE_D
END abi_t_good_sme

  .section .note.GNU-stack, "", %progbits
