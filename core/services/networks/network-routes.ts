/**
 * Docker's network routes: create, list, inspect, remove, prune, connect, disconnect. Connect and
 * disconnect go through the container service's port (it owns the container's configuration).
 */
import { InvalidArgumentError, NotFoundError, queryFilters, type HttpRouter } from '@keel/sdk';
import { noContainerPort, type NetworkBackendImpl } from './network-backend.js';
import type { NetworkCreateBody, NetworksService } from './network-service.js';
import type { NetworkStore } from './network-store.js';
import type { EndpointConfigInput } from './network-types.js';
import { networkView } from './network-views.js';

function objectBody<T>(body: unknown): T {
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) throw new InvalidArgumentError('request body must be a JSON object');
  return (body ?? {}) as T;
}

/** Registers the routes. */
export function registerNetworkRoutes(router: HttpRouter, service: NetworksService, backend: NetworkBackendImpl, store: NetworkStore): void {
  router.route({
    method: 'POST', path: '/networks/create',
    handler: async (req, reply) => {
      const rec = await service.create(objectBody<NetworkCreateBody>(req.body), false, { signal: req.signal });
      reply.status(201).json({ Id: rec.id, Warning: '' });
    },
  });
  router.route({ method: 'GET', path: '/networks', handler: (req) => service.list(queryFilters(req)).map((n) => networkView(n, store, false)) });
  router.route({ method: 'GET', path: '/networks/:id', handler: (req) => networkView(service.get(req.params.id!), store, true) });
  router.route({
    method: 'DELETE', path: '/networks/:id',
    handler: async (req, reply) => {
      await service.remove(req.params.id!, { signal: req.signal });
      reply.status(204).empty();
    },
  });
  router.route({
    method: 'POST', path: '/networks/prune',
    handler: async (req) => {
      const deleted = await service.prune(queryFilters(req, ['until', 'label', 'label!']));
      return { NetworksDeleted: deleted.length ? deleted : null };
    },
  });
  for (const action of ['connect', 'disconnect'] as const) {
    router.route({
      method: 'POST', path: `/networks/:id/${action}`,
      handler: async (req, reply) => {
        const body = objectBody<{ Container?: string; EndpointConfig?: EndpointConfigInput | null; Force?: boolean }>(req.body);
        const n = service.get(req.params.id!);
        const port = backend.containers;
        if (!port) throw noContainerPort();
        if (!body.Container) throw new InvalidArgumentError('Container is required');
        const c = await port.lookup(body.Container);
        if (!c) throw new NotFoundError(`No such container: ${body.Container}`);
        const ref = { id: n.id, name: n.name };
        if (action === 'connect') await port.connect(c.id, ref, body.EndpointConfig ?? {}, { signal: req.signal });
        else await port.disconnect(c.id, ref, !!body.Force, { signal: req.signal });
        reply.status(200).text('');
      },
    });
  }
}
