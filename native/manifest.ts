// A `bitexact-kernels/1` manifest (schema/bitexact-kernels-1.schema.json): raw FusedKerSpec
// kernel functions in a shared library or object files, described in JSON instead of a C
// descriptor. bitexact writes the descriptors as a small C shim (bitexact_kernels() with ABI v2
// descriptors pointing at the raw symbols, is_supported_here() checking the requirements),
// links it against the user's code with the toolchain of its ELF machine into a cache
// directory keyed by content, and the result loads like any --kernel-lib library.
import { ContractError, parseContract, type Contract } from '../oracle/contract.js';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { arch, homedir } from 'node:os';
import path from 'node:path';
import type { Ajv, ErrorObject } from 'ajv';
import { loadAjv } from '../oracle/ajv.js';
import { abiTags, OP_NAMES, OP_TAGS, opSpec, TAGS, type OpName } from '../oracle/opset.js';
import { AARCH64_SETUP_HINT } from './backends/aarch64-qemu.js';
import { elfMachine } from './backends/index.js';
import type { Machine } from './backends/provider.js';
import { kernelNameProblem, type PackFormatDesc } from './descriptor.js';
import { inputProblem, readHead, readInputText } from './files.js';
import { PKG_ROOT } from './paths.js';

export const MANIFEST_FORMAT = 'bitexact-kernels/1';
export const MANIFEST_SCHEMA_PATH = path.join(PKG_ROOT, 'schema', 'bitexact-kernels-1.schema.json');
/** A manifest larger than this is refused before it is read. */
export const MANIFEST_MAX_BYTES = 1 << 20;

/** A manifest problem: names the file and (in detail) the JSON path. */
export class ManifestError extends Error {
  constructor(readonly file: string, readonly detail: string) {
    super(`${file}: ${detail}`);
  }
}

interface FormatJson { kind: PackFormatDesc['kind']; r: number; align?: number; end_padding_record?: number }
type OpRef = string | number;
interface KernelJson {
  name: string; symbol: string; isa: string; mr: number; nr: number;
  packings: { index: number; a: FormatJson; b: FormatJson; k_alignment?: 1 | 4 }[];
  ops: 'all' | OpRef[] | { except: OpRef[] };
  requirements?: { features?: string[]; svl_bytes?: number };
  contract?: Record<string, unknown>;
}
interface ManifestJson { format: string; library?: string; objects?: string[]; kernels: KernelJson[] }

/** What a manifest became: a library to load, and what the C descriptors do not carry. */
export interface BuiltManifest {
  /** the linked shim library (in the cache) */
  lib: string;
  machine: Machine;
  /** kernel name -> the manifest's contract */
  contracts: Map<string, Contract>;
}

// ---- vocabularies --------------------------------------------------------------------------

/** x86-64 feature names __builtin_cpu_supports takes (GCC 12 and clang alike). */
const X86_FEATURES = new Set([
  'cmov', 'mmx', 'popcnt', 'sse', 'sse2', 'sse3', 'ssse3', 'sse4.1', 'sse4.2', 'avx', 'avx2', 'sse4a', 'fma4', 'xop', 'fma',
  'avx512f', 'bmi', 'bmi2', 'aes', 'pclmul', 'avx512vl', 'avx512bw', 'avx512dq', 'avx512cd', 'avx512vbmi', 'avx512ifma',
  'avx512vpopcntdq', 'avx512vbmi2', 'gfni', 'vpclmulqdq', 'avx512vnni', 'avx512bitalg', 'avx512bf16', 'avx512vp2intersect',
]);

