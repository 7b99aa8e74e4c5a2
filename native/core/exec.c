/*
 * bx_exec: parses one request of native/PROTOCOL.md, runs it, encodes the response.
 *
 * Parsing is strict: every field is bounds-checked against the request, unknown flag bits,
 * kinds and trailing bytes are errors, and every PTR word is checked against its buffer
 * before any kernel runs. A malformed request always yields an ERROR response naming the
 * problem, never a crash.
 */
#include "exec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitexact/kernel.h"
#include "frame.h"
#include "guard.h"
#include "pack.h"
#include "registry.h"
#include "wire.h"

#define MAX_BUFFERS 4096u
#define MAX_OPS 4096u
#define MAX_PATH_LEN 4096u
#define ERR_LEN 1024

/* ---- response writer ------------------------------------------------------------------- */

typedef struct wbuf {
  uint8_t *p;
  size_t len, cap;
  int oom;
} wbuf;

/* Appends n uninitialized bytes; NULL (and w->oom set) when out of memory. */
static uint8_t *w_reserve(wbuf *w, size_t n) {
  if (w->oom || n == 0) return NULL;
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + n) cap *= 2;
    uint8_t *p = realloc(w->p, cap);
    if (!p) {
      w->oom = 1;
      return NULL;
    }
    w->p = p;
    w->cap = cap;
  }
  uint8_t *at = w->p + w->len;
  w->len += n;
  return at;
}

static void w_bytes(wbuf *w, const void *src, size_t n) {
  uint8_t *at = w_reserve(w, n);
  if (at && n) memcpy(at, src, n);
}

/* Little-endian encoders (the hosts we build for are little-endian, but be explicit). */
static void w_u32(wbuf *w, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  w_bytes(w, b, 4);
}
static void w_u64(wbuf *w, uint64_t v) {
  w_u32(w, (uint32_t)v);
  w_u32(w, (uint32_t)(v >> 32));
}
static void w_str(wbuf *w, const char *s, size_t n) {
  w_u32(w, (uint32_t)n);
  w_bytes(w, s, n);
}
static void w_cstr(wbuf *w, const char *s) { w_bytes(w, s, strlen(s)); }
static void w_fmt(wbuf *w, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) w_bytes(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void w_json_str(wbuf *w, const char *s) {
  w_bytes(w, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      uint8_t e[2] = {'\\', *p};
      w_bytes(w, e, 2);
    } else if (*p < 0x20 || *p == 0x7f) {
      w_fmt(w, "\\u%04x", *p);
    } else {
      w_bytes(w, p, 1);
    }
  }
  w_bytes(w, "\"", 1);
}

/* ---- request reader -------------------------------------------------------------------- */

typedef struct rd {
  const uint8_t *p;
  size_t len, pos;
  char *err; /* first error wins */
  int failed;
} rd;

static int rd_fail(rd *r, const char *fmt, ...) {
  if (r->failed) return -1;
  r->failed = 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err, ERR_LEN, fmt, ap);
  va_end(ap);
  return -1;
}

static int rd_need(rd *r, size_t n, const char *what) {
  if (r->failed) return -1;
  if (r->len - r->pos < n)
    return rd_fail(r, "truncated request: %s needs %zu bytes at offset %zu, %zu left", what, n,
                   r->pos, r->len - r->pos);
  return 0;
}

static int rd_u32(rd *r, uint32_t *v, const char *what) {
  if (rd_need(r, 4, what)) return -1;
  const uint8_t *b = r->p + r->pos;
  *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  r->pos += 4;
  return 0;
}

static int rd_i64(rd *r, int64_t *v, const char *what) {
  uint32_t lo, hi;
  if (rd_u32(r, &lo, what) || rd_u32(r, &hi, what)) return -1;
  uint64_t u = (uint64_t)hi << 32 | lo;
  memcpy(v, &u, sizeof u); /* two's complement reinterpretation, no conversion */
  return 0;
}

/* A length-prefixed byte string; *s points into the request. */
static int rd_bytes(rd *r, const uint8_t **s, uint32_t *n, const char *what) {
  if (rd_u32(r, n, what) || rd_need(r, *n, what)) return -1;
  *s = r->p + r->pos;
  r->pos += *n;
  return 0;
}

