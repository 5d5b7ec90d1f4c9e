import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

/**
 * Cold start (issue 7): the pre-commit case — `meshlint check` of one small Istio file in a JavaScript
 * repository — must not load the heavy dependencies it does not need. Checked by module loading, not by time
 * (time is measured by `npm run bench`).
 */
const HEAVY = ['/node_modules/ajv/dist/ajv.js', '/node_modules/yaml/', '/node_modules/eslint/', '/node_modules/@typescript-eslint/', '/node_modules/node-sarif-builder/', '/node_modules/@kubernetes/client-node/', '/node_modules/@ast-grep/', '/node_modules/tinyglobby/', '/node_modules/ignore/', '/node_modules/xmlbuilder2/', '/node_modules/js-yaml/index.js'];

function loadedBy(args: string[], cwd: string): string[] {
  const main = new URL('../../src/cli/main.js', import.meta.url).href;
  const script = `
    import { createRequire } from 'node:module';
    const { main } = await import(${JSON.stringify(main)});
    process.stdout.write = () => true;
    const code = await main(['node', 'meshlint', ...${JSON.stringify(args)}]);
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.error(JSON.stringify({ code, loaded }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { code, loaded } = JSON.parse(r.stderr.trim().split('\n').pop()!) as { code: number; loaded: string[] };
  assert.ok(code === 0 || code === 1, `exit code ${code}`);
  return loaded;
}

/**
 * The ES modules `bin/meshlint.js` loads for `args` (file URLs, in load order), recorded by a module-loading hook
 * (`module.register`) that prints each URL it is asked to load.
 */
function esmModulesLoadedByBin(args: string[], cwd: string): string[] {
  const hook = `export async function load(url, context, next) { if (url.startsWith('file:')) process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, join(ROOT, 'bin', 'meshlint.js'), ...args], { cwd, encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length));
}

describe('cold start: heavy dependencies load only when the input needs them', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', scripts: { test: 'true' } }));
    copyFileSync(join(ROOT, 'fixtures', 'api-gateway', 'egress.yaml'), join(dir, 'egress.yaml'));
  });
  after(() => cleanup());

  it('check of one Istio file (stylish) loads none of ajv’s compiler, yaml, ESLint, SARIF, JUnit XML, the Kubernetes client, ast-grep, tinyglobby, ignore', () => {
    const loaded = loadedBy(['check', 'egress.yaml'], dir);
    const heavy = loaded.filter((f) => HEAVY.some((h) => f.includes(h)));
    assert.deepEqual(heavy, []);
    assert.ok(loaded.some((f) => f.includes('/validate/compiled/')), 'the precompiled validators are used');
  });

  it('check of one Go file loads tree-sitter, not ESLint, the TypeScript parser or typescript (issue 17)', () => {
    writeFileSync(join(dir, 'one.go'), 'package main\n\nimport "net/http"\n\nfunc main() { _, _ = http.Get("http://a/") }\n');
    const loaded = loadedBy(['check', 'one.go'], dir);
    assert.deepEqual(loaded.filter((f) => ['/node_modules/eslint/', '/node_modules/@typescript-eslint/', '/node_modules/typescript/'].some((h) => f.includes(h))), []);
    assert.ok(loaded.some((f) => f.includes('/node_modules/@ast-grep/')), 'the Go file is scanned with ast-grep');
  });

  it('check of one TypeScript file loads ESLint’s Linter from the build’s engine bundle and oxc-parser, not typescript, nothing else of ESLint, nor tree-sitter (issue 17)', () => {
    writeFileSync(join(dir, 'one.ts'), 'export async function f(): Promise<number> { return (await fetch("http://a/")).status; }\n');
    const loaded = loadedBy(['check', 'one.ts'], dir);
    assert.ok(loaded.some((f) => f.endsWith('/dist/bundle/eslint-engine.cjs')), 'the Linter and the scope manager come from the engine bundle');
    assert.ok(loaded.some((f) => f.includes('/node_modules/@oxc-parser/binding-')), 'oxc-parser parses the file');
    assert.deepEqual(loaded.filter((f) => ['/node_modules/eslint/', '/node_modules/@typescript-eslint/', '/node_modules/typescript/', '/node_modules/@ast-grep/'].some((h) => f.includes(h))), []);
  });

  it('check of one TypeScript file with a syntax error loads typescript for @typescript-eslint/parser, which reports it (issue 17)', () => {
    writeFileSync(join(dir, 'broken.ts'), 'export const n: = 1;\n');
    const loaded = loadedBy(['check', 'broken.ts'], dir);
    assert.ok(loaded.some((f) => f.endsWith('/node_modules/typescript/lib/typescript.js')), 'typescript is loaded for the fallback parser');
  });

  it('bin/meshlint.js runs the CLI bundle: a check of one Go file loads no module of dist/src (issue 17)', () => {
    writeFileSync(join(dir, 'one.go'), 'package main\n\nimport "net/http"\n\nfunc main() { _, _ = http.Get("http://a/") }\n');
    const modules = esmModulesLoadedByBin(['check', 'one.go'], dir);
    assert.ok(modules.some((f) => f.includes('/dist/bundle/main.js')), `the bundle did not run (missing, or older than dist/src: \`npm run build\` makes it): ${modules.join(' ')}`);
    assert.deepEqual(modules.filter((f) => f.includes('/dist/src/')), []);
  });

  it('the same modules do load when the input needs them (the check above can fail)', () => {
    writeFileSync(join(dir, '.gitignore'), 'ignored/\n');
    const loaded = loadedBy(['check', '.', '--format', 'sarif'], dir);
    assert.ok(loaded.some((f) => f.includes('/node_modules/node-sarif-builder/')), 'SARIF output loads node-sarif-builder');
    assert.ok(loaded.some((f) => f.includes('/node_modules/ignore/')), 'a .gitignore loads ignore');
  });
});
