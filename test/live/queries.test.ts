/**
 * The PromQL meshlint sends: every query parses (Prometheus's own Lezer grammar, `@prometheus-io/lezer-promql`),
 * aggregates server-side, and carries label values escaped, so a selector value with quotes or backslashes stays
 * one string literal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { isPromDuration, matchers, nodeQueries, peakOf, promString, requestRateQuery, tcpOpenedQuery, upstreamConnectionsQuery, type QueryScope } from '../../src/live/queries.js';

/** Offsets of the parse errors in `expr` (none for valid PromQL). */
function promqlErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({ enter: (node) => void (node.type.isError && errors.push(node.from)) });
  return errors;
}

/** The string literals of `expr`, as the grammar sees them. */
function stringLiterals(expr: string): string[] {
  const out: string[] = [];
  parser.parse(expr).iterate({ enter: (node) => void (node.name === 'StringLiteral' && out.push(expr.slice(node.from, node.to))) });
  return out;
}

const scope: QueryScope = { window: '5m', range: '7d', selector: { cluster: 'prod "eu"\\west\n' }, nodeLabel: 'instance' };

function allQueries(s: QueryScope): string[] {
  const node = nodeQueries(s);
  const src = requestRateQuery(s, 'source');
  return [src, peakOf(src, s), requestRateQuery(s, 'destination'), tcpOpenedQuery(s), upstreamConnectionsQuery(s), node.timeWait, node.activeOpens, node.conntrackEntries, node.conntrackLimit];
}

describe('live queries', () => {
  it('every query parses and aggregates on the server', () => {
    for (const q of allQueries(scope)) {
      assert.deepEqual(promqlErrors(q), [], q);
      assert.match(q, /^(sum by|max by|max_over_time\(\(sum by)/, q);
    }
  });

  it('the peak is max_over_time of the rate as a subquery over the range, stepped by the window', () => {
    assert.equal(
      peakOf(requestRateQuery({ ...scope, selector: {} }, 'source'), scope),
      'max_over_time((sum by (source_workload, source_workload_namespace, destination_service) (rate(istio_requests_total{reporter="source"}[5m])))[7d:5m])',
    );
  });

  it('escapes label values: quotes, backslashes and newlines stay inside one literal', () => {
    const q = requestRateQuery(scope, 'source');
    assert.deepEqual(stringLiterals(q), ['"source"', promString('prod "eu"\\west\n')]);
    assert.deepEqual(promqlErrors(q), []);
  });

  it('a near miss: an unescaped quote would break the query (the check can fail)', () => {
    assert.notDeepEqual(promqlErrors('sum(rate(istio_requests_total{cluster="prod "eu""}[5m]))'), []);
  });

  it('rejects label names that are not PromQL names and durations that are not durations', () => {
    assert.throws(() => matchers({ 'bad-name': 'x' }), /not a Prometheus label name/);
    assert.throws(() => nodeQueries({ ...scope, nodeLabel: 'node name' }), /not a Prometheus label name/);
    assert.equal(isPromDuration('5m'), true);
    assert.equal(isPromDuration('1h30m'), true);
    assert.equal(isPromDuration('5 minutes'), false);
    assert.equal(isPromDuration('5m]) or vector(1'), false);
  });
});
