/**
 * Reads a baseline file one way, for `npm run bench` (issue 14, item 21). Usage:
 * `node dist/scripts/bench/baseline-read.js FILE stream|whole`. `stream` is meshlint's reader (`readBaseline`:
 * parsed while read, entries reduced to fingerprint counts); `whole` is the way it was read before: the text in one
 * string, `JSON.parse`, the schema over the whole value, the entries kept. Prints the number of entries.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { readBaseline } from '../../src/baseline/index.js';

const [file, how] = process.argv.slice(2);
if (!file || (how !== 'stream' && how !== 'whole')) {
  process.stderr.write('usage: baseline-read.js FILE stream|whole\n');
  process.exit(2);
}
if (how === 'stream') {
  process.stdout.write(`${readBaseline(file, process.cwd()).entries}\n`);
} else {
  const data = JSON.parse(readFileSync(resolve(file), 'utf8')) as { findings: unknown[] };
  const Ajv = (createRequire(import.meta.url)('ajv') as typeof import('ajv')).Ajv;
  const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(new URL('../../../schemas/baseline.schema.json', import.meta.url), 'utf8')));
  if (!validate(data)) throw new Error('not a baseline');
  process.stdout.write(`${data.findings.length}\n`);
}
