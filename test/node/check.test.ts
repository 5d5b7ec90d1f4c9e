/**
 * Node settings through the whole `check` pipeline: sysctl.d files and manifests on disk, the port budget of
 * each route of the connection multiplier with the file:line of every figure, the configuration's `node` values,
 * pod network namespaces, and the CLI (`meshlint check node/sysctl.d/ k8s/`).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import { check } from '../../src/pipeline.js';
import { render } from '../../src/report/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { tracesOf, type JsonTraceItem } from '../helpers/json-report.js';

const CONF = '# node image tuning\nnet.ipv4.ip_local_port_range = 1024 65535\nnet.ipv4.ip_local_reserved_ports = 30000-32767\n-net.ipv4.tcp_tw_reuse = 1\n';

/** A VirtualService in `namespace` routing to the inventory service without retries. */
const clientRoute = (namespace: string) => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: inventory
  namespace: ${namespace}
spec:
  hosts: [inventory.stock.svc.cluster.local]
  http:
  - route:
    - destination:
        host: inventory.stock.svc.cluster.local
    retries:
      attempts: 0
`;

/** Two namespaces calling an in-mesh service with keep-alive off: `tuned` sets a port range for its pods, `plain` does not. */
const POD_SCOPE = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: inventory
  namespace: stock
spec:
  host: inventory.stock.svc.cluster.local
  trafficPolicy:
    connectionPool:
      http:
        maxRequestsPerConnection: 1
${clientRoute('tuned')}${clientRoute('plain')}---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
  namespace: tuned
spec:
  template:
    metadata:
      labels:
        sidecar.istio.io/inject: "true"
    spec:
      securityContext:
        sysctls:
        - name: net.ipv4.ip_local_port_range
          value: "40000 49999"
      containers:
      - name: orders
        image: orders
`;

