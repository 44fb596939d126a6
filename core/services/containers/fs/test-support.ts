/**
 * For the filesystem routes' unit tests (not used at run time): a test engine with vfs and the
 * image service, one image loaded, containers whose read-write layers are real vfs layers, and a
 * small {@link ContainerAccess} over them with the routes registered on the engine's router.
 */
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { NotFoundError, drivers, type OciRuntime, type StorageDriver } from '@keel/sdk';
import { readTar } from '@keel/sdk/tar';
import type { InvokeResult } from '@keel/sdk/testkit';
import { vfsStoragePlugin } from '../../../../plugins/storage/vfs/index.js';
import { imageBackendRef } from '../../images/index.js';
import { bytesOf, dockerArchive, imagesEngine, testImage, type ImagesTestEngine } from '../../images/test-support.js';
import type { ContainerAccess } from '../container-access.js';
import type { ContainerRecord } from '../container-types.js';
import { registerFsRoutes } from './fs-routes.js';

/** A test world: engine, containers, and what the access saw. */
export interface FsWorld {
  readonly e: ImagesTestEngine;
  readonly imageId: string;
  readonly storage: StorageDriver;
  readonly containers: Map<string, ContainerRecord>;
  /** Mount references still held (must be 0 after every request). */
  mounts(): number;
  /** Container events published, as `action`. */
  readonly events: string[];
  readonly runtimeCalls: string[];
  /** Creates a container `name` with a real read-write layer on the test image (or `opts.image`). */
  container(name: string, opts?: { readonly?: boolean; running?: boolean; user?: string; image?: string }): Promise<ContainerRecord>;
  /** Host path of a container's mounted root (mounted for the test, not counted). */
  rootOf(c: ContainerRecord): Promise<string>;
  invoke(method: 'GET' | 'HEAD' | 'PUT' | 'POST', p: string, body?: Buffer | unknown): Promise<InvokeResult>;
  close(): Promise<void>;
}

/** The image every test container runs: a tiny root filesystem. */
export async function fsWorld(): Promise<FsWorld> {
  const e = await imagesEngine(vfsStoragePlugin);
  const image = await testImage({
    tags: ['base:1'],
    layers: [{ 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n', 'etc/group': 'root:x:0:\napp:x:1001:\n', 'etc/hostname': 'container\n', 'bin/sh': 'not really a shell' }],
    cmd: ['sh'],
  });
  const loaded = await e.load(await dockerArchive([image]));
  if (loaded.status !== 200) throw new Error(`load failed: ${JSON.stringify(loaded.body)}`);
  const storage = e.drivers<StorageDriver>(drivers.storage).default();
  const containers = new Map<string, ContainerRecord>();
  const events: string[] = [];
  const runtimeCalls: string[] = [];
  let mounted = 0;
  const runtime = {
    capabilities: { pause: true },
    pause: async (id: string) => void runtimeCalls.push(`pause ${id}`),
    resume: async (id: string) => void runtimeCalls.push(`resume ${id}`),
  } as unknown as OciRuntime;
  const access: ContainerAccess = {
    get(ref) {
      const c = [...containers.values()].find((x) => x.Id === ref || x.Name === `/${ref.replace(/^\//, '')}` || (ref && x.Id.startsWith(ref)));
      if (!c) throw new NotFoundError(`No such container: ${ref}`);
      return c;
    },
    list: () => [...containers.values()],
    mountRootfs: async (c) => ((mounted++), storage.mount(c.Id)),
    unmountRootfs: async (c) => ((mounted--), storage.unmount(c.Id)),
    storage: () => storage,
    runtime: () => runtime,
    update: async () => {
      throw new Error('not used');
    },
    publish: (_c, action) => void events.push(action),
  };
  registerFsRoutes(e.router.forPlugin('core.containers'), access, { images: e.get(imageBackendRef) });

  const world: FsWorld = {
    e, imageId: image.id, storage, containers, events, runtimeCalls,
    mounts: () => mounted,
    async container(name, opts = {}) {
      const id = `${name}`.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a').slice(0, 64);
      const imageId = opts.image ?? image.id;
      const { parent } = await e.get(imageBackendRef).acquire(imageId, id);
      await storage.createReadWrite(id, { parent });
      const running = !!opts.running;
      const c = {
        Id: id, Name: `/${name}`, Image: imageId, Created: new Date().toISOString(), Path: 'sh', Args: [],
        State: { Status: running ? 'running' : 'created', Running: running, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '', FinishedAt: '' },
        RestartCount: 0, Driver: 'vfs', Platform: 'linux',
        Config: { Image: 'base:1', Cmd: ['sh'], Env: ['PATH=/bin'], Hostname: id.slice(0, 12), Labels: { from: 'container' }, User: opts.user ?? '' },
        HostConfig: { ReadonlyRootfs: !!opts.readonly },
        keel: { runtime: 'runc', storage: 'vfs', cgroupsPath: '', manuallyStopped: false, hasBeenStarted: running, generation: 0 },
      } as unknown as ContainerRecord;
      containers.set(id, c);
      return c;
    },
    rootOf: (c) => storage.mount(c.Id),
    invoke(method, p, body) {
      if (method === 'PUT') return e.router.invoke({ method, path: p, bodyStream: Readable.from([body as Buffer]) });
      return e.router.invoke({ method, path: p, ...(body === undefined ? {} : { body }) });
    },
    close: () => e.stop(),
  };
  return world;
}

/** Entries of a tar: `path` → content (files), `-> target` (symlinks), `dir`/type otherwise. */
export async function tarListing(data: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const { header, body } of readTar(Readable.from([data]))) {
    if (header.type === 'file') out[header.path] = (await bytesOf(body)).toString();
    else if (header.type === 'symlink') out[header.path] = `-> ${header.linkpath}`;
    else out[header.path] = header.type;
  }
  return out;
}

/** A canary directory outside every root: nothing may ever appear in it or be read from it. */
export async function canary(base: string): Promise<string> {
  const dir = path.join(base, 'canary');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'secret'), 'host secret\n');
  return dir;
}

/** Creates `link` → `target` in a root (the test plays the container writing it). */
export function plantLink(root: string, link: string, target: string): Promise<void> {
  return symlink(target, path.join(root, link));
}
