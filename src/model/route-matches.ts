/**
 * The HTTP methods and path patterns a route's matches limit it to, for {@link TrafficRoute.methods} and
 * {@link TrafficRoute.paths}, from the match shapes of each API (the adapters pick the reader):
 *
 * - Gateway API and policy.linkerd.io `HTTPRoute` `rules[].matches[]`: `method` (an exact method name, the
 *   `HTTPMethod` enum) and `path.value`;
 * - Istio VirtualService `http[].match[]`: `method` and `uri`, each a StringMatch (`exact`, `prefix` or `regex`;
 *   istio/api `networking/v1alpha3/virtual_service.proto`, `HTTPMatchRequest`). Only an `exact` method is a known
 *   method: a `prefix` or `regex` one may match any method, so such a match leaves the route unlimited.
 *
 * Matches are ORed and the conditions inside one match ANDed (both APIs), so a route is limited to methods only when
 * every match names one; a route without matches matches every request.
 */
import type { FieldRef } from './traffic.js';
import { asArray, asString, dig } from './values.js';

/** What one match of a route says of its method and path. */
export interface MatchCondition {
  /** The method the match is limited to, as written (exact), or undefined when it may match any method. */
  method?: string;
  /** The path pattern the match names (exact path, prefix or regular expression), when it names one. */
  path?: string;
}

/** A Gateway API (or policy.linkerd.io) HTTPRoute match: `method` and `path.value`. */
export function httpRouteMatch(match: unknown): MatchCondition {
  return { method: asString(dig(match, 'method')), path: asString(dig(match, 'path', 'value')) };
}

/** An Istio `HTTPMatchRequest`: `method.exact` (a prefix or regex is no known method) and `uri.exact|prefix|regex`. */
export function virtualServiceMatch(match: unknown): MatchCondition {
  const uri = dig(match, 'uri');
  return { method: asString(dig(match, 'method', 'exact')), path: asString(dig(uri, 'exact')) ?? asString(dig(uri, 'prefix')) ?? asString(dig(uri, 'regex')) };
}

/**
 * `methods` and `paths` of a route whose matches are `matches` (read with `read`), reported at `at` (the matches
 * list). `methods` (uppercase) is set only when every match names a method; `paths` lists every path pattern named.
 */
export function routeMatchLimits(matches: unknown, read: (match: unknown) => MatchCondition, at: FieldRef): { methods?: { value: string[]; at: FieldRef }; paths?: { value: string[]; at: FieldRef } } {
  const conditions = asArray(matches).map(read);
  const methods = conditions.map((c) => c.method?.toUpperCase()).filter((m): m is string => m !== undefined && m !== '');
  const paths = conditions.map((c) => c.path).filter((p): p is string => p !== undefined && p !== '');
  return {
    ...(methods.length && methods.length === conditions.length ? { methods: { value: methods, at } } : {}),
    ...(paths.length ? { paths: { value: paths, at } } : {}),
  };
}
