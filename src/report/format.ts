import type { AnalysisResult } from '../pipeline.js';
import type { RouteMultiplier } from '../model/multiplier.js';
import type { Finding, Severity } from '../types.js';

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
  /** Notes about what the run could not see (cluster audits: RBAC denials, missing CRDs). */
  coverage?: { message: string }[];
}

/** Counts per severity. */
export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warn: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** `12.5`, `0.33`, `1/3`-free decimal form with at most 2 decimals. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '∞';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return (+n.toFixed(2)).toLocaleString('en-US');
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
