/*
 * bench/kernel_gops.c — native speed of the host kernels: an m x n x k int8 matmul (default
 * 512^3) driven tile by tile through each kernel's own FusedKerSpec chain, single-threaded,
 * packing excluded (done once, like a runtime packing weights ahead of time).
 *
 *   cc -O2 -std=gnu11 -Inative/include -Inative/frame bench/kernel_gops.c native/frame/pack.c \
 *      $(node native/sources.cjs kernels x86_64)
 *   kernel_gops [--size S] [--min-seconds T]
 *
 * Two chains per tile: `matmul` = Clear, AddMatMul(k), Store i32; `quant` = the same with a
 * QScale(shift -8, Even) + clamp + Store i8 epilogue. Every kernel's i32 result is compared
 * byte for byte with the generic kernel's (a benchmark of a wrong kernel is worthless), which
 * runs first. The kernels are the build's builtins (native/kernels/builtins.c).
 * Output: one JSON line per kernel and chain (the bench driver, bench/main.ts, parses them).
 * GOPS counts 2 * m * n * k operations (a multiply and an add per MAC).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitexact/kernel.h"
#include "pack.h"

const bx_kernel_desc *const *bx_builtin_kernels(size_t *count);

#define REFERENCE_KERNEL "generic_i32_4x4"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *xalloc(size_t n) {
  void *p = NULL;
  if (posix_memalign(&p, 64, n ? n : 64)) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  memset(p, 0, n);
  return p;
}

typedef struct run {
  const bx_kernel_desc *kd;
  size_t m, n, k;
  uint8_t *pa, *pb;
  uint64_t pa_panel, pb_panel;
  int32_t *c32; /* m x n row-major */
  int8_t *c8;
} run;

