/*
 * The kernel registry: the builtin kernels of this build (bx_builtin_kernels, defined by
 * native/kernels/builtins.c from what the kernel files registered) plus the kernels of every
 * library loaded with LOAD_LIB. Libraries are never unloaded: their descriptors stay valid for the life of the process.
 */
#ifndef BX_CORE_REGISTRY_H
#define BX_CORE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "bitexact/kernel.h"

/* native/kernels/builtins.c: the descriptors the build's kernel files registered. */
const bx_kernel_desc *const *bx_builtin_kernels(size_t *count);

typedef struct bx_reg_entry {
  const bx_kernel_desc *desc;
  const char *invalid; /* NULL, or why the descriptor cannot be used (builtins only) */
} bx_reg_entry;

size_t bx_registry_count(void);
const bx_reg_entry *bx_registry_get(size_t i);
const bx_reg_entry *bx_registry_find(const char *name, size_t name_len);

/* dlopen()s path and adds its kernels. On success returns 0 and the range [*first, *first +
 * *count) of registry entries that belong to the library (a library already loaded gives its
 * earlier range again). On failure returns -1 with a message in err and adds nothing. */
int bx_registry_load_lib(const char *path, size_t *first, size_t *count, char *err, size_t errlen);

/* Checks a descriptor's structure (ABI version, name, geometry, packings, required ops).
 * Returns NULL if usable, else a static description of the first problem. */
const char *bx_desc_problem(const bx_kernel_desc *d);

/* The packing index a chain's AddMatMul carries for packings[i] (docs/abi.md): the
 * descriptor's packing_ids (ABI v2) or i. */
static inline uint32_t bx_desc_packing_id(const bx_kernel_desc *d, uint32_t i) {
  return d->abi_version >= 2 && d->packing_ids ? d->packing_ids[i] : i;
}

/* The position in packings of the kernel's packing index id, or -1 if it declares none. */
static inline int64_t bx_desc_packing_pos(const bx_kernel_desc *d, uint64_t id) {
  for (uint32_t i = 0; i < d->n_packings; i++)
    if (bx_desc_packing_id(d, i) == id) return i;
  return -1;
}

/* The descriptor's contract (NULL for a v1 descriptor or none declared). */
const bx_contract *bx_desc_contract(const bx_kernel_desc *d);
/* The contract's JSON form (oracle/contract.ts) into buf (truncated to len, NUL-terminated);
 * returns the length it needs. */
size_t bx_contract_json(const bx_contract *c, char *buf, size_t len);

/* Calls is_supported_here (a NULL predicate means "runs everywhere"). */
int bx_desc_runnable(const bx_kernel_desc *d, char *why, size_t why_len);

#endif
