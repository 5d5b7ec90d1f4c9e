import { ruleTester } from '../helpers/rule-tester.js';

ruleTester('parse-error', {
  valid: [
    { name: 'multi-document YAML', yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n' },
    { name: 'JSON manifest', yaml: '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}' },
    { name: 'near miss: {{ }} inside a string value is valid YAML', yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tpl\ndata:\n  t: "{{ .Values.x }}"\n' },
    { name: 'a few aliases are fine', yaml: 'a: &x {k: 1}\nb: *x\nc: *x\n' },
  ],
  invalid: [
    { name: 'bad indentation', yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n   bad: indent\n', errors: [{ line: 5, message: /invalid YAML/ }] },
    { name: 'Helm template: line and a hint', yaml: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n{{- if .Values.enabled }}\nspec: {}\n{{- end }}\n', errors: [{ line: 5, message: /invalid YAML/ }] },
    { name: 'duplicate key', yaml: 'apiVersion: v1\nkind: Namespace\nkind: Pod\n', errors: [{ line: 3, message: /duplicated mapping key/ }] },
    {
      name: 'alias bomb',
      yaml: 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n',
      errors: [{ line: 1, message: /alias bomb/ }],
    },
  ],
});