/* One full m x n x k product; returns 0, or the first non-zero kernel return code. */
static intptr_t matmul(const run *r, int quant) {
  const uint32_t mr = r->kd->mr, nr = r->kd->nr;
  bx_fused_ker_spec ch[8];
  memset(ch, 0, sizeof ch);
  for (size_t ti = 0; ti < r->m / mr; ti++) {
    for (size_t tj = 0; tj < r->n / nr; tj++) {
      int o = 0;
      ch[o++].tag = BX_CLEAR;
      ch[o].tag = BX_ADD_MAT_MUL;
      ch[o].u.add_mat_mul.k = r->k;
      ch[o].u.add_mat_mul.pa = r->pa + ti * r->pa_panel;
      ch[o].u.add_mat_mul.pb = r->pb + tj * r->pb_panel;
      ch[o++].u.add_mat_mul.packing = 0;
      if (quant) {
        ch[o].tag = BX_Q_SCALE;
        ch[o].u.q_scale.shift = -8;
        ch[o].u.q_scale.policy = BX_ROUND_EVEN;
        ch[o++].u.q_scale.mult = 1717986944;
        ch[o].tag = BX_SCALAR_MAX;
        ch[o++].u.scalar.x = -128;
        ch[o].tag = BX_SCALAR_MIN;
        ch[o++].u.scalar.x = 127;
        ch[o].tag = BX_STORE;
        ch[o].u.store.ptr = r->c8 + ti * mr * r->n + tj * nr;
        ch[o].u.store.row_byte_stride = (intptr_t)r->n;
        ch[o].u.store.col_byte_stride = 1;
        ch[o++].u.store.item_size = 1;
      } else {
        ch[o].tag = BX_STORE;
        ch[o].u.store.ptr = r->c32 + ti * mr * r->n + tj * nr;
        ch[o].u.store.row_byte_stride = (intptr_t)(r->n * 4);
        ch[o].u.store.col_byte_stride = 4;
        ch[o++].u.store.item_size = 4;
      }
      ch[o].tag = BX_DONE;
      intptr_t rc = r->kd->kernel(ch);
      if (rc) return rc;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  size_t size = 512;
  double min_seconds = 1.0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--size") && i + 1 < argc) size = (size_t)strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc) min_seconds = strtod(argv[++i], NULL);
    else {
      fprintf(stderr, "usage: kernel_gops [--size S (a multiple of 16)] [--min-seconds T]\n");
      return 2;
    }
  }
  if (size == 0 || size % 16) {
    fprintf(stderr, "--size must be a positive multiple of 16 (full tiles for every kernel)\n");
    return 2;
  }
  const size_t m = size, n = size, k = size;
  int8_t *a = xalloc(m * k), *b = xalloc(k * n);
  uint32_t x = 12345;
  for (size_t i = 0; i < m * k; i++) { x = x * 1103515245u + 12345u; a[i] = (int8_t)(x >> 16); }
  for (size_t i = 0; i < k * n; i++) { x = x * 1103515245u + 12345u; b[i] = (int8_t)(x >> 16); }
  int32_t *ref = NULL;
  int failed = 0;

  size_t nk = 0;
  const bx_kernel_desc *const *builtins = bx_builtin_kernels(&nk);
  const bx_kernel_desc **kernels = xalloc(nk * sizeof *kernels);
  size_t order = 0;
  for (size_t i = 0; i < nk; i++) /* the reference first: every other result is compared with it */
    if (!strcmp(builtins[i]->name, REFERENCE_KERNEL)) kernels[order++] = builtins[i];
  if (order != 1) {
    fprintf(stderr, "the builtins hold %zu kernels named " REFERENCE_KERNEL " (need exactly one)\n", order);
    return 2;
  }
  for (size_t i = 0; i < nk; i++)
    if (strcmp(builtins[i]->name, REFERENCE_KERNEL)) kernels[order++] = builtins[i];

  for (size_t ki = 0; ki < nk; ki++) {
    const bx_kernel_desc *kd = kernels[ki];
    char why[256] = "";
    if (kd->is_supported_here && !kd->is_supported_here(why, sizeof why)) {
      printf("{\"kernel\":\"%s\",\"isa\":\"%s\",\"supported\":false,\"why\":\"%s\"}\n", kd->name, kd->isa, why);
      continue;
    }
    run r = {kd, m, n, k, NULL, NULL, 0, 0, NULL, NULL};
    const bx_packing *pk = &kd->packings[0];
    r.pa_panel = bx_pack_panel_len(&pk->a, k);
    r.pb_panel = bx_pack_panel_len(&pk->b, k);
    r.pa = xalloc((size_t)bx_packed_size(&pk->a, m, k));
    r.pb = xalloc((size_t)bx_packed_size(&pk->b, n, k));
    bx_pack(&pk->a, BX_SIDE_A, a, m, k, r.pa);
    bx_pack(&pk->b, BX_SIDE_B, b, n, k, r.pb);
    r.c32 = xalloc(m * n * 4);
    r.c8 = xalloc(m * n);
    for (int quant = 0; quant <= 1; quant++) {
      if (matmul(&r, quant)) { /* warm-up, and the result to check */
        printf("{\"kernel\":\"%s\",\"error\":\"kernel returned non-zero\"}\n", kd->name);
        failed = 1;
        break;
      }
      int exact = 1;
      if (!quant) {
        if (!ref) {
          ref = xalloc(m * n * 4);
          memcpy(ref, r.c32, m * n * 4);
        } else exact = memcmp(ref, r.c32, m * n * 4) == 0;
        if (!exact) failed = 1;
      }
      /* warm-up: a quarter of the measuring time (caches, page faults, clock ramp-up) */
      for (double w0 = now(); now() - w0 < min_seconds / 4;) matmul(&r, quant);
      int reps = 0;
      double t0 = now(), t;
      do {
        matmul(&r, quant);
        reps++;
        t = now() - t0;
      } while (t < min_seconds);
      double ops = 2.0 * (double)m * (double)n * (double)k * reps;
      printf("{\"kernel\":\"%s\",\"isa\":\"%s\",\"supported\":true,\"chain\":\"%s\",\"m\":%zu,\"n\":%zu,\"k\":%zu,"
             "\"reps\":%d,\"seconds\":%.6f,\"gops\":%.3f,\"same_as_generic\":%s}\n",
             kd->name, kd->isa, quant ? "quant" : "matmul", m, n, k, reps, t, ops / t / 1e9,
             quant ? "null" : (exact ? "true" : "false"));
      fflush(stdout);
    }
    free(r.pa);
    free(r.pb);
    free(r.c32);
    free(r.c8);
  }
  free(a);
  free(b);
  free(ref);
  free(kernels);
  return failed;
}
