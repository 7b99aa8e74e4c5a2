#!/usr/bin/env bash
# ci/setup.sh — everything a fresh Debian/Ubuntu x86-64 machine needs, in one idempotent step
# (`npm run setup`; the README's first command):
#   1. Debian packages: the aarch64 cross toolchain, clang-19 (the SME2 assembler), qemu-user 11
#      unpacked into .toolchain/ (ci/setup-aarch64.sh), and chromium for the HTML report test;
#   2. npm packages (npm's install builds the node addon and compiles the TypeScript);
#   3. the aarch64 runner, cross-built (native-build/aarch64/bitexact-runner: not under build/,
#      which node-gyp rebuild deletes).
# Without root (or with BITEXACT_NO_AARCH64=1) step 1 and 3 are skipped with a message: the
# aarch64 properties then report themselves skipped with this command, never silently pass.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[setup] %s\n' "$*" >&2; }

can_root() { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo

if ! can_root; then
  log "no root (or passwordless sudo): skipping Debian packages (aarch64 toolchain, chromium);" \
    "the aarch64 properties and the HTML report test will report themselves skipped"
else
  if [ "${BITEXACT_NO_AARCH64:-0}" != 1 ]; then
    bash ci/setup-aarch64.sh
  else
    log "BITEXACT_NO_AARCH64=1: skipping the aarch64 toolchain"
  fi
  if ! command -v chromium >/dev/null 2>&1; then
    log "installing chromium (headless check of the HTML report)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null \
      || log "chromium could not be installed: the HTML report test will report itself skipped"
  fi
fi

log "npm install (builds the addon, compiles TypeScript)"
npm install --no-audit --no-fund

if command -v clang-19 >/dev/null 2>&1 && command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
  log "cross-building the aarch64 runner"
  make -s -C native/runner
else
  log "aarch64 toolchain absent: not building the runner"
fi
log "done"
