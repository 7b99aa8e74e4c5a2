/*
 * The wire codec (wire.h): reader, writer and response encoders of native/PROTOCOL.md.
 */
#include "wire.h"

#include "registry.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reader ----------------------------------------------------------------------------- */

int bx_rd_fail(bx_reader *r, const char *fmt, ...) {
  if (r->failed) return -1;
  r->failed = 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err, BX_ERR_LEN, fmt, ap);
  va_end(ap);
  return -1;
}

static int rd_need(bx_reader *r, size_t n, const char *what) {
  if (r->failed) return -1;
  if (r->len - r->pos < n)
    return bx_rd_fail(r, "truncated request: %s needs %zu bytes at offset %zu, %zu left", what, n,
                      r->pos, r->len - r->pos);
  return 0;
}

int bx_rd_u32(bx_reader *r, uint32_t *v, const char *what) {
  if (rd_need(r, 4, what)) return -1;
  const uint8_t *b = r->p + r->pos;
  *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  r->pos += 4;
  return 0;
}

int bx_rd_i64(bx_reader *r, int64_t *v, const char *what) {
  uint32_t lo, hi;
  if (bx_rd_u32(r, &lo, what) || bx_rd_u32(r, &hi, what)) return -1;
  uint64_t u = (uint64_t)hi << 32 | lo;
  memcpy(v, &u, sizeof u); /* two's complement reinterpretation, no conversion */
  return 0;
}

int bx_rd_bytes(bx_reader *r, const uint8_t **s, uint32_t *n, const char *what) {
  if (bx_rd_u32(r, n, what) || rd_need(r, *n, what)) return -1;
  *s = r->p + r->pos;
  r->pos += *n;
  return 0;
}

int bx_rd_end(bx_reader *r, const char *req) {
  if (r->failed) return -1;
  if (r->pos != r->len)
    return bx_rd_fail(r, "%s request has %zu trailing bytes after its body", req, r->len - r->pos);
  return 0;
}

/* ---- writer ----------------------------------------------------------------------------- */

