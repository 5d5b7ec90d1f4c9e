import type { ManifestObject } from '../load/objects.js';
import { locate } from '../load/objects.js';
import type { FieldPath, Location } from '../types.js';
import type { TraceItem } from './traffic.js';

/**
 * A trace item for a field of `object`, whose `location` is resolved (`locate(object, path)`) on first read
 * and then kept as a plain data property. Only `explain` and the json/sarif reports read trace locations, so a
 * `check` of 7,000 routes no longer resolves three positions per route it never prints. The property is an own,
 * enumerable accessor: `JSON.stringify`, spreading and `Object.keys` see `{ text, location }` in that order,
 * exactly as for an eagerly built item.
 */
export function traceAt(text: string, object: ManifestObject, path: FieldPath): TraceItem {
  return {
    text,
    get location(): Location {
      const value = locate(object, path);
      Object.defineProperty(this, 'location', { value, writable: true, enumerable: true, configurable: true });
      return value;
    },
    set location(value: Location | undefined) {
      Object.defineProperty(this, 'location', { value, writable: true, enumerable: true, configurable: true });
    },
  };
}
