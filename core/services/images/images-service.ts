/**
 * The image service: Docker's tag, rmi and prune over the image and layer stores, with moby's
 * conflict rules, and the {@link ImageBackend} other services use. Store changes run one at a
 * time (a promise queue), so layer collection never races a load that is registering layers;
 * reads need no lock (the stores swap their in-memory state only after a write succeeded).
 */
import { ConflictError, InvalidArgumentError, type EventBus, type HookSetCaller } from '@keel/sdk';
import type { CommitRequest, ImageBackend, ImageInfo, ImageRootfs } from './image-backend.js';
import { commitImage } from './image-commit.js';
import { pruneFilter } from './image-filters.js';
import type { Image, ImageStore } from './image-store.js';
import { createdSeconds, sizeOf } from './image-views.js';
import type { imagesHooks } from './images-hooks.js';
import type { LayerRecord, LayerStore } from './layer-store.js';
import { familiarString, isIdPrefix, parseReference, referenceKey, repositoryName, tagReference, type ImageReference } from './reference.js';

/** Dependencies of the service. */
export interface ImagesServiceDeps {
  readonly images: ImageStore;
  readonly layers: LayerStore;
  readonly events: EventBus;
  readonly hooks: HookSetCaller<(typeof imagesHooks)['hooks']>;
  /** The storage driver the layers live in. */
  readonly driverName: string;
}

/** One line of an rmi or prune answer. */
export type DeleteItem = { Untagged: string } | { Deleted: string };

/** `POST /images/prune`'s answer. */
export interface PruneReport {
  ImagesDeleted: DeleteItem[] | null;
  SpaceReclaimed: number;
}

const short = (id: string) => id.slice(7, 19);

