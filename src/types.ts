/**
 * Types shared by every stage of the pipeline (load → validate → model → rules → report).
 * Data flows one way: each stage takes the previous stage's output and returns its own.
 */

/** Severity of a finding. `error` makes `meshlint check` exit with 1; `warn` counts against `--max-warnings`; `info` never changes the exit code. */
export type Severity = 'error' | 'warn' | 'info';

/** Severity as configured: a severity, or `off` to disable a rule. */
export type ConfiguredSeverity = Severity | 'off';

/** A path into a parsed document: mapping keys and sequence indexes, e.g. `['spec', 'subsets', 0, 'name']`. */
export type FieldPath = readonly (string | number)[];

/** A position in an input file. `line` and `column` are 1-based; columns count UTF-16 code units (SARIF's default `columnKind`). */
export interface SourcePosition {
  /** File path as the user gave it (relative paths stay relative); `<stdin>` for standard input; `cluster://…` for objects read from a cluster. */
  file: string;
  line: number;
  column: number;
}

/** Identity of a Kubernetes object: what a baseline fingerprint or a `kubectl edit` hint keys on. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  /** Namespace after defaulting (`metadata.namespace`, else the default namespace of the run). Empty for cluster-scoped kinds. */
  namespace: string;
  name: string;
}

/**
 * Where a value came from: a file position (always present) and, for values inside a Kubernetes object, the
 * object and the field path within it (`spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection`).
 */
export interface Location extends SourcePosition {
  object?: ObjectRef;
  /** Dotted field path inside the object, with `[i]` for list items, e.g. `spec.http[0].retries.attempts`. */
  fieldPath?: string;
  /**
   * For an object rendered by `helm template` or a kustomize build: where the finding is in the rendered output
   * (`file`, `line` and `column` above are then the template or resource file, see `load/render/locate.ts`).
   */
  rendered?: RenderedPosition;
}

/** A position in the output of `helm template` or a kustomize build, and how the template line was found. */
export interface RenderedPosition {
  by: 'helm' | 'kustomize';
  /** The chart or kustomization directory, as given. */
  input: string;
  /** 1-based line and column in the rendered output. */
  line: number;
  column: number;
  /**
   * How `Location.line` was found in the template or resource file: `line` (the same text), `key` (the same
   * key, its value templated), `object` (the object's `kind:` line), `file` (not found: 1:1).
   */
  match: 'line' | 'key' | 'object' | 'file';
}

/** One problem reported by a rule. */
export interface Finding {
  /** Stable rule id, e.g. `keepalive-disabled`. */
  ruleId: string;
  severity: Severity;
  /** One sentence, no trailing period needed; states the fact and the consequence. */
  message: string;
  location: Location;
  /** An optional second line: how to fix it. */
  hint?: string;
  /**
   * The value that triggered the finding (e.g. `1` for `maxRequestsPerConnection: 1`), kept so that a
   * baseline fingerprint changes when the substance of the finding changes.
   */
  value?: unknown;
  /** Set on findings that a suppression or the baseline silenced (they are counted, not reported as problems). */
  suppressions?: Suppression[];
  /** A safe, local edit that repairs the finding (`--fix`), present only for fixable rules on YAML files read from disk. */
  fix?: Fix;
  /** `meshlint audit`: the kubeconfig context of the cluster the object was read from; absent for `check`. */
  cluster?: string;
}

/**
 * Why a finding is silenced, in SARIF's terms (OASIS SARIF 2.1.0 §3.35 `suppression`): `inSource` for a
 * directive written next to the code (an object annotation, a `# meshlint-disable…` comment), `external` for
 * one kept elsewhere (the baseline file).
 */
export interface Suppression {
  kind: 'inSource' | 'external';
  /** The mechanism: `annotation` (`meshlint.io/ignore`), `istio-annotation` (`galley.istio.io/analyze-suppress`), `comment`, or `baseline`. */
  via: 'annotation' | 'istio-annotation' | 'comment' | 'baseline';
  /** The reason the user gave (`meshlint.io/ignore-reason`, the text after ` -- ` in a comment, or the baseline file). */
  justification?: string;
  /** Where the directive is written (absent for the baseline). */
  location?: SourcePosition;
}

/**
 * One edit of a fix, declared against a YAML document (the fixer, not the rule, touches files):
 * - `delete`: remove the key at `path` (a mapping left empty becomes `{}`);
 * - `set`: set the key at `path` to `value` (added when absent, replaced when a scalar);
 * - `merge`: add the keys of the mapping `value` that the mapping at `path` lacks, recursively; never
 *   overwrites a value that is there.
 */
export interface FixEdit {
  op: 'delete' | 'set' | 'merge';
  /** Path from the document's root (a `kind: List` item's path starts with `items`, i). */
  path: FieldPath;
  value?: unknown;
}

/** A fix attached to a finding: what it does, and the edits, against one document of one file. */
export interface Fix {
  /** Imperative one-liner, e.g. `remove maxRequestsPerConnection: 1`. */
  description: string;
  /** The file to edit (as the finding names files), which may differ from the finding's file (connection-pool-missing edits the DestinationRule). */
  file: string;
  /** 0-based index of the YAML document in the file. */
  docIndex: number;
  /** The object the edits apply to: the fixer checks the document still holds it. */
  object: ObjectRef;
  /** Path of the object inside the document (`[]`, or `['items', i]` in a List). */
  objectPath: FieldPath;
  edits: FixEdit[];
}

/** A problem with the run itself (missing path, unreadable file): printed to stderr, makes the exit code 2. */
export interface RunError {
  /** Path or argument the error is about. */
  subject: string;
  message: string;
}
