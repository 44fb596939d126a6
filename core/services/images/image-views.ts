/**
 * How images look on the wire: Docker's ImageSummary (`GET /images/json`), ImageInspect
 * (`GET /images/{name}/json`), history rows and the images part of `/system/df`, including the
 * fields older API versions expect (`VirtualSize` before 1.44, `<none>:<none>` before 1.43,
 * `Container`/`ContainerConfig` before 1.45).
 */
import type { Image, ImageStore } from './image-store.js';
import type { LayerStore } from './layer-store.js';

/** Where views read from. */
export interface ViewSources {
  readonly images: ImageStore;
  readonly layers: LayerStore;
  /** The storage driver's name (inspect's GraphDriver.Name). */
  readonly driverName: string;
}

type Row = Record<string, unknown>;

const seconds = (iso?: string) => (iso ? Math.floor(Date.parse(iso) / 1000) || 0 : 0);

/** `a` < `b` for API versions like `1.43`. */
export function olderThan(a: string, b: string): boolean {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am < bm || (am === bm && an < bn);
}

/** Creation time in Unix seconds. */
export function createdSeconds(image: Image): number {
  return seconds(image.config.created);
}

/** Unpacked size of an image's layers, as Docker reports it. */
export function sizeOf(image: Image, layers: LayerStore): number {
  return image.chainIds.reduce((n, c) => n + (layers.get(c)?.unpacked ?? 0), 0);
}

/** Per chain ID, how many images use it. */
export function layerUsers(images: readonly Image[]): Map<string, number> {
  const users = new Map<string, number>();
  for (const i of images) for (const c of i.chainIds) users.set(c, (users.get(c) ?? 0) + 1);
  return users;
}

/** Bytes of an image's layers that other images use too. */
export function sharedSizeOf(image: Image, users: ReadonlyMap<string, number>, layers: LayerStore): number {
  return image.chainIds.reduce((n, c) => n + ((users.get(c) ?? 0) > 1 ? layers.get(c)?.unpacked ?? 0 : 0), 0);
}

/**
 * Docker's ImageSummary. `repoTags` are the names to show (a reference filter narrows them);
 * `sharedSize` is -1 unless asked for.
 */
export function summary(s: ViewSources, image: Image, apiVersion: string, repoTags: readonly string[], sharedSize = -1): Row {
  const none = olderThan(apiVersion, '1.43') && !repoTags.length;
  const size = sizeOf(image, s.layers);
  return {
    Id: image.id, ParentId: '', RepoTags: none ? ['<none>:<none>'] : repoTags.filter((t) => !t.includes('@')), RepoDigests: none ? ['<none>@<none>'] : s.images.digestsOf(image.id),
    Created: createdSeconds(image), Size: size, SharedSize: sharedSize,
    ...(olderThan(apiVersion, '1.44') ? { VirtualSize: size } : {}),
    Labels: image.config.config?.Labels ?? {}, Containers: -1,
  };
}

/** Docker's ImageInspect. */
export function inspect(s: ViewSources, image: Image, apiVersion: string): Row {
  const c = image.config;
  const size = sizeOf(image, s.layers);
  return {
    Id: image.id, RepoTags: s.images.namesOf(image.id), RepoDigests: s.images.digestsOf(image.id), Parent: '', Comment: c.comment ?? '',
    Created: c.created ?? '',
    ...(olderThan(apiVersion, '1.45') ? { Container: c.container ?? '', ContainerConfig: c.container_config ?? null } : {}),
    DockerVersion: c.docker_version ?? '', Author: c.author ?? '', Config: c.config ?? null,
    Architecture: c.architecture ?? '', ...(c.variant ? { Variant: c.variant } : {}), Os: c.os ?? 'linux',
    Size: size, ...(olderThan(apiVersion, '1.44') ? { VirtualSize: size } : {}),
    GraphDriver: { Name: s.driverName, Data: null },
    RootFS: { Type: 'layers', Layers: c.rootfs?.diff_ids ?? [] },
    Metadata: { LastTagTime: image.lastTagTime ?? '0001-01-01T00:00:00Z' },
  };
}

/** Docker's image history, newest first: `<missing>` IDs below the top, as for any loaded image. */
export function history(s: ViewSources, image: Image): Row[] {
  const sizes = image.chainIds.map((c) => s.layers.get(c)?.unpacked ?? 0);
  let layer = 0;
  const rows: Row[] = (image.config.history ?? []).map((h) => ({
    Id: '<missing>', Created: seconds(h.created), CreatedBy: h.created_by ?? '', Tags: null,
    Size: h.empty_layer ? 0 : sizes[layer++] ?? 0, Comment: h.comment ?? '',
  }));
  rows.reverse();
  if (rows[0]) Object.assign(rows[0], { Id: image.id, Tags: s.images.namesOf(image.id) });
  return rows;
}

/** The images part of `GET /system/df`: rows with SharedSize and Containers, and LayersSize. */
export function diskUsage(s: ViewSources): { LayersSize: number; Images: Row[] } {
  const all = s.images.list();
  const users = layerUsers(all);
  const LayersSize = s.layers.list().reduce((n, l) => n + l.unpacked, 0);
  const Images = all.map((i) => ({ ...summary(s, i, '1.47', s.images.namesOf(i.id), sharedSizeOf(i, users, s.layers)), Containers: 0 }));
  return { LayersSize, Images };
}
