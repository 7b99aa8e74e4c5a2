/*
 * bx_exec: one request of native/PROTOCOL.md in three steps, kept apart so that another
 * executor (a native aarch64 host, a remote device) can reuse the first and the last:
 *
 *   parse    request.c: the request checked and decoded, buffers placed in guarded memory
 *   run      here: the kernel looked up in the registry and called (TILE), or the frame
 *            (frame.c), the packer (pack.c), the registry (LIST, LOAD_LIB)
 *   respond  guard.c checks every canary, wire.c encodes the response
 */
#include "exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi_call.h"
#include "bitexact/kernel.h"
#include "fault.h"
#include "frame.h"
#include "guard.h"
#include "pack.h"
#include "registry.h"
#include "request.h"
#include "wire.h"

/* ---- LIST / LOAD_LIB ------------------------------------------------------------------- */

/* The descriptors of registry entries [first, first + count), as LIST answers them. */
static size_t descs_response(size_t first, size_t count, uint8_t **resp) {
  bx_writer j = {0};
  bx_w_bytes(&j, "[", 1);
  for (size_t i = 0; i < count; i++) {
    const bx_reg_entry *e = bx_registry_get(first + i);
    char why[256];
    int runnable = 0;
    if (e->invalid) {
      snprintf(why, sizeof why, "invalid descriptor: %s", e->invalid);
    } else {
      runnable = bx_desc_runnable(e->desc, why, sizeof why);
      if (runnable) why[0] = 0;
    }
    if (i) bx_w_bytes(&j, ",", 1);
    bx_json_desc(&j, e->desc, !e->invalid, runnable, why);
  }
  bx_w_bytes(&j, "]", 1);
  return bx_resp_json(&j, resp);
}

static size_t run_load_lib(const char *path, uint8_t **resp) {
  char err[BX_ERR_LEN];
  size_t first, count;
  if (bx_registry_load_lib(path, &first, &count, err, sizeof err)) return bx_resp_error(err, resp);
  return descs_response(first, count, resp);
}

/* Looks up a kernel by name; NULL with a message when unknown or unusable. */
static const bx_kernel_desc *kernel_by_name(const uint8_t *name, uint32_t n, char *err) {
  const bx_reg_entry *e = bx_registry_find((const char *)name, n);
  if (!e) {
    snprintf(err, BX_ERR_LEN, "unknown kernel '%.*s' (LIST shows the registered ones)",
             (int)(n > 200 ? 200 : n), (const char *)name);
    return NULL;
  }
  if (e->invalid) {
    snprintf(err, BX_ERR_LEN, "kernel %s has an invalid descriptor: %s", e->desc->name, e->invalid);
    return NULL;
  }
  return e->desc;
}

/* ---- PACK ------------------------------------------------------------------------------ */

static size_t run_pack(const bx_pack_req *q, uint8_t **resp) {
  char err[BX_ERR_LEN];
  const bx_kernel_desc *d = kernel_by_name(q->name, q->name_len, err);
  if (!d) return bx_resp_error(err, resp);
  if (q->packing >= d->n_packings) {
    snprintf(err, sizeof err, "PACK: packing %u: kernel %s declares %u packing(s)", q->packing,
             d->name, d->n_packings);
    return bx_resp_error(err, resp);
  }
  if (q->side > 1) return bx_resp_error("PACK: side must be 0 (A) or 1 (B)", resp);
  if ((uint64_t)q->mn * q->k != q->len) {
    snprintf(err, sizeof err, "PACK: data has %u bytes, mn x k = %u x %u needs %llu", q->len,
             q->mn, q->k, (unsigned long long)q->mn * q->k);
    return bx_resp_error(err, resp);
  }
  const bx_pack_format *f = q->side ? &d->packings[q->packing].b : &d->packings[q->packing].a;
  uint64_t size = bx_packed_size(f, q->mn, q->k);
  if (size > UINT32_MAX - 64) {
    snprintf(err, sizeof err, "PACK: the packed operand would take %llu bytes",
             (unsigned long long)size);
    return bx_resp_error(err, resp);
  }
  bx_writer w = {0};
  uint8_t *dst = bx_resp_packed(&w, (uint32_t)size);
  if (dst) bx_pack(f, (int)q->side, (const int8_t *)q->data, q->mn, q->k, dst);
  return bx_resp_finish(&w, resp);
}

