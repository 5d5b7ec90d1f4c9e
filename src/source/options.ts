/**
 * How source code is linked to the mesh: the options of the source-scanning stage, set by the configuration file
 * (`source:`) and the `check` flags (`--workload`, `--env-host`, `--max-source-size`). A module of the source
 * stage, so that the configuration (src/config/) reads them without importing the pipeline.
 */

/** Source-scanning options (`check` with source directories; docs/model.md, "Legs": the application leg). */
export interface SourceOptions {
  /**
   * Source directories (or files) and the workload their code runs as, where URL literals alone do not say
   * which client calls: `{ path: 'services/checkout', workload: 'checkout', namespace: 'shop' }`. `path` is
   * relative to the working directory; the longest matching path wins. Without `namespace`, the namespace
   * of the input's workload of that name is used.
   */
  workloads?: { path: string; workload: string; namespace?: string }[];
  /**
   * Environment-variable name → destination (`payments.shop`, `api.example.com:8443` or a URL), for URLs the
   * code reads from the environment (`process.env.PAYMENTS_URL`).
   */
  envHosts?: Record<string, string>;
  /** Do not scan source files even when the paths contain some. */
  disabled?: boolean;
  /** Largest source file scanned, bytes (`--max-source-size`; default `DEFAULT_MAX_SOURCE_BYTES`, 1 MiB). */
  maxFileBytes?: number;
  /** Wall-clock limit per large source file, seconds (`--source-timeout`, `source.timeoutSeconds`; default 120; see `source/isolated.ts`). */
  timeoutSeconds?: number;
  /** Heap cap of the worker scanning large source files, MiB (`--source-max-heap`, `source.maxHeapMiB`; default 1,536). */
  maxHeapMiB?: number;
  /** Size from which a source file is scanned on a worker with those limits, bytes (default 128 KiB; 0: every file). Not a CLI option. */
  isolateMinBytes?: number;
}