static int rd_end(rd *r, const char *req) {
  if (r->failed) return -1;
  if (r->pos != r->len)
    return rd_fail(r, "%s request has %zu trailing bytes after its body", req, r->len - r->pos);
  return 0;
}

/* ---- responses ------------------------------------------------------------------------- */

static size_t finish(wbuf *w, uint8_t **resp);

static size_t error_response(const char *msg, uint8_t **resp) {
  wbuf w = {0};
  w_u32(&w, BX_STATUS_ERROR);
  w_str(&w, msg, strlen(msg));
  return finish(&w, resp);
}

static size_t finish(wbuf *w, uint8_t **resp) {
  if (w->oom || w->len > UINT32_MAX) {
    free(w->p);
    *resp = NULL;
    /* A response too large for the u32 framing or out of memory: say so in a small one. */
    static const char msg[] = "out of memory or response above 4 GiB while encoding the response";
    wbuf e = {0};
    w_u32(&e, BX_STATUS_ERROR);
    w_str(&e, msg, sizeof msg - 1);
    if (e.oom) {
      free(e.p);
      return 0;
    }
    *resp = e.p;
    return e.len;
  }
  *resp = w->p;
  return w->len;
}

/* ---- LIST / LOAD_LIB ------------------------------------------------------------------- */

static void json_format(wbuf *w, const bx_pack_format *f) {
  w_fmt(w, "{\"kind\":\"%s\",\"r\":%u,\"align\":%u,\"end_padding_record\":%u}",
        f->kind == BX_PACK_I8K4 ? "packed_i8k4" : "packed_format", f->r, f->align,
        f->end_padding_record);
}

static void json_desc(wbuf *w, const bx_reg_entry *e) {
  const bx_kernel_desc *d = e->desc;
  char why[256];
  int runnable = 0;
  if (e->invalid) {
    snprintf(why, sizeof why, "invalid descriptor: %s", e->invalid);
  } else {
    runnable = bx_desc_runnable(d, why, sizeof why);
    if (runnable) why[0] = 0;
  }
  w_cstr(w, "{\"name\":");
  w_json_str(w, d->name);
  w_cstr(w, ",\"isa\":");
  w_json_str(w, d->isa ? d->isa : "");
  w_fmt(w, ",\"mr\":%u,\"nr\":%u,\"packings\":[", d->mr, d->nr);
  /* An invalid descriptor's packings table may be bogus: do not read it. */
  for (uint32_t p = 0; !e->invalid && p < d->n_packings; p++) {
    if (p) w_cstr(w, ",");
    w_cstr(w, "{\"a\":");
    json_format(w, &d->packings[p].a);
    w_cstr(w, ",\"b\":");
    json_format(w, &d->packings[p].b);
    w_fmt(w, ",\"k_alignment\":%u}", d->packings[p].k_alignment);
  }
  w_cstr(w, "],\"supported_ops\":[");
  int first = 1;
  for (unsigned t = 0; t < 64; t++)
    if (d->supported_ops & (UINT64_C(1) << t)) {
      w_fmt(w, first ? "%u" : ",%u", t);
      first = 0;
    }
  w_fmt(w, "],\"runnable\":%s,\"why\":", runnable ? "true" : "false");
  w_json_str(w, why);
  w_cstr(w, "}");
}

static size_t json_response(size_t first, size_t count, uint8_t **resp) {
  wbuf j = {0};
  w_cstr(&j, "[");
  for (size_t i = 0; i < count; i++) {
    if (i) w_cstr(&j, ",");
    json_desc(&j, bx_registry_get(first + i));
  }
  w_cstr(&j, "]");
  wbuf w = {0};
  w_u32(&w, BX_STATUS_OK);
  if (j.oom) w.oom = 1;
  else w_str(&w, (const char *)j.p, j.len);
  free(j.p);
  return finish(&w, resp);
}

static size_t do_list(rd *r, uint8_t **resp) {
  if (rd_end(r, "LIST")) return error_response(r->err, resp);
  return json_response(0, bx_registry_count(), resp);
}

static size_t do_ping(rd *r, uint8_t **resp) {
  if (rd_end(r, "PING")) return error_response(r->err, resp);
  wbuf w = {0};
  w_u32(&w, BX_STATUS_OK);
  return finish(&w, resp);
}

