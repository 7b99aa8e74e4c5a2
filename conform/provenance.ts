// What produced a report: the bitexact version (package.json) and the host, so a report read
// later, or shards joined by `bitexact merge`, say where and with what they ran.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_ROOT } from '../native/paths.js';
import { hostInfo, type HostInfo } from './host-info.js';

export type Host = HostInfo;

let version: string | undefined;
/** The version field of bitexact's package.json. */
export function bitexactVersion(): string {
  version ??= String((JSON.parse(readFileSync(join(PKG_ROOT, 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown');
  return version;
}

/** The report's provenance fields. */
export const provenance = (o: Parameters<typeof hostInfo>[0] = {}): { version: string; host: Host } => ({ version: bitexactVersion(), host: hostInfo(o) });
