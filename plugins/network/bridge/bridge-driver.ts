/**
 * The `bridge` network driver: a Linux bridge per network (`keel0` for the default one, `klb-<id>`
 * otherwise) holding the gateway address, a veth pair per endpoint (`klv-<id>` on the bridge,
 * the peer renamed to `eth<n>` inside the container's namespace), and the firewall of
 * {@link BridgeFirewall}. Every host change of one call goes through one `ip -batch`.
 *
 * State is in memory and rebuilt by the network service at start (`reconcile` with the networks
 * it keeps, then `programPorts` for running containers); names derive from ids, so teardown after
 * a restart needs nothing remembered. `leave` deletes the veth pair (its peer dies with it).
 */
import { writeFile } from 'node:fs/promises';
import {
  InvalidArgumentError,
  type CallOptions, type CreateNetworkRequest, type CreateNetworkResult, type EndpointRequest, type EndpointResult, type JoinRequest,
  type JoinResult, type Logger, type NetworkCapabilities, type NetworkDriver, type PortsRequest, type ReconcileRequest,
} from '@keel/sdk';
import { checkIfName, DEFAULT_BRIDGE_NAME, ipBatch, KEEL_LINK_PREFIX, linkName, listLinks, parseCidr, ToolError, type IptablesBackend } from '@keel/sdk/netutil';
import { BridgeFirewall, type FirewallNetwork, type FirewallPorts } from './bridge-firewall.js';

/** Docker's bridge option keys. */
export const BRIDGE_OPTS = {
  name: 'com.docker.network.bridge.name',
  mtu: 'com.docker.network.driver.mtu',
  icc: 'com.docker.network.bridge.enable_icc',
  masquerade: 'com.docker.network.bridge.enable_ip_masquerade',
  hostBinding: 'com.docker.network.bridge.host_binding_ipv4',
} as const;

/** How the driver is set up (from daemon flags). */
export interface BridgeDriverOptions {
  /** iptables backend, or undefined for `--iptables=false`. */
  readonly iptables?: IptablesBackend;
  /** Default MTU (`--mtu`). */
  readonly mtu: number;
  /** Turn on `net.ipv4.ip_forward` for non-internal networks (`--ip-forward`). */
  readonly ipForward: boolean;
  /** `--icc` for the default bridge. */
  readonly icc: boolean;
  /** `--ip-masq`. */
  readonly masquerade: boolean;
  readonly log?: Logger;
  /** Replaces `KEEL` in iptables chain names (tests beside a running keeld); default `KEEL`. */
  readonly chainPrefix?: string;
  /** Prefix of the links the driver names (default `kl`; tests use their own). */
  readonly linkPrefix?: string;
}

interface BridgeNet {
  readonly bridge: string;
  readonly mtu: number;
  readonly gateways: readonly string[];
  readonly fw: FirewallNetwork;
}

interface Endpoint {
  readonly networkId: string;
  readonly addresses: readonly string[];
  readonly mac: string;
}

const bool = (v: string | undefined, fallback: boolean, key: string): boolean => {
  if (v === undefined || v === '') return fallback;
  if (/^(1|true)$/i.test(v)) return true;
  if (/^(0|false)$/i.test(v)) return false;
  throw new InvalidArgumentError(`invalid value "${v}" for option ${key}: expected true or false`);
};

