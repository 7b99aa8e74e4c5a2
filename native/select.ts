// Frame-level kernel selection: the kernel a runtime would pick for a chain and a shape.
// Never a kernel that cannot run here; never one that does not declare every op of the chain
// (so an op a kernel would refuse falls back to one that implements it); and for n > 1 (m > 1)
// never an nr = 1 (mr = 1) kernel while a matrix kernel exists — the dispatch bug fixed in
// tract PR #2277.
import type { Op } from '../oracle/types.js';
import type { KernelDesc } from './descriptor.js';
import { declaresOp } from '../oracle/opset.js';

export function declaresChain(k: KernelDesc, chain: readonly Op[]): boolean {
  const ok = new Set(k.supported_ops);
  return chain.every((op) => declaresOp(ok, op));
}

export function selectKernel<K extends KernelDesc>(kernels: readonly K[], chain: readonly Op[], m: number, n: number): K | undefined {
  let c = kernels.filter((k) => k.runnable && declaresChain(k, chain));
  if (n > 1 && c.some((k) => k.nr > 1)) c = c.filter((k) => k.nr > 1);
  if (m > 1 && c.some((k) => k.mr > 1)) c = c.filter((k) => k.mr > 1);
  // the biggest tile, then the name: deterministic
  return [...c].sort((x, y) => y.mr * y.nr - x.mr * x.nr || x.name.localeCompare(y.name))[0];
}
