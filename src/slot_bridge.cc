// The one C++ file of ctxframe: reads and writes V8's continuation-preserved
// embedder data (the slot that carries Node's AsyncContextFrame), which V8
// exposes only through its C++ API.
//
// It owns no state: every callback finds its isolate in its arguments, so the
// functions are safe in any number of worker threads and module instances.
// Node-API values and V8 locals have the same representation (Node relies on
// it in v8impl::V8LocalValueFromJsValue); the conversion below is the
// only place that knowledge lives.

#include "slot_bridge.h"

#include <cstdio>
#include <cstring>

#include <v8.h>

namespace {

v8::Local<v8::Value> LocalFromNapi(napi_value value) {
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(value), "napi_value is a V8 local");
  std::memcpy(static_cast<void*>(&local), &value, sizeof(value));
  return local;
}

// Which V8 API carries the slot in these headers:
//   V8 >= 14: Isolate::{Get,Set}ContinuationPreservedEmbedderDataV2 (Local<Data>)
//   V8 >= 12: Isolate::{Get,Set}ContinuationPreservedEmbedderData
//   older   : Context::{Get,Set}ContinuationPreservedEmbedderData
v8::Local<v8::Value> ReadSlot(v8::Isolate* isolate) {
#if V8_MAJOR_VERSION >= 14
  v8::Local<v8::Data> data = isolate->GetContinuationPreservedEmbedderDataV2();
  if (data.IsEmpty() || !data->IsValue()) return v8::Undefined(isolate);
  return data.As<v8::Value>();
#elif V8_MAJOR_VERSION >= 12
  return isolate->GetContinuationPreservedEmbedderData();
#else
  return isolate->GetCurrentContext()->GetContinuationPreservedEmbedderData();
#endif
}

void WriteSlot(v8::Isolate* isolate, v8::Local<v8::Value> value) {
#if V8_MAJOR_VERSION >= 14
  isolate->SetContinuationPreservedEmbedderDataV2(value);
#elif V8_MAJOR_VERSION >= 12
  isolate->SetContinuationPreservedEmbedderData(value);
#else
  isolate->GetCurrentContext()->SetContinuationPreservedEmbedderData(value);
#endif
}

// Throws TypeError [ERR_MISSING_ARGS] unless the call has an argument.
bool RequireValueArgument(const v8::FunctionCallbackInfo<v8::Value>& info,
                          const char* fn) {
  if (info.Length() >= 1) return true;
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  char message[96];
  std::snprintf(message, sizeof(message),
                "The \"value\" argument must be specified (%s)", fn);
  v8::Local<v8::Value> error = v8::Exception::TypeError(
      v8::String::NewFromUtf8(isolate, message).ToLocalChecked());
  v8::Local<v8::Object> object = error.As<v8::Object>();
  v8::Maybe<bool> ok = object->Set(
      context, v8::String::NewFromUtf8Literal(isolate, "code"),
      v8::String::NewFromUtf8Literal(isolate, "ERR_MISSING_ARGS"));
  (void)ok;  // The error is thrown either way; a failed Set only loses `code`.
  isolate->ThrowException(error);
  return false;
}

void SlotGet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(ReadSlot(info.GetIsolate()));
}

void SlotSet(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!RequireValueArgument(info, "set")) return;
  WriteSlot(info.GetIsolate(), info[0]);
}

void SlotExchange(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!RequireValueArgument(info, "exchange")) return;
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Value> prior = ReadSlot(isolate);
  WriteSlot(isolate, info[0]);
  info.GetReturnValue().Set(prior);
}

bool DefineFunction(v8::Isolate* isolate, v8::Local<v8::Context> context,
                    v8::Local<v8::Object> target, const char* name,
                    v8::FunctionCallback callback, int length) {
  v8::Local<v8::String> key;
  v8::Local<v8::Function> fn;
  if (!v8::String::NewFromUtf8(isolate, name).ToLocal(&key)) return false;
  // kThrow: calling these with `new` is a TypeError, not a crash or an object.
  if (!v8::Function::New(context, callback, v8::Local<v8::Value>(), length,
                         v8::ConstructorBehavior::kThrow)
           .ToLocal(&fn)) {
    return false;
  }
  fn->SetName(key);
  return target->Set(context, key, fn).FromMaybe(false);
}

// V8 12.4+ keeps its own slot built-ins on the extras binding object; Node's
// AsyncContextFrame uses the same ones. Returns false only on a JS exception;
// `found` says whether both built-ins were there.
bool LookupExtras(v8::Isolate* isolate, v8::Local<v8::Context> context,
                  v8::Local<v8::Object> extras_out, bool* found) {
  *found = false;
  v8::Local<v8::Object> extras = context->GetExtrasBindingObject();
  if (extras.IsEmpty()) return true;
  static const char* const kNames[2][2] = {
      {"getContinuationPreservedEmbedderData", "get"},
      {"setContinuationPreservedEmbedderData", "set"}};
  for (const auto& names : kNames) {
    v8::Local<v8::Value> fn;
    if (!extras->Get(context, v8::String::NewFromUtf8(isolate, names[0])
                                  .ToLocalChecked())
             .ToLocal(&fn)) {
      return false;
    }
    if (!fn->IsFunction()) return true;
    if (!extras_out
             ->Set(context,
                   v8::String::NewFromUtf8(isolate, names[1]).ToLocalChecked(),
                   fn)
             .FromMaybe(false)) {
      return false;
    }
  }
  *found = true;
  return true;
}

}  // namespace

extern "C" napi_status ctxframe_slot_bridge_install(napi_env env,
                                                    napi_value exports) {
  (void)env;  // The isolate is the current one: module init runs in JS.
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate == nullptr) return napi_generic_failure;
  v8::HandleScope scope(isolate);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Value> target_value = LocalFromNapi(exports);
  if (target_value.IsEmpty() || !target_value->IsObject()) {
    return napi_object_expected;
  }
  v8::Local<v8::Object> target = target_value.As<v8::Object>();

  if (!DefineFunction(isolate, context, target, "get", SlotGet, 0) ||
      !DefineFunction(isolate, context, target, "set", SlotSet, 1) ||
      !DefineFunction(isolate, context, target, "exchange", SlotExchange, 1)) {
    return napi_pending_exception;
  }

  v8::Local<v8::Object> extras = v8::Object::New(isolate);
  bool found = false;
  if (!LookupExtras(isolate, context, extras, &found)) {
    return napi_pending_exception;
  }
  v8::Local<v8::Value> extras_value =
      found ? v8::Local<v8::Value>(extras)
            : v8::Local<v8::Value>(v8::Undefined(isolate));
  if (!target->Set(context, v8::String::NewFromUtf8Literal(isolate, "extras"),
                   extras_value)
           .FromMaybe(false)) {
    return napi_pending_exception;
  }
  return napi_ok;
}
