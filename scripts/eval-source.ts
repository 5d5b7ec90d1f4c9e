/**
 * `npm run eval`: scores the source scanners against the labelled corpus (fixtures/source/<language>/) and
 * prints precision and recall per rule and language.
 *
 *   node dist/scripts/eval-source.js [language…] [--verbose] [--min-precision 0.9] [--min-recall 0.85]
 *
 * With --min-precision/--min-recall, exits 1 when a rule falls below either threshold.
 */
import { evaluate, formatTable } from '../src/source/eval.js';

async function main(argv: string[]): Promise<number> {
  const langs: string[] = [];
  let verbose = false;
  let minPrecision: number | undefined;
  let minRecall: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--verbose' || a === '-v') verbose = true;
    else if (a === '--min-precision') minPrecision = Number(argv[++i]);
    else if (a === '--min-recall') minRecall = Number(argv[++i]);
    else if (a.startsWith('-')) {
      process.stderr.write(`unknown option ${a}\n`);
      return 2;
    } else langs.push(a);
  }
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
