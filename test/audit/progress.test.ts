import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressIndicator, type ProgressStream } from '../../src/audit/progress.js';

/** A stream that records what is written; a terminal or not, of a given width. */
function stream(isTTY: boolean, columns?: number): ProgressStream & { written(): string } {
  let text = '';
  return { isTTY, columns, write: (t: string) => (text += t), written: () => text };
}

describe('audit progress indicator', () => {
  it('is silent when standard error is not a terminal', () => {
    assert.equal(progressIndicator(stream(false)), undefined);
    assert.equal(progressIndicator({ write: () => true }), undefined);
  });

  it('rewrites one line: objects so far, kinds done, kinds being read; then a summary line', () => {
    const s = stream(true, 120);
    let clock = 1000;
    const p = progressIndicator(s, 100, () => clock)!;
    p.update({ kind: 'Namespace', objects: 0, done: false });
    p.update({ kind: 'DestinationRule', objects: 0, done: false });
    assert.ok(s.written() === '', 'the first line waits for the interval (or a completed kind)');
    clock += 150;
    p.update({ kind: 'DestinationRule', objects: 500, done: false });
    assert.ok(s.written() === '\r\x1b[2Kreading the cluster: 500 objects, 0 of 2 kinds done (reading Namespace 0, DestinationRule 500)', s.written());
    clock += 10;
    p.update({ kind: 'DestinationRule', objects: 1000, done: false });
    assert.ok(!s.written().includes('1,000'), 'redraws are throttled');
    p.update({ kind: 'Namespace', objects: 3, done: true });
    assert.ok(s.written().endsWith('\r\x1b[2Kreading the cluster: 1,003 objects, 1 of 2 kinds done (reading DestinationRule 1,000)'), 'a completed kind always redraws');
    p.finish('read 1,003 objects');
    assert.ok(s.written().endsWith('\r\x1b[2Kread 1,003 objects\n'));
  });

  it('cuts the line to the terminal width (80 when unknown), and clear() erases it without a newline', () => {
    const narrow = stream(true, 40);
    const p = progressIndicator(narrow, 0)!;
    p.update({ kind: 'VirtualService', objects: 12345, done: false });
    const line = narrow.written().slice('\r\x1b[2K'.length);
    assert.equal(line.length, 39);
    assert.ok(line.endsWith('…'));
    p.clear();
    assert.ok(narrow.written().endsWith('\r\x1b[2K'));
    assert.ok(!narrow.written().includes('\n'));

    const unknown = stream(true, 0);
    progressIndicator(unknown, 0)!.update({ kind: 'Service', objects: 1, done: true });
    assert.equal(unknown.written(), '\r\x1b[2Kreading the cluster: 1 objects, 1 of 1 kinds done');
  });
});
