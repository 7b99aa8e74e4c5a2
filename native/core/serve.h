/*
 * The executor's serving loop (native/PROTOCOL.md, "Transport"): requests on descriptor 3,
 * responses on descriptor 4, the kernel's stdin /dev/null and its stdout / stderr left to the
 * parent to capture. Shared by the aarch64 runner (native/runner/main.c) and the host child
 * (the addon's serve(), native/backends/host-child.ts), so both isolate kernels alike.
 */
#ifndef BX_SERVE_H
#define BX_SERVE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Descriptors the parent passes the protocol on. */
#define BX_SERVE_REQ_FD 3
#define BX_SERVE_RESP_FD 4
/* Environment variable with the parent's pid: an executor whose parent is already gone when
 * it starts exits instead of serving nobody. */
#define BX_SERVE_PARENT_ENV "BX_EXECUTOR_PARENT"

/* Exit statuses of bx_serve (besides 0 = EOF at a frame boundary). */
enum {
  BX_SERVE_IO_ERROR = 1,     /* truncated frame, read or write error */
  BX_SERVE_NO_FDS = 2,       /* descriptors 3 and 4 are not open */
  BX_SERVE_NO_MEMORY = 3,    /* a request or response could not be allocated */
  BX_SERVE_FD_TAMPERED = 4,  /* a kernel closed or replaced a protocol descriptor */
  BX_SERVE_ORPHAN = 5        /* the parent named in BX_EXECUTOR_PARENT is gone */
};

/* Runs the loop until EOF or an error; returns the exit status. `who` prefixes messages on
 * stderr. */
int bx_serve(const char *who);

#ifdef __cplusplus
}
#endif

#endif
