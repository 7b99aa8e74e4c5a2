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

/* The slack pattern: canary(i) at offset -64 + i before the data and at len + i after it,
 * repeating every 64 bytes outward, i.e. canary((p - anchor) mod 64) with the data start as the
 * anchor before it and the data end after it. Filled and compared 64 bytes at a time. */
static const uint8_t *pattern(void) {
  static uint8_t pat[128];
  if (!pat[0])
    for (unsigned i = 0; i < 128; i++) pat[i] = bx_canary(i % 64);
  return pat;
}

/* [from, to) with phase = (from - anchor) mod 64. */
static void slack_fill(uint8_t *from, uint8_t *to, size_t phase) {
  const uint8_t *pat = pattern();
  for (uint8_t *p = from; p < to; p += 64) {
    size_t n = (size_t)(to - p) < 64 ? (size_t)(to - p) : 64;
    memcpy(p, pat + phase, n);
  }
}

static void slack_check(const uint8_t *from, const uint8_t *to, size_t phase, const uint8_t *data,
                        uint32_t buf_id, bx_viol_list *out) {
  const uint8_t *pat = pattern();
  for (const uint8_t *p = from; p < to; p += 64) {
    size_t n = (size_t)(to - p) < 64 ? (size_t)(to - p) : 64;
    if (memcmp(p, pat + phase, n) == 0) continue;
    for (size_t i = 0; i < n; i++)
      if (p[i] != pat[phase + i]) bx_viol_add(out, buf_id, (int64_t)(p + i - data), pat[phase + i], p[i]);
  }
}

static size_t before_phase(const bx_guarded *g) { return (64 - (size_t)(g->data - g->lo) % 64) % 64; }

/* Mappings are kept for reuse: creating and unmapping one costs far more than the kernel call
 * (munmap shoots down TLBs on every thread), so freed ones wait here, by size, for the next
 * request. Per thread: a request allocates and frees on one thread. */
#define POOL_MAX 512
#define POOL_MAX_BYTES (UINT64_C(256) << 20)
typedef struct map_pool {
  struct {
    uint8_t *map;
    size_t body;
  } items[POOL_MAX];
  size_t n, bytes;
} map_pool;
/* Only a pointer in TLS: the addon's TLS is static (initial-exec, see abi_call.c) and small. */
static __thread map_pool *pool;

static uint8_t *map_get(size_t body) {
  if (!pool) pool = calloc(1, sizeof *pool); /* without a pool every mapping is fresh */
  for (size_t i = pool ? pool->n : 0; i-- > 0;)
    if (pool->items[i].body == body) {
      uint8_t *m = pool->items[i].map;
      pool->items[i] = pool->items[--pool->n];
      pool->bytes -= body;
      return m;
    }
  const size_t total = BX_GUARD_REGION + body + BX_GUARD_REGION;
  void *m = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  if (mprotect((uint8_t *)m + BX_GUARD_REGION, body, PROT_READ | PROT_WRITE)) {
    munmap(m, total);
    return NULL;
  }
  return m;
}

static void map_put(uint8_t *map, size_t body) {
  if (pool && pool->n < POOL_MAX && pool->bytes + body <= POOL_MAX_BYTES) {
    pool->items[pool->n].map = map;
    pool->items[pool->n++].body = body;
    pool->bytes += body;
  } else {
    munmap(map, BX_GUARD_REGION + body + BX_GUARD_REGION);
  }
}

int bx_guarded_alloc(bx_guarded *g, size_t len, int start) {
  *g = (bx_guarded){0};
  const size_t ps = page_size();
  /* callers bound len far below SIZE_MAX */
  const size_t body = len ? (len + ps - 1) / ps * ps : ps;
  uint8_t *map = map_get(body);
  if (!map) return -1;
  g->map = map;
  g->map_len = BX_GUARD_REGION + body + BX_GUARD_REGION;
  g->lo = map + BX_GUARD_REGION;
  g->hi = g->lo + body;
  g->data = start ? g->lo : g->hi - len;
  g->len = len;
  memset(g->data, 0, len);
  slack_fill(g->lo, g->data, before_phase(g));
  slack_fill(g->data + len, g->hi, 0);
  return 0;
}

void bx_guarded_free(bx_guarded *g) {
  if (g->map) map_put(g->map, (size_t)(g->hi - g->lo));
  *g = (bx_guarded){0};
}

void bx_guarded_check(const bx_guarded *g, uint32_t buf_id, bx_viol_list *out) {
  if (!g->data) return;
  slack_check(g->lo, g->data, before_phase(g), g->data, buf_id, out);
  slack_check(g->data + g->len, g->hi, 0, g->data, buf_id, out);
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
