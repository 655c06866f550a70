# Native part of ctxframe: one Node-API module written in C (src/addon.c) plus
# the one C++ file V8 requires (src/slot_bridge.cc: the continuation-preserved
# embedder data slot has no C or Node-API binding).
#
# Node's headers are included as system headers (-isystem) so that the strict
# warnings below judge ctxframe's own code, not V8's. Build with
# `node scripts/build.js`, which always passes --nodedir: never download headers.
{
  "targets": [
    {
      "target_name": "ctxframe",
      "sources": ["src/addon.c", "src/slot_bridge.cc"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": [
        "-Wall", "-Wextra", "-Werror",
        "-isystem", "<(node_root_dir)/include/node"
      ],
      "cflags_c": ["-std=c11", "-Wpedantic"],
      "cflags_cc": ["-Wno-missing-field-initializers"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-Wall", "-Wextra", "-Werror"],
        "GCC_C_LANGUAGE_STANDARD": "c11"
      }
    }
  ]
}
