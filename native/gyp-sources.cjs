// Prints the kernel + registry sources for binding.gyp (one per line; gyp runs this from the
// package root). The real x86-64 registry and kernels are used once all of them exist, the
// temporary stub registry otherwise, or when BITEXACT_REGISTRY=stub.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const x86 = [
  'native/kernels/registry_x86_64.c',
  'native/kernels/generic_i32_4x4.c',
  'native/kernels/x86_avx2_i32_8x8.c',
  'native/kernels/x86_avx512vnni_i32_16x16_k4.c',
];
const stub = ['native/core/registry_stub.c', 'native/test-kernels/ref.c'];

const wantStub =
  process.env.BITEXACT_REGISTRY === 'stub' ||
  process.arch !== 'x64' ||
  !x86.every((f) => fs.existsSync(path.join(root, f)));
process.stdout.write((wantStub ? stub : x86).join('\n') + '\n');
