#include "frame.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"
#include "registry.h"

/* Strides beyond +-2^40 cannot address anything inside a <= 4 GiB buffer for m, n > 1, and the
 * bound keeps (m - 1) * stride (m <= 2^20) far inside int64. */
#define BX_MAX_STRIDE (INT64_C(1) << 40)
/* A (m x k bytes) must fit in a < 4 GiB request buffer, so a larger k is never meaningful; the
 * bound keeps the packed sizes (r * (k + padding)) far inside 64 bits. */
#define BX_MAX_K (UINT64_C(1) << 31)
#define NO_SCRATCH UINT32_MAX

const char *bx_op_name(uint32_t tag) {
  const char *name = bx_op_tag_name(tag);
  return name ? name : "unknown";
}

/* Matrix-level op, resolved once before any kernel runs. */
typedef struct fop {
  uint32_t tag;
  uint64_t raw[4]; /* IMM words verbatim (unused payload garbage reaches the kernel) */
  uint8_t *p0, *p1; /* resolved PTR words: vector(s) / matrix element (0, 0) / logical A, B */
  int64_t rs, cs;   /* AddUnicast / Store byte strides */
  size_t item;      /* AddUnicast / Store item size */
  uint64_t pa_panel, pb_panel; /* AddMatMul panel lengths */
  uint32_t pk;      /* AddMatMul: position in packings of the kernel's packing index raw[3] */
  uint32_t s0, s1;  /* scratch ids: border vectors / tile, or packed A, B; NO_SCRATCH if none */
} fop;

typedef struct ctx {
  const bx_kernel_desc *kd;
  uint32_t m, n;
  bx_guarded *bufs;
  size_t nbuf;
  char *err;
  size_t errlen;
} ctx;

/* Formats "FRAME op i (name): ..." into the error buffer. */
static int failop(ctx *c, size_t i, uint32_t tag, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(c->err, c->errlen, "FRAME op %zu (%s): %s", i, bx_op_name(tag), msg);
  return -1;
}

static int want_imm(ctx *c, size_t i, const bx_wire_op *op, int w) {
  if (op->w[w].kind != BX_WORD_IMM)
    return failop(c, i, op->tag, "word %d must be IMM at frame level", w);
  return 0;
}

/* A PTR word addressing `need` bytes from its offset. */
static int want_ptr(ctx *c, size_t i, const bx_wire_op *op, int w, uint64_t need, uint8_t **out) {
  const bx_word *wd = &op->w[w];
  if (wd->kind != BX_WORD_PTR) return failop(c, i, op->tag, "word %d must be PTR", w);
  const bx_guarded *b = &c->bufs[wd->buf]; /* buf index and offset range checked by the parser */
  if ((uint64_t)wd->value + need > b->len)
    return failop(c, i, op->tag,
                  "word %d needs %llu bytes from offset %lld but buffer %u has %zu bytes", w,
                  (unsigned long long)need, (long long)wd->value, wd->buf, b->len);
  *out = b->data + wd->value;
  return 0;
}

/* AddUnicast / Store operand: PTR base of element (0, 0), IMM strides, IMM item size; every
 * one of the m x n elements must lie inside the buffer. */
static int want_matrix(ctx *c, size_t i, const bx_wire_op *op, fop *f, int is_store) {
  if (want_imm(c, i, op, 1) || want_imm(c, i, op, 2) || want_imm(c, i, op, 3)) return -1;
  uint64_t item = (uint64_t)op->w[3].value;
  if (is_store ? !(item == 1 || item == 2 || item == 4) : !(item == 1 || item == 4))
    return failop(c, i, op->tag, "item_size %llu is not one of %s", (unsigned long long)item,
                  is_store ? "1, 2, 4" : "1, 4");
  int64_t rs = op->w[1].value, cs = op->w[2].value;
  if (rs > BX_MAX_STRIDE || rs < -BX_MAX_STRIDE || cs > BX_MAX_STRIDE || cs < -BX_MAX_STRIDE)
    return failop(c, i, op->tag, "stride beyond +-2^40 (row %lld, col %lld)", (long long)rs,
                  (long long)cs);
  if (op->w[0].kind != BX_WORD_PTR) return failop(c, i, op->tag, "word 0 must be PTR");
  const bx_guarded *b = &c->bufs[op->w[0].buf];
  int64_t base = op->w[0].value;
  int64_t dr = (int64_t)(c->m - 1) * rs, dc = (int64_t)(c->n - 1) * cs;
  int64_t lo = base + (dr < 0 ? dr : 0) + (dc < 0 ? dc : 0);
  int64_t hi = base + (dr > 0 ? dr : 0) + (dc > 0 ? dc : 0) + (int64_t)item;
  if (lo < 0 || hi > (int64_t)b->len)
    return failop(c, i, op->tag,
                  "the %u x %u elements span bytes [%lld, %lld) of buffer %u, which has %zu",
                  c->m, c->n, (long long)lo, (long long)hi, op->w[0].buf, b->len);
  f->p0 = b->data + base;
  f->rs = rs;
  f->cs = cs;
  f->item = (size_t)item;
  return 0;
}

