import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { registerLanguages } from '../../src/source/treesitter/languages.js';
import { scanTreeSitter, type ScanTreeSitterOptions } from '../../src/source/treesitter/scan.js';
import type { SourceScanResult } from '../../src/source/types.js';
import type { Severity } from '../../src/types.js';

/** Writes `files` (relative path → text) into a fresh temporary directory and scans them. */
export async function scanFiles(files: Record<string, string>, opts: Partial<ScanTreeSitterOptions> = {}): Promise<SourceScanResult> {
  const dir = mkdtempSync(join(tmpdir(), 'meshlint-ts-'));
  try {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    return await scanTreeSitter(Object.keys(files), { ...opts, cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One snippet: labels are trailing `// expect: <rule> [severity]` (`# expect:` in Python) on the expected lines. */
export interface SnippetCase {
  name: string;
  /** File name; its extension selects the language (`.go`, `.py`, `.java`). */
  file: string;
  code: string;
  options?: Record<string, unknown>;
  envHosts?: Record<string, string>;
}

/** Labels of `ruleId` in `code`: line → expected severity (undefined: any). */
export function labels(code: string, ruleId: string): Map<number, Severity | undefined> {
  const out = new Map<number, Severity | undefined>();
  code.split('\n').forEach((line, i) => {
    const m = /(?:\/\/|#) expect: ([\w-]+)(?: (info|warn|error))?\s*$/.exec(line);
    if (m && m[1] === ruleId) out.set(i + 1, m[2] as Severity | undefined);
  });
  return out;
}

/**
 * Table-driven tests for one rule: each case must produce exactly the labelled findings of `ruleId` (lines and,
 * where labelled, severities); a case without labels must produce none. Registers all three grammars first
 * (@ast-grep/napi takes one registration per process).
 */
export function ruleCases(ruleId: string, cases: readonly SnippetCase[]): void {
  describe(`${ruleId} (tree-sitter)`, () => {
    before(async () => {
      const { unavailable } = await registerLanguages(['go', 'python', 'java']);
      assert.equal(unavailable.size, 0, [...unavailable.values()].join('; '));
    });
    for (const c of cases) {
      const want = labels(c.code, ruleId);
      it(`${want.size ? 'fires' : 'does not fire'}: ${c.name}`, async () => {
        const r = await scanFiles({ [c.file]: c.code }, { ruleOptions: c.options ? { [ruleId]: c.options } : undefined, envHosts: c.envHosts });
        assert.deepEqual(r.errors, [], 'the snippet parses');
        const got = r.findings.filter((f) => f.ruleId === ruleId);
        assert.deepEqual(
          got.map((f) => f.location.line).sort((a, b) => a - b),
          [...want.keys()].sort((a, b) => a - b),
          `findings: ${JSON.stringify(got.map((f) => `${f.location.line}: ${f.message}`), null, 1)}`,
        );
        for (const f of got) {
          const sev = want.get(f.location.line);
          if (sev) assert.equal(f.severity, sev, `severity at line ${f.location.line}`);
          assert.ok(f.message.length > 20 && f.hint, 'a message and a hint');
          assert.equal(f.location.file, c.file);
        }
      });
    }
  });
}


