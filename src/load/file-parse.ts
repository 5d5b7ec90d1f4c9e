import { parseManifestText, type ParsedFile } from './parse.js';
import { readManifest } from './read.js';

/** One manifest path read and parsed (or why it could not be). */
export interface FileParse {
  /** The path as discovered (`-` for standard input). */
  path: string;
  read: { ok: true } | { ok: false; kind: 'io' | 'content'; message: string };
  parsed?: ParsedFile;
  /** The file's text when it contains `meshlint-disable` (js-yaml drops comments; the suppression stage reads them). */
  directiveText?: string;
}

/**
 * Reads and parses one manifest path (`-`: standard input, through `stdin` when given). Never throws: read
 * failures are in `read`, YAML problems in `parsed.problems`. This is the part of the load stage that parse
 * workers run in parallel (`parallel.ts`).
 */
export function readAndParse(path: string, cwd: string, maxFileBytes: number, stdin?: () => Buffer): FileParse {
  const read = readManifest(path, cwd, maxFileBytes, stdin);
  if (!read.ok) return { path, read };
  const out: FileParse = { path, read: { ok: true }, parsed: parseManifestText(read.text, path === '-' ? '<stdin>' : path) };
  if (read.text.includes('meshlint-disable')) out.directiveText = read.text;
  return out;
}
