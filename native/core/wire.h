/*
 * The wire codec of native/PROTOCOL.md: the protocol's constants, the parsed form of a chain
 * op, a bounds-checked byte reader over a request, a growable byte writer, and the response
 * encoders (ERROR, descriptor JSON, PACK, TILE / FRAME results). No kernel runs here: any
 * executor (the addon, the stdin/stdout runner, a remote device's host side) encodes its
 * responses with these, so every one answers byte for byte alike.
 */
#ifndef BX_CORE_WIRE_H
#define BX_CORE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "abi_call.h"
#include "bitexact/kernel.h"
#include "fault.h"
#include "guard.h"

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
#define BX_FLAG_GUARD_START 2u /* place every buffer at the start of its pages (guard.h) */
#define BX_FLAG_TRACE 4u  /* FRAME only: append the trace record (PROTOCOL.md) */
#define BX_FLAG_TAG64 8u  /* every op tag is a u64 (else a u32) */
#define BX_FLAG_PRIOR 16u /* TILE only: an earlier call at the same addresses (PROTOCOL.md) */
#define BX_FLAG_MOVED 32u /* TILE with PRIOR: that earlier call at other addresses instead */
#define BX_BUF_RETURN 1u  /* per-buffer flags */

/* Size of every error message buffer (messages are truncated to it). */
#define BX_ERR_LEN 1024

enum { BX_WORD_IMM = 0, BX_WORD_PTR = 1 };

typedef struct bx_word {
  uint32_t kind; /* BX_WORD_IMM / BX_WORD_PTR */
  uint32_t buf;  /* PTR: request buffer index */
  int64_t value; /* IMM: the payload word verbatim; PTR: byte offset in the buffer, in [0, len] */
} bx_word;

typedef struct bx_wire_op {
  uint64_t tag; /* the entry's usize tag (a u32 on the wire unless BX_FLAG_TAG64) */
  bx_word w[4];
} bx_wire_op;

/* ---- reader: every field bounds-checked; the first error wins and sticks ---------------- */

typedef struct bx_reader {
  const uint8_t *p;
  size_t len, pos;
  char *err; /* BX_ERR_LEN bytes */
  int failed;
} bx_reader;

/* Records an error (unless one is recorded already); returns -1. */
int bx_rd_fail(bx_reader *r, const char *fmt, ...);
int bx_rd_u32(bx_reader *r, uint32_t *v, const char *what);
int bx_rd_i64(bx_reader *r, int64_t *v, const char *what);
/* A length-prefixed byte string; *s points into the request. */
int bx_rd_bytes(bx_reader *r, const uint8_t **s, uint32_t *n, const char *what);
/* The body must end here (req names the request in the message). */
int bx_rd_end(bx_reader *r, const char *req);

/* ---- writer: little-endian; out of memory sticks in oom --------------------------------- */

typedef struct bx_writer {
  uint8_t *p;
  size_t len, cap;
  int oom;
} bx_writer;

/* Appends n uninitialized bytes; NULL when n is 0 or out of memory. */
uint8_t *bx_w_reserve(bx_writer *w, size_t n);
void bx_w_bytes(bx_writer *w, const void *src, size_t n);
void bx_w_u32(bx_writer *w, uint32_t v);
void bx_w_u64(bx_writer *w, uint64_t v);
/* str: u32 length, then the bytes */
void bx_w_str(bx_writer *w, const char *s, size_t n);

/* ---- responses: each returns the length of the malloc'ed *resp (see bx_exec) ------------ */

/* Hands w's bytes over as the response; a response that is out of memory or above the u32
 * framing becomes a small ERROR saying so. */
size_t bx_resp_finish(bx_writer *w, uint8_t **resp);
size_t bx_resp_error(const char *msg, uint8_t **resp);
/* OK with an empty body (PING). */
size_t bx_resp_ok(uint8_t **resp);

/* LIST / LOAD_LIB: OK, then the descriptor JSON array built with the two functions below. */
void bx_json_desc(bx_writer *json, const bx_kernel_desc *d, int packings_valid, int runnable,
                  const char *why);
size_t bx_resp_json(bx_writer *json, uint8_t **resp);

/* PACK: starts OK + u32 len and returns the len bytes to fill (NULL if len is 0 or out of
 * memory); then bx_resp_finish. */
uint8_t *bx_resp_packed(bx_writer *w, uint32_t len);

/* TILE / FRAME: kernel_rc, refused_op, the violations, every buffer (its contents when
 * its flags say RETURN), the first calling-convention break of *abi, the guard fault (fault.h)
 * if any, then the trace record's bytes when trace is not NULL. */
size_t bx_resp_run(int64_t rc, int32_t refused_op, const bx_viol_list *viol,
                   const bx_guarded *bufs, const uint32_t *buf_flags, uint32_t nbuf,
                   const bx_abi_log *abi, const bx_fault *fault, const bx_writer *trace,
                   uint8_t **resp);

#endif
