/**
 * The record Linkerd's adapter produces for one outbound route. Kept apart from `routes.ts`, which builds the
 * records, so that `profiles.ts` (ServiceProfile routes) and `routes.ts` can both name it without an import circle.
 */
import type { TrafficRoute } from '../../traffic.js';
import type { LinkerdTimeouts } from './annotations.js';

/** A Linkerd outbound route: what the client's Linkerd proxy applies to requests for `service`. */
export interface LinkerdRoute extends TrafficRoute {
  /** The object kind that defines it. */
  kind: 'ServiceProfile' | 'Service' | 'HTTPRoute' | 'GRPCRoute';
  /** FQDN of the Service (or external host) the client calls. */
  service: string;
  /** The parent port the route is limited to, when its parentRef names one. */
  port?: number;
  /**
   * `timeout.linkerd.io/response` and `…/idle` in force for the route (the request timeout is
   * {@link TrafficRoute.timeout}), and the route's timeout fields Linkerd does not apply (`unapplied`, for explain).
   */
  streamTimeouts?: Pick<LinkerdTimeouts, 'response' | 'idle' | 'unapplied'>;
}

