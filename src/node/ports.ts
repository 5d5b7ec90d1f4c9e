/**
 * `meshlint ports`, the pure part: parse `/proc/net/tcp` and `/proc/net/tcp6`, count sockets by state and by
 * destination, and measure how much of the ephemeral port range each destination `ip:port` holds — the
 * quantity that runs out and makes `connect()` fail with EADDRNOTAVAIL (kernel `Documentation/networking/ip-sysctl.rst`, `ip_local_port_range`).
 *
 * Format of the tables: `net/ipv4/tcp_ipv4.c` (`get_tcp4_sock`, `get_timewait4_sock`, `get_openreq4`) and
 * `net/ipv6/tcp_ipv6.c` (`get_tcp6_sock`, …): one socket per line,
 * `sl: LOCAL:PORT REMOTE:PORT st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …`, addresses as hex
 * of the `__be32` words printed in host byte order (so on little-endian hosts, x86-64 and arm64, each 32-bit
 * word's bytes appear reversed), ports as 4 hex digits in host order.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TIME_WAIT_SECONDS } from '../facts.js';
import { portBudgetFromValues, type BudgetValue, type PortBudget } from './sysctl.js';

/**
 * TCP states by the number the kernel prints in the `st` column (`include/net/tcp_states.h`).
 * `NEW_SYN_RECV` and `BOUND_INACTIVE` exist in the enum but request sockets are printed as `SYN_RECV`.
 */
export const TCP_STATES: Readonly<Record<number, string>> = {
  0x01: 'ESTABLISHED',
  0x02: 'SYN_SENT',
  0x03: 'SYN_RECV',
  0x04: 'FIN_WAIT1',
  0x05: 'FIN_WAIT2',
  0x06: 'TIME_WAIT',
  0x07: 'CLOSE',
  0x08: 'CLOSE_WAIT',
  0x09: 'LAST_ACK',
  0x0a: 'LISTEN',
  0x0b: 'CLOSING',
  0x0c: 'NEW_SYN_RECV',
  0x0d: 'BOUND_INACTIVE',
};

/**
 * Clock ticks per second of the `tm->when` column: the kernel prints timers with `jiffies_delta_to_clock_t()`,
 * in `USER_HZ` units, 100 on every mainstream architecture (`include/asm-generic/param.h`).
 */
export const USER_HZ = 100;

/** One socket line of `/proc/net/tcp` or `/proc/net/tcp6`. */
export interface TcpSocket {
  /** 4 for a line with 8-hex-digit addresses (`tcp`), 6 for 32 digits (`tcp6`). */
  family: 4 | 6;
  /** Local address: dotted IPv4, or RFC 5952 IPv6 (`::1`, `::ffff:10.0.0.1`). */
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Numeric state from the `st` column (`include/net/tcp_states.h`). */
  stateCode: number;
  /** State name from {@link TCP_STATES}, or `UNKNOWN_0xNN`. */
  state: string;
  /** `tr` column: 0 no timer, 1 retransmit, 2 keep-alive, 3 TIME_WAIT, 4 zero-window probe. */
  timerActive: number;
  /** `tm->when`: time until the timer fires, seconds (clock ticks ÷ {@link USER_HZ}). */
  timerSeconds: number;
  uid: number;
  inode: number;
}

/** Result of parsing one table: sockets, and the number of lines that were not socket lines. */
export interface ParsedTcpTable {
  sockets: TcpSocket[];
  /** Header, blank, truncated or malformed lines skipped. */
  skipped: number;
}

const HEX = '[0-9A-Fa-f]';
const LINE = new RegExp(
  `^\\s*\\d+:\\s+(${HEX}{8}|${HEX}{32}):(${HEX}{4})\\s+(${HEX}{8}|${HEX}{32}):(${HEX}{4})\\s+(${HEX}{2})` +
    `\\s+${HEX}{8}:${HEX}{8}\\s+(${HEX}{2}):(${HEX}{8,16})\\s+${HEX}{8}\\s+(\\d+)\\s+-?\\d+\\s+(\\d+)(?:\\s|$)`,
);

