/**
 * Node settings as input: sysctl values read from sysctl.d files, container commands and pod specs, each with
 * the place it was written (file:line:column, and the object and field inside a Kubernetes manifest), and the
 * ephemeral-port budget they give (kernel `Documentation/networking/ip-sysctl.rst`, `ip_local_port_range`, `ip_local_reserved_ports`).
 */
import {
  DEFAULT_PORT_RANGE_HIGH,
  DEFAULT_PORT_RANGE_LOW,
} from '../facts.js';
import { locate, type ManifestObject } from '../load/objects.js';
import { podTemplatePath } from '../model/mesh.js';
import { asArray, asRecord, dig } from '../model/values.js';
import type { FieldPath, Location } from '../types.js';
import { parseShellScript, type ShellCommand, type ShellPipeline } from './shell.js';

/**
 * Where a setting takes effect. `node`: the node's own network namespace (sysctl.d files, the `node` block of
 * the configuration, commands in `hostNetwork` pods, and sysctls that are not namespaced at all). `pod`: the
 * pod's network (or IPC) namespace only — a new network namespace starts from the kernel defaults
 * (`inet_init_net()`, `net/ipv4/af_inet.c`), not from the node's values.
 */
export type SysctlScope = 'node' | 'pod';

/** One sysctl assignment found in the input. */
export interface SysctlSetting {
  /** Dotted name, e.g. `net.ipv4.ip_local_port_range`; slash forms (`/proc/sys/net/ipv4/x`, `net/ipv4/x`) are normalised. */
  name: string;
  /** The value as written, whitespace at both ends removed, quotes removed (e.g. `1024 65535`). */
  value: string;
  /**
   * How it is set: `pod-securityContext` (`spec.securityContext.sysctls[]`), `command` (a container's command
   * or args running `sysctl -w`, `echo … > /proc/sys/…`), `sysctl.d` (a `*.conf` file).
   */
  via: 'pod-securityContext' | 'command' | 'sysctl.d';
  scope: SysctlScope;
  /** Where it was written: file, 1-based line and column; inside a Kubernetes object also the object and field path. */
  location: Location;
  /** The workload (Pod, Deployment, DaemonSet, …) that sets it, for settings read from a pod spec. */
  object?: ManifestObject;
  /** Field path of the setting inside `object`, e.g. `['spec', 'template', 'spec', 'securityContext', 'sysctls', 0]`. */
  path?: FieldPath;
  /** For settings read from a pod spec: whether that pod uses the node's network namespace (`spec.hostNetwork: true`). */
  hostNetwork?: boolean;
}

/** Sysctl names this module interprets. */
export const PORT_RANGE_SYSCTL = 'net.ipv4.ip_local_port_range';
export const RESERVED_PORTS_SYSCTL = 'net.ipv4.ip_local_reserved_ports';
export const TW_REUSE_SYSCTL = 'net.ipv4.tcp_tw_reuse';

/**
 * Kernel default of `net.ipv4.tcp_tw_reuse`: 2, reuse TIME_WAIT ports for loopback traffic only
 * (kernel `Documentation/networking/ip-sysctl.rst`, `tcp_tw_reuse`: "Default: 2").
 */
export const DEFAULT_TCP_TW_REUSE = 2;

/** Highest TCP port number (16-bit port field, RFC 9293 §3.1). */
export const MAX_PORT = 65535;

/** `a.b:3:7` for a location. */
export function formatLocation(location: { file: string; line: number; column: number }): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/**
 * Normalise a sysctl name to its dotted form, the way `sysctl.d(5)` and procps `sysctl` do: a leading
 * `/proc/sys/` is removed, and when the first separator is `/`, `/` and `.` are swapped (so the interface name
 * `eth0.100` in `net/ipv4/conf/eth0.100/rp_filter` becomes `net.ipv4.conf.eth0/100.rp_filter`, as `sysctl -a`
 * prints it). A dotted name keeps any `/` it contains.
 *
 * @param raw name as written, e.g. `/proc/sys/net/ipv4/tcp_tw_reuse` or `net.ipv4.tcp_tw_reuse`.
 * @returns the dotted name, e.g. `net.ipv4.tcp_tw_reuse`.
 */
