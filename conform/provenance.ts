// What produced a report: the bitexact version (package.json) and the host, so a report read
// later, or shards joined by `bitexact merge`, say where and with what they ran.
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, platform, release } from 'node:os';
import { join } from 'node:path';
import { PKG_ROOT } from '../native/paths.js';

export interface Host { hostname: string; platform: string; release: string; arch: string; cpu: string; cpus: number; node: string }

let version: string | undefined;
/** The version field of bitexact's package.json. */
export function bitexactVersion(): string {
  version ??= String((JSON.parse(readFileSync(join(PKG_ROOT, 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown');
  return version;
}

export function hostInfo(): Host {
  const c = cpus();
  return { hostname: hostname(), platform: platform(), release: release(), arch: arch(), cpu: c[0]?.model.trim() ?? 'unknown', cpus: c.length, node: process.versions.node };
}

/** The report's provenance fields. */
export const provenance = (): { version: string; host: Host } => ({ version: bitexactVersion(), host: hostInfo() });
