import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compatibilityFlags,
  ENVOY_DEFAULT_MAX_RETRIES,
  ISTIO_UNLIMITED_THRESHOLD,
  istioSemantics,
  NEWEST_MODELLED_ISTIO,
  parseFlag,
  parseIstioVersion,
} from '../../src/model/adapters/istio/versions.js';

const v = (text: string) => {
  const parsed = parseIstioVersion(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.version;
};

describe('parseIstioVersion', () => {
  it('reads the forms users, image tags and chart labels use', () => {
    assert.deepEqual(parseIstioVersion('1.24'), { version: { major: 1, minor: 24 } });
    assert.deepEqual(parseIstioVersion('1.24.3'), { version: { major: 1, minor: 24, patch: 3 } });
    assert.deepEqual(parseIstioVersion('v1.27.0'), { version: { major: 1, minor: 27, patch: 0 } });
    assert.deepEqual(parseIstioVersion('1.24.3-distroless'), { version: { major: 1, minor: 24, patch: 3 } });
    assert.deepEqual(parseIstioVersion('istiod-1.23.2'), { version: { major: 1, minor: 23, patch: 2 } });
    assert.deepEqual(parseIstioVersion(' 1.30.0-rc.1 '), { version: { major: 1, minor: 30, patch: 0 } });
  });

  it('rejects what is not a 1.x version, with one line saying why', () => {
    for (const bad of ['latest', '1', '', '1.x', '2.0', 'one.two']) {
      const parsed = parseIstioVersion(bad);
      assert.ok('error' in parsed, bad);
      assert.doesNotMatch(parsed.error, /\n/);
    }
    assert.match((parseIstioVersion(null) as { error: string }).error, /must be a string/);
  });
});

describe('istioSemantics: what each release does', () => {
  it('1.23: default retries still retry 503, no inbound retries, no retryBudget field', () => {
    const s = istioSemantics(v('1.23'));
    assert.equal(s.defaultRetry.attempts, 2);
    assert.equal(s.defaultRetry.retryOn, 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
    assert.deepEqual(s.defaultRetry.retriableStatusCodes, [503]);
    assert.equal(s.inboundRetry, undefined);
    assert.equal(s.retryBudgetField, false);
  });

  it('1.23 with ENABLE_INBOUND_RETRY_POLICY=true (the 1.23 opt-in) retries inbound', () => {
    assert.equal(istioSemantics(v('1.23'), undefined, { enableInboundRetryPolicy: true }).inboundRetry?.attempts, 2);
  });

  it('1.24: 503 is no longer retried by default and the receiving sidecar retries reset-before-request twice', () => {
    const s = istioSemantics(v('1.24.0'));
    assert.deepEqual(s.defaultRetry.retriableStatusCodes, []);
    assert.match(s.defaultRetry.text, /503 not retried/);
    assert.deepEqual({ attempts: s.inboundRetry?.attempts, retryOn: s.inboundRetry?.retryOn }, { attempts: 2, retryOn: 'reset-before-request' });
    assert.equal(s.retryBudgetField, false);
  });

  it('1.24 with the switches turned back off behaves like 1.23', () => {
    const s = istioSemantics(v('1.24'), undefined, { exclude503FromDefaultRetry: false, enableInboundRetryPolicy: false });
    assert.deepEqual(s.defaultRetry.retriableStatusCodes, [503]);
    assert.equal(s.inboundRetry, undefined);
    assert.match(s.defaultRetry.text, /EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY=false/);
  });

  it('1.27 adds trafficPolicy.retryBudget; the default cluster max_retries stays 2^32−1 (Envoy alone: 3)', () => {
    assert.equal(istioSemantics(v('1.26')).retryBudgetField, false);
    assert.equal(istioSemantics(v('1.27')).retryBudgetField, true);
    assert.equal(istioSemantics(v('1.27')).circuitBreakerMaxRetries, 2 ** 32 - 1);
    assert.equal(ISTIO_UNLIMITED_THRESHOLD, 4294967295);
    assert.equal(ENVOY_DEFAULT_MAX_RETRIES, 3);
  });

  it('meshConfig.defaultTrafficPolicy only from 1.31', () => {
    assert.equal(istioSemantics(v('1.30')).meshDefaultTrafficPolicy, false);
    assert.equal(istioSemantics(v('1.31')).meshDefaultTrafficPolicy, true);
  });

  it('outside the modelled range: the nearest modelled behaviour, with a note', () => {
    assert.match(istioSemantics(v('1.18')).notes.join(), /older than the oldest release meshlint models/);
    const future = istioSemantics({ major: 1, minor: NEWEST_MODELLED_ISTIO.minor + 1 });
    assert.match(future.notes.join(), /newer than the newest release meshlint models/);
    assert.equal(future.retryBudgetField, true);
    assert.deepEqual(istioSemantics(NEWEST_MODELLED_ISTIO).notes, []);
  });
});

describe('feature switches', () => {
  it('parseFlag reads Go ParseBool forms only', () => {
    assert.equal(parseFlag('false'), false);
    assert.equal(parseFlag('T'), true);
    assert.equal(parseFlag(true), true);
    assert.equal(parseFlag('yes'), undefined);
  });

  it('compatibilityVersion 1.23 turns both 1.24 retry changes off; 1.24 and later profiles leave them', () => {
    assert.deepEqual(compatibilityFlags(v('1.23')), { exclude503FromDefaultRetry: false, enableInboundRetryPolicy: false });
    assert.deepEqual(compatibilityFlags(v('1.24')), {});
  });
});
