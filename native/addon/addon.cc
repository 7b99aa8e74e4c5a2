// The node-addon-api face of the executor: exec(Buffer) -> Buffer runs one request of
// native/PROTOCOL.md in-process; list() is LIST, parsed. Untrusted kernels are run through
// the child process (native/backends/host-child.ts), never in the caller's process: that
// child calls serve(), the executor loop on descriptors 3 and 4 (native/core/serve.c), which
// never returns to JavaScript: the process exits with the loop's status.
#include <napi.h>

#include <cstdlib>
#include <unistd.h>

#include "exec.h"
#include "serve.h"

namespace {

Napi::Value Exec(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "exec(request: Buffer | Uint8Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "exec: the request must be a Uint8Array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array req = ta.As<Napi::Uint8Array>();
  uint8_t *resp = nullptr;
  size_t len = bx_exec(req.Data(), req.ByteLength(), &resp);
  if (!resp) {
    Napi::Error::New(env, "bx_exec: out of memory").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Hand the malloc'ed response to V8 without a copy; freed by the finalizer.
  return Napi::Buffer<uint8_t>::New(env, resp, len, [](Napi::Env, uint8_t *p) { std::free(p); });
}

Napi::Value List(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const uint8_t req[4] = {1, 0, 0, 0}; // LIST
  uint8_t *resp = nullptr;
  size_t len = bx_exec(req, sizeof req, &resp);
  if (!resp || len < 8) {
    std::free(resp);
    Napi::Error::New(env, "bx_exec(LIST) failed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t status = resp[0] | resp[1] << 8 | resp[2] << 16 | (uint32_t)resp[3] << 24;
  uint32_t slen = resp[4] | resp[5] << 8 | resp[6] << 16 | (uint32_t)resp[7] << 24;
  Napi::String json = Napi::String::New(env, reinterpret_cast<const char *>(resp + 8),
                                        slen <= len - 8 ? slen : len - 8);
  std::free(resp);
  if (status != 0) {
    Napi::Error::New(env, json.Utf8Value()).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object JSON = env.Global().Get("JSON").As<Napi::Object>();
  return JSON.Get("parse").As<Napi::Function>().Call(JSON, {json});
}

// Ends the process with bx_serve's status, skipping node's teardown: a kernel may have left
// the process in any state (closed descriptors, signal handlers), and nothing is left to do.
Napi::Value Serve(const Napi::CallbackInfo &) {
  _exit(bx_serve("bitexact host child"));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("exec", Napi::Function::New(env, Exec, "exec"));
  exports.Set("list", Napi::Function::New(env, List, "list"));
  exports.Set("serve", Napi::Function::New(env, Serve, "serve"));
  return exports;
}

} // namespace

NODE_API_MODULE(bitexact, Init)
