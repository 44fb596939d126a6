/**
 * `docker pull`, through the same all-or-nothing path as `docker load`:
 * 1. resolve the manifest and config (pull-manifest.ts); layers whose chain is registered are
 *    "Already exists";
 * 2. download the others, `max-concurrent-downloads` at a time, each verified against its digest
 *    and resumable (blob-download.ts), then staged: decompressed (gzip or zstd) and checked
 *    against the config's DiffID (layer-staging.ts, as load does) — all outside the store lock;
 * 3. under the store lock, register the layers in order and commit the image with its tag and
 *    digest references in one index write. A failure removes the layers this pull registered;
 *    downloaded blobs stay in the download directory, so pulling again resumes.
 */
import { link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { EventBus } from '@keel/sdk';
import type { ImageStore } from '../image-store.js';
import { chainIds, type LayerStore } from '../layer-store.js';
import { stageLayer, type StagedLayer } from '../layer-staging.js';
import { progressMessage, reporting } from '../progress.js';
import { familiarString, type ImageReference } from '../reference.js';
import type { AuthConfig } from './auth-config.js';
import { downloadBlob } from './blob-download.js';
import type { Descriptor } from './manifests.js';
import { limiter, MessageChannel, throttled } from './message-channel.js';
import { resolveImage, type PullPlatform, type ResolvedImage } from './pull-manifest.js';
import type { RegistryContext } from './registry-context.js';
import { RegistrySession } from './registry-session.js';

/** What a pull needs. */
export interface PullDeps {
  readonly images: ImageStore;
  readonly layers: LayerStore;
  readonly events: EventBus;
  readonly registry: RegistryContext;
  /** Staging directories go here (same filesystem as the blob store). */
  readonly tmpRoot: string;
  /** Largest decompressed layer. */
  readonly maxBytes: number;
  /** Runs a generator holding the store lock. */
  readonly exclusive: <T>(make: () => AsyncIterable<T>) => AsyncIterable<T>;
  /** Milliseconds between download retries (tests: 0). */
  readonly backoffMs?: number;
}

/** One pull. */
export interface PullRequest {
  readonly ref: ImageReference;
  readonly platform: PullPlatform;
  readonly auth?: AuthConfig;
  readonly signal?: AbortSignal;
}

type Message = Record<string, unknown>;
const shortId = (digest: string) => digest.slice(7, 19);
const step = (status: string, id: string): Message => ({ status, progressDetail: {}, id });

/** Pulls an image; yields Docker's JSON messages. Errors before the first message are thrown. */
export async function* pullImage(req: PullRequest, deps: PullDeps): AsyncGenerator<Message> {
  const { ref } = req;
  const session = await RegistrySession.open({ http: deps.registry.http, hosts: deps.registry.hosts, domain: ref.domain, repo: ref.path, actions: 'pull', auth: req.auth, signal: req.signal });
  const image = await resolveImage(session, ref, req.platform);
  yield { status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag ?? 'latest' };
  const chains = chainIds(image.diffIds);
  const needed: number[] = [];
  for (const [i, desc] of image.manifest.layers.entries()) {
    const have = !!deps.layers.get(chains[i]!);
    if (!have) needed.push(i);
    yield step(have ? 'Already exists' : 'Pulling fs layer', shortId(desc.digest));
  }
  await mkdir(deps.tmpRoot, { recursive: true, mode: 0o700 });
  await mkdir(deps.registry.downloadsDir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(path.join(deps.tmpRoot, 'pull-'));
  const used: string[] = [];
  let complete = false;
  try {
    const staged = new Map<number, StagedLayer>();
    yield* transfer(image, needed, session, deps, req, staging, staged, used);
    const previous = deps.images.byReference(ref);
    yield* deps.exclusive(() => register(image, ref, deps, staged));
    complete = true;
    const id = deps.images.byReference(ref.digest ? ref : { ...ref, tag: ref.tag ?? 'latest' });
    for (const [i, desc] of image.manifest.layers.entries()) {
      await deps.registry.remember(image.diffIds[i]!, { digest: desc.digest, size: desc.size, mediaType: desc.mediaType }, `${ref.domain}/${ref.path}`).catch(() => undefined);
    }
    deps.events.publish({ type: 'image', action: 'pull', actor: { ID: familiarString(ref), Attributes: { ...image.config.config?.Labels, name: familiarString(ref) } } });
    yield { status: `Digest: ${image.repoDigest}` };
    yield { status: `Status: ${previous && previous === id && !needed.length ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarString(ref)}` };
  } finally {
    await rm(staging, { recursive: true, force: true });
    await release(deps.registry, used, complete);
  }
}

/** Downloads and stages the needed layers concurrently, merging their progress lines. */
async function* transfer(image: ResolvedImage, needed: readonly number[], session: RegistrySession, deps: PullDeps, req: PullRequest, staging: string, staged: Map<number, StagedLayer>, used: string[]): AsyncGenerator<Message> {
  if (!needed.length) return;
  const channel = new MessageChannel<Message>();
  const run = limiter(deps.registry.settings().maxConcurrentDownloads);
  const one = async (i: number) => {
    const desc = image.manifest.layers[i]!;
    const id = shortId(desc.digest);
    const file = await run(() => download(desc, session, deps, req, (m) => channel.push(m), used), () => channel.push(step('Waiting', id)));
    channel.push(step('Verifying Checksum', id));
    channel.push(step('Download complete', id));
    // A link of its own: the layer store takes staged files over, and another pull may share the download.
    const mine = path.join(staging, `${desc.digest.slice(7)}.blob`);
    await link(file, mine);
    staged.set(i, await stageLayer({ file: mine, name: desc.digest }, image.diffIds[i]!, staging, deps.maxBytes));
  };
  const all = Promise.all(needed.map(one)).finally(() => channel.close());
  all.catch(() => undefined);
  yield* channel.drain();
  await all;
}

/** Downloads one blob, shared with any other pull downloading it right now. */
async function download(desc: Descriptor, session: RegistrySession, deps: PullDeps, req: PullRequest, push: (m: Message) => void, used: string[]): Promise<string> {
  const reg = deps.registry;
  reg.users.set(desc.digest, (reg.users.get(desc.digest) ?? 0) + 1);
  used.push(desc.digest);
  const id = shortId(desc.digest);
  const progress = throttled((n) => push(progressMessage('Downloading', id, n, desc.size)));
  let pending = reg.inflight.get(desc.digest);
  if (!pending) {
    pending = downloadBlob(session, desc, { dir: reg.downloadsDir, attempts: reg.settings().maxDownloadAttempts, onProgress: (n) => progress.update(n), signal: req.signal, backoffMs: deps.backoffMs })
      .finally(() => reg.inflight.delete(desc.digest));
    reg.inflight.set(desc.digest, pending);
  }
  const file = await pending;
  progress.flush();
  return file;
}

/** Registers the staged layers in order and commits the image (under the store lock). */
async function* register(image: ResolvedImage, ref: ImageReference, deps: PullDeps, staged: ReadonlyMap<number, StagedLayer>): AsyncGenerator<Message> {
  let done = false;
  try {
    let parent: string | undefined;
    for (const [i, desc] of image.manifest.layers.entries()) {
      const s = staged.get(i);
      const chain = chainIds(image.diffIds.slice(0, i + 1)).at(-1)!;
      if (s && !deps.layers.get(chain)) {
        const id = shortId(desc.digest);
        const show = (n: number) => progressMessage('Extracting', id, n, s.size);
        yield* reporting((report) => deps.layers.register(parent, s, undefined, report), show);
        yield show(s.size);
        yield step('Pull complete', id);
      }
      parent = chain;
    }
    const repo = { domain: ref.domain, path: ref.path };
    const tags = [...(ref.tag && !ref.digest ? [{ ...repo, tag: ref.tag }] : []), { ...repo, digest: image.repoDigest }];
    await deps.images.commit([{ configBytes: image.configBytes, tags }]);
    done = true;
  } finally {
    if (!done) await deps.layers.collect(deps.images.chainsInUse()).catch(() => undefined);
  }
}

/** Drops this pull's use of its downloads; finished pulls delete the files nobody else uses. */
async function release(reg: RegistryContext, used: readonly string[], complete: boolean): Promise<void> {
  for (const digest of used) {
    const left = (reg.users.get(digest) ?? 1) - 1;
    if (left > 0) reg.users.set(digest, left);
    else reg.users.delete(digest);
    if (complete && left <= 0 && !reg.inflight.has(digest)) await rm(path.join(reg.downloadsDir, digest.slice(7)), { force: true });
  }
}
