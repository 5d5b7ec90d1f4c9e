import { createRequire } from 'node:module';
import type { AnalysisResult } from '../pipeline.js';
import { ruleMeta } from '../rules/registry.js';
import type { Finding } from '../types.js';
import type { ReportOptions } from './format.js';

const DOCS = 'https://github.com/meshlint/meshlint/blob/main/';

function details(f: Finding): string {
  const meta = ruleMeta(f.ruleId);
  const lines = [`${f.severity} ${f.location.file}:${f.location.line}:${f.location.column} ${f.message}`];
  if (f.hint) lines.push(`fix: ${f.hint}`);
  if (f.location.object) {
    const o = f.location.object;
    lines.push(`object: ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}${f.location.fieldPath ? ` ${f.location.fieldPath}` : ''}`);
  }
  if (f.cluster) lines.push(`cluster: ${f.cluster}`);
  lines.push(`rule: ${f.ruleId}${meta ? ` (${meta.code}) ${DOCS}${meta.docs}` : ''}`);
  return lines.join('\n');
}

/**
 * JUnit XML for CI systems that read test reports (GitLab `artifacts:reports:junit`, Jenkins `junit`), built
 * with xmlbuilder2. Shape (the Ant/Surefire JUnit format as Jenkins' xUnit plugin `junit-10.xsd` describes it):
 * `<testsuites>` with one `<testsuite>` per file that has findings (`name` and `file` = the file), one
 * `<testcase>` per finding (`classname` `meshlint.<rule-id>`, `name` `file:line:column`); `error` and `warn`
 * findings carry a `<failure type="error|warning" message="…">` with the details as text, `info` findings
 * pass with the details in `<system-out>`. A clean run has one passing test case, so CI shows a test ran.
 * Characters XML 1.0 cannot carry are replaced with U+FFFD.
 */
export function junit(result: AnalysisResult, options: ReportOptions): string {
  const byFile = new Map<string, Finding[]>();
  for (const f of result.findings) {
    const list = byFile.get(f.location.file) ?? [];
    list.push(f);
    byFile.set(f.location.file, list);
  }
  const failing = (f: Finding) => f.severity !== 'info';
  const total = Math.max(1, result.findings.length);
  const failures = result.findings.filter(failing).length;
  // Loaded on first use: xmlbuilder2 pulls in ~160 modules (~60 ms), which runs in other formats should not pay (issue 7, cold start).
  const { create } = createRequire(import.meta.url)('xmlbuilder2') as typeof import('xmlbuilder2');
  const doc = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '\uFFFD' });
  const root = doc.ele('testsuites', { name: `meshlint ${options.version}`, tests: String(total), failures: String(failures), errors: '0', time: '0' });
  if (byFile.size === 0) {
    const suite = root.ele('testsuite', { name: 'meshlint', tests: '1', failures: '0', errors: '0', skipped: '0', time: '0' });
    suite.ele('testcase', { classname: 'meshlint', name: `no problems in ${result.stats.files} file${result.stats.files === 1 ? '' : 's'}`, time: '0' });
  }
  for (const [file, findings] of byFile) {
    const suite = root.ele('testsuite', { name: file, file, tests: String(findings.length), failures: String(findings.filter(failing).length), errors: '0', skipped: '0', time: '0' });
    for (const f of findings) {
      const testcase = suite.ele('testcase', { classname: `meshlint.${f.ruleId}`, name: `${f.location.file}:${f.location.line}:${f.location.column}`, time: '0' });
      if (failing(f)) testcase.ele('failure', { type: f.severity === 'error' ? 'error' : 'warning', message: f.message }).txt(details(f));
      else testcase.ele('system-out').txt(details(f));
    }
  }
  return doc.end({ prettyPrint: true }) + '\n';
}
