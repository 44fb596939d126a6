/**
 * The `macvlan` driver: each endpoint is a macvlan link on the network's parent interface
 * (`-o parent=eth1`, or `eth1.20` for an 802.1q sub-interface that keel creates and removes
 * itself), moved into the container's namespace. The gateway is a router on the parent's LAN, not
 * on the host: the host cannot reach its own macvlan children (a kernel rule of macvlan), so
 * there is no embedded DNS and no port publishing here, as in Docker.
 */
import {
  InvalidArgumentError, NotSupportedError,
  type CallOptions, type CreateNetworkRequest, type CreateNetworkResult, type EndpointRequest, type EndpointResult,
  type JoinRequest, type JoinResult, type Logger, type NetworkCapabilities, type NetworkDriver, type ReconcileRequest,
} from '@keel/sdk';
import { checkIfName, ipBatch, KEEL_LINK_PREFIX, linkName, listLinks, ToolError } from '@keel/sdk/netutil';

const MODES = ['bridge', 'private', 'vepa', 'passthru'] as const;

interface MacvlanNet {
  readonly parent: string;
  readonly mode: (typeof MODES)[number];
  /** The 802.1q sub-interface keel created (removed with the network). */
  readonly createdVlan: boolean;
  readonly gateway?: string;
  readonly gatewayV6?: string;
  readonly internal: boolean;
}

interface Endpoint {
  readonly networkId: string;
  readonly addresses: readonly string[];
  sandbox?: { readonly path: string; readonly ifname: string };
}

/** The macvlan driver. */
export class MacvlanDriver implements NetworkDriver {
  readonly capabilities: NetworkCapabilities = { scope: 'local', usesNamespaces: true, needsIpam: true };
  private readonly nets = new Map<string, MacvlanNet>();
  private readonly endpoints = new Map<string, Endpoint>();

  /** @param linkPrefix prefix of the links the driver names (default `kl`; tests use their own). */
  constructor(private readonly log?: Logger, private readonly linkPrefix = KEEL_LINK_PREFIX) {}

  async validateOptions(options: Readonly<Record<string, string>>): Promise<void> {
    this.parse(options);
  }

  private parse(options: Readonly<Record<string, string>>) {
    const parent = options.parent;
    if (!parent) throw new InvalidArgumentError('the macvlan driver needs a parent interface: -o parent=<interface>');
    checkIfName(parent, 'parent interface');
    const mode = (options.macvlan_mode || 'bridge') as MacvlanNet['mode'];
    if (!MODES.includes(mode)) throw new InvalidArgumentError(`invalid macvlan_mode "${mode}": expected ${MODES.join(', ')}`);
    const unknown = Object.keys(options).filter((k) => k !== 'parent' && k !== 'macvlan_mode');
    if (unknown.length) throw new InvalidArgumentError(`unknown macvlan option(s): ${unknown.join(', ')}`);
    const vlan = /^(.+)\.(\d+)$/.exec(parent);
    if (vlan && (Number(vlan[2]) < 1 || Number(vlan[2]) > 4094)) throw new InvalidArgumentError(`invalid VLAN id ${vlan[2]}: expected 1-4094`);
    return { parent, mode, vlan: vlan ? { base: vlan[1]!, id: Number(vlan[2]) } : undefined };
  }

  async createNetwork(req: CreateNetworkRequest, options: CallOptions = {}): Promise<CreateNetworkResult> {
    const { parent, mode, vlan } = this.parse(req.options);
    const links = new Set((await listLinks(options)).map((l) => l.ifname));
    let createdVlan = false;
    if (!links.has(parent)) {
      if (!vlan || !links.has(vlan.base)) throw new InvalidArgumentError(`parent interface ${parent} does not exist on this host`);
      await ipBatch([`link add link ${vlan.base} name ${parent} type vlan id ${vlan.id}`, `link set dev ${parent} up`], options).catch((err: unknown) => {
        if (err instanceof ToolError && /Unknown device type|not supported/i.test(err.stderr)) {
          throw new NotSupportedError(`802.1q sub-interface ${parent}: this kernel has no VLAN (8021q) support`);
        }
        throw err;
      });
      createdVlan = true;
    } else {
      // The parent must be up for its macvlan children to carry traffic.
      await ipBatch([`link set dev ${parent} up`], options);
    }
    if (mode === 'passthru' && [...this.nets.values()].some((n) => n.parent === parent)) {
      throw new InvalidArgumentError(`parent ${parent} is already used by another macvlan network; passthru mode needs it alone`);
    }
    const gateway = req.ipv4.find((p) => p.gateway)?.gateway;
    const gatewayV6 = req.ipv6.find((p) => p.gateway)?.gateway;
    const prev = this.nets.get(req.networkId);
    this.nets.set(req.networkId, { parent, mode, createdVlan: createdVlan || !!prev?.createdVlan, gateway, gatewayV6, internal: req.internal });
    return { options: { parent, macvlan_mode: mode } };
  }

