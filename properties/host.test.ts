// Every host kernel (CPUID-gated) against every property, bit-exact.
import { discoverTargets } from '../native/targets.js';
import { kernelSuite } from './suite.js';

kernelSuite('host kernels', discoverTargets({ aarch64: false }), {
  expectKernels: ['generic_i32_4x4', 'x86_avx2_i32_8x8', 'x86_avx512vnni_i32_16x16_k4'],
});
