/*
 * arm64_neon_i32_8x8 — 8x8 i32 accumulator, int8 x int8 matmul with SMLAL (ARMv8.0 NEON).
 *
 * Packing 0: A = B = PackedFormat(r = 8, align = 16, end_padding_record = 1) of i8:
 * per k, 8 consecutive bytes (one per row of A / column of B). Each k step sign-extends the
 * 8 A and 8 B values to i16 (sxtl) and accumulates the 64 exact i16 x i16 -> i32 products
 * with smlal/smlal2 by element. Two k are loaded per 16-byte load; the record past k (end
 * padding) and the alignment tail are never read, so their content cannot matter.
 *
 * intptr_t arm64_neon_i32_8x8_kernel(const bx_fused_ker_spec *chain);
 * The epilogue and dispatcher are in arm64_i32_8x8_ops.inc.
 */
  .arch armv8-a
#define BX_KERNEL_SYM arm64_neon_i32_8x8_kernel
#include "arm64_i32_8x8_ops.inc"

/* acc[i][0..7] += a[i] * b[0..7] for the 8 rows: A (i16) in \a, B (i16) in \b */
.macro SMLAL_K a, b
  smlal v16.4s, \b\().4h, \a\().h[0]
  smlal2 v17.4s, \b\().8h, \a\().h[0]
  smlal v18.4s, \b\().4h, \a\().h[1]
  smlal2 v19.4s, \b\().8h, \a\().h[1]
  smlal v20.4s, \b\().4h, \a\().h[2]
  smlal2 v21.4s, \b\().8h, \a\().h[2]
  smlal v22.4s, \b\().4h, \a\().h[3]
  smlal2 v23.4s, \b\().8h, \a\().h[3]
  smlal v24.4s, \b\().4h, \a\().h[4]
  smlal2 v25.4s, \b\().8h, \a\().h[4]
  smlal v26.4s, \b\().4h, \a\().h[5]
  smlal2 v27.4s, \b\().8h, \a\().h[5]
  smlal v28.4s, \b\().4h, \a\().h[6]
  smlal2 v29.4s, \b\().8h, \a\().h[6]
  smlal v30.4s, \b\().4h, \a\().h[7]
  smlal2 v31.4s, \b\().8h, \a\().h[7]
.endm

/* AddMatMul(k @+8, pa @+16, pb @+24, packing @+32) */
  .p2align 2
.Lop_add_mat_mul:
  ldp x1, x2, [x0, #8]                /* k, pa */
  ldp x3, x4, [x0, #24]               /* pb, packing */
  cbnz x4, .Lunsupported              /* the only packing is 0 */
  cmp x1, #2
  b.lo 2f
1:                                    /* two k per iteration */
  ld1 {v0.16b}, [x2], #16
  ld1 {v1.16b}, [x3], #16
  sxtl v2.8h, v0.8b
  sxtl2 v3.8h, v0.16b
  sxtl v4.8h, v1.8b
  sxtl2 v5.8h, v1.16b
  SMLAL_K v2, v4
  SMLAL_K v3, v5
  sub x1, x1, #2
  cmp x1, #2
  b.hs 1b
2:
  cbz x1, .Lnext
  ld1 {v0.8b}, [x2]                   /* last odd k */
  ld1 {v1.8b}, [x3]
  sxtl v2.8h, v0.8b
  sxtl v4.8h, v1.8b
  SMLAL_K v2, v4
  b .Lnext

  .size BX_KERNEL_SYM, . - BX_KERNEL_SYM

  .section .note.GNU-stack, "", %progbits
