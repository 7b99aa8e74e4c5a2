// `bitexact list [--json] [--kernel-lib PATH]... [--no-aarch64]`: every kernel of every backend
// (host; aarch64 under qemu when installed; external libraries), its descriptor (isa, tile,
// packings, the ops it declares by name) and whether it runs here — and why not. When the
// aarch64 toolchain is missing the aarch64 block says so with the install command.
import type { KernelDesc, PackFormatDesc } from '../native/backend.js';
import { aarch64Paths, aarch64Unavailable, AARCH64_SETUP_HINT } from '../native/targets.js';
import { builtinKernelNames } from '../native/sources.js';
import { opList, opName } from '../conform/summary.js';
import { many, openKernels } from './kernels.js';
import { parseOptions, processIo, type Io, type Verb } from './util.js';

const AARCH64_KERNELS = builtinKernelNames('aarch64');

export const fmtPack = (f: PackFormatDesc): string =>
  f.kind === 'packed_i8k4' ? `PackedI8K4(r=${f.r})` : `PackedFormat(r=${f.r}, align=${f.align}, end_padding=${f.end_padding_record})`;

interface ListedKernel {
  name: string; isa: string; mr: number; nr: number; source: string;
  packings: { a: string; b: string; k_alignment: number }[];
  ops: string[]; runs_here: boolean; why?: string;
}
interface ListedBackend { name: string; available: boolean; why?: string; install?: string; kernels: ListedKernel[] }

const listed = (k: KernelDesc, source: string): ListedKernel => ({
  name: k.name, isa: k.isa, mr: k.mr, nr: k.nr, source,
  packings: k.packings.map((p) => ({ a: fmtPack(p.a), b: fmtPack(p.b), k_alignment: p.k_alignment })),
  ops: k.supported_ops.map(opName), runs_here: k.runnable, why: k.runnable ? undefined : k.why,
});

export const listVerb: Verb = {
  summary: 'list the kernels of every backend, their descriptors and whether they run here (and why not)',
  usage: 'bitexact list [--json] [--kernel-lib PATH.so]... [--no-aarch64]\n'
    + '  Kernels of the host, of aarch64 under qemu (when installed) and of --kernel-lib libraries:\n'
    + '  isa, tile, packings, declared ops, and whether each runs here (with the reason when not).\n',
  async run(argv: string[], io: Io = processIo): Promise<number> {
    const parsed = parseOptions(argv, { json: { type: 'boolean' }, 'kernel-lib': { type: 'string', multiple: true }, 'no-aarch64': { type: 'boolean' } });
    if ('error' in parsed) { io.err(`bitexact list: ${parsed.error}\n${this.usage}`); return 2; }
    if (parsed.positionals.length) { io.err(`bitexact list: unexpected ${parsed.positionals.join(' ')}\n${this.usage}`); return 2; }
    const v = parsed.values as Record<string, unknown>;
    const noArm = Boolean(v['no-aarch64']);
    const set = await openKernels({ libs: many(v['kernel-lib']), aarch64: !noArm });
    try {
      const backends: ListedBackend[] = [];
      for (const b of set.backends) {
        backends.push({ name: b.name, available: true, kernels: set.all.filter((x) => x.backend === b.name && x.source === 'builtin').map((x) => listed(x.kernel, 'builtin')) });
      }
      if (!set.backends.some((b) => b.name.startsWith('aarch64'))) {
        const why = noArm ? 'disabled by --no-aarch64' : aarch64Unavailable() ?? 'not started';
        const p = aarch64Paths();
        backends.push({
          name: 'aarch64 (qemu-aarch64)', available: false, why, install: noArm ? undefined : AARCH64_SETUP_HINT,
          kernels: AARCH64_KERNELS.map((name) => ({ name, isa: name.split('_')[1], mr: 0, nr: 0, source: p.runner, packings: [], ops: [], runs_here: false, why })),
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
          k.packings.forEach((p, i) => out.push(`      packing ${i}: A ${p.a}, B ${p.b}, k_alignment ${p.k_alignment}`));
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
