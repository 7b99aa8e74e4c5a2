#!/usr/bin/env bash
# ci/setup-aarch64.sh — install the aarch64 cross toolchain and an SME2-capable qemu-user.
#
# Idempotent, non-interactive, on a Debian bookworm (x86-64) machine: as root, or as any user
# once the three apt packages below are installed (step 2 needs no root).
#
#   BX_TOOLCHAIN_DIR  where qemu is unpacked (default: .toolchain/ of the clone;
#                     `bitexact setup aarch64` passes its user cache, <cache>/toolchain)
#
#  * From the machine's own apt sources (bookworm main): gcc-aarch64-linux-gnu,
#    libc6-dev-arm64-cross (cross glibc headers, crt files, libc.a and the aarch64 ld.so
#    in /usr/aarch64-linux-gnu) and clang-19 (bookworm main carries 1:19.1.7-3~deb12u1 since
#    the 12.x point releases; its integrated assembler is the only one here that takes SME2:
#    bookworm's binutils 2.40 does not).
#  * qemu-user 11.x from Debian's trixie-backports, WITHOUT touching the machine's apt
#    configuration: a private sources.list / lists / cache under .toolchain/apt, then
#    `apt-get download` + `dpkg -x` into .toolchain/qemu. trixie-backports' qemu-aarch64 is a
#    static-pie binary, so it runs on bookworm without installing anything. bookworm's own
#    qemu-user-static 7.2 (and bookworm-backports' 10.0) run SME but not SME2 (SIGILL on
#    multi-vector ld1b): docs/toolchain.md.
#
# Prints where qemu-aarch64 ended up and its version. ci/aarch64-env.sh (sourceable) tells
# other code where everything is.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TC="${BX_TOOLCHAIN_DIR:-$ROOT/.toolchain}"
APTDIR="$TC/apt"
QEMU_DIR="$TC/qemu"
QEMU_SUITE="${BX_QEMU_SUITE:-trixie-backports}"
QEMU_MIN_MAJOR=11
MIRROR="${BX_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[setup-aarch64] %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

# ---------------------------------------------------------------------------------------------
# 1. Cross compilers from the machine's own sources.
# ---------------------------------------------------------------------------------------------
need_pkgs=()
for p in gcc-aarch64-linux-gnu libc6-dev-arm64-cross clang-19; do
  # (no `| grep -q` under pipefail: grep exits at the first match and the writer's SIGPIPE
  # would make the pipeline fail)
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != *'install ok installed'* ]]; then
    need_pkgs+=("$p")
  fi
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then
    log "missing apt packages: ${need_pkgs[*]}; not root and no passwordless sudo. Install them with:"
    log "  sudo apt-get install -y --no-install-recommends ${need_pkgs[*]}"
    log "then run this again (the rest needs no root)"
    exit 3
  fi
  log "installing ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  if ! [[ "$(apt-cache policy clang-19)" =~ Candidate:\ [0-9] ]]; then
    log "clang-19 has no candidate in the machine's apt sources (expected in bookworm main," \
      "1:19.1.7-3~deb12u1); add bookworm (main) to the sources and retry"
    exit 1
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
else
  log "cross toolchain already installed"
fi
command -v clang-19 >/dev/null
command -v aarch64-linux-gnu-gcc >/dev/null
test -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1

# ---------------------------------------------------------------------------------------------
# 2. qemu-user from trixie-backports into .toolchain/qemu (private apt state, no install).
# ---------------------------------------------------------------------------------------------
qemu_bin="$QEMU_DIR/usr/bin/qemu-aarch64"
qemu_ok() {
  [ -x "$qemu_bin" ] || return 1
  local v
  v="$("$qemu_bin" --version 2>/dev/null | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -1)"
  [ -n "$v" ] && [ "$v" -ge "$QEMU_MIN_MAJOR" ]
}

if qemu_ok; then
  log "qemu-aarch64 already present"
else
  log "fetching qemu-user from $QEMU_SUITE (private apt state in $APTDIR)"
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/archives/partial" "$APTDIR/etc/preferences.d" \
    "$APTDIR/etc/sources.list.d" "$APTDIR/etc/apt.conf.d" "$APTDIR/dl"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$MIRROR" "$QEMU_SUITE" >"$APTDIR/etc/sources.list"
  apt_private=(
    -o "Dir::Etc::sourcelist=$APTDIR/etc/sources.list"
    -o "Dir::Etc::sourceparts=$APTDIR/etc/sources.list.d"
    -o "Dir::Etc::preferences=$APTDIR/etc/preferences"
    -o "Dir::Etc::preferencesparts=$APTDIR/etc/preferences.d"
    -o "Dir::State::Lists=$APTDIR/lists"
    -o "Dir::Cache=$APTDIR"
    -o "Dir::Cache::archives=$APTDIR/archives"
    -o "Dir::Cache::pkgcache="
    -o "Dir::Cache::srcpkgcache="
    -o "APT::Get::List-Cleanup=0"
    -o "Debug::NoLocking=1"
    -o "Acquire::Languages=none"
  )
  # The private lists are owned by us; apt's sandbox user (_apt) must be able to write them.
  if id _apt >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    chown -R _apt:root "$APTDIR/lists" "$APTDIR/dl" 2>/dev/null || true
  fi
  apt-get "${apt_private[@]}" update -qq
  ver="$(apt-cache "${apt_private[@]}" show qemu-user 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1)"
  if [ -z "$ver" ]; then
    log "qemu-user not found in $QEMU_SUITE"
    exit 1
  fi
  log "qemu-user candidate in $QEMU_SUITE: $ver"
  rm -f "$APTDIR"/dl/qemu-user_*.deb
  (cd "$APTDIR/dl" && apt-get "${apt_private[@]}" download -qq "qemu-user=$ver")
  deb="$(ls "$APTDIR"/dl/qemu-user_*.deb | head -1)"
  rm -rf "$QEMU_DIR.tmp"
  mkdir -p "$QEMU_DIR.tmp"
  dpkg -x "$deb" "$QEMU_DIR.tmp"
  # keep only the aarch64 emulator (the package carries every target, ~500 MB)
  find "$QEMU_DIR.tmp/usr/bin" -type f ! -name qemu-aarch64 -delete
  rm -f "$deb"
  rm -rf "$QEMU_DIR"
  mv "$QEMU_DIR.tmp" "$QEMU_DIR"
  printf '%s\n' "$ver" >"$QEMU_DIR/VERSION"
  if ! qemu_ok; then
    log "extracted $deb but $qemu_bin does not run or is older than $QEMU_MIN_MAJOR"
    exit 1
  fi
fi

# ---------------------------------------------------------------------------------------------
# 3. Report.
# ---------------------------------------------------------------------------------------------
echo "clang-19:       $(command -v clang-19) ($(clang-19 --version | head -1))"
echo "aarch64 gcc:    $(command -v aarch64-linux-gnu-gcc) ($(aarch64-linux-gnu-gcc --version | head -1))"
echo "aarch64 sysroot: /usr/aarch64-linux-gnu"
echo "qemu-aarch64:   $qemu_bin"
echo "qemu version:   $("$qemu_bin" --version | head -1)"
