// native/sources.cjs — which C and assembly files each native build compiles: the one place
// that decides it. binding.gyp, native/Makefile, native/runner/Makefile,
// native/kernels/selftest/Makefile, the mutant generator, the bench and the repro build line
// all ask this file (TypeScript through native/sources.ts), so a new kernel is one new file.
//
// A builtin kernel is a file of native/kernels/ whose name starts with its architecture's
// prefix: `<name>.c` (x86_64: generic_*, x86_*), or `<name>.S` plus its descriptor
// `<name>_desc.c` (aarch64: arm64_*). Its descriptor is `bx_kernel_<name>`, registered with
// BX_REGISTER_KERNEL (bitexact/register.h), its name string "<name>". Anything else in
// native/kernels/ that is compiled (.c/.S) must be builtins.c; a source that fits no
// architecture, or a kernel that does not register its descriptor, is an error here, so every
// build fails loudly instead of silently building without it.
//
//   node native/sources.cjs core             native/core/*.c and native/frame/*.c
//   node native/sources.cjs kernels ARCH     builtins.c + the kernel sources of ARCH
//   node native/sources.cjs names ARCH       the builtin kernel names of ARCH
//   node native/sources.cjs addon            core + kernels of the host (what binding.gyp builds)
// ARCH: x86_64 | aarch64 | portable (the C kernels any CPU runs: the addon on a host that is
// neither; aarch64 kernels need clang-19's assembler, so they are built into the runner).
// Paths are relative to the package root, one per line, sorted.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const KERNELS_DIR = 'native/kernels';

/** Architecture -> the file-name prefixes of its kernels and the extensions of their sources. */
const ARCHES = {
  x86_64: { prefixes: ['generic_', 'x86_'], asm: false },
  aarch64: { prefixes: ['arm64_'], asm: true },
  portable: { prefixes: ['generic_'], asm: false },
};
/** Linked into every build with kernels: walks what the kernels registered. */
const BUILTINS = `${KERNELS_DIR}/builtins.c`;

class SourcesError extends Error {}
const fail = (msg) => {
  throw new SourcesError(`native/sources.cjs: ${msg}`);
};

const listDir = (rel, re) =>
  fs
    .readdirSync(path.join(ROOT, rel), { withFileTypes: true })
    .filter((e) => e.isFile() && re.test(e.name))
    .map((e) => e.name)
    .sort();

function archOf(arch) {
  const a = ARCHES[arch];
  if (!a) fail(`unknown architecture ${JSON.stringify(arch)} (one of ${Object.keys(ARCHES).join(', ')})`);
  return a;
}

/** Every builtin kernel of the tree, whatever its architecture: [{ name, arch, sources }]. */
function allKernels() {
  const files = listDir(KERNELS_DIR, /\.(c|S)$/);
  const kernels = new Map();
  for (const f of files) {
    if (`${KERNELS_DIR}/${f}` === BUILTINS) continue;
    const stem = f.replace(/(_desc)?\.(c|S)$/, '');
    const arch = ['x86_64', 'aarch64'].find((a) => ARCHES[a].prefixes.some((p) => stem.startsWith(p)));
    if (!arch)
      fail(`${KERNELS_DIR}/${f} belongs to no architecture: a kernel's file name starts with one of ${[...new Set(Object.values(ARCHES).flatMap((a) => a.prefixes))].join(', ')}`);
    const asm = ARCHES[arch].asm;
    if (asm ? !(f === `${stem}.S` || f === `${stem}_desc.c`) : f !== `${stem}.c`)
      fail(`${KERNELS_DIR}/${f}: an ${arch} kernel is ${asm ? '<name>.S with <name>_desc.c' : 'one <name>.c'}`);
    if (!kernels.has(stem)) kernels.set(stem, { name: stem, arch, sources: [] });
    kernels.get(stem).sources.push(`${KERNELS_DIR}/${f}`);
  }
  for (const k of kernels.values()) {
    if (ARCHES[k.arch].asm && k.sources.length !== 2)
      fail(`${k.sources[0]}: an ${k.arch} kernel is ${k.name}.S with ${k.name}_desc.c`);
    const desc = `bx_kernel_${k.name}`;
    const reg = new RegExp(`^\\s*BX_REGISTER_KERNEL\\(\\s*${desc}\\s*\\)`, 'm');
    if (!k.sources.some((s) => s.endsWith('.c') && reg.test(fs.readFileSync(path.join(ROOT, s), 'utf8'))))
      fail(`kernel ${k.name}: none of ${k.sources.join(', ')} registers its descriptor with BX_REGISTER_KERNEL(${desc})`);
  }
  return [...kernels.values()];
}

