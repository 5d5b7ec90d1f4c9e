/**
 * The JavaScript/TypeScript source scanner: runs meshlint's ESLint rules (and only those) over files with
 * `@typescript-eslint/parser`, through ESLint's `Linter` class — which reads no configuration from disk, so
 * the user's own `eslint.config.js` plays no part, and inline `eslint-disable`/`eslint` comments are ignored
 * (`noInlineConfig`) — and turns the result into meshlint Findings and
 * AppCallSites. ESLint and the parser are imported lazily: nothing heavy loads when there are no JS/TS files.
 */
import path from 'node:path';
import type { Linter as LinterType, Rule } from 'eslint';
import type { Finding, Severity } from '../../types.js';
import { DEFAULT_MAX_SOURCE_BYTES, readSourceFile } from '../../load/read.js';
import type { CrossFileRecords } from '../cross-file.js';
import type { AppCallSite, SourceScanResult } from '../types.js';
import type { MeshlintEslintRule } from './rule-support.js';

/** Extensions the scanner reads. */
export const JS_EXTENSIONS: readonly string[] = ['.js', '.mjs', '.cjs', '.jsx', '.ts', '.mts', '.cts', '.tsx'];

/** Options of {@link scanJavaScript}. */
export interface ScanJavaScriptOptions {
  /** Directory relative file paths are read from. */
  cwd: string;
  /** Environment-variable name → destination host (`host`, `host:port` or a URL), for `process.env.X` URLs. */
  envHosts?: Record<string, string>;
  /** Per-rule options (rule id → options object), validated by each rule's schema. */
  ruleOptions?: Record<string, Record<string, unknown>>;
  /** Rule ids to leave out. */
  disabledRules?: readonly string[];
  /** Largest file read, in bytes (`DEFAULT_MAX_SOURCE_BYTES`, 1 MiB); a larger one is an `errors` entry. */
  maxFileBytes?: number;
}

/** Whether a path has one of the extensions the scanner reads. */
export function isJavaScriptFile(file: string): boolean {
  const lower = file.toLowerCase();
  if (lower.endsWith('.d.ts') || lower.endsWith('.d.mts') || lower.endsWith('.d.cts')) return false;
  return JS_EXTENSIONS.some((e) => lower.endsWith(e));
}

interface Loaded {
  Linter: typeof LinterType;
  parser: LinterType.Parser;
  rules: Readonly<Record<string, MeshlintEslintRule>>;
  callSiteCollector: typeof import('./callsites.js').callSiteCollector;
  crossFileCollector: typeof import('./cross-file.js').crossFileCollector;
  crossFileFindings: typeof import('../cross-file.js').crossFileFindings;
}

let loading: Promise<Loaded> | undefined;

/** Imports ESLint, the TypeScript parser and the rules on first use. */
function load(): Promise<Loaded> {
  loading ??= (async () => {
    const [engine, plugin, callsites, crossFile, crossFileJoin] = await Promise.all([
      // ESLint's Linter alone (`eslint/universal`, without the ESLint class's file and configuration machinery)
      // and the parser, from the build's bundle with V8 code caches when it fits this install (engine.ts).
      import('./engine.js').then((m) => m.loadEslintEngine()),
      import('./plugin.js'),
      import('./callsites.js'),
      import('./cross-file.js'),
      import('../cross-file.js'),
    ]);
    return {
      Linter: engine.Linter,
      parser: engine.parser,
      rules: plugin.rules,
      callSiteCollector: callsites.callSiteCollector,
      crossFileCollector: crossFile.crossFileCollector,
      crossFileFindings: crossFileJoin.crossFileFindings,
    };
  })();
  return loading;
}

/** Closers tried, in order, on a file that ends inside an unterminated block (a truncated or unfinished file). */
const CLOSERS = ['\n}', '\n}\n}', '\n})', '\n});', '\n}\n}\n}'];

/**
 * A file whose only parse error is at its end, because a block is left open (`'}' expected` on the last line):
 * lints it again with the missing closers appended (at most {@link CLOSERS}.length tries) and returns the
 * messages of the first try that parses, or undefined (any other syntax error is not guessed at).
 */