static int new_scratch(ctx *c, bx_scratch_list *s, size_t len, uint32_t *id) {
  if (!bx_scratch_new(s, len, id)) {
    snprintf(c->err, c->errlen, "FRAME: out of memory allocating %zu scratch bytes", len);
    return -1;
  }
  return 0;
}

/* Pass 1: check every op and resolve its operands; allocates nothing. */
static int resolve(ctx *c, const bx_wire_op *ops, size_t nops, fop *f) {
  const bx_kernel_desc *kd = c->kd;
  for (size_t i = 0; i < nops; i++) {
    const bx_wire_op *op = &ops[i];
    /* the wire tag is a u64: an unknown one is refused before it is narrowed */
    if (op->tag >= BX_OP_COUNT)
      return failop(c, i, UINT32_MAX, "unknown tag %llu", (unsigned long long)op->tag);
    const uint32_t t = (uint32_t)op->tag;
    fop *o = &f[i];
    memset(o, 0, sizeof *o);
    o->tag = t;
    o->s0 = o->s1 = NO_SCRATCH;
    for (int w = 0; w < 4; w++) o->raw[w] = (uint64_t)op->w[w].value;
    /* used[w]: the word is interpreted by the frame; the others must be IMM and are passed
     * verbatim into the kernel entry. */
    int used[4] = {0, 0, 0, 0};
    if (t == BX_DONE) return failop(c, i, t, "Done is appended by the executor, do not send it");
    if (t == BX_LOAD_TILE) return failop(c, i, t, "load_tile is a tile-level op only");
    if (t >= BX_PER_ROW_MIN && t <= BX_PER_ROW_SUBF) {
      if (want_ptr(c, i, op, 0, (uint64_t)c->m * 4, &o->p0)) return -1;
      used[0] = 1;
    } else if (t >= BX_PER_COL_MIN && t <= BX_PER_COL_SUBF) {
      if (want_ptr(c, i, op, 0, (uint64_t)c->n * 4, &o->p0)) return -1;
      used[0] = 1;
    } else if (t == BX_ADD_ROW_COL_PRODUCTS) {
      if (want_ptr(c, i, op, 0, (uint64_t)c->m * 4, &o->p0) ||
          want_ptr(c, i, op, 1, (uint64_t)c->n * 4, &o->p1))
        return -1;
      used[0] = used[1] = 1;
    } else if (t == BX_ADD_UNICAST || t == BX_STORE) {
      if (want_matrix(c, i, op, o, t == BX_STORE)) return -1;
      used[0] = used[1] = used[2] = used[3] = 1;
    } else if (t == BX_ADD_MAT_MUL) {
      if (want_imm(c, i, op, 0) || want_imm(c, i, op, 3)) return -1;
      uint64_t k = o->raw[0];
      if (k > BX_MAX_K) return failop(c, i, t, "k = %llu is above 2^31", (unsigned long long)k);
      /* the word is the kernel's own packing index; it reaches the kernel verbatim */
      int64_t pos = bx_desc_packing_pos(kd, o->raw[3]);
      if (pos < 0)
        return failop(c, i, t, "packing %llu: kernel %s declares %u packing(s), none with this index",
                      (unsigned long long)o->raw[3], kd->name, kd->n_packings);
      const uint32_t p = o->pk = (uint32_t)pos;
      if (want_ptr(c, i, op, 1, (uint64_t)c->m * k, &o->p0) ||
          want_ptr(c, i, op, 2, k * c->n, &o->p1))
        return -1;
      o->pa_panel = bx_pack_panel_len(&kd->packings[p].a, k);
      o->pb_panel = bx_pack_panel_len(&kd->packings[p].b, k);
      uint64_t sa = bx_packed_size(&kd->packings[p].a, c->m, k);
      uint64_t sb = bx_packed_size(&kd->packings[p].b, c->n, k);
      if (sa > (UINT64_C(1) << 34) || sb > (UINT64_C(1) << 34))
        return failop(c, i, t, "packed operands would take %llu + %llu bytes",
                      (unsigned long long)sa, (unsigned long long)sb);
      used[0] = used[1] = used[2] = used[3] = 1;
    }
    for (int w = 0; w < 4; w++)
      if (!used[w] && want_imm(c, i, op, w)) return -1;
  }
  return 0;
}

