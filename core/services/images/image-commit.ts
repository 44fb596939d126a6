/**
 * `docker commit`: a container's read-write layer becomes a new image on top of the container's
 * image. The run config is the container's (or the request body's) with `--change` instructions
 * applied and the container's settings merged in as moby's `merge` does; history, `container`
 * and `container_config` are written as moby's NewChildImage writes them.
 */
import type { Readable } from 'node:stream';
import { NotFoundError, type EventBus } from '@keel/sdk';
import { applyChanges, type ImageRunConfig } from './change-instructions.js';
import type { ImageStore } from './image-store.js';
import type { LayerStore } from './layer-store.js';
import { familiarString, tagReference } from './reference.js';

/** What {@link ImageBackend.commit} takes. */
export interface CommitRequest {
  /** The container's image (`sha256:…`): the new image's parent. */
  readonly imageId: string;
  /** The container's read-write layer as a tar (the storage driver's diff). */
  readonly diff: Readable;
  readonly containerId: string;
  /** The container's `Config`. */
  readonly containerConfig: Readonly<Record<string, unknown>>;
  /** The request body (Config overrides); undefined or null when none was sent. */
  readonly config?: Readonly<Record<string, unknown>> | null;
  /** Dockerfile instructions (`--change`). */
  readonly changes: readonly string[];
  readonly author?: string;
  readonly comment?: string;
  /** Repository (already normalised by the CLI) and tag; no repo leaves the image untagged. */
  readonly repo?: string;
  readonly tag?: string;
}

/** DiffID of a tar with no entries: moby leaves such a layer out (`empty_layer` in history). */
export const EMPTY_LAYER_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

type Health = { Test?: unknown[] | null; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };

/** moby's `merge(userConf, imageConf)`: what the new config leaves unset comes from the container. */
function merge(user: ImageRunConfig, from: ImageRunConfig): ImageRunConfig {
  const u = user as ImageRunConfig & { User?: string; StopSignal?: string; Healthcheck?: Health | null };
  const c = from as typeof u;
  if (!u.User) u.User = c.User;
  u.ExposedPorts = { ...(c.ExposedPorts ?? {}), ...(u.ExposedPorts ?? {}) };
  if (!Object.keys(u.ExposedPorts).length) u.ExposedPorts = c.ExposedPorts;
  const keyOf = (e: string) => e.split('=')[0];
  if (!u.Env?.length) u.Env = c.Env;
  else u.Env = [...u.Env, ...(c.Env ?? []).filter((e) => !u.Env!.some((x) => keyOf(x) === keyOf(e)))];
  u.Labels = { ...(c.Labels ?? {}), ...(u.Labels ?? {}) };
  if (!u.Entrypoint?.length) {
    if (!u.Cmd?.length) u.Cmd = c.Cmd;
    if (u.Entrypoint == null) u.Entrypoint = c.Entrypoint;
  }
  if (c.Healthcheck) {
    if (!u.Healthcheck) u.Healthcheck = c.Healthcheck;
    else {
      const h = u.Healthcheck;
      if (!h.Test?.length) h.Test = c.Healthcheck.Test;
      for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) if (!h[k] && c.Healthcheck[k]) h[k] = c.Healthcheck[k];
    }
  }
  if (!u.WorkingDir) u.WorkingDir = c.WorkingDir;
  if (!u.Volumes || !Object.keys(u.Volumes).length) u.Volumes = c.Volumes;
  else u.Volumes = { ...u.Volumes, ...(c.Volumes ?? {}) };
  if (!u.StopSignal) u.StopSignal = c.StopSignal;
  return u;
}

/**
 * The new image's run config: the body (or, without one, the container's config) with the
 * changes applied, then merged with the container's config.
 */
export function commitRunConfig(containerConfig: Readonly<Record<string, unknown>>, body: CommitRequest['config'], changes: readonly string[]): ImageRunConfig {
  const base = structuredClone((body ?? containerConfig) as ImageRunConfig);
  const changed = applyChanges(base, changes);
  // A Dockerfile ENTRYPOINT clears CMD unless the same build sets one.
  const ops = changes.map((l) => l.trim().split(/\s+/)[0]?.toUpperCase());
  if (ops.includes('ENTRYPOINT') && !ops.includes('CMD')) changed.Cmd = null;
  return merge(changed, structuredClone(containerConfig) as ImageRunConfig);
}

/** What a commit needs of the image service. */
export interface CommitDeps {
  readonly images: ImageStore;
  readonly layers: LayerStore;
  readonly events: EventBus;
  /** Runs `fn` holding the store lock. */
  readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** Commits; returns the new image ID. Nothing stays behind when it fails. */
export async function commitImage(req: CommitRequest, deps: CommitDeps): Promise<string> {
  const ref = req.repo ? tagReference(req.repo, req.tag) : undefined; // a bad name fails before any work
  const runConfig = commitRunConfig(req.containerConfig, req.config, req.changes);
  return deps.exclusive(async () => {
    const parent = deps.images.get(req.imageId);
    if (!parent) throw new NotFoundError(`No such image: ${req.imageId}`);
    let diffIds = [...(parent.config.rootfs?.diff_ids ?? [])];
    try {
      const { record } = await deps.layers.register(parent.topLayer || undefined, req.diff);
      const empty = record.diffId === EMPTY_LAYER_DIFF_ID;
      if (!empty) diffIds = [...diffIds, record.diffId];
      const created = new Date().toISOString();
      const cmd = (req.containerConfig.Cmd as string[] | null | undefined) ?? [];
      const history = {
        created, ...(req.author ? { author: req.author } : {}), created_by: cmd.join(' '),
        ...(req.comment ? { comment: req.comment } : {}), ...(empty ? { empty_layer: true } : {}),
      };
      const p = parent.config as unknown as Record<string, unknown>;
      const config = {
        ...(req.comment ? { comment: req.comment } : {}), created, container: req.containerId, container_config: req.containerConfig,
        ...(req.author ? { author: req.author } : {}), config: runConfig, architecture: p.architecture,
        ...(p.variant ? { variant: p.variant } : {}), os: p.os ?? 'linux',
        rootfs: { type: 'layers', diff_ids: diffIds }, history: [...((p.history as unknown[]) ?? []), history],
        ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}), ...(p['os.features'] ? { 'os.features': p['os.features'] } : {}),
      };
      const { images: [image] } = await deps.images.commit([{ configBytes: Buffer.from(JSON.stringify(config)), tags: ref ? [ref] : [] }]);
      // An empty layer was registered only to learn it is empty: it goes with the next collection.
      if (empty) await deps.layers.collect(deps.images.chainsInUse());
      const labels = (runConfig.Labels ?? {}) as Record<string, string>;
      // As moby: a commit with a name is followed by its tag (the container's `commit` event is the caller's).
      if (ref) deps.events.publish({ type: 'image', action: 'tag', actor: { ID: image!.id, Attributes: { ...labels, name: familiarString(ref) } } });
      return image!.id;
    } catch (err) {
      req.diff.destroy();
      await deps.layers.collect(deps.images.chainsInUse()).catch(() => undefined);
      throw err;
    }
  });
}
