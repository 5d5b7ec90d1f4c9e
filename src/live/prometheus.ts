/**
 * A read-only client of the Prometheus HTTP API (`/api/v1/query`, documented at
 * https://prometheus.io/docs/prometheus/latest/querying/api/): instant queries sent as a form-encoded POST (so a long
 * expression never meets a URL length limit), answered with the JSON envelope
 * `{ status: "success" | "error", data: { resultType, result }, errorType, error, warnings }`.
 *
 * HTTP goes through `undici` (the Node.js project's HTTP client): one keep-alive connection pool per client, the
 * server's CA or `insecureSkipVerify` for TLS, a bearer token or basic auth. Credentials are never part of an error
 * message: every message is built here from the status and the URL without userinfo, never from a request header.
 */
import { readFileSync } from 'node:fs';
import { Agent, errors as undiciErrors, request } from 'undici';
import { printableUrl } from './url.js';

/** How to reach Prometheus (flags `--prometheus*` or the configuration's `prometheus:` block). */
export interface PrometheusConnection {
  /** Base URL, e.g. `http://prometheus.monitoring:9090` or `https://thanos.example.com/prometheus` (a path prefix is kept). */
  url: string;
  /** Sent as `Authorization: Bearer …`. */
  bearerToken?: string;
  /** Basic auth user and password. */
  username?: string;
  password?: string;
  /** PEM file of the CA that signed the server's certificate. */
  caFile?: string;
  /** Do not verify the server's certificate (test clusters only). */
  insecureSkipVerify?: boolean;
  /** Seconds one query may take, sent as Prometheus's `timeout` parameter and enforced on the HTTP exchange; default 30. */
  timeoutSeconds?: number;
}

/** One element of an instant vector: its labels and value. */
export interface VectorSample {
  labels: Record<string, string>;
  value: number;
}

/** Why a query failed: each has one line for the user (see {@link PrometheusError}). */
export type PrometheusFailure = 'unreachable' | 'unauthorized' | 'forbidden' | 'timeout' | 'bad-query' | 'bad-response';

/**
 * A query failed. `message` is one line naming the server (without credentials) and the reason; the audit prints it
 * and goes on with the static analysis (exit code as documented in docs/audit.md).
 */
