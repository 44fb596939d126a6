/**
 * The container service's way into networking ({@link NetworkBackend}): a network namespace per
 * container (bind-mounted under the plugin's run root, as `ip netns add` does under /run/netns),
 * endpoints on its networks, published ports, DNS names, and the contents of /etc/hosts and
 * /etc/resolv.conf. Operations on one container run one at a time.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, KeyedQueue, NotFoundError, NotSupportedError, type CallOptions, type ConfigService, type Logger } from '@keel/sdk';
import { createNetns, removeNetns } from '@keel/sdk/netutil';
import { hostsFile, resolvConfFile } from './container-files.js';
import type { NetworksService } from './network-service.js';
import type { NetworkStore } from './network-store.js';
import type {
  AttachRequest, AttachResult, ContainerNetworkPort, EndpointConfigInput, NetworkBackend, NetworkInfo, NetworkSettingsView, SandboxRecord,
} from './network-types.js';
import { apiDriverName, networkSettingsView } from './network-views.js';
import { wantedPorts } from './port-allocator.js';
import { parseLink, type SandboxPlumbing } from './sandbox-plumbing.js';

/** What the backend uses. */
export interface BackendDeps {
  readonly store: NetworkStore;
  readonly service: NetworksService;
  readonly plumbing: SandboxPlumbing;
  readonly config: ConfigService;
  readonly log: Logger;
  /** Directory of the containers' namespace bind mounts. */
  readonly netnsDir: string;
}

/** The backend. */
export class NetworkBackendImpl implements NetworkBackend {
  private port?: ContainerNetworkPort;
  /** Attach, detach, connect and disconnect of one container, one at a time. */
  private readonly queue = new KeyedQueue();

  constructor(private readonly d: BackendDeps) {}

  /** The container service's port, once registered. */
  get containers(): ContainerNetworkPort | undefined {
    return this.port;
  }

  registerContainers(port: ContainerNetworkPort): void {
    this.port = port;
  }


  findNetwork(ref: string): NetworkInfo | undefined {
    const n = this.d.store.find(ref);
    return n && { id: n.id, name: n.name, driver: apiDriverName(n.driver) };
  }

  settings(containerId: string): NetworkSettingsView | undefined {
    const s = this.d.store.sandboxes.get(containerId);
    return s && networkSettingsView(s);
  }

  attach(containerId: string, req: AttachRequest, options: CallOptions = {}): Promise<AttachResult> {
    return this.queue.run(containerId, async () => {
      if (this.d.store.sandboxes.has(containerId)) await this.detachLocked(containerId, options);
      const mode = !req.networkMode || req.networkMode === 'default' ? 'bridge' : req.networkMode;
      const { endpoints: _e, portBindings: _p, ...rest } = req;
      const exposed = [...new Set([...(req.exposedPorts ?? []), ...Object.keys(req.portBindings ?? {})])].map((k) => (k.includes('/') ? k : `${k}/tcp`));
      const base = { containerId, name: req.name, hostname: req.hostname || containerId.slice(0, 12), networkMode: mode, endpoints: [], ports: [], exposed, request: rest };
      if (mode.startsWith('container:')) return this.shareWith(base, mode.slice(10));
      const n = mode === 'host' ? undefined : this.d.service.get(mode);
      if (!n || n.driver === 'host') {
        const s: SandboxRecord = { ...base, networkMode: 'host', exposed: [] };
        await this.d.store.putSandbox(s);
        // An endpoint without plumbing, so `network inspect host` lists the container as Docker does.
        const host = n ?? this.d.store.find('host');
        if (host) await this.d.plumbing.join(s, host, {}, '', false, options);
        return this.result(s);
      }
      const s: SandboxRecord = { ...base, netnsPath: path.join(this.d.netnsDir, containerId) };
      await this.d.store.putSandbox(s);
      try {
        await createNetns(s.netnsPath!, options);
        const configs = req.endpoints ?? {};
        const pick = (ref: string, name: string, id: string): EndpointConfigInput => configs[ref] ?? configs[name] ?? configs[id] ?? (name === 'bridge' ? configs.default : undefined) ?? {};
        // none: an endpoint without an interface (only `lo`), listed by `network inspect none`.
        await this.d.plumbing.join(s, n, pick(mode, n.name, n.id), n.driver === 'none' ? '' : 'eth0', true, options);
        // Further networks of NetworkingConfig (API ≥ 1.44 sends every --network at create, and
        // `network connect` on a stopped container adds one); the first joined has the default route.
        for (const ref of Object.keys(configs)) {
          const other = ref === 'default' ? undefined : this.d.store.find(ref);
          if (!other || other.id === n.id || other.driver === 'none' || other.driver === 'host' || s.endpoints.some((e) => e.networkId === other.id)) continue;
          await this.d.plumbing.join(s, other, configs[ref]!, this.nextIf(s), !s.endpoints.some((e) => e.gateway), options);
        }
        await this.d.plumbing.publish(s, wantedPorts(req.portBindings, !!req.publishAll, exposed, this.hostBinding(s)), options);
        return this.result(s);
      } catch (err) {
        await this.detachLocked(containerId, options);
        throw err;
      }
    });
  }

  /** The first free `eth<n>` of the sandbox. */
  private nextIf(s: SandboxRecord): string {
    const used = new Set(s.endpoints.map((e) => e.interfaceName));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    return `eth${i}`;
  }

  private hostBinding(s: SandboxRecord): string {
    const n = s.endpoints[0] && this.d.store.networks.get(s.endpoints[0].networkId);
    return n?.options['com.docker.network.bridge.host_binding_ipv4'] || this.d.config.get<string>('ip') || '0.0.0.0';
  }

