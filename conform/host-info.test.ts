// The conform report's JSON Schema (schema/bitexact-conform-report-1.schema.json) against a
// real report of a small run (a passing, a crashing and a contract-declaring test kernel), with
// the host object of conform/host-info.ts; and the host object's content on this machine.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { aarch64Unavailable } from '../native/backends/aarch64-qemu.js';
import { PKG_ROOT, PKG_VERSION, testKernelsPath } from '../native/paths.js';
import { conformance, type ConformReport } from './engine.js';
import { hostInfo } from './host-info.js';
import { renderJunit } from './report-junit.js';
import { renderMarkdown } from './report-markdown.js';

const schema = JSON.parse(readFileSync(path.join(PKG_ROOT, 'schema', 'bitexact-conform-report-1.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);
const errors = (x: unknown): string => (validate(x) ? '' : JSON.stringify(validate.errors, null, 1));

describe('bitexact-conform-report/1 schema', () => {
  let report: ConformReport & { host?: unknown };
  beforeAll(async () => {
    const r = await conformance({
      kernelLibs: [testKernelsPath()], builtins: false, kernels: ['test_ref_i32_4x4', 'test_crash_i32_4x4', 'test_tractlike_i32_4x4'],
      runs: 5, seed: 11, fixtureDir: null, aarch64: false,
    });
    report = JSON.parse(JSON.stringify({ ...r, host: hostInfo({ aarch64: false }) })) as typeof report;
  });

  it('accepts a real report: passed, failed (with its shrunk case and repro) and outside-contract results', () => {
    expect(report.ok).toBe(false); // the crashing kernel failed: the failure branch is validated too
    expect(report.kernels.some((k) => k.properties.some((p) => p.failure))).toBe(true);
    expect(report.kernels.some((k) => k.outside_contract.length > 0)).toBe(true);
    expect(errors(report)).toBe('');
  });

  it('is rendered in the markdown report and as JUnit properties', () => {
    expect(renderMarkdown(report)).toContain(`bitexact ${PKG_VERSION} · node ${process.version} · `);
    expect(renderJunit(report)).toContain(`<property name="bitexact_version" value="${PKG_VERSION}"/>`);
    const { host: _host, ...withoutHost } = report;
    expect(renderMarkdown(withoutHost)).not.toContain('host: ');
  });

  it('rejects a report missing a field, with a wrong type, or with an unknown one', () => {
    const broken = (f: (r: any) => void): unknown => { const r = structuredClone(report); f(r); return r; };
    expect(validate(broken((r) => { delete r.kernels[0].coverage; }))).toBe(false);
    expect(validate(broken((r) => { r.kernels[0].properties[0].status = 'ok'; }))).toBe(false);
    expect(validate(broken((r) => { r.seconds = '3'; }))).toBe(false);
    expect(validate(broken((r) => { r.extra = 1; }))).toBe(false);
    expect(validate(broken((r) => { r.host.cpu.features.avx2 = 'yes'; }))).toBe(false);
  });
});

describe('hostInfo()', () => {
  it('names the version, node, the CPU model and the gate\'s CPU features', () => {
    const h = hostInfo({ aarch64: false });
    expect(h.bitexact).toBe(PKG_VERSION);
    expect(h.node).toBe(process.version);
    expect(h.platform).toBe(`${process.platform}-${process.arch}`);
    expect(h.cpu.model.length).toBeGreaterThan(0);
    if (process.arch === 'x64') {
      expect(Object.keys(h.cpu.features).sort()).toEqual(['avx2', 'avx512bw', 'avx512f', 'avx512vl', 'avx512vnni', 'osxsave']);
      const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:\s*(.*)$/m)?.[1].split(/\s+/) ?? [];
      expect(h.cpu.features.avx2).toBe(flags.includes('avx2'));
      expect(h.cpu.model).toBe(readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1].trim() ?? os.cpus()[0].model);
    }
    expect(h.emulator).toEqual({ name: 'none', why: 'the aarch64 backend was not used (--no-aarch64)' });
  });

  const why = process.arch === 'arm64' ? 'native arm64 host: no emulator' : aarch64Unavailable();
  if (why) console.log(`conform/host-info.test.ts: the qemu case is skipped: ${why}`);
  it.skipIf(why !== null)('names qemu-aarch64, its version and the emulated CPU settings', () => {
    const h = hostInfo({ cpuProfile: 'neon', svlBytes: 32 });
    if (h.emulator.name !== 'qemu-aarch64') throw new Error(`expected qemu, got ${JSON.stringify(h.emulator)}`);
    expect(h.emulator.version).toMatch(/^\d+\.\d+/);
    expect(h.emulator.cpu_profile).toBe('neon');
    expect(h.emulator.qemu_cpu).toBe('max,sve=off,sme=off');
    expect(h.emulator.svl_bytes).toBe(32);
    expect(hostInfo({ cpuProfile: 'm4' }).emulator).toMatchObject({ qemu_cpu: 'max,sve=off,sme=on,sme_fa64=off,sme-default-vector-length=64' });
  });
});
