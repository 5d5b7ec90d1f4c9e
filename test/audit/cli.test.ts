/**
 * `meshlint audit` end to end: the real binary (bin/meshlint.js) against fake Kubernetes API servers (real HTTPS on
 * loopback, self-signed CA) started and stopped here, with kubeconfig files in a temp directory and an environment
 * that never reaches the developer's own kubeconfig.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ValidateFunction } from 'ajv';
import { runCliAsync, type CliRun } from '../helpers/cli.js';
import { startFakeApiServer, type FakeApiServer, type KubeObject } from '../helpers/fake-apiserver.js';
import { assertNoSecrets, closedPort, fixtureManifestFiles, fixtureObjects, isolatedEnv, kubeconfig, OTHER_TOKEN, reportValidator, sarifValidator, singleContextKubeconfig, TOKEN } from '../helpers/kube.js';
import { BIN, ROOT } from '../helpers/paths.js';
import { tracesOf } from '../helpers/json-report.js';

interface JsonFinding {
  ruleId: string;
  severity: string;
  message: string;
  hint?: string;
  file: string;
  line: number;
  column: number;
  object?: { apiVersion: string; kind: string; namespace: string; name: string };
  fieldPath?: string;
}

/** What must be equal between an audit and a check of the same objects: rule, severity, object, field path and message. */
function findingKeys(report: { findings: JsonFinding[] }): string[] {
  return report.findings
    .map((f) => [f.ruleId, f.severity, f.object ? `${f.object.kind}/${f.object.namespace}/${f.object.name}` : '-', f.fieldPath ?? '', f.message].join(' | '))
    .sort();
}

/** The mesh config of the second cluster: 4 default retries, and a baseline connectionPool with keep-alive off. */
const MESH_CONFIG = [
  'defaultHttpRetryPolicy:',
  '  attempts: 4',
  'defaultTrafficPolicy:',
  '  connectionPool:',
  '    tcp:',
  '      maxConnections: 100',
  '    http:',
  '      maxRequestsPerConnection: 1',
  '',
].join('\n');

/**
 * A small second cluster: one namespace calling one external host with no DestinationRule, an in-mesh gRPC service
 * whose VirtualService carries a meshlint.io/ignore annotation, and the mesh config above.
 */
function secondCluster(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
    {
      apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'payments', namespace: 'shop', creationTimestamp: '2024-03-01T08:00:00Z' },
      spec: { hosts: ['api.payments.example'], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] },
    },
    {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'payments', namespace: 'shop', creationTimestamp: '2024-03-01T08:00:01Z' },
      spec: { hosts: ['api.payments.example'], http: [{ route: [{ destination: { host: 'api.payments.example', port: { number: 80 } } }] }] },
    },
    {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService',
      metadata: { name: 'legacy', namespace: 'shop', creationTimestamp: '2024-03-01T08:00:02Z', annotations: { 'meshlint.io/ignore': 'retries-implicit-default', 'meshlint.io/ignore-reason': 'retired next sprint' } },
      spec: { hosts: ['legacy'], http: [{ route: [{ destination: { host: 'legacy' } }] }] },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'legacy', namespace: 'shop' }, spec: { ports: [{ name: 'grpc', port: 80 }] } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: MESH_CONFIG } },
  ];
}