describe('node settings in check', () => {
  let t: ReturnType<typeof tempDir>;
  before(() => {
    t = tempDir();
    mkdirSync(join(t.dir, 'node', 'sysctl.d'), { recursive: true });
    writeFileSync(join(t.dir, 'node', 'sysctl.d', '99-ports.conf'), CONF);
    cpSync(join(ROOT, 'fixtures', 'api-gateway'), join(t.dir, 'k8s'), { recursive: true });
    writeFileSync(join(t.dir, 'k8s', 'nginx.conf'), 'worker_processes 4;\nevents { worker_connections 1024; }\n');
    writeFileSync(join(t.dir, 'k8s', 'pods.yaml'), POD_SCOPE);
  });
  after(() => t.cleanup());

  it('the exhaustion rate of a SNAT route uses the sysctl.d range less the reserved ports, traced to file:line', async () => {
    const result = await check({ paths: ['node/sysctl.d/', 'k8s/'], cwd: t.dir, defaultNamespace: 'default' });
    assert.deepEqual(result.errors, []);
    assert.equal(result.budget.ports, 65535 - 1024 + 1 - 2768);
    const route = result.routes.find((r) => r.host === 'api.payments-provider.com')!;
    assert.equal(route.budgetScope, 'node');
    assert.equal(route.budgetPorts, 61744);
    assert.equal(route.exhaustionRps, 61744 / (6 * 60));
    const traced = route.budgetTrace!.filter((x) => x.location).map((x) => `${x.text} @${x.location!.file}:${x.location!.line}:${x.location!.column}`);
    assert.deepEqual(traced, [
      'net.ipv4.ip_local_port_range = 1024 65535 @node/sysctl.d/99-ports.conf:2:1',
      'net.ipv4.ip_local_reserved_ports = 30000-32767 @node/sysctl.d/99-ports.conf:3:1',
      'net.ipv4.tcp_tw_reuse = 1 @node/sysctl.d/99-ports.conf:4:2',
    ]);
    assert.ok(route.notes.some((n) => /^tcp_tw_reuse = 1 \(node\/sysctl\.d\/99-ports\.conf:4:2\): .*lower bound/.test(n)), route.notes.join('\n'));
    assert.equal(result.stats.skipped['(.conf without sysctl settings)'], 1, 'nginx.conf is not read as sysctls');
  });

  it('pod-to-pod routes use the client pods’ own range, or the kernel default (node settings do not reach a pod netns)', async () => {
    const result = await check({ paths: ['node/sysctl.d/', 'k8s/pods.yaml'], cwd: t.dir, defaultNamespace: 'default' });
    const tuned = result.routes.find((r) => r.clientNamespace === 'tuned')!;
    const plain = result.routes.find((r) => r.clientNamespace === 'plain')!;
    assert.deepEqual([tuned.budgetScope, plain.budgetScope], ['pod', 'pod']);
    assert.equal(tuned.budgetPorts, 10000);
    assert.equal(tuned.exhaustionRps, 10000 / 60);
    assert.ok(tuned.budgetTrace!.some((x) => x.text === 'net.ipv4.ip_local_port_range = 40000 49999' && x.location?.file === 'k8s/pods.yaml' && x.location.line === 54));
    assert.equal(plain.budgetPorts, 28232);
    assert.match(plain.budgetTrace![0]!.text, /kernel default 32768-60999 .*inet_init_net/);
  });

  it('node values from the configuration win over the input; the ports option wins over both', async () => {
    const config = await check({ paths: ['node/sysctl.d/', 'k8s/'], cwd: t.dir, defaultNamespace: 'default', node: { ip_local_port_range: '32768 60999', tcp_tw_reuse: 0 } });
    assert.equal(config.budget.ports, 28232, 'the reserved range 30000-32767 lies outside 32768-60999');
    const route = config.routes.find((r) => r.host === 'api.payments-provider.com')!;
    assert.ok(route.budgetTrace!.some((x) => x.text === 'net.ipv4.ip_local_port_range = 32768 60999 (meshlint configuration, node.ip_local_port_range)'));
    assert.ok(!route.notes.some((n) => n.startsWith('tcp_tw_reuse = 1')), 'tcp_tw_reuse 0 from the configuration');
    const flag = await check({ paths: ['node/sysctl.d/', 'k8s/'], cwd: t.dir, defaultNamespace: 'default', ports: 1000 });
    assert.equal(flag.routes.find((r) => r.host === 'api.payments-provider.com')!.budgetPorts, 1000);
  });

  it('the JSON report carries the budget trace and stays valid against schemas/report.schema.json', async () => {
    const result = await check({ paths: ['node/sysctl.d/', 'k8s/'], cwd: t.dir, defaultNamespace: 'default' });
    const doc = JSON.parse(render('json', result, { color: false, explain: false, version: 'test' })) as { budget: { trace: number[] }; routes: { budgetPorts?: number }[]; traces: JsonTraceItem[] };
    const validate = new Ajv.default({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(join(ROOT, 'schemas', 'report.schema.json'), 'utf8')));
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    assert.deepEqual(tracesOf(doc, doc.budget.trace)[0], { text: 'net.ipv4.ip_local_port_range = 1024 65535', file: 'node/sysctl.d/99-ports.conf', line: 2, column: 1 });
    assert.ok(doc.routes.every((r) => typeof r.budgetPorts === 'number'));
  });

  it('CLI: meshlint check node/sysctl.d/ k8s/ shows the figures with file:line; explain shows every step', () => {
    const r = runCli(['check', 'node/sysctl.d/', 'k8s/'], { cwd: t.dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /ports = 61,744 ephemeral ports on the nodes \(net\.ipv4\.ip_local_port_range = 1024 65535 at node\/sysctl\.d\/99-ports\.conf:2:1; net\.ipv4\.ip_local_reserved_ports = 30000-32767 at node\/sysctl\.d\/99-ports\.conf:3:1/);
    assert.match(r.stdout, /api-gateway → api\.payments-provider\.com:80 .* 171 req\/s/);
    const e = runCli(['explain', 'node/sysctl.d/', 'k8s/'], { cwd: t.dir });
    assert.match(e.stdout, /usable ports = 65535 − 1024 \+ 1 − 2768 reserved = 61744/);
    assert.match(e.stdout, /exhausts at 171 req\/s = 61,744 \/ \(6 × 60 s\)/);
    assert.match(e.stdout, /note: tcp_tw_reuse = 1 \(node\/sysctl\.d\/99-ports\.conf:4:2\)/);
  });

  it('a bad line of a sysctl.d file is a parse-error at its line; the other files are still analysed', async () => {
    writeFileSync(join(t.dir, 'node', 'sysctl.d', '50-typo.conf'), 'net.core.somaxconn = 4096\nnet.ipv4.tcp_fin_timeout 15\n');
    try {
      const result = await check({ paths: ['node/sysctl.d/', 'k8s/'], cwd: t.dir, defaultNamespace: 'default' });
      const errors = result.findings.filter((f) => f.ruleId === 'parse-error');
      assert.deepEqual(errors.map((f) => `${f.location.file}:${f.location.line}:${f.location.column}`), ['node/sysctl.d/50-typo.conf:2:1']);
      assert.equal(result.budget.ports, 61744);
    } finally {
      writeFileSync(join(t.dir, 'node', 'sysctl.d', '50-typo.conf'), '');
    }
  });
});
