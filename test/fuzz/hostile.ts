/**
 * Fuzzing of what meshlint writes and of what a hostile API server sends (issue 14), next to `harness.ts` (which
 * mutates manifests). Two fast-check properties, each case bounded in time and heap like the manifest cases:
 *
 * - **Output targets** ({@link outputTargetProperty}): `writeOutputFile` (every `-o`, `--baseline-write` and `--fix`
 *   write) at a path that is missing, a regular file of some mode, a symlink to a file, a dangling symlink, a FIFO
 *   (with a reader), a character device (root only: a private `mknod` of the null device), a directory, or under a
 *   hostile name (newline, ESC, `..`, 255 bytes). Asserted: the text lands exactly where it should, or the call
 *   throws a one-line {@link WriteRefused}; a device, FIFO, symlink or directory is never replaced; a dangling
 *   symlink's target is never created; a replaced file keeps its mode; nothing outside the case's directory changes.
 * - **Hostile API server** ({@link apiServerProperty}): `readCluster` and `dumpObjects` against a real HTTPS server
 *   on loopback whose list answers are crafted: names from {@link HOSTILE_NAMES}, non-object items, endless or
 *   repeated `continue` tokens, up to 3,000 items a page. Asserted: the read ends (an AuditError at worst) within
 *   the page bound, every object kept has Kubernetes names, coverage notes are one line without control
 *   characters, and the dump writes only files directly beneath its directory.
 *
 * Used by `test/fuzz/fuzz.test.ts` (fixed seed) and `scripts/fuzz.ts --mode outputs|apiserver`.
 */
import { closeSync, constants, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { dumpObjects, hasValidNames, readCluster } from '../../src/audit/cluster.js';
import { WriteRefused, writeOutputFile } from '../../src/io.js';
import type { FakeApiServer } from '../helpers/fake-apiserver.js';
import { singleContextKubeconfig, TOKEN } from '../helpers/kube.js';
import { CASE_TIME_LIMIT_MS, HEAP_LIMIT_BYTES } from './harness.js';

/** Names a hostile server (or a hostile file system) may use. */
export const HOSTILE_NAMES: readonly string[] = ['ok', 'x/../../../escaped', '..', '.', '', 'a\nb', 'esc\u001b[2Jc', 'UPPER', 'a'.repeat(255), 'dots.and-dashes', '-lead', 'trail-', 'sp ace', 'nul\u0000byte', 'ünï', '/abs/path', 'a/b'];

/** What is at the output path before the write. */
export type TargetClass = 'missing' | 'file' | 'read-only' | 'symlink' | 'dangling' | 'fifo' | 'device' | 'directory';

export interface OutputCase {
  target: TargetClass;
  /** Index into {@link HOSTILE_NAMES} for the file name (used when it is a valid single file name). */
  name: number;
  mode: number;
  size: number;
}

export function outputCaseArbitrary(): fc.Arbitrary<OutputCase> {
  return fc.record({
    target: fc.constantFrom<TargetClass>('missing', 'file', 'read-only', 'symlink', 'dangling', 'fifo', 'device', 'directory'),
    name: fc.nat({ max: HOSTILE_NAMES.length - 1 }),
    mode: fc.constantFrom(0o600, 0o640, 0o644, 0o664, 0o755),
    size: fc.integer({ min: 0, max: 200_000 }),
  });
}

function bounded(started: number, what: string): void {
  const elapsed = performance.now() - started;
  if (elapsed > CASE_TIME_LIMIT_MS) throw new Error(`${what}: case took ${Math.round(elapsed)} ms (limit ${CASE_TIME_LIMIT_MS} ms)`);
  const heap = process.memoryUsage().heapUsed;
  if (heap > HEAP_LIMIT_BYTES) throw new Error(`${what}: heap at ${Math.round(heap / 1024 / 1024)} MiB after the case`);
}

/** A snapshot of a directory tree: path → type and size, for "nothing else changed". */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const p = path.join(entry.parentPath, entry.name);
    const st = lstatSync(p);
    out.set(p, `${st.mode.toString(8)}:${st.isFile() ? st.size : 0}`);
  }
  return out;
}