/** Docker's image operations. */
export class ImagesService implements ImageBackend {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly d: ImagesServiceDeps) {}

  /** Runs `fn` after every earlier store change. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Iterates `make()` holding the store lock until the iteration ends (or is abandoned). */
  async *exclusiveStream<T>(make: () => AsyncIterable<T>): AsyncGenerator<T> {
    let release!: () => void;
    const previous = this.queue;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      yield* make();
    } finally {
      release();
    }
  }

  /** Publishes an image event as moby does: labels as attributes, plus `name`. */
  publish(action: string, image: Image | string, name?: string): void {
    const id = typeof image === 'string' ? image : image.id;
    const labels = typeof image === 'string' ? {} : image.config.config?.Labels ?? {};
    this.d.events.publish({ type: 'image', action, actor: { ID: id, Attributes: { ...labels, name: name ?? id } } });
  }

  resolve(nameOrId: string): ImageInfo {
    const image = this.d.images.resolve(nameOrId);
    return { id: image.id, repoTags: this.d.images.namesOf(image.id), config: image.config, size: sizeOf(image, this.d.layers) };
  }

  async acquire(imageId: string, holder: string): Promise<ImageRootfs> {
    let persisted: Promise<void> = Promise.resolve();
    const rootfs = await this.exclusive(async () => {
      const image = this.d.images.resolve(imageId);
      if (image.topLayer) persisted = this.d.layers.hold(holder, image.topLayer);
      const parent = image.topLayer ? this.d.layers.get(image.topLayer)?.cacheId : undefined;
      return { driver: this.d.driverName, ...(parent ? { parent } : {}) };
    });
    // The hold counts from inside the lock; its document is written outside it, so creates run side by side.
    await persisted;
    return rootfs;
  }

  release(holder: string): Promise<void> {
    return this.exclusive(async () => {
      if (await this.d.layers.release(holder)) await this.d.layers.collect(this.d.images.chainsInUse());
    });
  }

  commit(request: CommitRequest): Promise<string> {
    return commitImage(request, { images: this.d.images, layers: this.d.layers, events: this.d.events, exclusive: (fn) => this.exclusive(fn) });
  }

  /** `docker tag`: the new name is checked before the image is looked up, as moby does. */
  tag(source: string, repo: string, tag?: string): Promise<void> {
    const ref = tagReference(repo, tag);
    return this.exclusive(async () => {
      const image = this.d.images.resolve(source);
      await this.d.images.tag(image.id, ref);
      this.publish('tag', image, familiarString(ref));
    });
  }

  /**
   * `docker rmi`. A name untags (and deletes the image when it was its last name, unless a
   * container still uses it); an ID deletes the image with all its names, which needs `force`
   * when it has names in several repositories.
   */
  remove(name: string, force: boolean): Promise<DeleteItem[]> {
    if (!name.trim()) throw new InvalidArgumentError('image name cannot be blank');
    return this.exclusive(async () => {
      const image = this.d.images.resolve(name);
      const refs = this.d.images.refsOf(image.id);
      const veto = (reference?: string) => this.d.hooks.call('beforeDelete', { imageId: image.id, force, ...(reference ? { reference } : {}) });
      if (!isIdPrefix(image.id, name)) {
        const ref = parseReference(name);
        const named = familiarString(ref);
        // As moby: untagging the last tag of a repository also drops that repository's digests.
        const digests = ref.digest ? [] : digestsLeftAlone(refs, ref);
        const remaining = refs.length - 1 - digests.length;
        if (!force && remaining === 0) {
          const message = await veto(named);
          if (message) throw new ConflictError(message);
        }
        await this.d.images.untag(ref);
        this.publish('untag', image);
        const out: DeleteItem[] = [{ Untagged: named }];
        for (const d of digests) {
          await this.d.images.untag(d);
          out.push({ Untagged: familiarString(d) });
        }
        // Quietly kept when something still uses it: the image just becomes dangling.
        if (remaining > 0 || (await veto())) return out;
        return [...out, ...(await this.deleteImages([image]))];
      }
      if (refs.length > 1 && !force) throw new ConflictError(`conflict: unable to delete ${short(image.id)} (must be forced) - image is referenced in multiple repositories`);
      const message = await veto();
      if (message) throw new ConflictError(message);
      return this.deleteImages([image]);
    });
  }

  /** Deletes images with their names (untag lines and events first), then collects their layers. */
  private async deleteImages(images: readonly Image[], removed: LayerRecord[] = []): Promise<DeleteItem[]> {
    const out: DeleteItem[] = [];
    for (const image of images) {
      for (const n of this.d.images.refsOf(image.id).map(familiarString).sort()) {
        out.push({ Untagged: n });
        this.publish('untag', image);
      }
    }
    await this.d.images.delete(images.map((i) => i.id));
    const layers = await this.d.layers.collect(this.d.images.chainsInUse());
    removed.push(...layers);
    for (const image of images) {
      this.publish('delete', image.id);
      out.push({ Deleted: image.id });
    }
    return [...out, ...layers.map((l) => ({ Deleted: l.chainId }))];
  }

  /**
   * `docker image prune`: dangling images, or (`dangling=false`) every image nothing uses, as
   * the filters allow. SpaceReclaimed counts the layers actually removed.
   */
  prune(filters: Readonly<Record<string, readonly string[]>>): Promise<PruneReport> {
    const { all, accepts } = pruneFilter(filters);
    return this.exclusive(async () => {
      const victims: Image[] = [];
      for (const image of this.d.images.list()) {
        const refs = this.d.images.refsOf(image.id);
        if (!all && refs.length) continue;
        if (!accepts({ refs, labels: image.config.config?.Labels ?? {}, created: createdSeconds(image) })) continue;
        if (await this.d.hooks.call('beforeDelete', { imageId: image.id, force: false })) continue;
        victims.push(image);
      }
      const removed: LayerRecord[] = [];
      const deleted: DeleteItem[] = [];
      for (const image of victims) deleted.push(...(await this.deleteImages([image], removed)));
      const reclaimed = removed.reduce((n, l) => n + l.unpacked, 0);
      this.d.events.publish({ type: 'image', action: 'prune', actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } } });
      return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
    });
  }
}

/** The digest references of `tag`'s repository, when `tag` is that repository's last tag among `refs`. */
function digestsLeftAlone(refs: readonly ImageReference[], tag: ImageReference): ImageReference[] {
  const repo = repositoryName(tag);
  const otherTags = refs.some((r) => !r.digest && repositoryName(r) === repo && referenceKey(r) !== referenceKey(tag));
  return otherTags ? [] : refs.filter((r) => r.digest && repositoryName(r) === repo);
}
