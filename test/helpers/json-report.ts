/**
 * Reading the JSON report (schemaVersion 2, docs/output-formats.md): trace fields hold indexes into the report's
 * top-level `traces` table.
 */

/** A trace item as the JSON report writes it. */
export interface JsonTraceItem {
  text: string;
  file?: string;
  line?: number;
  column?: number;
}

/** The items that `refs` (a `trace` or `budgetTrace` array of the report) point to, in order; throws on a dangling index. */
export function tracesOf(report: { traces: readonly JsonTraceItem[] }, refs: readonly number[]): JsonTraceItem[] {
  return refs.map((i) => {
    const item = report.traces[i];
    if (!item) throw new Error(`trace index ${i} is not in the report's traces table (${report.traces.length} items)`);
    return item;
  });
}
