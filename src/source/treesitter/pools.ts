/**
 * idle-pool-too-small: a long-lived connection pool whose idle limit per host is smaller than the number of
 * callers that share it. When more requests are in flight than the pool keeps idle, the extra connections are
 * closed by the client as they come back — the client side holds the TIME_WAIT — and reopened for the next
 * burst.
 *
 * - Go: an `http.Transport` built once (package level, `main`, a constructor, or a helper whose callers are not
 *   known) with `MaxIdleConnsPerHost` unset or 0, which net/http replaces with `DefaultMaxIdleConnsPerHost` = 2
 *   (transport.go), in a file that serves requests or starts goroutines.
 * - Python: a requests Session (default HTTPAdapter, `pool_maxsize` 10) or a urllib3 pool (`maxsize` 1)
 *   shared by more threads than it holds; urllib3 does not block by default (`block=False`): a request that
 *   finds the pool empty opens a new connection, and a connection returned to a full pool is discarded.
 */
import type { SgNode } from '@ast-grep/napi';
import type { Finding } from '../../types.js';
import { type FileAnalysis, type Match, display } from './analysis.js';
import { isRepeated } from './context.js';
import { findingAt, type RuleSettings } from './report.js';
import { contains, position } from './syntax.js';

const ID = 'idle-pool-too-small';
const CLOSE = 'each closed connection leaves an ephemeral port in TIME_WAIT for 60 s on this side';

/** Keyed element `Field: value` directly in a Go composite literal. */
function goKeyed(lit: SgNode, field: string): SgNode | undefined {
  const body = lit.find({ rule: { kind: 'literal_value' } });
  for (const el of body?.children() ?? []) {
    if (el.kind() !== 'keyed_element') continue;
    const named = el.children().filter((c) => c.isNamed());
    if (named[0]?.text() === field && named[1]) return named[1].kind() === 'literal_element' ? (named[1].children().find((c) => c.isNamed()) ?? named[1]) : named[1];
  }
  return undefined;
}

/** `t.Field = value` in the statements configuring the transport. */
function goAssigned(sites: readonly SgNode[], field: string): SgNode | undefined {
  for (const s of sites) {
    if (s.kind() !== 'assignment_statement') continue;
    const left = s.field('left')?.children().find((c) => c.isNamed());
    if (left?.kind() === 'selector_expression' && left.field('field')?.text() === field) return s.field('right')?.children().find((c) => c.isNamed()) ?? undefined;
  }
  return undefined;
}

function goFindings(fa: FileAnalysis, settings: RuleSettings, keepAliveOff: readonly Match[]): Finding[] {
  const out: Finding[] = [];
  const concurrent = fa.ctx.concurrent || settings.option<boolean>(ID, 'assumeConcurrent') === true;
  if (!concurrent) return out;
  const why = fa.ctx.hasHandlers ? 'request handlers in this file use it concurrently' : 'this file runs goroutines or a server';
  for (const m of fa.byRole('shared-pool', ID)) {
    const t = m.node;
    if (isRepeated(fa.ctx.classify(t))) continue; // built per request: client-per-request
    const sites = fa.configuringSites(t);
    if (keepAliveOff.some((k) => contains(t, k.node) || sites.some((s) => contains(s, k.node)))) continue;
    const field = (m.rule.metadata['sizeField'] as string | undefined) ?? 'MaxIdleConnsPerHost';
    const value = t.kind() === 'composite_literal' ? (goKeyed(t, field) ?? goAssigned(sites, field)) : goAssigned(sites, field);
    if (value && fa.intValue(value) !== 0) continue; // set (to a constant or a computed value)
    const maxConns = t.kind() === 'composite_literal' ? (goKeyed(t, 'MaxConnsPerHost') ?? goAssigned(sites, 'MaxConnsPerHost')) : goAssigned(sites, 'MaxConnsPerHost');
    const limit = maxConns ? fa.intValue(maxConns) : undefined;
    const dflt = Number(m.rule.metadata['defaultSize'] ?? 2);
    if (limit !== undefined && limit > 0 && limit <= dflt) continue; // never more connections than idle slots
    const what = display(t);
    out.push(
      findingAt(
        fa.file,
        t,
        ID,
        `${what} leaves ${field} ${value ? 'at 0' : 'unset'}, so net/http keeps only ${dflt} idle connections per host (${m.rule.metadata['defaultSource'] ?? 'DefaultMaxIdleConnsPerHost'}) while ${why}: under load every connection beyond ${dflt} per host is closed after its request and a new one opened for the next, and ${CLOSE}`,
        { hint: `set ${field} (and MaxIdleConns) to the number of concurrent requests you expect per host, e.g. ${field}: 100`, value: `${field} unset` },
      ),
    );
  }
  return out;
}