// Two at a time: each run loads @kubernetes/client-node (~1,900 modules); more in parallel is slower on 2 cores.
describe('meshlint audit: the real binary against fake API servers', { concurrency: 2 }, () => {
  let main: FakeApiServer; // the fixtures' objects; sidecars forbidden (403), the Gateway CRD not installed (404)
  let second: FakeApiServer; // secondCluster()
  let dir: string;
  let home: string;
  let kc: string;
  // Compiled before the servers start: compiling blocks this process's event loop, and with it the fake servers.
  let validateReport: ValidateFunction;
  let validateSarif: ValidateFunction;
  const outputs: string[] = [];

  /** Runs `meshlint <args>` in the repository root with an isolated environment; keeps the output for the secrets check. */
  const run = async (args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> => {
    const r = await runCliAsync(args, { cwd: ROOT, env: isolatedEnv(home, env) });
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  before(async () => {
    validateReport = reportValidator();
    validateSarif = sarifValidator();
    const meshConfigMap: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'enableTracing: false\n' } };
    [main, second] = await Promise.all([
      startFakeApiServer({
        objects: [...fixtureObjects(), meshConfigMap],
        tokens: [TOKEN],
        forbid: [{ resource: 'sidecars.networking.istio.io' }],
        istioMissing: ['gateways'],
        slow: [{ path: /\/namespaces\/slowpoke\/deployments$/, ms: 30_000 }],
      }),
      startFakeApiServer({ objects: secondCluster(), tokens: [TOKEN] }),
    ]);
    dir = mkdtempSync(path.join(tmpdir(), 'meshlint-audit-cli-'));
    home = path.join(dir, 'home');
    mkdirSync(home);
    kc = path.join(dir, 'kubeconfig');
    writeFileSync(kc, kubeconfig({
      clusters: [{ name: 'main', server: main.url, ca: main.caPem }, { name: 'second', server: second.url, ca: second.caPem }],
      users: [
        { name: 'tok', token: TOKEN },
        { name: 'cert', certPem: main.clientCertPem, keyPem: main.clientKeyPem },
        { name: 'bad', token: OTHER_TOKEN },
      ],
      contexts: [
        { name: 'main', cluster: 'main', user: 'tok' },
        { name: 'cert', cluster: 'main', user: 'cert' },
        { name: 'second', cluster: 'second', user: 'tok' },
        { name: 'badtoken', cluster: 'main', user: 'bad' },
      ],
      current: 'main',
    }));
  });

  after(async () => {
    // No credential in anything any run printed, whatever the outcome.
    assertNoSecrets(outputs.join('\n'), [main, second]);
    await Promise.all([main?.close(), second?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds what `meshlint check` finds in the same objects; JSON carries cluster:// locations, kubectl edit hints, coverage and the cluster; --dump replays; baselines carry over; in-cluster credentials', async () => {
    const dump = path.join(dir, 'dump');
    const [audit, check] = await Promise.all([
      run(['audit', '--kubeconfig', kc, '-f', 'json', '--dump', dump]),
      run(['check', ...fixtureManifestFiles(), '-f', 'json']),
    ]);
    assert.equal(audit.code, 1, audit.stderr);
    assert.equal(check.code, 1, check.stderr);
    assert.equal(audit.stderr, '', 'no progress or noise on a standard error that is not a terminal');
    const report = JSON.parse(audit.stdout) as { findings: JsonFinding[]; cluster: unknown; coverage: Array<Record<string, string>> };
    const checked = JSON.parse(check.stdout) as { findings: JsonFinding[] };
    assert.ok(checked.findings.length >= 8, 'the fixtures have findings to compare');
    assert.deepEqual(findingKeys(report), findingKeys(checked));

    assert.ok(validateReport(report), JSON.stringify(validateReport.errors?.slice(0, 5), null, 2));
    assert.deepEqual(report.cluster, { context: 'main', server: main.url, istioVersion: 'v1', namespaces: [] });
    for (const f of report.findings as JsonFinding[]) {
      const o = f.object!;
      assert.equal(f.file, `cluster://main/${o.kind}/${o.namespace}/${o.name}`);
      // Kinds that several API groups serve (Istio's and Gateway API's Gateway; Gateway API's and Linkerd's HTTPRoute) name their group.
      const group = ['Gateway', 'HTTPRoute', 'GRPCRoute'].includes(o.kind) ? `.${o.apiVersion.split('/')[0]}` : '';
      const edit = `kubectl edit ${o.kind.toLowerCase()}${group}/${o.name} -n ${o.namespace}`;
      assert.ok(f.hint?.endsWith(`edit it with: ${edit})`) || f.hint === `edit it with: ${edit}`, f.hint);
    }
    const notes = report.coverage.map((n) => [n.kind, n.verb, n.resource, n.status, n.namespace ?? '']);
    assert.deepEqual(notes.sort(), [
      ['Gateway', 'list', 'gateways.networking.istio.io', 'not-installed', ''],
      ['Sidecar', 'list', 'sidecars.networking.istio.io', 'forbidden', ''],
    ]);
    assert.match(report.coverage.find((n) => n.kind === 'Sidecar')!.message, /not allowed to list sidecars\.networking\.istio\.io cluster-wide/);

    // The dump replays: `meshlint check DIR` finds the same, and the dump holds no credential.
    const files = readdirSync(dump);
    assert.ok(files.includes('api-gateway.destinationrule.yaml') && files.includes('istio-system.configmap.yaml'), files.join(', '));
    // It also records a baseline, which an audit accepts: baselines key on objects, not files or lines.
    const baseline = path.join(dir, 'baseline.json');
    const replay = await run(['check', dump, '-f', 'json', '--baseline-write', baseline]);
    assert.equal(replay.code, 0, replay.stderr);
    const replayed = JSON.parse(replay.stdout) as { findings: JsonFinding[]; suppressed: JsonFinding[] };
    assert.deepEqual(replayed.findings, []);
    assert.deepEqual(findingKeys({ findings: replayed.suppressed }), findingKeys(report));
    for (const f of files) assertNoSecrets(readFileSync(path.join(dump, f), 'utf8'), [main]);

    // In-cluster mode (a pod's service-account token and CA, no kubeconfig), with that baseline.
    const root = path.join(dir, 'pod');
    const sa = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(path.join(sa, 'token'), TOKEN);
    writeFileSync(path.join(sa, 'ca.crt'), main.caPem);
    writeFileSync(path.join(sa, 'namespace'), 'meshlint');
    const pod = await run(['audit', '-f', 'json', '--baseline', baseline], { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(main.port), MESHLINT_IN_CLUSTER_ROOT: root });
    assert.equal(pod.code, 0, pod.stderr);
    const accepted = JSON.parse(pod.stdout);
    assert.equal(accepted.cluster.context, 'in-cluster');
    assert.equal(accepted.cluster.server, main.url);
    assert.deepEqual(accepted.findings, []);
    assert.deepEqual(accepted.baseline, { file: baseline, matched: report.findings.length, absent: 0 });
    assert.deepEqual(findingKeys({ findings: accepted.suppressed }), findingKeys(report));
  });

  it('stylish: findings under the object URI with their field paths, coverage notes, the cluster it read', async () => {
    const r = await run(['audit', '--kubeconfig', kc]);
    assert.equal(r.code, 1, r.stderr);
    const out = r.stdout;
    assert.match(out, /^cluster:\/\/main\/DestinationRule\/api-gateway\/payments-provider\n {2}spec\.trafficPolicy\.connectionPool\n/m);
    assert.match(out, /^ {2}spec\.trafficPolicy\.connectionPool\.http\.maxRequestsPerConnection\n {10}error {3}maxRequestsPerConnection: 1 \(top level\) disables keep-alive to api\.payments-provider\.com/m);
    assert.match(out, /edit it with: kubectl edit destinationrule\/payments-provider -n api-gateway\)/);
    assert.match(out, /^coverage: not allowed to list sidecars\.networking\.istio\.io cluster-wide: .*cannot list resource "sidecars"/m);
    assert.match(out, /^coverage: gateways\.networking\.istio\.io is not served by this cluster \(its Istio CRD is not installed\)/m);
    assert.match(out, new RegExp(`objects analysed, read from ${main.url.replace(/\./g, '\\.')} \\(context main, all namespaces\\)`));
    assert.doesNotMatch(out, /^ {2}1:1 /m, 'objects read from a cluster have no line numbers');
    assert.match(out, /api-gateway → api\.payments-provider\.com:80 .* 78 req\/s/);
  });

  it('SARIF: valid 2.1.0, cluster:// artifact URIs without regions, logical locations, coverage as tool notifications', async () => {
    const r = await run(['audit', '--kubeconfig', kc, '-f', 'sarif']);
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(r.stdout) as { runs: Array<Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.ok(validateSarif(log), JSON.stringify(validateSarif.errors?.slice(0, 5), null, 2));
    const ka = log.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'keepalive-disabled');
    assert.equal(ka.locations[0].physicalLocation.artifactLocation.uri, 'cluster://main/DestinationRule/api-gateway/payments-provider');
    assert.equal(ka.locations[0].physicalLocation.region, undefined);
    assert.equal(ka.locations[0].logicalLocations[0].fullyQualifiedName, 'DestinationRule/api-gateway/payments-provider#spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection');
    assert.match(ka.message.text, /kubectl edit destinationrule\/payments-provider -n api-gateway/);
    const notes = log.runs[0].invocations[0].toolExecutionNotifications;
    assert.deepEqual(notes.map((n: { properties: { kind: string; status: string } }) => `${n.properties.kind} ${n.properties.status}`).sort(), ['Gateway not-installed', 'Sidecar forbidden']);
    assert.ok(notes.every((n: { level: string }) => n.level === 'warning'));
    assert.deepEqual(log.runs[0].properties.cluster, { context: 'main', server: main.url, istioVersion: 'v1', namespaces: [] });
  });

  it('-n scopes the read (client-certificate user, --context): exit 0 on a clean namespace', async () => {
    const r = await run(['audit', '--kubeconfig', kc, '--context', 'cert', '-n', 'checkout', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.findings, []);
    assert.deepEqual(report.cluster.namespaces, ['checkout']);
    assert.deepEqual(Object.keys(report.summary.byKind).sort(), ['ConfigMap', 'Deployment', 'DestinationRule', 'Namespace', 'Service', 'ServiceEntry', 'VirtualService']);
    assert.ok(report.routes.every((route: { clientNamespace: string }) => route.clientNamespace === 'checkout'));
    const certRequests = main.requests.filter((q) => q.auth === 'cert');
    assert.ok(certRequests.length > 5);
    for (const q of certRequests) {
      const ok = /^\/apis(\/networking\.istio\.io\/(v1|v1beta1|v1alpha3))?$/.test(q.path) || q.path === '/api/v1/namespaces' || /^\/apis\/gateway\.networking\.k8s\.io\/v1\/gatewayclasses$/.test(q.path) /* cluster-scoped */ || q.path === '/api/v1/namespaces/istio-system/configmaps' || q.path.includes('/namespaces/checkout/');
      assert.ok(ok, `out of scope: ${q.path}`);
      assert.equal(q.clientCN, 'meshlint-cert-user');
    }
  });

  it('KUBECONFIG with two files: the context of one, the user of the other', async () => {
    const a = path.join(dir, 'kc-a');
    const b = path.join(dir, 'kc-b');
    writeFileSync(a, kubeconfig({ clusters: [{ name: 'c', server: main.url, ca: main.caPem }], contexts: [{ name: 'split', cluster: 'c', user: 'u' }], current: 'split' }));
    writeFileSync(b, kubeconfig({ users: [{ name: 'u', token: TOKEN }], current: 'elsewhere' }));
    const r = await run(['audit', '-f', 'json'], { KUBECONFIG: [a, b].join(path.delimiter) });
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.cluster.context, 'split');
    assert.ok(report.findings.length >= 8);
    assert.ok(report.findings.every((f: JsonFinding) => f.file.startsWith('cluster://split/')));
  });

  it('--context picks another cluster, whose ConfigMap istio sets the mesh defaults (retries, defaultTrafficPolicy); annotations silence findings', async () => {
    const out = path.join(dir, 'second.json');
    const r = await run(['audit', '--kubeconfig', kc, '--context', 'second', '-f', 'json', '-o', out]);
    assert.equal(r.code, 1, `the mesh default's keep-alive off is an error: ${r.stderr}`);
    assert.equal(r.stdout, '', 'the report went to --output');
    const report = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(report.cluster.server, second.url);
    assert.ok(second.requests.length > 0);
    // meshConfig.defaultHttpRetryPolicy.attempts: 4 replaces Istio's 2 default retries. The effective policy of every
    // host without a DestinationRule is meshConfig.defaultTrafficPolicy's (Istio 1.31+): its maxRequestsPerConnection: 1
    // is reported once, at the ConfigMap that sets it, naming every host it applies to, and its pool sets no
    // maxRetries, so the 4 default retries to the external host are uncapped (istiod leaves max_retries at 2^32-1,
    // istio/istio pilot/pkg/networking/core/cluster_traffic_policy.go).
    assert.deepEqual(report.findings.map((f: JsonFinding) => [f.ruleId, f.file, f.message]), [
      ['keepalive-disabled', 'cluster://second/ConfigMap/istio-system/istio', 'maxRequestsPerConnection: 1 (meshConfig.defaultTrafficPolicy) disables keep-alive to 2 hosts: legacy.shop.svc.cluster.local, api.payments.example: every request and retry opens a new connection that holds an ephemeral port in TIME_WAIT for 60 s; for the external one (api.payments.example), from the node’s shared SNAT ports'],
      ['retries-implicit-default', 'cluster://second/VirtualService/shop/payments', "HTTP route has no retries block: Istio's default of 4 retries applies, up to 5 tries per request"],
      ['retry-budget-missing', 'cluster://second/VirtualService/shop/payments', "default retries to external api.payments.example:80 with no retry budget: istiod leaves the circuit breaker's max_retries at 4294967295 (Envoy's own default is 3), so when it fails every request becomes up to 5 requests and 5× the new connections from the node's SNAT ports"],
    ]);
    // The same finding on VirtualService legacy is silenced by its meshlint.io/ignore annotation, with the reason given.
    assert.deepEqual(report.suppressed.map((f: JsonFinding & { suppressions: Array<{ via: string; justification?: string }> }) => [f.ruleId, f.file, f.suppressions[0].justification]), [
      ['retries-implicit-default', 'cluster://second/VirtualService/shop/legacy', 'retired next sprint'],
    ]);
    assert.equal(report.summary.suppressed, 1);
    // meshConfig.defaultTrafficPolicy.connectionPool applies where no DestinationRule does: no connection-pool-missing,
    // and its maxRequestsPerConnection: 1 makes every one of the 5 tries a new connection on the node's SNAT ports.
    const route = report.routes.find((r: { host: string }) => r.host === 'api.payments.example');
    assert.equal(route.total, 5);
    assert.equal(route.budgetScope, 'node');
    assert.equal(route.exhaustionRps, 28232 / (5 * 60));
    const trace = tracesOf(report, route.legs[1].trace).map((t) => `${t.text} @ ${t.file ?? ''}`);
    assert.ok(trace.includes('maxRequestsPerConnection: 1 (keep-alive off) @ cluster://second/ConfigMap/istio-system/istio'), trace.join('\n'));
  });

  it('exit 2 with one line for a timeout (--request-timeout), an unreachable server and rejected credentials', async () => {
    const port = await closedPort();
    const gone = path.join(dir, 'kc-gone');
    writeFileSync(gone, singleContextKubeconfig('gone', `https://127.0.0.1:${port}`, TOKEN));
    const [slow, unreachable, rejected] = await Promise.all([
      run(['audit', '--kubeconfig', kc, '-n', 'slowpoke', '--request-timeout', '3s']),
      run(['audit', '--kubeconfig', gone]),
      run(['audit', '--kubeconfig', kc, '--context', 'badtoken', '-f', 'json']),
    ]);
    const oneLine = (r: CliRun, pattern: RegExp) => {
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, 'no stack trace');
    };
    oneLine(slow, new RegExp(`^meshlint: the API server at ${main.url.replace(/\./g, '\\.')} did not answer within 3s \\(GET /apis/apps/v1/namespaces/slowpoke/deployments\\); raise --request-timeout`));
    oneLine(unreachable, new RegExp(`^meshlint: cannot reach the API server at https://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
    oneLine(rejected, /^meshlint: the API server at .* rejected the credentials of context "badtoken" \(401 Unauthorized\): they are missing, invalid or expired$/m);
  });

  it('usage errors exit 2 before any request', async () => {
    const before = main.requests.length + second.requests.length;
    const [badNs, conflict] = await Promise.all([run(['audit', '--kubeconfig', kc, '-n', 'Not_A_Namespace']), run(['audit', '--kubeconfig', kc, '-n', 'a', '-A'])]);
    assert.equal(badNs.code, 2);
    assert.match(badNs.stderr, /"Not_A_Namespace" is not a valid namespace name/);
    assert.equal(conflict.code, 2);
    assert.match(conflict.stderr, /cannot be used with/);
    assert.equal(badNs.stdout + conflict.stdout, '');
    assert.ok(main.requests.length + second.requests.length >= before); // (other tests run concurrently; this one made none)
  });

  it('shows progress on standard error when it is a terminal (run under script(1))', async (t) => {
    if (!existsSync('/usr/bin/script') && !existsSync('/bin/script')) {
      t.skip('script(1) from util-linux is not installed: no pseudo-terminal to run the CLI in');
      return;
    }
    const out = path.join(dir, 'tty.json');
    const command = [process.execPath, BIN, 'audit', '--kubeconfig', kc, '-f', 'json', '-o', out].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    const tty = await new Promise<{ code: number | null; text: string }>((resolve) => {
      execFile('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...isolatedEnv(home), NO_COLOR: '1' } as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 60_000 }, (error, stdout) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, text: stdout }),
      );
    });
    outputs.push(tty.text);
    assert.equal(tty.code, 1, tty.text);
    // 19 kind names: 21 resources, Gateway (Istio, Gateway API) and HTTPRoute (Gateway API, policy.linkerd.io) counted once each.
    assert.match(tty.text, /\r\x1b\[2Kreading the cluster: \d+ objects, \d+ of 19 kinds done \(reading [A-Za-z]+ \d+/);
    assert.match(tty.text, /\r\x1b\[2Kreading the cluster: \d+ objects, 19 of 19 kinds done\r/);
    assert.match(tty.text, new RegExp(`read \\d+ objects from ${main.url.replace(/\./g, '\\.')} \\(context main\\) in \\d+\\.\\d s`));
    assert.ok(JSON.parse(readFileSync(out, 'utf8')).findings.length >= 8);
  });

  it('`meshlint check` never loads @kubernetes/client-node; `meshlint audit` does', async () => {
    const hooks = path.join(dir, 'hooks');
    mkdirSync(hooks, { recursive: true });
    writeFileSync(path.join(hooks, 'hooks.mjs'), [
      "import { appendFileSync } from 'node:fs';",
      'export async function resolve(specifier, context, next) {',
      '  const result = await next(specifier, context);',
      '  appendFileSync(process.env.MESHLINT_TEST_MODULE_LOG, result.url + "\\n");',
      '  return result;',
      '}',
    ].join('\n'));
    writeFileSync(path.join(hooks, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    const loaded = async (args: string[], log: string) => {
      await run(args, { NODE_OPTIONS: `--import=${path.join(hooks, 'register.mjs')}`, MESHLINT_TEST_MODULE_LOG: log });
      return readFileSync(log, 'utf8').split('\n').filter(Boolean);
    };
    const port = await closedPort();
    const gone = path.join(hooks, 'kc');
    writeFileSync(gone, singleContextKubeconfig('gone', `https://127.0.0.1:${port}`, TOKEN));
    const [check, audit] = await Promise.all([loaded(['check', 'fixtures/api-gateway'], path.join(hooks, 'check.log')), loaded(['audit', '--kubeconfig', gone], path.join(hooks, 'audit.log'))]);
    // bin/meshlint.js runs the CLI bundle (dist/bundle/) when it is built, else dist/src.
    assert.ok(check.some((u) => u.includes('/dist/bundle/') || u.includes('/dist/src/pipeline.js')), 'the hook saw the modules check loads');
    assert.deepEqual(check.filter((u) => u.includes('@kubernetes')), []);
    assert.ok(audit.some((u) => u.includes('@kubernetes/client-node')), 'audit loads client-node');
  });
});
