// `bitexact setup aarch64`: what the aarch64 backend needs, installed from any project (a
// consumer's included) into the user cache, outside node_modules (which the next `npm ci`
// wipes) and outside build/ (which node-gyp rebuild deletes):
//   1. the cross toolchain from apt (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, clang-19):
//      installed when root (or passwordless sudo), else it must already be there;
//   2. qemu-aarch64 11 unpacked into <cache>/toolchain/qemu (no root);
//   3. the runner cross-built into <cache>/runner/<version>-<hash>/ (no root);
//   4. a check: the runner lists its kernels under that qemu.
// Steps 1-2 are ci/setup-aarch64.sh, the script the clone's `npm run setup` runs too.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aarch64Backend } from '../native/backends/aarch64-qemu.js';
import { cacheDir, cachedAarch64Dir, LOCAL_AARCH64_DIR, PKG_ROOT } from '../native/paths.js';
import { parseOptions, processIo, type Io, type Verb } from './util.js';

const TARGETS = ['aarch64'] as const;

/** Runs a command with its output forwarded to io.err; resolves to its exit code. */
function run(cmd: string, args: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => io.err(d.toString()));
    child.stderr.on('data', (d: Buffer) => io.err(d.toString()));
    child.on('error', (e) => { io.err(`bitexact setup: cannot run ${cmd}: ${e.message}\n`); resolve(127); });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function setupAarch64(io: Io): Promise<number> {
  const say = (t: string): void => io.err(`[bitexact setup] ${t}\n`);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    say(`the aarch64 backend is set up on Linux x86-64 (Debian bookworm or newer); this is ${process.platform}-${process.arch}`);
    return 1;
  }
  for (const tool of ['bash', 'make', 'dpkg-query', 'apt-get']) {
    if (await run('sh', ['-c', `command -v ${tool} >/dev/null`], io) !== 0) {
      say(`${tool} not found: the aarch64 set-up needs a Debian-based system (apt, dpkg) with make`);
      return 1;
    }
  }
  const toolchain = path.join(cacheDir(), 'toolchain');
  say(`cache: ${cacheDir()}   (BITEXACT_CACHE_DIR overrides)`);
  const env = { ...process.env, BX_TOOLCHAIN_DIR: toolchain };
  const st = await run('bash', [path.join(PKG_ROOT, 'ci', 'setup-aarch64.sh')], io, env);
  if (st !== 0) {
    say(st === 3 ? 'install the apt packages named above, then run `bitexact setup aarch64` again' : `ci/setup-aarch64.sh failed (exit ${st})`);
    return 1;
  }
  const qemu = path.join(toolchain, 'qemu', 'usr', 'bin', 'qemu-aarch64');
  const out = cachedAarch64Dir();
  say(`building the runner into ${out}`);
  const jobs = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const made = await run('make', ['-s', '-C', path.join(PKG_ROOT, 'native', 'runner'), `-j${jobs}`, 'runner', 'testlib', `OUT=${out}`, `QEMU=${qemu}`], io);
  if (made !== 0) { say(`building the runner failed (make exit ${made})`); return 1; }

  // the check runs exactly what was just built
  const saved = { r: process.env.BX_AARCH64_RUNNER, q: process.env.BX_QEMU_AARCH64 };
  process.env.BX_AARCH64_RUNNER = path.join(out, 'bitexact-runner');
  process.env.BX_QEMU_AARCH64 = qemu;
  const backend = aarch64Backend({ timeoutMs: 30_000 });
  try {
    const kernels = await backend.list();
    say(`runner check: ${kernels.map((k) => `${k.name} (${k.runnable ? 'runs' : `does not run: ${k.why}`})`).join(', ')}`);
  } catch (e) {
    say(`the runner was built but does not answer under ${qemu}: ${(e as Error).message}`);
    return 1;
  } finally {
    await backend.close();
    for (const [k, v] of [['BX_AARCH64_RUNNER', saved.r], ['BX_QEMU_AARCH64', saved.q]] as const) {
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  }
  if (existsSync(path.join(LOCAL_AARCH64_DIR, 'bitexact-runner'))) {
    say(`note: this package has its own ${path.relative(PKG_ROOT, LOCAL_AARCH64_DIR)}/ runner (a clone's make -C native/runner); it is used first`);
  }
  if (process.env.BITEXACT_CACHE_DIR) say(`keep BITEXACT_CACHE_DIR=${process.env.BITEXACT_CACHE_DIR} set when running bitexact, so it finds this set-up`);
  io.out(`aarch64 ready\n  runner: ${path.join(out, 'bitexact-runner')}\n  qemu:   ${qemu}\n`);
  return 0;
}

export const setupVerb: Verb = {
  summary: 'install what a backend needs: `setup aarch64` = cross toolchain, qemu-aarch64 and the runner, in the user cache',
  usage: 'bitexact setup aarch64 [--cache-dir DIR]\n'
    + '  Installs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross and clang-19 with apt (as root or with\n'
    + '  passwordless sudo; otherwise they must already be installed), unpacks qemu-aarch64 11 into\n'
    + '  <cache>/toolchain and cross-builds the runner into <cache>/runner/<version>-<hash>.\n'
    + '  <cache> = --cache-dir, else $BITEXACT_CACHE_DIR, else $XDG_CACHE_HOME/bitexact (~/.cache/bitexact).\n'
    + '  Works from any project (the package may be in node_modules); idempotent.\n',
  async run(argv: string[], io: Io = processIo): Promise<number> {
    const parsed = parseOptions(argv, { 'cache-dir': { type: 'string' } });
    if ('error' in parsed) { io.err(`bitexact setup: ${parsed.error}\n${this.usage}`); return 2; }
    const [target, ...extra] = parsed.positionals;
    if (!target || extra.length || !(TARGETS as readonly string[]).includes(target)) {
      io.err(`bitexact setup: expected one target (${TARGETS.join(', ')})${target ? `, got ${[target, ...extra].join(' ')}` : ''}\n${this.usage}`);
      return 2;
    }
    const dir = parsed.values['cache-dir'];
    if (typeof dir === 'string') process.env.BITEXACT_CACHE_DIR = path.resolve(dir);
    return setupAarch64(io);
  },
};
