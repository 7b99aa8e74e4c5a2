#include "wire.h"

#include <stdlib.h>

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
