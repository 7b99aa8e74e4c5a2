// The process transport (native/process.ts) against scripted executors that misbehave in ways
// only a kernel could make the real one misbehave: bytes on the response descriptor that are no
// response. Each is a named KernelCrash (protocolViolation set), never a hang or a bare Error,
// and the backend serves again with a fresh process. And the exit hook: a process that exits
// while its executor hangs takes the executor with it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

import { KernelCrash, stdioBackend } from './process.js';
import type { ExecRequest } from './wire.js';
import { PKG_ROOT } from './paths.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bx-transport-'));

/** A node executor on fds 3/4: answers PING (status OK, empty); on any other request does `act`. */
function fakeExecutor(name: string, act: string): string {
  const file = path.join(dir, `${name}.cjs`);
  writeFileSync(file, `
const fs = require('node:fs');
let buf = Buffer.alloc(0), starts = 0;
const ok = () => { const b = Buffer.alloc(8); b.writeUInt32LE(4, 0); return b; }; // len 4, status 0
fs.createReadStream(null, { fd: 3 }).on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
    const req = buf.subarray(4, 4 + buf.readUInt32LE(0));
    buf = buf.subarray(4 + req.length);
    if (req.readUInt32LE(0) === 6) { fs.writeSync(4, ok()); continue; }
    ${act}
  }
});
`);
  return file;
}

const tile: ExecRequest = { type: 'tile', kernel: 'k', buffers: [], ops: [] };
const crashOf = async (p: Promise<unknown>): Promise<KernelCrash> => {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(KernelCrash);
  return e as KernelCrash;
};

describe('bytes on the response descriptor that are no response', () => {
  it('a request in flight gets 4 zero bytes (an empty "response"): a named crash', async () => {
    const b = stdioBackend('fake', [process.execPath, fakeExecutor('zero4', `fs.writeSync(4, Buffer.alloc(4));`)], { timeoutMs: 10_000 });
    const t0 = Date.now();
    const e = await crashOf(b.exec(tile));
    expect(e.protocolViolation).toMatch(/malformed response/);
    expect(e.timedOut).toBe(false);
    expect(e.stderr).toMatch(/protocol violation: .*did the kernel write to the executor's descriptors/);
    expect(Date.now() - t0).toBeLessThan(5000);
    await b.close();
  });

  it('a response header announcing more than any frame: a named crash at once, not a wait', async () => {
    const b = stdioBackend('fake', [process.execPath, fakeExecutor('huge', `fs.writeSync(4, Buffer.from([0xff, 0xff, 0xff, 0xff]));`)], { timeoutMs: 10_000 });
    const e = await crashOf(b.exec(tile));
    expect(e.protocolViolation).toMatch(/announcing 4294967295 bytes/);
    await b.close();
  });

  it('garbage then a response in one write: a named crash; the next call runs on a new process', async () => {
    const counter = path.join(dir, 'starts');
    writeFileSync(counter, '');
    const script = fakeExecutor('garbage', `fs.writeSync(4, Buffer.concat([Buffer.from([0, 0, 0, 0]), ok()]));`);
    const b = stdioBackend('fake', [process.execPath, '-e', `require('fs').appendFileSync(${JSON.stringify(counter)}, 'x'); require(${JSON.stringify(script)})`], { timeoutMs: 10_000 });
    const e = await crashOf(b.exec(tile));
    expect(e.protocolViolation).toMatch(/byte\(s\) on the response descriptor beyond the response/);
    await crashOf(b.exec(tile));
    expect(readFileSync(counter, 'utf8')).toBe('xx');
    await b.close();
  });

  it('what the executor prints on stdout and stderr before it dies is in the crash', async () => {
    const b = stdioBackend('fake', [process.execPath, fakeExecutor('dies', `fs.writeSync(1, 'on stdout\\n'); fs.writeSync(2, 'on stderr\\n'); process.kill(process.pid, 'SIGSEGV');`)], { timeoutMs: 10_000 });
    const e = await crashOf(b.exec(tile));
    expect(e.signal).toBe('SIGSEGV');
    expect(e.stderr).toContain('on stdout\non stderr');
    expect(e.output?.text).toContain('on stdout');
    await b.close();
  });
});

describe('exit hook', () => {
  // The scripted executor sets no parent-death signal: only the hook can end it.
  const dist = path.join(PKG_ROOT, 'dist/native/process.js');
  it('process.exit() while the executor hangs: the executor goes too', async () => {
    expect(existsSync(dist), `${dist} missing: run \`npm run build\``).toBe(true);
    const hang = fakeExecutor('hang', `for (;;) {}`);
    const script = path.join(dir, 'exits.mjs');
    writeFileSync(script, `
import { stdioBackend } from ${JSON.stringify(pathToFileURL(dist).href)};
const b = stdioBackend('fake', [process.execPath, ${JSON.stringify(hang)}], { timeoutMs: 600000 });
b.exec({ type: 'tile', kernel: 'k', buffers: [], ops: [] }).catch(() => {});
setTimeout(() => process.exit(0), 1500);
`);
    const parent = spawn(process.execPath, [script], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1000));
    const kids = childPids(parent.pid!);
    expect(kids.length).toBe(1);
    await new Promise((r) => parent.once('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    const left = kids.filter((k) => existsSync(`/proc/${k}`) && !/\) Z /.test(readFileSync(`/proc/${k}/stat`, 'utf8')));
    for (const k of left) process.kill(k, 'SIGKILL'); // ours: do not leave it spinning if the hook failed
    expect(left).toEqual([]);
  });
});

function childPids(ppid: number): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === ppid;
    } catch {
      return false;
    }
  }).map(Number);
}
