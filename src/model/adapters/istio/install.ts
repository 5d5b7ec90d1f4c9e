/**
 * What the input says about the Istio installation itself: which release runs, the istiod switches that change
 * retries, and the mesh config when it is written in an `IstioOperator` (`install.istio.io/v1alpha1`,
 * `spec.meshConfig`) rather than in the `istio` ConfigMap.
 *
 * Where the version comes from, first found wins:
 * 1. the istiod Deployment (a container named `discovery`): the image tag (`docker.io/istio/pilot:1.24.3`),
 *    what actually runs;
 * 2. an `IstioOperator`: `spec.tag`, else `spec.values.global.tag`;
 * 3. the `istio` ConfigMap's Helm labels: `app.kubernetes.io/version`, else `helm.sh/chart` (`istiod-1.24.3`)
 *    (istio/istio `manifests/charts/istio-control/istio-discovery/templates/zzz_profile.yaml`, `istio.labels`).
 * The switches (`EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY`, `ENABLE_INBOUND_RETRY_POLICY`) come from the istiod
 * container's `env`, else the IstioOperator's `spec.values.pilot.env`; a `compatibilityVersion` (IstioOperator
 * `spec.compatibilityVersion` or `spec.values.compatibilityVersion`) sets them as that release's profile does.
 */
import type { ManifestObject } from '../../../load/objects.js';
import type { FieldPath } from '../../../types.js';
import { ISTIO_DEFAULT_ROOT_NAMESPACE } from '../../../facts.js';
import type { MeshSettings } from '../../mesh.js';
import { type MeshConfigProblem, findMeshConfigMap, meshSettingsFromMeshConfig } from '../../mesh-config.js';
import { asArray, asRecord, asString, dig } from '../../values.js';
import {
  compareIstioMinor,
  compatibilityFlags,
  defaultVersionSource,
  formatIstioVersion,
  type IstioFeatureFlags,
  type IstioSemantics,
  type IstioVersion,
  istioSemantics,
  NEWEST_MODELLED_ISTIO,
  parseFlag,
  parseIstioVersion,
} from './versions.js';

/** The `IstioOperator` kinds meshlint reads (`istioctl install -f`, the operator's `installed-state` copy). */
export function isIstioOperator(object: ManifestObject): boolean {
  return object.ref.kind === 'IstioOperator' && object.group === 'install.istio.io';
}

/** A fact about the install read from the input, with the field it came from. */
export interface InstallFact<T> {
  value: T;
  object: ManifestObject;
  path: FieldPath;
  /** e.g. `IstioOperator istio-system/installed-state spec.tag 1.24.3`. */
  text: string;
}

/** A value of an install object meshlint cannot use: reported as `schema-invalid` at `path` of `object`. */
export interface InstallProblem {
  object: ManifestObject;
  path: FieldPath;
  message: string;
}

/** What {@link readIstioInstall} found. */
export interface IstioInstall {
  /** The release the input's install objects name, when one does. */
  version?: InstallFact<IstioVersion>;
  /** Switches the install sets (each with where), and the compatibility profile if any. */
  flags: { [K in keyof IstioFeatureFlags]?: InstallFact<boolean> };
  compatibilityVersion?: InstallFact<IstioVersion>;
  /** The IstioOperator whose `spec.meshConfig` was read (only when the input has no `istio` ConfigMap). */
  meshConfigFrom?: ManifestObject;
  /** Mesh settings from that `spec.meshConfig`. */
  meshSettings: Partial<MeshSettings>;
  problems: InstallProblem[];
}

const FLAG_ENV: Record<keyof IstioFeatureFlags, string> = {
  exclude503FromDefaultRetry: 'EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY',
  enableInboundRetryPolicy: 'ENABLE_INBOUND_RETRY_POLICY',
};

/**
 * Reads the install facts of `objects` (see the module comment). An `IstioOperator`'s `spec.meshConfig` is read
 * like the `istio` ConfigMap, but only when the input has no such ConfigMap (the ConfigMap is what istiod
 * reads; an IstioOperator is how it was generated). Never throws; unusable values are `problems`.
 */
