import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { check, type CheckOptions } from '../../src/pipeline.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { tracesOf, type JsonTraceItem } from '../helpers/json-report.js';

/** An external payments API behind a ServiceEntry (HTTP 80, HTTPS 443) with 2 sidecar retries, and an in-mesh Service. */
const MESH = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    istio-injection: enabled
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: payments-api
  namespace: shop
spec:
  hosts: [api.payments.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - number: 80
    name: http
    protocol: HTTP
  - number: 443
    name: https
    protocol: HTTPS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: payments-api
  namespace: shop
spec:
  hosts: [api.payments.example.com]
  http:
  - route:
    - destination:
        host: api.payments.example.com
        port:
          number: 80
    retries:
      attempts: 2
      perTryTimeout: 2s
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: payments-api
  namespace: shop
spec:
  host: api.payments.example.com
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 100
---
apiVersion: v1
kind: Service
metadata:
  name: inventory
  namespace: stock
spec:
  selector: {app: inventory}
  ports:
  - name: http-api
    port: 8080
`;

/** Line 9: axios instance with its own http.Agent per request; line 10: axios-retry 3; line 11: the call. */
const CHECKOUT = `const express = require('express');
const axios = require('axios');
const axiosRetry = require('axios-retry');
const http = require('http');

const app = express();

app.post('/checkout', async (req, res) => {
  const client = axios.create({ httpAgent: new http.Agent() });
  axiosRetry(client, { retries: 3 });
  const r = await client.post('http://api.payments.example.com/v1/charge', req.body);
  const stock = await fetch(process.env.INVENTORY_URL + '/stock');
  const receipt = await fetch('https://api.payments.example.com/v1/receipt');
  const legacy = await fetch('http://api.payments.example.com:8080/v0/charge');
  res.json({ r: r.data, stock: await stock.json(), receipt: await receipt.json(), legacy: legacy.ok });
});

app.listen(3000);
`;

interface JsonFinding {
  ruleId: string;
  file: string;
  line: number;
  column: number;
  severity: string;
}
interface JsonLeg {
  name: string;
  tries: number;
  connectionsPerTry: number;
  /** Indexes into the report's `traces` table. */
  trace: number[];
}
interface JsonRoute {
  clientNamespace: string;
  host: string;
  port: number | null;
  protocol: string;
  legs: JsonLeg[];
  total: number;
  appLeg: { file: string; line: number; column: number; appTries: number } | null;
}

describe('meshlint check over manifests and JavaScript sources', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir('meshlint-source-'));
    mkdirSync(join(dir, 'k8s'));
    writeFileSync(join(dir, 'k8s', 'mesh.yaml'), MESH);
    mkdirSync(join(dir, 'services', 'checkout', 'src'), { recursive: true });
    writeFileSync(join(dir, 'services', 'checkout', 'src', 'server.js'), CHECKOUT);
    // Dependencies, build output and ignored files are not the user's code.
    for (const skipped of ['node_modules/lib', 'dist', 'build', 'vendor', 'generated']) {
      mkdirSync(join(dir, 'services', 'checkout', skipped), { recursive: true });
      writeFileSync(join(dir, 'services', 'checkout', skipped, 'x.js'), `const https = require('https');\nrequire('express')().get('/x', () => new https.Agent());\n`);
    }
    writeFileSync(join(dir, 'services', 'checkout', '.gitignore'), 'generated/\n');
  });
  after(() => cleanup());

  let defaultRun: { code: number | null; report: { findings: JsonFinding[]; routes: JsonRoute[]; traces: JsonTraceItem[] }; stderr: string } | undefined;
  /** The real CLI, JSON report (the run without extra flags is made once). */
  const json = (args: string[] = []): { code: number | null; report: { findings: JsonFinding[]; routes: JsonRoute[]; traces: JsonTraceItem[] }; stderr: string } => {
    if (!args.length && defaultRun) return defaultRun;
    const r = runCli(['check', 'k8s', 'services', '-f', 'json', ...args], { cwd: dir });
    const out = { code: r.code, report: JSON.parse(r.stdout), stderr: r.stderr };
    if (!args.length) defaultRun = out;
    return out;
  };
  /** The same analysis in-process (`check()`, as the CLI calls it), for the option variants. */
  const inProcess = (options: Partial<CheckOptions>) => check({ paths: ['k8s', 'services'], cwd: dir, defaultNamespace: 'default', ...options });

  it('reports source findings at file:line:column next to the manifest findings, skipping dependencies and ignored files', () => {
    const { code, report, stderr } = json();
    assert.equal(code, 0, stderr);
    const source = report.findings.filter((f) => f.file.startsWith('services/'));
    assert.deepEqual(
      source.map((f) => `${f.file}:${f.line}:${f.column} ${f.severity} ${f.ruleId}`),
      ['services/checkout/src/server.js:9:18 warn client-per-request', 'services/checkout/src/server.js:10:3 info app-retries'],
    );
  });

  it('gives the multiplier row its application leg from the source: 4 app tries × a new connection per try', () => {
    const { report } = json();
    const row = report.routes.find((r) => r.host === 'api.payments.example.com' && r.protocol === 'http' && r.port === 80)!;
    assert.ok(row, JSON.stringify(report.routes.map((r) => `${r.host}:${r.port} ${r.protocol}`)));
    assert.deepEqual(row.appLeg && { file: row.appLeg.file, line: row.appLeg.line, appTries: row.appLeg.appTries }, { file: 'services/checkout/src/server.js', line: 11, appTries: 4 });
    assert.deepEqual(row.legs.map((l) => [l.tries, l.connectionsPerTry]), [[4, 1], [12, 0]], 'app leg 4 × 1; sidecar leg 4 × 3 tries, pooled');
    assert.equal(row.total, 4);
    const appTrace = tracesOf(report, row.legs[0]!.trace)[0]!;
    assert.equal(`${appTrace.file}:${appTrace.line}`, 'services/checkout/src/server.js:11');
    assert.match(appTrace.text, /axios-retry.*4 tries.*a new connection per try/);
  });

  it('matches the port: HTTPS from the app is opaque TLS (no sidecar retries); an undeclared port is PassthroughCluster', () => {
    const { report } = json();
    const tls = report.routes.find((r) => r.host === 'api.payments.example.com' && r.port === 443)!;
    assert.equal(tls.protocol, 'tcp');
    assert.equal(tls.appLeg?.line, 13);
    assert.deepEqual(tls.legs.map((l) => l.tries), [1, 1], 'HTTP retries do not apply to opaque TLS');
    assert.ok(tracesOf(report, tls.legs[0]!.trace).some((t) => /opaque TLS/.test(t.text)));
    const pass = report.routes.find((r) => r.host === 'api.payments.example.com' && r.port === 8080)!;
    assert.equal(pass.appLeg?.line, 14);
    assert.match(pass.legs[1]!.name, /PassthroughCluster/);
    assert.deepEqual(report.findings.filter((f) => f.ruleId === 'connection-pool-missing' || f.ruleId === 'connection-limit-unbounded'), [], 'the DestinationRule caps the declared ports; passthrough is not a DestinationRule matter');
  });

  it('links a URL read from the environment with --env-host, and a directory to its workload with --workload', async () => {
    const without = json();
    assert.equal(without.report.routes.find((r) => r.host.startsWith('inventory.')), undefined, 'unmapped env var: no link');
    const { report, stderr } = json(['--env-host', 'INVENTORY_URL=http://inventory.stock:8080', '--workload', 'services/checkout=shop/checkout']);
    assert.doesNotMatch(stderr, /warning/, 'both mappings were used');
    const inv = report.routes.find((r) => r.host === 'inventory.stock.svc.cluster.local')!;
    assert.ok(inv, JSON.stringify(report.routes.map((r) => r.host)));
    assert.equal(inv.clientNamespace, 'shop', 'the client namespace comes from --workload');
    assert.equal(inv.port, 8080);
    assert.equal(inv.protocol, 'http', 'Service port http-api: the sidecar sees HTTP');
    assert.equal(inv.appLeg?.line, 12);
    assert.deepEqual(inv.legs.map((l) => l.tries), [1, 3], 'no VirtualService: Istio’s default 2 retries');
    // The same as options of the API; a workload in another namespace gets its own row.
    const api = await inProcess({ source: { envHosts: { INVENTORY_URL: 'inventory.stock:8080' }, workloads: [{ path: 'services', workload: 'checkout', namespace: 'web' }] } });
    assert.deepEqual(api.routes.filter((r) => r.appLeg?.line === 12).map((r) => `${r.clientNamespace} → ${r.host}:${r.port}`), ['web → inventory.stock.svc.cluster.local:8080']);
    assert.deepEqual(api.sources?.unlinked.map((u) => u.site.line), [], 'every call site linked');
  });

  it('warns, one line each on standard error, about a --workload path or name and an --env-host that match nothing', async () => {
    const typos = json(['--workload', 'services/chekout=shop/checkout', '--workload', 'services/checkout=checkuot', '--env-host', 'INVENTORY_UR=http://inventory.stock:8080']);
    assert.deepEqual(typos.stderr.trim().split('\n'), [
      'meshlint: warning: --workload services/chekout=shop/checkout: no source file was scanned under services/chekout; the mapping is unused',
      'meshlint: warning: --workload services/checkout=checkuot: no Deployment, StatefulSet, DaemonSet, Pod, ReplicaSet, Job or CronJob named checkuot in the input, so its namespace is unknown and assumed; name it as NAMESPACE/checkuot',
      'meshlint: warning: --env-host INVENTORY_UR: no call site reads its destination from $INVENTORY_UR; the mapping is unused',
    ]);
    assert.equal(typos.code, json().code, 'a warning does not change the exit code');
    // Near misses: a name without a namespace that a Deployment of the input has; a name with its namespace (which is used as given).
    mkdirSync(join(dir, 'workloads'), { recursive: true });
    writeFileSync(join(dir, 'workloads', 'checkout.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\n  namespace: web\nspec:\n  selector: {matchLabels: {app: checkout}}\n  template:\n    metadata: {labels: {app: checkout}}\n    spec: {containers: [{name: app, image: checkout:1}]}\n');
    assert.deepEqual((await inProcess({ paths: ['k8s', 'services', 'workloads'], source: { workloads: [{ path: 'services', workload: 'checkout' }] } })).warnings, undefined);
    assert.deepEqual((await inProcess({ source: { workloads: [{ path: 'services', workload: 'checkout', namespace: 'shop' }] } })).warnings, undefined);
    assert.deepEqual((await inProcess({ source: { envHosts: { NOPE: 'x.y' } } })).warnings, ['--env-host NOPE: no call site reads its destination from $NOPE; the mapping is unused']);
  });

  it('shows source positions in every format (stylish, SARIF)', () => {
    const stylish = runCli(['check', 'k8s', 'services'], { cwd: dir });
    assert.match(stylish.stdout, /^services\/checkout\/src\/server\.js$/m);
    assert.match(stylish.stdout, /^ {2}9:18 +warning +axios\.create\(\) with new http\.Agent\(\) is created in route handler app\.post\('\/checkout'\).* client-per-request$/m);
    assert.match(stylish.stdout, /^source: 1 file \(javascript 1\), 4 outbound call sites, 1 not linked/m);
    const sarif = JSON.parse(runCli(['check', 'k8s', 'services', '-f', 'sarif'], { cwd: dir }).stdout);
    const result = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'client-per-request');
    assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, 'services/checkout/src/server.js');
    assert.deepEqual(result.locations[0].physicalLocation.region, { startLine: 9, startColumn: 18, endLine: 9, endColumn: 18 });
    const ids = sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
    for (const id of ['client-per-request', 'keepalive-disabled-client', 'db-client-per-request', 'app-retries']) assert.ok(ids.includes(id), id);
  });

  it('a rule set to off does not run; severities follow the configuration; source can be switched off', async () => {
    const off = await inProcess({ rules: new Map([['client-per-request', { severity: 'off' }], ['app-retries', { severity: 'error' }]]) });
    assert.deepEqual(off.findings.filter((f) => f.location.file.startsWith('services/')).map((f) => `${f.ruleId} ${f.severity}`), ['app-retries error']);
    const none = await inProcess({ source: { disabled: true } });
    assert.deepEqual(none.findings.filter((f) => f.location.file.startsWith('services/')), []);
    assert.equal(none.routes.find((r) => r.port === 80)?.appLeg, null);
    assert.equal(none.sources, undefined);
    const cli = runCli(['check', 'k8s', 'services', '--no-source', '--rule', 'keepalive-disabled-client:off', '-f', 'json'], { cwd: dir });
    assert.deepEqual(JSON.parse(cli.stdout).findings.filter((f: JsonFinding) => f.file.startsWith('services/')), [], cli.stderr);
  });
});

describe('meshlint check runs only its own rules, whatever the user’s ESLint setup says', () => {
  let dir: string;
  let cleanup: () => void;
  const SERVER = `import https from 'node:https';
import express from 'express';
const app = express();
app.get('/a', async (req, res) => {
  const agent = new https.Agent({ keepAlive: false });
  await fetch('https://a.example.com', { agent });
  res.end();
});
`;
  before(() => {
    ({ dir, cleanup } = tempDir('meshlint-hostile-'));
    mkdirSync(join(dir, 'clean'));
    writeFileSync(join(dir, 'clean', 'server.ts'), SERVER);
    mkdirSync(join(dir, 'hostile'));
    // A config that would turn meshlint's rules off, ignore everything, and crash if it were ever loaded.
    writeFileSync(
      join(dir, 'hostile', 'eslint.config.js'),
      `export default [{ ignores: ['**/*'] }, { rules: { 'meshlint/client-per-request': 'off', 'meshlint/keepalive-disabled-client': 'off' } }];\nthrow new Error('hostile config was loaded');\n`,
    );
    writeFileSync(join(dir, 'hostile', '.eslintrc.json'), JSON.stringify({ root: true, ignorePatterns: ['**/*'] }));
    writeFileSync(join(dir, 'hostile', '.eslintignore'), '*\n');
    writeFileSync(join(dir, 'hostile', 'server.ts'), `/* eslint-disable */\n// eslint-disable-next-line meshlint/client-per-request\n${SERVER.split('\n').slice(2).join('\n')}`.replace(/^/, `import https from 'node:https';\nimport express from 'express';\n`));
  });
  after(() => cleanup());

  it('gives the same findings with a hostile eslint.config.js, .eslintrc, .eslintignore and eslint-disable comments', () => {
    const clean = JSON.parse(runCli(['check', 'clean', '-f', 'json'], { cwd: dir }).stdout).findings;
    const hostile = runCli(['check', 'hostile', '-f', 'json'], { cwd: dir });
    assert.equal(hostile.stderr, '');
    const strip = (fs: JsonFinding[], shift: number) => fs.map((f) => `${f.line - shift}:${f.column} ${f.ruleId}`);
    assert.ok(clean.length >= 2, JSON.stringify(clean));
    assert.deepEqual(strip(JSON.parse(hostile.stdout).findings, 2), strip(clean, 0));
  });
});

