/*
 * arm64_dotprod_i32_8x8_k4 — 8x8 i32 accumulator, int8 x int8 matmul with SDOT (FEAT_DotProd).
 *
 * Packing 0: A = B = PackedI8K4(8): per block of 4 k, 32 bytes, lane m holding its 4
 * consecutive k values (bytes 4m..4m+3). The kernel gets the logical k and runs ceil(k/4)
 * blocks, relying on the zero K tail of the packing (docs/packing.md). SDOT sums the four
 * i8 x i8 products exactly into each i32 lane (no i16 intermediate), wrapping mod 2^32.
 *
 * intptr_t arm64_dotprod_i32_8x8_k4_kernel(const bx_fused_ker_spec *chain);
 * The epilogue and dispatcher are in arm64_i32_8x8_ops.inc.
 */
  .arch armv8.2-a+dotprod
#define BX_KERNEL_SYM arm64_dotprod_i32_8x8_k4_kernel
#include "arm64_i32_8x8_ops.inc"

/* AddMatMul(k @+8, pa @+16, pb @+24, packing @+32) */
  .p2align 2
.Lop_add_mat_mul:
  ldp x1, x2, [x0, #8]                /* k, pa */
  ldp x3, x4, [x0, #24]               /* pb, packing */
  cbnz x4, .Lunsupported
  add x1, x1, #3
  lsr x1, x1, #2                      /* ceil(k / 4) blocks */
  cbz x1, .Lnext
1:
  ld1 {v0.16b, v1.16b}, [x2], #32     /* A rows 0..3, 4..7 (4 k each) */
  ld1 {v2.16b, v3.16b}, [x3], #32     /* B cols 0..3, 4..7 */
  sdot v16.4s, v2.16b, v0.4b[0]
  sdot v17.4s, v3.16b, v0.4b[0]
  sdot v18.4s, v2.16b, v0.4b[1]
  sdot v19.4s, v3.16b, v0.4b[1]
  sdot v20.4s, v2.16b, v0.4b[2]
  sdot v21.4s, v3.16b, v0.4b[2]
  sdot v22.4s, v2.16b, v0.4b[3]
  sdot v23.4s, v3.16b, v0.4b[3]
  sdot v24.4s, v2.16b, v1.4b[0]
  sdot v25.4s, v3.16b, v1.4b[0]
  sdot v26.4s, v2.16b, v1.4b[1]
  sdot v27.4s, v3.16b, v1.4b[1]
  sdot v28.4s, v2.16b, v1.4b[2]
  sdot v29.4s, v3.16b, v1.4b[2]
  sdot v30.4s, v2.16b, v1.4b[3]
  sdot v31.4s, v3.16b, v1.4b[3]
  subs x1, x1, #1
  b.ne 1b
  b .Lnext

  .size BX_KERNEL_SYM, . - BX_KERNEL_SYM

  .section .note.GNU-stack, "", %progbits
