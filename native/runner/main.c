/*
 * bitexact-runner — the executor protocol over stdin/stdout (native/PROTOCOL.md).
 *
 * Loop: read a frame (u32 little-endian payload length, then the payload) from stdin, hand
 * the request to bx_exec(), write `u32 length + response` to stdout. Requests and responses
 * alternate strictly; every response is written with write(2) before the next request is
 * read, so nothing sits in a buffer. Exit status: 0 on EOF at a frame boundary, 1 on a
 * truncated frame or an I/O error, 3 if a response cannot be allocated.
 *
 * Cross-built for aarch64 (native/runner/Makefile) and run under
 *   qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu max,sme-default-vector-length=64
 * It builds for the host too (any C11 compiler; e.g. a UBSan build of the executor).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "exec.h"

/* Largest request accepted (a sanity bound, far above any real case). */
#define BX_RUNNER_MAX_FRAME (UINT32_C(1) << 30)

/* 1 = read n bytes, 0 = EOF before the first byte, -1 = error or EOF inside */
static int read_full(int fd, uint8_t *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) return got == 0 ? 0 : -1;
    got += (size_t)r;
  }
  return 1;
}

static int write_full(int fd, const uint8_t *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN); /* a vanished parent shows up as a write error, exit 1 */
  for (;;) {
    uint8_t hdr[4];
    int r = read_full(0, hdr, 4);
    if (r == 0) return 0;
    if (r < 0) {
      fprintf(stderr, "bitexact-runner: truncated frame header or read error\n");
      return 1;
    }
    uint32_t len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
    if (len > BX_RUNNER_MAX_FRAME) {
      fprintf(stderr, "bitexact-runner: frame of %u bytes refused\n", (unsigned)len);
      return 1;
    }
    uint8_t *req = malloc(len ? len : 1);
    if (req == NULL) {
      fprintf(stderr, "bitexact-runner: out of memory for a %u-byte request\n", (unsigned)len);
      return 3;
    }
    if (len > 0 && read_full(0, req, len) != 1) {
      fprintf(stderr, "bitexact-runner: truncated frame (%u bytes announced)\n", (unsigned)len);
      free(req);
      return 1;
    }
    uint8_t *resp = NULL;
    size_t rlen = bx_exec(req, len, &resp);
    free(req);
    if (resp == NULL || rlen > UINT32_MAX) {
      fprintf(stderr, "bitexact-runner: no response could be built\n");
      free(resp);
      return 3;
    }
    uint8_t out[4] = {(uint8_t)rlen, (uint8_t)(rlen >> 8), (uint8_t)(rlen >> 16), (uint8_t)(rlen >> 24)};
    int werr = write_full(1, out, 4) || write_full(1, resp, rlen);
    free(resp);
    if (werr) {
      fprintf(stderr, "bitexact-runner: write error\n");
      return 1;
    }
  }
}
