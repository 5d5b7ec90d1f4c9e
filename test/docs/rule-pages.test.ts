/**
 * The rule pages in `docs/rules/` show real meshlint output, and this test keeps them honest.
 *
 * An example in a page is an HTML comment marker followed by a fenced code block (the file's content):
 *
 *     <!-- meshlint-example: incorrect file=egress.yaml exit=1 -->
 *     ```yaml
 *     …
 *     ```
 *
 * optionally followed (before the next marker or heading) by a fenced `text` block whose first line is a
 * command, `$ meshlint check egress.yaml` (a trailing `< file` feeds standard input). A marker `output` has
 * no file block of its own: it only runs the command of the text block after it, over the page's files.
 *
 * Each page gets a temporary directory; every example file is written there, each command is run there
 * with the real `bin/meshlint.js` (`NO_COLOR=1`), and every line the page shows must appear, in that order,
 * in what meshlint printed (a page may leave lines out, e.g. other rules' findings; a line `…` marks that).
 * `exit=N` asserts the exit code. An `incorrect` example must show at least one finding of the page's rule;
 * a `correct` example must produce none: in the output of its command when the page shows one, else in the
 * findings of the same `check` pipeline run in-process.
 *
 * The ten config and input rule pages are also checked for the structure the project asks of a rule page:
 * title, description, code, severity, family, inputs, fixable, the sections, every option of the rule's
 * schema with its default, and a link from `docs/rules/README.md`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configRules, inputRules } from '../../rules/index.js';
import { DEFAULT_NAMESPACE } from '../../src/facts.js';
import { check } from '../../src/pipeline.js';
import { tempDir } from '../helpers/cli.js';
import { BIN, ROOT } from '../helpers/paths.js';

const DOCS = join(ROOT, 'docs', 'rules');

/** One example of a page: a file to write and/or a command whose output the page shows. */
interface Example {
  kind: 'incorrect' | 'correct' | 'output';
  /** 1-based line of the marker in the page, for messages. */
  line: number;
  file?: { name: string; content: string };
  command?: { args: string[]; stdin?: string };
  /** Lines the page shows after the command line. */
  shown: string[];
  exit?: number;
}

const MARKER = /^<!--\s*meshlint-example:\s*(incorrect|correct|output)((?:\s+\w+=\S+)*)\s*-->\s*$/;
const FENCE = /^(`{3,})(\S*)\s*$/;

/** Splits a page into its examples (see the file comment for the format). Throws on a malformed example. */
function parseExamples(markdown: string, page: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  let i = 0;
  const readFence = (): { lang: string; body: string[]; start: number } | undefined => {
    // Next fenced block before the next marker or heading.
    for (let j = i; j < lines.length; j++) {
      if (MARKER.test(lines[j]) || /^#{1,6}\s/.test(lines[j])) return undefined;
      const open = FENCE.exec(lines[j]);
      if (!open) continue;
      const close = lines.findIndex((l, k) => k > j && l.startsWith(open[1]) && l.trim() === open[1]);
      if (close < 0) throw new Error(`${page}:${j + 1}: unclosed code block`);
      i = close + 1;
      return { lang: open[2], body: lines.slice(j + 1, close), start: j + 1 };
    }
    return undefined;
  };
  while (i < lines.length) {
    const m = MARKER.exec(lines[i]);
    if (!m) {
      i++;
      continue;
    }
    const attrs = Object.fromEntries([...m[2].matchAll(/(\w+)=(\S+)/g)].map((a) => [a[1], a[2]]));
    const example: Example = { kind: m[1] as Example['kind'], line: i + 1, shown: [], exit: attrs.exit !== undefined ? Number(attrs.exit) : undefined };
    i++;
    if (example.kind !== 'output') {
      if (!attrs.file) throw new Error(`${page}:${example.line}: a ${example.kind} example needs file=NAME`);
      const block = readFence();
      if (!block) throw new Error(`${page}:${example.line}: no code block after the marker`);
      example.file = { name: attrs.file, content: block.body.join('\n') + '\n' };
    }
    const save = i;
    const out = readFence();
    if (out && out.body[0]?.startsWith('$ meshlint ')) {
      const words = out.body[0].slice('$ meshlint '.length).trim().split(/\s+/);
      const lt = words.indexOf('<');
      example.command = lt >= 0 ? { args: words.slice(0, lt), stdin: words[lt + 1] } : { args: words };
      example.shown = out.body.slice(1).map((l) => l.trimEnd()).filter((l) => l !== '' && l !== '…');
    } else {
      i = save;
      if (example.kind === 'output') throw new Error(`${page}:${example.line}: an output example needs a \`$ meshlint …\` text block`);
    }
    if (example.kind === 'incorrect' && !example.command) throw new Error(`${page}:${example.line}: an incorrect example must show meshlint's output`);
    examples.push(example);
  }
  return examples;
}

/** Runs the real CLI (asynchronously, so pages can run side by side). */
function meshlint(args: string[], cwd: string, stdinFile?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined }, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error && typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : error ? -1 : 0;
      if (code === -1) reject(error);
      else resolve({ code, stdout, stderr });
    });
    child.stdin?.on('error', () => {}); // a command that does not read standard input may exit before it is written
    child.stdin?.end(stdinFile ? readFileSync(join(cwd, stdinFile)) : '');
  });
}

