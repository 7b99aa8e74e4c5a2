/*
 * abi_call_test_x86_64.S — tiny "kernels" for abi_call_test.c, each breaking exactly one
 * rule of docs/abi.md (and one good one that touches everything and restores it).
 * Every one returns chain ^ 0x5A, so the test also sees the argument and the result pass
 * through the trampoline.
 */
#define CLOBBER_VALUE 0x0BAD0BAD0BAD0000

  .text
.macro KERNEL name
  .globl \name
  .type \name, @function
  .p2align 4
\name:
#ifdef __CET__
  endbr64
#endif
  mov %rdi, %rax
  xor $0x5A, %rax
.endm
.macro END name
  ret
  .size \name, .-\name
.endm

/* abi_t_clobber_<reg>: returns with <reg> = CLOBBER_VALUE + index of the register. */
.macro CLOBBER reg, idx
KERNEL abi_t_clobber_\reg
  movabs $(CLOBBER_VALUE + \idx), %\reg
END abi_t_clobber_\reg
.endm
  CLOBBER rbx, 0
  CLOBBER rbp, 1
  CLOBBER r12, 2
  CLOBBER r13, 3
  CLOBBER r14, 4
  CLOBBER r15, 5

/* Returns 64 bytes below where it should (pops its return address, jumps to it). */
KERNEL abi_t_sp
  pop %rcx
  lea -64(%rsp), %rsp
  jmp *%rcx
  .size abi_t_sp, .-abi_t_sp

/* Leaves MXCSR.RC = toward zero. */
KERNEL abi_t_mxcsr
  stmxcsr -4(%rsp)
  orl $0x6000, -4(%rsp)
  ldmxcsr -4(%rsp)
END abi_t_mxcsr

/* Only raises a sticky exception flag (MXCSR.ZE, bit 2): allowed, must be clean. */
KERNEL abi_t_mxcsr_flag
  stmxcsr -4(%rsp)
  orl $0x4, -4(%rsp)
  ldmxcsr -4(%rsp)
END abi_t_mxcsr_flag

/* Leaves the x87 control word with RC = toward zero. */
KERNEL abi_t_x87cw
  fnstcw -2(%rsp)
  orw $0x0C00, -2(%rsp)
  fldcw -2(%rsp)
END abi_t_x87cw

/* Leaves DF set. */
KERNEL abi_t_df
  std
END abi_t_df

/* Several at once: rbx, r14 and DF. */
KERNEL abi_t_multi
  movabs $(CLOBBER_VALUE + 0), %rbx
  movabs $(CLOBBER_VALUE + 4), %r14
  std
END abi_t_multi

/* Uses every callee-saved register, moves rsp, changes MXCSR, the x87 CW and DF, and puts
 * all of it back: must be clean. */
KERNEL abi_t_good
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
  sub $24, %rsp
  stmxcsr 0(%rsp)
  fnstcw 8(%rsp)
  movl $0x7F80, 4(%rsp)       /* FZ + RC toward zero + all masks */
  ldmxcsr 4(%rsp)
  movw $0x0F7F, 10(%rsp)
  fldcw 10(%rsp)
  std
  mov $1, %ebx
  mov $2, %ebp
  mov $3, %r12d
  mov $4, %r13d
  mov $5, %r14d
  mov $6, %r15d
  cld
  fldcw 8(%rsp)
  ldmxcsr 0(%rsp)
  add $24, %rsp
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
END abi_t_good

  .section .note.GNU-stack, "", @progbits
