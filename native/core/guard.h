/*
 * Guarded buffers: every buffer a kernel can touch (request buffers, the chain, frame scratch
 * and packed panels) sits in its own mapping between two BX_GUARD_REGION no-access zones.
 * By default the data ends exactly at a page end (an access one byte past it faults); with
 * start = 1 it begins exactly at a page start (one byte before it faults). The rest of its
 * pages (the slack, under one page, on the other side) is filled with the canary pattern and
 * compared after the call: every differing byte is reported with its offset relative to the
 * data start (negative = before it, >= len = after it). fault.h turns an access inside a
 * no-access zone into the buffer, side and offset it hit.
 */
#ifndef BX_CORE_GUARD_H
#define BX_CORE_GUARD_H

#include <stddef.h>
#include <stdint.h>

/* No-access bytes on each side: an access up to this far outside a buffer is attributed to it. */
#define BX_GUARD_REGION (64u * 1024u)
/* The reported list is capped: a kernel scribbling everywhere would otherwise make the
 * response as large as the memory it trashed. */
#define BX_MAX_VIOLATIONS 4096

static inline uint8_t bx_canary(unsigned i) { return (uint8_t)(0xA5u ^ ((i * 29u) & 0xFFu)); }

typedef struct bx_guarded {
  uint8_t *map;      /* the whole mapping: guard zone, pages, guard zone */
  size_t map_len;
  uint8_t *lo, *hi;  /* the accessible pages [lo, hi): slack and data */
  uint8_t *data;     /* len bytes; data + len == hi, or data == lo when placed at the start */
  size_t len;
} bx_guarded;

typedef struct bx_violation {
  uint32_t buf; /* request buffer index, or BX_SCRATCH_FLAG | scratch id */
  int64_t offset;
  uint8_t expected;
  uint8_t got;
} bx_violation;

#define BX_SCRATCH_FLAG 0x80000000u

typedef struct bx_viol_list {
  bx_violation *items;
  size_t count, cap;
  int truncated; /* more than BX_MAX_VIOLATIONS were found */
  int oom;
} bx_viol_list;

/* Allocates len data bytes (zeroed) with guards, placed at the end of their pages, or at the
 * start when start != 0. Returns 0, or -1 when out of memory. */
int bx_guarded_alloc(bx_guarded *g, size_t len, int start);
void bx_guarded_free(bx_guarded *g);
/* Appends one record per corrupted guard byte. */
void bx_guarded_check(const bx_guarded *g, uint32_t buf_id, bx_viol_list *out);

void bx_viol_add(bx_viol_list *l, uint32_t buf, int64_t offset, uint8_t expected, uint8_t got);
void bx_viol_free(bx_viol_list *l);

/* The guarded allocations an executor makes besides the request buffers (the kernel's chain,
 * frame scratch, packed panels), in id order; reported as BX_SCRATCH_FLAG | id. Id 0 is
 * always the kernel's chain: TILE and FRAME allocate it first. */
typedef struct bx_scratch_list {
  bx_guarded *items;
  size_t count, cap;
  int start; /* placement of new items (bx_guarded_alloc) */
} bx_scratch_list;

/* Allocates a new zeroed scratch buffer; returns its id through *id, or NULL when out of
 * memory. The returned pointer is valid until the next bx_scratch_new (the array may move). */
bx_guarded *bx_scratch_new(bx_scratch_list *l, size_t len, uint32_t *id);
void bx_scratch_free(bx_scratch_list *l);

/* After a run: the guards of every request buffer (ids 0..nbuf-1), then of every scratch. */
void bx_guards_check(const bx_guarded *bufs, uint32_t nbuf, const bx_scratch_list *scratch,
                     bx_viol_list *out);

#endif