/**
 * Decode an IPv4 address as `/proc/net/tcp` prints it on a little-endian host: `0100007F` → `127.0.0.1`.
 *
 * @throws Error if `hex` is not 8 hex digits.
 */
export function decodeIPv4Hex(hex: string): string {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) throw new Error(`not an IPv4 address in /proc/net/tcp form: ${JSON.stringify(hex)}`);
  const bytes = [6, 4, 2, 0].map((k) => parseInt(hex.slice(k, k + 2), 16));
  return bytes.join('.');
}

/**
 * Decode an IPv6 address as `/proc/net/tcp6` prints it on a little-endian host (four 32-bit words, each with its
 * bytes reversed) and format it per RFC 5952: `00000000000000000000000001000000` → `::1`,
 * `0000000000000000FFFF00000100007F` → `::ffff:127.0.0.1`.
 *
 * @throws Error if `hex` is not 32 hex digits.
 */
export function decodeIPv6Hex(hex: string): string {
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) throw new Error(`not an IPv6 address in /proc/net/tcp6 form: ${JSON.stringify(hex)}`);
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (const k of [6, 4, 2, 0]) bytes.push(parseInt(word.slice(k, k + 2), 16));
  }
  return formatIPv6(bytes);
}

/** Format 16 bytes as an RFC 5952 IPv6 address; IPv4-mapped addresses as `::ffff:a.b.c.d`. */
function formatIPv6(bytes: number[]): string {
  const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push((bytes[2 * g]! << 8) | bytes[2 * g + 1]!);
  // Longest run of zero groups, at least 2 long, first one on ties (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLen = 0;
  for (let g = 0; g < 8; ) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    let e = g;
    while (e < 8 && groups[e] === 0) e++;
    if (e - g > bestLen && e - g >= 2) {
      bestStart = g;
      bestLen = e - g;
    }
    g = e;
  }
  const hexes = groups.map((x) => x.toString(16));
  if (bestStart < 0) return hexes.join(':');
  return `${hexes.slice(0, bestStart).join(':')}::${hexes.slice(bestStart + bestLen).join(':')}`;
}

/**
 * Parse the text of `/proc/net/tcp` or `/proc/net/tcp6`. The family of each line follows from its address
 * length (8 or 32 hex digits). Lines that are not complete socket lines (the header, blank lines, lines cut off
 * before the `inode` column, garbage) are skipped and counted; nothing throws.
 */
export function parseProcNetTcp(text: string): ParsedTcpTable {
  const sockets: TcpSocket[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) {
      skipped++;
      continue;
    }
    const [, lAddr, lPort, rAddr, rPort, st, tr, when, uid, inode] = m as unknown as string[];
    if (lAddr!.length !== rAddr!.length) {
      skipped++;
      continue;
    }
    const family = lAddr!.length === 8 ? 4 : 6;
    const decode = family === 4 ? decodeIPv4Hex : decodeIPv6Hex;
    const stateCode = parseInt(st!, 16);
    sockets.push({
      family,
      localAddress: decode(lAddr!),
      localPort: parseInt(lPort!, 16),
      remoteAddress: decode(rAddr!),
      remotePort: parseInt(rPort!, 16),
      stateCode,
      state: TCP_STATES[stateCode] ?? `UNKNOWN_0x${st!.toUpperCase()}`,
      timerActive: parseInt(tr!, 16),
      timerSeconds: parseInt(when!, 16) / USER_HZ,
      uid: Number(uid),
      inode: Number(inode),
    });
  }
  // A file ending in a newline yields one empty last element: not a skipped line.
  if (text.endsWith('\n')) skipped--;
  return { sockets, skipped };
}

