/**
 * `meshlint ports`: the /proc/net/tcp parser on text captured from a Linux host (with hand-added odd lines), and
 * the whole command against real sockets: the test opens and closes TCP connections to its own server on
 * 127.0.0.1, closing from the client side, so the kernel holds real TIME_WAIT sockets, then checks the counts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerPortsCommand } from '../../src/node/ports-command.js';
import { analyseSnapshot, compareSnapshots, decodeIPv4Hex, decodeIPv6Hex, parseProcNetTcp, readProcSnapshot, secondsToExhaustion } from '../../src/node/ports.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';

const FIXTURES = join(ROOT, 'test', 'node', 'fixtures', 'proc');
const tcpText = readFileSync(join(FIXTURES, 'net-tcp.txt'), 'utf8');
const tcp6Text = readFileSync(join(FIXTURES, 'net-tcp6.txt'), 'utf8');

/** A proc-like directory with the captured tables and the given sysctl files. */
function procDir(dir: string, sys: Record<string, string>): string {
  mkdirSync(join(dir, 'net'), { recursive: true });
  mkdirSync(join(dir, 'sys', 'net', 'ipv4'), { recursive: true });
  writeFileSync(join(dir, 'net', 'tcp'), tcpText);
  writeFileSync(join(dir, 'net', 'tcp6'), tcp6Text);
  for (const [name, value] of Object.entries(sys)) writeFileSync(join(dir, 'sys', 'net', 'ipv4', name), value);
  return dir;
}

describe('/proc/net/tcp parser on captured text', () => {
  it('reads IPv4 socket lines and skips the header, a truncated line, garbage and a blank line', () => {
    const t = parseProcNetTcp(tcpText);
    assert.equal(t.sockets.length, 11);
    assert.equal(t.skipped, 4);
    const listen = t.sockets[0]!;
    assert.deepEqual([listen.localAddress, listen.localPort, listen.state, listen.remotePort], ['127.0.0.1', 0x9c3d, 'LISTEN', 0]);
    const tw = t.sockets.find((s) => s.localPort === 0xad42)!;
    assert.deepEqual([tw.state, tw.remoteAddress, tw.remotePort, tw.timerActive, tw.inode], ['TIME_WAIT', '127.0.0.1', 0x9c3d, 3, 0]);
    assert.equal(tw.timerSeconds, 0x1765 / 100);
    const wide = t.sockets.find((s) => s.localPort === 50000)!;
    assert.equal(wide.remoteAddress, '10.0.0.5', 'bytes of each 32-bit word are printed in host (little-endian) order');
    assert.equal(wide.timerSeconds, 48, 'a 16-digit tm->when (64-bit kernels) is read');
  });

  it('reads IPv6 lines: loopback, IPv4-mapped and global addresses; a line mixing address lengths is skipped', () => {
    const t = parseProcNetTcp(tcp6Text);
    assert.equal(t.sockets.length, 6);
    assert.equal(t.skipped, 2);
    assert.ok(t.sockets.every((s) => s.family === 6));
    assert.equal(t.sockets[0]!.localAddress, '::1');
    assert.equal(t.sockets[3]!.remoteAddress, '::ffff:127.0.0.1');
    const global = t.sockets.find((s) => s.localPort === 0xc352)!;
    assert.deepEqual([global.remoteAddress, global.remotePort, global.state], ['2001:db8::1', 443, 'TIME_WAIT']);
  });

  it('decodes addresses and rejects malformed hex', () => {
    assert.equal(decodeIPv4Hex('0100007F'), '127.0.0.1');
    assert.equal(decodeIPv6Hex('0000000000000000FFFF00000100007F'), '::ffff:127.0.0.1');
    assert.equal(decodeIPv6Hex('B80D0120000000000000000001000000'), '2001:db8::1');
    assert.throws(() => decodeIPv4Hex('0100007'), /not an IPv4 address/);
    assert.throws(() => decodeIPv6Hex('zz'), /not an IPv6 address/);
  });

  it('counts use of the ephemeral range per destination with the budget under --proc', async () => {
    const t = tempDir();
    try {
      const dir = procDir(t.dir, { ip_local_port_range: '50000\t50099\n', ip_local_reserved_ports: '50050-50099\n', tcp_tw_reuse: '1\n' });
      const report = analyseSnapshot(await readProcSnapshot(dir), { top: 0 });
      assert.deepEqual([report.budget.low, report.budget.high, report.budget.reserved, report.budget.usable, report.budget.twReuse], [50000, 50099, 50, 50, 1]);
      const dest = report.destinations.find((d) => d.destination === '10.0.0.5:443')!;
      assert.deepEqual([dest.timeWait, dest.ephemeral, dest.utilisation], [1, 1, 1 / 50], 'port 50000 is in the range; the truncated line (50001) is not counted');
      const v6 = report.destinations.find((d) => d.destination === '[2001:db8::1]:443')!;
      assert.equal(v6.timeWait, 1);
      assert.ok(report.notes.some((n) => /tcp_tw_reuse = 1/.test(n)));
      assert.equal(report.states['TIME_WAIT'], 10);
    } finally {
      t.cleanup();
    }
  });

  it('time to exhaustion: full now, never at rate 0, and after present TIME_WAIT sockets expire', () => {
    assert.equal(secondsToExhaustion(100, 100, 5, []), 0);
    assert.equal(secondsToExhaustion(100, 10, 0, []), null);
    assert.equal(secondsToExhaustion(100, 10, 3, []), 30, '90 free ports at 3/s');
    assert.equal(secondsToExhaustion(100, 10, 1, []), null, '1/s × 60 s holds 60 ports: never full');
    assert.equal(secondsToExhaustion(100, 50, 1, Array(50).fill(10)), null, 'the 50 present expire at 10 s');
  });
});

