/*
 * arm64_sme2_i32_32x32_k4 — 32x32 i32 accumulator in ZA, int8 x int8 matmul with SMOPA.
 *
 * Assumes a streaming vector length of 64 bytes (512 bits): the tile is four 16x16 i32 ZA
 * tiles, ZA0.S = rows 0..15 x cols 0..15, ZA1.S = rows 0..15 x cols 16..31, ZA2.S = rows
 * 16..31 x cols 0..15, ZA3.S = rows 16..31 x cols 16..31. is_supported_here() (in
 * arm64_sme2_i32_32x32_k4_desc.c) checks HWCAP2_SME2 and SVL = 64 bytes with rdsvl.
 *
 * Packing 0: A = B = PackedI8K4(32): per block of 4 k, 128 bytes, lane m holding its 4
 * consecutive k values. One SME2 multi-vector load `ld1b {z0.b, z1.b}, pn8/z` per operand and
 * four SMOPA (4-way i8 sum of outer products into i32, exact, wrapping mod 2^32) per block;
 * the kernel runs ceil(k/4) blocks and relies on the zero K tail.
 *
 * Epilogue (docs/semantics.md), all in streaming mode, no NEON (illegal there):
 *  * Clear / LoadTile (row-major view) / Scalar / PerRow / PerCol / AddRowColProducts work on
 *    ZA directly, one horizontal slice of each of the four tiles at a time
 *    (mova ZA -> z0..z3, SVE op, mova back).
 *  * QScale / RoundingShiftRight / ShiftLeft: ZA is spilled to a 4 KiB row-major stack scratch
 *    (all four tiles), the 1024 values are processed with SVE (ld1sw into 64-bit lanes, exact
 *    64-bit product for QScale, rounding in unsigned 64-bit, st1w keeps the low 32 bits), and
 *    the four tiles are reloaded.
 *  * Store: row-major i32 (item 4, col stride 4) stores the ZA slices directly; anything else
 *    (item 1 / 2, any byte strides) spills ZA and stores each element with strb/strh/str.
 *  * AddUnicast: row-major i32 adds 64-byte row loads to the slices; anything else spills ZA,
 *    adds each element read with ldrsb (item 1: ONE byte, sign-extended) or ldr (item 4) and
 *    reloads the four tiles.
 *  * LeakyRelu is not implemented: returns 1 (not in supported_ops).
 *
 * intptr_t arm64_sme2_i32_32x32_k4_kernel(const bx_fused_ker_spec *chain);
 * The kernel enters streaming mode with ZA (smstart) and leaves it (smstop) before returning;
 * it saves d8..d15 (clobbered by the mode switches), x19, x20.
 *
 * Registers: x20 chain cursor, x19 scratch (32 x 32 i32 row-major, 128 bytes a row),
 * p0 = all .s, p1 = all .b, p3 = all .d, pn8 = all (counter), w12 slice index.
 */
  .arch armv9-a+sme2

#define BX_ENTRY_BYTES 40
#define SCRATCH_BYTES 4096

/* ---- one row pair of slices: z0 = row r cols 0..15, z1 = row r cols 16..31,
 *      z2 = row r+16 cols 0..15, z3 = row r+16 cols 16..31 (r = w12 in 0..15) ------------ */
.macro ZR_LOAD
  mova z0.s, p0/m, za0h.s[w12, 0]
  mova z1.s, p0/m, za1h.s[w12, 0]
  mova z2.s, p0/m, za2h.s[w12, 0]
  mova z3.s, p0/m, za3h.s[w12, 0]
.endm
.macro ZR_STORE
  mova za0h.s[w12, 0], p0/m, z0.s
  mova za1h.s[w12, 0], p0/m, z1.s
  mova za2h.s[w12, 0], p0/m, z2.s
  mova za3h.s[w12, 0], p0/m, z3.s
.endm
.macro ZLOOP_BEGIN
  mov w12, #0
7:
  ZR_LOAD
.endm
.macro ZLOOP_END
  ZR_STORE
  add w12, w12, #1
  cmp w12, #16
  b.lo 7b
.endm

