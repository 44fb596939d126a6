/**
 * The contents of a container's /etc/hosts and /etc/resolv.conf, as Docker writes them: host
 * networking copies the host's files; other modes get localhost entries, the container's own
 * address and hostname, `--add-host` and legacy `--link` lines; resolv.conf points at the embedded
 * DNS on user-defined networks and otherwise at the host's (non-loopback) servers.
 */

/** Everything the files are made from. */
export interface ContainerFilesInput {
  readonly hostNetwork: boolean;
  readonly hostname: string;
  readonly domainname?: string;
  /** The container's addresses (no prefix) for the hostname line. */
  readonly addresses: readonly string[];
  /** `--add-host name:ip` (several names `a,b:ip`? no: Docker takes one name per flag). */
  readonly extraHosts: readonly string[];
  /** What `host-gateway` in `--add-host` stands for. */
  readonly hostGateway?: string;
  /** Legacy links on the default bridge: `ip alias name`. */
  readonly linkHosts: ReadonlyArray<{ readonly ip: string; readonly names: readonly string[] }>;
  /** The embedded DNS address when the container is on a user-defined network. */
  readonly embeddedDns?: string;
  /** The container's `--dns`, `--dns-search`, `--dns-opt` (empty = the daemon's, then the host's). */
  readonly dns: readonly string[];
  readonly dnsSearch: readonly string[];
  readonly dnsOptions: readonly string[];
  /** The host's /etc/resolv.conf and /etc/hosts. */
  readonly hostResolv: string;
  readonly hostHosts: string;
}

const LOCALHOST = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** `name:ip` → `ip\tname` (IPv6 addresses contain colons: split at the first one only). */
function extraHostLine(entry: string, hostGateway: string | undefined): string | undefined {
  const i = entry.indexOf(':');
  if (i <= 0) return undefined;
  const name = entry.slice(0, i);
  let ip = entry.slice(i + 1).replace(/^\[(.*)\]$/, '$1');
  if (ip === 'host-gateway') ip = hostGateway ?? '';
  return ip ? `${ip}\t${name}` : undefined;
}

/** /etc/hosts. */
export function hostsFile(i: ContainerFilesInput): string {
  const extra = i.extraHosts.map((e) => extraHostLine(e, i.hostGateway)).filter((l): l is string => !!l);
  if (i.hostNetwork) return `${[i.hostHosts.trimEnd(), ...extra].filter(Boolean).join('\n')}\n`;
  const fqdn = i.domainname ? `${i.hostname}.${i.domainname} ${i.hostname}` : i.hostname;
  const lines = [
    ...LOCALHOST,
    ...extra,
    ...i.linkHosts.map((l) => `${l.ip}\t${l.names.join(' ')}`),
    ...i.addresses.map((a) => `${a}\t${fqdn}`),
  ];
  return `${lines.join('\n')}\n`;
}

interface ParsedResolv {
  nameservers: string[];
  search: string[];
  options: string[];
}

function parseResolv(text: string): ParsedResolv {
  const r: ParsedResolv = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const [key, ...rest] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (key === 'nameserver' && rest[0]) r.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') r.search = rest;
    else if (key === 'options') r.options.push(...rest);
  }
  return r;
}

/** The host's nameservers a container can reach: loopback ones only exist in the host's namespace. */
export function hostUpstreams(hostResolv: string): string[] {
  return parseResolv(hostResolv).nameservers;
}

/** /etc/resolv.conf. */
export function resolvConfFile(i: ContainerFilesInput): string {
  const host = parseResolv(i.hostResolv);
  const search = i.dnsSearch.length ? i.dnsSearch.filter((s) => s !== '.') : host.search;
  let servers: string[];
  let options = i.dnsOptions.length ? [...i.dnsOptions] : host.options;
  if (i.hostNetwork) {
    servers = i.dns.length ? [...i.dns] : host.nameservers;
  } else if (i.embeddedDns) {
    // The embedded server forwards to the container's --dns itself; ndots:0 as Docker sets it so
    // short names go to the embedded server first.
    servers = [i.embeddedDns];
    if (!options.some((o) => o.startsWith('ndots:'))) options = [...options, 'ndots:0'];
  } else {
    servers = i.dns.length ? [...i.dns] : host.nameservers.filter((s) => !/^(127\.|::1$)/.test(s));
    // Docker's fallback when the host only has loopback resolvers.
    if (!servers.length) servers = ['8.8.8.8', '8.8.4.4'];
  }
  const lines = [
    ...servers.map((s) => `nameserver ${s}`),
    ...(search.length ? [`search ${search.join(' ')}`] : []),
    ...(options.length ? [`options ${options.join(' ')}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
