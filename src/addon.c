/* The ctxframe native module: Node-API registration and per-instance state.
 *
 * The module is context-aware: every Node-API environment that loads it (the
 * main thread, each worker_thread, each extra instance loaded with
 * process.dlopen) gets its own `ctxframe_instance`, held as Node-API instance
 * data and freed by Node when that environment is torn down. There is no
 * other state. The V8 slot functions come from slot_bridge.cc.
 */
#include <stdint.h>
#include <stdlib.h>

#include <node_api.h>

#include "slot_bridge.h"

typedef struct ctxframe_instance {
  /* Distinct for every live instance: derived from this struct's address. */
  double id;
} ctxframe_instance;

/* Evaluates a Node-API call; on failure throws (unless an exception is
 * already pending) and returns NULL from the enclosing function. */
#define CTXFRAME_CALL(env, call)                                             \
  do {                                                                       \
    napi_status status_ = (call);                                            \
    if (status_ != napi_ok) {                                                \
      ctxframe_throw_status((env), status_, #call);                          \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

static void ctxframe_throw_status(napi_env env, napi_status status,
                                  const char* what) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  const napi_extended_error_info* info = NULL;
  const char* message = "Node-API call failed";
  if (napi_get_last_error_info(env, &info) == napi_ok && info != NULL &&
      info->error_message != NULL) {
    message = info->error_message;
  }
  (void)status;
  (void)what;
  /* Nothing more can be done if throwing itself fails. */
  (void)napi_throw_error(env, "CTXFRAME_NATIVE_INIT", message);
}

static void ctxframe_instance_free(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  free(data);
}

static napi_value ctxframe_set_number(napi_env env, napi_value target,
                                      const char* name, double number) {
  napi_value value;
  CTXFRAME_CALL(env, napi_create_double(env, number, &value));
  CTXFRAME_CALL(env, napi_set_named_property(env, target, name, value));
  return target;
}

static napi_value ctxframe_init(napi_env env, napi_value exports) {
  ctxframe_instance* instance = calloc(1, sizeof(*instance));
  if (instance == NULL) {
    (void)napi_throw_error(env, "CTXFRAME_NATIVE_INIT",
                           "ctxframe: out of memory creating instance data");
    return NULL;
  }
  instance->id = (double)((uintptr_t)instance >> 4);
  napi_status status =
      napi_set_instance_data(env, instance, ctxframe_instance_free, NULL);
  if (status != napi_ok) {
    free(instance);
    ctxframe_throw_status(env, status, "napi_set_instance_data");
    return NULL;
  }

  if (ctxframe_set_number(env, exports, "instanceId", instance->id) == NULL) {
    return NULL;
  }
  if (ctxframe_set_number(env, exports, "napiVersion", NAPI_VERSION) == NULL) {
    return NULL;
  }
  CTXFRAME_CALL(env, ctxframe_slot_bridge_install(env, exports));
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