/** Runs one output case in a fresh directory beneath `root`; throws naming the broken invariant. */
export function checkOutputCase(c: OutputCase, root: string): void {
  const started = performance.now();
  const dir = mkdtempSync(path.join(root, 'case-'));
  const outside = path.join(root, 'outside.txt');
  writeFileSync(outside, 'outside');
  try {
    const raw = HOSTILE_NAMES[c.name]!;
    const name = raw && !raw.includes('/') && !raw.includes('\0') && raw !== '.' && raw !== '..' ? raw : `plain-${c.name}`;
    const file = path.join(dir, name);
    // A FIFO's reader here does not read while the write runs: stay within a pipe buffer (64 KiB on Linux).
    const text = `report ${'x'.repeat(c.target === 'fifo' ? Math.min(c.size, 50_000) : c.size)}\n`;
    const otherTarget = path.join(dir, 'target-of-link');
    let reader: number | undefined;
    switch (c.target) {
      case 'missing':
        break;
      case 'file':
      case 'read-only':
        writeFileSync(file, 'before');
        chmodSync(file, c.target === 'read-only' ? 0o444 : c.mode);
        break;
      case 'symlink':
        writeFileSync(otherTarget, 'before');
        chmodSync(otherTarget, c.mode);
        symlinkSync(otherTarget, file);
        break;
      case 'dangling':
        symlinkSync(path.join(dir, 'nowhere', 'x'), file);
        break;
      case 'fifo':
        if (spawnSync('mkfifo', [file]).status !== 0) return;
        reader = openSync(file, constants.O_RDWR | constants.O_NONBLOCK); // a reader, so opening for writing does not wait
        break;
      case 'device':
        if (process.getuid?.() !== 0 || spawnSync('mknod', [file, 'c', '1', '3']).status !== 0) return;
        break;
      case 'directory':
        mkdirSync(file);
        break;
    }
    const before = lstatSync(file, { throwIfNoEntry: false });
    const others = snapshot(dir);
    others.delete(file);
    if (c.target === 'symlink') others.delete(otherTarget);
    let refused: WriteRefused | undefined;
    try {
      writeOutputFile(file, text, '--output');
    } catch (error) {
      if (!(error instanceof WriteRefused)) throw new Error(`${c.target}: not a WriteRefused: ${String(error)}`);
      if (/[\r]/.test(error.reason) || error.reason.includes('\n')) throw new Error(`${c.target}: refusal reason is not one line`);
      refused = error;
    }
    const after = lstatSync(file, { throwIfNoEntry: false });
    // A name near NAME_MAX (255 bytes) leaves no room for the temporary file of an atomic replace.
    const tooLong = name.length > 200 && (c.target === 'missing' || c.target === 'file');
    const expectRefused = ['read-only', 'dangling', 'directory'].includes(c.target) || tooLong;
    if (expectRefused !== Boolean(refused)) throw new Error(`${c.target}: ${refused ? `refused: ${refused.message}` : 'written, expected a refusal'}`);
    if (before && after) {
      const kind = (s: typeof before) => (s.isSymbolicLink() ? 'symlink' : s.isFIFO() ? 'fifo' : s.isCharacterDevice() ? 'device' : s.isDirectory() ? 'directory' : 'file');
      if (kind(before) !== kind(after)) throw new Error(`${c.target}: a ${kind(before)} became a ${kind(after)}`);
    }
    if (c.target === 'dangling' && lstatSync(path.join(dir, 'nowhere'), { throwIfNoEntry: false })) throw new Error('the dangling symlink was followed');
    if (!refused && (c.target === 'missing' || c.target === 'file' || c.target === 'symlink')) {
      const written = c.target === 'symlink' ? otherTarget : file;
      if (readFileSync(written, 'utf8') !== text) throw new Error(`${c.target}: the text was not written exactly`);
      if (c.target !== 'missing' && (statSync(written).mode & 0o7777) !== c.mode) throw new Error(`${c.target}: mode ${(statSync(written).mode & 0o7777).toString(8)} not kept (${c.mode.toString(8)})`);
    }
    if (reader !== undefined) {
      const buf = Buffer.alloc(text.length + 16);
      let got = 0;
      try {
        got = readSync(reader, buf, 0, buf.length, null);
      } catch {
        got = 0;
      }
      closeSync(reader);
      if (!refused && buf.subarray(0, got).toString() !== text) throw new Error('fifo: the reader did not get the text');
    }
    const now = snapshot(dir);
    for (const [p, sig] of others) if (now.get(p) !== sig) throw new Error(`${c.target}: ${p} changed`);
    for (const p of now.keys()) if (!others.has(p) && p !== file && p !== otherTarget) throw new Error(`${c.target}: ${p} left behind`);
    if (readFileSync(outside, 'utf8') !== 'outside') throw new Error('a file outside the case directory changed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  bounded(started, `output ${c.target}`);
}

export function outputTargetProperty(root: string): fc.IPropertyWithHooks<[OutputCase]> {
  return fc.property(outputCaseArbitrary(), (c) => checkOutputCase(c, root));
}

/** One crafted list answer for every list call of a kind. */
export interface ApiServerCase {
  plural: 'destinationrules' | 'services' | 'namespaces';
  names: number[];
  namespaces: number[];
  pagination: 'none' | 'endless' | 'repeated';
  junk: boolean;
  items: number;
}

export function apiServerCaseArbitrary(): fc.Arbitrary<ApiServerCase> {
  return fc.record({
    plural: fc.constantFrom('destinationrules' as const, 'services' as const, 'namespaces' as const),
    names: fc.array(fc.nat({ max: HOSTILE_NAMES.length - 1 }), { minLength: 1, maxLength: 6 }),
    namespaces: fc.array(fc.nat({ max: HOSTILE_NAMES.length - 1 }), { minLength: 1, maxLength: 3 }),
    pagination: fc.constantFrom('none' as const, 'endless' as const, 'repeated' as const),
    junk: fc.boolean(),
    items: fc.integer({ min: 0, max: 3000 }), // up to 3,000: over the 2,000-item bound of checkApiServerCase
  });
}

/** The list body the hostile server sends for call number `count` of the case's kind. */
export function hostileBody(c: ApiServerCase, count: number): unknown {
  const items: unknown[] = [];
  for (let i = 0; i < c.items; i++) {
    const name = HOSTILE_NAMES[c.names[i % c.names.length]!]!;
    const namespace = HOSTILE_NAMES[c.namespaces[i % c.namespaces.length]!]!;
    items.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: `${name}${i}`, namespace }, spec: { host: 'h.example.com' } });
  }
  if (c.junk) items.push(null, 5, 'str', [], { metadata: null });
  const token = c.pagination === 'endless' ? `t-${count}` : c.pagination === 'repeated' ? 'same' : undefined;
  return { kind: 'List', apiVersion: 'v1', metadata: token ? { continue: token } : {}, items };
}

