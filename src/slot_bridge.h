/* The V8 continuation slot, seen from C.
 *
 * V8 keeps one value per isolate -- the continuation-preserved embedder data
 * ("the slot") -- that it captures when a promise reaction is registered and
 * restores when the reaction runs. Node's AsyncContextFrame keeps the current
 * frame there. V8 offers it only through C++ API, so slot_bridge.cc is the one
 * C++ file of ctxframe; everything else talks to it through this header.
 */
#ifndef CTXFRAME_SLOT_BRIDGE_H_
#define CTXFRAME_SLOT_BRIDGE_H_

#include <node_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Adds to `exports`:
 *   get()            -> the slot's value
 *   set(value)       -> undefined; TypeError ERR_MISSING_ARGS without argument
 *   exchange(value)  -> the previous value; same validation as set
 *   extras           -> { get, set }: V8's own slot built-ins from the
 *                       context's extras binding object (V8 12.4+), which
 *                       TurboFan inlines; undefined where V8 has none
 * Returns napi_ok, or napi_generic_failure with a pending JS exception. */
napi_status ctxframe_slot_bridge_install(napi_env env, napi_value exports);

#ifdef __cplusplus
}
#endif

#endif /* CTXFRAME_SLOT_BRIDGE_H_ */