describe('start-up cost', () => {
  it('does not load ESLint or a JS/TS parser when no JS/TS file is given; loads `typescript` only for a file oxc-parser cannot parse', () => {
    const { dir, cleanup } = tempDir('meshlint-lazy-');
    try {
      writeFileSync(join(dir, 'dr.yaml'), 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: x\nspec:\n  host: a.example.com\n');
      writeFileSync(join(dir, 'app.js'), "fetch('http://a.example.com');\n");
      writeFileSync(join(dir, 'app.ts'), "const url: string = 'http://a.example.com';\nfetch(url);\n");
      writeFileSync(join(dir, 'broken.ts'), "const url: = 'http://a.example.com';\n");
      const probe = `
        import { createRequire } from 'node:module';
        const require = createRequire(import.meta.url);
        const { check } = await import(${JSON.stringify(join(ROOT, 'dist', 'src', 'pipeline.js'))});
        await check({ paths: [process.argv[1]], cwd: ${JSON.stringify(dir)}, defaultNamespace: 'default' });
        const keys = Object.keys(require.cache);
        // ESLint loads from the build's engine bundle (src/source/eslint/engine.ts) or, without one, its package;
        // oxc-parser's native binding is a CommonJS require; typescript-estree needs the \`typescript\` package.
        const engine = keys.some((k) => k.endsWith('/dist/bundle/eslint-engine.cjs'));
        console.log(JSON.stringify({ eslint: engine || keys.some((k) => k.includes('/node_modules/eslint/')), oxc: keys.some((k) => k.includes('/@oxc-parser/binding-')), typescript: keys.some((k) => k.includes('/node_modules/typescript/')) }));
      `;
      const run = (path: string) => JSON.parse(spawnSync(process.execPath, ['--input-type=module', '-e', probe, path], { encoding: 'utf8' }).stdout);
      assert.deepEqual(run('dr.yaml'), { eslint: false, oxc: false, typescript: false });
      assert.deepEqual(run('app.js'), { eslint: true, oxc: true, typescript: false }, 'the probe sees ESLint and oxc-parser when they are loaded');
      assert.deepEqual(run('app.ts'), { eslint: true, oxc: true, typescript: false });
      assert.deepEqual(run('broken.ts'), { eslint: true, oxc: true, typescript: true }, 'a syntax error is reported by typescript-estree');
    } finally {
      cleanup();
    }
  });
});

describe('a source file that does not parse', () => {
  it('is a parse-error finding at the syntax error; the other files are still analysed', () => {
    const { dir, cleanup } = tempDir('meshlint-broken-');
    try {
      writeFileSync(join(dir, 'broken.js'), "const express = require('express');\nconst app = express(;\n");
      writeFileSync(join(dir, 'ok.mjs'), "import http from 'node:http';\nexport const agent = new http.Agent({ keepAlive: false });\n");
      const r = runCli(['check', '.', '-f', 'json'], { cwd: dir });
      assert.equal(r.code, 1, 'parse-error is an error by default');
      const findings = JSON.parse(r.stdout).findings as (JsonFinding & { message: string })[];
      assert.deepEqual(findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId}`), ['broken.js:2:21 parse-error', 'ok.mjs:2:39 keepalive-disabled-client']);
      assert.match(findings[0]!.message, /^source file not analysed: Parsing error: /);
      assert.equal(r.stderr, '', 'no stack trace, no run error');
    } finally {
      cleanup();
    }
  });
});