export function normaliseSysctlName(raw: string): string {
  let name = raw.trim();
  const proc = /(?:^|\/)proc\/sys\/(.*)$/.exec(name);
  if (proc) name = proc[1]!;
  name = name.replace(/^\/+/, '').replace(/\/+$/, '');
  const firstSeparator = /[./]/.exec(name)?.[0];
  if (firstSeparator === '/') name = name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
  return name;
}

/**
 * Top-level directories of `/proc/sys` (kernel `Documentation/admin-guide/sysctl/`): a sysctl name starts with one.
 */
export const SYSCTL_ROOTS: ReadonlySet<string> = new Set(['abi', 'crypto', 'debug', 'dev', 'fs', 'kernel', 'net', 'sunrpc', 'user', 'vm']);

/**
 * True when `name` (dotted) looks like a sysctl: a known top-level directory, then one or more `.`-separated
 * parts without white space or shell/quote characters; `*` is allowed (systemd-sysctl globs).
 */
export function isSysctlName(name: string): boolean {
  const parts = name.split('.');
  return parts.length >= 2 && SYSCTL_ROOTS.has(parts[0]!) && parts.slice(1).every((p) => /^[^\s"'$;{}()<>|&=`\\]+$/.test(p));
}

/**
 * True for sysctls that live in a network or IPC namespace, so that setting them inside a pod (without
 * `hostNetwork`) changes only that pod: `kernel.shm*`, `kernel.msg*`, `kernel.sem`, `fs.mqueue.*` and `net.*`
 * (Kubernetes documentation, "Using sysctls in a Kubernetes Cluster", namespaced sysctls). The docs say "most"
 * of `net.*`: the few global ones vary by kernel version, and all of `net.*` is treated as namespaced here.
 */
export function isNamespacedSysctl(name: string): boolean {
  return name.startsWith('net.') || name.startsWith('kernel.shm') || name.startsWith('kernel.msg') || name === 'kernel.sem' || name.startsWith('fs.mqueue.');
}

/** A line of a sysctl.d file that is not an assignment meshlint can read (becomes a `parse-error` finding). */
export interface SysctlConfProblem {
  line: number;
  column: number;
  message: string;
}

/**
 * Parse a sysctl.d-style configuration file (`sysctl.d(5)`, procps `sysctl.conf(5)`): one `name = value` per
 * line; blank lines and lines whose first non-blank character is `#` or `;` are comments; a leading `-` on the
 * name means "ignore errors" and is dropped; systemd's `!name` exclusions are skipped. Whitespace around the
 * name and the value is removed; a `#` after the value is part of the value (neither tool supports trailing
 * comments). A line without `=`, or whose name is not a sysctl name ({@link isSysctlName}), is a problem
 * (systemd-sysctl ignores it with a warning).
 *
 * @param file path reported in each setting's location.
 * @returns settings in file order (`scope: 'node'`; the location points at the name, after `-`; columns are
 *   1-based) and the lines that could not be read.
 */
export function parseSysctlConf(file: string, text: string): { settings: SysctlSetting[]; problems: SysctlConfProblem[] } {
  const settings: SysctlSetting[] = [];
  const problems: SysctlConfProblem[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.replace(/\r$/, '');
    const lead = /^[ \t]*/.exec(line)![0].length;
    const first = line[lead];
    if (first === undefined || first === '#' || first === ';' || first === '!') continue;
    let nameStart = lead;
    if (first === '-') {
      nameStart++;
      while (line[nameStart] === ' ' || line[nameStart] === '\t') nameStart++;
    }
    const eq = line.indexOf('=', nameStart);
    const at = { line: index + 1, column: nameStart + 1 };
    if (eq < 0) {
      problems.push({ ...at, message: `not a sysctl assignment "name = value": ${JSON.stringify(line.trim())} (systemd-sysctl ignores this line)` });
      continue;
    }
    const rawName = line.slice(nameStart, eq).trim();
    const name = normaliseSysctlName(rawName);
    if (!isSysctlName(name)) {
      problems.push({ ...at, message: `${JSON.stringify(rawName)} is not a sysctl name (expected e.g. net.ipv4.ip_local_port_range); the line is ignored` });
      continue;
    }
    settings.push({ name, value: line.slice(eq + 1).trim(), via: 'sysctl.d', scope: 'node', location: { file, ...at } });
  }
  return { settings, problems };
}

/** A word of a command line and the index of the argument it came from. */
interface ArgWord {
  text: string;
  dynamic: boolean;
  argIndex: number;
}

/** A sysctl write found in a command, before it gets a location. */
interface FoundWrite {
  name: string;
  value: string;
  argIndex: number;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'ksh', 'mksh', 'zsh']);
const SIMPLE_WRAPPERS = new Set(['exec', 'command', 'builtin', 'nohup', 'busybox', 'time']);
const MAX_SHELL_DEPTH = 8;

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}

