/* MUTANT mut_za3_stale_sme: a RELOAD that forgets ZA3 (rows 16..31 x cols 16..31), used after
 * QScale: that quarter of the tile keeps its value from before the spill (a stale ZA tile). */
.macro RELOAD_NO_ZA3
  mov x9, x19
  add x10, x19, #64
  add x11, x19, #2048
  mov w12, #0
5:
  ld1w {za0h.s[w12, 0]}, p0/z, [x9]
  ld1w {za1h.s[w12, 0]}, p0/z, [x10]
  ld1w {za2h.s[w12, 0]}, p0/z, [x11]
  add x9, x9, #128
  add x10, x10, #128
  add x11, x11, #128
  add w12, w12, #1
  cmp w12, #16
  b.lo 5b
.endm