static size_t do_load_lib(rd *r, uint8_t **resp) {
  const uint8_t *s;
  uint32_t n;
  if (rd_bytes(r, &s, &n, "LOAD_LIB path") || rd_end(r, "LOAD_LIB"))
    return error_response(r->err, resp);
  if (n == 0 || n > MAX_PATH_LEN || memchr(s, 0, n))
    return error_response("LOAD_LIB: path must be 1..4096 bytes without NUL", resp);
  char path[MAX_PATH_LEN + 1];
  memcpy(path, s, n);
  path[n] = 0;
  char err[ERR_LEN];
  size_t first, count;
  if (bx_registry_load_lib(path, &first, &count, err, sizeof err)) return error_response(err, resp);
  return json_response(first, count, resp);
}

/* Looks up a kernel by name; NULL with a message when unknown or unusable. */
static const bx_kernel_desc *kernel_by_name(const uint8_t *name, uint32_t n, char *err) {
  const bx_reg_entry *e = bx_registry_find((const char *)name, n);
  if (!e) {
    snprintf(err, ERR_LEN, "unknown kernel '%.*s' (LIST shows the registered ones)",
             (int)(n > 200 ? 200 : n), (const char *)name);
    return NULL;
  }
  if (e->invalid) {
    snprintf(err, ERR_LEN, "kernel %s has an invalid descriptor: %s", e->desc->name, e->invalid);
    return NULL;
  }
  return e->desc;
}

/* ---- PACK ------------------------------------------------------------------------------ */

static size_t do_pack(rd *r, uint8_t **resp) {
  const uint8_t *name, *data;
  uint32_t name_len, packing, side, mn, k, len;
  if (rd_bytes(r, &name, &name_len, "PACK kernel_name") || rd_u32(r, &packing, "PACK packing") ||
      rd_u32(r, &side, "PACK side") || rd_u32(r, &mn, "PACK mn") || rd_u32(r, &k, "PACK k") ||
      rd_bytes(r, &data, &len, "PACK data") || rd_end(r, "PACK"))
    return error_response(r->err, resp);
  char err[ERR_LEN];
  const bx_kernel_desc *d = kernel_by_name(name, name_len, err);
  if (!d) return error_response(err, resp);
  if (packing >= d->n_packings) {
    snprintf(err, sizeof err, "PACK: packing %u: kernel %s declares %u packing(s)", packing,
             d->name, d->n_packings);
    return error_response(err, resp);
  }
  if (side > 1) return error_response("PACK: side must be 0 (A) or 1 (B)", resp);
  if ((uint64_t)mn * k != len) {
    snprintf(err, sizeof err, "PACK: data has %u bytes, mn x k = %u x %u needs %llu", len, mn, k,
             (unsigned long long)mn * k);
    return error_response(err, resp);
  }
  const bx_pack_format *f = side ? &d->packings[packing].b : &d->packings[packing].a;
  uint64_t size = bx_packed_size(f, mn, k);
  if (size > UINT32_MAX - 64) {
    snprintf(err, sizeof err, "PACK: the packed operand would take %llu bytes",
             (unsigned long long)size);
    return error_response(err, resp);
  }
  wbuf w = {0};
  w_u32(&w, BX_STATUS_OK);
  w_u32(&w, (uint32_t)size);
  uint8_t *dst = w_reserve(&w, (size_t)size);
  if (dst) bx_pack(f, (int)side, (const int8_t *)data, mn, k, dst);
  return finish(&w, resp);
}

/* ---- TILE / FRAME ---------------------------------------------------------------------- */

typedef struct exec_req {
  const uint8_t *name;
  uint32_t name_len, flags, m, n, nbuf, nops;
  uint32_t *buf_flags;
  bx_guarded *bufs;
  bx_wire_op *ops;
} exec_req;

static void exec_req_free(exec_req *q) {
  if (q->bufs)
    for (uint32_t i = 0; i < q->nbuf; i++) bx_guarded_free(&q->bufs[i]);
  free(q->bufs);
  free(q->buf_flags);
  free(q->ops);
}