/** Linux aarch64 uapi asm/hwcap.h: name -> [auxv word, bit]. */
const HWCAP_BITS: Record<string, [1 | 2, number]> = Object.fromEntries([
  ...['fp', 'asimd', 'evtstrm', 'aes', 'pmull', 'sha1', 'sha2', 'crc32', 'atomics', 'fphp', 'asimdhp', 'cpuid', 'asimdrdm', 'jscvt',
    'fcma', 'lrcpc', 'dcpop', 'sha3', 'sm3', 'sm4', 'asimddp', 'sha512', 'sve', 'asimdfhm', 'dit', 'uscat', 'ilrcpc', 'flagm', 'ssbs',
    'sb', 'paca', 'pacg'].map((n, bit) => [n, [1, bit]]),
  ...['dcpodp', 'sve2', 'sveaes', 'svepmull', 'svebitperm', 'svesha3', 'svesm4', 'flagm2', 'frint', 'svei8mm', 'svef32mm', 'svef64mm',
    'svebf16', 'i8mm', 'bf16', 'dgh', 'rng', 'bti', 'mte', 'ecv', 'afp', 'rpres', 'mte3', 'sme', 'sme_i16i64', 'sme_f64f64', 'sme_i8i32',
    'sme_f16f32', 'sme_b16f32', 'sme_f32f32', 'sme_fa64', 'wfxt', 'ebf16', 'sve_ebf16', 'cssc', 'rprfm', 'sve2p1', 'sme2', 'sme2p1',
    'sme_i16i32', 'sme_bi32i32', 'sme_b16b16', 'sme_f16f16', 'mops', 'hbc'].map((n, bit) => [n, [2, bit]]),
]) as Record<string, [1 | 2, number]>;

const REQUIRED_TAGS = TAGS.filter((t) => t.op === 'done' || opSpec(t.op).required).map((t) => t.tag);
const TAG_BY_NAME = new Map(TAGS.map((t) => [t.name, t.tag]));

// ---- reading ---------------------------------------------------------------------------------

const jsonPath = (pointer: string): string =>
  pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((p, s) => (/^[0-9]+$/.test(s) ? `${p}[${s}]` : p ? `${p}.${s}` : s), '');

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(v: unknown): ErrorObject[] {
  if (!validator) validator = new (loadAjv())({ allErrors: true, verbose: true }).compile(JSON.parse(readFileSync(MANIFEST_SCHEMA_PATH, 'utf8')) as object);
  return validator(v) ? [] : [...(validator.errors ?? [])];
}

