// The host executor process: loads the addon and hands the process to its serve(), the
// executor loop of native/core/serve.c (requests on descriptor 3, responses on 4, as the
// aarch64 runner; PROTOCOL.md "Transport"). A kernel that crashes or hangs takes down only this
// process; the parent (native/process.ts) reports it and starts a new one. serve() never
// returns to the event loop: nothing in this process reads or writes stdio from JavaScript,
// so a kernel's output on stdout / stderr is only ever captured, never taken for protocol.
// Imports node builtins only, so it starts fast and runs from a plain transpile of this file
// as well as from dist/.
//
// usage: node host-child.js <path to bitexact.node>
import { createRequire } from 'node:module';

interface Addon {
  /** never returns: the process exits with the loop's status (native/core/serve.h) */
  serve(): never;
}

const addonFile = process.argv[2];
if (!addonFile) {
  process.stderr.write('host-child: usage: host-child.js <bitexact.node>\n');
  process.exit(2);
}
const addon = createRequire(import.meta.url)(addonFile) as Addon;
addon.serve();
