// Kernels for the CLI verbs that run single cases (eval --kernel, replay, list): every backend
// available here plus the kernels of --kernel-lib libraries, each paired with its backend.
// the kernel set (builtins + --kernel-lib libraries) is shared with the conform engine
export { openKernels, type KernelSet } from '../native/targets.js';

/** The string[] of a `multiple: true` option. */
export const many = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);
