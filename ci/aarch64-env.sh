# ci/aarch64-env.sh — source me: where the aarch64 toolchain, qemu and the runner are.
#   . ci/aarch64-env.sh
#   "$BX_QEMU_AARCH64" $BX_QEMU_ARGS "$BX_AARCH64_RUNNER" < requests
# Everything is installed by ci/setup-aarch64.sh and built by native/runner/Makefile.
# Variables already set in the environment win (so CI can point elsewhere).
_bx_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
: "${BX_AARCH64_SYSROOT:=/usr/aarch64-linux-gnu}"
: "${BX_TOOLCHAIN_DIR:=$_bx_root/.toolchain}"
: "${BX_QEMU_AARCH64:=$BX_TOOLCHAIN_DIR/qemu/usr/bin/qemu-aarch64}"
# The m4 CPU profile of native/backends/aarch64-qemu.ts (Apple-M4-like: no FEAT_SME_FA64, no
# non-streaming SVE), SVL = 64 bytes (512 bits): the geometry the 32x32 SME2 kernel assumes.
: "${BX_QEMU_CPU:=max,sve=off,sme=on,sme_fa64=off,sme-default-vector-length=64}"
: "${BX_QEMU_ARGS:=-cpu $BX_QEMU_CPU -L $BX_AARCH64_SYSROOT}"
# dynamically linked (so LOAD_LIB can dlopen aarch64 .so kernel libs); needs -L sysroot
# outside build/, which node-gyp rebuild deletes (native/paths.ts has the same lookup)
: "${BX_AARCH64_BUILD_DIR:=$_bx_root/native-build/aarch64}"
: "${BX_AARCH64_RUNNER:=$BX_AARCH64_BUILD_DIR/bitexact-runner}"
: "${BX_AARCH64_RUNNER_STATIC:=$BX_AARCH64_BUILD_DIR/bitexact-runner-static}"
: "${BX_AARCH64_SELFTEST:=$BX_AARCH64_BUILD_DIR/arm64-selftest}"
: "${BX_CLANG:=clang-19}"
: "${BX_AARCH64_CC:=aarch64-linux-gnu-gcc}"
export BX_AARCH64_SYSROOT BX_QEMU_AARCH64 BX_QEMU_CPU BX_QEMU_ARGS BX_AARCH64_BUILD_DIR BX_AARCH64_RUNNER \
  BX_AARCH64_RUNNER_STATIC BX_AARCH64_SELFTEST BX_CLANG BX_AARCH64_CC
unset _bx_root
