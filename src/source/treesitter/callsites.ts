/**
 * {@link AppCallSite}s of a Go/Python/Java file: one per outbound HTTP call and one per database client
 * construction, with what the application leg of the multiplier needs — destination, whether every try opens
 * a new connection (a client built per request, a per-call helper like `requests.get`, keep-alive off) and the
 * application's tries.
 */
import type { AppCallSite, SourceLanguage } from '../types.js';
import { type FileAnalysis, type Match, display, FileAnalysis as FA } from './analysis.js';
import { callDestination, constructTarget, destinationOpts, type Outbound, perRequestClients } from './clients.js';
import { isRepeated } from './context.js';
import { type Destination, destinationOf } from './destination.js';
import { callTries, type RetryFactor } from './retries.js';
import { contains, position } from './syntax.js';

/** Default ports of database URL schemes. */
const DB_PORTS: Readonly<Record<string, number>> = { postgres: 5432, postgresql: 5432, redis: 6379, rediss: 6379, mysql: 3306, mongodb: 27017, 'mongodb+srv': 27017, 'jdbc:postgresql': 5432, 'jdbc:mysql': 3306 };

function site(fa: FileAnalysis, node: Parameters<typeof position>[0], dest: Destination, facts: Pick<AppCallSite, 'clientPerRequest' | 'keepAliveOff' | 'appTries' | 'evidence'>): AppCallSite {
  const pos = position(node);
  const out: AppCallSite = { file: fa.file, line: pos.line, column: pos.column, language: fa.lang as SourceLanguage, ...facts };
  if (dest.url) out.url = dest.url;
  if (dest.host) out.host = dest.host;
  if (dest.port !== undefined) out.port = dest.port;
  if (dest.scheme) out.scheme = dest.scheme;
  if (dest.env) out.env = dest.env;
  if (dest.env) out.evidence += dest.host ? `; destination from $${dest.env}` : `; destination from $${dest.env} (not in envHosts)`;
  if (dest.varies) out.evidence += '; destination changes from call to call';
  return out;
}

/** Call sites of one file. `switches` are the keep-alive switches that apply; `factors` the retry factors. */
export function callSites(
  fa: FileAnalysis,
  calls: readonly Outbound[],
  switches: readonly Match[],
  factors: readonly RetryFactor[],
  envHosts: Record<string, string> | undefined,
): AppCallSite[] {
  const out: AppCallSite[] = [];
  for (const o of calls) {
    const evidence: string[] = [`${display(o.node)} (${o.match.rule.metadata.evidence ?? 'outbound call'})`];
    const clients = perRequestClients(fa, o);
    for (const c of clients) evidence.push(c);
    const off = switches.filter((k) => contains(o.node, k.node) || FA.within(o.linked, k.node));
    for (const k of off) evidence.push(`${k.rule.metadata.evidence ?? 'keep-alive off'} (line ${position(k.node).line})`);
    const { tries, evidence: tryEvidence } = callTries(o, factors);
    for (const e of tryEvidence) evidence.push(e);
    out.push(
      site(fa, o.node, callDestination(fa, o.url, envHosts), {
        clientPerRequest: clients.length > 0,
        keepAliveOff: off.length > 0,
        appTries: tries,
        evidence: evidence.join('; '),
      }),
    );
  }
  for (const m of fa.byRole('construct', 'db-client-per-request')) {
    const ctx = fa.ctx.classify(m.node);
    const repeated = isRepeated(ctx);
    const target = constructTarget(fa, m);
    const dest: Destination = target ? destinationOf(target, fa.syntax, destinationOpts(fa, envHosts)) : { varies: false };
    const scheme = dest.schemeText;
    if (dest.host && dest.port === undefined) {
      const port = (scheme ? DB_PORTS[scheme] : undefined) ?? (m.rule.metadata['defaultPort'] as number | undefined);
      if (port !== undefined) dest.port = port;
    }
    delete dest.scheme;
    out.push(
      site(fa, m.node, dest, {
        clientPerRequest: repeated,
        keepAliveOff: false,
        appTries: 1,
        evidence: repeated ? `${display(m.node)} opened ${ctx.reason}` : `${display(m.node)} (created once)`,
      }),
    );
  }
  return out;
}
