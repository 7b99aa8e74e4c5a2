#include "registry.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BX_MAX_TILE_DIM 512u
#define BX_MAX_NAME 128u

typedef struct lib_record {
  void *handle;
  size_t first, count;
} lib_record;

static bx_reg_entry *entries;
static size_t n_entries, cap_entries;
static lib_record *libs;
static size_t n_libs, cap_libs;
static int builtins_loaded;

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 16;
  while (c < need) c *= 2;
  void *q = realloc(*p, c * elem);
  if (!q) return -1;
  *p = q;
  *cap = c;
  return 0;
}

static int name_ok(const char *s) {
  if (!s) return 0;
  size_t n = strnlen(s, BX_MAX_NAME + 1);
  if (n == 0 || n > BX_MAX_NAME) return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\') return 0;
  return 1;
}

static const char *format_problem(const bx_pack_format *f, uint32_t r, int is_a) {
  if (f->kind != BX_PACK_FORMAT && f->kind != BX_PACK_I8K4)
    return is_a ? "packing A has an unknown kind" : "packing B has an unknown kind";
  if (f->r != r) return is_a ? "packing A's r differs from mr" : "packing B's r differs from nr";
  if (f->kind == BX_PACK_FORMAT) {
    if (f->align == 0 || f->align > 4096)
      return is_a ? "packing A's align is not in 1..4096" : "packing B's align is not in 1..4096";
    if (f->end_padding_record > 64)
      return is_a ? "packing A's end_padding_record is above 64"
                  : "packing B's end_padding_record is above 64";
  }
  return NULL;
}

const char *bx_desc_problem(const bx_kernel_desc *d) {
  if (!d) return "NULL descriptor";
  if (d->abi_version != BX_ABI_VERSION) return "abi_version is not BX_ABI_VERSION (1)";
  if (!name_ok(d->name)) return "name is missing, longer than 128 bytes, or not printable ASCII";
  if (!name_ok(d->isa)) return "isa is missing, longer than 128 bytes, or not printable ASCII";
  if (d->mr == 0 || d->mr > BX_MAX_TILE_DIM || d->nr == 0 || d->nr > BX_MAX_TILE_DIM)
    return "mr and nr must be in 1..512";
  if (d->n_packings == 0 || d->n_packings > 64 || !d->packings)
    return "n_packings must be in 1..64 with a packings table";
  for (uint32_t p = 0; p < d->n_packings; p++) {
    const char *e = format_problem(&d->packings[p].a, d->mr, 1);
    if (!e) e = format_problem(&d->packings[p].b, d->nr, 0);
    if (!e && d->packings[p].k_alignment != 1 && d->packings[p].k_alignment != 4)
      e = "k_alignment must be 1 or 4";
    if (e) return e;
  }
  if ((d->supported_ops & BX_OPS_REQUIRED) != BX_OPS_REQUIRED)
    return "supported_ops lacks a required op (Done, Clear, AddMatMul, Store)";
  if (d->supported_ops & ~BX_OPS_KNOWN) return "supported_ops has bits beyond tag " BX_OP_LAST_TAG_STR;
  if (!d->kernel) return "kernel function is NULL";
  return NULL;
}

int bx_desc_runnable(const bx_kernel_desc *d, char *why, size_t why_len) {
  if (why_len) why[0] = 0;
  if (!d->is_supported_here) return 1;
  int ok = d->is_supported_here(why, why_len);
  if (why_len) why[why_len - 1] = 0; /* do not trust the predicate to terminate */
  if (!ok && why_len && !why[0]) snprintf(why, why_len, "is_supported_here() returned 0");
  return ok != 0;
}

static const bx_reg_entry *find(const char *name, size_t len) {
  for (size_t i = 0; i < n_entries; i++) {
    const char *n = entries[i].desc->name;
    if (n && strlen(n) == len && memcmp(n, name, len) == 0) return &entries[i];
  }
  return NULL;
}