/** Asserts that `shown` appears in `printed`, line by line, in order (lines may be skipped between them). */
function assertShownInOrder(shown: string[], printed: string, where: string): void {
  const actual = printed.split('\n').map((l) => l.trimEnd());
  let at = 0;
  for (const line of shown) {
    const found = actual.indexOf(line, at);
    assert.ok(found >= 0, `${where}: the page shows a line meshlint did not print (or not in this order):\n  ${line}\n--- meshlint printed:\n${printed}`);
    at = found + 1;
  }
}

const pages = existsSync(DOCS) ? readdirSync(DOCS).filter((f) => f.endsWith('.md') && f !== 'README.md').sort() : [];

describe('rule pages: examples are real meshlint output', { concurrency: 2 }, () => {
  const temps: (() => void)[] = [];
  after(() => temps.forEach((cleanup) => cleanup()));
  for (const page of pages) {
    const rule = page.replace(/\.md$/, '');
    const examples = parseExamples(readFileSync(join(DOCS, page), 'utf8'), `docs/rules/${page}`);
    if (examples.length === 0) continue;
    it(`${page}: ${examples.length} example(s)`, async () => {
      const { dir, cleanup } = tempDir('meshlint-docs-');
      temps.push(cleanup);
      for (const ex of examples) {
        const where = `docs/rules/${page}:${ex.line}`;
        if (ex.file) writeFileSync(join(dir, ex.file.name), ex.file.content);
        let printed: string | undefined;
        if (ex.command) {
          const run = await meshlint(ex.command.args, dir, ex.command.stdin);
          printed = run.stdout;
          assertShownInOrder(ex.shown, run.stdout + run.stderr, where);
          if (ex.exit !== undefined) assert.equal(run.code, ex.exit, `${where}: exit code`);
          if (ex.kind === 'incorrect') assert.ok(ex.shown.some((l) => l.endsWith(`  ${rule}`)), `${where}: an incorrect example must show a finding of ${rule}`);
        }
        if (ex.kind === 'correct' && printed !== undefined && ex.command!.args.includes(ex.file!.name)) {
          // The shown run was over this file: no line of its output may be a finding of the rule.
          const own = printed.split('\n').filter((l) => l.trimEnd().endsWith(`  ${rule}`));
          assert.deepEqual(own, [], `${where}: a correct example must not produce ${rule} findings`);
        } else if (ex.kind === 'correct') {
          // Nothing shown: the same pipeline in-process (the CLI's start-up cost is not what is tested here).
          const result = await check({ paths: [ex.file!.name], cwd: dir, defaultNamespace: DEFAULT_NAMESPACE });
          assert.deepEqual(result.errors, [], `${where}: the example can be read`);
          const own = result.findings.filter((f) => f.ruleId === rule).map((f) => `${f.location.line}:${f.location.column} ${f.message}`);
          assert.deepEqual(own, [], `${where}: a correct example must not produce ${rule} findings`);
        }
      }
    });
  }
});

describe('rule pages: config and input rules have complete pages', () => {
  const index = existsSync(join(DOCS, 'README.md')) ? readFileSync(join(DOCS, 'README.md'), 'utf8') : '';
  for (const { meta } of [...inputRules, ...configRules]) {
    it(meta.id, () => {
      const path = join(ROOT, meta.docs);
      assert.ok(existsSync(path), `${meta.docs} exists`);
      const text = readFileSync(path, 'utf8');
      assert.equal(text.split('\n')[0], `# ${meta.id}`, 'title is the rule id');
      assert.ok(text.includes(meta.description), 'states the rule description from its metadata');
      const facts = (label: string) => new RegExp(`^\\|\\s*${label}\\s*\\|(.*)\\|\\s*$`, 'm').exec(text)?.[1] ?? '';
      assert.match(facts('Code'), new RegExp(meta.code), 'code');
      assert.match(facts('Default severity'), new RegExp(`\\b${meta.defaultSeverity}\\b`), 'default severity');
      assert.match(facts('Family'), new RegExp(`\\b${meta.family}\\b`), 'family');
      for (const input of meta.inputs) assert.match(facts('Inputs'), new RegExp(`\\b${input}\\b`), `input ${input}`);
      assert.match(facts('Fixable'), meta.fixable ? /^\s*yes\b/ : /^\s*no\b/, 'fixable');
      for (const heading of ['Why', 'Examples of incorrect configuration', 'Examples of correct configuration', 'Options', 'When not to use it', 'Further reading']) {
        assert.match(text, new RegExp(`^## ${heading}\\s*$`, 'm'), `section "${heading}"`);
      }
      const options = text.slice(text.search(/^## Options\s*$/m)).split(/^## (?!Options)/m)[0];
      const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'rules', `${meta.id}.json`), 'utf8')) as { properties: Record<string, { default?: unknown }> };
      for (const [name, prop] of Object.entries(schema.properties)) {
        assert.ok(options.includes(`\`${name}\``), `option ${name} is documented under Options`);
        assert.ok(options.includes(`\`${JSON.stringify(prop.default)}\``) || options.includes(`\`${String(prop.default)}\``), `option ${name}'s default ${JSON.stringify(prop.default)} is documented`);
      }
      assert.ok(options.includes(`rules:\n  ${meta.id}:`), 'Options shows a configuration snippet for the rule');
      const examples = parseExamples(text, meta.docs);
      assert.ok(examples.some((e) => e.kind === 'incorrect'), 'has an incorrect example');
      assert.ok(examples.some((e) => e.kind === 'correct'), 'has a correct example');
      assert.ok(index.includes(`(${meta.id}.md)`), 'docs/rules/README.md links the page');
    });
  }
});
