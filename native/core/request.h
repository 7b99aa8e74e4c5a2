/*
 * The parse step of an executor: one request of native/PROTOCOL.md checked field by field and
 * turned into a bx_request, with every TILE / FRAME buffer already copied into a guarded
 * allocation and every PTR word checked against its buffer. Nothing here looks at kernels:
 * the run step (exec.c, or another executor's) resolves the kernel name and runs.
 */
#ifndef BX_CORE_REQUEST_H
#define BX_CORE_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "guard.h"
#include "wire.h"

#define BX_MAX_BUFFERS 4096u
#define BX_MAX_OPS 4096u
#define BX_MAX_PATH_LEN 4096u

/* TILE / FRAME body. */
typedef struct bx_exec_req {
  const uint8_t *name; /* into the request bytes */
  uint32_t name_len, flags, m, n, nbuf, nops;
  uint32_t *buf_flags;
  bx_guarded *bufs; /* the request buffers, guarded */
  const uint8_t **data;  /* each buffer's contents in the request bytes */
  const uint8_t **prior; /* PRIOR: each buffer's contents for the earlier call, else NULL */
  bx_wire_op *ops;
} bx_exec_req;

/* PACK body (name and data point into the request bytes). */
typedef struct bx_pack_req {
  const uint8_t *name, *data;
  uint32_t name_len, packing, side, mn, k, len;
} bx_pack_req;

typedef struct bx_request {
  uint32_t type;               /* enum bx_req_type */
  bx_exec_req exec;            /* TILE, FRAME */
  bx_pack_req pack;            /* PACK */
  char path[BX_MAX_PATH_LEN + 1]; /* LOAD_LIB, NUL-terminated */
} bx_request;

/* Parses req[0, len). 0 on success (free with bx_request_free; the pointers into req stay
 * valid as long as req); -1 with the message in err (BX_ERR_LEN bytes), nothing to free. */
int bx_request_parse(const uint8_t *req, size_t len, bx_request *q, char *err);
void bx_request_free(bx_request *q);

#endif
