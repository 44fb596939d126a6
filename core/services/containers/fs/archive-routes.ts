/**
 * `docker cp`: `HEAD`/`GET`/`PUT /containers/{id}/archive`. The root filesystem is mounted for
 * the request only (reference counted: a running container's mount is shared) and every path is
 * resolved inside it as the container sees it, so no request reaches a host file.
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError, queryBool, queryString, type ApiReply, type ApiRequest, type HttpRouter } from '@keel/sdk';
import { cleanEntryPath } from '@keel/sdk/tar';
import type { ContainerAccess } from '../container-access.js';
import type { ContainerRecord } from '../container-types.js';
import { resolveUser } from '../spec/user.js';
import { archiveResolved, extractInto } from './archive-tar.js';
import { encodePathStat, followInRoot, pathStat, resolveContainerPath } from './path-stat.js';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

/** Runs `fn` with the container's root filesystem mounted; always unmounts. */
export async function withRootfs<T>(access: ContainerAccess, c: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
  const root = await access.mountRootfs(c);
  try {
    return await fn(root);
  } finally {
    await access.unmountRootfs(c);
  }
}

/**
 * Where container path `p` really lives when it is inside a volume or bind mount: that mount's
 * host directory and the path below it (the rootfs only holds the empty mount point). The mount
 * point itself counts when the path names its content (`/data/`, `/data/.`) or, for `put`, always
 * (an extraction point is a directory). Undefined: the path is in the root filesystem.
 */
export function mountedPath(c: ContainerRecord, p: string, put: boolean): { root: string; path: string; readOnly: boolean } | undefined {
  const abs = `/${cleanEntryPath(p, true)}`;
  const dotted = p.endsWith('/.');
  const content = dotted || p.endsWith('/');
  const mounts = (c.keel.mounts ?? []).filter((m) => (m.type === 'bind' && m.source) || (m.type === 'volume' && m.mountpoint)).sort((a, b) => b.destination.length - a.destination.length);
  for (const m of mounts) {
    const inside = abs.startsWith(`${m.destination}/`);
    if (!inside && !(abs === m.destination && (content || put))) continue;
    const rest = inside ? abs.slice(m.destination.length) : '/';
    const suffix = dotted ? (rest === '/' ? '.' : '/.') : content && rest !== '/' ? '/' : '';
    return { root: m.type === 'bind' ? m.source : m.mountpoint!, path: `${rest}${suffix}`, readOnly: m.readOnly };
  }
  return undefined;
}

/** Runs `fn` on the filesystem that holds `p`: a mount's host directory, else the container's root filesystem. */
async function withPath<T>(access: ContainerAccess, c: ContainerRecord, p: string, put: boolean, fn: (root: string, path: string, readOnly: boolean) => Promise<T>): Promise<T> {
  const m = mountedPath(c, p, put);
  if (m) return fn(m.root, m.path, m.readOnly);
  return withRootfs(access, c, (root) => fn(root, p, !!c.HostConfig.ReadonlyRootfs));
}

function pathParam(req: ApiRequest): string {
  const p = queryString(req, 'path');
  if (!p) throw new InvalidArgumentError('Path cannot be empty');
  return p;
}

const displayName = (c: ContainerRecord) => c.Name.replace(/^\//, '');

/** A small file of the container (`/etc/passwd`), read without following a final symlink; '' when absent. */
async function readContainerFile(root: string, p: string): Promise<string> {
  const found = await followInRoot(root, p);
  if (!found.exists) return '';
  const fh = await open(found.host, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
  if (!fh) return '';
  try {
    return (await fh.stat()).isFile() ? await fh.readFile('utf8') : '';
  } finally {
    await fh.close();
  }
}

/** `copyUIDGID`: the container's configured user, looked up in its own passwd/group files. */
async function containerOwner(root: string, c: ContainerRecord): Promise<{ uid: number; gid: number }> {
  const { uid, gid } = resolveUser(c.Config.User, await readContainerFile(root, '/etc/passwd'), await readContainerFile(root, '/etc/group'));
  return { uid, gid };
}

/** The extraction directory (followed to the end, as the CLI already resolved it): 404 when missing, 400 when not a directory. */
async function destinationDir(root: string, p: string, name: string): Promise<string> {
  const dest = await followInRoot(root, p);
  const st = dest.exists ? await lstat(dest.host).catch(() => undefined) : undefined;
  if (!st) throw new NotFoundError(`Could not find the file ${p} in container ${name}`);
  if (!st.isDirectory()) throw new InvalidArgumentError('extraction point is not a directory');
  return dest.rel;
}

async function statRoute(access: ContainerAccess, req: ApiRequest, reply: ApiReply): Promise<void> {
  const c = access.get(req.params.id!);
  const p = pathParam(req);
  const stat = await withPath(access, c, p, false, async (root, inRoot) => pathStat(root, await resolveContainerPath(root, inRoot, displayName(c))));
  reply.status(200).header(STAT_HEADER, encodePathStat(stat)).text('');
}

async function getRoute(access: ContainerAccess, req: ApiRequest, reply: ApiReply): Promise<void> {
  const c = access.get(req.params.id!);
  const p = pathParam(req);
  await withPath(access, c, p, false, async (root, inRoot) => {
    const resolved = await resolveContainerPath(root, inRoot, displayName(c));
    const stat = await pathStat(root, resolved);
    const tar = archiveResolved(resolved);
    access.publish(c, 'archive-path');
    reply.status(200).header(STAT_HEADER, encodePathStat(stat));
    await reply.stream(tar, 'application/x-tar');
  });
}

async function putRoute(access: ContainerAccess, req: ApiRequest, reply: ApiReply): Promise<void> {
  const c = access.get(req.params.id!);
  const p = pathParam(req);
  const body = req.bodyStream;
  if (!body) throw new InvalidArgumentError('a tar archive body is required');
  try {
    await withPath(access, c, p, true, async (root, inRoot, readOnly) => {
      const dest = await destinationDir(root, inRoot, displayName(c));
      if (readOnly) throw new InvalidArgumentError(inRoot === p ? 'container rootfs is marked read-only' : 'mounted volume is marked read-only');
      const owner = queryBool(req, 'copyUIDGID') ? await withRootfs(access, c, (rootfs) => containerOwner(rootfs, c)) : { uid: 0, gid: 0 };
      const source = (body as Readable).iterator({ destroyOnReturn: false }); // the request must survive a refused archive to carry the 400
      await extractInto(root, dest, source, { noOverwriteDirNonDir: queryBool(req, 'noOverwriteDirNonDir'), owner });
    });
  } catch (err) {
    body.resume(); // drop what the client is still sending
    throw err;
  }
  access.publish(c, 'extract-to-dir');
  reply.status(200).text('');
}

/** Registers the archive routes (HEAD and GET share one path: the GET route must not hide the HEAD one). */
export function registerArchiveRoutes(router: HttpRouter, access: ContainerAccess): void {
  router.route({
    method: ['HEAD', 'GET'],
    path: '/containers/:id/archive',
    handler: (req, reply) => (req.method === 'HEAD' ? statRoute(access, req, reply) : getRoute(access, req, reply)),
  });
  router.route({ method: 'PUT', path: '/containers/:id/archive', rawBody: true, handler: (req, reply) => putRoute(access, req, reply) });
}
