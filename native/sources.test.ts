// native/sources.cjs decides which kernel files every build compiles, and BX_REGISTER_KERNEL
// puts each descriptor into the builtin table: the builds must list exactly the kernels of
// native/kernels/, in file order, and a kernel file the rules cannot place must stop the build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostBackend } from './backends/host.js';
import { aarch64Backend, aarch64Unavailable } from './backends/aarch64-qemu.js';
import { PKG_ROOT } from './paths.js';
import { builtinKernelNames, builtinKernelSources, builtinKernels, coreSources, kernelUnit } from './sources.js';

const tmp = mkdtempSync(join(tmpdir(), 'bx-sources-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs a copy of native/sources.cjs over a made-up native/kernels/ holding `files`. */
function sourcesOver(files: Record<string, string>, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const root = mkdtempSync(join(tmp, 'tree-'));
  for (const d of ['native/kernels', 'native/core', 'native/frame']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(join(PKG_ROOT, 'native', 'sources.cjs'), join(root, 'native', 'sources.cjs'));
  for (const [f, text] of Object.entries({ 'builtins.c': '', ...files })) writeFileSync(join(root, 'native', 'kernels', f), text);
  const r = spawnSync(process.execPath, [join(root, 'native', 'sources.cjs'), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const registers = (name: string) => `const bx_kernel_desc bx_kernel_${name} = {0};\nBX_REGISTER_KERNEL(bx_kernel_${name});\n`;

describe('native/sources.cjs', () => {
  it('places every kernel file of the tree: one .c (x86_64) or a .S with its _desc.c (aarch64)', () => {
    const x86 = builtinKernels('x86_64');
    const arm = builtinKernels('aarch64');
    expect(x86.length).toBeGreaterThan(0);
    expect(arm.length).toBeGreaterThan(0);
    for (const k of x86) expect(k.sources).toEqual([`native/kernels/${k.name}.c`]);
    for (const k of arm) expect(k.sources).toEqual([`native/kernels/${k.name}.S`, `native/kernels/${k.name}_desc.c`]);
    expect(builtinKernelSources('x86_64')).toEqual(['native/kernels/builtins.c', ...x86.flatMap((k) => k.sources)]);
    expect(builtinKernelNames('portable')).toEqual(x86.filter((k) => k.name.startsWith('generic_')).map((k) => k.name));
    expect(coreSources()).toContain('native/core/registry.c');
    // the mutant copies rename the descriptor and the assembly's global labels
    for (const k of [...x86, ...arm]) expect(kernelUnit(k).symbols[0]).toBe(`bx_kernel_${k.name}`);
    expect(kernelUnit(arm.find((k) => k.name === 'arm64_neon_i32_8x8')!).symbols).toContain('arm64_neon_i32_8x8_kernel');
  });

  it('lists a new kernel file with no other edit, in file order', () => {
    const r = sourcesOver({ 'x86_b.c': registers('x86_b'), 'x86_a.c': registers('x86_a'), 'generic_z.c': registers('generic_z') }, ['kernels', 'x86_64']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['native/kernels/builtins.c', 'native/kernels/generic_z.c', 'native/kernels/x86_a.c', 'native/kernels/x86_b.c']);
  });

  it.each([
    ['a kernel file of no architecture', { 'avx2_i32_8x8.c': registers('avx2_i32_8x8') }, /avx2_i32_8x8\.c belongs to no architecture/],
    ['a kernel that does not register its descriptor', { 'x86_a.c': 'const bx_kernel_desc bx_kernel_x86_a = {0};\n' }, /kernel x86_a: .* BX_REGISTER_KERNEL\(bx_kernel_x86_a\)/],
    ['a descriptor under another name', { 'x86_a.c': registers('x86_other') }, /BX_REGISTER_KERNEL\(bx_kernel_x86_a\)/],
    ['an aarch64 kernel without its descriptor file', { 'arm64_a.S': '' }, /an aarch64 kernel is arm64_a\.S with arm64_a_desc\.c/],
    ['an x86 kernel in assembly', { 'x86_a.S': '' }, /an x86_64 kernel is one <name>\.c/],
  ])('fails the build on %s', (_what, files, message) => {
    const r = sourcesOver(files, ['kernels', 'x86_64']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('fails on an unknown architecture and on an architecture without kernels', () => {
    expect(sourcesOver({}, ['kernels', 'riscv']).stderr).toMatch(/unknown architecture "riscv"/);
    expect(sourcesOver({ 'x86_a.c': registers('x86_a') }, ['kernels', 'aarch64']).stderr).toMatch(/no aarch64 kernel/);
  });
});

describe('builtin registration (BX_REGISTER_KERNEL)', () => {
  it('the addon lists exactly the kernel files of the host, in file order', async () => {
    const b = hostBackend();
    try {
      expect((await b.list()).map((d) => d.name)).toEqual(builtinKernelNames(arch() === 'x64' ? 'x86_64' : 'portable'));
    } finally {
      await b.close();
    }
  });

  it('the aarch64 runner lists exactly the aarch64 kernel files, in file order', async (ctx) => {
    const why = aarch64Unavailable();
    if (why) {
      console.warn(`[sources] SKIP aarch64 runner: ${why}`);
      ctx.skip(why); // reason: aarch64 toolchain / runner missing (printed above)
      return;
    }
    const b = aarch64Backend();
    try {
      expect((await b.list()).map((d) => d.name)).toEqual(builtinKernelNames('aarch64'));
    } finally {
      await b.close();
    }
  }, 60_000);
});
