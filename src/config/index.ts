/**
 * meshlint's configuration: discovery and validation (`load.ts`), and the options of one run made from the
 * configuration file and the command-line flags that override it. Flags win: `--rule id:severity` over
 * `rules`, `--rps` over `rps`, `--port-range` over `node.ip_local_port_range`,
 * `--report-unused-disable-directives` over `reportUnusedDisableDirectives`.
 */
import { isAbsolute, resolve } from 'node:path';
import { DEFAULT_MESH_SETTINGS, type MeshSettings } from '../model/mesh.js';
import { hostMatches, hostSpecificity } from '../model/hosts.js';
import type { RouteMultiplier } from '../model/traffic.js';
import { portBudgetFromValues } from '../node/sysctl.js';
import type { RuleSetting } from '../rules/engine.js';
import { allRules } from '../rules/registry.js';
import { DEFAULT_PORT_RANGE_HIGH, DEFAULT_PORT_RANGE_LOW } from '../facts.js';
import type { ConfiguredSeverity } from '../types.js';
import { displayPath, type LoadedConfig } from './load.js';
import type { MeshlintConfig, NodeSettingsInput, PrometheusConfig, RuleEntry, SourceOptions } from './types.js';

export { loadConfig, ConfigError, CONFIG_FILE_NAMES, type LoadedConfig } from './load.js';
export type { MeshlintConfig, NodeSettingsInput, PrometheusConfig, RuleEntry, SourceOptions } from './types.js';

/** Command-line flags that override the configuration for one run. */
export interface CliOverrides {
  /** `--rule id:severity`, repeatable. */
  rules?: ReadonlyMap<string, RuleSetting>;
  /** `--rps N`: one rate (requests/s) for every route. */
  rps?: number;
  /** `--port-range LOW-HIGH` (ports). */
  portRange?: { low: number; high: number };
  /** `--report-unused-disable-directives`. */
  reportUnusedDisableDirectives?: boolean;
  /** `--istio-version` (validated by the CLI). */
  istioVersion?: string;
}

/** Files and directories the run skips: `.gitignore`-syntax patterns relative to `base` (an absolute directory). */
export interface IgnoreSpec {
  base: string;
  patterns: readonly string[];
}

/** The options of one run, from the configuration and the flags (the fields of `CheckOptions` they set). */
export interface RunOptions {
  rules: Map<string, RuleSetting>;
  mesh: Partial<MeshSettings>;
  /** Default request rate, requests/s. */
  rps?: number;
  /** Rate of one route, requests/s, when the configuration gives per-host or per-workload rates. */
  rpsFor?: (route: RouteMultiplier) => number | undefined;
  /** Usable ephemeral ports: `ip_local_port_range` less `ip_local_reserved_ports` inside it. */
  ports?: number;
  node?: NodeSettingsInput;
  source?: SourceOptions;
  ignore?: IgnoreSpec;
  reportUnusedDisableDirectives: boolean;
  /** `--istio-version`: the Istio release whose semantics apply, over everything else. */
  istioVersion?: string;
  /** `istio.version` of the configuration file. */
  istioVersionFromConfig?: string;
  /** The `prometheus:` block, file paths made absolute (against the configuration file's directory). */
  prometheus?: PrometheusConfig;
}

/** A run's configuration: the file it came from, the options, and the effective configuration for `--print-config`. */
export interface RunConfig {
  file: string | null;
  options: RunOptions;
  /** Every key with the value in force (defaults included), valid against `schemas/config.schema.json`. */
  effective: MeshlintConfig;
  /** The `audit` block of the configuration file (`meshlint audit` only; its flags override it). */
  audit: NonNullable<MeshlintConfig['audit']>;
}

/** Splits a rule entry into severity and options. */
function ruleSetting(entry: RuleEntry): RuleSetting {
  if (Array.isArray(entry)) return entry[1] ? { severity: entry[0], options: entry[1] } : { severity: entry[0] };
  return { severity: entry };
}

