// The aarch64 kernels (NEON SMLAL, SDOT, SME2 SMOPA) under qemu-aarch64 at SVL 512 bits,
// against the same properties as the host kernels. Without the toolchain every kernel is a
// reported skip naming the command that installs it.
import { discoverTargets } from '../native/targets.js';
import { kernelSuite } from './suite.js';

kernelSuite('aarch64 kernels', discoverTargets({ host: false }), {
  expectKernels: ['arm64_neon_i32_8x8', 'arm64_dotprod_i32_8x8_k4', 'arm64_sme2_i32_32x32_k4'],
});
