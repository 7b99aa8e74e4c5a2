/*
 * Test kernels that touch the executor's standard descriptors (native/PROTOCOL.md,
 * "Transport"), built as their own library (build/Release/bitexact_hostile_kernels.so, and
 * build/aarch64/ for the runner) so that its constructor's output stays out of the other
 * tests. Every kernel computes test_ref_i32_4x4's values (the reference kernel) unless its
 * line says otherwise:
 *   test_io_printf_i32_4x4        printf()s a line to stdout
 *   test_io_stderr_i32_4x4        fprintf()s a line to stderr
 *   test_io_zero4_i32_4x4         write()s 4 zero bytes to fd 1 (an empty frame, if fd 1 were the protocol)
 *   test_io_close0_i32_4x4        close(0)
 *   test_io_close1_i32_4x4        close(1), then printf()s (the line is lost, nothing else)
 *   test_io_fd34_i32_4x4          write()s 4 zero bytes to fds 3 and 4 and close()s them
 *   test_io_supported_i32_4x4     its is_supported_here() prints to stdout and writes 4 zero bytes to fd 1
 *   test_io_print_crash_i32_4x4   prints a line, then crashes (SIGSEGV) at AddMatMul
 *   test_io_print_oob_i32_4x4     prints a line; its Store writes one row past the tile
 *   test_io_closeall_i32_4x4      closes every descriptor from 3 up (the protocol's included)
 * and a constructor that prints a line to stdout and writes 4 zero bytes to fd 1 when the
 * library is loaded (LOAD_LIB).
 */
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ref.h"

#define PF(r, align) {BX_PACK_FORMAT, (r), (align), 1}
#define K4(r) {BX_PACK_I8K4, (r), 1, 0}

static const bx_packing pk_4x4[] = {{PF(4, 16), PF(4, 16), 1}, {K4(4), K4(4), 4}};
static const bx_ref_cfg cfg_ref = {4, 4, pk_4x4, 2, NULL, BX_OPS_V1, 0};
static const bx_ref_cfg cfg_crash = {4, 4, pk_4x4, 2, NULL, BX_OPS_V1, BX_REF_CRASH_ON_MATMUL};
static const bx_ref_cfg cfg_oob = {4, 4, pk_4x4, 2, NULL, BX_OPS_V1, BX_REF_STORE_EXTRA_ROW};

static const unsigned char zero4[4] = {0, 0, 0, 0};

__attribute__((constructor)) static void hostile_ctor(void) {
  printf("hostile_io: constructor printing to stdout\n");
  (void)!write(1, zero4, sizeof zero4);
}

static intptr_t k_printf(const bx_fused_ker_spec *s) {
  printf("test_io_printf: hello from the kernel\n");
  return bx_ref_run(&cfg_ref, s);
}
static intptr_t k_stderr(const bx_fused_ker_spec *s) {
  fprintf(stderr, "test_io_stderr: hello on stderr\n");
  return bx_ref_run(&cfg_ref, s);
}
static intptr_t k_zero4(const bx_fused_ker_spec *s) {
  (void)!write(1, zero4, sizeof zero4);
  return bx_ref_run(&cfg_ref, s);
}
static intptr_t k_close0(const bx_fused_ker_spec *s) {
  close(0);
  return bx_ref_run(&cfg_ref, s);
}
static intptr_t k_close1(const bx_fused_ker_spec *s) {
  close(1);
  printf("test_io_close1: this line goes nowhere\n");
  return bx_ref_run(&cfg_ref, s);
}
static intptr_t k_fd34(const bx_fused_ker_spec *s) {
  (void)!write(3, zero4, sizeof zero4);
  (void)!write(4, zero4, sizeof zero4);
  close(3);
  close(4);
  return bx_ref_run(&cfg_ref, s);
}
static intptr_t k_supported(const bx_fused_ker_spec *s) { return bx_ref_run(&cfg_ref, s); }
static int supported_prints(char *why, size_t n) {
  (void)why;
  (void)n;
  printf("test_io_supported: is_supported_here printing\n");
  (void)!write(1, zero4, sizeof zero4);
  return 1;
}
static intptr_t k_print_crash(const bx_fused_ker_spec *s) {
  printf("test_io_print_crash: about to crash\n");
  return bx_ref_run(&cfg_crash, s);
}
static intptr_t k_print_oob(const bx_fused_ker_spec *s) {
  printf("test_io_print_oob: storing one row too many\n");
  return bx_ref_run(&cfg_oob, s);
}
static intptr_t k_closeall(const bx_fused_ker_spec *s) {
  struct rlimit rl;
  long top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (long)rl.rlim_cur : 65536;
  for (long fd = 3; fd < top; fd++) close((int)fd);
  return bx_ref_run(&cfg_ref, s);
}

#define DESC(id, name, fn, pred) \
  static const bx_kernel_desc desc_##id = {BX_ABI_VERSION, name, "test", 4, 4, 2, pk_4x4, BX_OPS_V1, fn, pred, NULL, NULL};
DESC(printf, "test_io_printf_i32_4x4", k_printf, NULL)
DESC(stderr, "test_io_stderr_i32_4x4", k_stderr, NULL)
DESC(zero4, "test_io_zero4_i32_4x4", k_zero4, NULL)
DESC(close0, "test_io_close0_i32_4x4", k_close0, NULL)
DESC(close1, "test_io_close1_i32_4x4", k_close1, NULL)
DESC(fd34, "test_io_fd34_i32_4x4", k_fd34, NULL)
DESC(supported, "test_io_supported_i32_4x4", k_supported, supported_prints)
DESC(print_crash, "test_io_print_crash_i32_4x4", k_print_crash, NULL)
DESC(print_oob, "test_io_print_oob_i32_4x4", k_print_oob, NULL)
DESC(closeall, "test_io_closeall_i32_4x4", k_closeall, NULL)

static const bx_kernel_desc *const table[] = {&desc_printf, &desc_stderr, &desc_zero4, &desc_close0, &desc_close1,
                                              &desc_fd34, &desc_supported, &desc_print_crash, &desc_print_oob,
                                              &desc_closeall};

__attribute__((visibility("default"))) const bx_kernel_desc *const *bitexact_kernels(size_t *count) {
  *count = sizeof table / sizeof table[0];
  return table;
}