/** An IPv4-mapped IPv6 address as plain IPv4 (`::ffff:10.0.0.1` → `10.0.0.1`); other addresses unchanged. */
export function unmapAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** `ip:port` for IPv4, `[ip]:port` for IPv6. */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Why reading a proc directory failed: the message is one line, fit for the user. */
export class ProcReadError extends Error {
  override name = 'ProcReadError';
}

/** Everything read from one proc directory at one moment. */
export interface ProcSnapshot {
  /** The proc directory read, as given (`/proc`, `/host/proc`). */
  procDir: string;
  /** When the tables were read, milliseconds since the epoch. */
  takenAtMs: number;
  sockets: TcpSocket[];
  /** Lines of `net/tcp` and `net/tcp6` that were not socket lines (headers included). */
  skippedLines: number;
  /** Port budget from `sys/net/ipv4/*` under the proc directory, or from overrides, or defaults. */
  budget: PortBudget;
  /** Files that could not be read, and what was assumed instead. */
  notes: string[];
}

/** Values that replace what the proc directory says (from `--port-range`, `--reserved-ports`). */
export interface BudgetOverrides {
  /** `ip_local_port_range` text, `LOW HIGH`. */
  portRange?: string;
  /** `ip_local_reserved_ports` text, `30000-32767,8080`. */
  reservedPorts?: string;
}

function errorCode(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? err.message;
}

/**
 * Read `net/tcp`, `net/tcp6` and `sys/net/ipv4/{ip_local_port_range,ip_local_reserved_ports,tcp_tw_reuse}`
 * under `procDir`. A missing `net/tcp6` (IPv6 disabled) and missing sysctl files (e.g. `--proc /proc/PID`,
 * which has `net/` but no `sys/`) are noted and defaults assumed.
 *
 * Note: `/proc/net` shows the sockets of the reading process's network namespace; `/proc/PID/net` those of
 * process PID's.
 *
 * @throws ProcReadError when `net/tcp` cannot be read, or `net/tcp6` exists but cannot be read.
 */