  private async shareWith(base: Omit<SandboxRecord, 'netnsPath'>, ref: string): Promise<AttachResult> {
    const target = await this.port?.lookup(ref);
    if (!target) throw new NotFoundError(`No such container: ${ref}`);
    const other = this.d.store.sandboxes.get(target.id);
    if (!target.running || !other) throw new InvalidArgumentError(`cannot join network namespace of a non running container: ${ref}`);
    const s: SandboxRecord = { ...base, networkMode: `container:${target.id}`, netnsPath: other.netnsPath, sharedWith: target.id, exposed: [] };
    await this.d.store.putSandbox(s);
    const shared = await this.result(other);
    return { ...shared, networkSettings: networkSettingsView(s) };
  }

  detach(containerId: string, options: CallOptions = {}): Promise<void> {
    return this.queue.run(containerId, () => this.detachLocked(containerId, options));
  }

  private async detachLocked(containerId: string, options: CallOptions): Promise<void> {
    const s = this.d.store.sandboxes.get(containerId);
    const ns = path.join(this.d.netnsDir, containerId);
    if (s) {
      await this.d.plumbing.unpublish(s, options);
      for (const ep of [...s.endpoints].reverse()) await this.d.plumbing.leave(s, ep, options);
    }
    await removeNetns(ns).catch((err: unknown) => this.d.log.warn({ err, containerId }, 'could not remove the network namespace'));
    if (s) await this.d.store.deleteSandbox(containerId);
  }

  private running(containerId: string): SandboxRecord {
    const s = this.d.store.sandboxes.get(containerId);
    if (!s) throw new InvalidArgumentError(`container ${containerId.slice(0, 12)} is not running`);
    if (!s.netnsPath || s.sharedWith || s.networkMode === 'host') {
      throw new InvalidArgumentError('container sharing network namespace with another container or host cannot be connected to any other network');
    }
    return s;
  }

  connect(containerId: string, network: string, config: EndpointConfigInput, options: CallOptions = {}): Promise<AttachResult> {
    return this.queue.run(containerId, async () => {
      const s = this.running(containerId);
      const n = this.d.service.get(network);
      if (n.driver === 'none' || n.driver === 'host') throw new InvalidArgumentError(`container cannot be connected to network ${n.name} in its network mode`);
      await this.d.plumbing.join(s, n, config, this.nextIf(s), !s.endpoints.some((e) => e.gateway), options);
      return this.result(s);
    });
  }

  disconnect(containerId: string, network: string, options: CallOptions = {}): Promise<AttachResult> {
    return this.queue.run(containerId, async () => {
      const s = this.running(containerId);
      const n = this.d.service.get(network);
      const ep = s.endpoints.find((e) => e.networkId === n.id);
      if (!ep) throw new InvalidArgumentError(`container ${s.name} is not connected to network ${n.name}`);
      if (this.d.plumbing.portEndpoint(s)?.ep === ep) await this.d.plumbing.unpublish(s, options);
      await this.d.plumbing.leave(s, ep, options);
      return this.result(s);
    });
  }

  /** The container's files and settings, from its sandbox. */
  private async result(s: SandboxRecord): Promise<AttachResult> {
    const hostNetwork = s.networkMode === 'host';
    const [hostResolv, hostHosts] = await Promise.all([readFile('/etc/resolv.conf', 'utf8').catch(() => ''), hostNetwork ? readFile('/etc/hosts', 'utf8').catch(() => '') : '']);
    const r = s.request;
    const userNet = s.endpoints.find((e) => {
      const n = this.d.store.networks.get(e.networkId);
      return n && !n.predefined && e.gateway && this.d.service.driver(n.driver).capabilities.gatewayOnHost;
    });
    const bridge = [...this.d.store.networks.values()].find((n) => n.predefined && n.name === 'bridge');
    const onDefault = s.endpoints.some((e) => e.networkId === bridge?.id);
    const linkHosts = onDefault ? (r.links ?? []).flatMap((l) => {
      const [target, alias] = parseLink(l);
      const t = [...this.d.store.sandboxes.values()].find((o) => o.name === target);
      const ip = t?.endpoints.find((e) => e.networkId === bridge!.id)?.address.split('/')[0];
      return ip ? [{ ip, names: [...new Set([alias, target, t!.hostname])] }] : [];
    }) : [];
    const input = {
      hostNetwork, hostname: s.hostname, domainname: r.domainname, extraHosts: r.extraHosts ?? [], linkHosts,
      addresses: s.endpoints.map((e) => e.address.split('/')[0]!).filter(Boolean).slice(0, 1),
      hostGateway: bridge?.ipv4[0]?.gateway, embeddedDns: userNet?.gateway || undefined,
      dns: r.dns?.length ? r.dns : this.d.config.get<string[]>('dns') ?? [],
      dnsSearch: r.dnsSearch?.length ? r.dnsSearch : this.d.config.get<string[]>('dns-search') ?? [],
      dnsOptions: r.dnsOptions?.length ? r.dnsOptions : this.d.config.get<string[]>('dns-opts') ?? [],
      hostResolv, hostHosts,
    };
    return {
      netnsPath: s.netnsPath, networkSettings: networkSettingsView(s),
      hosts: hostsFile(input), resolvConf: resolvConfFile(input), hostname: hostNetwork && !r.hostname ? os.hostname() : s.hostname,
    };
  }
}

/** Thrown where the container service has not registered its port yet. */
export const noContainerPort = (): NotSupportedError => new NotSupportedError('network connect/disconnect: the container service does not support it in this build');