/**
 * Remove what runs before the real command: shell assignments (`A=b cmd`) and wrappers that run their operands
 * as a command (`exec`, `sudo`, `env`, `chroot DIR`, `nsenter … --`, `busybox`, `nice`). Returns the remaining
 * words, starting at the command name.
 */
function stripWrappers(words: ArgWord[]): ArgWord[] {
  let w = words;
  for (let guard = 0; guard < 32 && w.length > 0; guard++) {
    const name = basename(w[0]!.text);
    if (SIMPLE_WRAPPERS.has(name)) {
      w = w.slice(1);
      while (w[0]?.text.startsWith('-')) w = w.slice(name === 'exec' && w[0].text === '-a' ? 2 : 1);
    } else if (name === 'sudo') {
      w = w.slice(1);
      while (w[0]?.text.startsWith('-')) {
        const opt = w[0].text;
        w = w.slice(opt === '--' ? 1 : /^-[ugphCDrtUT]$/.test(opt) ? 2 : 1);
        if (opt === '--') break;
      }
    } else if (name === 'env') {
      w = w.slice(1);
      while (w.length > 0) {
        const t = w[0]!.text;
        if (t === '-u' || t === '--unset' || t === '-C' || t === '--chdir') w = w.slice(2);
        else if (t.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(t)) w = w.slice(1);
        else break;
      }
    } else if (name === 'nice') {
      w = w.slice(1);
      while (w[0]?.text.startsWith('-')) w = w.slice(w[0].text === '-n' ? 2 : 1);
    } else if (name === 'chroot') {
      w = w.slice(1);
      while (w[0]?.text.startsWith('-')) w = w.slice(1);
      w = w.slice(1); // NEWROOT
    } else if (name === 'nsenter') {
      const dashdash = w.findIndex((x) => x.text === '--');
      if (dashdash >= 0) {
        w = w.slice(dashdash + 1);
      } else {
        w = w.slice(1);
        while (w[0]?.text.startsWith('-')) w = w.slice(/^(-[tSGwd]|--target|--setuid|--setgid|--wd)$/.test(w[0].text) ? 2 : 1);
      }
    } else {
      break;
    }
  }
  return w;
}

/**
 * Writes made by `sysctl` with these arguments (procps-ng `sysctl(8)`, busybox `sysctl`): every operand that
 * contains `=` is written, with or without `-w`; options may come after operands (GNU getopt permutes).
 * Nothing is written with `-p`/`-f`/`--load`/`--system` (settings come from files), `-a`/`-A`/`-X`/`--all`
 * (display), `--dry-run`, `-h`, `-V`.
 */
function sysctlWrites(args: ArgWord[]): FoundWrite[] {
  const operands: ArgWord[] = [];
  let endOfOptions = false;
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (!endOfOptions && a.text === '--') {
      endOfOptions = true;
      continue;
    }
    if (!endOfOptions && a.text.startsWith('--')) {
      const long = a.text.slice(2).split('=')[0]!;
      if (['load', 'system', 'all', 'dry-run', 'help', 'version'].includes(long)) return [];
      if (long === 'pattern' && !a.text.includes('=')) k++;
      continue;
    }
    if (!endOfOptions && a.text.startsWith('-') && a.text.length > 1) {
      const flags = a.text.slice(1);
      for (let f = 0; f < flags.length; f++) {
        const ch = flags[f]!;
        if ('pfaAXhV'.includes(ch)) return [];
        if (ch === 'r') {
          if (f === flags.length - 1) k++; // -r PATTERN
          break;
        }
      }
      continue;
    }
    operands.push(a);
  }
  const out: FoundWrite[] = [];
  for (const op of operands) {
    const eq = op.text.indexOf('=');
    if (eq <= 0 || op.dynamic) continue;
    const name = normaliseSysctlName(op.text.slice(0, eq));
    const value = op.text.slice(eq + 1).trim();
    if (name === '' || value === '') continue;
    out.push({ name, value, argIndex: op.argIndex });
  }
  return out;
}