static int parse_exec(rd *r, const char *what, exec_req *q) {
  if (rd_bytes(r, &q->name, &q->name_len, "kernel_name") || rd_u32(r, &q->flags, "flags") ||
      rd_u32(r, &q->m, "m") || rd_u32(r, &q->n, "n") || rd_u32(r, &q->nbuf, "nbuf"))
    return -1;
  if (q->flags & ~BX_FLAG_FORCE) return rd_fail(r, "%s: unknown flag bits 0x%x", what, q->flags);
  if (q->nbuf > MAX_BUFFERS) return rd_fail(r, "%s: %u buffers (at most %u)", what, q->nbuf, MAX_BUFFERS);
  q->bufs = calloc(q->nbuf ? q->nbuf : 1, sizeof *q->bufs);
  q->buf_flags = calloc(q->nbuf ? q->nbuf : 1, sizeof *q->buf_flags);
  if (!q->bufs || !q->buf_flags) return rd_fail(r, "%s: out of memory", what);
  for (uint32_t i = 0; i < q->nbuf; i++) {
    const uint8_t *data;
    uint32_t len;
    if (rd_u32(r, &q->buf_flags[i], "buffer flags") || rd_bytes(r, &data, &len, "buffer data"))
      return -1;
    if (q->buf_flags[i] & ~BX_BUF_RETURN)
      return rd_fail(r, "%s: buffer %u has unknown flag bits 0x%x", what, i, q->buf_flags[i]);
    if (bx_guarded_alloc(&q->bufs[i], len))
      return rd_fail(r, "%s: out of memory for buffer %u (%u bytes)", what, i, len);
    memcpy(q->bufs[i].data, data, len);
  }
  if (rd_u32(r, &q->nops, "nops")) return -1;
  if (q->nops > MAX_OPS) return rd_fail(r, "%s: %u ops (at most %u)", what, q->nops, MAX_OPS);
  q->ops = calloc(q->nops ? q->nops : 1, sizeof *q->ops);
  if (!q->ops) return rd_fail(r, "%s: out of memory", what);
  for (uint32_t i = 0; i < q->nops; i++) {
    bx_wire_op *op = &q->ops[i];
    if (rd_u32(r, &op->tag, "op tag")) return -1;
    for (int k = 0; k < 4; k++) {
      bx_word *wd = &op->w[k];
      if (rd_u32(r, &wd->kind, "word kind") || rd_u32(r, &wd->buf, "word buf") ||
          rd_i64(r, &wd->value, "word value"))
        return -1;
      if (wd->kind == BX_WORD_IMM) {
        if (wd->buf != 0)
          return rd_fail(r, "%s: op %u word %d: IMM word with buf = %u (must be 0)", what, i, k,
                         wd->buf);
      } else if (wd->kind == BX_WORD_PTR) {
        if (wd->buf >= q->nbuf)
          return rd_fail(r, "%s: op %u word %d: PTR to buffer %u, but there are %u buffers",
                         what, i, k, wd->buf, q->nbuf);
        if (wd->value < 0 || (uint64_t)wd->value > q->bufs[wd->buf].len)
          return rd_fail(r, "%s: op %u word %d: PTR offset %lld outside [0, %zu] of buffer %u",
                         what, i, k, (long long)wd->value, q->bufs[wd->buf].len, wd->buf);
      } else {
        return rd_fail(r, "%s: op %u word %d: unknown word kind %u", what, i, k, wd->kind);
      }
    }
  }
  return rd_end(r, what);
}

/* TILE: the ops verbatim (PTR words relocated), Done appended, one kernel call. */
static int run_tile(const bx_kernel_desc *d, exec_req *q, bx_scratch_list *s, bx_viol_list *v,
                    int64_t *rc, char *err) {
  const size_t chain_len = ((size_t)q->nops + 1) * sizeof(bx_fused_ker_spec);
  bx_fused_ker_spec *expect = calloc(q->nops + 1, sizeof *expect);
  uint32_t chain_id;
  bx_guarded *g = expect ? bx_scratch_new(s, chain_len, &chain_id) : NULL;
  if (!g) {
    free(expect);
    snprintf(err, ERR_LEN, "TILE: out of memory");
    return -1;
  }
  for (uint32_t i = 0; i < q->nops; i++) {
    expect[i].tag = q->ops[i].tag;
    for (int k = 0; k < 4; k++) {
      const bx_word *wd = &q->ops[i].w[k];
      expect[i].u.raw[k] = wd->kind == BX_WORD_PTR ? (uintptr_t)(q->bufs[wd->buf].data + wd->value)
                                                   : (uintptr_t)(uint64_t)wd->value;
    }
  }
  memcpy(g->data, expect, chain_len); /* expect[nops] is Done (zeroed) */
  *rc = (int64_t)d->kernel((const bx_fused_ker_spec *)g->data);
  /* The chain is const for the kernel: report every byte it changed. */
  const uint8_t *got = g->data, *exp = (const uint8_t *)expect;
  for (size_t b = 0; b < chain_len; b++)
    if (got[b] != exp[b]) bx_viol_add(v, BX_SCRATCH_FLAG | chain_id, (int64_t)b, exp[b], got[b]);
  free(expect);
  return 0;
}

