/**
 * Docker's image routes. Names carry `/` and `:` unescaped, so per-image paths are greedy
 * (`/images/*`) and the operation is the known suffix (`/json`, `/history`, `/get`, `/tag`,
 * `/push`); the fixed paths (`/images/json`, `/images/load`, …) are registered first and win
 * (the server matches static paths before wildcards; images-routes.test.ts checks it).
 */
import { Readable } from 'node:stream';
import {
  InvalidArgumentError, NotFoundError, NotSupportedError, queryBool, queryFilters, queryString,
  type ApiRequest, type HttpRouter,
} from '@keel/sdk';
import type { BlobStore } from './blob-store.js';
import { LIST_FILTERS, PRUNE_FILTERS, listFilter } from './image-filters.js';
import { importImage, parsePlatform } from './image-import.js';
import { loadImages, type LoadDeps } from './image-load.js';
import { prepareSave, saveImages, selectForSave } from './image-save.js';
import { createdSeconds, history, inspect, layerUsers, sharedSizeOf, summary, type ViewSources } from './image-views.js';
import type { ImagesService } from './images-service.js';
import { sendJsonMessages } from './json-stream.js';
import { tagReference } from './reference.js';
import { handlePull, handlePush, registerAuthRoute, type RegistryRouteDeps } from './registry/registry-routes.js';

/** What the routes need besides the service. */
export interface ImagesRouteDeps {
  readonly service: ImagesService;
  readonly blobs: BlobStore;
  readonly views: ViewSources;
  readonly load: Omit<LoadDeps, 'exclusive'>;
  /** Pull, push and login; without it those answer 501. */
  readonly registry?: RegistryRouteDeps;
}

function all(req: ApiRequest, name: string): string[] {
  const v = req.query[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function suffixed(tail: string, suffixes: readonly string[]): { name: string; op: string } {
  for (const s of suffixes) if (tail.endsWith(`/${s}`)) return { name: tail.slice(0, -(s.length + 1)), op: s };
  return { name: tail, op: '' };
}

const body = (req: ApiRequest) => req.bodyStream ?? Readable.from([]);

/** Registers the image routes. */
export function registerImageRoutes(router: HttpRouter, d: ImagesRouteDeps): void {
  const { service, views } = d;
  const { images } = views;

  router.route({ method: 'GET', path: '/images/json', handler: (req) => {
    const accept = listFilter(queryFilters(req, LIST_FILTERS), (ref) => createdSeconds(images.resolve(ref)));
    const list = images.list();
    const users = queryBool(req, 'shared-size') ? layerUsers(list) : undefined;
    const rows = [];
    for (const image of list) {
      const names = accept({ refs: images.refsOf(image.id), labels: image.config.config?.Labels ?? {}, created: createdSeconds(image) });
      if (names) rows.push(summary(views, image, req.apiVersion, names, users ? sharedSizeOf(image, users, views.layers) : -1));
    }
    return rows.sort((a, b) => (b.Created as number) - (a.Created as number));
  } });

  router.route({ method: 'POST', path: '/images/load', rawBody: true, handler: async (req, reply) => {
    const load: LoadDeps = { ...d.load, exclusive: (make) => service.exclusiveStream(make) };
    await sendJsonMessages(reply, loadImages(body(req), load, queryBool(req, 'quiet', true)));
  } });

  const save = async (names: readonly string[]) => {
    const items = selectForSave(names, images);
    const plan = await service.exclusive(() => prepareSave(items, d.blobs));
    for (const { image } of items) service.publish('save', image.id);
    return saveImages(plan);
  };

  router.route({ method: 'GET', path: '/images/get', handler: async (req, reply) => {
    await reply.stream(await save(all(req, 'names')), 'application/x-tar');
  } });

  router.route({ method: 'POST', path: '/images/create', rawBody: true, handler: async (req, reply) => {
    if (queryString(req, 'fromImage')) {
      if (!d.registry) throw new NotSupportedError('pulling images from a registry is not supported by this keel build; load it with `docker load` instead');
      return handlePull(req, reply, d.registry);
    }
    const from = queryString(req, 'fromSrc');
    if (from !== '-') throw new InvalidArgumentError(from ? `importing from ${from} is not supported: pipe the archive with "docker import - …" or pass a file` : 'fromSrc or fromImage is required');
    const repo = queryString(req, 'repo');
    const id = await importImage(body(req), {
      ...(repo ? { ref: tagReference(repo, queryString(req, 'tag')) } : {}),
      message: queryString(req, 'message'),
      changes: all(req, 'changes'),
      platform: parsePlatform(queryString(req, 'platform'), d.load.platform),
      maxBytes: d.load.maxBytes,
    }, { images, layers: views.layers, blobs: d.blobs, events: service.d.events, exclusive: (fn) => service.exclusive(fn) });
    await sendJsonMessages(reply, [{ status: id }]);
  } });

  router.route({ method: 'POST', path: '/images/prune', handler: (req) => service.prune(queryFilters(req, PRUNE_FILTERS)) });

  router.route({ method: 'GET', path: '/images/*', handler: async (req, reply) => {
    const { name, op } = suffixed(req.params['*'] ?? '', ['json', 'history', 'get']);
    if (op === 'json') return inspect(views, images.resolve(name), req.apiVersion);
    if (op === 'history') return history(views, images.resolve(name));
    if (op === 'get') return reply.stream(await save([name]), 'application/x-tar');
    throw new NotFoundError('page not found');
  } });

  router.route({ method: 'POST', path: '/images/*', handler: async (req, reply) => {
    const { name, op } = suffixed(req.params['*'] ?? '', ['tag', 'push']);
    if (op === 'tag') {
      await service.tag(name, queryString(req, 'repo') ?? '', queryString(req, 'tag') || undefined);
      return void reply.status(201).empty();
    }
    if (op === 'push') {
      if (d.registry) return handlePush(req, reply, name, d.registry);
      images.resolve(queryString(req, 'tag') ? `${name}:${queryString(req, 'tag')}` : name);
      throw new NotSupportedError('pushing images to a registry is not supported by this keel build');
    }
    throw new NotFoundError('page not found');
  } });

  if (d.registry) registerAuthRoute(router, d.registry);

  router.route({ method: 'DELETE', path: '/images/*', handler: (req) => service.remove(req.params['*'] ?? '', queryBool(req, 'force')) });
}
