#include "guard.h"

#include <stdlib.h>
#include <string.h>

static void fill_guard(uint8_t *p) {
  for (unsigned i = 0; i < BX_GUARD_BYTES; i++) p[i] = bx_canary(i);
}

int bx_guarded_alloc(bx_guarded *g, size_t len) {
  g->raw = g->data = NULL;
  g->len = 0;
  /* guard + alignment slack + data + guard; callers bound len far below SIZE_MAX. */
  size_t total = len + 2 * BX_GUARD_BYTES + BX_GUARD_ALIGN;
  uint8_t *raw = malloc(total);
  if (!raw) return -1;
  uintptr_t start = (uintptr_t)raw + BX_GUARD_BYTES;
  start = (start + BX_GUARD_ALIGN - 1) & ~(uintptr_t)(BX_GUARD_ALIGN - 1);
  g->raw = raw;
  g->data = (uint8_t *)start;
  g->len = len;
  fill_guard(g->data - BX_GUARD_BYTES);
  memset(g->data, 0, len);
  fill_guard(g->data + len);
  return 0;
}

void bx_guarded_free(bx_guarded *g) {
  free(g->raw);
  g->raw = g->data = NULL;
  g->len = 0;
}

void bx_guarded_check(const bx_guarded *g, uint32_t buf_id, bx_viol_list *out) {
  if (!g->data) return;
  const uint8_t *before = g->data - BX_GUARD_BYTES, *after = g->data + g->len;
  for (unsigned i = 0; i < BX_GUARD_BYTES; i++)
    if (before[i] != bx_canary(i))
      bx_viol_add(out, buf_id, (int64_t)i - BX_GUARD_BYTES, bx_canary(i), before[i]);
  for (unsigned i = 0; i < BX_GUARD_BYTES; i++)
    if (after[i] != bx_canary(i))
      bx_viol_add(out, buf_id, (int64_t)g->len + i, bx_canary(i), after[i]);
}

void bx_viol_add(bx_viol_list *l, uint32_t buf, int64_t offset, uint8_t expected, uint8_t got) {
  if (l->count >= BX_MAX_VIOLATIONS) {
    l->truncated = 1;
    return;
  }
  if (l->count == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    bx_violation *p = realloc(l->items, cap * sizeof *p);
    if (!p) {
      l->oom = 1;
      return;
    }
    l->items = p;
    l->cap = cap;
  }
  l->items[l->count++] = (bx_violation){buf, offset, expected, got};
}

void bx_viol_free(bx_viol_list *l) {
  free(l->items);
  l->items = NULL;
  l->count = l->cap = 0;
}

bx_guarded *bx_scratch_new(bx_scratch_list *l, size_t len, uint32_t *id) {
  if (l->count == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    bx_guarded *p = realloc(l->items, cap * sizeof *p);
    if (!p) return NULL;
    l->items = p;
    l->cap = cap;
  }
  bx_guarded *g = &l->items[l->count];
  if (bx_guarded_alloc(g, len)) return NULL;
  *id = (uint32_t)l->count++;
  return g;
}

void bx_scratch_free(bx_scratch_list *l) {
  for (size_t i = 0; i < l->count; i++) bx_guarded_free(&l->items[i]);
  free(l->items);
  l->items = NULL;
  l->count = l->cap = 0;
}

void bx_guards_check(const bx_guarded *bufs, uint32_t nbuf, const bx_scratch_list *scratch,
                     bx_viol_list *out) {
  for (uint32_t i = 0; i < nbuf; i++) bx_guarded_check(&bufs[i], i, out);
  for (size_t i = 0; i < scratch->count; i++)
    bx_guarded_check(&scratch->items[i], BX_SCRATCH_FLAG | (uint32_t)i, out);
}
