// `bitexact merge OUT.json SHARD.json... [--markdown FILE] [--html FILE] [--junit FILE]`: joins
// the JSON reports of `bitexact conform --shard I/N` runs into one report (counts and coverage
// hits add up; coverage is judged on the union), prints its summary, writes OUT.json and any
// other format asked for. Exit 0 when the merged report is ok, 1 when not, 2 on bad input
// (shards that are not one run's: engine.ts shardMismatch).
import { FileError, readInputText } from '../native/files.js';
import { mergeReports, type ConformReport } from '../conform/engine.js';
import { renderText } from '../conform/report-text.js';
import { outputsProblem, writeReports, type ReportFiles } from './conform.js';

/** A shard report larger than this is refused before it is read. */
const MAX_REPORT_BYTES = 256 << 20;
import { parseOptions, processIo, type Io, type Verb } from './util.js';

export const mergeVerb: Verb = {
  summary: 'join shard reports (bitexact conform --shard I/N --json) into one report',
  usage: 'bitexact merge OUT.json SHARD.json... [--markdown FILE] [--html FILE] [--junit FILE]\n'
    + '  The shards must be one run\'s: each of 1/N..N/N exactly once, the same seed, --runs, kernels, properties\n'
    + '  and bitexact version, none interrupted (else exit 2, naming the problem). Counts and coverage hits add up;\n'
    + '  coverage is judged on the union. Exit 0 when the merged report is ok, 1 when not.\n',
  async run(argv: string[], io: Io = processIo): Promise<number> {
    const parsed = parseOptions(argv, { markdown: { type: 'string' }, html: { type: 'string' }, junit: { type: 'string' } });
    if ('error' in parsed) { io.err(`bitexact merge: ${parsed.error}\n${this.usage}`); return 2; }
    const [out, ...inputs] = parsed.positionals;
    if (!out || inputs.length === 0) { io.err(`bitexact merge: expected OUT.json and at least one SHARD.json\n${this.usage}`); return 2; }
    const v = parsed.values as Record<string, string | undefined>;
    const files: ReportFiles = { json: out, markdown: v.markdown, html: v.html, junit: v.junit };
    const badOut = outputsProblem(files);
    if (badOut) { io.err(`bitexact merge: ${badOut.replace(/^--json /, 'OUT.json ')}\n`); return 2; }
    const parts: ConformReport[] = [];
    for (const f of inputs) {
      try {
        // stat first: a FIFO or a directory is refused, never waited on
        parts.push(JSON.parse(readInputText(f, { maxBytes: MAX_REPORT_BYTES })) as ConformReport);
      } catch (e) {
        io.err(`bitexact merge: cannot read ${e instanceof FileError ? e.message : `${f}: ${(e as Error).message}`}\n`);
        return 2;
      }
    }
    let merged: ConformReport;
    try {
      merged = mergeReports(parts, inputs);
    } catch (e) {
      io.err(`bitexact merge: ${(e as Error).message}\n`);
      return 2;
    }
    const shards = parts.map((p) => (p.shard ? `${p.shard.index + 1}/${p.shard.count}` : 'whole')).join(', ');
    io.out(`bitexact merge: ${parts.length} report(s) (${shards}), seed ${merged.seed}\n\n`);
    io.out(renderText(merged));
    const { written, failed } = writeReports(merged, files);
    for (const line of written) io.out(`${line}\n`);
    for (const line of failed) io.err(`bitexact merge: ${line}\n`);
    return merged.ok && failed.length === 0 ? 0 : 1;
  },
};
