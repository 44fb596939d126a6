/**
 * Docker's image routes. Names carry `/` and `:` unescaped, so image paths are greedy and the
 * operation is the known suffix (`/json`, `/history`, `/get`, `/tag`, `/push`).
 */
import { Readable } from 'node:stream';
import {
  InvalidArgumentError, NotFoundError, NotSupportedError, queryBool, queryFilters, queryString,
  type ApiRequest, type HttpRouter,
} from '@keel/sdk';
import { IMAGE_FILTERS, imagePredicate } from './image-filters.js';
import { importImage } from './image-import.js';
import { loadImages, type LoadDeps } from './image-load.js';
import { saveImages, type SaveItem } from './image-save.js';
import type { ImagesService } from './images-service.js';
import { sendJsonMessages } from './json-stream.js';
import { parseReference, familiarString } from './reference.js';
import type { BlobStore } from './blob-store.js';

/** What the routes need besides the service. */
export interface ImagesRouteDeps {
  readonly service: ImagesService;
  readonly blobs: BlobStore;
  readonly load: LoadDeps;
  readonly architecture: string;
}

function all(req: ApiRequest, name: string): string[] {
  const v = req.query[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function suffixed(tail: string, suffixes: readonly string[]): { name: string; op: string } {
  for (const s of suffixes) if (tail.endsWith(`/${s}`)) return { name: tail.slice(0, -(s.length + 1)), op: s };
  return { name: tail, op: '' };
}

/** Registers the image routes. */
export function registerImageRoutes(router: HttpRouter, d: ImagesRouteDeps): void {
  const { service } = d;
  const images = service.d.images;

  router.route({ method: 'GET', path: '/images/json', handler: async (req) => {
    const pred = await imagePredicate(queryFilters(req, IMAGE_FILTERS), async (r) => Date.parse((await images.resolve(r)).config.created ?? '') / 1000);
    const out = [];
    for (const image of await images.list()) {
      const s = await service.summary(image);
      if (pred({ names: s.RepoTags as string[], labels: (s.Labels as Record<string, string>) ?? {}, created: s.Created as number })) out.push(s);
    }
    return out.sort((a, b) => (b.Created as number) - (a.Created as number));
  } });

  router.route({ method: 'POST', path: '/images/load', rawBody: true, handler: async (req, reply) => {
    const quiet = queryBool(req, 'quiet');
    const body = req.bodyStream ?? Readable.from([]);
    await sendJsonMessages(reply, service.exclusiveStream(() => loadImages(body, d.load, quiet)));
  } });

  const save = async (names: string[]) => {
    if (!names.length) throw new InvalidArgumentError('no image names given');
    const items: SaveItem[] = [];
    for (const n of names) {
      const image = await images.resolve(n);
      const tags = await images.namesOf(image.id);
      let chosen = tags;
      try {
        const ref = parseReference(n, undefined);
        if (!/^[a-f0-9]+$/.test(n)) chosen = ref.tag || ref.digest ? [familiarString(parseReference(n))] : tags.filter((t) => t.startsWith(`${familiarString(ref)}:`));
      } catch { /* an ID: save every tag */ }
      const existing = items.find((i) => i.image.id === image.id);
      if (existing) existing.names.push(...chosen.filter((c) => !existing.names.includes(c)));
      else items.push({ image, names: [...chosen] });
    }
    return items;
  };

  router.route({ method: 'GET', path: '/images/get', handler: async (req, reply) => {
    await reply.stream(saveImages(await save(all(req, 'names')), d.blobs), 'application/x-tar');
  } });

  router.route({ method: 'POST', path: '/images/create', rawBody: true, handler: async (req, reply) => {
    const from = queryString(req, 'fromSrc');
    if (queryString(req, 'fromImage') !== undefined) throw new NotSupportedError('pulling images from a registry is not supported by this keel build yet; load it with `docker load` instead');
    if (from !== '-') throw new InvalidArgumentError(from ? `importing from ${from} is not supported: pipe the archive with "docker import - …" or pass a file` : 'fromSrc or fromImage is required');
    const id = await service.exclusive(() => importImage(req.bodyStream ?? Readable.from([]), {
      repo: queryString(req, 'repo') || undefined, tag: queryString(req, 'tag') || undefined, message: queryString(req, 'message'),
      changes: all(req, 'changes'), architecture: d.architecture,
    }, { images, layers: service.d.layers, events: service.d.events }));
    await sendJsonMessages(reply, (async function* () { yield { status: id }; })());
  } });

  router.route({ method: 'POST', path: '/images/prune', handler: async (req) => {
    const f = queryFilters(req, ['dangling', 'label', 'until']);
    const allImages = f.dangling?.[0] === 'false' || f.dangling?.[0] === '0';
    const pred = await imagePredicate({ ...f, dangling: [] }, async () => 0);
    return service.prune(allImages, async (i, names) => !pred({ names, labels: i.config.config?.Labels ?? {}, created: Date.parse(i.config.created ?? '') / 1000 }));
  } });

  router.route({ method: 'GET', path: '/images/*', handler: async (req, reply) => {
    const { name, op } = suffixed(req.params['*'] ?? '', ['json', 'history', 'get']);
    if (op === 'json') return service.inspect(name);
    if (op === 'history') return service.history(name);
    if (op === 'get') return reply.stream(saveImages(await save([name]), d.blobs), 'application/x-tar');
    throw new NotFoundError('page not found');
  } });

  router.route({ method: 'POST', path: '/images/*', handler: async (req, reply) => {
    const { name, op } = suffixed(req.params['*'] ?? '', ['tag', 'push']);
    if (op === 'tag') {
      const repo = queryString(req, 'repo');
      if (!repo) throw new InvalidArgumentError('repository name must have at least one component');
      await service.tag(name, repo, queryString(req, 'tag') || undefined);
      return void reply.status(201).empty();
    }
    if (op === 'push') throw new NotSupportedError('pushing images to a registry is not supported by this keel build yet');
    throw new NotFoundError('page not found');
  } });

  router.route({ method: 'DELETE', path: '/images/*', handler: (req) => service.remove(req.params['*'] ?? '', queryBool(req, 'force')) });
}