export class PrometheusError extends Error {
  constructor(
    readonly failure: PrometheusFailure,
    message: string,
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

/** Default query timeout, seconds (Prometheus's own `-query.timeout` default is 2m; an audit should not wait that long). */
export const DEFAULT_QUERY_TIMEOUT_SECONDS = 30;

/**
 * A Prometheus server to query. Create one per run and `close()` it after the last query.
 * @throws PrometheusError (`bad-query`) from the constructor when the URL is not http(s) or the CA file is unreadable.
 */
export class PrometheusClient {
  private readonly base: URL;
  private readonly agent: Agent;
  private readonly authorization?: string;
  private readonly timeoutSeconds: number;
  /** Where queries go, as printed in messages. */
  readonly server: string;

  constructor(connection: PrometheusConnection) {
    let base: URL;
    try {
      base = new URL(connection.url);
    } catch {
      throw new PrometheusError('bad-query', `--prometheus: "${printableUrl(connection.url, '<invalid Prometheus URL>')}" is not a URL (expected http://host:9090)`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new PrometheusError('bad-query', `--prometheus: expected an http or https URL, got ${base.protocol}`);
    this.server = printableUrl(connection.url, '<invalid Prometheus URL>');
    const user = connection.username ?? (base.username ? decodeURIComponent(base.username) : undefined);
    const password = connection.password ?? (base.password ? decodeURIComponent(base.password) : undefined);
    base.username = '';
    base.password = '';
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    if (connection.bearerToken) this.authorization = `Bearer ${connection.bearerToken}`;
    else if (user !== undefined) this.authorization = `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
    let ca: string | undefined;
    if (connection.caFile) {
      try {
        ca = readFileSync(connection.caFile, 'utf8');
      } catch (error) {
        throw new PrometheusError('bad-query', `cannot read the Prometheus CA file ${connection.caFile}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
      }
    }
    this.timeoutSeconds = connection.timeoutSeconds ?? DEFAULT_QUERY_TIMEOUT_SECONDS;
    const ms = Math.ceil(this.timeoutSeconds * 1000);
    this.agent = new Agent({ connect: { ...(ca ? { ca } : {}), rejectUnauthorized: !connection.insecureSkipVerify, timeout: Math.min(ms, 10_000) }, headersTimeout: ms, bodyTimeout: ms, connections: 8 });
  }

  /**
   * Evaluates `expr` at `time` (Unix seconds; the server's now when undefined) and returns the instant vector.
   * A scalar result is returned as one sample without labels.
   * @throws PrometheusError: `unreachable` (connection refused, DNS, TLS), `unauthorized` (401), `forbidden` (403),
   *   `timeout` (no answer in time, or Prometheus's own 503 timeout), `bad-query` (400/422: the expression was
   *   rejected), `bad-response` (anything else).
   */
  async query(expr: string, time?: number): Promise<VectorSample[]> {
    const body = new URLSearchParams({ query: expr, timeout: `${this.timeoutSeconds}s` });
    if (time !== undefined) body.set('time', String(time));
    const url = new URL('api/v1/query', this.base);
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(this.authorization ? { authorization: this.authorization } : {}) },
        body: body.toString(),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw this.transportFailure(error);
    }
    if (status === 401) throw new PrometheusError('unauthorized', `Prometheus at ${this.server} rejected the credentials (HTTP 401): check --prometheus-bearer-token-file / --prometheus-username`);
    if (status === 403) throw new PrometheusError('forbidden', `Prometheus at ${this.server} refused the query (HTTP 403): the credentials may not read this data`);
    let envelope: { status?: string; data?: { resultType?: string; result?: unknown }; errorType?: string; error?: string };
    try {
      envelope = JSON.parse(text) as typeof envelope;
    } catch {
      throw new PrometheusError('bad-response', `${this.server} answered HTTP ${status} with something that is not the Prometheus API's JSON (is the URL the Prometheus server, with its path prefix?)`);
    }
    if (envelope.status !== 'success') {
      const reason = oneLine(String(envelope.error ?? 'no error message'));
      if (envelope.errorType === 'timeout' || status === 503) throw new PrometheusError('timeout', `Prometheus at ${this.server} timed out evaluating a query (${reason}); raise --prometheus-timeout or narrow --range`);
      if (status === 400 || status === 422 || envelope.errorType === 'bad_data' || envelope.errorType === 'execution') throw new PrometheusError('bad-query', `Prometheus at ${this.server} rejected a query (${envelope.errorType ?? status}: ${reason})`);
      throw new PrometheusError('bad-response', `Prometheus at ${this.server} answered HTTP ${status}: ${envelope.errorType ?? 'error'}: ${reason}`);
    }
    return samplesOf(envelope.data);
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private transportFailure(error: unknown): PrometheusError {
    const e = error as { code?: string; cause?: { code?: string }; message?: string };
    const code = e.code ?? e.cause?.code ?? '';
    if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError || code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new PrometheusError('timeout', `Prometheus at ${this.server} did not answer within ${this.timeoutSeconds} s (--prometheus-timeout)`);
    }
    if (/CERT|SSL|TLS|EPROTO|UNABLE_TO_VERIFY|SIGNATURE|ISSUER/i.test(code)) return new PrometheusError('unreachable', `cannot reach Prometheus at ${this.server}: TLS failed (${code}); pass --prometheus-ca-file with the CA that signed its certificate`);
    return new PrometheusError('unreachable', `cannot reach Prometheus at ${this.server}: ${code || 'connection failed'}`);
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s*\r?\n\s*/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** The samples of an instant query's `data` (vector or scalar). */
function samplesOf(data: { resultType?: string; result?: unknown } | undefined): VectorSample[] {
  if (!data) return [];
  if (data.resultType === 'scalar' && Array.isArray(data.result)) return [{ labels: {}, value: Number(data.result[1]) }];
  if (data.resultType !== 'vector' || !Array.isArray(data.result)) return [];
  const out: VectorSample[] = [];
  for (const item of data.result as { metric?: Record<string, string>; value?: [number, string] }[]) {
    const value = Number(item.value?.[1]);
    if (!Number.isFinite(value)) continue;
    out.push({ labels: item.metric ?? {}, value });
  }
  return out;
}
