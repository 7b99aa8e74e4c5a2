/*
 * A plain scalar reference kernel, parameterized by tile geometry, packings and a few
 * deliberate faults. Used only by tests (native/test-kernels) and by the temporary builtin
 * stub: it lets the executor and frame be tested independently of the real kernels.
 */
#ifndef BX_TEST_REF_H
#define BX_TEST_REF_H

#include <stdint.h>

#include "bitexact/kernel.h"

#define BX_REF_MAX_DIM 16u

enum bx_ref_quirk {
  BX_REF_CRASH_ON_MATMUL = 1u << 0, /* SIGSEGV (a real invalid write) at AddMatMul */
  BX_REF_HANG_ON_MATMUL = 1u << 1,  /* never returns from AddMatMul */
  BX_REF_STORE_EXTRA_ROW = 1u << 2, /* Store writes row mr too (one row past the tile) */
  BX_REF_WRITE_CHAIN = 1u << 3,     /* scribbles into its (const) chain entry at Clear */
  BX_REF_UNICAST_NR_STRIDE = 1u << 4, /* AddUnicast rows read nr items apart (row_byte_stride ignored) */
  /* Values stay right; only the accesses are wrong (docs/abi.md): */
  BX_REF_PERCOL_OVERREAD = 1u << 5,   /* per-col ops also load value nr (one i32 past the vector) */
  BX_REF_PACKED_B_OVERREAD = 1u << 6, /* AddMatMul also loads one K4 block (4 nr bytes) past panel B */
  BX_REF_UNICAST_I8_AS_I32 = 1u << 7, /* i8 AddUnicast loads 4 bytes per element, keeps the low one */
  BX_REF_STORE_FAR_BELOW = 1u << 8,   /* Store also writes row 0 4 KiB below the tile */
  /* tract's NEON behaviours, declared outside a contract (test_tractlike), and a skipped tag: */
  BX_REF_SATURATING_SHL = 1u << 9,  /* ShiftLeft saturates on overflow (tract's NEON sqrshl) */
  BX_REF_STORE16_ONE_BYTE = 1u << 10, /* Store item_size 2 writes only the low byte (tract's NEON) */
  BX_REF_SKIP_UNKNOWN_TAGS = 1u << 11, /* an entry whose tag is no op is skipped, not refused */
  /* State kept from one call to the next (docs/abi.md forbids it): AddMatMul caches its
   * product by the packed-B pointer (and k) and reuses it when the same pointer comes back */
  BX_REF_STALE_PANEL = 1u << 12,
  BX_REF_STALE_PANEL_PEEK = 1u << 13, /* the same, its key also holding the panel's first 4 bytes */
  /* AddMatMul keys by content but keeps a pointer: it remembers a fingerprint of the packed A
   * and B panels (and k) of its last AddMatMul and the address of that B panel, and when the
   * fingerprint comes back it reads B through that address, not the one it is handed */
  BX_REF_STALE_POINTER = 1u << 14,
  /* Three independent value bugs in one kernel (test_threebugs): each its own failure group */
  BX_REF_RSR_ODD_TIES_EVEN = 1u << 20,  /* RoundingShiftRight policy Odd rounds ties to even */
  BX_REF_UNICAST_I8_COL_AS_ROW = 1u << 21, /* a contiguous column-major i8 AddUnicast is read row-major */
  BX_REF_STORE16_COL_LAST_COL = 1u << 22, /* a contiguous column-major i16 Store writes the tile's last
                                            column with the values of the column before it */
  BX_REF_FAIL_ONCE = 1u << 23 /* the 5th call of the process stores every value plus one (a
                                 failure that does not come back when the case is run again) */
};

typedef struct bx_ref_cfg {
  uint32_t mr, nr; /* <= BX_REF_MAX_DIM */
  const bx_packing *packings;
  uint32_t n_packings;
  const uint32_t *packing_ids; /* the chain's packing index of packings[i]; NULL = i */
  uint64_t supported_ops; /* ops outside this mask return 1 */
  unsigned quirks;
} bx_ref_cfg;

intptr_t bx_ref_run(const bx_ref_cfg *cfg, const bx_fused_ker_spec *spec);

#endif