function closeUnterminated(text: string, fatal: LinterType.LintMessage, lint: (text: string) => LinterType.LintMessage[]): LinterType.LintMessage[] | undefined {
  const lastLine = text.replace(/\s+$/, '').split('\n').length;
  if (!fatal.fatal || fatal.line < lastLine || !/'[})]' expected/.test(fatal.message)) return undefined;
  for (const closer of CLOSERS) {
    const messages = lint(text + closer);
    if (!messages.some((m) => m.fatal)) return messages;
  }
  return undefined;
}

/** A report as the rule made it (kept to recover `data.value`, which ESLint's messages drop). */
interface RawReport {
  ruleId: string;
  messageId: string;
  line: number;
  column: number;
  value?: string;
}

/** Wraps a rule so that its reports are also recorded in `sink` (ESLint still gets them and makes the messages). */
function recording(ruleId: string, rule: Rule.RuleModule, sink: RawReport[]): Rule.RuleModule {
  return {
    meta: rule.meta,
    create(context) {
      const proxy = Object.create(context, {
        report: {
          value(descriptor: Rule.ReportDescriptor) {
            const d = descriptor as Rule.ReportDescriptor & { node?: { loc: { start: { line: number; column: number } } }; messageId?: string; data?: Record<string, unknown> };
            const start = d.node?.loc.start ?? (d as { loc?: { start: { line: number; column: number } } }).loc?.start;
            if (start) {
              sink.push({
                ruleId,
                messageId: d.messageId ?? '',
                line: start.line,
                column: start.column + 1,
                value: typeof d.data?.['value'] === 'string' ? (d.data['value'] as string) : undefined,
              });
            }
            context.report(descriptor);
          },
        },
      }) as Rule.RuleContext;
      return rule.create(proxy);
    },
  };
}

/**
 * Scans JavaScript/TypeScript files with meshlint's source rules. Files that are not JS/TS are skipped;
 * a file that cannot be read or parsed is reported in `errors` (`file:line:column: message`) and the scan
 * goes on. Finding and call-site paths are the paths as given.
 */
