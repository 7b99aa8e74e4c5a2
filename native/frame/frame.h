/*
 * The frame: an m x n x k matmul with a fused chain, computed by walking ceil(m/mr) x
 * ceil(n/nr) kernel tiles (docs/frame.md, tract linalg/src/frame/mmm/scratch.rs;
 * PROTOCOL.md "FRAME").
 */
#ifndef BX_FRAME_FRAME_H
#define BX_FRAME_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "abi_call.h"
#include "bitexact/kernel.h"
#include "fault.h"
#include "wire.h"

/* Frame-level shape limit: keeps every offset computation far inside int64. */
#define BX_FRAME_MAX_DIM (1u << 20)

/*
 * Validates the matrix-level ops against the buffers, refuses (rc 1, *refused_op = index)
 * if the kernel does not declare one of them, otherwise packs the operands and runs the
 * kernel once per tile, stopping at the first tile whose kernel call returns non-zero.
 * Allocates the chain (scratch id 0), the packed operands and the border scratch in
 * *scratch (the caller checks their guards and frees them). Kernel writes into the chain are
 * appended to *viol (once). Every kernel call is a checked call (abi_call.h) logged in *abi,
 * made inside bx_fault_call (fault.h): an access inside a guard ends the walk with *fault set
 * (the tile that was running in ti, tj). With trace not NULL, the trace record (PROTOCOL.md) of
 * every tile the kernel is called on is written to it. Returns 0, or -1 with a message in err
 * for a malformed request.
 */
int bx_frame_run(const bx_kernel_desc *kd, uint32_t m, uint32_t n, const bx_wire_op *ops,
                 size_t nops, bx_guarded *bufs, size_t nbuf, bx_scratch_list *scratch,
                 bx_viol_list *viol, bx_abi_log *abi, bx_writer *trace, int64_t *rc,
                 int32_t *refused_op, bx_fault *fault, char *err, size_t errlen);

/* Short lower-case name of an op tag ("store", "per_row_sub_f", ...) for messages. */
const char *bx_op_name(uint32_t tag);

#endif