/* ---- TILE / FRAME ---------------------------------------------------------------------- */

/* The chain of a TILE call whose request buffer i is at base[i]: the ops with their PTR words
 * relocated, then Done (e[nops], zeroed). */
static void tile_chain(bx_fused_ker_spec *e, const bx_exec_req *q, uint8_t *const *base) {
  for (uint32_t i = 0; i < q->nops; i++) {
    e[i].tag = (uintptr_t)q->ops[i].tag;
    for (int k = 0; k < 4; k++) {
      const bx_word *wd = &q->ops[i].w[k];
      e[i].u.raw[k] = wd->kind == BX_WORD_PTR ? (uintptr_t)(base[wd->buf] + wd->value)
                                              : (uintptr_t)(uint64_t)wd->value;
    }
  }
}

/* TILE: the ops verbatim (PTR words relocated), Done appended, one kernel call (two with PRIOR). */
static int run_tile(const bx_kernel_desc *d, const bx_exec_req *q, bx_scratch_list *s,
                    bx_viol_list *v, bx_abi_log *abi, int64_t *rc, bx_fault *fault,
                    bx_writer *first, char *err) {
  const size_t chain_len = ((size_t)q->nops + 1) * sizeof(bx_fused_ker_spec);
  const int moved = (q->flags & BX_FLAG_MOVED) != 0;
  bx_fused_ker_spec *expect = calloc(q->nops + 1, sizeof *expect);
  uint8_t **base = calloc(q->nbuf ? q->nbuf : 1, sizeof *base);
  uint32_t chain_id = 0, copy0 = 0, moved_chain = 0, id;
  int ok = expect && base && bx_scratch_new(s, chain_len, &chain_id);
  /* MOVED: the earlier call's copies of the buffers (scratch ids copy0 + i) and its chain */
  for (uint32_t i = 0; ok && moved && i < q->nbuf; i++) {
    ok = bx_scratch_new(s, q->bufs[i].len, &id) != NULL;
    if (i == 0) copy0 = id;
  }
  if (ok && moved) ok = bx_scratch_new(s, chain_len, &moved_chain) != NULL;
  if (!ok) {
    free(expect);
    free(base);
    snprintf(err, BX_ERR_LEN, "TILE: out of memory");
    return -1;
  }
  const bx_fault_scope scope = {q->bufs, q->nbuf, s};
  /* PRIOR: the earlier call on the prior contents first, at the same buffer and chain
   * addresses (MOVED: in copies of the buffers and a chain at other addresses); then every
   * buffer is rewritten with its own contents for the judged call. A fault in the earlier call
   * is the answer (the judged call does not run). */
  for (int call = q->prior ? 0 : 1; call < 2; call++) {
    const int away = moved && !call;
    const uint8_t *const *src = call ? q->data : q->prior;
    for (uint32_t i = 0; i < q->nbuf; i++) {
      bx_guarded *b = away ? &s->items[copy0 + i] : &q->bufs[i];
      if (q->prior) memcpy(b->data, src[i], b->len);
      base[i] = b->data;
    }
    const uint32_t cid = away ? moved_chain : chain_id;
    bx_guarded *g = &s->items[cid];
    tile_chain(expect, q, base);
    memcpy(g->data, expect, chain_len); /* expect[nops] is Done (zeroed) */
    intptr_t r = 0;
    bx_fault_call(&scope, abi, d->kernel, (const bx_fused_ker_spec *)g->data, &r, fault);
    *rc = (int64_t)r;
    /* The chain is const for the kernel: report every byte it changed. */
    const uint8_t *got = g->data, *exp = (const uint8_t *)expect;
    for (size_t b = 0; b < chain_len; b++)
      if (got[b] != exp[b]) bx_viol_add(v, BX_SCRATCH_FLAG | cid, (int64_t)b, exp[b], got[b]);
    if (!call) /* PRIOR: the earlier call's buffers, as the response returns buffers */
      for (uint32_t i = 0; i < q->nbuf; i++) {
        int ret = q->buf_flags[i] & BX_BUF_RETURN;
        bx_w_u32(first, ret ? (uint32_t)q->bufs[i].len : 0);
        if (ret) bx_w_bytes(first, base[i], q->bufs[i].len);
      }
    if (fault->hit) break;
    /* MOVED: other bytes at the earlier addresses, so that a read through a pointer kept from
     * the earlier call sees other values than the judged call's own */
    if (away)
      for (uint32_t i = 0; i < q->nbuf; i++)
        for (size_t j = 0; j < q->bufs[i].len; j++) base[i][j] = (uint8_t)~base[i][j];
  }
  free(expect);
  free(base);
  return 0;
}