/**
 * Merges a loaded configuration with the command-line overrides into the options of one run and the
 * effective configuration. Relative `source.workloads[].path` values become absolute (resolved against the
 * configuration file's directory).
 */
export function resolveRunConfig(loaded: LoadedConfig, cli: CliOverrides = {}): RunConfig {
  const config = loaded.config;
  const rules = new Map<string, RuleSetting>();
  for (const [id, entry] of Object.entries(config.rules ?? {})) rules.set(id, ruleSetting(entry));
  for (const [id, setting] of cli.rules ?? []) rules.set(id, { ...(rules.get(id) ?? {}), ...setting, options: setting.options ?? rules.get(id)?.options });

  const mesh: Partial<MeshSettings> = {};
  if (config.mesh?.rootNamespace) mesh.rootNamespace = config.mesh.rootNamespace;
  if (config.mesh?.clusterDomain) mesh.clusterDomain = config.mesh.clusterDomain;
  // A defaultHttpRetryPolicy without attempts retries nothing, as a route's retries block without attempts does (istio/istio `pilot/pkg/networking/core/route/retry/retry.go`, `ConvertPolicy`).
  if (config.mesh?.defaultHttpRetryPolicy) mesh.defaultRetryAttempts = config.mesh.defaultHttpRetryPolicy.attempts ?? 0;
  if (config.mesh?.h2UpgradePolicy) mesh.h2UpgradePolicy = config.mesh.h2UpgradePolicy;

  const node: NodeSettingsInput = { ...(config.node ?? {}) };
  if (cli.portRange) node.ip_local_port_range = `${cli.portRange.low} ${cli.portRange.high}`;
  const from = loaded.file ? displayPath(loaded.file, process.cwd()) : 'configuration';
  let ports: number | undefined;
  // Only --port-range overrides every route's budget; the configuration's node block feeds the node settings (AnalysisOptions.node), which sysctls read from the input also feed.
  if (cli.portRange) {
    ports = portBudgetFromValues({
      ip_local_port_range: node.ip_local_port_range !== undefined ? { value: node.ip_local_port_range, from: cli.portRange ? '--port-range' : from } : undefined,
      ip_local_reserved_ports: node.ip_local_reserved_ports !== undefined ? { value: node.ip_local_reserved_ports, from } : undefined,
    }).usable;
  }

  const source: SourceOptions | undefined = config.source
    ? {
        ...(config.source.workloads ? { workloads: config.source.workloads.map((w) => ({ ...w, path: isAbsolute(w.path) ? w.path : resolve(loaded.dir, w.path) })) } : {}),
        ...(config.source.envHosts ? { envHosts: { ...config.source.envHosts } } : {}),
        ...(config.source.timeoutSeconds !== undefined ? { timeoutSeconds: config.source.timeoutSeconds } : {}),
        ...(config.source.maxHeapMiB !== undefined ? { maxHeapMiB: config.source.maxHeapMiB } : {}),
      }
    : undefined;

  const rpsConfig = cli.rps !== undefined ? { default: cli.rps } : config.rps;
  const options: RunOptions = {
    rules,
    mesh,
    rps: rpsConfig?.default,
    rpsFor: rateFunction(rpsConfig),
    ports,
    node: Object.keys(node).length ? node : undefined,
    source,
    ignore: config.ignorePatterns?.length ? { base: loaded.dir, patterns: config.ignorePatterns } : undefined,
    reportUnusedDisableDirectives: cli.reportUnusedDisableDirectives ?? config.reportUnusedDisableDirectives ?? false,
    ...(cli.istioVersion !== undefined ? { istioVersion: cli.istioVersion } : {}),
    ...(config.istio?.version !== undefined ? { istioVersionFromConfig: config.istio.version } : {}),
    ...(config.prometheus ? { prometheus: prometheusWithPaths(config.prometheus, loaded.dir) } : {}),
  };
  return { file: loaded.file, options, effective: effectiveConfig(config, options, rpsConfig), audit: { ...(config.audit ?? {}) } };
}

