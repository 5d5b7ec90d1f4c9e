/**
 * Runs one source scanner over a generated source tree, for `npm run bench`. Usage:
 * `node dist/scripts/bench/scan-source.js LANGUAGE DIR`. Prints `{files, findings, callSites, errors}` as JSON.
 * Add a language by adding an entry to {@link SCANNERS} (the tree generator already writes Go, Python and Java).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { scanJavaScript } from '../../src/source/eslint/scan.js';
import { scanSources } from '../../src/source/index.js';
import { registerLanguages } from '../../src/source/treesitter/languages.js';
import { scanTreeSitter } from '../../src/source/treesitter/scan.js';
import type { SourceScanResult } from '../../src/source/types.js';

/** Scanners by language: the files' extension and a scan function over paths relative to `cwd`. */
export const SCANNERS: Record<string, { extensions: readonly string[]; scan: (files: string[], cwd: string) => Promise<SourceScanResult> }> = {
  typescript: { extensions: ['.ts', '.js'], scan: (files, cwd) => scanJavaScript(files, { cwd }) },
  /** The same scanner on a worker thread with the default heap cap, as `check` runs files of 128 KiB or more (no time limit: the cost is measured). */
  'typescript-isolated': { extensions: ['.ts', '.js'], scan: (files, cwd) => scanSources(files, { cwd, isolation: { minBytes: 0, timeoutSeconds: 3600 } }) },
  treesitter: {
    extensions: ['.go', '.py', '.java'],
    scan: async (files, cwd) => {
      await registerLanguages(['go', 'python', 'java']);
      return scanTreeSitter(files, { cwd });
    },
  },
};

async function main(): Promise<void> {
  const [language, dir] = process.argv.slice(2);
  const scanner = language ? SCANNERS[language] : undefined;
  if (!scanner || !dir) {
    process.stderr.write(`usage: scan-source.js (${Object.keys(SCANNERS).join('|')}) DIR\n`);
    process.exitCode = 2;
    return;
  }
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && scanner.extensions.some((x) => e.name.endsWith(x)))
    .map((e) => relative(dir, join(e.parentPath, e.name)));
  const result = await scanner.scan(files, dir);
  process.stdout.write(JSON.stringify({ files: result.filesScanned, findings: result.findings.length, callSites: result.callSites.length, errors: result.errors.length }) + '\n');
}

await main();
