import type { AnalysisResult } from './result.js';
import type { RouteMultiplier } from '../model/traffic.js';
import type { Finding, Severity } from '../types.js';
import { isClusterUri } from '../load/objects.js';
import { formatNumber, groupThousands } from '../numbers.js';

export { formatNumber, groupThousands };

/** Output formats of `check` and `audit`. */
export const FORMATS = ['stylish', 'json', 'sarif', 'github', 'junit'] as const;
export type Format = (typeof FORMATS)[number];

/** Options every reporter takes. */
export interface ReportOptions {
  /** ANSI colour: only when writing to a TTY and `NO_COLOR` is unset. */
  color: boolean;
  /** `stylish`: print every route's full trace instead of the short table. */
  explain: boolean;
  /** `stylish`: rows of the short multiplier table (default 10). */
  tableRows?: number;
  /** Version of meshlint, for machine formats. */
  version: string;
  /** Notes about what the run could not see (cluster audits: RBAC denials, missing CRDs); see {@link CoverageEntry}. */
  coverage?: CoverageEntry[];
  /** The cluster an audit read (`meshlint audit`); absent for `check`. */
  cluster?: ClusterSource;
  /** `meshlint audit` with several contexts: each cluster, read or not (then `error` says why); replaces `cluster`. */
  clusters?: ClusterAudit[];
}

/** Something a cluster audit could not read (`schemas/report.schema.json`, `coverageNote`). Only `message` is required. */
export interface CoverageEntry {
  /** One line for humans; never contains credentials. */
  message: string;
  /** Kind that could not be read, e.g. `DestinationRule`. */
  kind?: string;
  /** Namespace of the failed call; absent for cluster-wide calls. */
  namespace?: string;
  verb?: 'list' | 'get';
  /** Resource in RBAC notation, e.g. `destinationrules.networking.istio.io`. */
  resource?: string;
  /** `forbidden` (403), `not-installed` (404: CRD or object missing), `truncated` (a list cut short by a bound), `error` (any other failure). */
  status?: 'forbidden' | 'not-installed' | 'truncated' | 'error';
  /** Kubeconfig context of the cluster the note is about, when an audit read several. */
  cluster?: string;
}

/** Where an audit's objects came from. Never holds credentials. */
export interface ClusterSource {
  /** Kubeconfig context (`in-cluster` for a pod's service account). */
  context: string;
  /** API server URL, without userinfo or query. */
  server: string;
  /** networking.istio.io version read (`v1`, `v1beta1`, `v1alpha3`), null when the Istio CRDs are not served. */
  istioVersion: string | null;
  /** Namespaces read; empty = all. */
  namespaces: string[];
}

/** One cluster of a several-context audit (`meshlint audit --context a --context b`, `--all-contexts`). */
export interface ClusterAudit {
  context: string;
  /** API server URL, without userinfo or query; absent when the kubeconfig could not give one. */
  server?: string;
  /** As in {@link ClusterSource}; null when the cluster was not read. */
  istioVersion: string | null;
  namespaces: string[];
  /** Objects read and analysed (0 when the cluster was not read). */
  objects: number;
  /** Why the cluster could not be audited (unreachable, refused credentials, timeout): one line, no credentials. */
  error?: string;
}

/**
 * Where a location is, as text: `file:line:column`, or for an object read from a cluster (no lines)
 * `cluster://…#fieldPath`.
 */
export function formatLocation(location: { file: string; line: number; column: number; fieldPath?: string }): string {
  if (isClusterUri(location.file)) return `${location.file}${location.fieldPath ? `#${location.fieldPath}` : ''}`;
  return `${location.file}:${location.line}:${location.column}`;
}

/** Counts per severity. */
export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warn: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** Connections per try as a fraction where it is one (`1/100`). */
export function formatConnectionsPerTry(n: number): string {
  if (n === 0) return 'pooled';
  if (n === 1) return '1';
  const inv = 1 / n;
  if (Math.abs(inv - Math.round(inv)) < 1e-9) return `1/${Math.round(inv)}`;
  return formatNumber(n);
}

/** Exhaustion rate as text: `∞ (pooled)` when nothing churns. */
export function formatExhaustion(route: RouteMultiplier): string {
  return route.exhaustionRps === null ? '∞ (pooled)' : `${formatNumber(Math.floor(route.exhaustionRps))} req/s`;
}

/** Routes ordered by worst multiplier first (ties: host). */
export function worstRoutes(routes: readonly RouteMultiplier[]): RouteMultiplier[] {
  return [...routes].sort((a, b) => b.budgetConnections - a.budgetConnections || b.total - a.total || (a.host < b.host ? -1 : 1));
}

/** Renders a result in a format. */
export type Reporter = (result: AnalysisResult, options: ReportOptions) => string;

/** C0 controls, DEL and C1 controls: what a terminal may act on (ESC starts an escape sequence, CR rewrites a line). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const NAMED_CONTROL: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/**
 * `text` with its control characters written as escapes (`\n`, `\r`, `\t`, `\e`, `\x07`, `\x9b`), for human
 * output: a file name, host or message with a newline or an ESC byte cannot forge report lines or drive the
 * terminal. Text without control characters is returned as it is.
 */
export function escapeControl(text: string): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROL, (c) => NAMED_CONTROL[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
