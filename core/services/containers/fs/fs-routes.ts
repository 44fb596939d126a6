/**
 * Container filesystem routes: `docker cp` (archive), `docker diff` (changes), `docker export`
 * and `docker commit`. The container service calls {@link registerFsRoutes} once at init.
 */
import { ConflictError, InvalidArgumentError, queryBool, queryString, type ApiReply, type ApiRequest, type HttpRouter } from '@keel/sdk';
import { packDirectory } from '@keel/sdk/tar';
import type { ImageBackend } from '../../images/image-backend.js';
import type { ContainerAccess } from '../container-access.js';
import type { ContainerRecord } from '../container-types.js';
import { registerArchiveRoutes } from './archive-routes.js';

/** What the filesystem routes need besides the containers. */
export interface FsRouteDeps {
  /** The image store (`docker commit`). */
  readonly images: Pick<ImageBackend, 'commit'>;
}

/** `GET /containers/{id}/changes`: moby answers `null`, not `[]`, when nothing changed. */
async function changesRoute(access: ContainerAccess, req: ApiRequest): Promise<unknown> {
  const c = access.get(req.params.id!);
  const changes = await access.storage(c).changes(c.Id, { signal: req.signal });
  return changes.length ? changes.map((ch) => ({ Path: ch.path, Kind: ch.kind })) : null;
}

/** `GET /containers/{id}/export`: the whole root filesystem; the mount lives as long as the stream. */
async function exportRoute(access: ContainerAccess, req: ApiRequest, reply: ApiReply): Promise<void> {
  const c = access.get(req.params.id!);
  const root = await access.mountRootfs(c);
  try {
    const tar = packDirectory(root, { xattrs: false });
    access.publish(c, 'export');
    await reply.stream(tar, 'application/x-tar');
  } finally {
    await access.unmountRootfs(c);
  }
}

/** Every value of a repeated query parameter (`changes` comes once per `--change`). */
function queryList(req: ApiRequest, name: string): string[] {
  const v = req.query[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Pauses a running container for the duration of `fn` (moby's default, so the layer is consistent). */
async function maybePaused<T>(access: ContainerAccess, c: ContainerRecord, pause: boolean, fn: () => Promise<T>): Promise<T> {
  const runtime = access.runtime(c);
  const doPause = pause && c.State.Running && !c.State.Paused && runtime.capabilities.pause;
  if (doPause) await runtime.pause(c.Id);
  try {
    return await fn();
  } finally {
    if (doPause) await runtime.resume(c.Id);
  }
}

/** `POST /commit`: 201 `{"Id"}`, then the container's `commit` event. */
async function commitRoute(access: ContainerAccess, deps: FsRouteDeps, req: ApiRequest, reply: ApiReply): Promise<void> {
  const c = access.get(queryString(req, 'container') ?? '');
  if (c.State.Dead || c.State.Status === 'dead') throw new ConflictError(`You cannot commit container ${c.Id} which is Dead`);
  if (c.State.Status === 'removing') throw new ConflictError(`You cannot commit container ${c.Id} which is being removed`);
  const body = req.body;
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) throw new InvalidArgumentError('invalid JSON body: expected a container config object');
  const repo = queryString(req, 'repo') || undefined;
  const tag = queryString(req, 'tag') || undefined;
  const comment = queryString(req, 'comment') ?? '';
  const id = await maybePaused(access, c, queryBool(req, 'pause', true), async () => {
    const diff = await access.storage(c).diff(c.Id, { signal: req.signal });
    return deps.images.commit({
      imageId: c.Image, diff, containerId: c.Id, containerConfig: c.Config as unknown as Record<string, unknown>,
      config: (body ?? null) as Record<string, unknown> | null, changes: queryList(req, 'changes'),
      author: queryString(req, 'author') || undefined, comment: comment || undefined, repo, tag,
    });
  });
  access.publish(c, 'commit', { comment, imageID: id, imageRef: repo ? `${repo}:${tag ?? 'latest'}` : '' });
  reply.status(201).json({ Id: id });
}

/** Registers cp, diff, export and commit. */
export function registerFsRoutes(router: HttpRouter, access: ContainerAccess, deps: FsRouteDeps): void {
  registerArchiveRoutes(router, access);
  router.route({ method: 'GET', path: '/containers/:id/changes', handler: (req) => changesRoute(access, req) });
  router.route({ method: 'GET', path: '/containers/:id/export', handler: (req, reply) => exportRoute(access, req, reply) });
  router.route({ method: 'POST', path: '/commit', handler: (req, reply) => commitRoute(access, deps, req, reply) });
}