/** The text `echo`/`printf` with these arguments prints, without the trailing newline; null if unknown. */
function printedText(words: ArgWord[]): string | null {
  const name = basename(words[0]?.text ?? '');
  const args = words.slice(1);
  if (args.some((a) => a.dynamic)) return null;
  if (name === 'echo') {
    let interpret = false;
    let k = 0;
    while (k < args.length && /^-[neE]+$/.test(args[k]!.text)) {
      if (args[k]!.text.includes('e')) interpret = true;
      k++;
    }
    let text = args.slice(k).map((a) => a.text).join(' ');
    if (interpret) text = text.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
    return text;
  }
  if (name === 'printf') {
    if (args.length === 0) return null;
    const rest = args.slice(1).map((a) => a.text);
    let text = args[0]!.text.replace(/%[sdi]/g, () => rest.shift() ?? '');
    if (/%[^%]/.test(text)) return null;
    text = text.replace(/%%/g, '%').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
    return text;
  }
  return null;
}

/** The `/proc/sys/…` file a redirection or `tee` operand names, as a sysctl name; null if it is not one. */
function procSysTarget(path: string): string | null {
  if (!/(?:^|\/)proc\/sys\/./.test(path)) return null;
  const name = normaliseSysctlName(path);
  return name === '' ? null : name;
}

function wordsOf(cmd: ShellCommand, argIndex: number): ArgWord[] {
  return cmd.words.map((w) => ({ text: w.text, dynamic: w.dynamic, argIndex }));
}

const STDOUT_REDIRECTS = new Set(['>', '>>', '>|', '&>', '&>>']);

/** Writes made by one shell pipeline, all attributed to the argument `argIndex` that holds the script. */
function pipelineWrites(pipeline: ShellPipeline, argIndex: number, depth: number, notes: string[]): FoundWrite[] {
  const out: FoundWrite[] = [];
  const stripped = pipeline.commands.map((c) => stripWrappers(wordsOf(c, argIndex)));
  pipeline.commands.forEach((cmd, k) => {
    const words = stripped[k]!;
    for (const w of argvWrites(words, depth, notes)) out.push(w);
    // echo VALUE > /proc/sys/NAME
    const text = words.length > 0 ? printedText(words) : null;
    if (text === null) return;
    const value = text.trim();
    if (value === '') return;
    const stdoutRedirects = cmd.redirects.filter((r) => STDOUT_REDIRECTS.has(r.op) && (r.fd === undefined || r.fd === 1) && r.target && !r.target.dynamic);
    const last = stdoutRedirects[stdoutRedirects.length - 1];
    const target = last?.target ? procSysTarget(last.target.text) : null;
    if (target) out.push({ name: target, value, argIndex });
    // echo VALUE | tee [-a] /proc/sys/NAME …
    if (!last && k + 1 < stripped.length) {
      const next = stripped[k + 1]!;
      if (basename(next[0]?.text ?? '') === 'tee') {
        for (const operand of next.slice(1)) {
          if (operand.text.startsWith('-') || operand.dynamic) continue;
          const name = procSysTarget(operand.text);
          if (name) out.push({ name, value, argIndex });
        }
      }
    }
  });
  return out;
}

/** Writes made by one command given as an argument vector (exec form, or a simple command of a script). */
function argvWrites(words: ArgWord[], depth: number, notes: string[]): FoundWrite[] {
  const w = stripWrappers(words);
  if (w.length === 0 || w[0]!.dynamic) return [];
  const name = basename(w[0]!.text);
  if (name === 'sysctl') return sysctlWrites(w.slice(1));
  if (SHELLS.has(name) && depth < MAX_SHELL_DEPTH) {
    // sh [-abefhimnuvx…] -c [options] command_string [command_name [argument…]]  (POSIX `sh`)
    let hasC = false;
    let k = 1;
    for (; k < w.length; k++) {
      const t = w[k]!.text;
      if (t === '--') {
        k++;
        break;
      }
      if (/^[-+]o$/.test(t)) {
        k++;
        continue;
      }
      if (/^[-+][A-Za-z]+$/.test(t)) {
        if (t.startsWith('-') && t.includes('c')) hasC = true;
        continue;
      }
      if (t.startsWith('--')) continue; // bash long options (--login, --norc)
      break;
    }
    const script = w[k];
    if (!hasC || !script || script.dynamic) return [];
    // A write needs the `sysctl` command or a `/proc/sys/…` path: most scripts are not parsed at all.
    if (!script.text.includes('sysctl') && !script.text.includes('proc/sys')) return [];
    let pipelines: ShellPipeline[];
    try {
      pipelines = parseShellScript(script.text);
    } catch (e) {
      notes.push(`shell scripts in container commands were not read: ${(e as Error).message.split('\n')[0]}`);
      return [];
    }
    return pipelines.flatMap((p) => pipelineWrites(p, script.argIndex, depth + 1, notes));
  }
  return [];
}

