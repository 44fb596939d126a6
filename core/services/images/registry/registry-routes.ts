/**
 * The registry side of Docker's image API: `POST /images/create?fromImage=` (pull),
 * `POST /images/{name}/push` and `POST /auth` (login). Pull and push answer with JSON progress
 * streams; anything that fails before the first line (unknown manifest, refused credentials,
 * unreachable registry) is a proper HTTP status, later failures travel in-band.
 */
import {
  EngineError, InvalidArgumentError, NotSupportedError, queryString,
  type ApiReply, type ApiRequest, type HttpRouter,
} from '@keel/sdk';
import { parsePlatform } from '../image-import.js';
import { sendJsonMessages } from '../json-stream.js';
import { parseReference, repositoryName, type ImageReference } from '../reference.js';
import { authFromObject, parseRegistryAuthHeader } from './auth-config.js';
import { pullImage, type PullDeps } from './image-pull.js';
import { pushImage, type PushDeps } from './image-push.js';
import { login } from './registry-login.js';
import { UNAUTHORIZED } from './registry-errors.js';

/** What the routes need. */
export interface RegistryRouteDeps {
  readonly pull: PullDeps;
  readonly push: PushDeps;
  /** The host platform (the default of `platform=`). */
  readonly platform: { os: string; architecture: string };
}

/** The reference `fromImage` and `tag` name (`tag` may be a digest, as the CLI sends digests). */
export function pullReference(fromImage: string, tag: string | undefined): ImageReference {
  const base = parseReference(fromImage, null);
  if (tag?.includes(':')) return parseReference(`${repositoryName(base)}@${tag}`, null);
  if (tag) return { domain: base.domain, path: base.path, tag };
  if (base.tag || base.digest) return base;
  throw new NotSupportedError('pulling every tag of a repository (docker pull -a) is not supported by keel: name a tag');
}

/** `POST /images/create?fromImage=…`. */
export async function handlePull(req: ApiRequest, reply: ApiReply, d: RegistryRouteDeps): Promise<void> {
  const ref = pullReference(queryString(req, 'fromImage') ?? '', queryString(req, 'tag') || undefined);
  const platform = parsePlatform(queryString(req, 'platform'), d.platform);
  const auth = parseRegistryAuthHeader(req.headers['x-registry-auth']);
  await sendJsonMessages(reply, pullImage({ ref, platform, auth, signal: req.signal }, d.pull));
}

/** `POST /images/{name}/push?tag=…`. */
export async function handlePush(req: ApiRequest, reply: ApiReply, name: string, d: RegistryRouteDeps): Promise<void> {
  const ref = parseReference(name, null);
  if (ref.digest) throw new InvalidArgumentError('cannot push a digest reference');
  const tag = queryString(req, 'tag') || ref.tag;
  const auth = parseRegistryAuthHeader(req.headers['x-registry-auth']);
  await sendJsonMessages(reply, pushImage({ repo: { domain: ref.domain, path: ref.path }, ...(tag ? { tag } : {}), auth, signal: req.signal }, d.push));
}

/** Registers `POST /auth`. */
export function registerAuthRoute(router: HttpRouter, d: RegistryRouteDeps): void {
  router.route({ method: 'POST', path: '/auth', handler: async (req, reply) => {
    const auth = authFromObject(req.body);
    if (!auth) throw new InvalidArgumentError('a username and password (or a token) are required');
    try {
      return await login(auth, d.pull.registry, req.signal);
    } catch (err) {
      // Refused credentials are a 401 for the CLI (it then prints the reason and exits 1).
      if (EngineError.is(err) && err.code === UNAUTHORIZED) return reply.status(401).json({ message: err.message });
      throw err;
    }
  } });
}
