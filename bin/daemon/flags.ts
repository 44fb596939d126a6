/**
 * keeld's command line: dockerd's flag names, mapped onto daemon.json keys. Only flags the user
 * actually gave are returned, so a key set both here and in daemon.json can be reported.
 */
import { Command, Option } from 'commander';

/** Parsed command line. */
export interface DaemonArgs {
  /** Daemon keys set by flags. */
  readonly flags: Record<string, unknown>;
  readonly configFile: string;
  readonly configFileExplicit: boolean;
  readonly validateOnly: boolean;
}

const DEFAULT_CONFIG_FILE = '/etc/keel/daemon.json';

type Kind = 'string' | 'bool' | 'int' | 'list' | 'map' | 'runtime' | 'pool';

// [flag spec, daemon key, kind, help]
const FLAGS: ReadonlyArray<readonly [string, string, Kind, string]> = [
  ['--data-root <dir>', 'data-root', 'string', 'root of persistent state (default /var/lib/keel)'],
  ['--exec-root <dir>', 'exec-root', 'string', 'root of runtime state: sockets, pid file (default /run/keel)'],
  ['-H, --host <addr>', 'hosts', 'list', 'address to serve the API on, repeatable: unix:///path or tcp://127.0.0.1:2375 (default unix:///run/keel/keel.sock)'],
  ['-p, --pidfile <file>', 'pidfile', 'string', 'pid file (default <exec-root>/keeld.pid)'],
  ['-D, --debug', 'debug', 'bool', 'debug logging'],
  ['-l, --log-level <level>', 'log-level', 'string', 'log level: debug, info, warn, error, fatal (default info)'],
  ['-s, --storage-driver <name>', 'storage-driver', 'string', 'storage driver to use (default: overlay2, else vfs)'],
  ['--storage-opt <opt>', 'storage-opts', 'list', 'storage driver option, repeatable'],
  ['--log-driver <name>', 'log-driver', 'string', 'default log driver for containers (default json-file)'],
  ['--log-opt <k=v>', 'log-opts', 'map', 'default log driver option, repeatable'],
  ['--default-runtime <name>', 'default-runtime', 'string', 'default OCI runtime (default runc)'],
  ['--add-runtime <name=path>', 'runtimes', 'runtime', 'register an OCI runtime binary, repeatable'],
  ['--live-restore [bool]', 'live-restore', 'bool', 'keep containers running while the daemon is down'],
  ['--iptables [bool]', 'iptables', 'bool', 'manage iptables rules (default true)'],
  ['--ip6tables [bool]', 'ip6tables', 'bool', 'manage ip6tables rules'],
  ['--ip-forward [bool]', 'ip-forward', 'bool', 'enable net.ipv4.ip_forward (default true)'],
  ['--ip-masq [bool]', 'ip-masq', 'bool', 'masquerade outbound traffic (default true)'],
  ['--icc [bool]', 'icc', 'bool', 'allow traffic between containers on the default bridge (default true)'],
  ['--userland-proxy [bool]', 'userland-proxy', 'bool', 'use a userland proxy for loopback traffic to published ports (default true)'],
  ['--ipv6 [bool]', 'ipv6', 'bool', 'enable IPv6 on the default bridge'],
  ['-b, --bridge <name>', 'bridge', 'string', 'attach containers to this existing bridge'],
  ['--bip <cidr>', 'bip', 'string', 'address and subnet of the default bridge'],
  ['--fixed-cidr <cidr>', 'fixed-cidr', 'string', 'IPv4 range for the default bridge'],
  ['--mtu <n>', 'mtu', 'int', 'MTU of the default bridge'],
  ['--default-address-pool <base=..,size=..>', 'default-address-pools', 'pool', 'pool for network subnets, repeatable'],
  ['--dns <ip>', 'dns', 'list', 'DNS server for containers, repeatable'],
  ['--dns-opt <opt>', 'dns-opts', 'list', 'DNS option, repeatable'],
  ['--dns-search <domain>', 'dns-search', 'list', 'DNS search domain, repeatable'],
  ['--insecure-registry <host>', 'insecure-registries', 'list', 'registry reached without TLS verification, repeatable'],
  ['--registry-mirror <url>', 'registry-mirrors', 'list', 'registry mirror, repeatable'],
  ['--max-concurrent-downloads <n>', 'max-concurrent-downloads', 'int', 'parallel layer downloads per pull (default 3)'],
  ['--max-concurrent-uploads <n>', 'max-concurrent-uploads', 'int', 'parallel layer uploads per push (default 5)'],
  ['--max-download-attempts <n>', 'max-download-attempts', 'int', 'attempts per layer download (default 5)'],
  ['--shutdown-timeout <seconds>', 'shutdown-timeout', 'int', 'seconds to wait for containers on shutdown (default 15)'],
  ['--label <k=v>', 'labels', 'list', 'daemon label, repeatable'],
  ['-G, --group <name>', 'group', 'string', 'group that may use the unix socket (default docker)'],
  ['--exec-opt <opt>', 'exec-opts', 'list', 'runtime execution option, repeatable'],
  ['--cgroup-parent <path>', 'cgroup-parent', 'string', 'parent cgroup for containers'],
  ['--seccomp-profile <file>', 'seccomp-profile', 'string', 'default seccomp profile (or "unconfined")'],
  ['--default-shm-size <size>', 'default-shm-size', 'string', 'default /dev/shm size (default 64MiB)'],
  ['--init [bool]', 'init', 'bool', 'run an init inside containers by default'],
  ['--no-new-privileges [bool]', 'no-new-privileges', 'bool', 'set no-new-privileges on new containers'],
  ['--experimental [bool]', 'experimental', 'bool', 'enable experimental features'],
  ['--oom-score-adjust <n>', 'oom-score-adjust', 'int', "the daemon's oom_score_adj"],
  ['--tls [bool]', 'tls', 'bool', 'use TLS (implied by --tlsverify)'],
  ['--tlsverify [bool]', 'tlsverify', 'bool', 'use TLS and verify clients'],
  ['--tlscacert <file>', 'tlscacert', 'string', 'trust certs signed only by this CA'],
  ['--tlscert <file>', 'tlscert', 'string', 'TLS certificate'],
  ['--tlskey <file>', 'tlskey', 'string', 'TLS key'],
];

