import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SHARED } from './paths.js';

/**
 * Every YAML/JSON file of the fixtures and of the shared corpus (when it is present), as `{ name, text }`
 * with `name` the file's path: real manifests to test the loader against.
 */
export function manifestTexts(): { name: string; text: string }[] {
  const roots = [join(ROOT, 'fixtures'), ...(SHARED ? [join(SHARED, 'corpus')] : [])];
  const out: { name: string; text: string }[] = [];
  for (const root of roots) {
    for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && /\.(ya?ml|json)$/.test(entry.name)) out.push({ name: join(entry.parentPath, entry.name), text: readFileSync(join(entry.parentPath, entry.name), 'utf8') });
    }
  }
  return out;
}
