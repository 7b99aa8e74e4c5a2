/*
 * bx_request_parse (request.h). Parsing is strict: every field is bounds-checked against the
 * request, unknown flag bits, kinds and trailing bytes are errors, and every PTR word is
 * checked against its buffer before any kernel runs. A malformed request always yields a
 * message naming the problem, never a crash.
 */
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void exec_req_free(bx_exec_req *q) {
  if (q->bufs)
    for (uint32_t i = 0; i < q->nbuf; i++) bx_guarded_free(&q->bufs[i]);
  free(q->bufs);
  free(q->buf_flags);
  free(q->data);
  free(q->prior);
  free(q->ops);
  *q = (bx_exec_req){0};
}

/* The TILE / FRAME body; the buffers go into guarded allocations as they are read. */
static int parse_exec(bx_reader *r, const char *what, uint32_t flags_known, bx_exec_req *q) {
  if (bx_rd_bytes(r, &q->name, &q->name_len, "kernel_name") || bx_rd_u32(r, &q->flags, "flags") ||
      bx_rd_u32(r, &q->m, "m") || bx_rd_u32(r, &q->n, "n") || bx_rd_u32(r, &q->nbuf, "nbuf"))
    return -1;
  if (q->flags & ~flags_known) return bx_rd_fail(r, "%s: unknown flag bits 0x%x", what, q->flags);
  if ((q->flags & BX_FLAG_MOVED) && !(q->flags & BX_FLAG_PRIOR))
    return bx_rd_fail(r, "%s: flag MOVED (0x%x) needs PRIOR (0x%x)", what, BX_FLAG_MOVED, BX_FLAG_PRIOR);
  if (q->nbuf > BX_MAX_BUFFERS)
    return bx_rd_fail(r, "%s: %u buffers (at most %u)", what, q->nbuf, BX_MAX_BUFFERS);
  q->bufs = calloc(q->nbuf ? q->nbuf : 1, sizeof *q->bufs);
  q->buf_flags = calloc(q->nbuf ? q->nbuf : 1, sizeof *q->buf_flags);
  q->data = calloc(q->nbuf ? q->nbuf : 1, sizeof *q->data);
  if (!q->bufs || !q->buf_flags || !q->data) return bx_rd_fail(r, "%s: out of memory", what);
  for (uint32_t i = 0; i < q->nbuf; i++) {
    const uint8_t *data;
    uint32_t len;
    if (bx_rd_u32(r, &q->buf_flags[i], "buffer flags") || bx_rd_bytes(r, &data, &len, "buffer data"))
      return -1;
    if (q->buf_flags[i] & ~BX_BUF_RETURN)
      return bx_rd_fail(r, "%s: buffer %u has unknown flag bits 0x%x", what, i, q->buf_flags[i]);
    if (bx_guarded_alloc(&q->bufs[i], len, (q->flags & BX_FLAG_GUARD_START) != 0))
      return bx_rd_fail(r, "%s: out of memory for buffer %u (%u bytes)", what, i, len);
    memcpy(q->bufs[i].data, data, len);
    q->data[i] = data;
  }
  if (bx_rd_u32(r, &q->nops, "nops")) return -1;
  if (q->nops > BX_MAX_OPS) return bx_rd_fail(r, "%s: %u ops (at most %u)", what, q->nops, BX_MAX_OPS);
  q->ops = calloc(q->nops ? q->nops : 1, sizeof *q->ops);
  if (!q->ops) return bx_rd_fail(r, "%s: out of memory", what);
  for (uint32_t i = 0; i < q->nops; i++) {
    bx_wire_op *op = &q->ops[i];
    if (q->flags & BX_FLAG_TAG64) {
      int64_t t;
      if (bx_rd_i64(r, &t, "op tag")) return -1;
      op->tag = (uint64_t)t;
    } else {
      uint32_t t;
      if (bx_rd_u32(r, &t, "op tag")) return -1;
      op->tag = t;
    }
    for (int k = 0; k < 4; k++) {
      bx_word *wd = &op->w[k];
      if (bx_rd_u32(r, &wd->kind, "word kind") || bx_rd_u32(r, &wd->buf, "word buf") ||
          bx_rd_i64(r, &wd->value, "word value"))
        return -1;
      if (wd->kind == BX_WORD_IMM) {
        if (wd->buf != 0)
          return bx_rd_fail(r, "%s: op %u word %d: IMM word with buf = %u (must be 0)", what, i, k,
                            wd->buf);
      } else if (wd->kind == BX_WORD_PTR) {
        if (wd->buf >= q->nbuf)
          return bx_rd_fail(r, "%s: op %u word %d: PTR to buffer %u, but there are %u buffers",
                            what, i, k, wd->buf, q->nbuf);
        if (wd->value < 0 || (uint64_t)wd->value > q->bufs[wd->buf].len)
          return bx_rd_fail(r, "%s: op %u word %d: PTR offset %lld outside [0, %zu] of buffer %u",
                            what, i, k, (long long)wd->value, q->bufs[wd->buf].len, wd->buf);
      } else {
        return bx_rd_fail(r, "%s: op %u word %d: unknown word kind %u", what, i, k, wd->kind);
      }
    }
  }
  if (q->flags & BX_FLAG_PRIOR) {
    q->prior = calloc(q->nbuf ? q->nbuf : 1, sizeof *q->prior);
    if (!q->prior) return bx_rd_fail(r, "%s: out of memory", what);
    for (uint32_t i = 0; i < q->nbuf; i++) {
      uint32_t len;
      if (bx_rd_bytes(r, &q->prior[i], &len, "prior buffer data")) return -1;
      if (len != q->bufs[i].len)
        return bx_rd_fail(r, "%s: prior buffer %u has %u bytes, buffer %u has %zu", what, i, len, i,
                          q->bufs[i].len);
    }
  }
  return bx_rd_end(r, what);
}

