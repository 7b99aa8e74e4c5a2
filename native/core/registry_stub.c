/*
 * Temporary builtin registry, used only until native/kernels/registry_<arch>.c exists: one
 * scalar reference kernel, so the addon and the runner build and answer on their own.
 */
#include "registry.h"
#include "../test-kernels/ref.h"

static const bx_packing stub_packings[] = {
    {{BX_PACK_FORMAT, 4, 1, 1}, {BX_PACK_FORMAT, 4, 1, 1}, 1},
    {{BX_PACK_I8K4, 4, 1, 0}, {BX_PACK_I8K4, 4, 1, 0}, 4}};
static const bx_ref_cfg stub_cfg = {4, 4, stub_packings, 2, BX_OPS_V1, 0};

static intptr_t stub_kernel(const bx_fused_ker_spec *s) { return bx_ref_run(&stub_cfg, s); }

static const bx_kernel_desc stub_desc = {BX_ABI_VERSION, "stub_i32_4x4", "generic", 4, 4, 2,
                                         stub_packings, BX_OPS_V1, stub_kernel, NULL};
static const bx_kernel_desc *const stub_table[] = {&stub_desc};

const bx_kernel_desc *const *bx_builtin_kernels(size_t *count) {
  *count = 1;
  return stub_table;
}
