{
  # The addon `bitexact` (executor + frame + builtin kernels) and the shared library of test
  # kernels. Kernels select their ISA with per-function target attributes, so the default
  # flags are right for every file. Sources are relative to this file (the package root).
  'target_defaults': {
    'include_dirs': ['native/include', 'native/core', 'native/frame'],
    'cflags': ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter'],
    'cflags_c': ['-std=gnu11'],
    'cflags!': ['-O3'],
  },
  'targets': [
    {
      'target_name': 'bitexact',
      'sources': [
        'native/addon/addon.cc',
        # core + frame + the builtin kernels of this host (native/sources.cjs decides; it
        # fails the build on a kernel file it cannot place)
        '<!@(node native/sources.cjs addon)',
      ],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags_cc': ['-std=c++17'],
      'libraries': ['-ldl'],
    },
    {
      # build/Release/bitexact_test_kernels.so, loaded by the tests with LOAD_LIB.
      'target_name': 'bitexact_test_kernels',
      'type': 'shared_library',
      'product_prefix': '',
      'product_dir': '<(PRODUCT_DIR)',
      'sources': ['native/test-kernels/test_kernels.c', 'native/test-kernels/ref.c', 'native/test-kernels/abi_break.S'],
    },
    {
      # build/Release/bitexact_hostile_kernels.so: kernels that print, close(0/1) and write to
      # the executor's descriptors (a library of its own: its constructor prints on load).
      'target_name': 'bitexact_hostile_kernels',
      'type': 'shared_library',
      'product_prefix': '',
      'product_dir': '<(PRODUCT_DIR)',
      'sources': ['native/test-kernels/hostile_io.c', 'native/test-kernels/ref.c'],
    },
  ],
}