/* Field checks that need the kernel (packing index, side, sizes) are the run step's. */
static int parse_pack(bx_reader *r, bx_pack_req *p) {
  return bx_rd_bytes(r, &p->name, &p->name_len, "PACK kernel_name") ||
                 bx_rd_u32(r, &p->packing, "PACK packing") || bx_rd_u32(r, &p->side, "PACK side") ||
                 bx_rd_u32(r, &p->mn, "PACK mn") || bx_rd_u32(r, &p->k, "PACK k") ||
                 bx_rd_bytes(r, &p->data, &p->len, "PACK data") || bx_rd_end(r, "PACK")
             ? -1
             : 0;
}

static int parse_load_lib(bx_reader *r, char *path) {
  const uint8_t *s;
  uint32_t n;
  if (bx_rd_bytes(r, &s, &n, "LOAD_LIB path") || bx_rd_end(r, "LOAD_LIB")) return -1;
  if (n == 0 || n > BX_MAX_PATH_LEN || memchr(s, 0, n))
    return bx_rd_fail(r, "LOAD_LIB: path must be 1..4096 bytes without NUL");
  memcpy(path, s, n);
  path[n] = 0;
  return 0;
}

int bx_request_parse(const uint8_t *req, size_t len, bx_request *q, char *err) {
  bx_reader r = {req, req ? len : 0, 0, err, 0};
  q->exec = (bx_exec_req){0};
  q->pack = (bx_pack_req){0};
  q->path[0] = 0;
  if (bx_rd_u32(&r, &q->type, "request type")) return -1;
  switch (q->type) {
  case BX_REQ_LIST: return bx_rd_end(&r, "LIST");
  case BX_REQ_PING: return bx_rd_end(&r, "PING");
  case BX_REQ_LOAD_LIB: return parse_load_lib(&r, q->path);
  case BX_REQ_PACK: return parse_pack(&r, &q->pack);
  case BX_REQ_TILE:
  case BX_REQ_FRAME:
    if (parse_exec(&r, q->type == BX_REQ_FRAME ? "FRAME" : "TILE",
                   BX_FLAG_FORCE | BX_FLAG_GUARD_START | BX_FLAG_TAG64 |
                       (q->type == BX_REQ_FRAME ? BX_FLAG_TRACE : BX_FLAG_PRIOR | BX_FLAG_MOVED),
                   &q->exec) == 0)
      return 0;
    exec_req_free(&q->exec);
    return -1;
  default:
    snprintf(err, BX_ERR_LEN, "unknown request type %u (1 LIST, 2 TILE, 3 FRAME, 4 PACK, "
                              "5 LOAD_LIB, 6 PING)", q->type);
    return -1;
  }
}

void bx_request_free(bx_request *q) { exec_req_free(&q->exec); }
