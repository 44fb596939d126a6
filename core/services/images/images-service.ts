/**
 * The image service: Docker's image operations over the image and layer stores. Changes to the
 * stores (load, import, tag, remove, prune) run one at a time, so layer collection never races a
 * load that is still registering layers.
 */
import { ConflictError, type EventBus, type HookSetCaller } from '@keel/sdk';
import type { Image, ImageStore } from './image-store.js';
import type { imagesHooks } from './images-hooks.js';
import type { LayerStore } from './layer-store.js';
import { looksLikeId, parseReference, familiarString } from './reference.js';

/** Dependencies of the service. */
export interface ImagesServiceDeps {
  readonly images: ImageStore;
  readonly layers: LayerStore;
  readonly events: EventBus;
  readonly hooks: HookSetCaller<(typeof imagesHooks)['hooks']>;
  readonly driverName: () => string;
}

const seconds = (iso?: string) => (iso ? Math.floor(Date.parse(iso) / 1000) || 0 : 0);

/** Docker's image operations. */
export class ImagesService {
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

  /** Uncompressed size of an image's layers. */
  async sizeOf(image: Image): Promise<number> {
    let size = 0;
    for (const c of image.chainIds) size += (await this.d.layers.get(c))?.unpacked ?? 0;
    return size;
  }

  /** Docker's ImageSummary. */
  async summary(image: Image, sharedSize = -1): Promise<Record<string, unknown>> {
    return {
      Id: image.id, ParentId: '', RepoTags: await this.d.images.namesOf(image.id), RepoDigests: [],
      Created: seconds(image.config.created), Size: await this.sizeOf(image), SharedSize: sharedSize,
      Labels: image.config.config?.Labels ?? {}, Containers: -1,
    };
  }

  /** Docker's ImageInspect. */
  async inspect(name: string): Promise<Record<string, unknown>> {
    const image = await this.d.images.resolve(name);
    const c = image.config;
    return {
      Id: image.id, RepoTags: await this.d.images.namesOf(image.id), RepoDigests: [], Parent: '', Comment: c.comment ?? '',
      Created: c.created ?? '', DockerVersion: c.docker_version ?? '', Author: c.author ?? '', Config: c.config ?? null,
      Architecture: c.architecture ?? '', ...(c.variant ? { Variant: c.variant } : {}), Os: c.os ?? 'linux',
      Size: await this.sizeOf(image), GraphDriver: { Name: this.d.driverName(), Data: null },
      RootFS: { Type: 'layers', Layers: c.rootfs?.diff_ids ?? [] }, Metadata: { LastTagTime: image.lastTagTime ?? '0001-01-01T00:00:00Z' },
    };
  }

  /** Docker's image history, newest first. */
  async history(name: string): Promise<Array<Record<string, unknown>>> {
    const image = await this.d.images.resolve(name);
    const history = image.config.history ?? [];
    const sizes = await Promise.all(image.chainIds.map(async (c) => (await this.d.layers.get(c))?.unpacked ?? 0));
    let layer = 0;
    const rows = history.map((h) => ({
      Id: '<missing>', Created: seconds(h.created), CreatedBy: h.created_by ?? '', Tags: null as string[] | null,
      Size: h.empty_layer ? 0 : sizes[layer++] ?? 0, Comment: h.comment ?? '',
    }));
    rows.reverse();
    if (rows[0]) Object.assign(rows[0], { Id: image.id, Tags: await this.d.images.namesOf(image.id) });
    return rows;
  }

  /** `docker tag`. */
  tag(source: string, repo: string, tag?: string): Promise<void> {
    return this.exclusive(async () => {
      const image = await this.d.images.resolve(source);
      const ref = parseReference(tag ? `${repo}:${tag}` : repo);
      await this.d.images.tag(image.id, ref);
      this.d.events.publish({ type: 'image', action: 'tag', actor: { ID: image.id, Attributes: { name: familiarString(ref) } } });
    });
  }

  /** `docker rmi`: untag a named reference, delete the image when nothing names it any more. */
  remove(name: string, force: boolean): Promise<Array<Record<string, string>>> {
    return this.exclusive(async () => {
      const image = await this.d.images.resolve(name);
      const names = await this.d.images.namesOf(image.id);
      const out: Array<Record<string, string>> = [];
      const byId = looksLikeId(name) && !names.some((n) => n === name || n.startsWith(`${name}:`));
      const untag = async (n: string) => {
        await this.d.images.untag(parseReference(n));
        out.push({ Untagged: n });
        this.d.events.publish({ type: 'image', action: 'untag', actor: { ID: image.id, Attributes: { name: n } } });
      };
      if (!byId) {
        const named = familiarString(parseReference(name));
        const veto = names.length === 1 ? await this.d.hooks.call('beforeDelete', { imageId: image.id, reference: named, force }) : undefined;
        if (veto && !force) throw new ConflictError(veto);
        await untag(named);
        if (names.length > 1) return out;
      } else {
        if (names.length > 1 && !force) {
          throw new ConflictError(`conflict: unable to delete ${image.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
        }
        const veto = await this.d.hooks.call('beforeDelete', { imageId: image.id, force });
        if (veto && !force) throw new ConflictError(veto);
        for (const n of names) await untag(n);
      }
      return [...out, ...(await this.deleteImage(image))];
    });
  }

  private async deleteImage(image: Image): Promise<Array<Record<string, string>>> {
    await this.d.images.delete(image.id);
    const layers = await this.d.layers.collect(await this.d.images.layersInUse());
    this.d.events.publish({ type: 'image', action: 'delete', actor: { ID: image.id, Attributes: { name: image.id } } });
    return [{ Deleted: image.id }, ...layers.map((l) => ({ Deleted: l }))];
  }

  /** `docker image prune`: dangling images, or (`all`) every image no container uses. */
  prune(all: boolean, keep: (i: Image, names: string[]) => Promise<boolean> = async () => false): Promise<{ ImagesDeleted: Array<Record<string, string>> | null; SpaceReclaimed: number }> {
    return this.exclusive(async () => {
      const deleted: Array<Record<string, string>> = [];
      let reclaimed = 0;
      for (const image of await this.d.images.list()) {
        const names = await this.d.images.namesOf(image.id);
        if ((!all && names.length) || (await keep(image, names))) continue;
        if (await this.d.hooks.call('beforeDelete', { imageId: image.id, force: false })) continue;
        const size = await this.sizeOf(image);
        for (const n of names) {
          await this.d.images.untag(parseReference(n));
          deleted.push({ Untagged: n });
        }
        deleted.push(...(await this.deleteImage(image)));
        reclaimed += size;
      }
      this.d.events.publish({ type: 'image', action: 'prune', actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } } });
      return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
    });
  }

  /** The images part of `docker system df`. */
  async df(): Promise<{ LayersSize: number; Images: Array<Record<string, unknown>> }> {
    const images = await this.d.images.list();
    const users = new Map<string, number>();
    for (const i of images) for (const c of i.chainIds) users.set(c, (users.get(c) ?? 0) + 1);
    let layersSize = 0;
    for (const l of await this.d.layers.list()) layersSize += l.unpacked;
    const rows = await Promise.all(images.map(async (i) => {
      let shared = 0;
      for (const c of i.chainIds) if ((users.get(c) ?? 0) > 1) shared += (await this.d.layers.get(c))?.unpacked ?? 0;
      return { ...(await this.summary(i, shared)), Containers: 0 };
    }));
    return { LayersSize: layersSize, Images: rows };
  }
}
