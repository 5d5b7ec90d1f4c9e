import type { ConfiguredSeverity } from '../types.js';

/** A rule's entry in `rules`: a severity, or `[severity, options]` (ESLint style). */
export type RuleEntry = ConfiguredSeverity | [ConfiguredSeverity] | [ConfiguredSeverity, Record<string, unknown>];

/**
 * A meshlint configuration file's content, as `schemas/config.schema.json` describes it (docs/configuration.md).
 * Every key is optional.
 */
export interface MeshlintConfig {
  $schema?: string;
  rules?: Record<string, RuleEntry>;
  /** .gitignore-syntax patterns, relative to the configuration file's directory. */
  ignorePatterns?: string[];
  reportUnusedDisableDirectives?: boolean;
  /** Expected request rates, requests/s. */
  rps?: { default?: number; hosts?: Record<string, number>; workloads?: Record<string, number> };
  /** Node kernel settings, as sysctl writes them. */
  node?: NodeSettingsInput;
  mesh?: {
    rootNamespace?: string;
    clusterDomain?: string;
    defaultHttpRetryPolicy?: { attempts?: number; perTryTimeout?: string; retryOn?: string; retryRemoteLocalities?: boolean };
    h2UpgradePolicy?: 'DO_NOT_UPGRADE' | 'UPGRADE';
  };
  source?: SourceOptions;
  /** The Istio release whose semantics apply (`1.24`, `1.24.3`); `--istio-version` wins over it (docs/istio-semantics.md). */
  istio?: { version?: string };
  /** `meshlint audit`: bounds of each list (issue 14: a server that never stops paginating). */
  audit?: { maxListPages?: number; maxListItems?: number };
  /** Where `--prometheus` reads live rates from, and how (flags win; secrets only from files). */
  prometheus?: PrometheusConfig;
}

/**
 * The configuration's `prometheus:` block: the same settings as the `--prometheus*`, `--window`, `--range` and
 * `--node-label` flags. Credentials are named by file only, so a configuration file never holds a secret; relative
 * file paths are relative to the configuration file's directory.
 */
export interface PrometheusConfig {
  url?: string;
  bearerTokenFile?: string;
  username?: string;
  passwordFile?: string;
  caFile?: string;
  insecureSkipVerify?: boolean;
  /** Seconds one query may take. */
  timeoutSeconds?: number;
  /** Label matchers added to every query, e.g. `{ cluster: prod }`. */
  selector?: Record<string, string>;
  window?: string;
  range?: string;
  nodeLabel?: string;
}

/**
 * Node settings given by the user (configuration file `node:` block, or `--port-range`): the values of
 * `net.ipv4.ip_local_port_range` (`"LOW HIGH"`), `net.ipv4.ip_local_reserved_ports` (`"30000-32767,8080"`)
 * and `net.ipv4.tcp_tw_reuse` (0, 1, 2), as the kernel's ip-sysctl documentation writes them.
 */
export interface NodeSettingsInput {
  ip_local_port_range?: string;
  ip_local_reserved_ports?: string;
  tcp_tw_reuse?: number;
}

/** Hints that link application source to workloads and hosts: the pipeline's type (`source` of the configuration). */
import type { SourceOptions } from '../source/options.js';
export type { SourceOptions };
