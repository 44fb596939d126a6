/**
 * Docker system routes: `/version`, `/info`, `/events`, and keel's `/_engine/plugins`.
 */
import { EVENT_FILTER_KEYS, queryFilters, queryTimestamp, type EngineInfo, type EventBus, type EventFilter, type HttpRouter } from '@keel/sdk';
import type { SystemService } from './system-service.js';


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
      const filter = queryFilters(req, EVENT_FILTER_KEYS) as EventFilter;
      const since = queryTimestamp(req, 'since');
      const until = queryTimestamp(req, 'until');
      const subscription = events.subscribe({ since, until, filter, signal: req.signal });
      await reply.ndjson(subscription);
    },
  });
}
