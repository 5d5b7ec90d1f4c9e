import { createRequire } from 'node:module';
import type { AnalysisResult } from './result.js';
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

/** Characters outside XML 1.0's `Char` production (§2.2): C0 controls but tab, LF and CR; lone surrogates; U+FFFE/U+FFFF. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** `text` with each character XML 1.0 cannot carry replaced by U+FFFD (the streaming builder has no `invalidCharReplacement`). */
function xmlChars(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

/**
 * JUnit XML for CI systems that read test reports (GitLab `artifacts:reports:junit`, Jenkins `junit`), written
 * with xmlbuilder2's callback (streaming) builder: each element is serialised as it is added, so memory stays
 * bounded by the output text instead of a document tree (100k findings took 3.5 GB as a tree). Shape (the
 * Ant/Surefire JUnit format as Jenkins' xUnit plugin `junit-10.xsd` describes it): `<testsuites>` with one
 * `<testsuite>` per file that has findings (`name` and `file` = the file), one `<testcase>` per finding
 * (`classname` `meshlint.<rule-id>`, `name` `file:line:column`); `error` and `warn` findings carry a
 * `<failure type="error|warning" message="…">` with the details as text, `info` findings pass with the details in
 * `<system-out>`. A clean run has one passing test case, so CI shows a test ran. Characters XML 1.0 cannot
 * carry are replaced with U+FFFD.
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
  let failures = 0;
  for (const f of result.findings) if (failing(f)) failures++;
  // Loaded on first use: xmlbuilder2 pulls in ~160 modules (~60 ms), which runs in other formats should not pay (issue 7, cold start).
  const { createCB } = createRequire(import.meta.url)('xmlbuilder2') as typeof import('xmlbuilder2');
  const chunks: string[] = [];
  const xml = createCB({ data: (chunk: string) => void chunks.push(chunk), prettyPrint: true });
  xml.dec({ version: '1.0', encoding: 'UTF-8' });
  xml.ele('testsuites', { name: `meshlint ${options.version}`, tests: String(total), failures: String(failures), errors: '0', time: '0' });
  if (byFile.size === 0) {
    xml.ele('testsuite', { name: 'meshlint', tests: '1', failures: '0', errors: '0', skipped: '0', time: '0' });
    xml.ele('testcase', { classname: 'meshlint', name: `no problems in ${result.stats.files} file${result.stats.files === 1 ? '' : 's'}`, time: '0' }).up();
    xml.up();
  }
  for (const [file, findings] of byFile) {
    let suiteFailures = 0;
    for (const f of findings) if (failing(f)) suiteFailures++;
    xml.ele('testsuite', { name: xmlChars(file), file: xmlChars(file), tests: String(findings.length), failures: String(suiteFailures), errors: '0', skipped: '0', time: '0' });
    for (const f of findings) {
      xml.ele('testcase', { classname: `meshlint.${f.ruleId}`, name: xmlChars(`${f.location.file}:${f.location.line}:${f.location.column}`), time: '0' });
      if (failing(f)) xml.ele('failure', { type: f.severity === 'error' ? 'error' : 'warning', message: xmlChars(f.message) }).txt(xmlChars(details(f))).up();
      else xml.ele('system-out').txt(xmlChars(details(f))).up();
      xml.up();
    }
    xml.up();
  }
  xml.up();
  xml.end();
  return chunks.join('') + '\n';
}
