// `npm install` / `npm run build:native`: node-gyp rebuild of build/Release/bitexact.node and
// build/Release/bitexact_test_kernels.so, offline.
//
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

const gyp = findNodeGyp();
if (!gyp) {
  console.error('bitexact: node-gyp not found (npm ships one; or `npm i -g node-gyp`)');
  process.exit(1);
}
const args = [gyp, 'rebuild', `--jobs=${Math.max(1, os.availableParallelism?.() ?? os.cpus().length)}`];
const nodedir = localNodeDir();
if (nodedir) args.push(`--nodedir=${nodedir}`);
args.push(...process.argv.slice(2));
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