/** Threads that share pools in this file: the largest known worker count, with where it comes from. */
function pyThreads(fa: FileAnalysis): { workers: number; at: SgNode; evidence: string } | undefined {
  let best: { workers: number; at: SgNode; evidence: string } | undefined;
  for (const m of fa.byRole('concurrency')) {
    const w = fa.mv(m, 'W');
    let workers = w ? fa.intValue(w) : undefined;
    let evidence = m.rule.metadata.evidence ?? 'threads';
    if (workers === undefined && !w && m.rule.metadata['defaultWorkers'] !== undefined) {
      workers = Number(m.rule.metadata['defaultWorkers']);
      evidence = `${evidence} with the default max_workers (up to ${workers}: min(32, os.cpu_count() + 4))`;
    }
    if (workers === undefined) {
      // threading.Thread(...) started in `for _ in range(n)`: n threads.
      const loop = m.node.ancestors().find((a) => a.kind() === 'for_statement');
      const right = loop?.field('right');
      if (right?.kind() === 'call' && right.field('function')?.text() === 'range') {
        const args = fa.syntax.callArguments(right);
        const n = args.length === 1 ? fa.intValue(args[0]!) : undefined;
        if (n !== undefined) workers = n;
      }
    }
    if (workers === undefined) continue;
    if (!best || workers > best.workers) best = { workers, at: m.node, evidence: `${evidence} at line ${position(m.node).line}` };
  }
  return best;
}

function blocks(fa: FileAnalysis, call: SgNode, kw: string): boolean {
  return fa.syntax.callArguments(call).some((a) => a.kind() === 'keyword_argument' && a.field('name')?.text() === kw && a.field('value')?.text() === 'True');
}

function pyFindings(fa: FileAnalysis): Finding[] {
  const out: Finding[] = [];
  const threads = pyThreads(fa);
  if (!threads) return out;
  const pools = fa.byRole('shared-pool', ID);
  const adapters = pools.filter((p) => p.rule.metadata['pool'] === 'requests-adapter');
  const mounts = pools.filter((p) => p.rule.metadata['link'] === 'mount');
  const sizeOf = (p: Match): number => {
    const s = fa.mv(p, 'SIZE');
    const v = s ? fa.intValue(s) : undefined;
    return v ?? Number(p.rule.metadata['defaultSize'] ?? 1);
  };
  const report = (at: Match, size: number, sizeSource: string): void => {
    const what = display(at.node);
    out.push(
      findingAt(
        fa.file,
        at.node,
        ID,
        `${what} keeps at most ${size} connection${size === 1 ? '' : 's'} per host (${sizeSource}) but up to ${threads.workers} threads share it (${threads.evidence}): urllib3 opens a new connection when the pool is empty and discards it when the pool is full, so requests beyond ${size} in flight use throwaway connections, and ${CLOSE}`,
        {
          hint:
            at.rule.metadata['pool'] === 'urllib3'
              ? `pass maxsize=${threads.workers} (or block=True) to the pool`
              : `mount HTTPAdapter(pool_maxsize=${threads.workers}) on the session for http:// and https://`,
          value: `pool ${size} < ${threads.workers} threads`,
        },
      ),
    );
  };
  for (const p of pools) {
    const kind = p.rule.metadata['pool'];
    if (kind !== 'requests-session' && kind !== 'urllib3') continue;
    if (isRepeated(fa.ctx.classify(p.node))) continue; // a pool per request: client-per-request
    if (kind === 'urllib3') {
      if (blocks(fa, p.node, 'block')) continue;
      const size = sizeOf(p);
      if (threads.workers > size) report(p, size, fa.mv(p, 'SIZE') ? 'maxsize' : String(p.rule.metadata['defaultSource']));
      continue;
    }
    // A session: the adapters mounted on it decide the pool size.
    const mounted = mounts
      .filter((mt) => {
        const s = fa.mv(mt, 'S');
        return !!s && fa.reach(s).slice(1).some((v) => contains(v, p.node));
      })
      .flatMap((mt) => {
        const a = fa.mv(mt, 'A');
        if (!a) return [];
        const reached = fa.reach(a);
        return adapters.filter((ad) => reached.some((v) => contains(v, ad.node)));
      });
    if (mounted.length === 0) {
      if (threads.workers > sizeOf(p)) report(p, sizeOf(p), String(p.rule.metadata['defaultSource']));
      continue;
    }
    const biggest = mounted.reduce((a, b) => (sizeOf(b) > sizeOf(a) ? b : a));
    if (blocks(fa, biggest.node, 'pool_block')) continue;
    const size = sizeOf(biggest);
    if (threads.workers > size) report(biggest, size, fa.mv(biggest, 'SIZE') ? 'pool_maxsize' : String(biggest.rule.metadata['defaultSource']));
  }
  return out;
}

/** Findings of idle-pool-too-small for one file. `keepAliveOff` are the file's keep-alive switches. */
export function idlePoolFindings(fa: FileAnalysis, settings: RuleSettings, keepAliveOff: readonly Match[]): Finding[] {
  if (!settings.enabled(ID)) return [];
  if (fa.lang === 'go') return goFindings(fa, settings, keepAliveOff);
  if (fa.lang === 'python') return pyFindings(fa);
  return [];
}