/** A MAC from the IPv4 address (02:42 + the four bytes), as Docker makes them, so ARP caches stay right after reuse. */
export function macFor(address: string | undefined): string {
  const bytes = address && !address.includes(':') ? address.split('/')[0]!.split('.').map(Number) : Array.from({ length: 4 }, () => Math.floor(Math.random() * 256));
  return ['02', '42', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** The bridge driver. */
export class BridgeDriver implements NetworkDriver {
  readonly capabilities: NetworkCapabilities = { scope: 'local', usesNamespaces: true, needsIpam: true, portMapping: true, gatewayOnHost: true };
  private readonly nets = new Map<string, BridgeNet>();
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly ports = new Map<string, FirewallPorts>();
  private readonly left = new Set<string>();
  private readonly firewall: BridgeFirewall;
  private readonly link: (role: 'b' | 'v' | 'c', id: string) => string;

  constructor(private readonly o: BridgeDriverOptions) {
    this.firewall = new BridgeFirewall(o.iptables, o.log, o.chainPrefix);
    this.link = (role, id) => linkName(role, id, o.linkPrefix);
  }

  async validateOptions(options: Readonly<Record<string, string>>): Promise<void> {
    this.parse(options, false);
  }

  private parse(options: Readonly<Record<string, string>>, isDefault: boolean) {
    const name = options[BRIDGE_OPTS.name];
    const mtu = options[BRIDGE_OPTS.mtu] ? Number(options[BRIDGE_OPTS.mtu]) : this.o.mtu;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new InvalidArgumentError(`invalid MTU "${options[BRIDGE_OPTS.mtu]}": expected 68-65535`);
    return {
      name: name ? checkIfName(name, 'bridge name') : undefined, mtu,
      icc: bool(options[BRIDGE_OPTS.icc], isDefault ? this.o.icc : true, BRIDGE_OPTS.icc),
      masquerade: bool(options[BRIDGE_OPTS.masquerade], this.o.masquerade, BRIDGE_OPTS.masquerade),
    };
  }

  async createNetwork(req: CreateNetworkRequest, options: CallOptions = {}): Promise<CreateNetworkResult> {
    const opts = this.parse(req.options, !!req.isDefault);
    const bridge = opts.name ?? (req.isDefault ? DEFAULT_BRIDGE_NAME : this.link('b', req.networkId));
    const pools = [...req.ipv4, ...req.ipv6];
    const gateways = pools.filter((p) => p.gateway).map((p) => `${p.gateway}/${parseCidr(p.subnet).prefix}`);
    const exists = (await listLinks(options)).some((l) => l.ifname === bridge);
    await ipBatch([
      ...(exists ? [] : [`link add name ${bridge} type bridge`]),
      `link set dev ${bridge} mtu ${opts.mtu}`,
      ...gateways.map((g) => `addr replace ${g} dev ${bridge}${g.includes(':') ? ' nodad' : ''}`),
      `link set dev ${bridge} up`,
    ], options);
    // Host-originated traffic to 127.0.0.1:<published> is DNATed out of this bridge; the kernel
    // drops loopback sources on other devices unless route_localnet is set.
    await writeFile(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1').catch(() => undefined);
    if (this.o.ipForward && !req.internal && !req.noFirewall) await writeFile('/proc/sys/net/ipv4/ip_forward', '1').catch(() => undefined);
    const fw: FirewallNetwork = { bridge, subnets: req.ipv4.map((p) => p.subnet), internal: req.internal, icc: opts.icc, masquerade: opts.masquerade };
    this.nets.set(req.networkId, { bridge, mtu: opts.mtu, gateways, fw });
    if (!req.noFirewall) await this.syncFirewall(options);
    return { options: { [BRIDGE_OPTS.name]: bridge } };
  }

  private syncFirewall(options: CallOptions): Promise<void> {
    return this.firewall.sync([...this.nets.values()].map((n) => n.fw), [...this.ports.values()], options);
  }

  async deleteNetwork(networkId: string, options: CallOptions = {}): Promise<void> {
    const net = this.nets.get(networkId);
    const bridge = net?.bridge ?? this.link('b', networkId);
    // Bridges keel did not name (`-o com.docker.network.bridge.name=` of an existing one) lose only keel's addresses.
    const ours = bridge === DEFAULT_BRIDGE_NAME || bridge.startsWith(this.o.linkPrefix ?? KEEL_LINK_PREFIX);
    await ipBatch(ours ? [`link del dev ${bridge}`] : (net?.gateways ?? []).map((g) => `addr del ${g} dev ${bridge}`), { ...options, force: true }).catch(() => undefined);
    this.nets.delete(networkId);
    for (const [id, p] of this.ports) if (p.bridge === bridge) this.ports.delete(id);
    await this.syncFirewall(options);
  }

  async createEndpoint(req: EndpointRequest, options: CallOptions = {}): Promise<EndpointResult> {
    const net = this.net(req.networkId);
    const host = this.link('v', req.endpointId);
    const peer = this.link('c', req.endpointId);
    const mac = req.macAddress || macFor(req.address);
    const plumb = () => ipBatch([
      `link add name ${host} mtu ${net.mtu} type veth peer name ${peer} mtu ${net.mtu}`,
      `link set dev ${peer} address ${mac}`,
      `link set dev ${host} master ${net.bridge}`,
      `link set dev ${host} up`,
    ], options);
    const undo = () => ipBatch([`link del dev ${host}`], { force: true }).catch(() => undefined);
    // A pair left by a crash is replaced; the common path is one `ip` run.
    await plumb().catch(async (err: unknown) => {
      await undo();
      if (!(err instanceof ToolError && /File exists/.test(err.stderr))) throw err;
      await plumb().catch(async (again: unknown) => {
        await undo();
        throw again;
      });
    });
    this.left.delete(req.endpointId);
    this.endpoints.set(req.endpointId, { networkId: req.networkId, addresses: [req.address, req.addressV6].filter((a): a is string => !!a), mac });
    return { macAddress: mac };
  }

  private net(networkId: string): BridgeNet {
    const net = this.nets.get(networkId);
    if (!net) throw new InvalidArgumentError(`bridge network ${networkId.slice(0, 12)} is not set up on this host`);
    return net;
  }

  async join(req: JoinRequest, options: CallOptions = {}): Promise<JoinResult> {
    const ep = this.endpoints.get(req.endpointId);
    if (!ep) throw new InvalidArgumentError(`endpoint ${req.endpointId.slice(0, 12)} was not created`);
    const net = this.net(req.networkId);
    const peer = this.link('c', req.endpointId);
    const gw4 = net.gateways.find((g) => !g.includes(':'))?.split('/')[0];
    const gw6 = net.gateways.find((g) => g.includes(':'))?.split('/')[0];
    await ipBatch([`link set dev ${peer} netns ${req.sandboxKey}`], options);
    const dev = req.interfaceName;
    await ipBatch([
      `link set dev ${peer} name ${dev}`,
      ...ep.addresses.map((a) => `addr add ${a} dev ${dev}${a.includes(':') ? ' nodad' : ''}`),
      `link set dev ${dev} up`,
      ...(req.defaultRoute && gw4 && !net.fw.internal ? [`route replace default via ${gw4} dev ${dev}`] : []),
      ...(req.defaultRoute && gw6 && !net.fw.internal ? [`-6 route replace default via ${gw6} dev ${dev}`] : []),
    ], { ...options, netns: req.sandboxKey });
    return { interfaceName: dev, gateway: gw4, gatewayV6: gw6 };
  }

  async leave(_networkId: string, endpointId: string, options: CallOptions = {}): Promise<void> {
    await ipBatch([`link del dev ${this.link('v', endpointId)}`], { ...options, force: true }).catch(() => undefined);
    this.left.add(endpointId);
  }

  async deleteEndpoint(networkId: string, endpointId: string, options: CallOptions = {}): Promise<void> {
    // The usual teardown is leave then deleteEndpoint: the pair is gone already, spare a spawn.
    if (!this.left.delete(endpointId)) await this.leave(networkId, endpointId, options);
    this.left.delete(endpointId);
    this.endpoints.delete(endpointId);
    if (this.ports.delete(endpointId)) await this.syncFirewall(options);
  }

  async programPorts(req: PortsRequest, options: CallOptions = {}): Promise<void> {
    const net = this.net(req.networkId);
    if (net.fw.internal) throw new InvalidArgumentError('ports cannot be published on an internal network');
    this.ports.set(req.endpointId, { bridge: net.bridge, containerIp: req.containerIp, ports: req.ports });
    await this.syncFirewall(options).catch(async (err: unknown) => {
      this.ports.delete(req.endpointId);
      await this.syncFirewall({}).catch(() => undefined);
      throw err;
    });
  }

  async revokePorts(req: PortsRequest, options: CallOptions = {}): Promise<void> {
    if (this.ports.delete(req.endpointId)) await this.syncFirewall(options);
  }

  async reconcile(req: ReconcileRequest, options: CallOptions = {}): Promise<void> {
    for (const n of req.networks) await this.createNetwork(n, options);
    const keep = new Set([...[...this.nets.values()].map((n) => n.bridge), ...req.endpoints.map((e) => this.link('v', e.endpointId))]);
    const prefix = this.o.linkPrefix ?? KEEL_LINK_PREFIX;
    const stale = (await listLinks(options)).map((l) => l.ifname).filter((name) => /^[bvc]-/.test(name.slice(prefix.length)) && name.startsWith(prefix) && !keep.has(name));
    if (stale.length) this.o.log?.info({ links: stale }, 'removing links no network or container uses');
    await ipBatch(stale.map((s) => `link del dev ${s}`), { ...options, force: true }).catch(() => undefined);
    await this.syncFirewall(options);
  }
}
