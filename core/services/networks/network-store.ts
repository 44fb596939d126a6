/**
 * Networks and container sandboxes, in memory and in the plugin's state store. A record is
 * written before the host is changed for it, so startup reconciliation knows what may exist.
 */
import { AmbiguousRef } from './network-errors.js';
import type { NetworkRecord, SandboxRecord } from './network-types.js';
import type { StateStore } from '@keel/sdk';

/** The store. */
export class NetworkStore {
  readonly networks = new Map<string, NetworkRecord>();
  readonly sandboxes = new Map<string, SandboxRecord>();

  constructor(private readonly state: StateStore) {}

  /** Loads every record. */
  async open(): Promise<void> {
    for (const key of await this.state.list('networks/')) {
      const n = await this.state.get<NetworkRecord>(key);
      if (n) this.networks.set(n.id, n);
    }
    for (const key of await this.state.list('sandboxes/')) {
      const s = await this.state.get<SandboxRecord>(key);
      if (s) this.sandboxes.set(s.containerId, s);
    }
  }

  /** A network by full id, exact name, or unique id prefix (`default` is `bridge`), as moby resolves. */
  find(ref: string): NetworkRecord | undefined {
    const r = ref === 'default' ? 'bridge' : ref;
    const byId = this.networks.get(r);
    if (byId) return byId;
    const all = [...this.networks.values()];
    const byName = all.find((n) => n.name === r);
    if (byName) return byName;
    if (!/^[0-9a-f]+$/.test(r)) return undefined;
    const hits = all.filter((n) => n.id.startsWith(r));
    if (hits.length > 1) throw new AmbiguousRef(`network ${r} is ambiguous (${hits.length} matches found based on ID prefix)`);
    return hits[0];
  }

  /** Saves a network record (state first, then memory). */
  putNetwork(n: NetworkRecord): Promise<void> {
    return this.save(this.networks, 'networks', n.id, n);
  }

  deleteNetwork(id: string): Promise<void> {
    return this.save(this.networks, 'networks', id, undefined);
  }

  /** Saves a sandbox record (state first, then memory). */
  putSandbox(s: SandboxRecord): Promise<void> {
    return this.save(this.sandboxes, 'sandboxes', s.containerId, s);
  }

  deleteSandbox(containerId: string): Promise<void> {
    return this.save(this.sandboxes, 'sandboxes', containerId, undefined);
  }

  private async save<T>(map: Map<string, T>, kind: string, id: string, value: T | undefined): Promise<void> {
    if (value === undefined) {
      await this.state.delete(`${kind}/${id}`);
      map.delete(id);
    } else {
      await this.state.put(`${kind}/${id}`, value);
      map.set(id, value);
    }
  }

  /** Every (sandbox, endpoint) pair on a network. */
  endpointsOn(networkId: string) {
    return [...this.sandboxes.values()].flatMap((s) => s.endpoints.filter((e) => e.networkId === networkId).map((e) => ({ sandbox: s, endpoint: e })));
  }
}
