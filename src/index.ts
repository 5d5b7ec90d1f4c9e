/**
 * meshlint's programmatic API (the package's main export). The command line (`bin/meshlint.js`) is built on the
 * same functions:
 *
 * ```ts
 * import { check, render } from 'meshlint';
 * const result = await check({ paths: ['k8s/'], cwd: process.cwd(), defaultNamespace: 'default' });
 * process.stdout.write(render('json', result, { color: false, explain: false, version: '0.1.0' }));
 * ```
 *
 * `check` never throws for bad input: unreadable paths are `result.errors`, unparsable files are `parse-error`
 * findings. The JSON report's shape is `schemas/report.schema.json`; the ESLint plugin is the separate export
 * `meshlint/eslint-plugin`. Heavy dependencies (ESLint, tree-sitter, ajv, the Kubernetes client) are loaded
 * only when a run needs them, so importing this module is cheap.
 */
export { check, analyzeObjects, sortFindings, type AnalysisOptions, type AnalysisResult, type CheckOptions, type SourceOptions } from './pipeline.js';
export { render } from './report/index.js';
export { FORMATS, type Format, type ReportOptions } from './report/format.js';
export { allRules, ruleMeta } from './rules/registry.js';
export type { Rule, RuleSetting } from './rules/engine.js';
export type { RuleMeta, RuleFamily } from './rules/meta.js';
export type { RouteMultiplier, Leg, TraceItem } from './model/traffic.js';
export type { Finding, Location, ObjectRef, RunError, Severity, ConfiguredSeverity, FieldPath } from './types.js';
export { DEFAULT_EPHEMERAL_PORTS, TIME_WAIT_SECONDS } from './facts.js';
