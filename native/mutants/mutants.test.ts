// The gate must keep killing every catalogued mutant (native/mutants/catalogue.json): a
// fixed-seed gate run with the `npm test` budget, each mutant stopped at its first failing
// property, and the unmutated controls run alongside must pass. If a change to the generators,
// the properties or the judge lets a mutant survive, this fails and names it — the gate cannot
// silently weaken. Without the aarch64 toolchain the aarch64 half is a reported skip.
import { describe, it, expect } from 'vitest';
import { DEFAULT_RUNS } from '../../properties/suite.js';
import { discoverTargets } from '../targets.js';
import {
  aarch64MutantsUnavailable, buildMutants, DEFAULT_MUTANT_SEED, loadCatalogue, mutantTableText, runMutantGate,
  type Arch, type MutantGateResult,
} from './gate.js';

/** The bugs the catalogue must cover (matched against each mutant's `covers`). */
const REQUIRED = [
  'a rounding tie broken the wrong way for one policy', 'swap two rounding policies', 'QScale through a 32-bit high multiply',
  'abs of i32::MIN', 'ShiftLeft that saturates', 'AddRowColProducts narrowed to i16', 'drop the K tail', 'the K4 interleave off by one lane',
  'vpmaddubsw saturation', 'VNNI compensation missing', 'Sub and SubF swapped', 'per-row and per-col swapped', 'write one row too many',
  'write one column too many', 'Store item size 2 writing one byte', 'AddUnicast i8 read as i32', 'LeakyRelu computed instead of refused',
  'a stale ZA tile after a spill/reload', 'a scratch row stride wrong in the spill', 'an SVL assumption not checked',
  'a callee-saved register clobbered (x86-64', 'a callee-saved register clobbered (aarch64', 'MXCSR left changed',
  'streaming mode left on', 'ZA left on',
  // right values, wrong accesses (docs/abi.md)
  'a per-col vector read one i32 past its end', 'one K4 block read past the packed B panel',
  'an i8 AddUnicast line read 4 bytes per element', 'a write 4 KiB below the tile',
  // state kept from one call to the next (SPEC section 8; property stale)
  'a product reused by address', "a product reused by address and the panel's first bytes", 'a pointer kept with a content key',
];

const SEED = DEFAULT_MUTANT_SEED;

function explain(r: MutantGateResult): string {
  const bad = r.mutants.filter((m) => m.status !== 'killed').map((m) => `  ${m.kernel} (${m.base}): ${m.status}${m.why ? `: ${m.why}` : ''} — ${m.description}`);
  const ctl = r.controls.filter((c) => !c.ok).map((c) => `  control ${c.kernel}: ${c.problems.join('; ')}`);
  return [...bad, ...ctl, `replay: npm run build && node dist/bench/mutants.js --seed ${r.seed} --runs ${r.runs} --first`].join('\n');
}

async function gateArch(arch: Arch): Promise<void> {
  buildMutants(arch);
  const r = await runMutantGate({ arches: [arch], seed: SEED, runs: DEFAULT_RUNS, stopAtFirstKill: true });
  console.log(`[mutants] ${arch}:\n${mutantTableText(r)}`);
  const cat = loadCatalogue();
  expect(r.mutants.length, 'every catalogued mutant of this architecture was gated').toBe(cat.mutants.filter((m) => cat.bases[m.base].arch === arch).length);
  expect(r.controls.length).toBeGreaterThan(0);
  // a kernel that keeps state is named for it: killed by the stale property, its verdict says so
  for (const m of r.mutants.filter((x) => x.covers.startsWith('state kept from one call to the next'))) {
    expect({ property: m.property, stale: m.stale }, `${m.kernel}: ${m.message ?? m.status}`).toEqual({ property: 'stale', stale: true });
  }
  // a mutant whose base kernel this CPU cannot run (no AVX-512 here) is a reported skip, not a survivor
  const unrunnable = r.mutants.filter((m) => m.status === 'not-run' && /not runnable here/.test(m.why ?? ''));
  for (const m of unrunnable) console.warn(`[mutants] SKIP ${m.kernel}: ${(m.why ?? '').split(';')[0]}`);
  const gated = r.mutants.filter((m) => !unrunnable.includes(m));
  expect(gated.length, 'some mutant of this architecture runs here').toBeGreaterThan(0);
  const ok = gated.every((m) => m.status === 'killed') && r.controls.every((c) => c.ok);
  expect(ok, `mutants not killed or controls failing (seed ${SEED}):\n${explain(r)}`).toBe(true);
}

describe('mutant catalogue (native/mutants)', () => {
  it('has >= 20 mutants with unique names, real base kernels, and covers the required list', () => {
    const cat = loadCatalogue();
    expect(cat.mutants.length).toBeGreaterThanOrEqual(20);
    const names = cat.mutants.map((m) => m.kernel);
    expect(new Set(names).size).toBe(names.length);
    for (const m of cat.mutants) {
      expect(m.kernel).toBe(`mut_${m.id}`);
      expect(cat.bases[m.base], `${m.id}: base ${m.base}`).toBeDefined();
      expect(m.description.length && m.models.length && m.refs.length && m.patches.length, `${m.id}: description, models, refs, patches`).toBeTruthy();
    }
    const missing = REQUIRED.filter((r) => !cat.mutants.some((m) => m.covers.includes(r)));
    expect(missing, 'required bugs without a mutant').toEqual([]);
    // every builtin kernel of both architectures is mutated
    for (const base of Object.keys(cat.bases)) expect(cat.mutants.some((m) => m.base === base), `a mutant of ${base}`).toBe(true);
  });

  it('mutants are never built-in kernels (not selectable in normal runs)', async () => {
    const t = await discoverTargets();
    try {
      const all = [...t.targets.map((x) => x.kernel.name), ...t.unavailable.map((u) => u.name)];
      expect(all.filter((n) => n.startsWith('mut_') || n.startsWith('ctl_'))).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('every host mutant is killed by a fixed-seed gate run; the controls pass', async () => {
    await gateArch('x86_64');
  }, 300_000);

  it('--jobs 2 kills the same mutants by the same properties, after as many cases, with the same shrunk cases, as --jobs 1', async () => {
    buildMutants('x86_64');
    const only = ['policy_swap_generic', 'store_extra_row_generic', 'stale_product_generic', 'percol_overread_generic'];
    // as JSON: a worker's cases come over IPC without their symbol keys (the edge case's name is in the text)
    const strip = (r: MutantGateResult) => JSON.parse(JSON.stringify(r.mutants.map(({ secondsToDetect: _s, ...m }) => m))) as unknown;
    const one = await runMutantGate({ arches: ['x86_64'], seed: SEED, runs: DEFAULT_RUNS, only, jobs: 1 });
    const two = await runMutantGate({ arches: ['x86_64'], seed: SEED, runs: DEFAULT_RUNS, only, jobs: 2 });
    expect(one.mutants.map((m) => m.status)).toEqual(only.map(() => 'killed'));
    expect(strip(two)).toEqual(strip(one));
    expect(two.controls.map((c) => c.ok)).toEqual(one.controls.map((c) => c.ok));
  }, 300_000);

  it('every aarch64 mutant is killed under qemu (the SVL one at SVL 256 bits); the controls pass', async (ctx) => {
    const why = aarch64MutantsUnavailable();
    if (why) {
      console.warn(`[mutants] SKIP aarch64 mutants: ${why}`);
      ctx.skip(why); // reason: aarch64 toolchain / runner missing (printed above)
      return;
    }
    await gateArch('aarch64');
  }, 300_000);
});
