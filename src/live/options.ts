/**
 * Command-line options of the live part (`audit --prometheus`, `check --prometheus`): where Prometheus is, how to
 * authenticate, and what to query. Secrets are taken from files or the environment, never from a flag's value, so
 * they do not show in `ps` or shell history; no message ever contains them.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { PrometheusConfig } from '../config/types.js';
import type { PrometheusConnection } from './prometheus.js';
import { isLabelName, isPromDuration, type QueryScope } from './queries.js';

/** Parsed values of the options added by {@link addPrometheusOptions}. */
export interface PrometheusFlags {
  prometheus?: string;
  prometheusBearerTokenFile?: string;
  prometheusUsername?: string;
  prometheusPasswordFile?: string;
  prometheusCaFile?: string;
  prometheusInsecureSkipVerify?: boolean;
  /** Seconds. */
  prometheusTimeout?: number;
  prometheusSelector?: Record<string, string>;
  window?: string;
  range?: string;
  /** Unix seconds. */
  at?: number;
  nodeLabel?: string;
}

/** Environment variables read for credentials when no file is given. */
export const TOKEN_ENV = 'MESHLINT_PROMETHEUS_TOKEN';
export const PASSWORD_ENV = 'MESHLINT_PROMETHEUS_PASSWORD';

function duration(flag: string) {
  return (value: string): string => {
    if (!isPromDuration(value.trim())) throw new InvalidArgumentError(`${flag} must be a Prometheus duration such as 5m, 1h or 7d`);
    return value.trim();
  };
}

function seconds(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 30s, 2m or 500ms');
  return Number(m[1]) * (m[2] === 'ms' ? 0.001 : m[2] === 'm' ? 60 : 1);
}

/** `--at 2026-03-02T14:05:00Z` or Unix seconds. */
function instant(value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) throw new InvalidArgumentError('expected an RFC 3339 time (2026-03-02T14:05:00Z) or Unix seconds');
  return ms / 1000;
}

function selector(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  const name = eq > 0 ? value.slice(0, eq).trim() : '';
  if (!isLabelName(name)) throw new InvalidArgumentError(`expected LABEL=VALUE with a Prometheus label name, got "${value}"`);
  return { ...previous, [name]: value.slice(eq + 1) };
}

/** Adds the `--prometheus*`, `--window`, `--range`, `--at` and `--node-label` options to `cmd`. */
export function addPrometheusOptions(cmd: Command, nodes: boolean): Command {
  cmd
    .option('--prometheus <url>', 'Prometheus server to read live request rates from (read-only HTTP API), e.g. http://prometheus.monitoring:9090')
    .option('--prometheus-bearer-token-file <file>', `file holding a bearer token for Prometheus (default: $${TOKEN_ENV})`)
    .option('--prometheus-username <user>', `basic-auth user for Prometheus; the password comes from --prometheus-password-file or $${PASSWORD_ENV}`)
    .option('--prometheus-password-file <file>', 'file holding the basic-auth password')
    .option('--prometheus-ca-file <file>', 'PEM file of the CA that signed Prometheus’s certificate')
    .option('--prometheus-insecure-skip-verify', 'do not verify Prometheus’s TLS certificate (test setups only)')
    .addOption(new Option('--prometheus-timeout <duration>', 'time one query may take (default 30s)').argParser(seconds))
    .option('--prometheus-selector <label=value>', 'label matcher added to every query, e.g. cluster=prod; repeatable', selector)
    .addOption(new Option('--window <duration>', 'rate window of the live request rates (default 5m)').argParser(duration('--window')))
    .addOption(new Option('--range <duration>', 'how far back the peak rate is looked for (default 7d)').argParser(duration('--range')))
    .addOption(new Option('--at <time>', 'evaluate the queries at this time (RFC 3339 or Unix seconds), e.g. when an incident happened; default now').argParser(instant));
  if (nodes) cmd.option('--node-label <label>', 'label of the node-exporter series that names the node: instance (the default), node, kubernetes_node…');
  return cmd;
}

/**
 * The connection and query scope from the flags over the configuration's `prometheus:` block, reading the token or
 * password file (or the environment).
 * @returns undefined when neither `--prometheus` nor the block's `url` is given.
 * @throws InvalidArgumentError-like Error with one line (no secret) when a credential file cannot be read or the
 *   node label is not a label name.
 */
export function prometheusOptionsFrom(
  cli: PrometheusFlags,
  env: Record<string, string | undefined> = process.env,
  configured: PrometheusConfig = {},
): { connection: PrometheusConnection; scope: QueryScope; at?: number } | undefined {
  const flags: PrometheusFlags = {
    prometheus: cli.prometheus ?? configured.url,
    prometheusBearerTokenFile: cli.prometheusBearerTokenFile ?? configured.bearerTokenFile,
    prometheusUsername: cli.prometheusUsername ?? configured.username,
    prometheusPasswordFile: cli.prometheusPasswordFile ?? configured.passwordFile,
    prometheusCaFile: cli.prometheusCaFile ?? configured.caFile,
    prometheusInsecureSkipVerify: cli.prometheusInsecureSkipVerify ?? configured.insecureSkipVerify,
    prometheusTimeout: cli.prometheusTimeout ?? configured.timeoutSeconds,
    prometheusSelector: { ...(configured.selector ?? {}), ...(cli.prometheusSelector ?? {}) },
    window: cli.window ?? configured.window,
    range: cli.range ?? configured.range,
    at: cli.at,
    nodeLabel: cli.nodeLabel ?? configured.nodeLabel,
  };
  if (!flags.prometheus) return undefined;
  const readSecret = (file: string, what: string): string => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new Error(`cannot read the Prometheus ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  };
  const token = flags.prometheusBearerTokenFile ? readSecret(flags.prometheusBearerTokenFile, 'bearer token') : env[TOKEN_ENV] || undefined;
  const password = flags.prometheusPasswordFile ? readSecret(flags.prometheusPasswordFile, 'password') : env[PASSWORD_ENV] || undefined;
  const nodeLabel = flags.nodeLabel ?? 'instance';
  if (!isLabelName(nodeLabel)) throw new Error(`--node-label "${nodeLabel}" is not a Prometheus label name`);
  return {
    connection: {
      url: flags.prometheus,
      ...(token ? { bearerToken: token } : {}),
      ...(flags.prometheusUsername !== undefined ? { username: flags.prometheusUsername, password } : {}),
      ...(flags.prometheusCaFile ? { caFile: flags.prometheusCaFile } : {}),
      ...(flags.prometheusInsecureSkipVerify ? { insecureSkipVerify: true } : {}),
      ...(flags.prometheusTimeout !== undefined ? { timeoutSeconds: flags.prometheusTimeout } : {}),
    },
    scope: { window: flags.window ?? '5m', range: flags.range ?? '7d', selector: flags.prometheusSelector ?? {}, nodeLabel },
    ...(flags.at !== undefined ? { at: flags.at } : {}),
  };
}
