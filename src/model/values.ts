/**
 * Safe readers for untyped manifest values. Input may be schema-invalid (a number written as a string, a
 * list where a map belongs); the model reads what it can and ignores the rest, so a resource with a schema
 * error is still analysed where it can be.
 */

/** A plain object (mapping), or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** An array, or an empty array. */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A string, or undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A finite number; numeric strings (`"1"`) are accepted, as the API server would reject but a reader still understands them. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** Value at `path` inside `value`, or undefined when any step is missing. */
export function dig(value: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = value;
  // An indexed loop: dig runs a few hundred thousand times per large run, mostly before V8 optimises it, and
  // there a for…of allocates an iterator result per step.
  for (let i = 0; i < path.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[path[i]!];
  }
  return cur;
}

/**
 * A protobuf `Duration` as Istio writes it (`"1.5s"`, `"100ms"`, `"1h"`, `"2m30s"`) in seconds, or undefined
 * when it cannot be read. Units: h, m, s, ms, us/µs, ns (Go `time.ParseDuration`, which Istio's validation uses).
 */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6, ns: 1e-9 };
  let rest = value.trim();
  if (!rest) return undefined;
  let total = 0;
  let sign = 1;
  if (rest.startsWith('-')) {
    sign = -1;
    rest = rest.slice(1);
  }
  while (rest.length > 0) {
    let i = 0;
    while (i < rest.length && ((rest[i] >= '0' && rest[i] <= '9') || rest[i] === '.')) i++;
    if (i === 0) return undefined;
    const num = Number(rest.slice(0, i));
    rest = rest.slice(i);
    let unit = '';
    for (const u of ['ms', 'us', 'µs', 'ns', 'h', 'm', 's']) {
      if (rest.startsWith(u)) {
        unit = u;
        break;
      }
    }
    if (!unit || !Number.isFinite(num)) return undefined;
    total += num * units[unit];
    rest = rest.slice(unit.length);
  }
  return sign * total;
}
