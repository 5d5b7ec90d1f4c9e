/**
 * Builds a {@link MeshModel} from YAML text through the real loaders (`parseManifestText` → `objectsOf`), as
 * `meshlint check` does for one file, so model tests exercise the same objects the pipeline sees.
 */
import type { ManifestObject } from '../../src/load/objects.js';
import { objectsOf } from '../../src/load/objects.js';
import { parseManifestText } from '../../src/load/parse.js';
import { DEFAULT_MESH_SETTINGS, MeshModel, type MeshSettings } from '../../src/model/mesh.js';

/** File name the objects are attributed to. */
export const TEST_FILE = 'model-test.yaml';

/**
 * Objects of a YAML text (one or many `---`-separated documents), in input order. Throws when the text does
 * not parse or a document is not a mapping, so a typo in a test's YAML cannot pass as an empty input.
 */
export function objectsFromYaml(yaml: string, defaultNamespace = 'default'): ManifestObject[] {
  const parsed = parseManifestText(yaml, TEST_FILE);
  if (parsed.problems.length) {
    throw new Error(`test YAML does not parse: ${parsed.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('; ')}`);
  }
  let order = 0;
  const split = objectsOf(TEST_FILE, parsed.documents, defaultNamespace, () => order++);
  if (split.notMappings.length) throw new Error(`test YAML has documents that are not mappings: ${split.notMappings.map((n) => n.got).join(', ')}`);
  if (split.skipped.size) throw new Error(`test YAML has objects the loader skips: ${[...split.skipped.keys()].join(', ')}`);
  return split.objects;
}

/** A mesh model of `yaml` with `settings` over the defaults (as the pipeline merges `mesh` options). */
export function modelFromYaml(yaml: string, settings: Partial<MeshSettings> = {}): MeshModel {
  return new MeshModel(objectsFromYaml(yaml), { ...DEFAULT_MESH_SETTINGS, ...settings });
}

/** Joins YAML documents with `---`. */
export function docs(...documents: string[]): string {
  return documents.map((d) => (d.endsWith('\n') ? d : `${d}\n`)).join('---\n');
}

/**
 * Removes the common indentation of a template literal (and its first empty line), so YAML can be written
 * indented inside test code.
 */
export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').replace(/\n[ \t]*$/, '\n').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(cut, /^ */.exec(l)![0].length))).join('\n');
}