static size_t run_exec(bx_exec_req *q, int is_frame, uint8_t **resp) {
  char err[BX_ERR_LEN];
  const bx_kernel_desc *d = kernel_by_name(q->name, q->name_len, err);
  if (!d) return bx_resp_error(err, resp);
  char why[256];
  if (!(q->flags & BX_FLAG_FORCE) && !bx_desc_runnable(d, why, sizeof why)) {
    snprintf(err, sizeof err, "kernel %s is not supported here: %s (FORCE runs it anyway)",
             d->name, why);
    return bx_resp_error(err, resp);
  }
  bx_scratch_list scratch = {0};
  scratch.start = (q->flags & BX_FLAG_GUARD_START) != 0;
  bx_viol_list viol = {0};
  bx_fault fault = BX_FAULT_NONE;
  int64_t rc = 0;
  int32_t refused = -1;
  /* the trace record (FRAME), or the earlier call's buffers (TILE with PRIOR): last in the response */
  bx_writer trace = {0}, *tr = q->flags & (BX_FLAG_TRACE | BX_FLAG_PRIOR) ? &trace : NULL;
  bx_abi_log abi = BX_ABI_LOG_INIT;
  int failed = is_frame ? bx_frame_run(d, q->m, q->n, q->ops, q->nops, q->bufs, q->nbuf, &scratch,
                                       &viol, &abi, tr, &rc, &refused, &fault, err, sizeof err)
                        : run_tile(d, q, &scratch, &viol, &abi, &rc, &fault, &trace, err);
  bx_fault_disarm();
  size_t out;
  if (failed) {
    out = bx_resp_error(err, resp);
  } else {
    bx_guards_check(q->bufs, q->nbuf, &scratch, &viol);
    out = bx_resp_run(rc, refused, &viol, q->bufs, q->buf_flags, q->nbuf, &abi, &fault, tr, resp);
  }
  free(trace.p);
  bx_scratch_free(&scratch);
  bx_viol_free(&viol);
  return out;
}

/* ---- entry point ----------------------------------------------------------------------- */

size_t bx_exec(const uint8_t *req, size_t req_len, uint8_t **resp) {
  char err[BX_ERR_LEN];
  bx_request q;
  *resp = NULL;
  if (bx_request_parse(req, req_len, &q, err)) return bx_resp_error(err, resp);
  size_t out = 0;
  switch (q.type) {
  case BX_REQ_LIST: out = descs_response(0, bx_registry_count(), resp); break;
  case BX_REQ_PING: out = bx_resp_ok(resp); break;
  case BX_REQ_LOAD_LIB: out = run_load_lib(q.path, resp); break;
  case BX_REQ_PACK: out = run_pack(&q.pack, resp); break;
  case BX_REQ_TILE: out = run_exec(&q.exec, 0, resp); break;
  case BX_REQ_FRAME: out = run_exec(&q.exec, 1, resp); break;
  }
  bx_request_free(&q);
  return out;
}