/* Pass 2 (after the support check): pack operands, allocate border scratch. */
static int prepare(ctx *c, fop *f, size_t nops, bx_scratch_list *s) {
  const bx_kernel_desc *kd = c->kd;
  const size_t mr = kd->mr, nr = kd->nr;
  const int border = c->m % mr != 0 || c->n % nr != 0;
  for (size_t i = 0; i < nops; i++) {
    fop *o = &f[i];
    uint32_t t = o->tag;
    if (t >= BX_PER_ROW_MIN && t <= BX_PER_ROW_SUBF) {
      if (border && new_scratch(c, s, mr * 4, &o->s0)) return -1;
    } else if (t >= BX_PER_COL_MIN && t <= BX_PER_COL_SUBF) {
      if (border && new_scratch(c, s, nr * 4, &o->s0)) return -1;
    } else if (t == BX_ADD_ROW_COL_PRODUCTS) {
      if (border && (new_scratch(c, s, mr * 4, &o->s0) || new_scratch(c, s, nr * 4, &o->s1)))
        return -1;
    } else if (t == BX_ADD_UNICAST || t == BX_STORE) {
      if (border && new_scratch(c, s, mr * nr * o->item, &o->s0)) return -1;
    } else if (t == BX_ADD_MAT_MUL) {
      const bx_packing *pk = &kd->packings[o->pk];
      const uint64_t k = o->raw[0];
      const int8_t *a = (const int8_t *)o->p0, *b = (const int8_t *)o->p1;
      if (new_scratch(c, s, (size_t)bx_packed_size(&pk->a, c->m, k), &o->s0)) return -1;
      bx_pack(&pk->a, BX_SIDE_A, a, c->m, (size_t)k, s->items[o->s0].data);
      if (new_scratch(c, s, (size_t)bx_packed_size(&pk->b, c->n, k), &o->s1)) return -1;
      bx_pack(&pk->b, BX_SIDE_B, b, c->n, (size_t)k, s->items[o->s1].data);
    }
  }
  return 0;
}

static inline uint8_t *elem(uint8_t *base, int64_t rs, int64_t cs, size_t i, size_t j) {
  return base + ((int64_t)i * rs + (int64_t)j * cs);
}

