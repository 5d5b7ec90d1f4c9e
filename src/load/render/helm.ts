import { join } from 'node:path';

/** Options of `helm template` that meshlint passes through (`--helm-*` flags). */
export interface HelmOptions {
  /** The `helm` executable (`--helm-binary`); default `helm` from PATH. */
  binary?: string;
  /** Release name (`--helm-release`); helm's own default (`release-name`) when absent. */
  release?: string;
  /** `--namespace` of the release (`--helm-namespace`). */
  namespace?: string;
  /** Values files, in order (`--helm-values`, helm's `--values`). */
  values?: readonly string[];
  /** `key=value` overrides, in order (`--helm-set`, helm's `--set`). */
  set?: readonly string[];
  /** `key=value` string overrides, in order (`--helm-set-string`, helm's `--set-string`). */
  setString?: readonly string[];
  /** Kubernetes version for `.Capabilities.KubeVersion` (`--helm-kube-version`, helm's `--kube-version`). */
  kubeVersion?: string;
}

/**
 * Arguments of `helm template` for the chart at `chartDir` (an absolute path, so helm never reads it as a
 * `repo/chart` reference to download). Nothing here reaches the network: no `--dependency-update`, no
 * `--repo`, no `--validate` (which would ask a cluster); a chart whose dependencies are not vendored in
 * `charts/` fails with helm's own message instead.
 */
export function helmTemplateArgs(chartDir: string, options: HelmOptions): string[] {
  const args = ['template'];
  if (options.release) args.push(options.release);
  args.push(chartDir);
  if (options.namespace) args.push('--namespace', options.namespace);
  if (options.kubeVersion) args.push('--kube-version', options.kubeVersion);
  for (const file of options.values ?? []) args.push('--values', file);
  for (const pair of options.set ?? []) args.push('--set', pair);
  for (const pair of options.setString ?? []) args.push('--set-string', pair);
  return args;
}

/** One `# Source:` comment of helm's output: the 1-based line it is on and the template it names. */
export interface HelmSourceComment {
  line: number;
  /** Path as helm prints it: `<chart name>/templates/x.yaml`, `<chart>/charts/<subchart>/templates/y.yaml`. */
  template: string;
}

const SOURCE_COMMENT = /^# Source: (.+?)\s*$/;

/**
 * The `# Source: <chart>/templates/x.yaml` comments helm writes before each document of `helm template`
 * (helm's `pkg/action/action.go`, `renderResources`), in output order. Linear in the output.
 */
export function helmSourceComments(lines: readonly string[]): HelmSourceComment[] {
  const out: HelmSourceComment[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('# Source: ')) continue;
    const m = SOURCE_COMMENT.exec(lines[i]!);
    if (m) out.push({ line: i + 1, template: m[1]! });
  }
  return out;
}

/**
 * The file a `# Source:` path names, under `chartDir`: helm prefixes the path with the chart's *name*
 * (from Chart.yaml, not the directory's), so the first segment is dropped; subcharts keep their
 * `charts/<name>/` part, which is where they sit on disk.
 */
export function templateFile(chartDir: string, template: string): string {
  const slash = template.indexOf('/');
  return join(chartDir, slash === -1 ? template : template.slice(slash + 1));
}
