// `bitexact replay FILE... [--kernel NAME]... [--kernel-lib PATH.so]... [--manifest FILE]... [--no-aarch64] [--svl B] [--cpu-profile P]`:
// re-runs bitexact-case/1 fixtures against kernels and reports pass / fail per file x kernel.
// Default kernels: every runnable one the case fits (a tile-level case needs the kernel's tile
// shape; a frame-level case runs on any kernel through the frame). A kernel refusing an op it
// does not declare, as declared, passes. Exit 1 on any failure, 2 on bad usage or input.
import { readCase } from '../oracle/case.js';
import { ValidationError } from '../oracle/validate.js';
import type { Case } from '../oracle/types.js';
import { fmtFailure } from '../properties/report.js';
import { runCase } from '../properties/check.js';
import { verdictLine } from '../properties/verdict-format.js';
import { many, openKernels } from './kernels.js';
import { intOption, parseOptions, processIo, readCaseText, type Io, type Verb } from './util.js';
import { cpuProfileError, svlError } from '../native/backends/aarch64-qemu.js';
import { kernelNameProblem } from '../native/descriptor.js';
import { parseTimeoutMs, TIMEOUT_USAGE, type TimeoutPolicy } from '../properties/timeout.js';

export const replayVerb: Verb = {
  summary: 're-run bitexact-case/1 fixtures against kernels (default: every runnable kernel the case fits)',
  usage: 'bitexact replay FILE... [--kernel NAME]... [--kernel-lib PATH.so]... [--manifest KERNELS.json]... [--no-aarch64] [--svl BYTES] [--cpu-profile NAME] [--timeout MS]\n'
    + '  --svl, --cpu-profile: the aarch64 runner\'s emulated CPU, as bitexact conform takes them (the rerun lines carry them)\n'
    + '  Prints PASS / FAIL per file x kernel (a failure in full: case, differing cells); exit 1 on any failure.\n'
    + '  Tile-level cases run only on kernels with their tile shape; frame-level cases on any kernel.\n'
    + TIMEOUT_USAGE,
  async run(argv: string[], io: Io = processIo): Promise<number> {
    const parsed = parseOptions(argv, { kernel: { type: 'string', multiple: true }, 'kernel-lib': { type: 'string', multiple: true }, manifest: { type: 'string', multiple: true }, 'no-aarch64': { type: 'boolean' }, svl: { type: 'string' }, 'cpu-profile': { type: 'string' }, timeout: { type: 'string' } });
    if ('error' in parsed) { io.err(`bitexact replay: ${parsed.error}\n${this.usage}`); return 2; }
    const pv = parsed.values as Record<string, unknown>;
    const svl = intOption('svl', pv.svl as string | undefined, 16);
    const cpuProfile = pv['cpu-profile'] as string | undefined;
    const badProfile = cpuProfile === undefined ? null : cpuProfileError(cpuProfile);
    if (typeof svl === 'string' || badProfile) { io.err(`bitexact replay: ${typeof svl === 'string' ? svl : `--cpu-profile ${cpuProfile}: ${badProfile}`}\n${this.usage}`); return 2; }
    const badSvl = svl === undefined ? null : svlError(svl);
    if (badSvl) { io.err(`bitexact replay: --svl ${svl}: ${badSvl}\n`); return 2; }
    for (const k of many(pv.kernel)) { const why = kernelNameProblem(k); if (why) { io.err(`bitexact replay: --kernel: ${why}\n`); return 2; } }
    if (parsed.positionals.length === 0) { io.err(`bitexact replay: expected at least one FILE\n${this.usage}`); return 2; }
    const timeoutMs = parseTimeoutMs(parsed.values.timeout);
    if (typeof timeoutMs === 'string') { io.err(`bitexact replay: ${timeoutMs}\n${this.usage}`); return 2; }
    const timeout: TimeoutPolicy = timeoutMs === undefined ? {} : { fixedMs: timeoutMs };
    const v = parsed.values as Record<string, unknown>;
    const names = many(v.kernel);
    // a malformed or invalid file is reported and counted; the other files still run
    const cases: { file: string; c: Case }[] = [];
    const invalid: string[] = [];
    for (const file of parsed.positionals) {
      const read = readCaseText(file);
      try {
        if ('error' in read) throw new ValidationError('$', read.error);
        cases.push({ file, c: readCase(read.text, file) });
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        io.err(`bitexact replay: ${e.message}\n`);
        invalid.push(file);
      }
    }
    const set = await openKernels({ libs: many(v['kernel-lib']), manifests: many(v.manifest), aarch64: v['no-aarch64'] ? false : undefined, svlBytes: svl, cpuProfile });
    try {
      for (const p of set.problems) { io.err(`bitexact replay: ${p}\n`); return 2; }
      for (const n of names) {
        if (!set.targets.some((t) => t.kernel.name === n)) {
          const u = set.unavailable.find((x) => x.name === n);
          io.err(`bitexact replay: --kernel ${n}: ${u ? `not runnable here: ${u.why}` : 'no such kernel (see bitexact list; external kernels need --kernel-lib or --manifest)'}\n`);
          return 2;
        }
      }
      let pass = 0, fail = 0, skipped = 0;
      for (const { file, c } of cases) {
        const pool = names.length ? set.targets.filter((t) => names.includes(t.kernel.name)) : set.targets;
        const fits = pool.filter((t) => c.level === 'frame' || (t.kernel.mr === c.m && t.kernel.nr === c.n));
        if (fits.length === 0) {
          skipped++;
          io.out(`SKIP ${file}: no ${names.length ? 'named ' : 'runnable '}kernel fits this ${c.m}x${c.n} tile-level case${c.kernel ? ` (it was saved for ${c.kernel}${set.all.some((x) => x.kernel.name === c.kernel) ? '' : '; an external kernel needs --kernel-lib or --manifest'})` : ''}\n`);
          continue;
        }
        for (const t of fits) {
          const verdict = await runCase(t.backend, t.kernel, c, { timeout });
          if (verdict.ok) {
            pass++;
            const r = verdict.outcome === 'refused' ? c.chain[verdict.at] : undefined;
            const why = r?.op === 'raw_tag' ? `raw tag ${r.tag}, no tag of the ABI` : `${r?.op}, as declared`;
            io.out(`PASS ${file} on ${t.kernel.name}${verdict.outcome === 'refused' ? ` (refused chain[${verdict.at}] ${why})` : ''}\n`);
          } else {
            fail++;
            io.out(`FAIL ${file} on ${t.kernel.name}: ${verdictLine(verdict)}\n${fmtFailure(t.kernel.name, c, verdict)}\n\n`);
          }
        }
      }
      const bad = invalid.length ? `, ${invalid.length} file(s) invalid (not run: ${invalid.join(', ')})` : '';
      io.out(`${fail || invalid.length ? 'FAIL' : 'PASS'}: ${pass} passed, ${fail} failed${skipped ? `, ${skipped} file(s) fit no kernel` : ''}${bad} (${parsed.positionals.length} file(s))\n`);
      if (fail) return 1;
      return pass === 0 || invalid.length ? 2 : 0;
    } finally {
      await set.close();
    }
  },
};
