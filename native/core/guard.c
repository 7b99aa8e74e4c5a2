#include "guard.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void) {
  static size_t ps;
  if (!ps) {
    long v = sysconf(_SC_PAGESIZE);
    ps = v > 0 ? (size_t)v : 4096;
  }
  return ps;
}

/* Canary byte of slack position p: canary(i) at offset -64 + i before the data and at len + i
 * after it, repeating every 64 bytes outward. */
static uint8_t slack_canary(const bx_guarded *g, const uint8_t *p) {
  size_t d = p < g->data ? 64 - (size_t)(g->data - p) % 64 : (size_t)(p - (g->data + g->len));
  return bx_canary((unsigned)(d % 64));
}

int bx_guarded_alloc(bx_guarded *g, size_t len, int start) {
  *g = (bx_guarded){0};
  const size_t ps = page_size();
  /* callers bound len far below SIZE_MAX */
  const size_t body = len ? (len + ps - 1) / ps * ps : ps;
  const size_t total = BX_GUARD_REGION + body + BX_GUARD_REGION;
  void *m = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return -1;
  uint8_t *map = m;
  if (mprotect(map + BX_GUARD_REGION, body, PROT_READ | PROT_WRITE)) {
    munmap(map, total);
    return -1;
  }
  g->map = map;
  g->map_len = total;
  g->lo = map + BX_GUARD_REGION;
  g->hi = g->lo + body;
  g->data = start ? g->lo : g->hi - len;
  g->len = len;
  /* fresh anonymous pages are zero: only the slack needs its pattern */
  for (uint8_t *p = g->lo; p < g->data; p++) *p = slack_canary(g, p);
  for (uint8_t *p = g->data + len; p < g->hi; p++) *p = slack_canary(g, p);
  return 0;
}

void bx_guarded_free(bx_guarded *g) {
  if (g->map) munmap(g->map, g->map_len);
  *g = (bx_guarded){0};
}

void bx_guarded_check(const bx_guarded *g, uint32_t buf_id, bx_viol_list *out) {
  if (!g->data) return;
  for (const uint8_t *p = g->lo; p < g->data; p++)
    if (*p != slack_canary(g, p))
      bx_viol_add(out, buf_id, -(int64_t)(g->data - p), slack_canary(g, p), *p);
  for (const uint8_t *p = g->data + g->len; p < g->hi; p++)
    if (*p != slack_canary(g, p))
      bx_viol_add(out, buf_id, (int64_t)(p - g->data), slack_canary(g, p), *p);
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
  if (bx_guarded_alloc(g, len, l->start)) return NULL;
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