/** The schema error a reader wants first: the deepest one (a oneOf's own error only echoes its branches). */
function schemaMessage(errors: ErrorObject[]): string {
  const depth = (e: ErrorObject) => e.instancePath.split('/').length;
  const e = [...errors].sort((x, y) => depth(y) - depth(x) || Number(x.keyword === 'oneOf') - Number(y.keyword === 'oneOf'))[0];
  const at = jsonPath(e.instancePath);
  let what = e.message ?? 'invalid';
  if (e.keyword === 'additionalProperties') what = `unknown field ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`;
  if (e.keyword === 'enum') what = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((x) => JSON.stringify(x)).join(', ')}`;
  if (e.keyword === 'const') what = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
  if (e.keyword === 'oneOf' && at === '') what = 'needs exactly one of "library" or "objects"';
  // a value matching none of the forms of ops: name the forms, not the first one's complaint
  if (/^kernels\[[0-9]+\]\.ops$/.test(at) && errors.every((x) => x.instancePath === e.instancePath || !x.instancePath.startsWith(e.instancePath))) {
    what = `expected "all", a list of op names / tags, or {"except": [...]}, got ${JSON.stringify(e.data ?? null)}`;
  }
  return `${at || '(top level)'}: ${what}`;
}

function opTags(ops: KernelJson['ops'], where: string, fail: (at: string, what: string) => never): number[] {
  const v1 = abiTags(1);
  if (ops === 'all') return v1;
  const list = Array.isArray(ops) ? ops : ops.except;
  const at = Array.isArray(ops) ? where : `${where}.except`;
  const tags = new Set<number>();
  list.forEach((o, i) => {
    if (typeof o === 'number') {
      if (!TAGS[o]) fail(`${at}[${i}]`, `tag ${o} is not an op of this bitexact (tags 0..${TAGS.length - 1})`);
      tags.add(o);
    } else if ((OP_NAMES as readonly string[]).includes(o)) {
      for (const t of OP_TAGS[o as OpName]) tags.add(t);
    } else if (TAG_BY_NAME.has(o)) {
      tags.add(TAG_BY_NAME.get(o)!);
    } else {
      fail(`${at}[${i}]`, `unknown op ${JSON.stringify(o)} (op names: ${OP_NAMES.join(', ')}; or a tag name such as scalar_add)`);
    }
  });
  const out = Array.isArray(ops) ? [...tags, 0] : v1.filter((t) => !tags.has(t));
  const missing = REQUIRED_TAGS.filter((t) => !out.includes(t));
  if (missing.length) fail(where, `every kernel implements ${missing.map((t) => TAGS[t].name).join(', ')} (required ops)`);
  return [...new Set(out)].sort((x, y) => x - y);
}

interface Resolved { inputs: string[]; kind: 'library' | 'objects'; machine: Machine; kernels: (KernelJson & { tags: number[] })[] }

/** Parses and checks a manifest; paths are resolved against its directory. */
export function readManifest(file: string): Resolved {
  const fail = (at: string, what: string): never => { throw new ManifestError(file, `${at}: ${what}`); };
  let text: string;
  // stat first: a FIFO or a directory given as the manifest is refused, never waited on
  try { text = readInputText(file, { maxBytes: MANIFEST_MAX_BYTES, nonEmpty: true }); } catch (e) { throw new ManifestError(file, `cannot read: ${(e as Error).message}`); }
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw new ManifestError(file, `not JSON: ${(e as Error).message}`); }
  const errors = validate(v);
  if (errors.length) throw new ManifestError(file, schemaMessage(errors));
  const m = v as ManifestJson;
  const dir = path.dirname(path.resolve(file));
  const kind = m.library !== undefined ? 'library' : 'objects';
  const inputs = (m.library !== undefined ? [m.library] : m.objects!).map((p) => path.resolve(dir, p));
  let machine: Machine | undefined;
  inputs.forEach((p, i) => {
    const at = kind === 'library' ? 'library' : `objects[${i}]`;
    const bad = inputProblem(p, { nonEmpty: true });
    if (bad) fail(at, bad.code === 'ENOENT' ? `no such file ${p}` : bad.message);
    const mm = elfMachine(p);
    if (mm === 'unknown') fail(at, `${p} is not an x86-64 or aarch64 ELF file`);
    const type = elfType(p);
    if (kind === 'library' && type !== 3) fail(at, `${p} is not a shared library (ELF type ${type})`);
    if (kind === 'objects' && type !== 1) fail(at, `${p} is not a relocatable object file (ELF type ${type})`);
    if (machine && mm !== machine) fail(at, `${p} is ${mm} code, objects[0] is ${machine}`);
    machine = mm as Machine;
  });
  const symbols = new Map<string, ElfSymbol>();
  for (const p of inputs) for (const [n, s] of elfSymbols(p, kind === 'library')) if (s.defined || !symbols.has(n)) symbols.set(n, s);
  const names = new Set<string>();
  const kernels = m.kernels.map((k, i) => {
    const at = `kernels[${i}]`;
    const badName = kernelNameProblem(k.name);
    if (badName) fail(`${at}.name`, badName);
    if (names.has(k.name)) fail(`${at}.name`, `${k.name} is named twice`);
    names.add(k.name);
    const s = symbols.get(k.symbol);
    const where = kind === 'library' ? path.basename(inputs[0]) : 'the objects';
    if ((!s || !s.defined) && kind === 'library' && elfSymbols(inputs[0], false).get(k.symbol)?.defined) {
      fail(`${at}.symbol`, `${k.symbol} is in ${where} but not exported (static, or hidden visibility): give the kernel function external linkage and default visibility`);
    }
    if (!s || !s.defined) fail(`${at}.symbol`, `${k.symbol} is not defined in ${where}`);
    if (!s!.global) fail(`${at}.symbol`, `${k.symbol} is a local symbol of ${where} (static?): the kernel function must have external linkage`);
    if (!s!.visible) fail(`${at}.symbol`, `${k.symbol} is hidden in ${where}: give it default visibility`);
    if (s!.type !== 2 && s!.type !== 0) fail(`${at}.symbol`, `${k.symbol} is not a function in ${where}`);
    const ids = new Set<number>();
    k.packings.forEach((p, j) => {
      if (ids.has(p.index)) fail(`${at}.packings[${j}].index`, `packing index ${p.index} is declared twice`);
      ids.add(p.index);
      if (p.a.r !== k.mr) fail(`${at}.packings[${j}].a.r`, `${p.a.r} differs from mr ${k.mr}`);
      if (p.b.r !== k.nr) fail(`${at}.packings[${j}].b.r`, `${p.b.r} differs from nr ${k.nr}`);
    });
    for (const [fi, f] of (k.requirements?.features ?? []).entries()) {
      const ok = machine === 'x86_64' ? X86_FEATURES.has(f) : f in HWCAP_BITS;
      if (!ok) fail(`${at}.requirements.features[${fi}]`, `unknown ${machine} feature ${JSON.stringify(f)} (${machine === 'x86_64' ? [...X86_FEATURES].join(', ') : 'a Linux HWCAP / HWCAP2 name: ' + Object.keys(HWCAP_BITS).join(', ')})`);
    }
    if (k.requirements?.svl_bytes !== undefined && machine !== 'aarch64') fail(`${at}.requirements.svl_bytes`, 'an SME streaming vector length needs aarch64 code');
    return { ...k, tags: opTags(k.ops, `${at}.ops`, fail) };
  });
  return { inputs, kind, machine: machine!, kernels };
}

// ---- ELF -------------------------------------------------------------------------------------

interface ElfSymbol { defined: boolean; global: boolean; visible: boolean; type: number }

function elfType(file: string): number {
  const h = readHead(file, 18);
  return h.length < 18 ? -1 : h.readUInt16LE(16);
}

/** The symbols of an ELF64 little-endian file: .dynsym of a shared library, .symtab of an object. */
function elfSymbols(file: string, dynamic: boolean): Map<string, ElfSymbol> {
  const b = readFileSync(file);
  const out = new Map<string, ElfSymbol>();
  if (b[4] !== 2 || b[5] !== 1) return out; // not ELF64 LE: the link step will say so
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a), shnum = b.readUInt16LE(0x3c);
  const sec = (i: number) => {
    const o = shoff + i * shentsize;
    return { type: b.readUInt32LE(o + 4), offset: Number(b.readBigUInt64LE(o + 0x18)), size: Number(b.readBigUInt64LE(o + 0x20)), link: b.readUInt32LE(o + 0x28), entsize: Number(b.readBigUInt64LE(o + 0x38)) };
  };
  for (let i = 0; i < shnum; i++) {
    const s = sec(i);
    if (s.type !== (dynamic ? 11 : 2)) continue;
    const str = sec(s.link);
    for (let o = s.offset; o + 24 <= s.offset + s.size; o += s.entsize || 24) {
      const nameOff = b.readUInt32LE(o);
      const info = b[o + 4], other = b[o + 5], shndx = b.readUInt16LE(o + 6);
      const end = b.indexOf(0, str.offset + nameOff);
      const name = b.toString('latin1', str.offset + nameOff, end);
      if (!name) continue;
      const bind = info >> 4;
      const sym = { defined: shndx !== 0, global: bind === 1 || bind === 2, visible: (other & 3) === 0 || (other & 3) === 3, type: info & 15 };
      const prev = out.get(name);
      if (!prev || (sym.defined && sym.global && !(prev.defined && prev.global))) out.set(name, sym);
    }
  }
  return out;
}

// ---- the shim --------------------------------------------------------------------------------

const cStr = (s: string): string => JSON.stringify(s); // names are printable ASCII without '"' or '\'

function formatC(f: FormatJson): string {
  return f.kind === 'packed_i8k4' ? `{BX_PACK_I8K4, ${f.r}, 1, 0}` : `{BX_PACK_FORMAT, ${f.r}, ${f.align ?? 1}, ${f.end_padding_record ?? 1}}`;
}

function supportedC(k: KernelJson, i: number, machine: Machine): string {
  const checks: string[] = [];
  const feats = k.requirements?.features ?? [];
  if (machine === 'x86_64') {
    if (feats.length) checks.push('  __builtin_cpu_init();');
    for (const f of feats) checks.push(`  if (!__builtin_cpu_supports(${cStr(f)})) return why_not(why, n, "CPU lacks ${f} (manifest requirement)");`);
  } else {
    for (const f of feats) {
      const [word, bit] = HWCAP_BITS[f];
      checks.push(`  if (!(getauxval(${word === 1 ? 'AT_HWCAP' : 'AT_HWCAP2'}) & (1UL << ${bit}))) return why_not(why, n, "CPU lacks ${f} (HWCAP${word === 1 ? '' : '2'} bit ${bit}, manifest requirement)");`);
    }
    const svl = k.requirements?.svl_bytes;
    if (svl !== undefined) {
      checks.push('  if (!(getauxval(AT_HWCAP2) & (1UL << 23))) return why_not(why, n, "CPU lacks SME (the manifest requires an SVL)");');
      checks.push(`  if (svl_bytes() != ${svl}) return why_not(why, n, "streaming vector length is %zu bytes, the manifest requires ${svl}", svl_bytes());`);
    }
  }
  return `static int supported_${i}(char *why, size_t n) {\n  (void)why; (void)n;\n${checks.join('\n')}${checks.length ? '\n' : ''}  return 1;\n}\n`;
}

/** The C source of the shim library for a checked manifest. */
export function shimSource(r: Resolved): string {
  const parts: string[] = [
    '/* Generated by bitexact from a bitexact-kernels/1 manifest: descriptors for raw kernels. */',
    '#include <stdarg.h>', '#include <stdio.h>', '#include "bitexact/kernel.h"',
  ];
  if (r.machine === 'aarch64') {
    parts.push('#include <sys/auxv.h>', '#ifndef AT_HWCAP2', '#define AT_HWCAP2 26', '#endif',
      '/* RDSVL X0, #1 (SME), encoded: any assembler takes it; run only once HWCAP2_SME is known */',
      'static size_t svl_bytes(void) { register size_t x0 __asm__("x0"); __asm__ volatile(".inst 0x04bf5820" : "=r"(x0)); return x0; }');
  }
  parts.push('static int why_not(char *why, size_t n, const char *fmt, ...) {',
    '  va_list ap; va_start(ap, fmt); if (n) vsnprintf(why, n, fmt, ap); va_end(ap); return 0;', '}');
  const table: string[] = [];
  r.kernels.forEach((k, i) => {
    const mask = k.tags.reduce((m, t) => m | (1n << BigInt(t)), 0n);
    parts.push(`intptr_t ${k.symbol}(const bx_fused_ker_spec *chain);`);
    parts.push(`static const bx_packing packings_${i}[] = {${k.packings.map((p) => `{${formatC(p.a)}, ${formatC(p.b)}, ${p.k_alignment ?? (p.a.kind === 'packed_i8k4' || p.b.kind === 'packed_i8k4' ? 4 : 1)}}`).join(', ')}};`);
    parts.push(`static const uint32_t packing_ids_${i}[] = {${k.packings.map((p) => `${p.index}u`).join(', ')}};`);
    parts.push(supportedC(k, i, r.machine));
    parts.push(`static const bx_kernel_desc desc_${i} = {BX_ABI_VERSION, ${cStr(k.name)}, ${cStr(k.isa)}, ${k.mr}, ${k.nr}, ${k.packings.length}, packings_${i},`
      + ` UINT64_C(0x${mask.toString(16)}), ${k.symbol}, supported_${i}, packing_ids_${i}, NULL};`);
    table.push(`&desc_${i}`);
  });
  parts.push(`static const bx_kernel_desc *const table[] = {${table.join(', ')}};`,
    '__attribute__((visibility("default"))) const bx_kernel_desc *const *bitexact_kernels(size_t *count) {',
    '  *count = sizeof table / sizeof table[0];', '  return table;', '}', '');
  return parts.join('\n');
}

/** The C compiler that builds shared libraries for a machine here, or why there is none. */
export function toolchainFor(machine: Machine): { cc: string } | { why: string } {
  const host: Machine | undefined = arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : undefined;
  const cc = machine === host ? process.env.CC ?? 'cc' : machine === 'aarch64' ? process.env.BX_AARCH64_CC ?? 'aarch64-linux-gnu-gcc' : undefined;
  if (!cc) return { why: `no ${machine} toolchain on this ${arch()} host` };
  const probe = spawnSync(cc, ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return { why: `${machine} objects need ${cc}, which is not installed${machine === 'aarch64' ? `; install with: ${AARCH64_SETUP_HINT}` : ''}` };
  return { cc };
}

/** Where built shims go: $BITEXACT_CACHE_DIR, else node_modules/.cache/bitexact of the nearest
 *  node_modules above the working directory, else ~/.cache/bitexact; never the manifest's tree. */
export function cacheDir(): string {
  if (process.env.BITEXACT_CACHE_DIR) return path.resolve(process.env.BITEXACT_CACHE_DIR);
  for (let d = process.cwd(); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules'))) return path.join(d, 'node_modules', '.cache', 'bitexact');
    if (path.dirname(d) === d) break;
  }
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'bitexact');
}

const HEADERS = ['kernel.h', 'ops.gen.h'].map((f) => path.join(PKG_ROOT, 'native', 'include', 'bitexact', f));

/** Reads, checks, and builds (or finds in the cache) the shim library of a manifest. Throws ManifestError. */
export function buildManifest(file: string): BuiltManifest {
  const r = readManifest(file);
  const tc = toolchainFor(r.machine);
  if ('why' in tc) throw new ManifestError(file, tc.why);
  const src = shimSource(r);
  const h = createHash('sha256');
  for (const part of [src, tc.cc, r.kind, ...r.inputs, ...r.inputs.map((p) => readFileSync(p)), ...HEADERS.map((p) => readFileSync(p))]) h.update(part).update('\0');
  const dir = path.join(cacheDir(), 'manifest', h.digest('hex').slice(0, 24));
  const lib = path.join(dir, 'libbitexact-manifest.so');
  const contracts = new Map<string, Contract>();
  r.kernels.forEach((k, i) => {
    if (k.contract === undefined) return;
    try {
      contracts.set(k.name, parseContract(k.contract, `kernels[${i}].contract`));
    } catch (e) {
      if (e instanceof ContractError) throw new ManifestError(file, e.message);
      throw e;
    }
  });
  if (existsSync(lib)) return { lib, machine: r.machine, contracts };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'shim.c'), src);
  const run = (args: string[]): void => {
    const res = spawnSync(tc.cc, args, { encoding: 'utf8' });
    if (res.status === 0) return;
    const out = `${res.error?.message ?? ''}${res.stderr ?? ''}${res.stdout ?? ''}`.trim().split('\n').slice(0, 12).join('\n');
    throw new ManifestError(file, `linking the kernels failed (${tc.cc} ${args.join(' ')}):\n${out}${/recompile with -fPIC/.test(out) ? '\n(objects must be compiled with -fPIC)' : ''}`);
  };
  // objects become a library of their own first: the shim's bitexact_kernels then comes first
  // in the loaded library's lookup scope even when the objects define one too
  let user = r.inputs[0];
  if (r.kind === 'objects') {
    user = path.join(dir, 'libkernels.so');
    const part = `${user}.${process.pid}.tmp`; // found by its soname through the shim's rpath
    run(['-shared', '-fPIC', ...r.inputs, '-Wl,-soname,libkernels.so', '-o', part]);
    renameSync(part, user);
  }
  const tmp = `${lib}.${process.pid}.tmp`;
  run(['-shared', '-fPIC', '-O1', '-std=gnu11', `-I${path.join(PKG_ROOT, 'native', 'include')}`, path.join(dir, 'shim.c'), user,
    `-Wl,-rpath,${path.dirname(user)}`, '-Wl,--no-undefined', '-o', tmp]);
  renameSync(tmp, lib); // atomic: parallel runs of the same manifest agree
  return { lib, machine: r.machine, contracts };
}
