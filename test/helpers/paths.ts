import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test/…). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The shared corpus beside the repository (`../shared`), or null when it is absent. */
export const SHARED = (() => {
  const p = resolve(ROOT, '../shared');
  return existsSync(join(p, 'corpus')) ? p : null;
})();
/** The compiled CLI entry. */
export const BIN = join(ROOT, 'bin', 'meshlint.js');
