import assert from 'node:assert/strict';
import { it } from 'node:test';
import { findingsOf, ruleTester } from '../helpers/rule-tester.js';

const DR = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: payments\nspec:\n  host: payments\n';

ruleTester('input-not-rendered', {
  valid: [
    { name: 'plain manifests', files: { 'k8s/dr.yaml': DR } },
    { name: 'near miss: a file named like a kustomization but not one', files: { 'k8s/kustomization-notes.yaml': DR } },
    { name: 'near miss: a ConfigMap holding a kustomization as text', files: { 'k8s/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: k\ndata:\n  kustomization.yaml: "kind: Kustomization"\n' } },
    { name: 'near miss: a Kustomization of Flux (another API group) is an object, not a kustomize input', files: { 'k8s/flux.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n' } },
    { name: 'near miss: a templates directory without a Chart.yaml above it', files: { 'k8s/templates/dr.yaml': DR } },
    { name: 'off', files: { 'base/kustomization.yaml': 'resources: [dr.yaml]\n', 'base/dr.yaml': DR }, check: { rules: new Map([['input-not-rendered', { severity: 'off' }]]) } },
  ],
  invalid: [
    { name: 'a kustomization met while walking, kind-less', files: { 'base/kustomization.yaml': 'resources: [dr.yaml]\n', 'base/dr.yaml': DR }, errors: [{ line: 1, column: 1, message: /Kustomization not built/, severity: 'warn' }] },
    { name: 'kustomization.yml and Kustomization are kustomization files too', files: { 'a/kustomization.yml': 'resources: []\n', 'b/Kustomization': 'resources: []\n', 'a/dr.yaml': DR }, errors: [{ line: 1 }, { line: 1 }] },
    {
      name: 'a Kustomization object in a file of another name, at its document',
      files: { 'k8s/all.yaml': `${DR}---\n# the overlay\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n` },
      errors: [{ line: 9, message: /Kustomization not built/ }],
    },
    { name: 'a chart met while walking, at its Chart.yaml', files: { 'charts/shop/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 0.1.0\n', 'charts/shop/templates/dr.yaml': 'metadata:\n{{- if .Values.x }}\n  name: y\n{{- end }}\n', 'k8s/dr.yaml': DR }, errors: [{ line: 1, message: /Helm chart not rendered/ }] },
  ],
});

it('input-not-rendered: a chart met while walking is not read as YAML (no parse-error per template)', async () => {
  const files = { 'charts/shop/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 0.1.0\n', 'charts/shop/templates/dr.yaml': 'metadata:\n{{- if .Values.x }}\n  name: y\n{{- end }}\n', 'k8s/dr.yaml': DR };
  assert.deepEqual(await findingsOf('parse-error', { name: 'chart', files }), []);
  const [finding] = await findingsOf('input-not-rendered', { name: 'chart', files });
  assert.match(finding!.location.file, /charts\/shop\/Chart\.yaml$/);
  assert.match(finding!.hint!, /--helm-chart .*charts\/shop/);
});
