/*
 * Packing of logical i8 operands into a kernel's panels (docs/packing.md, tract
 * linalg/src/frame/pack.rs). Panel p holds rows mn in [p*r, p*r + r) of M (for A) or N (for B);
 * padding lanes, alignment padding and the K tail are zero.
 */
#ifndef BX_FRAME_PACK_H
#define BX_FRAME_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "bitexact/kernel.h"

enum { BX_SIDE_A = 0, BX_SIDE_B = 1 };

/* Bytes of one panel for depth k. The format must have passed bx_desc_problem and k must be
 * bounded by the caller (k <= 2^32): the result then fits comfortably in 64 bits. */
uint64_t bx_pack_panel_len(const bx_pack_format *f, uint64_t k);

/* Bytes of all ceil(mn / r) panels. */
uint64_t bx_packed_size(const bx_pack_format *f, uint64_t mn, uint64_t k);

/* Packs src into dst (bx_packed_size bytes, fully written: padding zeroed here).
 * side A: src is row-major mn x k (src[i * k + kk]); side B: row-major k x mn (src[kk * mn + j]). */
void bx_pack(const bx_pack_format *f, int side, const int8_t *src, size_t mn, size_t k,
             uint8_t *dst);

#endif