/* ---- SVE elementwise ops: \d = op(\d, \s), operand x in \s ------------------------------ */
.macro z_min d, s
  smin \d\().s, p0/m, \d\().s, \s\().s
.endm
.macro z_max d, s
  smax \d\().s, p0/m, \d\().s, \s\().s
.endm
.macro z_add d, s
  add \d\().s, \d\().s, \s\().s
.endm
.macro z_mul d, s
  mul \d\().s, p0/m, \d\().s, \s\().s
.endm
.macro z_sub d, s /* Sub: acc = x - acc */
  subr \d\().s, p0/m, \d\().s, \s\().s
.endm
.macro z_subf d, s /* SubF: acc = acc - x */
  sub \d\().s, \d\().s, \s\().s
.endm

/* ---- spill / reload all four tiles to / from the row-major scratch at x19 -------------- */
.macro SPILL
  mov x9, x19
  add x10, x19, #64
  add x11, x19, #2048
  add x13, x19, #2112
  mov w12, #0
6:
  st1w {za0h.s[w12, 0]}, p0, [x9]
  st1w {za1h.s[w12, 0]}, p0, [x10]
  st1w {za2h.s[w12, 0]}, p0, [x11]
  st1w {za3h.s[w12, 0]}, p0, [x13]
  add x9, x9, #128
  add x10, x10, #128
  add x11, x11, #128
  add x13, x13, #128
  add w12, w12, #1
  cmp w12, #16
  b.lo 6b
.endm
/* ZA0..ZA3 <- a 32 x 32 row-major i32 tile at \base (128 bytes a row): the reload after a
 * spill (base = the scratch) and LoadTile (base = its row-major view) are the same walk. */
.macro LOAD_ZA base
  mov x9, \base
  add x10, \base, #64
  add x11, \base, #2048
  add x13, \base, #2112
  mov w12, #0
5:
  ld1w {za0h.s[w12, 0]}, p0/z, [x9]
  ld1w {za1h.s[w12, 0]}, p0/z, [x10]
  ld1w {za2h.s[w12, 0]}, p0/z, [x11]
  ld1w {za3h.s[w12, 0]}, p0/z, [x13]
  add x9, x9, #128
  add x10, x10, #128
  add x11, x11, #128
  add x13, x13, #128
  add w12, w12, #1
  cmp w12, #16
  b.lo 5b
.endm
.macro RELOAD
  LOAD_ZA x19
.endm

/*
 * ROUND_D pol: z1.d = sign(z0) * ((|z0| + half + nudge) >> s) for signed 64-bit lanes z0
 * with |z0| <= 2^62 (docs/semantics.md). z17 = half (Away, MinusInf, PlusInf, Odd) or half - 1
 * (Zero, Even), z18 = s, z19 = 1. Temporaries z2, p4.
 */
.macro ROUND_D pol
  abs z1.d, p3/m, z0.d                 /* a = |v| */
.ifc \pol,even
  movprfx z2, z1
  lsr z2.d, p3/m, z2.d, z18.d          /* t = a >> s */
  and z2.d, z2.d, #1
  add z1.d, z1.d, z17.d                /* a + half - 1 */
  add z1.d, z1.d, z2.d                 /*   + (t & 1) */
.endif
.ifc \pol,odd
  movprfx z2, z1
  lsr z2.d, p3/m, z2.d, z18.d
  and z2.d, z2.d, #1
  add z1.d, z1.d, z17.d                /* a + half */
  sub z1.d, z1.d, z2.d                 /*   - (t & 1) */
.endif
.ifc \pol,zero
  add z1.d, z1.d, z17.d                /* a + half - 1 */
.endif
.ifc \pol,away
  add z1.d, z1.d, z17.d                /* a + half */
.endif
.ifc \pol,minusinf
  add z1.d, z1.d, z17.d
  cmpge p4.d, p3/z, z0.d, #0
  sub z1.d, p4/m, z1.d, z19.d          /* nudge -1 where v >= 0 */
.endif
.ifc \pol,plusinf
  add z1.d, z1.d, z17.d
  cmple p4.d, p3/z, z0.d, #0
  sub z1.d, p4/m, z1.d, z19.d          /* nudge -1 where v <= 0 */
