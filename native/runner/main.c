/*
 * bitexact-runner — the executor protocol (native/PROTOCOL.md) on descriptors 3 (requests) and
 * 4 (responses); the loop and the kernel's isolation from the protocol are
 * native/core/serve.c. Exit status: bx_serve's (native/core/serve.h).
 *
 * Cross-built for aarch64 (native/runner/Makefile) and run under
 *   qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu max,sme-default-vector-length=64
 * It builds for the host too (any C11 compiler; e.g. a UBSan build of the executor).
 */
#include "serve.h"

int main(void) { return bx_serve("bitexact-runner"); }
