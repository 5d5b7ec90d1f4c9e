import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, relative, resolve } from 'node:path';
import jsyaml from 'js-yaml';

/** The annotation kustomize's `buildMetadata: [originAnnotations]` writes on every object it outputs. */
export const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin';

/** Options of the kustomize build (`--kustomize-binary`). */
export interface KustomizeOptions {
  /** `kubectl` (run as `kubectl kustomize`) or `kustomize` (run as `kustomize build`); default: `kubectl` from PATH, then `kustomize`. */
  binary?: string;
}

/** A temporary kustomization that includes the user's one with origin annotations on; `remove` deletes it. */
export interface OriginWrapper {
  /** The wrapper's directory (real path), to give the renderer. */
  dir: string;
  remove: () => void;
}

/**
 * Writes, in a new directory under the system's temporary directory (never in the user's tree), a
 * kustomization whose only resource is `kustomizationDir` and which turns on `buildMetadata:
 * [originAnnotations]` (kustomize ≥ 4.5; `api/types/kustomization.go`, `OriginAnnotations`), so each output
 * object says which file it came from. Kustomize refuses absolute resource paths, so the resource is the
 * path relative to the wrapper. Throws the file system's error when the directory cannot be written.
 */
export function writeOriginWrapper(kustomizationDir: string): OriginWrapper {
  const dir = realpathSync(mkdtempSync(resolve(tmpdir(), 'meshlint-kustomize-')));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const target = relative(dir, realpathSync(kustomizationDir));
    const wrapper = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [target], buildMetadata: ['originAnnotations'] };
    writeFileSync(resolve(dir, 'kustomization.yaml'), jsyaml.dump(wrapper), { mode: 0o600 });
  } catch (error) {
    remove();
    throw error;
  }
  return { dir, remove };
}

/** Arguments that build the kustomization in `dir` with `binary`: `kubectl kustomize DIR` or `kustomize build DIR`. */
export function kustomizeArgs(binary: string, dir: string): string[] {
  return basename(binary).startsWith('kustomize') ? ['build', dir] : ['kustomize', dir];
}

/**
 * The file an object of the build came from, from its origin annotation (`path:` for a resource file,
 * `configuredIn:` for an object a generator made), resolved against the wrapper's directory; then removes
 * the annotation (and an `annotations` mapping it leaves empty) so rules see the object as the cluster would.
 * Undefined when the object carries no readable origin.
 */
export function takeOrigin(raw: unknown, wrapperDir: string): string | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const metadata = (raw as Record<string, unknown>).metadata as Record<string, unknown> | undefined;
  const annotations = metadata?.annotations as Record<string, unknown> | undefined;
  const text = annotations?.[ORIGIN_ANNOTATION];
  if (typeof text !== 'string') return undefined;
  delete annotations![ORIGIN_ANNOTATION];
  if (Object.keys(annotations!).length === 0) delete metadata!.annotations;
  let origin: unknown;
  try {
    origin = jsyaml.load(text, { schema: jsyaml.FAILSAFE_SCHEMA });
  } catch {
    return undefined;
  }
  const o = origin as { path?: unknown; configuredIn?: unknown } | null;
  const path = typeof o?.path === 'string' ? o.path : typeof o?.configuredIn === 'string' ? o.configuredIn : undefined;
  // A remote resource's path is relative to its repository, not to anything on this disk.
  if (!path || (o as { repo?: unknown }).repo !== undefined) return undefined;
  return resolve(wrapperDir, path);
}
