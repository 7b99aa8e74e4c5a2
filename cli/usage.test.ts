// Usage is checked first: a bad option, kernel name, property, output path, library or case
// file is one line on stderr and exit 2 before anything is printed or any case runs, and never
// a hang (a FIFO is refused by stat before anyone opens it) or an internal error.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from './main.js';
import { bufferIo } from './util.js';
import { SVL_BYTES } from '../native/backends/aarch64-qemu.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-usage-'));
const file = (name: string, text: string | Buffer): string => { const p = join(tmp, name); writeFileSync(p, text); return p; };
const fifo = join(tmp, 'pipe');
execFileSync('mkfifo', [fifo]);
const dir = join(tmp, 'a-dir');
mkdirSync(dir);
const notElf = file('not-elf.so', 'hello, not an ELF file\n');
const empty = file('empty.so', '');
const aFile = file('plain.txt', 'x');
const GOOD = JSON.stringify({ format: 'bitexact-case/1', level: 'frame', m: 1, n: 2, k: 1, a: [[3]], b: [[4, -5]], chain: [{ op: 'add_mat_mul' }, { op: 'store', item_size: 4 }] });
const good = file('good.json', GOOD);
const BASE = ['--runs', '5', '--no-aarch64', '--seed', '1'];

/** Runs argv in-process; a hang fails the test by its timeout (each case must answer in seconds). */
async function usage(argv: string[]) {
  const io = bufferIo();
  const t0 = Date.now();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr, ms: Date.now() - t0 };
}

describe('conform: usage errors before anything runs', () => {
  test.each([
    [['--property', 'nope'], /^bitexact conform: --property nope: no such property \(tile, frame, interleave, packing, gating, stale, beyond\)/],
    [['--kernel', 'no_such_kernel_xyz'], /^bitexact conform: --kernel no_such_kernel_xyz: no such kernel/],
    [['--kernel', '../../x/evil_i32_4x4'], /^bitexact conform: --kernel: kernel name "..\/..\/x\/evil_i32_4x4" has "\/" at 2/],
    [['--kernel=-rf'], /^bitexact conform: --kernel: kernel name "-rf" starts with "-"/],
    [['--svl', '17'], new RegExp(`^bitexact conform: --svl 17: not a streaming vector length qemu emulates \\(bytes: one of ${SVL_BYTES.join(', ')}\\)`)],
    [['--svl', '512'], /^bitexact conform: --svl 512: not a streaming vector length/],
    [['--cpu-profile', 'm5'], /^bitexact conform: --cpu-profile m5: unknown CPU profile/],
    [['--json', dir], /^bitexact conform: --json .*a-dir: a directory \(expected a file path\)/],
    [['--junit', join(aFile, 'r.xml')], /^bitexact conform: --junit .*plain\.txt\/r\.xml: ENOTDIR \(a path component is not a directory\)/],
    [['--markdown', fifo], /^bitexact conform: --markdown .*pipe: a FIFO \(named pipe\), not a regular file/],
    [['--html', '/proc/bitexact-report.html'], /^bitexact conform: --html \/proc\/bitexact-report\.html: cannot create files in \/proc: E[A-Z]+/],
    [['--fixture-dir', aFile], /^bitexact conform: --fixture-dir .*plain\.txt: .*plain\.txt is not a directory/],
    [['--kernel-lib', dir], /^bitexact conform: --kernel-lib .*a-dir: a directory, not a regular file/],
    [['--kernel-lib', fifo], /^bitexact conform: --kernel-lib .*pipe: a FIFO \(named pipe\), not a regular file/],
    [['--kernel-lib', empty], /^bitexact conform: --kernel-lib .*empty\.so: empty file \(0 bytes\)/],
    [['--kernel-lib', notElf], /^bitexact conform: --kernel-lib .*not-elf\.so: not an ELF file \(it starts with "hell"\)/],
    [['--kernel-lib', join(tmp, 'missing.so')], /^bitexact conform: --kernel-lib .*missing\.so: no such file/],
    [['--kernel-lib', '/dev/null'], /^bitexact conform: --kernel-lib \/dev\/null: a character device, not a regular file/],
    [['--manifest', fifo], /^bitexact conform: --manifest .*pipe: a FIFO \(named pipe\), not a regular file/],
    [['--manifest', dir], /^bitexact conform: --manifest .*a-dir: a directory, not a regular file/],
  ])('%j', async (args, message) => {
    const r = await usage(['conform', ...args, ...BASE]);
    expect(r.code, r.err).toBe(2);
    expect(r.out, 'nothing printed, nothing ran').toBe('');
    expect(r.err).toMatch(message);
    expect(r.err.trimEnd().split('\n'), 'one line').toHaveLength(1);
    expect(r.err).not.toContain('internal error');
  });

  test('an unreadable library is named (needs a non-root user: chmod does not stop root)', async (ctx) => {
    if (process.getuid?.() === 0) { console.warn('[bitexact] SKIP unreadable --kernel-lib: running as root, where chmod 000 does not stop reading'); ctx.skip(); return; }
    const lib = file('unreadable.so', Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    execFileSync('chmod', ['000', lib]);
    const r = await usage(['conform', '--kernel-lib', lib, ...BASE]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not readable: EACCES/);
  });
});

describe('eval / replay / merge / list: stat first, never hang', () => {
  test('a FIFO or a directory as the case file is an error at once, exit 2', async () => {
    for (const verb of ['eval', 'replay']) {
      for (const [path, what] of [[fifo, 'a FIFO (named pipe), not a regular file'], [dir, 'a directory, not a regular file']]) {
        const r = await usage([verb, path]);
        expect(r.code, `${verb} ${path}`).toBe(2);
        expect(r.err).toContain(`bitexact ${verb}: cannot read ${path}: ${what}`);
        expect(r.ms).toBeLessThan(30_000);
      }
    }
  });

  test('a FIFO as --kernel-lib or --manifest of eval / list is a named problem, exit 2', async () => {
    for (const argv of [['eval', good, '--kernel', 'generic_i32_4x4', '--kernel-lib', fifo, '--no-aarch64'], ['list', '--manifest', fifo, '--no-aarch64']]) {
      const r = await usage(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.out + r.err).toMatch(/pipe: a FIFO \(named pipe\), not a regular file/);
    }
  });

  test('replay --svl outside what qemu emulates; eval / replay --kernel with a path in it', async () => {
    let r = await usage(['replay', good, '--svl', '17']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^bitexact replay: --svl 17: not a streaming vector length qemu emulates/);
    r = await usage(['replay', good, '--kernel', 'a/b']);
    expect(r.err).toMatch(/^bitexact replay: --kernel: kernel name "a\/b" has "\/"/);
    r = await usage(['eval', good, '--kernel', 'x;touch pwned']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^bitexact eval: --kernel: kernel name "x;touch pwned" has ";"/);
  });

  test('merge: a bad output path before any input is read; a FIFO as a shard report', async () => {
    let r = await usage(['merge', dir, good]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^bitexact merge: OUT\.json .*a-dir: a directory/);
    r = await usage(['merge', join(tmp, 'm.json'), fifo]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^bitexact merge: cannot read .*pipe: a FIFO/);
  });
});
