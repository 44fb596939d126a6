/**
 * What the embedded DNS answers: on one network, a container is found by its name, its short id
 * and its `--network-alias`es; a container's own `--link` aliases resolve for it alone. Queries
 * for other names go to the asking container's `--dns` servers, else the daemon's `dns`, else the
 * host's resolv.conf servers (loopback ones work: the server runs in the host namespace).
 */
import { readFile } from 'node:fs/promises';
import type { ConfigService } from '@keel/sdk';
import { hostUpstreams } from './container-files.js';
import type { DnsResolver } from './dns-server.js';
import type { NetworkStore } from './network-store.js';

/** The resolver over the store. */
export function createDnsResolver(store: NetworkStore, config: ConfigService): DnsResolver {
  let hostCache: { at: number; servers: string[] } | undefined;
  const source = (networkId: string, ip: string) => store.endpointsOn(networkId).find((e) => e.endpoint.address.split('/')[0] === ip);
  return {
    lookup(networkId, sourceIp, name) {
      const eps = store.endpointsOn(networkId);
      const from = source(networkId, sourceIp);
      const linked = from && Object.entries(from.endpoint.links).find(([alias]) => alias.toLowerCase() === name)?.[1];
      const wanted = (linked ?? name).toLowerCase();
      const hits = eps.filter(({ sandbox, endpoint }) => [sandbox.name, sandbox.containerId.slice(0, 12), ...endpoint.aliases]
        .some((n) => n.toLowerCase() === wanted));
      if (!hits.length) return undefined;
      return {
        v4: hits.map((h) => h.endpoint.address.split('/')[0]!).filter(Boolean),
        v6: hits.map((h) => h.endpoint.addressV6.split('/')[0]!).filter(Boolean),
      };
    },
    async upstreams(networkId, sourceIp) {
      const own = source(networkId, sourceIp)?.sandbox.request.dns;
      if (own?.length) return [...own];
      const daemon = config.get<string[]>('dns');
      if (daemon?.length) return daemon;
      if (!hostCache || Date.now() - hostCache.at > 5000) {
        hostCache = { at: Date.now(), servers: hostUpstreams(await readFile('/etc/resolv.conf', 'utf8').catch(() => '')) };
      }
      return hostCache.servers;
    },
    isInternal: (networkId) => !!store.networks.get(networkId)?.internal,
  };
}
