// A throw-away copy of this package for tests that rebuild or pack it: `node-gyp rebuild`
// deletes build/ and `npm pack` rewrites dist/, which the other test files (run in parallel)
// are using in the checkout itself. The copy has the files git knows (tracked, and untracked
// but not ignored) and node_modules as a symlink to the checkout's.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PKG_ROOT } from '../native/paths.js';

export function copyPackage(prefix: string, extra: string[] = []): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: PKG_ROOT, encoding: 'utf8' })
    .split('\0').filter(Boolean);
  for (const f of [...files, ...extra]) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    try {
      cpSync(path.join(PKG_ROOT, f), path.join(dir, f), { recursive: true });
    } catch (e) {
      // a file deleted in the work tree but still in the index
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  symlinkSync(path.join(PKG_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}