function parseBool(flag: string, v: unknown): boolean {
  if (v === true || v === undefined) return true;
  const s = String(v).toLowerCase();
  if (['true', '1', 'yes'].includes(s)) return true;
  if (['false', '0', 'no'].includes(s)) return false;
  throw new Error(`invalid value "${v}" for ${flag}: expected true or false`);
}

function parseInt10(flag: string, v: string): number {
  if (!/^-?\d+$/.test(v)) throw new Error(`invalid value "${v}" for ${flag}: expected an integer`);
  return Number(v);
}

function keyValue(flag: string, v: string): [string, string] {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new Error(`invalid value "${v}" for ${flag}: expected KEY=VALUE`);
  return [v.slice(0, eq), v.slice(eq + 1)];
}

function convert(flag: string, kind: Kind, raw: unknown): unknown {
  const list = (Array.isArray(raw) ? raw : [raw]) as string[];
  switch (kind) {
    case 'string': return raw;
    case 'bool': return parseBool(flag, raw);
    case 'int': return parseInt10(flag, String(raw));
    case 'list': return list;
    case 'map': return Object.fromEntries(list.map((v) => keyValue(flag, v)));
    case 'runtime': return Object.fromEntries(list.map((v) => keyValue(flag, v)).map(([n, p]) => [n, { path: p }]));
    case 'pool': return list.map((v) => Object.fromEntries(v.split(',').map((kv) => keyValue(flag, kv)).map(([k, x]) => [k, k === 'size' ? parseInt10(flag, x) : x])));
  }
}

/** Parses keeld's argv (without node and script). Throws with a readable message on bad input. */
export function parseDaemonArgs(argv: readonly string[], version: string): DaemonArgs {
  const program = new Command('keeld')
    .description('keel daemon: a container engine that serves the Docker Engine API (v1.47).\nFlags and daemon.json keys are dockerd\'s; a key given both as a flag and in daemon.json is an error, as with dockerd.')
    .version(version, '-v, --version', 'print the version and exit')
    .option('--config-file <file>', `daemon.json to read (default ${DEFAULT_CONFIG_FILE})`)
    .option('--validate', 'validate the configuration and exit')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', '\nExamples:\n  keeld                                   # defaults: /var/lib/keel, unix:///run/keel/keel.sock\n  keeld -H unix:///tmp/k.sock --data-root /tmp/k --debug\n  kill -HUP $(cat /run/keel/keeld.pid)    # reload daemon.json (debug, labels, registries …)');
  for (const [spec, , kind, help] of FLAGS) {
    const opt = new Option(spec, help);
    if (kind === 'list' || kind === 'map' || kind === 'runtime' || kind === 'pool') opt.argParser((v: string, prev: string[] = []) => [...prev, v]);
    program.addOption(opt);
  }
  program.parse(argv as string[], { from: 'user' });
  const opts = program.opts<Record<string, unknown>>();
  const flags: Record<string, unknown> = {};
  for (const [spec, key, kind] of FLAGS) {
    const long = /--([a-z0-9-]+)/.exec(spec)![1]!;
    const attr = long.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    if (opts[attr] !== undefined) flags[key] = convert(`--${long}`, kind, opts[attr]);
  }
  const configFile = opts.configFile as string | undefined;
  return { flags, configFile: configFile ?? DEFAULT_CONFIG_FILE, configFileExplicit: configFile !== undefined, validateOnly: !!opts.validate };
}
