#!/usr/bin/env bash
# ci/build-aarch64.sh — cross-build the aarch64 runner, self-test and test kernel library
# into $BX_AARCH64_BUILD_DIR (default native-build/aarch64/; native/runner/Makefile); with --check also run the kernels' self-test
# under qemu (SVL 512), the SVL 128/256 refusal check and the runner's protocol smoke test.
# Needs ci/setup-aarch64.sh first. Prints where the runner is.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/ci/aarch64-env.sh"
make -C "$ROOT/native/runner" -j"$(nproc)" all QEMU="$BX_QEMU_AARCH64" OUT="$BX_AARCH64_BUILD_DIR"
if [ "${1:-}" = "--check" ]; then
  make -C "$ROOT/native/runner" check QEMU="$BX_QEMU_AARCH64" OUT="$BX_AARCH64_BUILD_DIR" CASES="${BX_SELFTEST_CASES:-3000}"
fi
echo "runner:        $BX_AARCH64_RUNNER"
echo "run it with:   $BX_QEMU_AARCH64 $BX_QEMU_ARGS $BX_AARCH64_RUNNER"