/**
 * Sysctl writes made by a container's command line (`command` followed by `args`, exec form): `sysctl -w a=b
 * c=d`, `sysctl a="b c"`, and shells (`sh -c`, `bash -ec`, …) running scripts with several commands joined by
 * `;`, `&&`, `||`, `|` and newlines, where `sysctl` writes, `echo VALUE > /proc/sys/…`, `printf VALUE >
 * /proc/sys/…` and `echo VALUE | tee /proc/sys/…` count. Wrappers (`exec`, `sudo`, `env`, `chroot DIR`,
 * `nsenter … --`, `busybox`) are looked through. Reads (`sysctl -a`, `sysctl name`, `cat /proc/sys/…`),
 * `sysctl -p`/`--system` (file loads, whose content is not known here), writes to other files, here-document
 * bodies, and values built from expansions (`$VAR`, `$(…)`) produce nothing. Scripts are parsed by `shell.ts`.
 *
 * @param args the command line, one string per argument (e.g. `['sh', '-c', 'sysctl -w …']`).
 * @param notes receives a one-line note when scripts cannot be parsed on this platform.
 * @returns the writes with the index of the argument each came from (a write inside a script gets the script
 *   argument's index), in command order; never throws.
 */
export function sysctlWritesOfCommand(args: readonly string[], notes: string[] = []): { name: string; value: string; argIndex: number }[] {
  return argvWrites(args.map((text, argIndex) => ({ text, dynamic: false, argIndex })), 0, notes);
}

/**
 * Sysctls a workload's pod spec sets: `securityContext.sysctls[]` (`via: 'pod-securityContext'`, scope `pod`)
 * and the writes made by every container's, init container's and ephemeral container's `command` + `args`
 * (`via: 'command'`, see {@link sysctlWritesOfCommand}; scope `node` when the pod uses `hostNetwork` or the
 * sysctl is not namespaced, else `pod`). Without `command` the image's entrypoint is unknown and `args` is read
 * as the command line (right for images without an entrypoint, such as busybox). Items of the wrong type are
 * skipped; never throws.
 *
 * @param object a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob.
 * @param notes receives one-line notes about what could not be read.
 */
export function sysctlsOfWorkload(object: ManifestObject, notes: string[] = []): SysctlSetting[] {
  const out: SysctlSetting[] = [];
  const base = [...podTemplatePath(object.ref.kind), 'spec'];
  const podSpec = asRecord(dig(object.raw, ...base));
  if (!podSpec) return out;
  const hostNetwork = podSpec['hostNetwork'] === true;
  const add = (name: string, value: string, via: SysctlSetting['via'], path: FieldPath): void => {
    const scope: SysctlScope = via === 'command' && (hostNetwork || !isNamespacedSysctl(name)) ? 'node' : 'pod';
    out.push({ name, value, via, scope, location: locate(object, path), object, path, hostNetwork });
  };
  asArray(dig(podSpec, 'securityContext', 'sysctls')).forEach((item, i) => {
    const record = asRecord(item);
    const value = record?.['value'];
    if (typeof record?.['name'] !== 'string' || (typeof value !== 'string' && typeof value !== 'number')) return;
    add(normaliseSysctlName(record['name']), String(value).trim(), 'pod-securityContext', [...base, 'securityContext', 'sysctls', i]);
  });
  for (const kind of ['initContainers', 'containers', 'ephemeralContainers']) {
    asArray(podSpec[kind]).forEach((container, ci) => {
      const command = asArray(dig(container, 'command'));
      const cmdArgs = asArray(dig(container, 'args'));
      const argv = [...command, ...cmdArgs];
      if (argv.length === 0 || !argv.every((a) => typeof a === 'string' || typeof a === 'number')) return;
      for (const f of sysctlWritesOfCommand(argv.map(String), notes)) {
        const path = f.argIndex < command.length ? [...base, kind, ci, 'command', f.argIndex] : [...base, kind, ci, 'args', f.argIndex - command.length];
        add(f.name, f.value, 'command', path);
      }
    });
  }
  return out;
}