export function readIstioInstall(objects: readonly ManifestObject[]): IstioInstall {
  const install: IstioInstall = { flags: {}, meshSettings: {}, problems: [] };
  const operators = objects.filter(isIstioOperator);
  const operator = operators.find((o) => o.ref.namespace === ISTIO_DEFAULT_ROOT_NAMESPACE) ?? operators[0];
  const istiod = findIstiod(objects);
  const configMap = findMeshConfigMap(objects);

  const version = (value: unknown, object: ManifestObject, path: FieldPath, label: string): InstallFact<IstioVersion> | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    const parsed = parseIstioVersion(value);
    if ('error' in parsed) {
      install.problems.push({ object, path, message: `${label}: ${parsed.error}; the Istio version is taken from elsewhere` });
      return undefined;
    }
    return { value: parsed.version, object, path, text: `${label} ${formatIstioVersion(parsed.version)}` };
  };

  if (istiod) {
    const image = asString(dig(istiod.object.raw, ...istiod.containerPath, 'image'));
    const tag = image ? imageTag(image) : undefined;
    if (tag) {
      const parsed = parseIstioVersion(tag);
      // A digest or a custom tag says nothing about the release: not a problem, just no version from here.
      if (!('error' in parsed)) install.version = { value: parsed.version, object: istiod.object, path: [...istiod.containerPath, 'image'], text: `istiod image ${image} (${describe(istiod.object)})` };
    }
    asArray(dig(istiod.object.raw, ...istiod.containerPath, 'env')).forEach((entry, i) => {
      const name = asString(dig(entry, 'name'));
      const key = (Object.keys(FLAG_ENV) as (keyof IstioFeatureFlags)[]).find((k) => FLAG_ENV[k] === name);
      if (!key) return;
      const value = parseFlag(dig(entry, 'value'));
      const path: FieldPath = [...istiod.containerPath, 'env', i, 'value'];
      if (value === undefined) install.problems.push({ object: istiod.object, path, message: `${describe(istiod.object)}: ${name} must be true or false; Istio's default is assumed` });
      else install.flags[key] = { value, object: istiod.object, path, text: `${name}=${value} (${describe(istiod.object)})` };
    });
  }

  if (operator) {
    const label = describe(operator);
    install.version ??= version(dig(operator.raw, 'spec', 'tag'), operator, ['spec', 'tag'], `${label} spec.tag`) ?? version(dig(operator.raw, 'spec', 'values', 'global', 'tag'), operator, ['spec', 'values', 'global', 'tag'], `${label} spec.values.global.tag`);
    const env = asRecord(dig(operator.raw, 'spec', 'values', 'pilot', 'env')) ?? {};
    for (const key of Object.keys(FLAG_ENV) as (keyof IstioFeatureFlags)[]) {
      if (install.flags[key] || env[FLAG_ENV[key]] === undefined) continue;
      const value = parseFlag(env[FLAG_ENV[key]]);
      const path: FieldPath = ['spec', 'values', 'pilot', 'env', FLAG_ENV[key]];
      if (value === undefined) install.problems.push({ object: operator, path, message: `${label}: ${FLAG_ENV[key]} must be true or false; Istio's default is assumed` });
      else install.flags[key] = { value, object: operator, path, text: `${FLAG_ENV[key]}=${value} (${label} spec.values.pilot.env)` };
    }
    install.compatibilityVersion =
      version(dig(operator.raw, 'spec', 'compatibilityVersion'), operator, ['spec', 'compatibilityVersion'], `${label} spec.compatibilityVersion`) ??
      version(dig(operator.raw, 'spec', 'values', 'compatibilityVersion'), operator, ['spec', 'values', 'compatibilityVersion'], `${label} spec.values.compatibilityVersion`);
    const meshConfig = dig(operator.raw, 'spec', 'meshConfig');
    if (!configMap && meshConfig !== undefined && meshConfig !== null) {
      const record = asRecord(meshConfig);
      if (!record) install.problems.push({ object: operator, path: ['spec', 'meshConfig'], message: `${label}: spec.meshConfig must be a mapping (a MeshConfig); mesh config defaults are assumed` });
      else {
        const rootNamespace = asString(dig(operator.raw, 'spec', 'namespace')) || operator.ref.namespace || ISTIO_DEFAULT_ROOT_NAMESPACE;
        const read = meshSettingsFromMeshConfig(record, { object: operator, path: ['spec', 'meshConfig'], where: label, rootNamespace });
        install.meshSettings = read.settings;
        install.meshConfigFrom = operator;
        for (const p of read.problems as MeshConfigProblem[]) install.problems.push({ object: operator, path: p.path, message: p.message });
      }
    }
  }

  if (configMap && !install.version) {
    const labels = asRecord(dig(configMap.raw, 'metadata', 'labels')) ?? {};
    const label = describe(configMap);
    install.version =
      version(labels['app.kubernetes.io/version'], configMap, ['metadata', 'labels', 'app.kubernetes.io/version'], `${label} label app.kubernetes.io/version`) ??
      (typeof labels['helm.sh/chart'] === 'string' && labels['helm.sh/chart'].startsWith('istiod')
        ? version(labels['helm.sh/chart'], configMap, ['metadata', 'labels', 'helm.sh/chart'], `${label} label helm.sh/chart`)
        : undefined);
  }
  return install;
}

