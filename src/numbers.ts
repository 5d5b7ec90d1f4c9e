/** Numbers as meshlint prints them, shared by rule messages and the reports. */

/** `12.5`, `0.33`, `1/3`-free decimal form with at most 2 decimals. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '∞';
  if (Number.isInteger(n)) return groupThousands(n);
  return groupThousands(+n.toFixed(2));
}

/**
 * A number with its integer digits grouped by thousands as en-US prints them (`28,232`, `-1,234.5`), like
 * `n.toLocaleString('en-US')` for the numbers meshlint prints but without initialising ICU, which costs
 * 30–50 ms on a run's first call (issue 7, cold start). Falls back to `toLocaleString` for exponent forms.
 */
export function groupThousands(n: number): string {
  const text = String(n);
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  if (!match) return n.toLocaleString('en-US');
  return `${match[1]}${match[2]!.replace(/\B(?=(\d{3})+$)/g, ',')}${match[3] ?? ''}`;
}
