// The typed face of native/sources.cjs (which files each native build compiles), for the bench,
// the repro build line and the mutant gate. The .cjs stays the one definition because
// binding.gyp and the Makefiles run it with plain node; it is loaded from the package root so
// this works from the .ts sources and from dist/ alike.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PKG_ROOT } from './paths.js';

/** A build's kernel set: x86_64, aarch64, or portable (the C kernels any CPU runs). */
export type KernelArch = 'x86_64' | 'aarch64' | 'portable';

export interface BuiltinKernel {
  name: string;
  arch: 'x86_64' | 'aarch64';
  /** package-relative sources compiled for it */
  sources: string[];
}
export interface KernelUnit extends BuiltinKernel {
  /** sources plus the headers / .inc they include from native/kernels/ */
  files: string[];
  /** its global symbols (descriptor bx_kernel_<name> first) */
  symbols: string[];
}

interface SourcesModule {
  builtinKernels(arch: KernelArch): BuiltinKernel[];
  builtinKernelSources(arch: KernelArch): string[];
  builtinKernelNames(arch: KernelArch): string[];
  coreSources(): string[];
  kernelUnit(k: BuiltinKernel): KernelUnit;
  kernelUnits(): KernelUnit[];
}

const mod = createRequire(import.meta.url)(join(PKG_ROOT, 'native', 'sources.cjs')) as SourcesModule;

/** The builtin kernels of arch, in link (= registry) order. */
export const builtinKernels = (arch: KernelArch): BuiltinKernel[] => mod.builtinKernels(arch);
/** native/kernels/builtins.c + every kernel source of arch, package-relative, in link order. */
export const builtinKernelSources = (arch: KernelArch): string[] => mod.builtinKernelSources(arch);
export const builtinKernelNames = (arch: KernelArch): string[] => mod.builtinKernelNames(arch);
/** native/core/*.c and native/frame/*.c, package-relative. */
export const coreSources = (): string[] => mod.coreSources();
/** What the mutant generator copies of a kernel (its files and the symbols to rename). */
export const kernelUnit = (k: BuiltinKernel): KernelUnit => mod.kernelUnit(k);
/** Every builtin kernel of both architectures as a KernelUnit (the mutant bases). */
export const kernelUnits = (): KernelUnit[] => mod.kernelUnits();
