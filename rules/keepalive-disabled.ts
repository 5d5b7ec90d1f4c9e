import { defineRule } from '../src/rules/engine.js';
import { fieldKey, type PolicyFigure } from '../src/model/traffic.js';

/**
 * The effective policy of a client for an HTTP port has `connectionPool.http.maxRequestsPerConnection: 1`
 * (from any DestinationRule layer, or an override): keep-alive is off, so every request (and every retry) opens
 * a new upstream connection whose port then sits in TIME_WAIT. Settings on TLS/TCP ports have no effect and are
 * `setting-ignored`'s. One finding per field, however many (client, host, subset, port) cells it applies to,
 * naming every host it reaches (the first {@link NAMED_HOSTS}, then how many more).
 */
export default defineRule({
  meta: {
    id: 'keepalive-disabled',
    code: 'MSH101',
    family: 'config',
    description: 'connectionPool.http.maxRequestsPerConnection: 1 turns keep-alive off: every request opens a new connection',
    defaultSeverity: 'error',
    docs: 'docs/rules/keepalive-disabled.md',
    inputs: ['DestinationRule', 'ServiceEntry', 'Service'],
    defaultOptions: {},
    fixable: true,
  },
  create(context) {
    // One finding per field, naming every destination it disables keep-alive to: a mesh-wide default
    // (meshConfig.defaultTrafficPolicy), a root-namespace or wildcard DestinationRule, or an EnvoyFilter reaches many.
    const byField = new Map<string, { field: PolicyFigure<number>; hosts: Set<string>; external: Set<string> }>();
    return {
      ConnectionPolicy(policy) {
        const field = policy.http.maxRequestsPerConnection;
        if (field?.value !== 1) return;
        const key = fieldKey(field);
        let entry = byField.get(key);
        if (!entry) byField.set(key, (entry = { field, hosts: new Set(), external: new Set() }));
        entry.hosts.add(policy.host);
        if (policy.external) entry.external.add(policy.host);
      },
      end() {
        for (const { field, hosts, external } of byField.values()) {
          const label = field.layer;
          const snat = external.size === 0 ? '' : external.size === hosts.size ? ', from the node’s shared SNAT ports' : `; for the external ${external.size === 1 ? 'one' : 'ones'} (${namedHosts(external)}), from the node’s shared SNAT ports`;
          context.report({
            object: field.object,
            path: field.path,
            value: 1,
            message: `maxRequestsPerConnection: 1 (${label}) disables keep-alive to ${hosts.size === 1 ? namedHosts(hosts) : `${hosts.size} hosts: ${namedHosts(hosts)}`}: every request and retry opens a new connection that holds an ephemeral port in TIME_WAIT for ${context.traffic.timeWaitSeconds} s${snat}`,
            hint: 'remove it (0 = unlimited, the default) or set a large value such as 1000; use tcp.maxConnectionDuration to rotate connections instead',
            fix: { description: `remove maxRequestsPerConnection: 1 (${label}): keep-alive on, the default`, edits: [{ op: 'delete', path: field.path }] },
          });
        }
      },
    };
  },
});

/** How many hosts a message names before `and K more`: enough to recognise the scope, short enough for one line. */
const NAMED_HOSTS = 5;

/** `a, b, c` for up to {@link NAMED_HOSTS} hosts (in the order first seen), else the first ones `and K more`. */
function namedHosts(hosts: ReadonlySet<string>): string {
  const names: string[] = [];
  for (const h of hosts) {
    if (names.length === NAMED_HOSTS) break;
    names.push(h);
  }
  return hosts.size > NAMED_HOSTS ? `${names.join(', ')} and ${hosts.size - NAMED_HOSTS} more` : names.join(', ');
}
