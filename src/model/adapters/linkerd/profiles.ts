/**
 * Linkerd `ServiceProfile` (linkerd.io/v1alpha2) → {@link LinkerdRoute} records, as the destination controller
 * sends them to client proxies (linkerd/linkerd2 `controller/api/destination/profile_translator.go`):
 *
 * - `metadata.name` is the FQDN of the Service it describes (`<svc>.<ns>.svc.<cluster domain>`), or an external host;
 * - each `spec.routes[i]` matches `condition` (`method`, `pathRegex`, `all`/`any`/`not`); `isRetryable: true` lets
 *   the client proxy retry failures of that route; `timeout` bounds the whole request, retries included
 *   (`toRoute`: no default timeout is sent when none is written);
 * - `spec.retryBudget` caps retries per destination: at most `retryRatio` of the requests, plus
 *   `minRetriesPerSecond`, over `ttl`; when absent, `defaultRetryBudget()` applies: 0.2 / 10 / 10 s;
 * - `spec.dstOverrides` splits traffic across authorities by weight.
 *
 * A retryable route has no per-request retry count: it retries until the timeout or the budget runs out (Linkerd
 * "Retries and Timeouts" for ServiceProfiles), so the figure the multiplier uses is 1 + `retryRatio` tries per
 * request on average under failure (the budget's ceiling; `minRetriesPerSecond` more at low rates).
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { FieldPath } from '../../../types.js';
import type { MeshModel } from '../../mesh.js';
import type { RetryBudgetRatio, RetryPolicy, RouteBackend } from '../../traffic.js';
import { traceAt } from '../../trace.js';
import { asArray, asNumber, asRecord, asString, dig, parseDurationSeconds } from '../../values.js';
import type { LinkerdRoute } from './route.js';

/** `defaultRetryBudget()` of profile_translator.go: retryRatio 0.2, minRetriesPerSecond 10, ttl 10 s. */
export const LINKERD_DEFAULT_RETRY_BUDGET = { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10 } as const;

/** The retry budget of a ServiceProfile: its `spec.retryBudget`, else the destination controller's default. */
export function profileRetryBudget(profile: ManifestObject): RetryBudgetRatio {
  const written = asRecord(dig(profile.raw, 'spec', 'retryBudget'));
  if (!written) {
    const d = LINKERD_DEFAULT_RETRY_BUDGET;
    return { ...d, default: true, trace: traceAt(`no retryBudget: Linkerd's default budget applies (retryRatio ${d.retryRatio}, minRetriesPerSecond ${d.minRetriesPerSecond}, ttl ${d.ttl}s; profile_translator.go defaultRetryBudget)`, profile, ['spec']) };
  }
  const at = { object: profile, path: ['spec', 'retryBudget'] as FieldPath };
  // profile_translator.go copies every field of a written retryBudget: an absent one is 0, not the default.
  const retryRatio = asNumber(written.retryRatio) ?? 0;
  const minRetriesPerSecond = asNumber(written.minRetriesPerSecond) ?? 0;
  const ttl = parseDurationSeconds(written.ttl) ?? 0;
  return { retryRatio, minRetriesPerSecond, ttl, default: false, at, trace: traceAt(`retryBudget: retryRatio ${retryRatio}, minRetriesPerSecond ${minRetriesPerSecond}, ttl ${ttl}s`, profile, at.path) };
}

/** The host a ServiceProfile describes: its name, lowercased (a Service FQDN or an external host). */
export function profileHost(profile: ManifestObject): string {
  return profile.ref.name.toLowerCase();
}

/** Methods and path patterns of a route `condition` (its own, and those under `all`; `any`/`not` widen it: none kept). */
function conditionOf(condition: unknown): { methods: string[]; paths: string[] } {
  const methods: string[] = [];
  const paths: string[] = [];
  const visit = (c: unknown) => {
    const method = asString(dig(c, 'method'));
    if (method) methods.push(method.toUpperCase());
    const path = asString(dig(c, 'pathRegex'));
    if (path) paths.push(path);
    for (const sub of asArray(dig(c, 'all'))) visit(sub);
  };
  visit(condition);
  return { methods, paths };
}

/** Every route of a ServiceProfile as a {@link LinkerdRoute}; a profile without routes gives one catch-all route without retries. */
export function serviceProfileRoutes(model: MeshModel, profile: ManifestObject): LinkerdRoute[] {
  const host = profileHost(profile);
  const ns = profile.ref.namespace;
  const budget = profileRetryBudget(profile);
  const backends: RouteBackend[] = [];
  asArray(dig(profile.raw, 'spec', 'dstOverrides')).forEach((d, i) => {
    const authority = asString(dig(d, 'authority'));
    if (!authority) return;
    const [name, port] = authority.split(':');
    const weight = weightOf(dig(d, 'weight'));
    if (weight === 0) return;
    backends.push({ host: model.resolve(name!.toLowerCase(), ns), ...(port && /^\d+$/.test(port) ? { port: Number(port) } : {}), ...(weight !== undefined ? { weight } : {}), at: { object: profile, path: ['spec', 'dstOverrides', i, 'authority'] } });
  });
  if (!backends.length) backends.push({ host, at: { object: profile, path: ['metadata', 'name'] } });
  const base = { kind: 'ServiceProfile' as const, service: host, namespace: ns, hosts: [host], gateways: ['mesh'], backends, mirrors: [] };
  const routes = asArray(dig(profile.raw, 'spec', 'routes'));
  if (!routes.length) return [{ ...base, at: { object: profile, path: ['spec'] } }];
  return routes.map((raw, i): LinkerdRoute => {
    const path: FieldPath = ['spec', 'routes', i];
    const name = asString(dig(raw, 'name'));
    const { methods, paths } = conditionOf(dig(raw, 'condition'));
    const timeout = parseDurationSeconds(dig(raw, 'timeout'));
    let retryPolicy: RetryPolicy | undefined;
    if (dig(raw, 'isRetryable') === true) {
      const at = { object: profile, path: [...path, 'isRetryable'] as FieldPath };
      retryPolicy = {
        route: { object: profile, path },
        clientNamespace: ns,
        host,
        attempts: { value: budget.retryRatio, default: false, trace: traceAt(`isRetryable: true, retries capped by the retry budget: at most ${budget.retryRatio} retries per request on average (plus ${budget.minRetriesPerSecond}/s)`, profile, at.path) },
        // Failures are 5xx responses unless responseClasses say otherwise (Linkerd ServiceProfile reference).
        retryOn: { value: asArray(dig(raw, 'responseClasses')).length ? 'responseClasses' : '5xx', at },
        block: at,
        perTryTimeoutAt: null,
        budget,
      };
    }
    return {
      ...base,
      at: { object: profile, path },
      ...(name ? { name } : {}),
      ...(retryPolicy ? { retryPolicy } : {}),
      ...(timeout !== undefined && timeout > 0 ? { timeout: { value: timeout, object: profile, path: [...path, 'timeout'] } } : {}),
      ...(methods.length ? { methods: { value: methods, at: { object: profile, path: [...path, 'condition', 'method'] } } } : {}),
      ...(paths.length ? { paths: { value: paths, at: { object: profile, path: [...path, 'condition', 'pathRegex'] } } } : {}),
    };
  });
}

/** A `dstOverrides[].weight` (a Kubernetes quantity: `100`, `500m`, `1`), relative. */
function weightOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(value.trim());
  if (!m) return undefined;
  return Number(m[1]) / (m[2] ? 1000 : 1);
}