/** The builtin kernels of one architecture (portable: the generic ones). */
function builtinKernels(arch) {
  const { prefixes } = archOf(arch);
  return allKernels().filter((k) => prefixes.some((p) => k.name.startsWith(p)));
}

/** builtins.c + the kernel sources of arch, package-relative, sorted (= link order = LIST order). */
function builtinKernelSources(arch) {
  const ks = builtinKernels(arch);
  if (!ks.length) fail(`no ${arch} kernel in ${KERNELS_DIR}/`);
  return [BUILTINS, ...ks.flatMap((k) => k.sources).sort()];
}

const builtinKernelNames = (arch) => builtinKernels(arch).map((k) => k.name);

/** The executor core (request parsing, registry, guard) and the frame, package-relative. */
function coreSources() {
  // *_test.c / *_test_<arch>.S are self-test programs, never part of a build's core
  return ['native/core', 'native/frame'].flatMap((d) => listDir(d, /\.(c|S)$/).filter((f) => !/_test(_\w+)?\.(c|S)$/.test(f)).map((f) => `${d}/${f}`));
}

/** The kernel set of the addon node-gyp builds on this host. */
const hostAddonArch = () => (process.arch === 'x64' ? 'x86_64' : 'portable');

/** The files a kernel's sources include with "quotes" from native/kernels/, transitively. */
function localIncludes(sources) {
  const seen = new Set();
  const walk = (rel) => {
    for (const m of fs.readFileSync(path.join(ROOT, rel), 'utf8').matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
      const inc = `${KERNELS_DIR}/${m[1]}`;
      if (seen.has(inc) || !fs.existsSync(path.join(ROOT, inc))) continue;
      seen.add(inc);
      walk(inc);
    }
  };
  sources.forEach(walk);
  return [...seen].sort();
}

/** What the mutant generator copies of a kernel: its sources, the headers they include from
 *  native/kernels/, and the global symbols to rename per copy: the descriptor and the
 *  assembly's .globl labels (through a `#define` of the same files when the label is a macro).
 *  A global this misses makes the mutant library's link fail on a duplicate symbol. */
function kernelUnit(k) {
  const files = [...k.sources, ...localIncludes(k.sources)];
  const text = files.map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'));
  const defines = new Map(text.flatMap((t) => [...t.matchAll(/^\s*#\s*define\s+([A-Za-z_]\w*)\s+([A-Za-z_]\w*)\s*$/gm)].map((m) => [m[1], m[2]])));
  const globls = files
    .flatMap((f, i) => (/\.(S|inc)$/.test(f) ? [...text[i].matchAll(/^\s*\.glob(?:a)?l\s+([A-Za-z_]\w*)/gm)].map((m) => m[1]) : []))
    .map((g) => defines.get(g) ?? g);
  return { ...k, files, symbols: [`bx_kernel_${k.name}`, ...new Set(globls)] };
}

/** Every builtin kernel of both architectures as a kernelUnit (the mutant bases). */
const kernelUnits = () => allKernels().map(kernelUnit);

module.exports = { ARCHES, builtinKernels, builtinKernelSources, builtinKernelNames, coreSources, hostAddonArch, kernelUnit, kernelUnits, SourcesError };

if (require.main === module) {
  const [what, arch] = process.argv.slice(2);
  try {
    const out =
      what === 'core' ? coreSources()
      : what === 'kernels' ? builtinKernelSources(arch)
      : what === 'names' ? builtinKernelNames(arch)
      : what === 'addon' ? [...coreSources(), ...builtinKernelSources(hostAddonArch())]
      : fail('usage: node native/sources.cjs core | kernels ARCH | names ARCH | addon');
    process.stdout.write(out.join('\n') + '\n');
  } catch (e) {
    if (!(e instanceof SourcesError)) throw e;
    console.error(e.message);
    process.exit(1);
  }
}
