// The host executor process: loads the addon and answers framed requests (u32 length +
// payload, PROTOCOL.md) on stdin with framed responses on stdout, one at a time. A kernel that
// crashes or hangs takes down only this process; the parent (native/process.ts) reports it and
// starts a new one. Imports node builtins only, so it starts fast and runs from a plain
// transpile of this file as well as from dist/.
//
// usage: node host-child.js <path to bitexact.node>
import { createRequire } from 'node:module';

interface Addon {
  exec(req: Uint8Array): Buffer;
}

const addonFile = process.argv[2];
if (!addonFile) {
  process.stderr.write('host-child: usage: host-child.js <bitexact.node>\n');
  process.exit(2);
}
const addon = createRequire(import.meta.url)(addonFile) as Addon;

let chunks: Buffer[] = [];
let buffered = 0;

function serve(): void {
  while (buffered >= 4) {
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    chunks = [all];
    const len = all.readUInt32LE(0);
    if (buffered < 4 + len) return;
    const req = all.subarray(4, 4 + len);
    const rest = all.subarray(4 + len);
    chunks = rest.length ? [rest] : [];
    buffered = rest.length;
    const resp = addon.exec(req);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(resp.length, 0);
    // Pipes are synchronous for process.stdout on Linux: the response is out before the next
    // request (and a possible crash) is handled.
    process.stdout.write(Buffer.concat([header, resp]));
  }
}

process.stdin.on('data', (d: Buffer) => {
  chunks.push(d);
  buffered += d.length;
  serve();
});
process.stdin.on('end', () => process.exit(0));
