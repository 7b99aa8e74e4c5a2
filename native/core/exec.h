/*
 * The executor: one request in, one response out (native/PROTOCOL.md). Shared by the
 * node-addon-api addon and the stdin/stdout runner.
 */
#ifndef BX_CORE_EXEC_H
#define BX_CORE_EXEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum bx_req_type {
  BX_REQ_LIST = 1,
  BX_REQ_TILE = 2,
  BX_REQ_FRAME = 3,
  BX_REQ_PACK = 4,
  BX_REQ_LOAD_LIB = 5,
  BX_REQ_PING = 6
};

enum bx_status { BX_STATUS_OK = 0, BX_STATUS_ERROR = 1 };

#define BX_FLAG_FORCE 1u  /* TILE / FRAME flags */
#define BX_BUF_RETURN 1u  /* per-buffer flags */

/* Handles one request; *resp is malloc'ed, the caller frees it. Returns its length.
 * Never fails on bad input (malformed requests get an ERROR response); returns 0 with
 * *resp == NULL only if even the error response cannot be allocated. */
size_t bx_exec(const uint8_t *req, size_t req_len, uint8_t **resp);

#ifdef __cplusplus
}
#endif

#endif