/** An inclusive range of ports. */
export interface PortRange {
  low: number;
  high: number;
}

/**
 * Parse an `ip_local_port_range` value: two integers separated by whitespace, `LOW HIGH`, with
 * 1 ≤ LOW ≤ HIGH ≤ 65535 (the kernel rejects a write with LOW > HIGH; `ipv4_local_port_range()` in
 * `net/ipv4/sysctl_net_ipv4.c`, bounds 1..65535 from the same table).
 *
 * @returns the range in ports, or null if the value is not a valid range.
 */
export function parsePortRange(value: string): PortRange | null {
  const m = /^\s*(\d{1,5})\s+(\d{1,5})\s*$/.exec(value);
  if (!m) return null;
  const low = Number(m[1]);
  const high = Number(m[2]);
  if (low < 1 || high > MAX_PORT || low > high) return null;
  return { low, high };
}

/**
 * Parse an `ip_local_reserved_ports` value: a comma-separated list of ports and inclusive ranges, e.g.
 * `30000-32767,8080` (kernel `Documentation/networking/ip-sysctl.rst`). An empty value reserves nothing.
 *
 * @returns the ranges as written, in order (single ports as `{low: p, high: p}`).
 * @throws Error when an item is not a port 0..65535 or a range `A-B` with A ≤ B (the kernel rejects the whole
 *   write); the message names the item.
 */
export function parseReservedPorts(value: string): PortRange[] {
  const text = value.trim();
  if (text === '') return [];
  return text.split(',').map((raw) => {
    const item = raw.trim();
    const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(item);
    const low = m ? Number(m[1]) : NaN;
    const high = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || low > MAX_PORT || high > MAX_PORT || low > high) {
      throw new Error(`invalid item ${JSON.stringify(item)} in ip_local_reserved_ports ${JSON.stringify(value)}: expected PORT or LOW-HIGH within 0-65535`);
    }
    return { low, high };
  });
}

/** Merge overlapping or adjacent ranges; returns sorted, disjoint ranges. */
export function mergeRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.low - b.low);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.low <= last.high + 1) last.high = Math.max(last.high, r.high);
    else out.push({ ...r });
  }
  return out;
}

/** Number of ports of `reserved` that fall inside `range` (overlaps counted once). */
export function reservedInside(range: PortRange, reserved: readonly PortRange[]): number {
  let count = 0;
  for (const r of mergeRanges(reserved)) {
    const low = Math.max(r.low, range.low);
    const high = Math.min(r.high, range.high);
    if (low <= high) count += high - low + 1;
  }
  return count;
}

/** The ephemeral ports one source IP can use towards one destination `ip:port`. */
export interface PortBudget {
  /** `ip_local_port_range` low end (port). */
  low: number;
  /** `ip_local_port_range` high end (port). */
  high: number;
  /** Ports of `ip_local_reserved_ports` inside [low, high]: never handed out automatically. */
  reserved: number;
  /** Ports connect() can pick: high − low + 1 − reserved. Divide by TIME_WAIT_SECONDS for the new connections/s that exhaust it. */
  usable: number;
  /** `tcp_tw_reuse` (0 off, 1 on, 2 loopback only) when set to a valid value; null when not set (the kernel default {@link DEFAULT_TCP_TW_REUSE} applies). */
  twReuse: 0 | 1 | 2 | null;
  /** Where each figure came from, e.g. `net.ipv4.ip_local_port_range = 1024 65535 (node.conf:3:1)` or `… default`. */
  sources: string[];
  /** The same facts as `sources`, as trace items with the file position where one is known (for `explain`). */
  trace: { text: string; location?: Location }[];
  /** Values that were set but invalid (the kernel would reject them, so the previous or default value stays). */
  notes: string[];
  /** Reserved ranges as parsed (all of them, also those outside the range). */
  reservedRanges: PortRange[];
}

