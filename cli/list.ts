// `bitexact list [--json] [--kernel-lib PATH]... [--manifest FILE]... [--no-aarch64]`: every kernel of every backend
// (host; aarch64 under qemu when installed; external libraries), its descriptor (isa, tile,
// packings, the ops it declares by name) and whether it runs here — and why not. When the
// aarch64 toolchain is missing the aarch64 block says so with the install command.
import type { KernelDesc, PackFormatDesc } from '../native/descriptor.js';
import { PROVIDERS } from '../native/backends/index.js';
import { providerChosen } from '../native/targets.js';
import { ADDON_BUILD_HINT, addonPath } from '../native/paths.js';
import { opList, opName } from '../conform/summary.js';
import { many, openKernels } from './kernels.js';
import { parseOptions, processIo, type Io, type Verb } from './util.js';

export const fmtPack = (f: PackFormatDesc): string =>
  f.kind === 'packed_i8k4' ? `PackedI8K4(r=${f.r})` : `PackedFormat(r=${f.r}, align=${f.align}, end_padding=${f.end_padding_record})`;

interface ListedKernel {
  name: string; isa: string; mr: number; nr: number; source: string;
  packings: { index: number; a: string; b: string; k_alignment: number }[];
  ops: string[]; runs_here: boolean; why?: string;
}
interface ListedBackend { name: string; available: boolean; why?: string; install?: string; kernels: ListedKernel[] }

const listed = (k: KernelDesc, source: string): ListedKernel => ({
  name: k.name, isa: k.isa, mr: k.mr, nr: k.nr, source,
  packings: k.packings.map((p, i) => ({ index: k.packing_ids[i], a: fmtPack(p.a), b: fmtPack(p.b), k_alignment: p.k_alignment })),
  ops: k.supported_ops.map(opName), runs_here: k.runnable, why: k.runnable ? undefined : k.why,
});

export const listVerb: Verb = {
  summary: 'list the kernels of every backend, their descriptors and whether they run here (and why not)',
  usage: 'bitexact list [--json] [--kernel-lib PATH.so]... [--manifest KERNELS.json]... [--no-aarch64]\n'
    + '  Kernels of the host, of aarch64 under qemu (when installed), of --kernel-lib libraries and of\n'
    + '  --manifest manifests: isa, tile, packings, declared ops, and whether each runs here (with the reason when not).\n',
  async run(argv: string[], io: Io = processIo): Promise<number> {
    const parsed = parseOptions(argv, { json: { type: 'boolean' }, 'kernel-lib': { type: 'string', multiple: true }, manifest: { type: 'string', multiple: true }, 'no-aarch64': { type: 'boolean' } });
    if ('error' in parsed) { io.err(`bitexact list: ${parsed.error}\n${this.usage}`); return 2; }
    if (parsed.positionals.length) { io.err(`bitexact list: unexpected ${parsed.positionals.join(' ')}\n${this.usage}`); return 2; }
    const v = parsed.values as Record<string, unknown>;
    const noArm = Boolean(v['no-aarch64']);
    // a missing or unloadable addon is a set-up problem with a fix, not an internal error
    for (const p of PROVIDERS.filter((x) => x.required && x.unavailable())) {
      io.err(`bitexact list: the ${p.title} backend cannot run: the native addon ${addonPath()} is missing (${process.env.BITEXACT_ADDON ? 'BITEXACT_ADDON' : `no source build, and no prebuilt addon for ${process.platform}-${process.arch}`}).\n  build it: ${ADDON_BUILD_HINT}\n`);
      return 1;
    }
    let set: Awaited<ReturnType<typeof openKernels>>;
    try {
      set = await openKernels({ libs: many(v['kernel-lib']), manifests: many(v.manifest), aarch64: !noArm });
    } catch (e) {
      io.err(`bitexact list: cannot start the backends: ${(e as Error).message}\n  if the native addon ${addonPath()} does not load here, rebuild it: ${ADDON_BUILD_HINT}\n`);
      return 1;
    }
    try {
      const backends: ListedBackend[] = [];
      for (const b of set.backends) {
        backends.push({ name: b.name, available: true, kernels: set.all.filter((x) => x.backend === b.name && x.source === 'builtin').map((x) => listed(x.kernel, 'builtin')) });
      }
      // every provider that is not running: why, how to install it, and the kernels it would bring
      for (const p of PROVIDERS.filter((x) => !set.backends.some((b) => b.provider === x))) {
        const disabled = !providerChosen(p, { aarch64: !noArm });
        const why = disabled ? 'disabled by --no-aarch64' : p.unavailable() ?? 'not started';
        backends.push({
          name: p.title, available: false, why, install: disabled ? undefined : p.installHint,
          kernels: p.builtinKernels().map((name) => ({ name, isa: name.split('_')[1], mr: 0, nr: 0, source: p.executorPath(), packings: [], ops: [], runs_here: false, why })),
        });
      }
      const libs = [...new Set(set.all.filter((x) => x.source !== 'builtin').map((x) => x.source))];
      for (const lib of libs) {
        backends.push({ name: `library ${lib}`, available: true, kernels: set.all.filter((x) => x.source === lib).map((x) => listed(x.kernel, lib)) });
      }
      if (v.json) {
        io.out(JSON.stringify({ backends, problems: set.problems }, null, 2) + '\n');
        return set.problems.length ? 2 : 0;
      }
      const out: string[] = [];
      for (const b of backends) {
        out.push(`${b.name}${b.available ? '' : ': NOT AVAILABLE'}`);
        if (!b.available) {
          out.push(`  why: ${b.why}`);
          if (b.install && !b.why?.includes(b.install)) out.push(`  install: ${b.install}`);
          out.push(`  kernels there: ${b.kernels.map((k) => k.name).join(', ')}`, '');
          continue;
        }
        for (const k of b.kernels) {
          out.push(`  ${k.name}  (${k.isa}, ${k.mr}x${k.nr} tile)  ${k.runs_here ? 'runs here' : `does NOT run here: ${k.why}`}`);
          k.packings.forEach((p) => out.push(`      packing ${p.index}: A ${p.a}, B ${p.b}, k_alignment ${p.k_alignment}`));
          const desc = set.all.find((x) => x.kernel.name === k.name)?.kernel;
          out.push(`      ops: ${desc ? opList(desc.supported_ops).join(', ') : k.ops.join(', ')}`);
        }
        out.push('');
      }
      for (const p of set.problems) out.push(`problem: ${p}`);
      io.out(out.join('\n') + '\n');
      return set.problems.length ? 2 : 0;
    } finally {
      await set.close();
    }
  },
};
