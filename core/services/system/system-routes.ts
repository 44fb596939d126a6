/**
 * Docker system routes: `/version`, `/info`, `/events`, and keel's `/_engine/plugins`.
 */
import { queryFilters, queryTimestamp, type EngineInfo, type EventBus, type EventFilter, type HttpRouter } from '@keel/sdk';
import type { SystemService } from './system-service.js';

/** The filter keys `GET /events` accepts (Docker's). */
const EVENT_FILTERS = ['type', 'event', 'image', 'label', 'scope', 'container', 'network', 'volume', 'plugin', 'daemon', 'node', 'service', 'secret', 'config'];

/** Registers the system routes. */
export function registerSystemRoutes(router: HttpRouter, system: SystemService, events: EventBus, engine: EngineInfo): void {
  router.route({ method: 'GET', path: '/version', handler: () => system.version() });
  router.route({ method: 'GET', path: '/info', handler: () => system.info() });
  router.route({ method: 'GET', path: '/system/df', handler: () => system.df() });
  router.route({ method: 'GET', path: '/_engine/plugins', handler: () => engine.plugins() });
  router.route({
    method: 'GET',
    path: '/events',
    handler: async (req, reply) => {
      const filter = queryFilters(req, EVENT_FILTERS) as EventFilter;
      const since = queryTimestamp(req, 'since');
      const until = queryTimestamp(req, 'until');
      const subscription = events.subscribe({ since, until, filter, signal: req.signal });
      await reply.ndjson(subscription);
    },
  });
}
