// ajv, loaded on first use: most runs read no file that needs a schema, and loading and
// compiling one costs every process (each --jobs worker) a tenth of a second.
import { createRequire } from 'node:module';
import type { Ajv } from 'ajv';

let ctor: typeof Ajv | undefined;

/** The Ajv class (the package is CommonJS: required, so this stays synchronous). */
export const loadAjv = (): typeof Ajv => (ctor ??= (createRequire(import.meta.url)('ajv') as typeof import('ajv')).Ajv);