/* Fills entry e of the chain for tile (row0, col0) of size h x w. */
static void tile_entry(const ctx *c, const fop *o, bx_scratch_list *s, size_t row0, size_t col0,
                       size_t h, size_t w, size_t ti, size_t tj, bx_fused_ker_spec *e) {
  const size_t mr = c->kd->mr, nr = c->kd->nr;
  const int full = h == mr && w == nr;
  const uint32_t t = o->tag;
  e->tag = t;
  for (int k = 0; k < 4; k++) e->u.raw[k] = (uintptr_t)o->raw[k];
  if (t >= BX_PER_ROW_MIN && t <= BX_PER_ROW_SUBF) {
    uint8_t *src = o->p0 + row0 * 4;
    if (!full) { /* h valid values, zero padding up to mr */
      uint8_t *d = s->items[o->s0].data;
      memset(d, 0, mr * 4);
      memcpy(d, src, h * 4);
      src = d;
    }
    e->u.raw[0] = (uintptr_t)src;
  } else if (t >= BX_PER_COL_MIN && t <= BX_PER_COL_SUBF) {
    uint8_t *src = o->p0 + col0 * 4;
    if (!full) {
      uint8_t *d = s->items[o->s0].data;
      memset(d, 0, nr * 4);
      memcpy(d, src, w * 4);
      src = d;
    }
    e->u.raw[0] = (uintptr_t)src;
  } else if (t == BX_ADD_ROW_COL_PRODUCTS) {
    uint8_t *rows = o->p0 + row0 * 4, *cols = o->p1 + col0 * 4;
    if (!full) {
      uint8_t *dr = s->items[o->s0].data, *dc = s->items[o->s1].data;
      memset(dr, 0, mr * 4);
      memcpy(dr, rows, h * 4);
      memset(dc, 0, nr * 4);
      memcpy(dc, cols, w * 4);
      rows = dr;
      cols = dc;
    }
    e->u.raw[0] = (uintptr_t)rows;
    e->u.raw[1] = (uintptr_t)cols;
  } else if (t == BX_ADD_UNICAST || t == BX_STORE) {
    if (full) {
      e->u.store.ptr = elem(o->p0, o->rs, o->cs, row0, col0);
      e->u.store.row_byte_stride = (intptr_t)o->rs;
      e->u.store.col_byte_stride = (intptr_t)o->cs;
    } else {
      /* A row-major mr x nr scratch tile of the operand's own item size (an i8 AddUnicast
       * stays i8: SPEC lists border tiles read as i32 as a known divergence). */
      uint8_t *d = s->items[o->s0].data;
      memset(d, 0, mr * nr * o->item);
      if (t == BX_ADD_UNICAST)
        for (size_t i = 0; i < h; i++)
          for (size_t j = 0; j < w; j++)
            memcpy(d + (i * nr + j) * o->item, elem(o->p0, o->rs, o->cs, row0 + i, col0 + j),
                   o->item);
      e->u.store.ptr = d;
      e->u.store.row_byte_stride = (intptr_t)(nr * o->item);
      e->u.store.col_byte_stride = (intptr_t)o->item;
    }
    e->u.store.item_size = o->item;
  } else if (t == BX_ADD_MAT_MUL) {
    e->u.add_mat_mul.pa = s->items[o->s0].data + ti * o->pa_panel;
    e->u.add_mat_mul.pb = s->items[o->s1].data + tj * o->pb_panel;
  }
}

/* After a border tile: copy the valid h x w part of every Store's scratch tile out. */
static void store_out(const ctx *c, const fop *f, size_t nops, bx_scratch_list *s, size_t row0,
                      size_t col0, size_t h, size_t w) {
  const size_t nr = c->kd->nr;
  for (size_t k = 0; k < nops; k++) {
    const fop *o = &f[k];
    if (o->tag != BX_STORE) continue;
    const uint8_t *d = s->items[o->s0].data;
    for (size_t i = 0; i < h; i++)
      for (size_t j = 0; j < w; j++)
        memcpy(elem(o->p0, o->rs, o->cs, row0 + i, col0 + j), d + (i * nr + j) * o->item,
               o->item);
  }
}

/* The payload words tile_entry sets to addresses, as a bit mask. */
static unsigned ptr_words(uint32_t t) {
  if ((t >= BX_PER_ROW_MIN && t <= BX_PER_ROW_SUBF) || (t >= BX_PER_COL_MIN && t <= BX_PER_COL_SUBF) ||
      t == BX_ADD_UNICAST || t == BX_STORE)
    return 1;
  return t == BX_ADD_ROW_COL_PRODUCTS ? 3 : t == BX_ADD_MAT_MUL ? 6 : 0;
}

/* One tile of the trace record: every address word named by where it points (kind 1: request
 * buffer, 2: scratch id, 3: neither), the other words verbatim (kind 0). */
static void trace_tile(const ctx *c, const bx_scratch_list *s, const bx_fused_ker_spec *e,
                       size_t n, size_t ti, size_t tj, bx_writer *w) {
  bx_w_u32(w, (uint32_t)ti);
  bx_w_u32(w, (uint32_t)tj);
  bx_w_u32(w, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    bx_w_u32(w, e[i].tag);
    for (int k = 0; k < 4; k++) {
      const uintptr_t v = e[i].u.raw[k];
      uint32_t kind = 0, id = 0;
      uint64_t val = (uint64_t)v;
      if (ptr_words(e[i].tag) >> k & 1) {
        kind = 3;
        for (size_t b = 0; kind == 3 && b < c->nbuf + s->count; b++) {
          const bx_guarded *g = b < c->nbuf ? &c->bufs[b] : &s->items[b - c->nbuf];
          if (v >= (uintptr_t)g->data && v <= (uintptr_t)g->data + g->len) {
            kind = b < c->nbuf ? 1 : 2;
            id = (uint32_t)(b < c->nbuf ? b : b - c->nbuf);
            val = (uint64_t)(v - (uintptr_t)g->data);
          }
        }
      }
      bx_w_u32(w, kind);
      bx_w_u32(w, id);
      bx_w_u64(w, val);
    }
  }
}

