#!/usr/bin/env node
// The addon build/Release/bitexact.node (+ build/Release/bitexact_test_kernels.so): node-gyp
// rebuild, offline.
//
//   node native/build-addon.mjs            npm run build:native: always a source build
//   node native/build-addon.mjs --install  npm's install script: in an installed package
//                                          whose prebuilds/<platform>-<arch>/ addon loads here,
//                                          nothing to do (a package manager that skips install
//                                          scripts, pnpm by default, gets the same addon);
//                                          otherwise a source build
//   (as prebuildify's --node-gyp)          `rebuild ...` arguments: npm pack's prepack
//
// node-gyp rebuild deletes build/ whole, so nothing else of ours lives there (native/paths.ts).
// node-gyp downloads Node's headers unless given --nodedir. Distribution builds of Node (as
// here: /usr/bin/node with /usr/include/node) ship the headers next to the binary, so we point
// node-gyp at them when their version matches the running node; otherwise node-gyp's own
// default (download / cache) applies.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp, // set by npm for lifecycle scripts: its bundled node-gyp
    (() => {
      try {
        return require.resolve('node-gyp/bin/node-gyp.js');
      } catch {
        return undefined;
      }
    })(),
    path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find((p) => p && existsSync(p));
}

function localNodeDir() {
  if (process.env.npm_config_nodedir) return undefined; // the user chose
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const versionH = path.join(prefix, 'include/node/node_version.h');
  if (!existsSync(versionH) || !existsSync(path.join(prefix, 'include/node/common.gypi'))) return undefined;
  const h = readFileSync(versionH, 'utf8');
  const num = (name) => /#define\s+\w+\s+(\d+)/.exec(h.split('\n').find((l) => l.includes(`define ${name} `)) ?? '')?.[1];
  const v = `v${num('NODE_MAJOR_VERSION')}.${num('NODE_MINOR_VERSION')}.${num('NODE_PATCH_VERSION')}`;
  return v === process.version ? prefix : undefined;
}

/** The shipped prebuild for this platform, if there is one and it loads in this node. */
function usablePrebuild() {
  let file;
  try {
    file = require('node-gyp-build').path(root);
  } catch {
    return undefined; // none for this platform / arch / libc
  }
  if (!file.includes(`${path.sep}prebuilds${path.sep}`)) return undefined;
  // a child: a prebuild linked against a newer glibc fails to load, and must not kill us
  const r = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', file], { stdio: 'pipe', encoding: 'utf8' });
  return r.status === 0 ? file : undefined;
}

let argv = process.argv.slice(2);
if (argv[0] === '--install') {
  argv = argv.slice(1);
  // in a clone (not under node_modules) always build: the tests need the test kernel library
  const installed = root.split(path.sep).includes('node_modules');
  const pre = installed ? usablePrebuild() : undefined;
  if (pre) {
    console.error(`bitexact: using the prebuilt addon ${path.relative(root, pre)}`);
    process.exit(0);
  }
}

const gyp = findNodeGyp();
if (!gyp) {
  console.error('bitexact: node-gyp not found (npm ships one; or `npm i -g node-gyp`)');
  process.exit(1);
}
const nodedir = localNodeDir();
// called by prebuildify as its node-gyp: drop its command, and its --target/--devdir when the
// local headers are used (they are the running node's, which is the target)
if (argv[0] === 'rebuild') argv = argv.slice(1);
if (nodedir) argv = argv.filter((a) => !a.startsWith('--target=') && !a.startsWith('--devdir='));
const args = [gyp, 'rebuild', `--jobs=${Math.max(1, os.availableParallelism?.() ?? os.cpus().length)}`];
if (nodedir) args.push(`--nodedir=${nodedir}`);
args.push(...argv);
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('bitexact: building the native addon failed (needs a C/C++ compiler, make and python3).'
    + ' Without it only a shipped prebuilt addon (prebuilds/, linux-x64) can be used.');
}
process.exit(r.status ?? 1);
