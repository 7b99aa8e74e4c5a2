// The CLI verbs, called in-process with a buffered Io (no subprocess).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { SELF_PROPERTIES } from '../oracle/selftest.js';
import { main, verbs } from './main.js';
import { bufferIo, intOption } from './util.js';
import { evalCaseText, formatResult } from './eval.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitexact-cli-'));
const write = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const GOOD = JSON.stringify({
  format: 'bitexact-case/1', level: 'frame', m: 1, n: 2, k: 1, a: [[3]], b: [[4, -5]],
  chain: [{ op: 'add_mat_mul' }, { op: 'store', item_size: 4 }],
});

describe('bitexact eval', () => {
  test('prints the last store and exits 0', async () => {
    const io = bufferIo();
    expect(await main(['eval', write('good.json', GOOD)], io)).toBe(0);
    expect(io.stdout).toBe('{"c": [[12,-15]]}\n');
    expect(io.stderr).toBe('');
  });

  test('a malformed case exits 2 with the JSON path, no stack trace', async () => {
    const bad = JSON.parse(GOOD);
    bad.chain.splice(1, 0, { op: 'q_scale', shift: 0, policy: 'nearest', mult: 1 });
    const io = bufferIo();
    const f = write('bad.json', JSON.stringify(bad));
    expect(await main(['eval', f], io)).toBe(2);
    expect(io.stderr).toBe(`bitexact eval: ${f}: $.chain[1].policy: expected one of zero|away|minus_inf|plus_inf|even|odd, got "nearest"\n`);
    expect(io.stdout).toBe('');
  });

  test('not JSON, missing file, usage errors, unknown --kernel', async () => {
    let io = bufferIo();
    expect(await main(['eval', write('x.json', '{')], io)).toBe(2);
    expect(io.stderr).toMatch(/not valid JSON/);
    io = bufferIo();
    expect(await main(['eval', join(tmp, 'nope.json')], io)).toBe(2);
    expect(io.stderr).toContain('cannot read');
    io = bufferIo();
    expect(await main(['eval'], io)).toBe(2);
    expect(io.stderr).toContain('expected one CASE.json');
    io = bufferIo();
    expect(await main(['eval', '--frob', 'x'], io)).toBe(2);
    io = bufferIo();
    // the --kernel hook belongs to native/: here only that an unknown kernel is a usage error
    expect(await main(['eval', '--kernel', 'no-such-kernel-xyz', write('g.json', GOOD)], io)).toBe(2);
    expect(io.stderr).toMatch(/^bitexact eval: --kernel /);
  });

  test('a chain without store prints {"c": null}', () => {
    const r = evalCaseText(JSON.stringify({ ...JSON.parse(GOOD), chain: [{ op: 'clear' }] }), 'n.json');
    expect(r).toEqual({ code: 0, out: '{"c": null}\n', err: '', c: undefined });
    expect(formatResult([[1]])).toBe('{"c": [[1]]}\n');
  });
});

describe('bitexact main / help', () => {
  test('help lists every verb; help VERB and --help show the usage', async () => {
    let io = bufferIo();
    expect(await main([], io)).toBe(0);
    for (const v of Object.keys(verbs)) expect(io.stdout).toContain(v);
    io = bufferIo();
    expect(await main(['help', 'eval'], io)).toBe(0);
    expect(io.stdout).toContain('bitexact eval CASE.json');
    io = bufferIo();
    expect(await main(['oracle-selftest', '--help'], io)).toBe(0);
    expect(io.stdout).toContain('--runs N');
    io = bufferIo();
    expect(await main(['help', 'nope'], io)).toBe(2);
  });

  test('unknown verb: exit 2 and the verb list on stderr', async () => {
    const io = bufferIo();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.stderr).toContain('unknown verb "frobnicate"');
    expect(io.stderr).toContain('oracle-selftest');
  });

  test('intOption', () => {
    expect(intOption('runs', undefined)).toBeUndefined();
    expect(intOption('runs', '12')).toBe(12);
    expect(intOption('runs', '0', 1)).toMatch(/>= 1/);
    expect(intOption('runs', '1e3')).toMatch(/expected an integer/);
  });
});

describe('bitexact oracle-selftest', () => {
  test('runs the properties with a printed seed (few runs)', async () => {
    const io = bufferIo();
    expect(await main(['oracle-selftest', '--runs', '5', '--seed', '123'], io)).toBe(0);
    expect(io.stderr.split('\n')[0]).toBe('seed 123');
    expect(io.stderr).toContain('all 7 properties hold (seed 123)');
  });

  test('--only filters; an Io that is not the terminal gets plain lines (the bar draws on the real terminal only)', async () => {
    const io = { ...bufferIo(), isTTY: true };
    const buf = bufferIo();
    io.err = buf.err.bind(buf);
    expect(await main(['oracle-selftest', '--runs', '50', '--seed', '1', '--only', 'packing'], io)).toBe(0);
    const plain = buf.stderr.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).not.toContain('\x1b');
    expect(plain).toMatch(/^ok {3}packing: unpack\(pack\(x\)\) == x.*\(50 runs, \d+ ms\)$/m);
    expect(plain).toContain('all 1 properties hold');
  });

  test('a failing property: exit 1, fast-check report and the reproduce command', async () => {
    SELF_PROPERTIES.push({ name: 'deliberately false', runs: 3, make: (tick) => fc.property(fc.nat(), () => { tick(); return false; }) });
    try {
      const io = bufferIo();
      expect(await main(['oracle-selftest', '--seed', '9', '--only', 'deliberately false'], io)).toBe(1);
      expect(io.stderr).toContain('FAIL deliberately false');
      expect(io.stderr).toContain('seed: 9');
      expect(io.stderr).toContain('reproduce: bitexact oracle-selftest --seed 9');
    } finally {
      SELF_PROPERTIES.pop();
    }
  });

  test('bad options exit 2', async () => {
    for (const args of [['--runs', 'x'], ['--seed', '-1'], ['--only', 'no such property'], ['extra'], ['--bogus']]) {
      const io = bufferIo();
      expect(await main(['oracle-selftest', ...args], io), args.join(' ')).toBe(2);
    }
  });
});