uint8_t *bx_w_reserve(bx_writer *w, size_t n) {
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

void bx_w_bytes(bx_writer *w, const void *src, size_t n) {
  uint8_t *at = bx_w_reserve(w, n);
  if (at && n) memcpy(at, src, n);
}

/* Little-endian encoders (the hosts we build for are little-endian, but be explicit). */
void bx_w_u32(bx_writer *w, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  bx_w_bytes(w, b, 4);
}

void bx_w_u64(bx_writer *w, uint64_t v) {
  bx_w_u32(w, (uint32_t)v);
  bx_w_u32(w, (uint32_t)(v >> 32));
}

void bx_w_str(bx_writer *w, const char *s, size_t n) {
  bx_w_u32(w, (uint32_t)n);
  bx_w_bytes(w, s, n);
}

static void w_cstr(bx_writer *w, const char *s) { bx_w_bytes(w, s, strlen(s)); }

static void w_fmt(bx_writer *w, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) bx_w_bytes(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void w_json_str(bx_writer *w, const char *s) {
  bx_w_bytes(w, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      uint8_t e[2] = {'\\', *p};
      bx_w_bytes(w, e, 2);
    } else if (*p < 0x20 || *p == 0x7f) {
      w_fmt(w, "\\u%04x", *p);
    } else {
      bx_w_bytes(w, p, 1);
    }
  }
  bx_w_bytes(w, "\"", 1);
}

/* ---- responses -------------------------------------------------------------------------- */

size_t bx_resp_finish(bx_writer *w, uint8_t **resp) {
  if (w->oom || w->len > UINT32_MAX) {
    free(w->p);
    *resp = NULL;
    static const char msg[] = "out of memory or response above 4 GiB while encoding the response";
    bx_writer e = {0};
    bx_w_u32(&e, BX_STATUS_ERROR);
    bx_w_str(&e, msg, sizeof msg - 1);
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

size_t bx_resp_error(const char *msg, uint8_t **resp) {
  bx_writer w = {0};
  bx_w_u32(&w, BX_STATUS_ERROR);
  bx_w_str(&w, msg, strlen(msg));
  return bx_resp_finish(&w, resp);
}

size_t bx_resp_ok(uint8_t **resp) {
  bx_writer w = {0};
  bx_w_u32(&w, BX_STATUS_OK);
  return bx_resp_finish(&w, resp);
}

static void json_format(bx_writer *w, const bx_pack_format *f) {
  w_fmt(w, "{\"kind\":\"%s\",\"r\":%u,\"align\":%u,\"end_padding_record\":%u}",
        f->kind == BX_PACK_I8K4 ? "packed_i8k4" : "packed_format", f->r, f->align,
        f->end_padding_record);
}

void bx_json_desc(bx_writer *w, const bx_kernel_desc *d, int packings_valid, int runnable,
                  const char *why) {
  w_cstr(w, "{\"name\":");
  w_json_str(w, d->name);
  w_cstr(w, ",\"isa\":");
  w_json_str(w, d->isa ? d->isa : "");
  w_fmt(w, ",\"mr\":%u,\"nr\":%u,\"packings\":[", d->mr, d->nr);
  /* An invalid descriptor's packings table may be bogus: do not read it. */
  for (uint32_t p = 0; packings_valid && p < d->n_packings; p++) {
    if (p) w_cstr(w, ",");
    w_cstr(w, "{\"a\":");
    json_format(w, &d->packings[p].a);
    w_cstr(w, ",\"b\":");
    json_format(w, &d->packings[p].b);
    w_fmt(w, ",\"k_alignment\":%u}", d->packings[p].k_alignment);
  }
  w_cstr(w, "],\"packing_ids\":[");
  for (uint32_t p = 0; packings_valid && p < d->n_packings; p++)
    w_fmt(w, p ? ",%u" : "%u", bx_desc_packing_id(d, p));
  w_cstr(w, "],\"supported_ops\":[");
  int first = 1;
  for (unsigned t = 0; t < 64; t++)
    if (d->supported_ops & (UINT64_C(1) << t)) {
      w_fmt(w, first ? "%u" : ",%u", t);
      first = 0;
    }
  w_cstr(w, "]");
  const bx_contract *c = packings_valid ? bx_desc_contract(d) : NULL;
  if (c) {
    char buf[2048];
    if (bx_contract_json(c, buf, sizeof buf) < sizeof buf) {
      w_cstr(w, ",\"contract\":");
      w_cstr(w, buf);
    }
  }
  w_fmt(w, ",\"runnable\":%s,\"why\":", runnable ? "true" : "false");
  w_json_str(w, why);
  w_cstr(w, "}");
}

size_t bx_resp_json(bx_writer *json, uint8_t **resp) {
  bx_writer w = {0};
  bx_w_u32(&w, BX_STATUS_OK);
  if (json->oom) w.oom = 1;
  else bx_w_str(&w, (const char *)json->p, json->len);
  free(json->p);
  json->p = NULL;
  return bx_resp_finish(&w, resp);
}

uint8_t *bx_resp_packed(bx_writer *w, uint32_t len) {
  bx_w_u32(w, BX_STATUS_OK);
  bx_w_u32(w, len);
  return bx_w_reserve(w, len);
}

/* The abi record: the first checked call that broke the convention and what it broke. */
static void w_abi(bx_writer *w, const bx_abi_log *abi) {
  bx_abi_item items[BX_ABI_MAX_ITEMS];
  const size_t n = abi->first < 0 ? 0 : bx_abi_items(&abi->rep, items);
  bx_w_u32(w, (uint32_t)abi->first);
  bx_w_u32(w, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    bx_w_str(w, items[i].what, strlen(items[i].what));
    bx_w_u64(w, items[i].expected);
    bx_w_u64(w, items[i].got);
  }
}

size_t bx_resp_run(int64_t rc, int32_t refused_op, const bx_viol_list *viol,
                   const bx_guarded *bufs, const uint32_t *buf_flags, uint32_t nbuf,
                   const bx_abi_log *abi, const bx_fault *fault, const bx_writer *trace,
                   uint8_t **resp) {
  bx_writer w = {0};
  bx_w_u32(&w, BX_STATUS_OK);
  bx_w_u64(&w, (uint64_t)rc);
  bx_w_u32(&w, (uint32_t)refused_op);
  bx_w_u32(&w, (uint32_t)viol->count);
  for (size_t i = 0; i < viol->count; i++) {
    const bx_violation *x = &viol->items[i];
    bx_w_u32(&w, x->buf);
    bx_w_u64(&w, (uint64_t)x->offset);
    uint8_t eg[2] = {x->expected, x->got};
    bx_w_bytes(&w, eg, 2);
  }
  bx_w_u32(&w, nbuf);
  for (uint32_t i = 0; i < nbuf; i++) {
    int ret = buf_flags[i] & BX_BUF_RETURN;
    bx_w_u32(&w, ret ? (uint32_t)bufs[i].len : 0);
    if (ret) bx_w_bytes(&w, bufs[i].data, bufs[i].len);
  }
  w_abi(&w, abi);
  bx_w_u32(&w, fault->hit);
  if (fault->hit) {
    bx_w_u32(&w, fault->buf);
    bx_w_u64(&w, (uint64_t)fault->offset);
    bx_w_u64(&w, fault->len);
    bx_w_u32(&w, fault->access);
    bx_w_u32(&w, (uint32_t)fault->ti);
    bx_w_u32(&w, (uint32_t)fault->tj);
  }
  if (trace) {
    bx_w_bytes(&w, trace->p, trace->len);
    if (trace->oom) w.oom = 1;
  }
  if (viol->oom) w.oom = 1;
  return bx_resp_finish(&w, resp);
}
