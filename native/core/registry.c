#include "registry.h"

#include <dlfcn.h>
#include <stdarg.h>
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

/* SPEC's domains of the contract fields (oracle/opset.ts). */
#define ITEMS_STORE (BX_ITEM_BIT(1) | BX_ITEM_BIT(2) | BX_ITEM_BIT(4))
#define ITEMS_UNICAST (BX_ITEM_BIT(1) | BX_ITEM_BIT(4))
#define LAYOUTS_STORE 0x0fu
#define LAYOUTS_UNICAST 0x7fu
#define POLICIES_ALL 0x7eu /* ZERO..ODD; Native is never valid */

static const struct {
  uint32_t bit;
  size_t off;
  int64_t min, max;
  const char *name;
} contract_ranges[] = {
    {BX_RANGE_Q_SCALE_MULT, offsetof(bx_contract, q_scale_mult), INT32_MIN, INT32_MAX, "q_scale.mult"},
    {BX_RANGE_Q_SCALE_SHIFT, offsetof(bx_contract, q_scale_shift), -31, 32, "q_scale.shift"},
    {BX_RANGE_RSR_SHIFT, offsetof(bx_contract, rsr_shift), 1, 31, "rounding_shift_right.shift"},
    {BX_RANGE_SHIFT_LEFT_SHIFT, offsetof(bx_contract, shift_left_shift), 0, 31, "shift_left.shift"},
};
#define N_RANGES (sizeof contract_ranges / sizeof contract_ranges[0])
#define PRECONDITIONS_ALL (UINT64_C(7))
static const char *const precondition_names[] = {"shift_left_no_overflow", "no_i32_min_into_rounding",
                                                 "row_col_products_i16"};
static const char *const layout_names[] = {"row_major", "col_major", "strided", "reversed",
                                           "broadcast_row", "broadcast_col", "broadcast"};
static const char *const policy_names[] = {"native", "zero", "away", "minus_inf", "plus_inf", "even", "odd"};

static const bx_range *contract_range(const bx_contract *c, size_t i) {
  return (const bx_range *)(const void *)((const char *)c + contract_ranges[i].off);
}

static const char *contract_problem(const bx_contract *c) {
  if (c->store_item_sizes & ~ITEMS_STORE) return "contract: store_item_sizes has sizes other than 1, 2, 4";
  if (c->add_unicast_item_sizes & ~ITEMS_UNICAST) return "contract: add_unicast_item_sizes has sizes other than 1, 4";
  if (c->store_layouts & ~LAYOUTS_STORE) return "contract: store_layouts has bits beyond BX_LAYOUT_REVERSED";
  if (c->add_unicast_layouts & ~LAYOUTS_UNICAST) return "contract: add_unicast_layouts has bits beyond BX_LAYOUT_BROADCAST";
  if ((c->q_scale_policies | c->rsr_policies) & ~POLICIES_ALL) return "contract: a policy set has bits other than ZERO..ODD";
  if (c->ranges_declared & ~(uint32_t)((1u << N_RANGES) - 1)) return "contract: ranges_declared has unknown bits";
  if (c->reserved) return "contract: reserved is not 0";
  for (size_t i = 0; i < N_RANGES; i++) {
    if (!(c->ranges_declared & contract_ranges[i].bit)) continue;
    const bx_range *r = contract_range(c, i);
    if (r->min > r->max || r->min < contract_ranges[i].min || r->max > contract_ranges[i].max) return "contract: a declared range has min > max or leaves SPEC's domain";
  }
  if (c->preconditions & ~PRECONDITIONS_ALL) return "contract: preconditions has unknown bits";
  return NULL;
}

static void put(char *buf, size_t len, size_t *at, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(*at < len ? buf + *at : NULL, *at < len ? len - *at : 0, fmt, ap);
  va_end(ap);
  if (n > 0) *at += (size_t)n;
}

/* {"name":[v,...]} lists of a bit set; names NULL: the bit numbers. */
static void put_set(char *buf, size_t len, size_t *at, const char *key, uint32_t bits, const char *const *names, int *first) {
  if (!bits) return;
  put(buf, len, at, "%s\"%s\":[", *first ? "" : ",", key);
  *first = 0;
  int f = 1;
  for (unsigned b = 0; b < 32; b++)
    if (bits & (1u << b)) {
      if (names) put(buf, len, at, f ? "\"%s\"" : ",\"%s\"", names[b]);
      else put(buf, len, at, f ? "%u" : ",%u", b);
      f = 0;
    }
  put(buf, len, at, "]");
}