/** Runs one API server case against `server` (whose `hostileList` reads `current`); throws naming the broken invariant. */
export async function checkApiServerCase(c: ApiServerCase, server: FakeApiServer, root: string): Promise<void> {
  const started = performance.now();
  const dir = mkdtempSync(path.join(root, 'api-'));
  try {
    const kc = path.join(dir, 'kc.yaml');
    writeFileSync(kc, singleContextKubeconfig('hostile', server.url, TOKEN, server.caPem));
    const before = server.requests.length;
    const maxListPages = 15;
    // Below the largest page a case sends (3,000 items and junk): one page can hold more than the bound, which is
    // then cut while it is parsed.
    const maxListItems = 2000;
    const read = await readCluster({ kubeconfig: kc, env: { HOME: dir }, maxListPages, maxListItems, pageSize: 500 });
    const lists = server.requests.slice(before).filter((r) => r.path.endsWith(`/${c.plural}`)).length;
    if (lists > maxListPages) throw new Error(`${lists} list calls of ${c.plural}, bound ${maxListPages}`);
    for (const o of read.objects) if (!hasValidNames(o, String(o.kind))) throw new Error(`an object with names ${JSON.stringify(o.metadata)} was kept`);
    for (const n of read.coverage) if (/[\u0000-\u001f\u007f]/.test(n.message)) throw new Error(`coverage note with a control character: ${JSON.stringify(n.message)}`);
    if (c.pagination !== 'none' && !read.coverage.some((n) => n.status === 'truncated')) throw new Error('pagination never ended but no truncated note');
    const kind = { destinationrules: 'DestinationRule', services: 'Service', namespaces: 'Namespace' }[c.plural];
    const kept = read.objects.filter((o) => o.kind === kind).length;
    if (kept > maxListItems) throw new Error(`${kept} ${kind} objects kept, bound ${maxListItems}`);
    const sent = c.items + (c.junk ? 5 : 0);
    if (sent > maxListItems && !read.coverage.some((n) => n.status === 'truncated' && n.kind === kind)) throw new Error(`a page of ${sent} items over the bound of ${maxListItems} but no truncated note`);
    const dump = path.join(dir, 'dump');
    const written = await dumpObjects(read, dump);
    for (const f of written) if (path.dirname(f) !== dump) throw new Error(`dump file outside its directory: ${f}`);
    for (const entry of readdirSync(dir)) if (!['kc.yaml', 'dump'].includes(entry)) throw new Error(`unexpected file ${entry} beside the dump`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  bounded(started, `api server ${c.plural} ${c.pagination}`);
}

/** A temporary root for the cases, removed by `cleanup`. */
export function fuzzRoot(): { root: string; cleanup: () => void } {
  const root = mkdtempSync(path.join(tmpdir(), 'meshlint-fuzz-io-'));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