/** The flags the install sets, with a compatibility profile applied under explicit switches (explicit ones win). */
export function installFlags(install: IstioInstall): IstioFeatureFlags {
  const flags: IstioFeatureFlags = install.compatibilityVersion ? compatibilityFlags(install.compatibilityVersion.value) : {};
  for (const key of Object.keys(FLAG_ENV) as (keyof IstioFeatureFlags)[]) {
    const fact = install.flags[key];
    if (fact) flags[key] = fact.value;
  }
  return flags;
}

/** The istiod Deployment of the input: a Deployment in any namespace with a container named `discovery`. */
function findIstiod(objects: readonly ManifestObject[]): { object: ManifestObject; containerPath: FieldPath } | undefined {
  let found: { object: ManifestObject; containerPath: FieldPath } | undefined;
  for (const object of objects) {
    if (object.ref.kind !== 'Deployment') continue;
    const containers = asArray(dig(object.raw, 'spec', 'template', 'spec', 'containers'));
    const i = containers.findIndex((c) => asString(dig(c, 'name')) === 'discovery');
    if (i < 0) continue;
    const candidate = { object, containerPath: ['spec', 'template', 'spec', 'containers', i] as FieldPath };
    if (object.ref.namespace === ISTIO_DEFAULT_ROOT_NAMESPACE) return candidate;
    found ??= candidate;
  }
  return found;
}

/** The tag of an image reference (`registry:5000/istio/pilot:1.24.3` → `1.24.3`); undefined for a digest or no tag. */
function imageTag(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : undefined;
}

function describe(object: ManifestObject): string {
  return `${object.ref.kind} ${object.ref.namespace}/${object.ref.name}`;
}

/**
 * The semantics of the run: the release named by `--istio-version` (`cli`), else `istio.version` of the
 * configuration file (`config`), else the input's install objects, else the newest modelled release; with the
 * install's switches. `cli` and `config` are validated where they are read (the CLI and the configuration
 * loader); an unreadable value here is ignored.
 */
export function chooseIstioSemantics(install: IstioInstall, stated: { cli?: string; config?: string } = {}): IstioSemantics {
  const flags = installFlags(install);
  const notes: string[] = [];
  const fromText = (text: string | undefined) => (text === undefined ? undefined : parseIstioVersion(text));
  const cli = fromText(stated.cli);
  const config = fromText(stated.config);
  let semantics: IstioSemantics;
  if (cli && 'version' in cli) semantics = istioSemantics(cli.version, { kind: 'cli', text: `--istio-version ${stated.cli}` }, flags);
  else if (config && 'version' in config) semantics = istioSemantics(config.version, { kind: 'config', text: `istio.version ${stated.config} (configuration file)` }, flags);
  else if (install.version) semantics = istioSemantics(install.version.value, { kind: 'input', text: install.version.text }, flags);
  else semantics = istioSemantics(NEWEST_MODELLED_ISTIO, defaultVersionSource(), flags);
  if (install.version && semantics.source.kind !== 'input' && compareIstioMinor(install.version.value, semantics.version) !== 0) {
    notes.push(`${semantics.source.text} is used, although the input says ${install.version.text}`);
  }
  if (install.compatibilityVersion) notes.push(`${install.compatibilityVersion.text}: that release's retry behaviour where the install does not set the switches itself`);
  for (const fact of Object.values(install.flags)) if (fact) notes.push(`${fact.text}`);
  for (const note of notes) semantics.notes.push(note);
  return semantics;
}