/**
 * The rate of a route from the `rps` block: the most specific `hosts` entry matching the route's host, else
 * the sum of the `workloads` entries in the route's client namespace, else undefined (the caller's default).
 * Returns undefined when there are no per-host or per-workload entries.
 */
export function rateFunction(rps: MeshlintConfig['rps']): ((route: Pick<RouteMultiplier, 'host' | 'clientNamespace'>) => number | undefined) | undefined {
  const hosts = Object.entries(rps?.hosts ?? {}).map(([h, r]) => ({ pattern: h.toLowerCase(), rate: r }));
  hosts.sort((a, b) => hostSpecificity(b.pattern) - hostSpecificity(a.pattern));
  const byNamespace = new Map<string, number>();
  for (const [key, rate] of Object.entries(rps?.workloads ?? {})) {
    const ns = key.slice(0, key.indexOf('/'));
    byNamespace.set(ns, (byNamespace.get(ns) ?? 0) + rate);
  }
  if (!hosts.length && !byNamespace.size) return undefined;
  return (route) => hosts.find((h) => hostMatches(h.pattern, route.host))?.rate ?? byNamespace.get(route.clientNamespace) ?? rps?.default;
}

function effectiveConfig(config: MeshlintConfig, options: RunOptions, rps: MeshlintConfig['rps']): MeshlintConfig {
  const rules: Record<string, RuleEntry> = {};
  for (const rule of allRules()) {
    const setting = options.rules.get(rule.meta.id);
    const severity: ConfiguredSeverity = setting?.severity ?? rule.meta.defaultSeverity;
    const ruleOptions = { ...rule.meta.defaultOptions, ...(setting?.options ?? {}) };
    rules[rule.meta.id] = Object.keys(ruleOptions).length ? [severity, ruleOptions] : severity;
  }
  const mesh = { ...DEFAULT_MESH_SETTINGS, ...options.mesh };
  const out: MeshlintConfig = {
    rules,
    ignorePatterns: [...(config.ignorePatterns ?? [])],
    reportUnusedDisableDirectives: options.reportUnusedDisableDirectives,
    node: {
      ip_local_port_range: options.node?.ip_local_port_range ?? `${DEFAULT_PORT_RANGE_LOW} ${DEFAULT_PORT_RANGE_HIGH}`,
      ip_local_reserved_ports: options.node?.ip_local_reserved_ports ?? '',
      ...(options.node?.tcp_tw_reuse !== undefined ? { tcp_tw_reuse: options.node.tcp_tw_reuse } : {}),
    },
    mesh: {
      rootNamespace: mesh.rootNamespace,
      clusterDomain: mesh.clusterDomain,
      defaultHttpRetryPolicy: { ...(config.mesh?.defaultHttpRetryPolicy ?? {}), attempts: mesh.defaultRetryAttempts },
      h2UpgradePolicy: mesh.h2UpgradePolicy,
    },
  };
  if (rps) out.rps = rps;
  if (options.prometheus) out.prometheus = options.prometheus;
  if (options.source) out.source = options.source;
  // Without either, the version comes from the input (install objects) or the default: not a configuration value.
  const istioVersion = options.istioVersion ?? options.istioVersionFromConfig;
  if (istioVersion !== undefined) out.istio = { version: istioVersion };
  if (config.audit) out.audit = { ...config.audit };
  return out;
}

/** The `prometheus:` block with its file paths resolved against `dir` (the configuration file's directory). */
function prometheusWithPaths(block: PrometheusConfig, dir: string): PrometheusConfig {
  const out: PrometheusConfig = { ...block };
  for (const key of ['bearerTokenFile', 'passwordFile', 'caFile'] as const) {
    const file = out[key];
    if (file !== undefined && !isAbsolute(file)) out[key] = resolve(dir, file);
  }
  return out;
}
