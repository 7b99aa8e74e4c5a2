/*
 * The executor: one request in, one response out (native/PROTOCOL.md). Shared by the
 * node-addon-api addon and the stdin/stdout runner. Its steps are reusable on their own:
 * request.h (parse, guarded placement), guard.h (canary checks), wire.h (responses).
 */
#ifndef BX_CORE_EXEC_H
#define BX_CORE_EXEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Handles one request; *resp is malloc'ed, the caller frees it. Returns its length.
 * Never fails on bad input (malformed requests get an ERROR response); returns 0 with
 * *resp == NULL only if even the error response cannot be allocated. */
size_t bx_exec(const uint8_t *req, size_t req_len, uint8_t **resp);

#ifdef __cplusplus
}
#endif

#endif
