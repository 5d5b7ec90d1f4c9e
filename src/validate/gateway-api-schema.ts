/**
 * Validation of Gateway API objects (`gateway.networking.k8s.io` HTTPRoute, GRPCRoute, Gateway, GatewayClass,
 * ReferenceGrant; `gateway.networking.x-k8s.io` XBackendTrafficPolicy) with the validators compiled from the
 * published Gateway API CRDs by `@kubernetes-models/gateway-api` (2.0.0: Gateway API v1.3 standard and
 * experimental channels, including HTTPRoute `retry` and XBackendTrafficPolicy `retryConstraint`).
 *
 * Cost model: nothing is loaded until the first Gateway API object is validated; each kind's validator module
 * is loaded once. The package is ESM-only with an `import`-only exports map: its `_schemas/<Name>.js` files are
 * loaded synchronously with `require` (Node.js ≥ 20.19 loads ES modules with `require`) by file path.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { SchemaIssue } from './istio-schema.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}
type Validate = ((value: unknown) => boolean) & { errors?: AjvError[] | null };

const requireModule = createRequire(import.meta.url);
let schemaDir: URL | null | undefined;
const validators = new Map<string, Validate | null>();

/** `_schemas/` of the installed package, or null when it is not installed. */
function schemas(): URL | null {
  if (schemaDir !== undefined) return schemaDir;
  try {
    schemaDir = new URL('./_schemas/', import.meta.resolve('@kubernetes-models/gateway-api'));
  } catch {
    schemaDir = null;
  }
  return schemaDir;
}

/** The validator of `group/version` `kind`, or null when the package defines none (the kind is not served in that version). */
function validatorFor(group: string, version: string, kind: string): Validate | null {
  const name = `IoK8sSigsGatewayApiApis${group === 'gateway.networking.x-k8s.io' ? 'x' : ''}${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}.js`;
  if (validators.has(name)) return validators.get(name)!;
  const dir = schemas();
  const file = dir ? fileURLToPath(new URL(name, dir)) : undefined;
  const validate = file && existsSync(file) ? ((requireModule(file) as { validate: Validate }).validate ?? null) : null;
  validators.set(name, validate);
  return validate;
}

/** JSON pointer (`/spec/rules/0/retry`) → field path (`['spec', 'rules', 0, 'retry']`). */
function pointerPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** One sentence for one ajv error, naming the field. */
function describe(error: AjvError): SchemaIssue {
  const path = pointerPath(error.instancePath);
  const field = path.length ? path.join('.') : 'the object';
  const p = error.params;
  switch (error.keyword) {
    case 'required':
      return { path, message: `${field} lacks required field ${String(p.missingProperty)}` };
    case 'additionalProperties':
      return { path: [...path, String(p.additionalProperty)], message: `${[...path, String(p.additionalProperty)].join('.')} is not a field of ${field}` };
    case 'type':
      return { path, message: `${field} must be ${String(p.type)}` };
    case 'enum':
      return { path, message: `${field} must be one of ${(p.allowedValues as unknown[] | undefined)?.join(', ') ?? 'the allowed values'}` };
    case 'pattern':
      return { path, message: `${field} must match ${String(p.pattern)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `${field} must be ${String(p.comparison)} ${String(p.limit)}` };
    case 'minItems':
    case 'maxItems':
    case 'minLength':
    case 'maxLength':
      return { path, message: `${field} must have ${error.keyword.startsWith('min') ? 'at least' : 'at most'} ${String(p.limit)} ${error.keyword.endsWith('Items') ? 'items' : 'characters'}` };
    default:
      return { path, message: `${field} fails ${error.keyword} ${JSON.stringify(p)}` };
  }
}

/**
 * Validates one Gateway API object. Returns its schema issues (`[]` when valid), or null when the package has no
 * schema for that apiVersion/kind (not served there) or is not installed. Issues are deduplicated by field and message.
 */
export function validateGatewayApiObject(group: string, version: string, kind: string, raw: unknown): SchemaIssue[] | null {
  const validate = validatorFor(group, version, kind);
  if (!validate) return null;
  if (validate(raw)) return [];
  const seen = new Set<string>();
  const issues: SchemaIssue[] = [];
  for (const error of validate.errors ?? []) {
    const issue = describe(error);
    const k = `${issue.path.join('.')}|${issue.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    issues.push(issue);
  }
  return issues;
}