static void load_builtins(void) {
  if (builtins_loaded) return;
  builtins_loaded = 1;
  size_t count = 0;
  const bx_kernel_desc *const *table = bx_builtin_kernels(&count);
  if (!table) return;
  for (size_t i = 0; i < count; i++) {
    const bx_kernel_desc *d = table[i];
    const char *p = bx_desc_problem(d);
    /* A broken builtin stays visible (LIST says why) unless it has no usable name. */
    if (!d || !name_ok(d->name) || find(d->name, strlen(d->name))) continue;
    if (grow((void **)&entries, &cap_entries, n_entries + 1, sizeof *entries)) return;
    entries[n_entries++] = (bx_reg_entry){d, p};
  }
}

size_t bx_registry_count(void) {
  load_builtins();
  return n_entries;
}

const bx_reg_entry *bx_registry_get(size_t i) {
  load_builtins();
  return i < n_entries ? &entries[i] : NULL;
}

const bx_reg_entry *bx_registry_find(const char *name, size_t len) {
  load_builtins();
  return find(name, len);
}

int bx_registry_load_lib(const char *path, size_t *first, size_t *count, char *err, size_t errlen) {
  load_builtins();
  /* RTLD_NOW: an unresolved symbol fails here with a message rather than crashing a kernel
   * call later. RTLD_LOCAL: two libraries may use the same internal symbol names. */
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    snprintf(err, errlen, "dlopen(%s) failed: %s", path, e ? e : "unknown error");
    return -1;
  }
  for (size_t i = 0; i < n_libs; i++)
    if (libs[i].handle == h) { /* dlopen refcounts: the same library again */
      dlclose(h);
      *first = libs[i].first;
      *count = libs[i].count;
      return 0;
    }
  dlerror();
  void *sym = dlsym(h, BX_KERNELS_SYMBOL);
  if (!sym) {
    snprintf(err, errlen, "%s does not export %s", path, BX_KERNELS_SYMBOL);
    dlclose(h);
    return -1;
  }
  bx_kernels_fn fn;
  memcpy(&fn, &sym, sizeof fn); /* object -> function pointer without a pedantic warning */
  size_t n = 0;
  const bx_kernel_desc *const *table = fn(&n);
  if (!table && n) {
    snprintf(err, errlen, "%s: %s returned NULL with count %zu", path, BX_KERNELS_SYMBOL, n);
    dlclose(h);
    return -1;
  }
  if (n > 4096) {
    snprintf(err, errlen, "%s: %s returned an implausible count %zu", path, BX_KERNELS_SYMBOL, n);
    dlclose(h);
    return -1;
  }
  /* Validate everything before adding anything: a library is loaded whole or not at all. */
  for (size_t i = 0; i < n; i++) {
    const bx_kernel_desc *d = table[i];
    const char *p = bx_desc_problem(d);
    if (p) {
      snprintf(err, errlen, "%s: kernel #%zu (%.128s): %s", path, i,
               d && name_ok(d->name) ? d->name : "?", p);
      dlclose(h);
      return -1;
    }
    int dup = find(d->name, strlen(d->name)) != NULL;
    for (size_t j = 0; j < i && !dup; j++) dup = strcmp(table[j]->name, d->name) == 0;
    if (dup) {
      snprintf(err, errlen, "%s: kernel %s: a kernel with this name is already registered", path,
               d->name);
      dlclose(h);
      return -1;
    }
  }
  if (grow((void **)&entries, &cap_entries, n_entries + n, sizeof *entries) ||
      grow((void **)&libs, &cap_libs, n_libs + 1, sizeof *libs)) {
    snprintf(err, errlen, "out of memory");
    dlclose(h);
    return -1;
  }
  *first = n_entries;
  *count = n;
  for (size_t i = 0; i < n; i++) entries[n_entries++] = (bx_reg_entry){table[i], NULL};
  libs[n_libs++] = (lib_record){h, *first, n};
  return 0;
}
