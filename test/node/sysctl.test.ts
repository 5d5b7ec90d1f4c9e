/**
 * Node settings as input: sysctl.d parsing, sysctl writes in container commands and `sh -c` scripts (parsed with
 * the tree-sitter Bash grammar), scopes, and the port budget they give.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseShellScript } from '../../src/node/shell.js';
import { normaliseSysctlName, parseReservedPorts, parseSysctlConf, portBudget, sysctlsOfWorkload, sysctlWritesOfCommand } from '../../src/node/sysctl.js';
import { objectsFromYaml } from '../helpers/model.js';

const writes = (args: string[]) => sysctlWritesOfCommand(args).map((w) => `${w.argIndex}:${w.name}=${w.value}`);

describe('sysctl.d files', () => {
  it('reads assignments with their line and column; comments, blank lines and exclusions are not assignments', () => {
    const text = '# comment\n; also a comment\n\n  net.ipv4.ip_local_port_range =\t1024 65535  \r\n-net.ipv4.tcp_tw_reuse=1\n!net.ipv4.tcp_fin_timeout\nnet/ipv4/conf/eth0.100/rp_filter = 2\n';
    const { settings, problems } = parseSysctlConf('99.conf', text);
    assert.deepEqual(
      settings.map((s) => [s.name, s.value, s.location.line, s.location.column, s.scope, s.via]),
      [
        ['net.ipv4.ip_local_port_range', '1024 65535', 4, 3, 'node', 'sysctl.d'],
        ['net.ipv4.tcp_tw_reuse', '1', 5, 2, 'node', 'sysctl.d'],
        ['net.ipv4.conf.eth0/100.rp_filter', '2', 7, 1, 'node', 'sysctl.d'],
      ],
    );
    assert.deepEqual(problems, []);
  });

  it('lines that are not sysctl assignments are problems with their position', () => {
    const { settings, problems } = parseSysctlConf('x.conf', 'net.core.somaxconn = 4096\nworker_processes 4;\nset $x "a=b";\n');
    assert.equal(settings.length, 1);
    assert.deepEqual(problems.map((p) => [p.line, p.column]), [[2, 1], [3, 1]]);
    assert.match(problems[0]!.message, /not a sysctl assignment/);
    assert.match(problems[1]!.message, /is not a sysctl name/);
  });

  it('names: /proc/sys paths and slash forms are normalised as sysctl(8) does', () => {
    assert.equal(normaliseSysctlName('/proc/sys/net/ipv4/tcp_tw_reuse'), 'net.ipv4.tcp_tw_reuse');
    assert.equal(normaliseSysctlName('net/ipv4/conf/eth0.100/rp_filter'), 'net.ipv4.conf.eth0/100.rp_filter');
    assert.equal(normaliseSysctlName('net.ipv4.conf.eth0/100.rp_filter'), 'net.ipv4.conf.eth0/100.rp_filter', 'a dotted name keeps its slash');
  });
});

describe('sysctl writes in container commands', () => {
  it('exec form: every NAME=VALUE operand of sysctl, with or without -w; reads and file loads write nothing', () => {
    assert.deepEqual(writes(['sysctl', '-w', 'net.ipv4.tcp_fin_timeout=15', 'vm.max_map_count=262144']), ['2:net.ipv4.tcp_fin_timeout=15', '3:vm.max_map_count=262144']);
    assert.deepEqual(writes(['/sbin/sysctl', 'net.core.somaxconn=1024', '-q']), ['1:net.core.somaxconn=1024']);
    assert.deepEqual(writes(['sysctl', '-p', '/etc/sysctl.d/99.conf']), []);
    assert.deepEqual(writes(['sysctl', '--system']), []);
    assert.deepEqual(writes(['sysctl', 'net.ipv4.ip_local_port_range']), []);
    assert.deepEqual(writes(['sudo', '-u', 'root', 'nsenter', '-t', '1', '-n', '--', 'env', 'A=1', 'sysctl', '-w', 'net.ipv4.tcp_tw_reuse=1']), ['12:net.ipv4.tcp_tw_reuse=1']);
  });

  it('sh -c scripts: several commands on lines, after comments, in lists, pipelines and if blocks', () => {
    const script = [
      '# tune the node',
      'set -e',
      'sysctl -w net.ipv4.ip_local_port_range="1024 65535" # widen',
      '# reuse TIME_WAIT',
      'echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse && echo done',
      'printf %s 30 | tee -a /proc/sys/net/ipv4/tcp_fin_timeout >/dev/null',
      "if [ -w /proc/sys ]; then sysctl -w 'net.core.somaxconn=4096'; fi",
      'sysctl -w net.ipv4.tcp_keepalive_time=$KEEPALIVE',
    ].join('\n');
    assert.deepEqual(writes(['sh', '-c', script]), [
      '2:net.ipv4.ip_local_port_range=1024 65535',
      '2:net.ipv4.tcp_tw_reuse=1',
      '2:net.ipv4.tcp_fin_timeout=30',
      '2:net.core.somaxconn=4096',
    ]);
  });

  it('a redirection after a list belongs to its last command; here-document bodies are data; $(…) runs', () => {
    assert.deepEqual(writes(['bash', '-ec', 'sysctl -w a.b=1 && echo 2 > /proc/sys/net/ipv4/tcp_tw_reuse']), ['2:a.b=1', '2:net.ipv4.tcp_tw_reuse=2']);
    assert.deepEqual(writes(['sh', '-c', 'cat > /etc/sysctl.d/1.conf <<EOF\nsysctl -w net.ipv4.tcp_tw_recycle=1\nEOF\n']), []);
    assert.deepEqual(writes(['sh', '-c', 'echo "$(sysctl -w net.core.somaxconn=2048)"']), ['2:net.core.somaxconn=2048'], 'inside double quotes too');
    assert.deepEqual(writes(['sh', '-c', 'x=$(sysctl -w net.core.somaxconn=2048)']), ['2:net.core.somaxconn=2048'], 'the substitution of an assignment runs too');
    assert.deepEqual(writes(['sh', '-c', 'echo $(sysctl -w net.core.somaxconn=2048)']), ['2:net.core.somaxconn=2048']);
  });

  it('shell words: quote removal, escapes and expansions marked dynamic', () => {
    const [p] = parseShellScript(`echo 'a b'"c\\"d"$'\\t'e\\ f $HOME "\${X}y"`);
    assert.deepEqual(p!.commands[0]!.words.map((w) => [w.text, w.dynamic]), [
      ['echo', false],
      ['a bc"d\te f', false],
      ['$HOME', true],
      ['${X}y', true],
    ]);
  });

  it('a command that is not a shell running -c is not parsed as a script', () => {
    assert.deepEqual(writes(['python', '-c', 'import os; os.system("sysctl -w a.b=1")']), []);
    assert.deepEqual(writes(['sh', '/scripts/tune.sh']), []);
  });
});

describe('sysctls of workloads: scope and location', () => {
  const yaml = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: tune
  namespace: kube-system
spec:
  template:
    spec:
      hostNetwork: true
      initContainers:
      - name: a
        image: busybox
        command: ["sysctl", "-w", "net.ipv4.ip_local_port_range=1024 65535"]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      securityContext:
        sysctls:
        - name: net.ipv4.ip_local_port_range
          value: "20000 29999"
      initContainers:
      - name: b
        image: busybox
        args:
        - sh
        - -c
        - sysctl -w net.ipv4.tcp_tw_reuse=1 vm.swappiness=10
`;

  it('hostNetwork commands and non-namespaced sysctls apply to the node; others to the pod', () => {
    const [ds, deploy] = objectsFromYaml(yaml);
    const a = sysctlsOfWorkload(ds!);
    assert.deepEqual(a.map((s) => [s.name, s.scope, s.via, s.location.line, s.location.fieldPath]), [['net.ipv4.ip_local_port_range', 'node', 'command', 13, 'spec.template.spec.initContainers[0].command[2]']]);
    const b = sysctlsOfWorkload(deploy!);
    assert.deepEqual(b.map((s) => [s.name, s.value, s.scope, s.via, s.location.line, s.location.column]), [
      ['net.ipv4.ip_local_port_range', '20000 29999', 'pod', 'pod-securityContext', 25, 11],
      ['net.ipv4.tcp_tw_reuse', '1', 'pod', 'command', 33, 11],
      ['vm.swappiness', '10', 'node', 'command', 33, 11],
    ]);
  });
});

describe('port budget', () => {
  it('range less the reserved ports inside it; the last setting wins', () => {
    const { settings } = parseSysctlConf('n.conf', 'net.ipv4.ip_local_port_range = 32768 60999\nnet.ipv4.ip_local_port_range = 1024 65535\nnet.ipv4.ip_local_reserved_ports = 8080,30000-32767,70-80\n');
    const b = portBudget(settings);
    assert.deepEqual([b.low, b.high, b.reserved, b.usable], [1024, 65535, 2769, 64512 - 2769]);
    assert.deepEqual(b.trace.map((t) => [t.text, t.location?.line]), [
      ['net.ipv4.ip_local_port_range = 1024 65535', 2],
      ['net.ipv4.ip_local_reserved_ports = 8080,30000-32767,70-80', 3],
    ]);
  });

  it('defaults, and invalid values noted and ignored', () => {
    assert.equal(portBudget([]).usable, 28232);
    const { settings } = parseSysctlConf('n.conf', 'net.ipv4.ip_local_port_range = 9 2\nnet.ipv4.tcp_tw_reuse = 3\n');
    const b = portBudget(settings);
    assert.equal(b.usable, 28232);
    assert.equal(b.twReuse, null);
    assert.equal(b.notes.length, 2);
    assert.throws(() => parseReservedPorts('1-2-3'), /invalid item "1-2-3"/);
  });
});