/** A value for {@link portBudgetFromValues}: the text and where it came from. */
export interface BudgetValue {
  value: string;
  /** e.g. `deploy.yaml:12:9`, `--port-range` or `/proc/sys/net/ipv4/ip_local_port_range`. */
  from: string;
  /** The file position, when the value was read from an input file (for traces). */
  location?: Location;
}

/**
 * The port budget from raw values (the three sysctls by short name). Defaults when a value is absent or
 * invalid: range 32768–60999 (`DEFAULT_PORT_RANGE_LOW`/`HIGH` in `src/facts.ts`), nothing reserved,
 * `twReuse: null`. Never throws: invalid values are described in `notes`.
 */
export function portBudgetFromValues(values: {
  ip_local_port_range?: BudgetValue;
  ip_local_reserved_ports?: BudgetValue;
  tcp_tw_reuse?: BudgetValue;
}): PortBudget {
  const sources: string[] = [];
  const trace: PortBudget['trace'] = [];
  const notes: string[] = [];
  const cite = (text: string, v?: BudgetValue, defaultSource?: string): void => {
    sources.push(`${text} (${v ? v.from : defaultSource})`);
    trace.push(v?.location ? { text, location: v.location } : { text: `${text} (${v ? v.from : defaultSource})` });
  };
  let range: PortRange = { low: DEFAULT_PORT_RANGE_LOW, high: DEFAULT_PORT_RANGE_HIGH };
  const pr = values.ip_local_port_range;
  const parsed = pr ? parsePortRange(pr.value) : null;
  if (pr && !parsed) {
    notes.push(`${PORT_RANGE_SYSCTL} = ${JSON.stringify(pr.value)} (${pr.from}) is not a valid range "LOW HIGH" with 1 <= LOW <= HIGH <= 65535; the kernel rejects it`);
  }
  if (parsed) range = parsed;
  cite(`${PORT_RANGE_SYSCTL} = ${range.low} ${range.high}`, parsed ? pr : undefined, 'Linux default, kernel Documentation/networking/ip-sysctl.rst');
  let reservedRanges: PortRange[] = [];
  const rp = values.ip_local_reserved_ports;
  if (rp) {
    try {
      reservedRanges = parseReservedPorts(rp.value);
      cite(`${RESERVED_PORTS_SYSCTL} = ${rp.value.trim() === '' ? '(empty)' : rp.value.trim()}`, rp);
    } catch (e) {
      notes.push(`${(e as Error).message} (${rp.from}); the kernel rejects it`);
    }
  }
  let twReuse: 0 | 1 | 2 | null = null;
  const tw = values.tcp_tw_reuse;
  if (tw) {
    const v = tw.value.trim();
    if (v === '0' || v === '1' || v === '2') {
      twReuse = Number(v) as 0 | 1 | 2;
      cite(`${TW_REUSE_SYSCTL} = ${v}`, tw);
    } else {
      notes.push(`${TW_REUSE_SYSCTL} = ${JSON.stringify(tw.value)} (${tw.from}) is not 0, 1 or 2`);
    }
  }
  const reserved = reservedInside(range, reservedRanges);
  return {
    low: range.low,
    high: range.high,
    reserved,
    usable: range.high - range.low + 1 - reserved,
    twReuse,
    sources,
    trace,
    notes,
    reservedRanges,
  };
}

/**
 * The port budget the given settings produce. For each of `ip_local_port_range`, `ip_local_reserved_ports`
 * and `tcp_tw_reuse` the last setting in the array wins (pass them in the order they are applied); invalid
 * values are reported in `notes` and ignored. Unset values take the defaults of {@link portBudgetFromValues}.
 *
 * @example portBudget([]) → { low: 32768, high: 60999, reserved: 0, usable: 28232, twReuse: null, … }
 */
export function portBudget(settings: SysctlSetting[]): PortBudget {
  const values: Parameters<typeof portBudgetFromValues>[0] = {};
  for (const s of settings) {
    const v: BudgetValue = { value: s.value, from: formatLocation(s.location), location: s.location };
    if (s.name === PORT_RANGE_SYSCTL) values.ip_local_port_range = v;
    else if (s.name === RESERVED_PORTS_SYSCTL) values.ip_local_reserved_ports = v;
    else if (s.name === TW_REUSE_SYSCTL) values.tcp_tw_reuse = v;
  }
  return portBudgetFromValues(values);
}
