/**
 * Docker's container lifecycle routes: create, list, inspect, start, stop, restart, kill,
 * pause/unpause, rename, wait, resize, remove and prune.
 */
import { InvalidArgumentError, queryBool, queryFilters, queryInt, queryString, type ApiRequest, type HttpRouter } from '@keel/sdk';
import type { ContainerService } from '../container-service.js';
import { LIST_FILTERS } from '../views/list-view.js';
import { NOT_MODIFIED } from '../lifecycle/runner.js';

/** `?h=&w=` of a resize request; 400 for a negative size. */
export function terminalSize(req: Pick<ApiRequest, 'query'>): { h: number; w: number } {
  const h = queryInt(req, 'h', 0)!;
  const w = queryInt(req, 'w', 0)!;
  if (h < 0 || w < 0) throw new InvalidArgumentError('invalid terminal size');
  return { h, w };
}

/** Answers 204 once `op` is done. */
async function done(op: Promise<unknown>, reply: { empty(): void }): Promise<void> {
  await op;
  reply.empty();
}

const WAIT_CONDITIONS = new Set(['', 'not-running', 'next-exit', 'removed']);

/** Registers the lifecycle routes. */
export function registerContainerRoutes(router: HttpRouter, svc: ContainerService): void {
  const id = (p: Readonly<Record<string, string>>) => p.id!;

  router.route({
    method: 'POST', path: '/containers/create',
    handler: async (req, reply) => {
      const out = await svc.create(req.body as never, queryString(req, 'name'));
      reply.status(201).json({ Id: out.record.Id, Warnings: out.warnings });
    },
  });
  router.route({
    method: 'GET', path: '/containers/json',
    handler: (req) => svc.listView({ all: queryBool(req, 'all'), limit: queryInt(req, 'limit', -1)!, size: queryBool(req, 'size'), filters: queryFilters(req, [...LIST_FILTERS]) }),
  });
  router.route({ method: 'GET', path: '/containers/:id/json', handler: (req) => svc.inspect(id(req.params), queryBool(req, 'size')) });

  const notModified = (r: unknown, reply: { status(c: number): { empty(): void }; empty(): void }) => (r === NOT_MODIFIED ? reply.status(304).empty() : reply.empty());
  router.route({ method: 'POST', path: '/containers/:id/start', handler: async (req, reply) => notModified(await svc.runner.start(id(req.params)), reply) });
  router.route({
    method: 'POST', path: '/containers/:id/stop',
    handler: async (req, reply) => notModified(await svc.runner.stop(id(req.params), { timeout: queryInt(req, 't'), signal: queryString(req, 'signal') || undefined }), reply),
  });
  router.route({
    method: 'POST', path: '/containers/:id/restart',
    handler: async (req, reply) => done(svc.runner.restart(id(req.params), { timeout: queryInt(req, 't'), signal: queryString(req, 'signal') || undefined }), reply),
  });
  router.route({ method: 'POST', path: '/containers/:id/kill', handler: (req, reply) => done(svc.runner.kill(id(req.params), queryString(req, 'signal') || 'SIGKILL'), reply) });
  router.route({ method: 'POST', path: '/containers/:id/pause', handler: (req, reply) => done(svc.runner.pause(id(req.params), true), reply) });
  router.route({ method: 'POST', path: '/containers/:id/unpause', handler: (req, reply) => done(svc.runner.pause(id(req.params), false), reply) });
  router.route({
    method: 'POST', path: '/containers/:id/rename',
    handler: (req, reply) => done(svc.rename(id(req.params), queryString(req, 'name') ?? ''), reply),
  });
  router.route({
    method: 'POST', path: '/containers/:id/resize',
    handler: async (req, reply) => {
      const { h, w } = terminalSize(req);
      const c = svc.store.get(id(req.params));
      if (!c.State.Running) throw new InvalidArgumentError(`Container ${c.Id} is not running`);
      await svc.runner.resize(c, h, w);
      svc.publish(c, 'resize', { height: String(h), width: String(w) });
      reply.status(200).empty();
    },
  });
  router.route({
    method: 'POST', path: '/containers/:id/wait',
    handler: async (req, reply) => {
      const condition = queryString(req, 'condition') ?? '';
      if (!WAIT_CONDITIONS.has(condition)) throw new InvalidArgumentError(`invalid condition: "${condition}"`);
      const result = svc.wait(id(req.params), (condition || 'not-running') as 'not-running' | 'next-exit' | 'removed', req.signal);
      // Headers go out at once: `docker run` starts the container only after they arrive.
      await reply.ndjson((async function* () {
        yield await result.catch((err: Error) => ({ StatusCode: -1, Error: { Message: err.message } }));
      })());
    },
  });
  router.route({
    method: 'DELETE', path: '/containers/:id',
    handler: async (req, reply) => {
      if (queryBool(req, 'link')) throw new InvalidArgumentError('links are not supported');
      await done(svc.remover.remove(id(req.params), { force: queryBool(req, 'force'), volumes: queryBool(req, 'v') }), reply);
    },
  });
  router.route({ method: 'POST', path: '/containers/prune', handler: (req) => svc.prune(queryFilters(req, ['until', 'label', 'label!'])) });
}
