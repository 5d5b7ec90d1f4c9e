/**
 * What the Istio schema validators call at validation time: the string formats and the
 * `x-kubernetes-list-map-keys` check. A CommonJS module (compiled to `schema-runtime.cjs`) so that both the
 * validators ajv compiles at run time and the ones precompiled at build time (`compiled/*.cjs`, made by
 * `scripts/precompile-istio-validators.ts` with ajv's standalone code) use the same code.
 * Loads nothing heavy: ajv-formats' format table is plain data and functions.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
import formatsModule = require('ajv-formats/dist/formats');

/** Strict base64, as Go's `base64.StdEncoding` (which skips `\r` and `\n`) accepts it for `format: byte`. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const full = formatsModule.fullFormats;

/**
 * The formats the generated Istio schemas use (OpenAPI `int32`, `int64`, `float`, `double`, RFC 3339
 * `date-time` from ajv-formats, and Kubernetes' base64 `byte`).
 */
export const formats = {
  int32: full.int32,
  int64: full.int64,
  float: full.float,
  double: full.double,
  'date-time': full['date-time'],
  byte: { type: 'string' as const, validate: (s: string) => BASE64.test(s.replace(/[\r\n]/g, '')) },
};

/** One item of a list-map that repeats the key fields of an earlier item. */
export interface ListMapDuplicate {
  /** Index of the repeating item. */
  index: number;
  /** Index of the first item with the same key values. */
  duplicateOf: number;
  keys: string[];
  values: unknown[];
}

/**
 * Checks `x-kubernetes-list-map-keys` (Kubernetes structural schemas, `x-kubernetes-list-type: map`): no two
 * object items of `data` may have equal values for all `keys`. Returns one entry per repeating item, `[]`
 * when the list is valid or `data` is not a list.
 */
export function duplicateListMapKeys(keys: string[], data: unknown): ListMapDuplicate[] {
  if (!Array.isArray(data)) return [];
  const seen = new Map<string, number>();
  const duplicates: ListMapDuplicate[] = [];
  data.forEach((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return;
    const values = keys.map((k) => (item as Record<string, unknown>)[k]);
    const id = JSON.stringify(values);
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else duplicates.push({ index: i, duplicateOf: first, keys, values });
  });
  return duplicates;
}