describe('meshlint ports on real TIME_WAIT sockets (127.0.0.1)', { skip: existsSync('/proc/net/tcp') ? false : 'no /proc/net/tcp on this system (not Linux)' }, () => {
  const CLOSED = 120;
  const OPEN = 7;
  let server: net.Server;
  let port: number;
  const clients: net.Socket[] = [];
  const closedPorts = new Set<number>();
  const serverSockets = new Set<net.Socket>();
  let before1: Awaited<ReturnType<typeof readProcSnapshot>>;

  const connect = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () => resolve(c));
      c.once('error', reject);
      c.resume();
    });

  before(async () => {
    server = net.createServer((s) => {
      serverSockets.add(s);
      s.on('close', () => serverSockets.delete(s));
      s.on('end', () => s.end()); // the client closes first; the server answers its FIN
      s.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
    before1 = await readProcSnapshot('/proc');
    for (let batch = 0; batch < CLOSED; batch += 40) {
      await Promise.all(
        Array.from({ length: Math.min(40, CLOSED - batch) }, async () => {
          const c = await connect();
          closedPorts.add(c.localPort!);
          await new Promise<void>((resolve) => {
            c.once('close', () => resolve());
            c.end();
          });
        }),
      );
    }
    for (let i = 0; i < OPEN; i++) clients.push(await connect());
  });

  after(async () => {
    for (const c of clients) c.destroy();
    for (const s of serverSockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('counts exactly the TIME_WAIT and ESTABLISHED sockets the test made towards its server', async () => {
    const snap = await readProcSnapshot('/proc');
    const mine = snap.sockets.filter((s) => s.remotePort === port && s.remoteAddress === '127.0.0.1');
    assert.deepEqual(new Set(mine.filter((s) => s.state === 'TIME_WAIT').map((s) => s.localPort)), closedPorts, 'TIME_WAIT sockets are the closed connections (client side closed first)');
    const report = analyseSnapshot(snap, { top: 0 });
    const dest = report.destinations.find((d) => d.destination === `127.0.0.1:${port}`);
    assert.ok(dest, 'the test server is a destination');
    assert.equal(dest.timeWait, CLOSED);
    assert.equal(dest.established, OPEN);
    assert.equal(dest.ephemeral, CLOSED + OPEN, 'client ports come from the ephemeral range');
    assert.ok(Math.abs(dest.utilisation - (CLOSED + OPEN) / report.budget.usable) < 1e-12);
    assert.ok(report.inbound >= OPEN, 'the server side of the open connections is inbound');
  });

  it('rates between two snapshots: the new TIME_WAIT sockets towards the server', async () => {
    const rates = compareSnapshots(before1, await readProcSnapshot('/proc'));
    const row = rates.destinations.find((d) => d.destination === `127.0.0.1:${port}`);
    assert.ok(row);
    assert.equal(row.newTimeWait, CLOSED);
    assert.ok(row.newTimeWaitPerSecond > 0);
    assert.equal(row.freePorts, before1.budget.usable - CLOSED - OPEN);
  });

  it('the CLI (--format json --top 0) reports the same counts', () => {
    const r = runCli(['ports', '--format', 'json', '--top', '0']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { destinations: { destination: string; timeWait: number; established: number }[]; rates: unknown };
    const dest = doc.destinations.find((d) => d.destination === `127.0.0.1:${port}`);
    assert.deepEqual([dest?.timeWait, dest?.established], [CLOSED, OPEN]);
    assert.equal(doc.rates, null);
  });
});

describe('meshlint ports: command line', () => {
  it('--proc DIR reads offline copies; text shows the budget and the top destinations', () => {
    const t = tempDir();
    try {
      const dir = procDir(t.dir, { ip_local_port_range: '32768 60999\n' });
      const r = runCli(['ports', '--proc', dir, '--top', '2']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /ephemeral range 32768-60999: 28232 ports, 0 reserved, 28232 usable \(exhausted by 471 new connections\/s/);
      assert.match(r.stdout, /DESTINATION\s+TIME_WAIT\s+ESTABLISHED/);
      assert.match(r.stdout, /more destinations \(--top N\)/);
      assert.match(r.stdout, /note: cannot read .*tcp_tw_reuse/);
    } finally {
      t.cleanup();
    }
  });

  it('--watch SECONDS --count N prints one JSON object per sample with rates from the second on', () => {
    const t = tempDir();
    try {
      const dir = procDir(t.dir, {});
      const r = runCli(['ports', '--proc', dir, '--watch', '0.1', '--count', '2', '--format', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { sample: number; rates: { newTimeWait: number } | null });
      assert.deepEqual(lines.map((l) => l.sample), [1, 2]);
      assert.equal(lines[0]!.rates, null);
      assert.equal(lines[1]!.rates!.newTimeWait, 0, 'the same files: nothing new');
    } finally {
      t.cleanup();
    }
  });

  it('bad input: one line on stderr and exit code 2', async () => {
    const r = runCli(['ports', '--proc', '/nonexistent-proc']);
    assert.equal(r.code, 2, r.stdout);
    assert.equal(r.stderr, 'meshlint ports: cannot read /nonexistent-proc/net/tcp: ENOENT\n');
    for (const args of [['--watch', '0'], ['--count', '2'], ['--format', 'xml'], ['--port-range', '9-2'], ['--reserved-ports', '1-2-3'], ['--top', '-1']]) {
      const out: string[] = [];
      const err: string[] = [];
      let code = 0;
      const program = new Command('meshlint').exitOverride();
      registerPortsCommand(program, { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, setExitCode: (c) => (code = c) }).exitOverride();
      await program.parseAsync(['node', 'meshlint', 'ports', '--proc', '/nonexistent-proc', ...args]);
      assert.equal(code, 2, args.join(' '));
      assert.deepEqual(out, []);
      assert.equal(err.length, 1);
      assert.match(err[0]!, /^meshlint ports: --[a-z-]+[ :].*\n$/, err[0]);
    }
  });

  it('IPv6 loopback sockets are read from net/tcp6 when the host has it', { skip: !existsSync('/proc/net/tcp6') ? 'no /proc/net/tcp6 (IPv6 disabled)' : false }, async () => {
    const server = net.createServer((s) => {
      s.on('end', () => s.end());
      s.resume();
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '::1', resolve);
      });
    } catch {
      return; // ::1 not configured: nothing to check
    }
    const port = (server.address() as net.AddressInfo).port;
    try {
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve, reject) => {
          const c = net.connect(port, '::1', () => c.end());
          c.once('close', () => resolve());
          c.once('error', reject);
          c.resume();
        });
      }
      const report = analyseSnapshot(await readProcSnapshot('/proc'), { top: 0 });
      assert.equal(report.destinations.find((d) => d.destination === `[::1]:${port}`)?.timeWait, 5);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