size_t bx_contract_json(const bx_contract *c, char *buf, size_t len) {
  size_t at = 0;
  if (len) buf[0] = 0;
  put(buf, len, &at, "{");
  int first_op = 1;
  const struct { const char *op; uint32_t items, layouts, policies; int ranges[3]; } ops[] = {
      {"store", c->store_item_sizes, c->store_layouts, 0, {-1, -1, -1}},
      {"add_unicast", c->add_unicast_item_sizes, c->add_unicast_layouts, 0, {-1, -1, -1}},
      {"q_scale", 0, 0, c->q_scale_policies, {0, 1, -1}},
      {"rounding_shift_right", 0, 0, c->rsr_policies, {2, -1, -1}},
      {"shift_left", 0, 0, 0, {3, -1, -1}},
  };
  for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
    int any = ops[o].items || ops[o].layouts || ops[o].policies;
    for (int r = 0; r < 3; r++) any |= ops[o].ranges[r] >= 0 && (c->ranges_declared & contract_ranges[ops[o].ranges[r]].bit);
    if (!any) continue;
    put(buf, len, &at, "%s\"%s\":{", first_op ? "" : ",", ops[o].op);
    first_op = 0;
    int first = 1;
    put_set(buf, len, &at, "item_size", ops[o].items, NULL, &first);
    put_set(buf, len, &at, "layout", ops[o].layouts, layout_names, &first);
    for (int r = 0; r < 3; r++) {
      int i = ops[o].ranges[r];
      if (i < 0 || !(c->ranges_declared & contract_ranges[i].bit)) continue;
      const bx_range *g = contract_range(c, (size_t)i);
      const char *field = strchr(contract_ranges[i].name, '.') + 1;
      put(buf, len, &at, "%s\"%s\":{\"min\":%lld,\"max\":%lld}", first ? "" : ",", field, (long long)g->min, (long long)g->max);
      first = 0;
    }
    put_set(buf, len, &at, "policy", ops[o].policies, policy_names, &first);
    put(buf, len, &at, "}");
  }
  if (c->preconditions) {
    put(buf, len, &at, "%s\"preconditions\":[", first_op ? "" : ",");
    int f = 1;
    for (unsigned b = 0; b < sizeof precondition_names / sizeof precondition_names[0]; b++)
      if (c->preconditions & (UINT64_C(1) << b)) {
        put(buf, len, &at, f ? "\"%s\"" : ",\"%s\"", precondition_names[b]);
        f = 0;
      }
    put(buf, len, &at, "]");
  }
  put(buf, len, &at, "}");
  return at;
}

const bx_contract *bx_desc_contract(const bx_kernel_desc *d) {
  return d->abi_version >= 2 ? d->contract : NULL;
}

const char *bx_desc_problem(const bx_kernel_desc *d) {
  if (!d) return "NULL descriptor";
  if (d->abi_version < 1 || d->abi_version > BX_ABI_VERSION) return "abi_version is not 1 or BX_ABI_VERSION (2)";
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
  if (d->abi_version >= 2 && d->packing_ids)
    for (uint32_t p = 0; p < d->n_packings; p++)
      for (uint32_t q = 0; q < p; q++)
        if (d->packing_ids[p] == d->packing_ids[q]) return "packing_ids are not distinct";
  if ((d->supported_ops & BX_OPS_REQUIRED) != BX_OPS_REQUIRED)
    return "supported_ops lacks a required op (Done, Clear, AddMatMul, Store)";
  if (d->supported_ops & ~BX_OPS_KNOWN) return "supported_ops has bits beyond tag " BX_OP_LAST_TAG_STR;
  if (!d->kernel) return "kernel function is NULL";
  if (bx_desc_contract(d)) return contract_problem(bx_desc_contract(d));
  return NULL;
}

/* is_supported_here answers once per descriptor and process: a CPUID (or getauxval) on every
 * request was a tenth of the executor's time per case, and the CPU does not change under us. */
#define RUNNABLE_CACHE 256
static struct {
  const bx_kernel_desc *d;
  int ok;
  char why[256];
} runnable_cache[RUNNABLE_CACHE];
static size_t runnable_cached;

int bx_desc_runnable(const bx_kernel_desc *d, char *why, size_t why_len) {
  if (why_len) why[0] = 0;
  if (!d->is_supported_here) return 1;
  for (size_t i = 0; i < runnable_cached; i++) {
    if (runnable_cache[i].d != d) continue;
    if (why_len) snprintf(why, why_len, "%s", runnable_cache[i].why);
    return runnable_cache[i].ok;
  }
  int ok = d->is_supported_here(why, why_len);
  if (why_len) why[why_len - 1] = 0; /* do not trust the predicate to terminate */
  if (!ok && why_len && !why[0]) snprintf(why, why_len, "is_supported_here() returned 0");
  ok = ok != 0;
  if (runnable_cached < RUNNABLE_CACHE) {
    runnable_cache[runnable_cached].d = d;
    runnable_cache[runnable_cached].ok = ok;
    snprintf(runnable_cache[runnable_cached].why, sizeof runnable_cache[0].why, "%s", why_len ? why : "");
    runnable_cached++;
  }
  return ok;
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
