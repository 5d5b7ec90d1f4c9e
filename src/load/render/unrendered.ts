import { dirname } from 'node:path';
import type { Finding, Severity } from '../../types.js';
import type { FileParse } from '../file-parse.js';
import type { RenderTool } from './index.js';

/** Rule id of the findings below (`rules/input-not-rendered.ts`). */
export const NOT_RENDERED_RULE = 'input-not-rendered';

/** `apiVersion` group of kustomize's own kinds (`Kustomization`, `Component`). */
const KUSTOMIZE_GROUP = 'kustomize.config.k8s.io/';

/**
 * `input-not-rendered` findings: one per chart (at its Chart.yaml) or kustomization file met while walking
 * a directory or named as a file, and one per document of another file whose object is a `Kustomization` or
 * `Component` of `kustomize.config.k8s.io` (at its first line). A chart or kustomization whose directory
 * `isRendered` accepts (this run rendered it) is not reported. Severity `off` gives none.
 */
export function unrenderedFindings(
  unrendered: readonly { tool: RenderTool; file: string }[],
  parses: readonly FileParse[],
  isRendered: (dir: string) => boolean,
  severity: Severity | 'off' = 'warn',
): Finding[] {
  if (severity === 'off') return [];
  const reported = new Set<string>();
  const out: Finding[] = [];
  const report = (tool: RenderTool, file: string, line: number, column: number) => {
    if (reported.has(file) || isRendered(dirname(file))) return;
    reported.add(file);
    const dir = dirname(file);
    out.push(
      tool === 'helm'
        ? {
            ruleId: NOT_RENDERED_RULE,
            severity,
            message: 'Helm chart not rendered: the objects its templates produce are not analysed',
            hint: `check the chart directory itself (meshlint check ${dir}) or add --helm-chart ${dir}, with --helm-values/--helm-set as you deploy it`,
            location: { file, line, column },
          }
        : {
            ruleId: NOT_RENDERED_RULE,
            severity,
            message: 'Kustomization not built: the objects it produces (patches, namespace, name prefixes, generated objects) are not analysed',
            hint: `check the kustomization directory itself (meshlint check ${dir}) or add --kustomize ${dir}`,
            location: { file, line, column },
          },
    );
  };
  for (const u of unrendered) report(u.tool, u.file, 1, 1);
  for (const { path, parsed } of parses) {
    if (!parsed) continue;
    for (const doc of parsed.documents) {
      const v = doc.value as { apiVersion?: unknown; kind?: unknown } | null;
      if (!v || typeof v !== 'object' || typeof v.apiVersion !== 'string' || !v.apiVersion.startsWith(KUSTOMIZE_GROUP)) continue;
      if (v.kind !== 'Kustomization' && v.kind !== 'Component') continue;
      const at = doc.positions.resolve([]);
      report('kustomize', path === '-' ? '<stdin>' : path, at.line, at.column);
    }
  }
  return out;
}
