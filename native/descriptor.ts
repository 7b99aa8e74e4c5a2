// Kernel descriptors as an executor lists them (LIST / LOAD_LIB, native/PROTOCOL.md
// "Descriptor JSON"), parsed and checked field by field: a malformed descriptor is an error
// naming the kernel and the field, never a half-typed object reaching the gate.
import { ContractError, parseContract, type Contract } from '../oracle/contract.js';

export interface PackFormatDesc { kind: 'packed_format' | 'packed_i8k4'; r: number; align: number; end_padding_record: number }
export interface KernelDesc {
  name: string;
  isa: string;
  mr: number;
  nr: number;
  packings: { a: PackFormatDesc; b: PackFormatDesc; k_alignment: number }[];
  /** the kernel's own packing index of packings[i], which a chain's AddMatMul carries (distinct) */
  packing_ids: number[];
  supported_ops: number[];
  runnable: boolean;
  why: string;
  /** what the kernel promises (absent: SPEC's full domain) */
  contract?: Contract;
  /** name of the backend that listed it */
  backend?: string;
}

const PACK_KINDS: readonly PackFormatDesc['kind'][] = ['packed_format', 'packed_i8k4'];

/** The longest kernel name bitexact takes (the C registry's BX_MAX_NAME). */
export const KERNEL_NAME_MAX = 128;

/** A kernel name goes into file names (fixtures, repro.c) and printed shell commands: only
 *  letters, digits, `_`, `.` and `-`, not starting with `-` (it would read as an option),
 *  1..KERNEL_NAME_MAX characters. Why `name` is not one, or null. */
export function kernelNameProblem(name: string): string | null {
  const shown = name.length > 60 ? `${JSON.stringify(name.slice(0, 40))}... (${name.length} characters)` : JSON.stringify(name);
  if (name.length === 0) return 'kernel name is empty';
  if (name.length > KERNEL_NAME_MAX) return `kernel name ${shown} is longer than ${KERNEL_NAME_MAX} characters`;
  const bad = /[^A-Za-z0-9_.-]/.exec(name);
  if (bad) return `kernel name ${shown} has ${JSON.stringify(bad[0])} at ${bad.index}: allowed A-Z a-z 0-9 _ . - (names become file names and shell words)`;
  if (name.startsWith('-')) return `kernel name ${shown} starts with "-" (it would read as an option)`;
  return null;
}

/** A kernel name that kernelNameProblem refuses, as an error naming the descriptor. */
export class KernelNameError extends Error {
  constructor(readonly where: string, readonly kernelName: string, why: string) {
    super(`${where}.name: ${why}`);
    this.name = 'KernelNameError';
  }
}

class DescError extends Error {
  constructor(where: string, what: string) {
    super(`malformed executor response: ${where}: ${what}`);
  }
}

type Obj = Record<string, unknown>;

function obj(v: unknown, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DescError(where, 'expected an object');
  return v as Obj;
}
function uint(o: Obj, key: string, where: string): number {
  const v = o[key];
  const at = /^[0-9]+$/.test(key) ? `${where}[${key}]` : `${where}.${key}`;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new DescError(at, `expected a u32, got ${JSON.stringify(v)}`);
  return v;
}
function str(o: Obj, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new DescError(`${where}.${key}`, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}
function arr(o: Obj, key: string, where: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new DescError(`${where}.${key}`, 'expected an array');
  return v;
}

function packFormat(v: unknown, where: string): PackFormatDesc {
  const o = obj(v, where);
  const kind = str(o, 'kind', where);
  if (!(PACK_KINDS as readonly string[]).includes(kind)) throw new DescError(`${where}.kind`, `expected one of ${PACK_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  return { kind: kind as PackFormatDesc['kind'], r: uint(o, 'r', where), align: uint(o, 'align', where), end_padding_record: uint(o, 'end_padding_record', where) };
}

function kernelDesc(v: unknown, where: string, backend: string): KernelDesc {
  const o = obj(v, where);
  const name = str(o, 'name', where);
  const badName = kernelNameProblem(name);
  if (badName) throw new KernelNameError(`malformed executor response: ${where}`, name, badName);
  const at = `${where} (${name})`;
  const supported_ops = arr(o, 'supported_ops', at).map((t, i) => {
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 63) throw new DescError(`${at}.supported_ops[${i}]`, `expected a tag in 0..63, got ${JSON.stringify(t)}`);
    return t;
  });
  const runnable = o.runnable;
  if (typeof runnable !== 'boolean') throw new DescError(`${at}.runnable`, 'expected a boolean');
  const packings = arr(o, 'packings', at).map((p, i) => {
    const po = obj(p, `${at}.packings[${i}]`);
    return { a: packFormat(po.a, `${at}.packings[${i}].a`), b: packFormat(po.b, `${at}.packings[${i}].b`), k_alignment: uint(po, 'k_alignment', `${at}.packings[${i}]`) };
  });
  const ids = arr(o, 'packing_ids', at);
  if (ids.length !== packings.length) throw new DescError(`${at}.packing_ids`, `expected ${packings.length} indices (one per packing), got ${ids.length}`);
  const packing_ids = ids.map((v, i) => uint({ [i]: v }, String(i), `${at}.packing_ids`));
  if (new Set(packing_ids).size !== packing_ids.length) throw new DescError(`${at}.packing_ids`, `expected distinct indices, got ${JSON.stringify(packing_ids)}`);
  let contract: Contract | undefined;
  if (o.contract !== undefined) {
    try {
      contract = parseContract(o.contract, `${at}.contract`);
    } catch (e) {
      if (e instanceof ContractError) throw new DescError(e.path, e.message.slice(e.path.length + 2));
      throw e;
    }
  }
  return {
    name,
    isa: str(o, 'isa', at),
    mr: uint(o, 'mr', at),
    nr: uint(o, 'nr', at),
    packings,
    packing_ids,
    supported_ops,
    runnable,
    why: str(o, 'why', at),
    ...(contract ? { contract } : {}),
    backend,
  };
}

/** The descriptor array of a LIST / LOAD_LIB response, each tagged with the backend that listed it. */
export function parseKernelDescs(json: string, backend: string): KernelDesc[] {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    throw new DescError('descriptor json', (e as Error).message);
  }
  if (!Array.isArray(v)) throw new DescError('descriptor json', 'expected an array');
  return v.map((d, i) => kernelDesc(d, `descriptor ${i}`, backend));
}
