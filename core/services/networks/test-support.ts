/**
 * Test helpers for the network service: an engine with the real drivers (the bridge one writing
 * into per-run iptables chains, no default bridge so a keeld on the host keeps its `keel0`),
 * links named `kt…`, a fake container port, and host snapshots for leak checks.
 */
import { execFileSync } from 'node:child_process';
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { detectIptables } from '@keel/sdk/netutil';
import { startTestEngine, type TestEngine } from '@keel/sdk/testkit';
import { defaultIpamPlugin } from '../../../plugins/ipam/default/index.js';
import { BridgeDriver } from '../../../plugins/network/bridge/bridge-driver.js';
import { hostNetworkPlugin } from '../../../plugins/network/host/index.js';
import { MacvlanDriver } from '../../../plugins/network/macvlan/macvlan-driver.js';
import { noneNetworkPlugin } from '../../../plugins/network/none/index.js';
import { networksServicePlugin } from './index.js';
import { networkBackendRef, type ContainerNetworkPort, type ContainerRef, type NetworkBackend } from './network-types.js';

/** Chain prefix of this test process. */
export const chainPrefix = `KT${process.pid}`;

/** Host state that tests must leave as they found it. */
export function hostSnapshot(): { links: string[]; netns: string[]; rules: string[] } {
  // A keeld on the host (keel0, kl?-…) may come and go meanwhile: its links are not ours to check.
  const links = (JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string }>).map((l) => l.ifname).filter((n) => !/^(keel0|kl[a-z]-)/.test(n)).sort();
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  const rules = execFileSync('iptables-save', [], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(chainPrefix)).sort();
  return { links, netns, rules };
}

/** A container port over a plain map the test fills. */
export class FakeContainers implements ContainerNetworkPort {
  readonly all = new Map<string, ContainerRef>();
  readonly calls: string[] = [];
  constructor(private readonly backend: () => NetworkBackend) {}
  async lookup(ref: string) {
    return this.all.get(ref) ?? [...this.all.values()].find((c) => c.name === ref || c.id.startsWith(ref));
  }
  async list() {
    return [...this.all.values()];
  }
  async connect(id: string, network: { id: string }, config: object) {
    this.calls.push(`connect ${id} ${network.id}`);
    if (this.all.get(id)?.running) await this.backend().connect(id, network.id, config);
  }
  async disconnect(id: string, network: { id: string }) {
    this.calls.push(`disconnect ${id} ${network.id}`);
    if (this.all.get(id)?.running) await this.backend().disconnect(id, network.id);
  }
}

/** Starts core.networks with real drivers; `config` is the daemon configuration. */
export async function startNetworkEngine(config: Record<string, unknown> = {}): Promise<{ engine: TestEngine; backend: NetworkBackend; containers: FakeContainers }> {
  const iptables = await detectIptables();
  const bridgePlugin = definePlugin({
    id: 'network.bridge', sdk: '^1.0.0', provides: drivers.network, deps: { log: coreServices.logger },
    init: ({ log }) => new BridgeDriver({ iptables, mtu: 1500, ipForward: false, icc: true, masquerade: true, chainPrefix, linkPrefix: 'kt', log }),
  });
  const macvlanPlugin = definePlugin({ id: 'network.macvlan', sdk: '^1.0.0', provides: drivers.network, init: () => new MacvlanDriver(undefined, 'kt') });
  const engine = await startTestEngine({
    plugins: [defaultIpamPlugin, bridgePlugin, hostNetworkPlugin, noneNetworkPlugin, macvlanPlugin, networksServicePlugin],
    config: { bridge: 'none', ...config },
  });
  const backend = engine.get(networkBackendRef);
  const containers = new FakeContainers(() => backend);
  backend.registerContainers(containers);
  return { engine, backend, containers };
}