export async function readProcSnapshot(procDir: string, overrides: BudgetOverrides = {}): Promise<ProcSnapshot> {
  const notes: string[] = [];
  const takenAtMs = Date.now();
  const tcpPath = join(procDir, 'net', 'tcp');
  const tcp6Path = join(procDir, 'net', 'tcp6');
  let tcpText: string;
  try {
    tcpText = await readFile(tcpPath, 'utf8');
  } catch (e) {
    throw new ProcReadError(`cannot read ${tcpPath}: ${errorCode(e)}`);
  }
  let tcp6Text = '';
  try {
    tcp6Text = await readFile(tcp6Path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ProcReadError(`cannot read ${tcp6Path}: ${errorCode(e)}`);
    notes.push(`${tcp6Path} does not exist (IPv6 disabled?): IPv4 sockets only`);
  }
  const v4 = parseProcNetTcp(tcpText);
  const v6 = parseProcNetTcp(tcp6Text);

  const sysctl = async (name: string, override: string | undefined, flag: string): Promise<BudgetValue | undefined> => {
    if (override !== undefined) return { value: override, from: flag };
    const path = join(procDir, 'sys', 'net', 'ipv4', name);
    try {
      return { value: await readFile(path, 'utf8'), from: path };
    } catch (e) {
      notes.push(`cannot read ${path} (${errorCode(e)}): kernel default assumed`);
      return undefined;
    }
  };
  const values: Parameters<typeof portBudgetFromValues>[0] = {};
  const range = await sysctl('ip_local_port_range', overrides.portRange, '--port-range');
  if (range) values.ip_local_port_range = range;
  const reserved = await sysctl('ip_local_reserved_ports', overrides.reservedPorts, '--reserved-ports');
  if (reserved) values.ip_local_reserved_ports = reserved;
  const tw = await sysctl('tcp_tw_reuse', undefined, '');
  if (tw) values.tcp_tw_reuse = tw;
  const budget = portBudgetFromValues(values);
  for (const n of budget.notes) notes.push(n);
  return {
    procDir,
    takenAtMs,
    sockets: [...v4.sockets, ...v6.sockets],
    skippedLines: v4.skipped + v6.skipped,
    budget,
    notes,
  };
}

/** Use of the ephemeral range towards one destination `ip:port`. */
export interface DestinationUsage {
  /** `10.0.0.5:443` or `[2001:db8::1]:443`; IPv4-mapped IPv6 destinations are shown as IPv4. */
  destination: string;
  address: string;
  port: number;
  /** Sockets to this destination in TIME_WAIT. */
  timeWait: number;
  /** Sockets to this destination in ESTABLISHED. */
  established: number;
  /** Sockets to this destination in any other state (SYN_SENT, FIN_WAIT*, CLOSE_WAIT, …). */
  other: number;
  /** timeWait + established + other. */
  total: number;
  /** Of these, sockets whose local port is a usable ephemeral port (inside the range, not reserved). */
  ephemeral: number;
  /** ephemeral ÷ usable ports, a fraction (1 = exhausted for one local address). */
  utilisation: number;
  /** Distinct local addresses among these sockets (each has its own set of ports; utilisation assumes one). */
  localAddresses: number;
}

/** What `meshlint ports` reports for one snapshot (also the `--format json` output without `--watch`). */
export interface PortsReport {
  /** The proc directory read. */
  source: string;
  /** ISO 8601 time of the reading. */
  takenAt: string;
  budget: {
    low: number;
    high: number;
    reserved: number;
    usable: number;
    twReuse: 0 | 1 | 2 | null;
    sources: string[];
    /** usable ÷ TIME_WAIT_SECONDS: new connections per second to one destination that fill the range with TIME_WAIT. */
    maxNewConnectionsPerSecond: number;
  };
  /** Socket lines read (IPv4 and IPv6). */
  sockets: number;
  /** Sockets by state name; every state of `include/net/tcp_states.h` that occurs. */
  states: Record<string, number>;
  /** Lines skipped (headers, blank, truncated, garbage). */
  skippedLines: number;
  /** Sockets counted per destination: not LISTEN, remote port ≠ 0, local port not a listening port. */
  outbound: number;
  /** Connected sockets whose local port is a listening port (this host is the server); not in `destinations`. */
  inbound: number;
  /** Distinct destinations. */
  destinationCount: number;
  /** The top destinations by `ephemeral`, then `timeWait`, then name. */
  destinations: DestinationUsage[];
  notes: string[];
}

const LISTEN = 0x0a;
const TIME_WAIT = 0x06;
const CLOSE = 0x07;

/** Port predicate for the usable ephemeral range of a budget. */
export function ephemeralPredicate(budget: PortBudget): (port: number) => boolean {
  const reserved = budget.reservedRanges;
  return (port) => port >= budget.low && port <= budget.high && !reserved.some((r) => port >= r.low && port <= r.high);
}

/** Sockets grouped by destination, with the inbound sockets left out. */
function groupByDestination(sockets: readonly TcpSocket[]): { groups: Map<string, TcpSocket[]>; inbound: number } {
  const listening = new Set<number>();
  for (const s of sockets) if (s.stateCode === LISTEN) listening.add(s.localPort);
  const groups = new Map<string, TcpSocket[]>();
  let inbound = 0;
  for (const s of sockets) {
    if (s.stateCode === LISTEN || s.stateCode === CLOSE || s.remotePort === 0) continue;
    if (listening.has(s.localPort)) {
      inbound++;
      continue;
    }
    const key = formatEndpoint(unmapAddress(s.remoteAddress), s.remotePort);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(s);
  }
  return { groups, inbound };
}

/**
 * Count sockets by state and by destination and compute each destination's use of the ephemeral range.
 *
 * @param snapshot what {@link readProcSnapshot} returned (or one built by hand in tests).
 * @param options.top number of destinations to list (default 10; 0 lists all).
 */
export function analyseSnapshot(snapshot: ProcSnapshot, options: { top?: number } = {}): PortsReport {
  const top = options.top ?? 10;
  const { budget } = snapshot;
  const isEphemeral = ephemeralPredicate(budget);
  const states: Record<string, number> = {};
  for (const s of snapshot.sockets) states[s.state] = (states[s.state] ?? 0) + 1;
  const { groups, inbound } = groupByDestination(snapshot.sockets);
  const rows: DestinationUsage[] = [];
  let outbound = 0;
  for (const [destination, list] of groups) {
    outbound += list.length;
    const first = list[0]!;
    let timeWait = 0;
    let established = 0;
    let ephemeral = 0;
    const locals = new Set<string>();
    for (const s of list) {
      if (s.stateCode === TIME_WAIT) timeWait++;
      else if (s.state === 'ESTABLISHED') established++;
      if (isEphemeral(s.localPort)) ephemeral++;
      locals.add(unmapAddress(s.localAddress));
    }
    rows.push({
      destination,
      address: unmapAddress(first.remoteAddress),
      port: first.remotePort,
      timeWait,
      established,
      other: list.length - timeWait - established,
      total: list.length,
      ephemeral,
      utilisation: budget.usable > 0 ? ephemeral / budget.usable : 0,
      localAddresses: locals.size,
    });
  }
  rows.sort((a, b) => b.ephemeral - a.ephemeral || b.timeWait - a.timeWait || a.destination.localeCompare(b.destination));
  const notes = [...snapshot.notes];
  if (budget.twReuse === 1) {
    notes.push('tcp_tw_reuse = 1: the kernel may reuse TIME_WAIT ports for new outbound connections, so TIME_WAIT sockets do not all block ports');
  }
  const loopback = rows.some((r) => /^127\.|^::1$/.test(r.address));
  if (loopback && budget.twReuse !== 0 && budget.twReuse !== 1) {
    notes.push('tcp_tw_reuse = 2 (the kernel default): connections to loopback destinations may reuse TIME_WAIT ports');
  }
  return {
    source: snapshot.procDir,
    takenAt: new Date(snapshot.takenAtMs).toISOString(),
    budget: {
      low: budget.low,
      high: budget.high,
      reserved: budget.reserved,
      usable: budget.usable,
      twReuse: budget.twReuse,
      sources: budget.sources,
      maxNewConnectionsPerSecond: budget.usable / TIME_WAIT_SECONDS,
    },
    sockets: snapshot.sockets.length,
    states,
    skippedLines: snapshot.skippedLines,
    outbound,
    inbound,
    destinationCount: rows.length,
    destinations: top > 0 ? rows.slice(0, top) : rows,
    notes,
  };
}

/** Rate of change towards one destination between two snapshots. */
export interface DestinationRate {
  destination: string;
  /** TIME_WAIT sockets present now that were not in TIME_WAIT in the previous snapshot (same 4-tuple). */
  newTimeWait: number;
  /** newTimeWait ÷ interval, connections/s. */
  newTimeWaitPerSecond: number;
  /** TIME_WAIT sockets of the previous snapshot that are gone now. */
  expiredTimeWait: number;
  /** Usable ephemeral ports not held towards this destination now. */
  freePorts: number;
  /**
   * Seconds until no ephemeral port is left towards this destination if new TIME_WAIT keep coming at
   * newTimeWaitPerSecond and the present TIME_WAIT sockets expire when their timers say; null when the range
   * does not fill at this rate (rate × TIME_WAIT_SECONDS plus the non-TIME_WAIT sockets stays below usable).
   * 0 when already full.
   */
  secondsToExhaustion: number | null;
}

/** Rates between two snapshots, for `--watch`. */
export interface SnapshotRates {
  /** Seconds between the two readings. */
  intervalSeconds: number;
  /** New TIME_WAIT sockets overall (all destinations, inbound included). */
  newTimeWait: number;
  /** newTimeWait ÷ interval, connections/s. */
  newTimeWaitPerSecond: number;
  /** The smallest secondsToExhaustion over all destinations; null when none fills. */
  secondsToExhaustion: number | null;
  /** The destination that gives secondsToExhaustion, if any. */
  firstExhausted: string | null;
  /** Every destination with new TIME_WAIT or a finite time to exhaustion, fastest churn first. */
  destinations: DestinationRate[];
}

function tupleKey(s: TcpSocket): string {
  return `${unmapAddress(s.localAddress)}|${s.localPort}|${unmapAddress(s.remoteAddress)}|${s.remotePort}`;
}

/**
 * Time until ports in use towards one destination reach `usable`, with `inUse` ports held now, new TIME_WAIT at
 * `rate` per second and the present TIME_WAIT sockets expiring after `expiries` seconds each; each new TIME_WAIT
 * socket is held TIME_WAIT_SECONDS. Returns null when the ports in use never reach `usable` at this rate.
 *
 * @param usable usable ephemeral ports.
 * @param inUse ephemeral ports held now towards the destination (all states).
 * @param rate new TIME_WAIT per second (connections/s).
 * @param expiries seconds until each present ephemeral TIME_WAIT socket expires (its `tm->when`).
 */
export function secondsToExhaustion(usable: number, inUse: number, rate: number, expiries: readonly number[]): number | null {
  if (inUse >= usable) return 0;
  if (rate <= 0) return null;
  const sorted = [...expiries].filter((x) => x < TIME_WAIT_SECONDS).sort((a, b) => a - b);
  // Between expiry k-1 and k, ports in use = inUse − k + rate × t. From TIME_WAIT_SECONDS on, the sockets that
  // became TIME_WAIT after now expire as fast as new ones come: the count stops growing.
  let prev = 0;
  for (let k = 0; k <= sorted.length; k++) {
    const next = k < sorted.length ? sorted[k]! : TIME_WAIT_SECONDS;
    const t = (usable - (inUse - k)) / rate;
    if (t >= prev && t < next) return t;
    prev = next;
  }
  return null;
}

/**
 * Rates between two snapshots of the same proc directory: new TIME_WAIT per second per destination and overall,
 * and time left to exhaustion at that rate ({@link secondsToExhaustion}).
 * New connections whose TIME_WAIT started and ended between the snapshots are not seen: keep the interval under
 * TIME_WAIT_SECONDS (60 s).
 */
export function compareSnapshots(prev: ProcSnapshot, cur: ProcSnapshot): SnapshotRates {
  const interval = Math.max(1e-3, (cur.takenAtMs - prev.takenAtMs) / 1000);
  const prevTw = new Set<string>();
  for (const s of prev.sockets) if (s.stateCode === TIME_WAIT) prevTw.add(tupleKey(s));
  const curTw = new Set<string>();
  let newTimeWait = 0;
  for (const s of cur.sockets) {
    if (s.stateCode !== TIME_WAIT) continue;
    const key = tupleKey(s);
    curTw.add(key);
    if (!prevTw.has(key)) newTimeWait++;
  }
  const isEphemeral = ephemeralPredicate(cur.budget);
  const usable = cur.budget.usable;
  const { groups } = groupByDestination(cur.sockets);
  const { groups: prevGroups } = groupByDestination(prev.sockets);
  const rows: DestinationRate[] = [];
  for (const [destination, list] of groups) {
    let fresh = 0;
    let inUse = 0;
    const expiries: number[] = [];
    for (const s of list) {
      const eph = isEphemeral(s.localPort);
      if (eph) inUse++;
      if (s.stateCode !== TIME_WAIT) continue;
      if (!prevTw.has(tupleKey(s))) fresh++;
      if (eph) expiries.push(s.timerActive === 3 ? s.timerSeconds : TIME_WAIT_SECONDS);
    }
    let expired = 0;
    for (const s of prevGroups.get(destination) ?? []) if (s.stateCode === TIME_WAIT && !curTw.has(tupleKey(s))) expired++;
    const rate = fresh / interval;
    const left = secondsToExhaustion(usable, inUse, rate, expiries);
    if (fresh === 0 && left === null && expired === 0) continue;
    rows.push({
      destination,
      newTimeWait: fresh,
      newTimeWaitPerSecond: rate,
      expiredTimeWait: expired,
      freePorts: Math.max(0, usable - inUse),
      secondsToExhaustion: left,
    });
  }
  rows.sort((a, b) => b.newTimeWait - a.newTimeWait || a.destination.localeCompare(b.destination));
  let first: DestinationRate | null = null;
  for (const r of rows) {
    if (r.secondsToExhaustion !== null && (first === null || r.secondsToExhaustion < first.secondsToExhaustion!)) first = r;
  }
  return {
    intervalSeconds: interval,
    newTimeWait,
    newTimeWaitPerSecond: newTimeWait / interval,
    secondsToExhaustion: first?.secondsToExhaustion ?? null,
    firstExhausted: first?.destination ?? null,
    destinations: rows,
  };
}

/** A duration in seconds as `45s`, `12m30s`, `2h05m`; `never` for null. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return 'never';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function table(header: string[], rows: string[][], rightAlign: boolean[]): string {
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), h.length));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAlign[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * Render a report as text: the budget, the socket counts, and a table of the top destinations; with `rates`
 * (watch mode) two more columns, new TIME_WAIT per second and time left.
 */
export function formatReportText(report: PortsReport, rates?: SnapshotRates | null): string {
  const b = report.budget;
  const out: string[] = [];
  out.push(`meshlint ports: ${report.source} at ${report.takenAt}`);
  out.push(
    `ephemeral range ${b.low}-${b.high}: ${b.high - b.low + 1} ports, ${b.reserved} reserved, ${b.usable} usable ` +
      `(exhausted by ${b.maxNewConnectionsPerSecond.toFixed(0)} new connections/s to one destination; TIME_WAIT lasts ${TIME_WAIT_SECONDS} s)`,
  );
  out.push(`tcp_tw_reuse: ${b.twReuse === null ? 'unknown' : b.twReuse}`);
  const stateList = Object.entries(report.states)
    .sort((a, b2) => b2[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out.push(`sockets: ${report.sockets}${stateList ? ` (${stateList})` : ''}; outbound ${report.outbound}, inbound ${report.inbound}; skipped lines: ${report.skippedLines}`);
  if (rates) {
    out.push(
      `new TIME_WAIT: ${rates.newTimeWaitPerSecond.toFixed(1)}/s over ${rates.intervalSeconds.toFixed(1)} s; ` +
        `time to exhaustion: ${rates.firstExhausted ? `${formatDuration(rates.secondsToExhaustion)} (${rates.firstExhausted})` : 'never at this rate'}`,
    );
  }
  out.push('');
  if (report.destinations.length === 0) {
    out.push('no outbound connections');
  } else {
    const byDest = new Map((rates?.destinations ?? []).map((r) => [r.destination, r]));
    const header = ['DESTINATION', 'TIME_WAIT', 'ESTABLISHED', 'OTHER', 'EPHEMERAL', 'USE OF RANGE'];
    const align = [false, true, true, true, true, true];
    if (rates) {
      header.push('NEW TW/s', 'TIME LEFT');
      align.push(true, true);
    }
    const rows = report.destinations.map((d) => {
      const row = [d.destination, String(d.timeWait), String(d.established), String(d.other), String(d.ephemeral), percent(d.utilisation)];
      if (rates) {
        const r = byDest.get(d.destination);
        row.push(r ? r.newTimeWaitPerSecond.toFixed(1) : '0.0', formatDuration(r ? r.secondsToExhaustion : null));
      }
      return row;
    });
    out.push(table(header, rows, align));
    if (report.destinationCount > report.destinations.length) {
      out.push(`… ${report.destinationCount - report.destinations.length} more destinations (--top N)`);
    }
  }
  for (const n of report.notes) out.push(`note: ${n}`);
  return out.join('\n') + '\n';
}
