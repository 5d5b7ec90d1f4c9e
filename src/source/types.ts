import type { Finding } from '../types.js';

/** Languages whose source meshlint reads. */
export type SourceLanguage = 'go' | 'javascript' | 'typescript' | 'python' | 'java';

/**
 * What the application does on one outbound call site: the application leg of the connection multiplier
 * (docs/model.md, "Legs"). Produced by the source scanners, consumed by the mesh model to link a call to a route.
 */
export interface AppCallSite {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, UTF-16 code units. */
  column: number;
  language: SourceLanguage;
  /** The URL literal at the call site, when there is one (`http://api.example.com:8080/v1`). */
  url?: string;
  /** Destination host taken from the URL literal or a configured env-var name; lower-case, no port. */
  host?: string;
  /** The environment variable the destination is read from (`process.env.PAYMENTS_URL`), mapped in `envHosts` or not. */
  env?: string;
  /** Destination port; from the URL (scheme default 80/443 when absent). */
  port?: number;
  /** `http` or `https` as written at the call site (HTTPS from the app is opaque TLS to the sidecar). */
  scheme?: 'http' | 'https';
  /** A client, agent, transport or session is built per request/loop iteration: every try opens a new connection. */
  clientPerRequest: boolean;
  /** Keep-alive is off on this call (`DisableKeepAlives`, `keepAlive: false`, `agent: false`, `Connection: close`). */
  keepAliveOff: boolean;
  /** Tries the application makes per logical request (1 + app-level retries); 1 when no retry is seen. */
  appTries: number;
  /** Short description of what was seen, for the multiplier trace, e.g. `new https.Agent() per request`. */
  evidence: string;
  /**
   * The workload whose code this is, from the `source.workloads` option (set by the pipeline, not by the
   * scanners): its name and namespace decide which client namespace's routes the call site joins.
   */
  workload?: { name: string; namespace?: string };
}

/** Output of one source scanner over a set of files. */
export interface SourceScanResult {
  findings: Finding[];
  callSites: AppCallSite[];
  filesScanned: number;
  /**
   * Files that could not be read or parsed: one line each (`file:line:column: message`), the scan goes on.
   * `line`/`column` (1-based) locate a syntax error when the parser gave one.
   */
  errors: {
    file: string;
    message: string;
    line?: number;
    column?: number;
    /**
     * The file was still analysed around the syntax error (tree-sitter recovers: a Python file with one broken
     * line keeps the rest of its functions); its findings are in `findings`.
     */
    partial?: boolean;
  }[];
  /** Files not scanned and not an error: binary or minified (`readSourceFile`); named in the summary. */
  skipped?: { file: string; reason: string }[];
}
