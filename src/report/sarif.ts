import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnalysisResult } from './result.js';
import { allRules } from '../rules/registry.js';
import type { Severity } from '../types.js';
import { isClusterUri } from '../load/objects.js';
import type { ReportOptions } from './format.js';
import { renderedNote } from './stylish.js';
import { nodePortsJson } from './nodes.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warn: 'warning', info: 'note' };

/**
 * `artifactLocation.uri` of a file as findings name it (SARIF 2.1.0 §3.4.3: a URI reference, RFC 3986): a
 * relative path stays relative (GitHub code scanning resolves it against the checkout), each segment
 * percent-encoded as node:url's `pathToFileURL` encodes a path (`#` → `%23`, `?` → `%3F`, `%` → `%25`, space →
 * `%20`, control characters, non-ASCII as UTF-8), plus `:` (in a relative reference's first segment it would read
 * as a scheme); an absolute path becomes a `file://` URL; `cluster://` URIs are already URIs.
 */
export function artifactUri(file: string): string {
  if (isClusterUri(file)) return file;
  if (path.isAbsolute(file)) return pathToFileURL(file).href;
  return file
    .split(path.sep === '\\' ? /[\\/]/ : '/') // a backslash is a separator on Windows only; elsewhere it is encoded
    .map((segment) => (segment === '.' || segment === '..' || segment === '' ? segment : pathToFileURL(`/${segment}`).pathname.slice(1).replace(/:/g, '%3A')))
    .join('/');
}
const REPO = 'https://github.com/meshlint/meshlint/blob/main/';

/**
 * SARIF 2.1.0 log (OASIS SARIF v2.1.0), built with node-sarif-builder: one run, every rule in
 * `tool.driver.rules` with its description, help text and default level, one result per finding with its
 * physical location. Objects read from a cluster carry `cluster://` URIs (no region: they have no lines) and a
 * logical location `Kind/namespace/name#fieldPath`; what an audit could not read is in
 * `invocations[0].toolExecutionNotifications` (with the note's kind, namespace, verb, resource and status as
 * properties), and the cluster it read in `run.properties.cluster`.
 */
export function sarif(result: AnalysisResult, options: ReportOptions): string {
  // Loaded on first use: node-sarif-builder costs ~150 ms to load, which runs in other formats should not pay.
  const { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } = createRequire(import.meta.url)('node-sarif-builder') as typeof import('node-sarif-builder');
  const builder = new SarifBuilder();
  const run = new SarifRunBuilder().initSimple({ toolDriverName: 'meshlint', toolDriverVersion: options.version, url: 'https://github.com/meshlint/meshlint' });
  for (const rule of allRules()) {
    const rb = new SarifRuleBuilder().initSimple({ ruleId: rule.meta.id, shortDescriptionText: rule.meta.description, helpUri: REPO + rule.meta.docs });
    rb.rule.help = { text: `${rule.meta.description}. See ${REPO + rule.meta.docs}`, markdown: `${rule.meta.description}. [Documentation](${REPO + rule.meta.docs})` };
    rb.rule.defaultConfiguration = { level: LEVEL[rule.meta.defaultSeverity] };
    rb.rule.properties = { code: rule.meta.code, family: rule.meta.family, inputs: [...rule.meta.inputs] };
    run.addRule(rb);
  }
  const baselineUsed = result.baseline !== undefined;
  for (const f of [...result.findings, ...(result.suppressed ?? [])]) {
    // Objects read from a cluster have no lines: their cluster:// URI and logical location say where they are.
    const lines = !isClusterUri(f.location.file);
    const rb = new SarifResultBuilder().initSimple({
      level: LEVEL[f.severity],
      messageText: f.hint ? `${f.message}. Fix: ${f.hint}` : f.message,
      ruleId: f.ruleId,
      fileUri: artifactUri(f.location.file),
      startLine: lines ? f.location.line : undefined,
      startColumn: lines ? f.location.column : undefined,
      // The builder defaults endColumn to 1, which is before startColumn: mark the position as an empty region.
      endLine: lines ? f.location.line : undefined,
      endColumn: lines ? f.location.column : undefined,
    });
    if (f.location.object) {
      const o = f.location.object;
      const loc = rb.result.locations?.[0];
      if (loc) loc.logicalLocations = [{ fullyQualifiedName: `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}${f.location.fieldPath ? `#${f.location.fieldPath}` : ''}`, kind: 'object' }];
    }
    if (f.location.rendered) {
      // §3.27.22 relatedLocations: the position in the output of helm template / kustomize, under the chart or
      // kustomization directory it was rendered from (the output itself is not a file).
      const r = f.location.rendered;
      rb.result.relatedLocations = [
        {
          id: 1,
          message: { text: renderedNote(r) },
          physicalLocation: {
            artifactLocation: { uri: r.input.endsWith('/') ? r.input : `${r.input}/`, description: { text: `the output of ${r.by === 'helm' ? 'helm template' : 'kustomize'} for this directory` } },
            region: { startLine: r.line, startColumn: r.column },
          },
          properties: { renderedBy: r.by, templateLineMatch: r.match },
        },
      ];
    }
    if (f.suppressions?.length) {
      // SARIF 2.1.0 §3.35: inSource for annotations and comments, external for the baseline; the user's reason as justification.
      rb.result.suppressions = f.suppressions.map((s) => ({
        kind: s.kind,
        status: 'accepted' as const,
        ...(s.justification ? { justification: s.justification } : {}),
        ...(s.location ? { location: { physicalLocation: { artifactLocation: { uri: artifactUri(s.location.file) }, region: { startLine: s.location.line, startColumn: s.location.column } } } } : {}),
        properties: { via: s.via },
      }));
    }
    // §3.27.24: with a baseline, results it accepted are `unchanged`, the others `new`.
    // One run for all clusters (one invocation, one rule set; GitHub code scanning takes one run per tool and
    // category): each result names its cluster, and run.properties.clusters lists them.
    if (f.cluster) rb.result.properties = { ...rb.result.properties, cluster: f.cluster };
    if (baselineUsed) rb.result.baselineState = f.suppressions?.some((s) => s.via === 'baseline') ? 'unchanged' : 'new';
    run.addResult(rb);
  }
  if (options.coverage?.length) {
    run.run.invocations = [
      {
        executionSuccessful: true,
        toolExecutionNotifications: options.coverage.map(({ message, ...where }) => ({
          level: 'warning' as const,
          message: { text: message },
          ...(Object.keys(where).length ? { properties: where } : {}),
        })),
      },
    ];
  }
  if (options.cluster) run.run.properties = { ...run.run.properties, cluster: options.cluster };
  if (options.clusters) run.run.properties = { ...run.run.properties, clusters: options.clusters };
  if (result.nodePorts) run.run.properties = { ...run.run.properties, nodePorts: nodePortsJson(result.nodePorts) };
  builder.addRun(run);
  return builder.buildSarifJsonString({ indent: true }) + '\n';
}
