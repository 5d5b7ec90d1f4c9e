import { defineRule } from '../src/rules/engine.js';
import { formatNumber, groupThousands } from '../src/numbers.js';

/**
 * At the request rate the user states for a route (`--rps`, or the configuration's `rps` per host / workload),
 * the ports its new connections hold in TIME_WAIT exceed a port budget it draws from (error), or a share of it
 * (warning; option `warnShare`, default 0.8: the usual warning line for port utilisation). Each budget is checked:
 * the pod's network namespace and, for SNAT'd legs, the node's. Ports held = rate × new connections per request
 * on that budget × TIME_WAIT seconds.
 */
export default defineRule({
  meta: {
    id: 'port-budget-exceeded',
    code: 'MSH110',
    family: 'config',
    description: 'At the stated request rate, ports held in TIME_WAIT exceed (or come close to) the ephemeral ports of the pod or node budget a route draws from',
    defaultSeverity: 'error',
    docs: 'docs/rules/port-budget-exceeded.md',
    inputs: ['VirtualService', 'ServiceEntry', 'DestinationRule', 'sysctl'],
    defaultOptions: { warnShare: 0.8 },
  },
  create(context) {
    const warnShare = Number(context.options.warnShare);
    const tw = context.traffic.timeWaitSeconds;
    return {
      route(route) {
        if (route.rps === undefined) return;
        for (const budget of route.budgets) {
          const held = route.rps * budget.connections * tw;
          if (held <= warnShare * budget.ports) continue;
          const over = held > budget.ports;
          const scope = budget.scope === 'node' ? "the node's SNAT ports" : "the client pod's ports";
          const where = `${route.clientNamespace} → ${route.host}${route.port !== undefined ? `:${route.port}` : ''}${route.subset ? ` (${route.subset})` : ''}`;
          context.report({
            object: route.definedBy.object,
            path: route.definedBy.path,
            value: `${budget.scope}:${Math.round(held)}/${budget.ports}`,
            ...(over ? {} : { severity: context.severity === 'error' ? 'warn' : context.severity }),
            message: `${where} at ${formatNumber(route.rps)} req/s holds ${groupThousands(Math.round(held))} ports in TIME_WAIT (${formatNumber(route.rps)} × ${formatNumber(budget.connections)} new connections × ${tw} s), ${over ? 'more than' : `${formatNumber((100 * held) / budget.ports)} % of`} the ${groupThousands(budget.ports)} of ${scope}${over ? `: connect() fails with EADDRNOTAVAIL above ${formatNumber(Math.floor(budget.exhaustionRps ?? 0))} req/s` : ''}`,
            hint: 'turn keep-alive on (remove maxRequestsPerConnection: 1 and clients built per request), retry at one layer only, or widen net.ipv4.ip_local_port_range',
          });
        }
      },
    };
  },
});
