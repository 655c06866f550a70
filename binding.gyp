# Native part of ctxframe: one Node-API module written in C (src/addon.c) plus
# the one C++ file V8 requires (src/slot_bridge.cc: the continuation-preserved
# embedder data slot has no C or Node-API binding).
#
# Installs use the prebuilds and run nothing; source builds are explicit
# (`npx ctxframe-build`). The package ships this file as gyp/binding.gyp
# (scripts/pack-gyp.js, at pack time), not at its root: npm and pnpm honour
# "gypfile": false, but yarn 1 and yarn 4 turn a root binding.gyp into an
# install-time `node-gyp rebuild` regardless. scripts/package-test.js checks
# npm, pnpm and yarn installs.
#
# Node's headers are included as system headers (-isystem) so that the strict
# warnings below judge ctxframe's own code, not V8's. Build with
# `node scripts/build.js`, which always passes --nodedir: never download headers.
#
# Extra flags for special builds (sanitizers, coverage) go through the
# environment, which gyp's make generator appends to every compile and link:
#   CFLAGS / CXXFLAGS / LDFLAGS, e.g. CFLAGS=-fsanitize=address
# scripts/build.js passes them through; the prebuilds clear them.
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