static size_t do_exec(rd *r, int is_frame, uint8_t **resp) {
  const char *what = is_frame ? "FRAME" : "TILE";
  exec_req q = {0};
  bx_scratch_list scratch = {0};
  bx_viol_list viol = {0};
  char err[ERR_LEN];
  size_t out;
  if (parse_exec(r, what, &q)) {
    out = error_response(r->err, resp);
    goto done;
  }
  const bx_kernel_desc *d = kernel_by_name(q.name, q.name_len, err);
  if (!d) {
    out = error_response(err, resp);
    goto done;
  }
  char why[256];
  if (!(q.flags & BX_FLAG_FORCE) && !bx_desc_runnable(d, why, sizeof why)) {
    snprintf(err, sizeof err, "kernel %s is not supported here: %s (FORCE runs it anyway)",
             d->name, why);
    out = error_response(err, resp);
    goto done;
  }
  int64_t rc = 0;
  int32_t refused = -1;
  int failed = is_frame ? bx_frame_run(d, q.m, q.n, q.ops, q.nops, q.bufs, q.nbuf, &scratch, &viol,
                                       &rc, &refused, err, sizeof err)
                        : run_tile(d, &q, &scratch, &viol, &rc, err);
  if (failed) {
    out = error_response(err, resp);
    goto done;
  }
  for (uint32_t i = 0; i < q.nbuf; i++) bx_guarded_check(&q.bufs[i], i, &viol);
  for (size_t i = 0; i < scratch.count; i++)
    bx_guarded_check(&scratch.items[i], BX_SCRATCH_FLAG | (uint32_t)i, &viol);
  wbuf w = {0};
  w_u32(&w, BX_STATUS_OK);
  w_u64(&w, (uint64_t)rc);
  w_u32(&w, (uint32_t)refused);
  w_u32(&w, (uint32_t)viol.count);
  for (size_t i = 0; i < viol.count; i++) {
    const bx_violation *x = &viol.items[i];
    w_u32(&w, x->buf);
    w_u64(&w, (uint64_t)x->offset);
    uint8_t eg[2] = {x->expected, x->got};
    w_bytes(&w, eg, 2);
  }
  w_u32(&w, q.nbuf);
  for (uint32_t i = 0; i < q.nbuf; i++) {
    int ret = q.buf_flags[i] & BX_BUF_RETURN;
    w_u32(&w, ret ? (uint32_t)q.bufs[i].len : 0);
    if (ret) w_bytes(&w, q.bufs[i].data, q.bufs[i].len);
  }
  if (viol.oom) w.oom = 1;
  out = finish(&w, resp);
done:
  exec_req_free(&q);
  bx_scratch_free(&scratch);
  bx_viol_free(&viol);
  return out;
}

/* ---- entry point ----------------------------------------------------------------------- */

size_t bx_exec(const uint8_t *req, size_t req_len, uint8_t **resp) {
  char err[ERR_LEN];
  rd r = {req, req ? req_len : 0, 0, err, 0};
  uint32_t type;
  *resp = NULL;
  if (rd_u32(&r, &type, "request type")) return error_response(err, resp);
  switch (type) {
  case BX_REQ_LIST: return do_list(&r, resp);
  case BX_REQ_TILE: return do_exec(&r, 0, resp);
  case BX_REQ_FRAME: return do_exec(&r, 1, resp);
  case BX_REQ_PACK: return do_pack(&r, resp);
  case BX_REQ_LOAD_LIB: return do_load_lib(&r, resp);
  case BX_REQ_PING: return do_ping(&r, resp);
  default:
    snprintf(err, sizeof err, "unknown request type %u (1 LIST, 2 TILE, 3 FRAME, 4 PACK, "
                              "5 LOAD_LIB, 6 PING)", type);
    return error_response(err, resp);
  }
}
