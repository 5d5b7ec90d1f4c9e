/**
 * `npm run eval`: scores the source scanners against the labelled corpus (fixtures/source/<language>/) and
 * prints precision and recall per rule and language.
 *
 *   node dist/scripts/eval-source.js [language…] [--verbose] [--min-precision 0.9] [--min-recall 0.85]
 *   node dist/scripts/eval-source.js --real [language…] [--set NAME]… [--verbose] [--manifest F] [--corpus-dir D]
 *   node dist/scripts/eval-source.js --import-real captures.jsonl [--manifest F] [--corpus-dir D]
 *
 * With --min-precision/--min-recall, exits 1 when a rule falls below either threshold.
 * `--real` scores the real-code corpus (fixtures/real/manifest.json, files in the git-ignored .real-corpus/files)
 * per set (`--set` keeps only the named sets; rows without a set are `base`) and language, and lists the manifest
 * rows whose file is absent; it exits 0 whatever the scores (a measure).
 * `--import-real` writes captured public files (JSON lines, one reader answer each) into the corpus directory.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { evaluate, formatTable, repoRoot } from '../src/source/eval.js';
import { CORPUS_DIR, MANIFEST_PATH, evaluateReal, formatRealTable, importCaptures, loadManifest } from '../src/source/real-corpus.js';

async function real(langs: string[], sets: string[], verbose: boolean, manifest: string | undefined, corpusDir: string | undefined): Promise<number> {
  const result = await evaluateReal({ languages: langs.length ? langs : undefined, sets: sets.length ? sets : undefined, manifest, corpusDir });
  process.stdout.write(`real corpus: ${result.rows} rows from ${result.repositories} repositories, ${result.rows - result.absent.length} present\n`);
  process.stdout.write(`${formatRealTable(result)}\n`);
  if (result.absent.length) {
    process.stdout.write(`${result.absent.length} rows absent from ${corpusDir ?? CORPUS_DIR} (read them with the public-source reader and --import-real):\n`);
    for (const a of result.absent) process.stdout.write(`  absent ${a}\n`);
  }
  for (const e of result.errors) process.stderr.write(`parse: ${e}\n`);
  if (verbose) {
    for (const s of result.scores) {
      for (const fp of s.misses.falsePositives) process.stdout.write(`FP ${s.set} ${s.language} ${fp}\n`);
      for (const fn of s.misses.falseNegatives) process.stdout.write(`FN ${s.set} ${s.language} ${fn}\n`);
    }
  }
  return 0;
}

async function importReal(captures: string, manifestPath: string | undefined, corpusDir: string | undefined): Promise<number> {
  const root = repoRoot();
  const manifest = await loadManifest(path.resolve(root, manifestPath ?? MANIFEST_PATH));
  const lines = await importCaptures(await readFile(captures, 'utf8'), manifest, path.resolve(root, corpusDir ?? CORPUS_DIR));
  for (const l of lines) process.stdout.write(`${l}\n`);
  return lines.every((l) => l.endsWith(': written')) ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const langs: string[] = [];
  const sets: string[] = [];
  let verbose = false;
  let minPrecision: number | undefined;
  let minRecall: number | undefined;
  let realMode = false;
  let captures: string | undefined;
  let manifest: string | undefined;
  let corpusDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--verbose' || a === '-v') verbose = true;
    else if (a === '--real') realMode = true;
    else if (a === '--import-real') captures = argv[++i];
    else if (a === '--set') sets.push(argv[++i] ?? '');
    else if (a === '--manifest') manifest = argv[++i];
    else if (a === '--corpus-dir') corpusDir = argv[++i];
    else if (a === '--min-precision') minPrecision = Number(argv[++i]);
    else if (a === '--min-recall') minRecall = Number(argv[++i]);
    else if (a.startsWith('-')) {
      process.stderr.write(`unknown option ${a}\n`);
      return 2;
    } else langs.push(a);
  }
  if (captures) return importReal(captures, manifest, corpusDir);
  if (realMode) return real(langs, sets, verbose, manifest, corpusDir);
  const result = await evaluate(langs.length ? langs : undefined);
  process.stdout.write(`${formatTable(result)}\n`);
  for (const [lang, n] of Object.entries(result.filesScanned)) process.stdout.write(`${lang}: ${n} files scanned\n`);
  for (const e of result.errors) process.stderr.write(`${e.language}: ${e.message}\n`);
  if (verbose) {
    for (const s of result.scores) {
      for (const fp of s.misses.falsePositives) process.stdout.write(`FP ${s.language} ${s.ruleId} ${fp}\n`);
      for (const fn of s.misses.falseNegatives) process.stdout.write(`FN ${s.language} ${s.ruleId} ${fn}\n`);
    }
  }
  const failing = result.scores.filter(
    (s) => (minPrecision !== undefined && s.precision < minPrecision) || (minRecall !== undefined && s.recall < minRecall),
  );
  for (const s of failing) process.stderr.write(`below threshold: ${s.language} ${s.ruleId} precision ${s.precision.toFixed(2)} recall ${s.recall.toFixed(2)}\n`);
  return failing.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