  async deleteNetwork(networkId: string, options: CallOptions = {}): Promise<void> {
    const net = this.nets.get(networkId);
    this.nets.delete(networkId);
    const stillUsed = net && [...this.nets.values()].some((n) => n.parent === net.parent);
    if (net?.createdVlan && !stillUsed) await ipBatch([`link del dev ${net.parent}`], { ...options, force: true }).catch(() => undefined);
  }

  async createEndpoint(req: EndpointRequest, options: CallOptions = {}): Promise<EndpointResult> {
    const net = this.nets.get(req.networkId);
    if (!net) throw new InvalidArgumentError(`macvlan network ${req.networkId.slice(0, 12)} is not set up on this host`);
    const name = linkName('m', req.endpointId, this.linkPrefix);
    await ipBatch([`link del dev ${name}`], { ...options, force: true }).catch(() => undefined);
    await ipBatch([
      `link add link ${net.parent} name ${name} type macvlan mode ${net.mode}`,
      ...(req.macAddress ? [`link set dev ${name} address ${req.macAddress}`] : []),
    ], options);
    const link = (await listLinks(options)).find((l) => l.ifname === name);
    this.endpoints.set(req.endpointId, { networkId: req.networkId, addresses: [req.address, req.addressV6].filter((a): a is string => !!a) });
    return { macAddress: link?.address };
  }

  async join(req: JoinRequest, options: CallOptions = {}): Promise<JoinResult> {
    const ep = this.endpoints.get(req.endpointId);
    const net = this.nets.get(req.networkId);
    if (!ep || !net) throw new InvalidArgumentError(`endpoint ${req.endpointId.slice(0, 12)} was not created`);
    const name = linkName('m', req.endpointId, this.linkPrefix);
    await ipBatch([`link set dev ${name} netns ${req.sandboxKey}`], options);
    const dev = req.interfaceName;
    const route = req.defaultRoute && !net.internal;
    await ipBatch([
      `link set dev ${name} name ${dev}`,
      ...ep.addresses.map((a) => `addr add ${a} dev ${dev}${a.includes(':') ? ' nodad' : ''}`),
      `link set dev ${dev} up`,
      ...(route && net.gateway ? [`route replace default via ${net.gateway} dev ${dev}`] : []),
      ...(route && net.gatewayV6 ? [`-6 route replace default via ${net.gatewayV6} dev ${dev}`] : []),
    ], { ...options, netns: req.sandboxKey });
    ep.sandbox = { path: req.sandboxKey, ifname: dev };
    return { interfaceName: dev, gateway: net.gateway, gatewayV6: net.gatewayV6 };
  }

  async leave(_networkId: string, endpointId: string, options: CallOptions = {}): Promise<void> {
    const ep = this.endpoints.get(endpointId);
    // Inside the sandbox the link has the container's name for it; a namespace that is gone took it along.
    if (ep?.sandbox) await ipBatch([`link del dev ${ep.sandbox.ifname}`], { ...options, netns: ep.sandbox.path, force: true }).catch(() => undefined);
    if (ep) ep.sandbox = undefined;
    await ipBatch([`link del dev ${linkName('m', endpointId, this.linkPrefix)}`], { ...options, force: true }).catch(() => undefined);
  }

  async deleteEndpoint(networkId: string, endpointId: string, options: CallOptions = {}): Promise<void> {
    await this.leave(networkId, endpointId, options);
    this.endpoints.delete(endpointId);
  }

  async reconcile(req: ReconcileRequest, options: CallOptions = {}): Promise<void> {
    for (const n of req.networks) await this.createNetwork(n, options).catch((err: unknown) => this.log?.warn({ err, network: n.name }, 'macvlan network not restored'));
    const keep = new Set(req.endpoints.map((e) => linkName('m', e.endpointId, this.linkPrefix)));
    const stale = (await listLinks(options)).map((l) => l.ifname).filter((n) => n.startsWith(`${this.linkPrefix}m-`) && !keep.has(n));
    await ipBatch(stale.map((s) => `link del dev ${s}`), { ...options, force: true }).catch(() => undefined);
  }
}
