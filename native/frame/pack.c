#include "pack.h"

#include <string.h>

uint64_t bx_pack_panel_len(const bx_pack_format *f, uint64_t k) {
  uint64_t r = f->r;
  if (f->kind == BX_PACK_I8K4) return ((k + 3) / 4) * 4 * r;
  /* PackedFormat: ceil(((k + end_padding_record) * r) / align) * align */
  uint64_t raw = (k + f->end_padding_record) * r;
  uint64_t align = f->align ? f->align : 1;
  return (raw + align - 1) / align * align;
}

uint64_t bx_packed_size(const bx_pack_format *f, uint64_t mn, uint64_t k) {
  return (mn + f->r - 1) / f->r * bx_pack_panel_len(f, k);
}

void bx_pack(const bx_pack_format *f, int side, const int8_t *src, size_t mn, size_t k,
             uint8_t *dst) {
  const size_t r = f->r;
  const size_t panel_len = (size_t)bx_pack_panel_len(f, k);
  memset(dst, 0, (size_t)bx_packed_size(f, mn, k));
  for (size_t i = 0; i < mn; i++) {
    uint8_t *panel = dst + (i / r) * panel_len;
    const size_t lane = i % r;
    for (size_t kk = 0; kk < k; kk++) {
      int8_t v = side == BX_SIDE_A ? src[i * k + kk] : src[kk * mn + i];
      size_t off = f->kind == BX_PACK_I8K4 ? (kk / 4) * 4 * r + lane * 4 + (kk % 4) /* K4 */
                                           : kk * r + lane;                         /* K-outer */
      panel[off] = (uint8_t)v;
    }
  }
}
