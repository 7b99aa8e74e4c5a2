// vitest setup file: vitest stops its fork workers with SIGTERM, and V8 writes the coverage of
// NODE_V8_COVERAGE only on a normal exit, so c8 would see nothing from the tests. Writing the
// coverage explicitly after each test file fixes that (each call writes the counts since the
// previous one; c8 merges the files).
import { afterAll } from 'vitest';
import { takeCoverage } from 'node:v8';

afterAll(() => {
  if (process.env.NODE_V8_COVERAGE) takeCoverage();
});
