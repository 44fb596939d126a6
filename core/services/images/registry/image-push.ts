/**
 * `docker push`: each layer (top first in the output, as Docker shows them) is checked and, when
 * the registry lacks it, mounted from another repository of the registry or gzip-compressed and
 * uploaded, `max-concurrent-uploads` at a time; then the config, then a Docker schema2 manifest
 * is put under the tag. The stream ends with `<tag>: digest: … size: …` and the aux
 * `{Tag, Digest, Size}` the CLI reads, and the image gains the repository digest.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { NotFoundError, compareText, type EventBus } from '@keel/sdk';
import { DigestTransform } from '@keel/sdk/tar';
import { sha256, type BlobStore } from '../blob-store.js';
import type { Image, ImageStore } from '../image-store.js';
import type { LayerStore } from '../layer-store.js';
import { progressMessage } from '../progress.js';
import { familiarRepository, repositoryName, type ImageReference } from '../reference.js';
import type { AuthConfig } from './auth-config.js';
import { blobExists, mountBlob, uploadBlob, type UploadSource } from './blob-upload.js';
import { discard } from './http-client.js';
import { MEDIA } from './manifests.js';
import { limiter, MessageChannel, throttled } from './message-channel.js';
import type { RegistryContext } from './registry-context.js';
import { responseError } from './registry-errors.js';
import { RegistrySession } from './registry-session.js';

/** What a push needs. */
export interface PushDeps {
  readonly images: ImageStore;
  readonly layers: LayerStore;
  readonly blobs: BlobStore;
  readonly events: EventBus;
  readonly registry: RegistryContext;
  readonly tmpRoot: string;
  /** Bytes per upload PATCH. */
  readonly chunkBytes: number;
  /** Runs `fn` holding the store lock. */
  readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** One push: a repository and its tags (all of them when `tag` is absent, as `docker push -a`). */
export interface PushRequest {
  readonly repo: ImageReference;
  readonly tag?: string;
  readonly auth?: AuthConfig;
  readonly signal?: AbortSignal;
}

type Message = Record<string, unknown>;
const step = (status: string, id: string): Message => ({ status, progressDetail: {}, id });

/** The tags a push covers: 404 (before any output) when there is none. */
export function pushTargets(req: PushRequest, images: ImageStore): { tag: string; image: Image }[] {
  const name = familiarRepository(req.repo);
  if (req.tag) return [{ tag: req.tag, image: images.resolve(`${name}:${req.tag}`) }];
  const all = images.list().flatMap((image) => images.refsOf(image.id)
    .filter((r) => r.tag && !r.digest && repositoryName(r) === repositoryName(req.repo))
    .map((r) => ({ tag: r.tag!, image })));
  if (!all.length) throw new NotFoundError(`An image does not exist locally with the tag: ${name}`);
  return all.sort((a, b) => compareText(a.tag, b.tag));
}

/** Pushes; yields Docker's JSON messages. */
export async function* pushImage(req: PushRequest, deps: PushDeps): AsyncGenerator<Message> {
  const targets = pushTargets(req, deps.images);
  const session = await RegistrySession.open({ http: deps.registry.http, hosts: deps.registry.hosts, domain: req.repo.domain, repo: req.repo.path, actions: 'pull,push', auth: req.auth, signal: req.signal });
  yield { status: `The push refers to repository [${repositoryName(req.repo)}]` };
  await mkdir(deps.tmpRoot, { recursive: true, mode: 0o700 });
  const work = await mkdtemp(path.join(deps.tmpRoot, 'push-'));
  try {
    for (const { tag, image } of targets) yield* pushOne(tag, image, session, req, deps, work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function* pushOne(tag: string, image: Image, s: RegistrySession, req: PushRequest, deps: PushDeps, work: string): AsyncGenerator<Message> {
  const records = image.chainIds.map((c) => deps.layers.get(c)!);
  const channel = new MessageChannel<Message>();
  const run = limiter(deps.registry.settings().maxConcurrentUploads);
  const repoName = repositoryName(req.repo);
  for (const r of [...records].reverse()) yield step('Preparing', r.diffId.slice(7, 19));
  const memo = new Map<string, Promise<{ mediaType: string; digest: string; size: number }>>();
  const pushLayer = (diffId: string) => {
    if (!memo.has(diffId)) memo.set(diffId, pushUnique(diffId));
    return memo.get(diffId)!;
  };
  const pushUnique = async (diffId: string) => {
    const id = diffId.slice(7, 19);
    return run(async () => {
      const known = (await deps.registry.knownBlobs(diffId)).filter((b) => b.mediaType === MEDIA.dockerLayerGzip || b.mediaType.endsWith('tar+gzip'));
      for (const b of known) {
        if (await blobExists(s, b.digest)) return finish(b, 'Layer already exists');
        const from = b.repos.find((r) => r.startsWith(`${req.repo.domain}/`) && r !== repoName);
        if (from && (await mountBlob(s, b.digest, from.slice(req.repo.domain.length + 1)))) return finish(b, `Mounted from ${from.slice(req.repo.domain.length + 1)}`);
      }
      const blob = await compress(deps.blobs, diffId, work);
      if (await blobExists(s, blob.digest)) return finish(blob, 'Layer already exists');
      const progress = throttled((n) => channel.push(progressMessage('Pushing', id, n, blob.size)));
      await uploadBlob(s, blob, { chunkBytes: deps.chunkBytes, onProgress: (n) => progress.update(n) });
      progress.flush();
      return finish(blob, 'Pushed');
    }, () => channel.push(step('Waiting', id)));
    async function finish(b: { digest: string; size: number }, status: string) {
      const desc = { mediaType: MEDIA.dockerLayerGzip, digest: b.digest, size: b.size };
      await deps.registry.remember(diffId, desc, repoName);
      channel.push(step(status, id));
      return desc;
    }
  };
  const all = Promise.all(records.map((r) => pushLayer(r.diffId))).finally(() => channel.close());
  all.catch(() => undefined);
  yield* channel.drain();
  const layers = await all;
  const configBytes = await deps.blobs.read(image.id);
  if (!(await blobExists(s, image.id))) await uploadBlob(s, { digest: image.id, size: configBytes.length, bytes: configBytes }, { chunkBytes: deps.chunkBytes });
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA.dockerManifest,
    config: { mediaType: MEDIA.dockerConfig, size: configBytes.length, digest: image.id }, layers,
  }, null, 3));
  const digest = sha256(manifest);
  const res = await s.request('PUT', `/manifests/${tag}`, { headers: { 'Content-Type': MEDIA.dockerManifest }, body: () => manifest });
  if (res.statusCode !== 201 && res.statusCode !== 200) throw await responseError(res, `manifest ${repoName}:${tag}`);
  discard(res);
  await deps.exclusive(async () => {
    if (deps.images.get(image.id)) await deps.images.tag(image.id, { domain: req.repo.domain, path: req.repo.path, digest });
  });
  deps.events.publish({ type: 'image', action: 'push', actor: { ID: `${repoName}:${tag}`, Attributes: { name: `${repoName}:${tag}` } } });
  yield { status: `${tag}: digest: ${digest} size: ${manifest.length}` };
  yield { progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.length } };
}

/** gzip of a layer's tar into the work directory, with its digest (node's gzip output is deterministic). */
async function compress(blobs: BlobStore, diffId: string, work: string): Promise<UploadSource & { file: string }> {
  const file = path.join(work, `${diffId.slice(7)}.tar.gz`);
  const hasher = new DigestTransform();
  await pipeline(blobs.open(diffId), createGzip(), hasher, createWriteStream(file, { mode: 0o600 }));
  const { digest, size } = await hasher.result;
  return { digest, size, file };
}
