// Kernels that touch the executor's standard descriptors (native/test-kernels/hostile_io.c):
// printing, raw bytes on fd 1, close(0) / close(1), writes to fds 3 and 4, output from a library
// constructor and from is_supported_here. The protocol runs on its own descriptors
// (native/core/serve.c), so each of them passes (its output shown) or ends in a named verdict,
// never a protocol violation or a hang; on the host child and the aarch64 runner alike.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KernelDesc } from './descriptor.js';
import { hostileKernelsPath, PKG_ROOT } from './paths.js';
import { setOutputNotice, type ExecutorOutput } from './process.js';
import { hostBackend } from './backends/host.js';
import { aarch64Backend, aarch64Unavailable } from './backends/aarch64-qemu.js';
import type { ProvidedBackend } from './backends/provider.js';
import { propertyByName } from '../properties/kernel-properties.js';
import { runCaseProperty } from '../properties/run.js';
import { failureKind, isHang } from '../properties/verdict.js';
import { failureMessage } from '../properties/verdict-format.js';

const AARCH64_LIB = path.join(PKG_ROOT, 'build/aarch64/bitexact_hostile_kernels.so');
const BACKENDS: { name: string; start: () => ProvidedBackend; lib: string; skip: string | null; runs: number }[] = [
  { name: 'host', start: () => hostBackend({ timeoutMs: 20_000 }), lib: hostileKernelsPath(), skip: null, runs: 12 },
  {
    name: 'aarch64', start: () => aarch64Backend({ timeoutMs: 60_000 }), lib: AARCH64_LIB, runs: 4,
    skip: aarch64Unavailable() ?? (require('node:fs').existsSync(AARCH64_LIB) ? null : `${AARCH64_LIB} not built (make -C native/runner)`),
  },
];

/** kernels that compute right whatever they do to stdio: they pass */
const PASSING = [
  'test_io_printf_i32_4x4', 'test_io_stderr_i32_4x4', 'test_io_zero4_i32_4x4', 'test_io_close0_i32_4x4',
  'test_io_close1_i32_4x4', 'test_io_fd34_i32_4x4', 'test_io_supported_i32_4x4',
];

const notices: { backend: string; what: string; output: ExecutorOutput }[] = [];
beforeAll(() => setOutputNotice((backend, what, output) => notices.push({ backend, what, output })));
afterAll(() => setOutputNotice(null));

for (const b of BACKENDS) {
  describe(`a kernel touching stdio (${b.name})`, () => {
    if (b.skip) {
      it.skip(`${b.name}: ${b.skip}`, () => {}); // reason: toolchain or library missing (named in the title)
      return;
    }
    let backend: ProvidedBackend;
    let lib: KernelDesc[];
    beforeAll(async () => {
      backend = b.start();
      lib = await backend.loadLib(b.lib);
    }, 120_000);
    afterAll(async () => { await backend?.close(); });
    const kernel = (name: string): KernelDesc => {
      const k = lib.find((x) => x.name === name);
      if (!k) throw new Error(`${name} not in ${b.lib}`);
      return k;
    };
    const run = async (name: string, prop: string, seed = 7) => {
      const k = kernel(name);
      const p = propertyByName(prop)!;
      const t = { kernel: k, backend };
      return runCaseProperty({ kernel: k.name, property: prop, arb: p.arb(k), exec: (c) => p.exec(t, [t], c), numRuns: b.runs, seed, fixtureDir: null });
    };

    it('loads a library whose constructor prints to stdout and writes 4 zero bytes to fd 1; the output is noted', () => {
      expect(lib.map((k) => k.name)).toEqual(expect.arrayContaining([...PASSING, 'test_io_closeall_i32_4x4']));
      const n = notices.find((x) => x.backend === backend.name && x.what.startsWith('LOAD_LIB'));
      expect(n?.output.text).toContain('hostile_io: constructor printing to stdout');
      // the listing calls every is_supported_here: that one prints too
      expect(n?.output.text).toContain('test_io_supported: is_supported_here printing');
      expect(n?.output.text.split('\0').length).toBe(9); // both wrote their 4 zero bytes
      expect(n?.output.bytes).toBe(n?.output.text.length);
    });

    for (const name of PASSING)
      for (const prop of ['tile', 'frame']) {
        it(`${name} passes ${prop}`, async () => {
          const out = await run(name, prop);
          expect(out.failure?.text, `${name} ${prop}`).toBeUndefined();
          expect(out.passed + out.refused).toBe(out.ran);
          expect(out.ran).toBeGreaterThan(0);
        }, 300_000);
      }

    it('notes the first output of a passing kernel once', () => {
      const mine = notices.filter((x) => x.backend === backend.name);
      const printf = mine.filter((x) => x.what.endsWith(' test_io_printf_i32_4x4'));
      expect(printf.length).toBeGreaterThan(0);
      expect(printf.length).toBe(1); // once per kernel (tile and frame ran it)
      expect(printf[0]!.output.text).toContain('test_io_printf: hello from the kernel');
      expect(mine.find((x) => x.what.endsWith(' test_io_stderr_i32_4x4'))?.output.text).toContain('test_io_stderr: hello on stderr');
      // is_supported_here answers once per process: at the listing (noted with LOAD_LIB above)
      expect(mine.find((x) => x.what.endsWith(' test_io_supported_i32_4x4'))).toBeUndefined();
      expect(mine.find((x) => x.what.endsWith(' test_io_zero4_i32_4x4'))?.output.bytes).toBe(4);
      // close(1) then printf: that line is lost, nothing else happens
      expect(mine.find((x) => x.what.endsWith(' test_io_close1_i32_4x4'))).toBeUndefined();
    });

    it('a kernel that prints and then crashes: a crash verdict showing what it printed', async () => {
      const out = await run('test_io_print_crash_i32_4x4', 'tile');
      const v = out.failure!.verdict;
      expect(v.outcome, out.failure?.text).toBe('crash');
      expect(failureMessage(v)).toContain('test_io_print_crash: about to crash');
      expect(v.output?.text).toContain('test_io_print_crash: about to crash');
    }, 300_000);

    it('a kernel that prints and writes out of its tile: that verdict, its output in the record and the message', async () => {
      const out = await run('test_io_print_oob_i32_4x4', 'tile');
      const v = out.failure!.verdict;
      expect(['out_of_tile_write', 'out_of_bounds_write']).toContain(failureKind(v));
      expect(v.output?.text).toContain('test_io_print_oob: storing one row too many');
      expect(failureMessage(v)).toMatch(/; the kernel printed \d+ byte\(s\): ".*test_io_print_oob: storing one row too many/);
    }, 300_000);

    it('a kernel that closes every descriptor (the protocol\'s too): a named crash, not a hang', async () => {
      const out = await run('test_io_closeall_i32_4x4', 'tile');
      const v = out.failure!.verdict;
      expect(isHang(v), out.failure?.text).toBe(false);
      expect(v.outcome).toBe('crash');
      expect(failureMessage(v)).toMatch(/crashed \(exit 4\).*closed or replaced the executor's protocol descriptor/);
    }, 300_000);

    it('the executor still serves after all that', async () => {
      const out = await run('test_io_printf_i32_4x4', 'tile', 11);
      expect(out.failure?.text).toBeUndefined();
    }, 300_000);
  });
}
