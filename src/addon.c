/* The ctxframe native module: Node-API registration of the continuation
 * bridge (slot_bridge.cc).
 *
 * The module is context-aware and keeps no state of its own: every Node-API
 * environment that loads it (the main thread, each worker_thread, each extra
 * instance loaded with process.dlopen) gets the same functions, and each call
 * finds its isolate in its arguments.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <node_api.h>

#include "slot_bridge.h"

/* Throws an Error with code CTXFRAME_NATIVE_INIT naming the step that failed
 * and its status, unless an exception is already pending (that one is the
 * better report: the bridge returns napi_pending_exception after V8 threw). */
static void ctxframe_throw_status(napi_env env, napi_status status,
                                  const char* what) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  char message[160];
  (void)snprintf(message, sizeof(message), "ctxframe: %s failed (napi_status %d)",
                 what, (int)status);
  /* Nothing more can be done if throwing itself fails. */
  (void)napi_throw_error(env, "CTXFRAME_NATIVE_INIT", message);
}

static napi_value ctxframe_init(napi_env env, napi_value exports) {
  napi_status status = ctxframe_slot_bridge_install(env, exports);
  if (status != napi_ok) {
    ctxframe_throw_status(env, status, "installing the continuation bridge");
    return NULL;
  }
  return exports;
}

/* Exported by hand rather than through NAPI_MODULE: these two symbols are
 * what Node looks for in a Node-API addon, and spelling them out keeps every
 * warning on. */
NAPI_MODULE_EXPORT int32_t node_api_module_get_api_version_v1(void) {
  return NAPI_VERSION;
}

NAPI_MODULE_EXPORT napi_value napi_register_module_v1(napi_env env,
                                                      napi_value exports) {
  return ctxframe_init(env, exports);
}
