/*
 * Parsed form of the TILE / FRAME request body (PROTOCOL.md), shared by exec.c and the frame.
 */
#ifndef BX_CORE_WIRE_H
#define BX_CORE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "guard.h"

enum { BX_WORD_IMM = 0, BX_WORD_PTR = 1 };

typedef struct bx_word {
  uint32_t kind; /* BX_WORD_IMM / BX_WORD_PTR */
  uint32_t buf;  /* PTR: request buffer index */
  int64_t value; /* IMM: the payload word verbatim; PTR: byte offset in the buffer, in [0, len] */
} bx_word;

typedef struct bx_wire_op {
  uint32_t tag;
  bx_word w[4];
} bx_wire_op;

/* Scratch ids are reported as BX_SCRATCH_FLAG | id; id 0 is always the kernel's chain. */
#define BX_SCRATCH_CHAIN 0u

/* Guarded allocations made by the executor besides the request buffers, in id order. */
typedef struct bx_scratch_list {
  bx_guarded *items;
  size_t count, cap;
} bx_scratch_list;

/* Allocates a new zeroed scratch buffer; returns its id through *id, or -1 when out of memory.
 * The returned pointer is valid until the next bx_scratch_new (the array may move). */
bx_guarded *bx_scratch_new(bx_scratch_list *l, size_t len, uint32_t *id);
void bx_scratch_free(bx_scratch_list *l);

#endif
