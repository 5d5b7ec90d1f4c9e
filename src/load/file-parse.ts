import type { ParseCache } from './cache.js';
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
 * Reads and parses one manifest path (`-`: standard input, through `stdin` when given; with `cache`, an
 * unchanged text's parse comes from the parse cache, see `cache.ts`). Never throws: read
 * failures are in `read`, YAML problems in `parsed.problems`. This is the part of the load stage that parse
 * workers run in parallel (`parallel.ts`).
 */
export function readAndParse(path: string, cwd: string, maxFileBytes: number, stdin?: () => Buffer, cache?: ParseCache): FileParse {
  const read = readManifest(path, cwd, maxFileBytes, stdin);
  if (!read.ok) return { path, read };
  const filename = path === '-' ? '<stdin>' : path;
  const out: FileParse = { path, read: { ok: true }, parsed: cache ? cache.parse(read.text, filename) : parseManifestText(read.text, filename) };
  if (read.text.includes('meshlint-disable')) out.directiveText = read.text;
  return out;
}