int bx_frame_run(const bx_kernel_desc *kd, uint32_t m, uint32_t n, const bx_wire_op *ops,
                 size_t nops, bx_guarded *bufs, size_t nbuf, bx_scratch_list *scratch,
                 bx_viol_list *viol, bx_abi_log *abi, bx_writer *trace, int64_t *rc,
                 int32_t *refused_op, bx_fault *fault, char *err, size_t errlen) {
  ctx c = {kd, m, n, bufs, nbuf, err, errlen};
  uint32_t traced = 0;
  *rc = 0;
  *refused_op = -1;
  if (trace) bx_w_u32(trace, 0); /* the tile count, filled in at the end */
  if (m == 0 || n == 0 || m > BX_FRAME_MAX_DIM || n > BX_FRAME_MAX_DIM) {
    snprintf(err, errlen, "FRAME: m = %u, n = %u: both must be in 1..%u", m, n, BX_FRAME_MAX_DIM);
    return -1;
  }
  fop *f = calloc(nops ? nops : 1, sizeof *f);
  bx_fused_ker_spec *expect = calloc(nops + 2, sizeof *expect);
  int ret = -1;
  if (!f || !expect) {
    snprintf(err, errlen, "FRAME: out of memory");
    goto out;
  }
  if (resolve(&c, ops, nops, f)) goto out;
  /* Refuse before anything runs: a kernel must never see an op it does not declare. */
  for (size_t i = 0; i < nops; i++)
    if (!(kd->supported_ops & BX_OP_BIT(ops[i].tag))) {
      *rc = BX_KERNEL_UNSUPPORTED;
      *refused_op = (int32_t)i;
      ret = 0;
      goto out;
    }
  uint32_t chain_id;
  const size_t chain_len = (nops + 2) * sizeof(bx_fused_ker_spec);
  if (new_scratch(&c, scratch, chain_len, &chain_id)) goto out; /* id 0: first allocation */
  if (prepare(&c, f, nops, scratch)) goto out;
  /* No more scratch allocations from here on: items[] pointers are stable. */
  bx_fused_ker_spec *chain = (bx_fused_ker_spec *)scratch->items[chain_id].data;
  const size_t mr = kd->mr, nr = kd->nr;
  const size_t tiles_m = (m + mr - 1) / mr, tiles_n = (n + nr - 1) / nr;
  int chain_reported = 0;
  expect[0].tag = BX_CLEAR; /* the frame always starts from a cleared accumulator */
  for (size_t ti = 0; ti < tiles_m; ti++) {
    for (size_t tj = 0; tj < tiles_n; tj++) {
      const size_t row0 = ti * mr, col0 = tj * nr;
      const size_t h = m - row0 < mr ? m - row0 : mr, w = n - col0 < nr ? n - col0 : nr;
      for (size_t k = 0; k < nops; k++)
        tile_entry(&c, &f[k], scratch, row0, col0, h, w, ti, tj, &expect[k + 1]);
      if (trace) {
        trace_tile(&c, scratch, expect, nops + 1, ti, tj, trace);
        traced++;
      }
      memcpy(chain, expect, chain_len); /* expect[nops + 1] stays Done (zeroed) */
      const bx_fault_scope scope = {bufs, (uint32_t)nbuf, scratch};
      intptr_t r = 0;
      fault->ti = (int32_t)ti;
      fault->tj = (int32_t)tj;
      if (bx_fault_call(&scope, abi, kd->kernel, chain, &r, fault)) {
        ret = 0;
        goto out;
      }
      if (!chain_reported && memcmp(chain, expect, chain_len) != 0) {
        const uint8_t *got = (const uint8_t *)chain, *exp = (const uint8_t *)expect;
        for (size_t b = 0; b < chain_len; b++)
          if (got[b] != exp[b])
            bx_viol_add(viol, BX_SCRATCH_FLAG | chain_id, (int64_t)b, exp[b], got[b]);
        chain_reported = 1;
      }
      if (r != 0) { /* the kernel refused mid-walk (or returned garbage): stop here */
        *rc = (int64_t)r;
        ret = 0;
        goto out;
      }
      if (h != mr || w != nr) store_out(&c, f, nops, scratch, row0, col0, h, w);
    }
  }
  ret = 0;
out:
  if (trace && !trace->oom)
    for (int b = 0; b < 4; b++) trace->p[b] = (uint8_t)(traced >> (8 * b));
  free(f);
  free(expect);
  return ret;
}
