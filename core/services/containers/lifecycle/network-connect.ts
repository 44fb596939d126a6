/**
 * `docker network connect/disconnect` from the container side: the network is recorded in the
 * container's endpoints (so the next start attaches it) and, when the container runs, plumbed at
 * once through the network service; the container's /etc files are rewritten from its answer.
 */
import { ConflictError, InvalidArgumentError, NotFoundError } from '@keel/sdk';
import type { ContainerStore } from '../container-store.js';
import type { ContainerContext } from './context.js';
import type { AttachResult, ContainerNetworkPort, NetworkBackend } from '../../networks/index.js';
import type { EndpointInput } from './network-port.js';
import { writeNetworkFiles } from './spec-files.js';

/** The live operations the network service offers for running containers. */
type NetworkLiveOps = Pick<NetworkBackend, 'connect' | 'disconnect'>;

const ref = (store: ContainerStore, id: string) => {
  const c = store.find(id);
  return c && { id: c.Id, name: c.Name.slice(1), running: c.State.Running };
};

/** The container port the network service registers (`registerContainers`). */
export function containerNetworkPort(ctx: ContainerContext, live: NetworkLiveOps): ContainerNetworkPort {
  const sharesStack = (mode: string | undefined) => mode === 'host' || mode === 'none' || !!mode?.startsWith('container:');
  return {
    lookup: async (r: string) => ref(ctx.store, r),
    list: async () => ctx.store.list().map((c) => ({ id: c.Id, name: c.Name.slice(1), running: c.State.Running })),
    async connect(containerId: string, network: { readonly id: string; readonly name: string }, config: EndpointInput): Promise<void> {
      const c = ctx.store.get(containerId);
      if (sharesStack(c.HostConfig.NetworkMode)) throw new InvalidArgumentError(`container cannot be connected to network ${network.name}: it uses network mode "${c.HostConfig.NetworkMode}"`);
      if (c.keel.endpoints?.[network.name]) throw new ConflictError(`endpoint with name ${c.Name.slice(1)} already exists in network ${network.name}`);
      if (c.State.Running) await writeNetworkFiles(ctx, c, (await live.connect(c.Id, network.name, config ?? {})) as AttachResult);
      await ctx.store.update(c.Id, (r) => void (r.keel.endpoints = { ...(r.keel.endpoints ?? {}), [network.name]: config ?? {} }));
    },
    async disconnect(containerId: string, network: { readonly id: string; readonly name: string }): Promise<void> {
      const c = ctx.store.get(containerId);
      const known = c.keel.endpoints?.[network.name] !== undefined || (network.name === 'bridge' && ['default', 'bridge'].includes(c.HostConfig.NetworkMode ?? 'default'));
      if (!known) throw new NotFoundError(`container ${c.Id} is not connected to network ${network.name}`);
      if (c.State.Running) await writeNetworkFiles(ctx, c, await live.disconnect(c.Id, network.name));
      await ctx.store.update(c.Id, (r) => {
        const { [network.name]: _gone, ...rest } = r.keel.endpoints ?? {};
        r.keel.endpoints = rest;
        if (network.name === 'bridge' && ['default', 'bridge'].includes(r.HostConfig.NetworkMode ?? 'default')) r.HostConfig.NetworkMode = 'none';
      });
    },
  };
}
