// The host provider: kernels of the machine node runs on, executed in a node child process
// (host-child.ts) that loads the addon build/Release/bitexact.node. Required: the addon is
// built by npm install, so its absence is a broken install, not a skip.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonPath, PKG_ROOT } from '../paths.js';
import { processBackend } from '../process.js';
import { builtinKernelSources, type KernelArch } from '../sources.js';
import { sh, type BackendProvider, type ProvidedBackend, type ReproCommands, type ReproInput, type StartOptions } from './provider.js';

function addonMissing(): string | null {
  const addon = addonPath();
  return existsSync(addon) ? null : `bitexact: native addon not built (${addon}); run \`npm run build:native\``;
}

// From dist/: the compiled sibling. From source (vitest runs .ts in-process, but the child is
// a plain node process that cannot run TypeScript): transpile host-child.ts once into
// node_modules/.cache, named by a hash of the source (checkouts may share node_modules, and
// each must run its own child). It imports only node builtins.
async function hostChildScript(): Promise<string> {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), 'host-child.js');
  const src = path.join(path.dirname(here), 'host-child.ts');
  const text = readFileSync(src, 'utf8');
  const outDir = path.join(PKG_ROOT, 'node_modules', '.cache', 'bitexact');
  const out = path.join(outDir, `host-child-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`);
  if (existsSync(out)) return out;
  const ts = (await import('typescript')).default;
  const js = ts.transpileModule(text, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  mkdirSync(outDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`; // parallel test workers: write, then rename atomically
  writeFileSync(tmp, js);
  renameSync(tmp, out);
  return out;
}

/** cc builds a repro.c for the host; a builtin kernel links its sources, a library kernel dlopen()s it. */
function repro({ file, source }: ReproInput): ReproCommands {
  const src = sh(path.resolve(file));
  const exe = sh(path.resolve(file.replace(/\.c$/, '')));
  const inc = sh(path.join(PKG_ROOT, 'native', 'include'));
  if (source !== 'builtin') return { build: `cc -O1 -I ${inc} ${src} -o ${exe} -ldl`, run: `${exe} ${sh(path.resolve(source))}` };
  const ks = builtinKernelSources(HOST_ARCH).map((f) => sh(path.resolve(PKG_ROOT, f)));
  return { build: `cc -O1 -I ${inc} -DBX_REPRO_LINK=bx_builtin_kernels ${src} ${ks.join(' ')} -o ${exe}`, run: exe };
}

const NODE_MACHINE: Partial<Record<NodeJS.Architecture, BackendProvider['machine']>> = { x64: 'x86_64', arm64: 'aarch64' };
/** the kernel set the addon is built with (native/sources.cjs) */
const HOST_ARCH: KernelArch = process.arch === 'x64' ? 'x86_64' : 'portable';

export const hostProvider: BackendProvider = {
  id: 'host',
  title: 'host',
  // an unknown node architecture still gets x86-64 libraries routed here, and refused by dlopen
  machine: NODE_MACHINE[process.arch] ?? 'x86_64',
  required: true,
  installHint: 'npm run build:native',
  unavailable: addonMissing,
  executorPath: addonPath,
  builtinKernels: () => [], // never listed as unavailable: it is required
  repro,
  start: (opts: StartOptions = {}): ProvidedBackend => {
    const backend = processBackend(
      'host',
      async () => {
        const why = addonMissing();
        if (why) throw new Error(why);
        return { command: process.execPath, args: [await hostChildScript(), addonPath()] };
      },
      { timeoutMs: opts.timeoutMs },
    );
    return Object.assign(backend, { provider: hostProvider, emulated: false, repro });
  },
};

/** Executor in a node child process that loads the addon (build/Release/bitexact.node). */
export const hostBackend = (opts: { timeoutMs?: number } = {}): ProvidedBackend => hostProvider.start(opts);
