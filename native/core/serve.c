/*
 * The executor's serving loop: see serve.h and native/PROTOCOL.md ("Transport").
 *
 * A kernel runs in this process and may do anything with its descriptors: print to stdout,
 * write raw bytes to fd 1, close(0) or close(1), even close or overwrite 3 and 4. So the
 * protocol never uses 0..2: it arrives on 3 and 4, which are moved at start to high numbers
 * (close-on-exec) and checked after every request; stdin becomes /dev/null and stdout is
 * unbuffered, so whatever a kernel prints reaches the parent's capture pipe at once (before
 * the response, even if the kernel crashes right after). Descriptors 0..2 are put back after
 * every request, so a kernel's close(1) costs only its own output.
 */
#define _GNU_SOURCE
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "exec.h"

/* Largest request accepted (a sanity bound, far above any real case). */
#define BX_SERVE_MAX_FRAME (UINT32_C(1) << 30)
/* Where the protocol descriptors are moved to: far above what a kernel's open() returns. */
#define BX_SERVE_HIGH_FD 1000

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

/* fd duplicated close-on-exec to a high number, in blocking mode; the original closed. */
static int move_high(int fd) {
  int floor = BX_SERVE_HIGH_FD;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= (rlim_t)floor + 16)
    floor = rl.rlim_cur > 64 ? (int)rl.rlim_cur - 16 : 10;
  int hi = fcntl(fd, F_DUPFD_CLOEXEC, floor);
  if (hi < 0) hi = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (hi < 0) return -1;
  close(fd);
  int fl = fcntl(hi, F_GETFL);
  if (fl >= 0 && (fl & O_NONBLOCK)) (void)fcntl(hi, F_SETFL, fl & ~O_NONBLOCK);
  return hi;
}

static int same_file(int fd, const struct stat *want) {
  struct stat st;
  return fstat(fd, &st) == 0 && st.st_dev == want->st_dev && st.st_ino == want->st_ino;
}

int bx_serve(const char *who) {
  signal(SIGPIPE, SIG_IGN); /* a vanished parent shows up as a write error */
#if defined(__linux__)
  /* Die with the parent, even while a kernel loops (qemu-user passes this to the host, so
   * under emulation the death signal reaches qemu itself). */
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
  const char *parent = getenv(BX_SERVE_PARENT_ENV);
  if (parent != NULL && *parent != '\0' && (pid_t)strtol(parent, NULL, 10) != getppid()) {
    fprintf(stderr, "%s: parent %s is gone (parent is now %ld); exiting\n", who, parent, (long)getppid());
    return BX_SERVE_ORPHAN;
  }
  if (fcntl(BX_SERVE_REQ_FD, F_GETFD) < 0 || fcntl(BX_SERVE_RESP_FD, F_GETFD) < 0) {
    fprintf(stderr, "%s: descriptors %d (requests) and %d (responses) must be open (native/PROTOCOL.md)\n", who,
            BX_SERVE_REQ_FD, BX_SERVE_RESP_FD);
    return BX_SERVE_NO_FDS;
  }
  int in = move_high(BX_SERVE_REQ_FD);
  int out = move_high(BX_SERVE_RESP_FD);
  struct stat in_st, out_st;
  if (in < 0 || out < 0 || fstat(in, &in_st) != 0 || fstat(out, &out_st) != 0) {
    fprintf(stderr, "%s: cannot move the protocol descriptors: %s\n", who, strerror(errno));
    return BX_SERVE_NO_FDS;
  }
  /* The kernel's stdin reads nothing; its stdout is whatever the parent gave fd 1 (if fd 1 is
   * not open, stderr), unbuffered. */
  int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (nul >= 0 && nul != 0) {
    dup2(nul, 0);
    close(nul);
  }
  if (fcntl(1, F_GETFD) < 0) dup2(2, 1);
  setvbuf(stdout, NULL, _IONBF, 0);
  int std_copy[3];
  struct stat std_st[3];
  for (int i = 0; i < 3; i++) {
    std_copy[i] = fcntl(i, F_DUPFD_CLOEXEC, in > out ? in + 1 : out + 1);
    if (std_copy[i] >= 0 && fstat(std_copy[i], &std_st[i]) != 0) std_copy[i] = -1;
  }

  for (;;) {
    uint8_t hdr[4];
    int r = read_full(in, hdr, 4);
    if (r == 0) return 0;
    if (r < 0) {
      fprintf(stderr, "%s: truncated frame header or read error\n", who);
      return BX_SERVE_IO_ERROR;
    }
    uint32_t len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
    if (len > BX_SERVE_MAX_FRAME) {
      fprintf(stderr, "%s: frame of %u bytes refused\n", who, (unsigned)len);
      return BX_SERVE_IO_ERROR;
    }
    uint8_t *req = malloc(len ? len : 1);
    if (req == NULL) {
      fprintf(stderr, "%s: out of memory for a %u-byte request\n", who, (unsigned)len);
      return BX_SERVE_NO_MEMORY;
    }
    if (len > 0 && read_full(in, req, len) != 1) {
      fprintf(stderr, "%s: truncated frame (%u bytes announced)\n", who, (unsigned)len);
      free(req);
      return BX_SERVE_IO_ERROR;
    }
    uint8_t *resp = NULL;
    size_t rlen = bx_exec(req, len, &resp);
    free(req);
    fflush(stdout); /* in case a kernel made stdout buffered again */
    for (int i = 0; i < 3; i++)
      if (std_copy[i] >= 0 && !same_file(i, &std_st[i])) dup2(std_copy[i], i);
    int bad_in = !same_file(in, &in_st), bad_out = !same_file(out, &out_st);
    if (bad_in || bad_out) {
      fprintf(stderr, "%s: the kernel closed or replaced the executor's protocol descriptor%s %s%s%s (a kernel must not touch descriptors it did not open)\n",
              who, bad_in && bad_out ? "s" : "", bad_in ? "(requests)" : "", bad_in && bad_out ? " and " : "",
              bad_out ? "(responses)" : "");
      free(resp);
      return BX_SERVE_FD_TAMPERED;
    }
    if (resp == NULL || rlen > UINT32_MAX) {
      fprintf(stderr, "%s: no response could be built\n", who);
      free(resp);
      return BX_SERVE_NO_MEMORY;
    }
    uint8_t head[4] = {(uint8_t)rlen, (uint8_t)(rlen >> 8), (uint8_t)(rlen >> 16), (uint8_t)(rlen >> 24)};
    int werr = write_full(out, head, 4) || write_full(out, resp, rlen);
    free(resp);
    if (werr) {
      fprintf(stderr, "%s: write error\n", who);
      return BX_SERVE_IO_ERROR;
    }
  }
}