.endif
  lsr z1.d, p3/m, z1.d, z18.d          /* >> s (logical: the sum is < 2^64 unsigned) */
  cmplt p4.d, p3/z, z0.d, #0
  neg z1.d, p4/m, z1.d                 /* re-apply the sign */
.endm

/*
 * SCRATCH_D mul, pol: for the 1024 values of the scratch, in 64-bit lanes:
 * v = sext(x) [* mult (z16)], then [ROUND_D pol], keep the low 32 bits (st1w of .d lanes).
 */
.macro SCRATCH_D mul, pol
  mov x9, #0
  mov x10, #1024
  whilelt p2.d, x9, x10
8:
  ld1sw {z0.d}, p2/z, [x19, x9, lsl #2]
.ifc \mul,mul
  mul z0.d, p3/m, z0.d, z16.d          /* exact: |mult * acc| <= 2^62 */
.endif
.ifc \pol,none
  st1w {z0.d}, p2, [x19, x9, lsl #2]
.else
  ROUND_D \pol
  st1w {z1.d}, p2, [x19, x9, lsl #2]
.endif
  incd x9
  whilelt p2.d, x9, x10
  b.first 8b
.endm

/* policy (x2, already checked to be 1..6) -> one SCRATCH_D per policy; half in x6 */
.macro ROUND_BY_POLICY mul
  cmp x2, #1
  b.eq 21f
  cmp x2, #2
  b.eq 22f
  cmp x2, #3
  b.eq 23f
  cmp x2, #4
  b.eq 24f
  cmp x2, #5
  b.eq 25f
  dup z17.d, x6
  SCRATCH_D \mul, odd
  b 29f
21:
  sub x6, x6, #1
  dup z17.d, x6
  SCRATCH_D \mul, zero
  b 29f
22:
  dup z17.d, x6
  SCRATCH_D \mul, away
  b 29f
23:
  dup z17.d, x6
  SCRATCH_D \mul, minusinf
  b 29f
24:
  dup z17.d, x6
  SCRATCH_D \mul, plusinf
  b 29f
25:
  sub x6, x6, #1
  dup z17.d, x6
  SCRATCH_D \mul, even
29:
.endm

/* non-contiguous Store from the spilled scratch: element (i, j) -> x1 + i*x2 + j*x3 */
.macro STORE_LOOP insn
  mov x9, x19
  mov x10, #32
3:
  mov x11, x1
  mov x13, #32
4:
  ldr w14, [x9], #4
  \insn w14, [x11]
  add x11, x11, x3
  subs x13, x13, #1
  b.ne 4b
  add x1, x1, x2
  subs x10, x10, #1
  b.ne 3b
.endm

/* non-contiguous AddUnicast into the spilled scratch: one item per element */
.macro AU_LOOP insn
  mov x9, x19
  mov x10, #32
3:
  mov x11, x1
  mov x13, #32
4:
  ldr w14, [x9]
  \insn w15, [x11]
  add w14, w14, w15
  str w14, [x9], #4
  add x11, x11, x3
  subs x13, x13, #1
  b.ne 4b
  add x1, x1, x2
  subs x10, x10, #1
  b.ne 3b
.endm

/* ======================================================================================= */
  .text
  .p2align 4
  .globl arm64_sme2_i32_32x32_k4_kernel
  .type arm64_sme2_i32_32x32_k4_kernel, %function
arm64_sme2_i32_32x32_k4_kernel:
  stp x29, x30, [sp, #-96]!
  mov x29, sp
  stp d8, d9, [sp, #16]
  stp d10, d11, [sp, #32]
  stp d12, d13, [sp, #48]
  stp d14, d15, [sp, #64]
  stp x19, x20, [sp, #80]
  sub sp, sp, #SCRATCH_BYTES
  mov x19, sp
  mov x20, x0
  smstart                              /* PSTATE.SM = PSTATE.ZA = 1 */
  ptrue p0.s
  ptrue p1.b
  ptrue p3.d
  ptrue pn8.b
  b .Ldispatch
.Lnext:
  add x20, x20, #BX_ENTRY_BYTES
.Ldispatch:
  ldr x1, [x20]
  cmp x1, #29
  b.hs .Lunsupported
  adr x2, .Ljump_table
  add x2, x2, x1, lsl #2
  br x2
.Ljump_table:
  b .Lop_done                          /*  0 Done */
  b .Lop_clear                         /*  1 Clear */
  b .Lop_load_tile                     /*  2 LoadTile */
  b .Lop_scalar_min                    /*  3 */
  b .Lop_scalar_max                    /*  4 */
  b .Lop_scalar_add                    /*  5 */
  b .Lop_scalar_mul                    /*  6 */
  b .Lop_scalar_sub                    /*  7 */
  b .Lop_scalar_subf                   /*  8 */
  b .Lunsupported                      /*  9 LeakyRelu: not implemented */
  b .Lop_per_row_min                   /* 10 */
  b .Lop_per_row_max                   /* 11 */
  b .Lop_per_row_add                   /* 12 */
  b .Lop_per_row_mul                   /* 13 */
  b .Lop_per_row_sub                   /* 14 */
  b .Lop_per_row_subf                  /* 15 */
  b .Lop_per_col_min                   /* 16 */
  b .Lop_per_col_max                   /* 17 */
  b .Lop_per_col_add                   /* 18 */
  b .Lop_per_col_mul                   /* 19 */
  b .Lop_per_col_sub                   /* 20 */
  b .Lop_per_col_subf                  /* 21 */
  b .Lop_q_scale                       /* 22 */
  b .Lop_rounding_shift_right          /* 23 */
  b .Lop_shift_left                    /* 24 */
  b .Lop_add_unicast                   /* 25 */
  b .Lop_add_row_col_products          /* 26 */
  b .Lop_store                         /* 27 */
  b .Lop_add_mat_mul                   /* 28 */

.Lop_done:
  mov x0, #0
  b .Lreturn
.Lunsupported:
  mov x0, #1
.Lreturn:
  smstop                               /* PSTATE.SM = PSTATE.ZA = 0 (Z, P, ZA discarded) */
  add sp, sp, #SCRATCH_BYTES
  ldp x19, x20, [sp, #80]
  ldp d14, d15, [sp, #64]
  ldp d12, d13, [sp, #48]
  ldp d10, d11, [sp, #32]
  ldp d8, d9, [sp, #16]
  ldp x29, x30, [sp], #96
  ret

.Lop_clear:
  zero {za}
  b .Lnext

.Lop_load_tile:                        /* row-major view at +16: row r at +128 r */
  ldr x1, [x20, #16]
  LOAD_ZA x1
  b .Lnext

/* Scalar*: the i32 at +8 (32-bit load: bytes 12..15 never read) */
.macro SCALAR_OP op
  ldr w1, [x20, #8]
  dup z4.s, w1
  ZLOOP_BEGIN
  \op z0, z4
  \op z1, z4
  \op z2, z4
  \op z3, z4
  ZLOOP_END
  b .Lnext
.endm
.Lop_scalar_min:  SCALAR_OP z_min
.Lop_scalar_max:  SCALAR_OP z_max
.Lop_scalar_add:  SCALAR_OP z_add
.Lop_scalar_mul:  SCALAR_OP z_mul
.Lop_scalar_sub:  SCALAR_OP z_sub
.Lop_scalar_subf: SCALAR_OP z_subf

/* PerRow*: p[r] for rows r (z0, z1) and p[r + 16] (z2, z3) */
.macro PER_ROW_OP op
  ldr x1, [x20, #8]
  ZLOOP_BEGIN
  ld1rw {z4.s}, p0/z, [x1]
  ld1rw {z5.s}, p0/z, [x1, #64]
  add x1, x1, #4
  \op z0, z4
  \op z1, z4
  \op z2, z5
  \op z3, z5
  ZLOOP_END
  b .Lnext
.endm
.Lop_per_row_min:  PER_ROW_OP z_min
.Lop_per_row_max:  PER_ROW_OP z_max
.Lop_per_row_add:  PER_ROW_OP z_add
.Lop_per_row_mul:  PER_ROW_OP z_mul
.Lop_per_row_sub:  PER_ROW_OP z_sub
.Lop_per_row_subf: PER_ROW_OP z_subf

/* PerCol*: p[0..15] (z4) for z0, z2 and p[16..31] (z5) for z1, z3 */
.macro PER_COL_OP op
  ldr x1, [x20, #8]
  ld1w {z4.s}, p0/z, [x1]
  ld1w {z5.s}, p0/z, [x1, #1, mul vl]
  ZLOOP_BEGIN
  \op z0, z4
  \op z1, z5
  \op z2, z4
  \op z3, z5
  ZLOOP_END
  b .Lnext
.endm
.Lop_per_col_min:  PER_COL_OP z_min
.Lop_per_col_max:  PER_COL_OP z_max
.Lop_per_col_add:  PER_COL_OP z_add
.Lop_per_col_mul:  PER_COL_OP z_mul
.Lop_per_col_sub:  PER_COL_OP z_sub
.Lop_per_col_subf: PER_COL_OP z_subf

/* AddRowColProducts(rows @+8, cols @+16): acc += rows[i] * cols[j] (full i32 mla) */
.Lop_add_row_col_products:
  ldp x1, x2, [x20, #8]
  ld1w {z4.s}, p0/z, [x2]
  ld1w {z5.s}, p0/z, [x2, #1, mul vl]
  ZLOOP_BEGIN
  ld1rw {z6.s}, p0/z, [x1]
  ld1rw {z7.s}, p0/z, [x1, #64]
  add x1, x1, #4
  mla z0.s, p0/m, z4.s, z6.s
  mla z1.s, p0/m, z5.s, z6.s
  mla z2.s, p0/m, z4.s, z7.s
  mla z3.s, p0/m, z5.s, z7.s
  ZLOOP_END
  b .Lnext

/* QScale(shift: isize @+8, policy @+16, mult: i32 @+24) through the scratch */
.Lop_q_scale:
  ldr x1, [x20, #8]
  ldr x2, [x20, #16]
  ldrsw x3, [x20, #24]                 /* 32-bit load: bytes 28..31 ignored */
  add x1, x1, #31                      /* s = shift + 31 */
  cmp x1, #63
  b.hi .Lunsupported
  sub x4, x2, #1
  cmp x4, #5
  b.hi .Lunsupported
  dup z16.d, x3
  SPILL
  cbnz x1, 1f
  SCRATCH_D mul, none                  /* s = 0: wrap32(mult * acc) */
  b 2f
1:
  dup z18.d, x1
  mov x5, #1
  dup z19.d, x5
  sub x4, x1, #1
  lsl x6, x5, x4                       /* half = 2^(s-1) */
  ROUND_BY_POLICY mul
2:
  RELOAD
  b .Lnext

/* RoundingShiftRight(shift @+8 in 1..31, policy @+16) through the scratch */
.Lop_rounding_shift_right:
  ldp x1, x2, [x20, #8]
  sub x4, x1, #1
  cmp x4, #30
  b.hi .Lunsupported
  sub x4, x2, #1
  cmp x4, #5
  b.hi .Lunsupported
  SPILL
  dup z18.d, x1
  mov x5, #1
  dup z19.d, x5
  sub x4, x1, #1
  lsl x6, x5, x4
  ROUND_BY_POLICY nomul
  RELOAD
  b .Lnext

/* ShiftLeft(shift @+8 in 0..31): wrapping lsl, through the scratch */
.Lop_shift_left:
  ldr x1, [x20, #8]
  cmp x1, #31
  b.hi .Lunsupported
  dup z18.s, w1
  SPILL
  mov x9, #0
  mov x10, #1024
  whilelt p2.s, x9, x10
1:
  ld1w {z0.s}, p2/z, [x19, x9, lsl #2]
  lsl z0.s, p0/m, z0.s, z18.s
  st1w {z0.s}, p2, [x19, x9, lsl #2]
  incw x9
  whilelt p2.s, x9, x10
  b.first 1b
  RELOAD
  b .Lnext

/* AddUnicast(ptr @+8, rs @+16, cs @+24, item_size @+32 in {1, 4}) */
.Lop_add_unicast:
  ldp x1, x2, [x20, #8]
  ldp x3, x4, [x20, #24]
  cmp x4, #4
  b.ne 1f
  cmp x3, #4
  b.ne 1f
  mov x9, x1                           /* fast path: row-major i32, row r and row r + 16 */
  add x11, x1, x2, lsl #4
  ZLOOP_BEGIN
  ld1w {z4.s}, p0/z, [x9]
  ld1w {z5.s}, p0/z, [x9, #1, mul vl]
  ld1w {z6.s}, p0/z, [x11]
  ld1w {z7.s}, p0/z, [x11, #1, mul vl]
  add x9, x9, x2
  add x11, x11, x2
  add z0.s, z0.s, z4.s
  add z1.s, z1.s, z5.s
  add z2.s, z2.s, z6.s
  add z3.s, z3.s, z7.s
  ZLOOP_END
  b .Lnext
1:
  cmp x4, #1
  b.eq 11f
  cmp x4, #4
  b.ne .Lunsupported
  SPILL
  AU_LOOP ldr
  b 12f
11:
  SPILL
  AU_LOOP ldrsb                        /* exactly one byte per element, sign-extended */
12:
  RELOAD
  b .Lnext

/* Store(ptr @+8, rs @+16, cs @+24, item_size @+32 in {1, 2, 4}): truncating */
.Lop_store:
  ldp x1, x2, [x20, #8]
  ldp x3, x4, [x20, #24]
  cmp x4, #4
  b.ne 1f
  cmp x3, #4
  b.ne 1f
  mov x9, x1                           /* fast path: row-major i32 straight from ZA */
  add x10, x1, #64
  add x11, x1, x2, lsl #4
  add x13, x11, #64
  mov w12, #0
2:
  st1w {za0h.s[w12, 0]}, p0, [x9]
  st1w {za1h.s[w12, 0]}, p0, [x10]
  st1w {za2h.s[w12, 0]}, p0, [x11]
  st1w {za3h.s[w12, 0]}, p0, [x13]
  add x9, x9, x2
  add x10, x10, x2
  add x11, x11, x2
  add x13, x13, x2
  add w12, w12, #1
  cmp w12, #16
  b.lo 2b
  b .Lnext
1:
  cmp x4, #4
  b.eq 14f
  cmp x4, #2
  b.eq 12f
  cmp x4, #1
  b.ne .Lunsupported
  SPILL
  STORE_LOOP strb
  b .Lnext
12:
  SPILL
  STORE_LOOP strh
  b .Lnext
14:
  SPILL
  STORE_LOOP str
  b .Lnext

/* AddMatMul(k @+8, pa @+16, pb @+24, packing @+32) */
.Lop_add_mat_mul:
  ldp x1, x2, [x20, #8]                /* k, pa */
  ldp x3, x4, [x20, #24]               /* pb, packing */
  cbnz x4, .Lunsupported
  add x1, x1, #3
  lsr x1, x1, #2                       /* ceil(k / 4) blocks */
  cbz x1, .Lnext
1:
  ld1b {z0.b, z1.b}, pn8/z, [x2]       /* A: rows 0..15, 16..31 (4 k each) */
  ld1b {z2.b, z3.b}, pn8/z, [x3]       /* B: cols 0..15, 16..31 */
  add x2, x2, #128
  add x3, x3, #128
  smopa za0.s, p1/m, p1/m, z0.b, z2.b
  smopa za1.s, p1/m, p1/m, z0.b, z3.b
  smopa za2.s, p1/m, p1/m, z1.b, z2.b
  smopa za3.s, p1/m, p1/m, z1.b, z3.b
  subs x1, x1, #1
  b.ne 1b
  b .Lnext

  .size arm64_sme2_i32_32x32_k4_kernel, . - arm64_sme2_i32_32x32_k4_kernel

/* size_t bx_arm64_sme_svl_bytes(void): streaming vector length in bytes. Only call it when
 * HWCAP2_SME is set (rdsvl is an SME instruction; it works outside streaming mode). */
  .p2align 2
  .globl bx_arm64_sme_svl_bytes
  .type bx_arm64_sme_svl_bytes, %function
bx_arm64_sme_svl_bytes:
  rdsvl x0, #1
  ret
  .size bx_arm64_sme_svl_bytes, . - bx_arm64_sme_svl_bytes

  .section .note.GNU-stack, "", %progbits