export async function scanJavaScript(files: string[], opts: ScanJavaScriptOptions): Promise<SourceScanResult> {
  const targets = files.filter(isJavaScriptFile);
  const result: SourceScanResult = { findings: [], callSites: [], filesScanned: 0, errors: [] };
  if (targets.length === 0) return result;
  const { Linter, parser, rules, callSiteCollector, crossFileCollector, crossFileFindings } = await load();
  // One hop across files (src/source/cross-file.ts): small records per file, joined once after the loop.
  const crossFileRecordsOfRun: CrossFileRecords[] = [];
  // Config `files` patterns only match paths under the Linter's cwd; files may live anywhere, so each file
  // is linted with its filesystem root as cwd (one Linter per root).
  const linters = new Map<string, LinterType>();
  const linterFor = (abs: string): LinterType => {
    const root = path.parse(abs).root;
    let l = linters.get(root);
    if (!l) {
      l = new Linter({ configType: 'flat', cwd: root });
      linters.set(root, l);
    }
    return l;
  };
  const disabled = new Set(opts.disabledRules ?? []);

  for (const file of targets) {
    const abs = path.resolve(opts.cwd, file);
    // Bounded: the scanner needs far more memory and time per byte than the file holds (npm run bench measures it).
    const read = readSourceFile(abs, opts.maxFileBytes ?? DEFAULT_MAX_SOURCE_BYTES);
    if ('error' in read) {
      result.errors.push({ file, message: `${file}: ${read.error}` });
      continue;
    }
    if ('skip' in read) {
      (result.skipped ??= []).push({ file, reason: read.skip });
      continue;
    }
    const text = read.text;
    const raw: RawReport[] = [];
    const sites: AppCallSite[] = [];
    const crossFile: CrossFileRecords[] = [];
    const pluginRules: Record<string, Rule.RuleModule> = {
      'call-sites': callSiteCollector((s) => sites.push({ ...s, file })),
      'cross-file': crossFileCollector(file, (r) => crossFile.push(r)),
    };
    const enabled: LinterType.RulesRecord = { 'meshlint/call-sites': 'error', 'meshlint/cross-file': 'error' };
    for (const [id, rule] of Object.entries(rules)) {
      if (disabled.has(id)) continue;
      pluginRules[id] = recording(id, rule, raw);
      const o = opts.ruleOptions?.[id];
      enabled[`meshlint/${id}`] = o ? ['error', o] : 'error';
    }
    const lower = abs.toLowerCase();
    const config: LinterType.Config[] = [
      {
        files: JS_EXTENSIONS.map((e) => `**/*${e}`),
        plugins: { meshlint: { rules: pluginRules } },
        languageOptions: {
          parser,
          ecmaVersion: 'latest',
          sourceType: lower.endsWith('.cjs') || lower.endsWith('.cts') ? 'commonjs' : 'module',
          // meshlint reads no JSDoc: skipping it makes typescript-estree parse about twice as fast.
          parserOptions: { ecmaFeatures: { jsx: true }, jsDocParsingMode: 'none' },
        },
        // Comments cannot change what meshlint check runs: no `/* eslint-disable */`, no `/* eslint rule: off */`.
        linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off', reportUnusedInlineConfigs: 'off' },
        settings: { meshlint: { envHosts: opts.envHosts ?? {} } },
        rules: enabled,
      },
    ];
    let messages: LinterType.LintMessage[];
    try {
      messages = linterFor(abs).verify(text, config, { filename: abs });
    } catch (e) {
      result.errors.push({ file, message: `${file}: ${(e as Error).message}` });
      continue;
    }
    const fatal = messages.find((m) => m.fatal || (m.ruleId === null && m.line === 0));
    if (fatal) {
      // typescript-estree's TSError.column is 0-based and ESLint passes it on as the message's (1-based)
      // column (measured with @typescript-eslint/parser 8: `express(;` reports the `;` one column early).
      const column = fatal.column + (fatal.fatal ? 1 : 0);
      const where = fatal.line ? `${file}:${fatal.line}:${column}` : file;
      const recovered = closeUnterminated(text, fatal, (t) => linterFor(abs).verify(t, config, { filename: abs }));
      if (!recovered) {
        result.errors.push({ file, message: `${where}: ${fatal.message}`, ...(fatal.line ? { line: fatal.line, column } : {}) });
        continue;
      }
      // Tolerant, like the tree-sitter scanner: the problem is reported and what parsed is still analysed.
      result.errors.push({ file, line: fatal.line, column, partial: true, message: `${where}: ${fatal.message} (the file ends inside a block; it was analysed as if the block were closed)` });
      messages = recovered;
    }
    result.filesScanned++;
    for (const s of sites) result.callSites.push(s);
    for (const r of crossFile) crossFileRecordsOfRun.push(r);
    for (const m of messages) {
      if (!m.ruleId?.startsWith('meshlint/') || m.ruleId === 'meshlint/call-sites' || m.ruleId === 'meshlint/cross-file') continue;
      const id = m.ruleId.slice('meshlint/'.length);
      const rule = rules[id];
      if (!rule) continue;
      const messageId = m.messageId ?? '';
      const severity: Severity = rule.messageSeverity[messageId] ?? rule.meshlint.defaultSeverity;
      const rawReport = raw.find((r) => r.ruleId === id && r.line === m.line && r.column === m.column && r.messageId === messageId);
      const finding: Finding = {
        ruleId: id,
        severity,
        message: m.message.replace(/\.$/, ''),
        location: { file, line: m.line, column: m.column },
      };
      const hint = rule.hints[messageId];
      if (hint) finding.hint = hint;
      if (rawReport?.value !== undefined) finding.value = rawReport.value;
      result.findings.push(finding);
    }
  }
  for (const f of crossFileFindings(crossFileRecordsOfRun)) {
    if (!disabled.has(f.ruleId)) result.findings.push(f);
  }
  return result;
}
