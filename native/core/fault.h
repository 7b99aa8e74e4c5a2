/*
 * Faults inside the guards: a kernel call made through bx_fault_call runs with a SIGSEGV /
 * SIGBUS handler that looks the faulting address up in the no-access zones of every guarded
 * buffer of the request (guard.h). A hit ends the call (siglongjmp back into bx_fault_call,
 * with the caller's floating-point control state and, on aarch64, normal mode restored) and
 * is reported as the buffer, the side, the byte offset and the access. The jump skips the
 * checked call's epilogue (abi_call.h): sigsetjmp's registers, the saved control state and
 * bx_abi_unwind put back what the trampoline would have. An address outside
 * every zone is not ours: the handler steps aside and the process dies as it would have.
 */
#ifndef BX_CORE_FAULT_H
#define BX_CORE_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "abi_call.h"
#include "bitexact/kernel.h"
#include "guard.h"

enum bx_access { BX_ACCESS_READ = 0, BX_ACCESS_WRITE = 1, BX_ACCESS_UNKNOWN = 2 };

typedef struct bx_fault {
  uint32_t hit;    /* 0: no fault in a guard */
  uint32_t buf;    /* request buffer index, or BX_SCRATCH_FLAG | scratch id */
  int64_t offset;  /* of the faulting byte relative to the data start (< 0 before, >= len past) */
  uint64_t len;    /* the buffer's length */
  uint32_t access; /* enum bx_access */
  uint32_t signal; /* SIGSEGV or SIGBUS */
  int32_t ti, tj;  /* FRAME: the tile being computed; TILE: -1, -1 */
} bx_fault;

#define BX_FAULT_NONE {0, 0, 0, 0, 0, 0, -1, -1}

/* The buffers whose zones the next calls watch (both arrays must stay put until the calls end). */
typedef struct bx_fault_scope {
  const bx_guarded *bufs;
  uint32_t nbuf;
  const bx_scratch_list *scratch;
} bx_fault_scope;

/* Makes the checked call of fn(chain) (bx_abi_call_logged into *abi) watching scope's zones, so
 * a fault inside the kernel or the trampoline is caught. Returns 0 with the kernel's result in
 * *rc, or 1 after a fault inside a zone, described in *f (hit = 1; ti, tj left as the caller
 * set them); that call leaves no entry in *abi. The first call installs the handler; it stays
 * until bx_fault_disarm (one pair of sigaction calls per request, not per tile). */
int bx_fault_call(const bx_fault_scope *scope, bx_abi_log *abi, bx_kernel_fn fn,
                  const bx_fused_ker_spec *chain, intptr_t *rc, bx_fault *f);
/* Puts the previous SIGSEGV / SIGBUS dispositions back (no-op when not installed). */
void bx_fault_disarm(void);

#endif