describe('bitexact replay', () => {
  test('a malformed and an invalid file are reported by name and field; the good file still runs', async () => {
    const io = bufferIo();
    const malformed = write('malformed.json', '{"format": "bitexact-case/1", "m": 1');
    const invalid = write('invalid.json', JSON.stringify({
      format: 'bitexact-case/1', level: 'frame', m: 1, n: 1, k: 0, a: [[]], b: [],
      chain: [{ op: 'rounding_shift_right', shift: 0, policy: 'even' }, { op: 'store', item_size: 4 }],
    }));
    const good = write('replay-good.json', GOOD);
    expect(await main(['replay', malformed, invalid, good, '--kernel', 'generic_i32_4x4', '--no-aarch64'], io)).toBe(2);
    expect(io.stderr).toContain(`${malformed}: not valid JSON`);
    expect(io.stderr).toContain(`${invalid}: chain[0] (rounding_shift_right).shift = 0`);
    expect(io.stdout).toContain(`PASS ${good} on generic_i32_4x4`);
    expect(io.stdout).toContain('1 passed, 0 failed, 2 file(s) invalid');
  });
});

describe('eval --kernel and replay judge through runCase', () => {
  test('a crashing kernel: the crash verdict, exit 1; the run goes on', async () => {
    const { testKernelsPath } = await import('../native/paths.js');
    const file = write('crash-case.json', GOOD);
    let io = bufferIo();
    expect(await main(['replay', file, '--kernel-lib', testKernelsPath(), '--kernel', 'test_crash_i32_4x4', '--kernel', 'test_ref_i32_4x4', '--no-aarch64'], io)).toBe(1);
    expect(io.stdout).toMatch(/FAIL \S+ on test_crash_i32_4x4: crash: test_crash_i32_4x4 crashed \(SIG[A-Z]+\)/);
    expect(io.stdout).toContain(`PASS ${file} on test_ref_i32_4x4`);
    io = bufferIo();
    expect(await main(['eval', file, '--kernel-lib', testKernelsPath(), '--kernel', 'test_crash_i32_4x4', '--no-aarch64'], io)).toBe(1);
    expect(io.stderr).toMatch(/disagrees with the oracle\ntest_crash_i32_4x4: crash: test_crash_i32_4x4 crashed/);
    io = bufferIo();
    expect(await main(['eval', file, '--kernel-lib', testKernelsPath(), '--kernel', 'test_ref_i32_4x4', '--no-aarch64'], io)).toBe(0);
    expect(io.stdout).toBe('{"c": [[12,-15]]}\n');
  });
});

describe('--timeout', () => {
  test('a bad value is a usage error naming the option, before anything runs', async () => {
    const missing = join(tmp, 'never-read.json');
    for (const bad of ['x', '0', '-5', '1.5', '2147483648']) {
      for (const args of [['conform', `--timeout=${bad}`], ['eval', missing, '--kernel', 'generic_i32_4x4', `--timeout=${bad}`], ['replay', missing, `--timeout=${bad}`]]) {
        const io = bufferIo();
        expect(await main(args, io), args.join(' ')).toBe(2);
        expect(io.stderr, args.join(' ')).toMatch(new RegExp(`^bitexact ${args[0]}: --timeout ${bad}: expected a whole number of milliseconds`));
        expect(io.stdout, 'nothing ran').toBe('');
        expect(io.stderr).not.toContain('cannot read');
      }
    }
    const io = bufferIo();
    expect(await main(['eval', missing, '--timeout', '100'], io)).toBe(2);
    expect(io.stderr).toMatch(/^bitexact eval: --timeout needs --kernel NAME/);
  });

  test('a hang is reported with the timeout the call had, distinct from a crash', async () => {
    const { testKernelsPath } = await import('../native/paths.js');
    const file = write('hang-case.json', GOOD);
    let io = bufferIo();
    expect(await main(['replay', file, '--kernel-lib', testKernelsPath(), '--kernel', 'test_hang_i32_4x4', '--kernel', 'test_ref_i32_4x4', '--no-aarch64', '--timeout', '300'], io)).toBe(1);
    expect(io.stdout).toContain(`FAIL ${file} on test_hang_i32_4x4: hang: no response within 300 ms (--timeout 300)`);
    expect(io.stdout).toContain(`PASS ${file} on test_ref_i32_4x4`);
    io = bufferIo();
    expect(await main(['eval', file, '--kernel-lib', testKernelsPath(), '--kernel', 'test_hang_i32_4x4', '--no-aarch64', '--timeout', '300'], io)).toBe(1);
    expect(io.stderr).toContain('test_hang_i32_4x4: hang: no response within 300 ms (--timeout 300)');
  });
});
