/**
 * The benchmark floor (issue 7): read every `.yaml`/`.yml`/`.json` file under the given directories and parse
 * it with js-yaml's `loadAll`, in one process, doing nothing else. `meshlint check` of the same files is
 * compared against this. Prints the number of documents. Usage: `node dist/scripts/bench/floor.js DIR…`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsyaml from 'js-yaml';

let documents = 0;
for (const root of process.argv.slice(2)) {
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ya?ml|json)$/.test(entry.name)) continue;
    jsyaml.loadAll(readFileSync(join(entry.parentPath, entry.name), 'utf8'), () => documents++);
  }
}
process.stdout.write(`${documents}\n`);
