/**
 * Builders for the image service's unit tests (not used at run time): layer tars, image configs,
 * and whole archives in the docker-save (≤ 24 and 25+) and OCI layout formats.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { AnyPlugin } from '@keel/sdk';
import { TarWriter, type TarHeader } from '@keel/sdk/tar';
import { startTestEngine, type InvokeRequest, type InvokeResult, type TestEngine } from '@keel/sdk/testkit';
import { sha256 } from './blob-store.js';
import { imagesServicePlugin } from './index.js';
import { chainIds } from './layer-store.js';

/** Everything a stream yields. */
export async function bytesOf(r: Readable | AsyncIterable<Buffer | Uint8Array | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts);
}

/** A tar entry: header fields (defaults: root-owned, 0644/0755, mtime 2023-11-14) and content. */
export type Entry = Partial<TarHeader> & { path: string; type?: TarHeader['type']; content?: string | Buffer };

/** A tar archive of `entries`. */
export async function tarOf(entries: readonly Entry[]): Promise<Buffer> {
  const w = new TarWriter();
  const out = bytesOf(w.readable);
  for (const { content, ...h } of entries) {
    const body = content === undefined ? undefined : Buffer.from(content);
    const type = h.type ?? 'file';
    await w.add({ mode: type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: 1_700_000_000, size: body?.length ?? 0, ...h, type }, body);
  }
  await w.finish();
  return out;
}

/** A test image: its layer tars, config bytes and the IDs Docker would compute. */
export interface TestImage {
  readonly tags: string[];
  readonly layers: Buffer[];
  readonly diffIds: string[];
  readonly chainIds: string[];
  readonly config: Buffer;
  readonly id: string;
}

/** Options of {@link testImage}. */
export interface TestImageOptions {
  readonly tags?: string[];
  /** Files per layer (path → content); a layer may also be given as raw tar bytes. */
  readonly layers: ReadonlyArray<Record<string, string> | Buffer>;
  readonly labels?: Record<string, string>;
  readonly created?: string;
  readonly cmd?: string[];
  /** Extra top-level config fields. */
  readonly extra?: Record<string, unknown>;
}

/** Builds an image (configs as `docker build` writes them, one history entry per layer plus one empty). */
export async function testImage(o: TestImageOptions): Promise<TestImage> {
  const layers = await Promise.all(o.layers.map((l) => (Buffer.isBuffer(l) ? l : tarOf(Object.entries(l).map(([path, content]) => ({ path, content }))))));
  const diffIds = layers.map((l) => sha256(l));
  const created = o.created ?? '2024-01-01T00:00:00Z';
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created,
    config: { Env: ['PATH=/usr/bin:/bin'], Cmd: o.cmd ?? ['sh'], Labels: o.labels ?? null },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [...layers.map((_, i) => ({ created, created_by: `layer ${i}` })), { created, created_by: 'CMD ["sh"]', empty_layer: true }],
    ...o.extra,
  }));
  return { tags: o.tags ?? [], layers, diffIds, chainIds: chainIds(diffIds), config, id: sha256(config) };
}

/** Options of {@link dockerArchive}. */
export interface ArchiveOptions {
  /** Docker 25+ layout (blobs/sha256/…) instead of `<dir>/layer.tar` + `<hex>.json`. */
  readonly blobs?: boolean;
  readonly gzipLayers?: boolean;
  /** Replaces the manifest.json text. */
  readonly manifest?: string;
  /** Extra entries (hostile ones, say), written first. */
  readonly extra?: readonly Entry[];
}

/** A docker-save archive of `images`. */
export async function dockerArchive(images: readonly TestImage[], o: ArchiveOptions = {}): Promise<Buffer> {
  const entries: Entry[] = [...(o.extra ?? [])];
  const manifest = [];
  const seen = new Set<string>();
  for (const img of images) {
    const layerPaths = img.layers.map((l, i) => (o.blobs ? `blobs/sha256/${img.diffIds[i]!.slice(7)}` : `${img.chainIds[i]!.slice(7)}/layer.tar`));
    for (const [i, l] of img.layers.entries()) {
      if (seen.has(layerPaths[i]!)) continue;
      seen.add(layerPaths[i]!);
      entries.push({ path: layerPaths[i]!, content: o.gzipLayers ? gzipSync(l) : l });
    }
    const configPath = o.blobs ? `blobs/sha256/${img.id.slice(7)}` : `${img.id.slice(7)}.json`;
    entries.push({ path: configPath, content: img.config });
    manifest.push({ Config: configPath, RepoTags: img.tags.length ? img.tags : null, Layers: layerPaths });
  }
  entries.push({ path: 'manifest.json', content: o.manifest ?? JSON.stringify(manifest) });
  return tarOf(entries);
}

/** Options of {@link ociArchive}. */
export interface OciOptions {
  readonly gzipLayers?: boolean;
  /** Wrap each manifest in a multi-platform index with an arm64 sibling and an attestation. */
  readonly nested?: boolean;
  /** Annotations per image (default: io.containerd.image.name from its first tag). */
  readonly annotations?: ReadonlyArray<Record<string, string> | undefined>;
  /** Corrupt one layer blob's bytes (not its name). */
  readonly corruptLayer?: boolean;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** The host architecture in Go's words (what multi-platform indexes are matched against). */
export const HOST_ARCH = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;

/** An OCI image layout archive of `images`. */
export async function ociArchive(images: readonly TestImage[], o: OciOptions = {}): Promise<Buffer> {
  const blobs = new Map<string, Buffer>();
  const put = (data: Buffer) => {
    const digest = sha256(data);
    blobs.set(digest, data);
    return { digest, size: data.length };
  };
  const manifests = [];
  for (const [n, img] of images.entries()) {
    const layers = img.layers.map((l) => {
      const data = o.gzipLayers ? gzipSync(l) : l;
      return { mediaType: `application/vnd.oci.image.layer.v1.tar${o.gzipLayers ? '+gzip' : ''}`, ...put(data) };
    });
    if (o.corruptLayer && layers[0]) blobs.set(layers[0].digest, Buffer.concat([blobs.get(layers[0].digest)!, Buffer.alloc(512)]));
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(img.config) }, layers };
    let desc: Record<string, unknown> = { mediaType: manifest.mediaType, ...put(json(manifest)) };
    if (o.nested) {
      const other = put(json({ ...manifest, config: { ...manifest.config, digest: `sha256:${'0'.repeat(64)}` } }));
      const index = {
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { mediaType: manifest.mediaType, ...other, platform: { os: 'linux', architecture: HOST_ARCH === 's390x' ? 'arm64' : 's390x' } },
          { ...desc, platform: { os: 'linux', architecture: HOST_ARCH } },
          { mediaType: manifest.mediaType, ...other, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
        ],
      };
      desc = { mediaType: index.mediaType, ...put(json(index)) };
    }
    const annotations = o.annotations ? o.annotations[n] : img.tags[0] ? { 'io.containerd.image.name': img.tags[0], 'org.opencontainers.image.ref.name': 'latest' } : undefined;
    manifests.push({ ...desc, ...(annotations ? { annotations } : {}) });
  }
  const entries: Entry[] = [
    { path: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
    { path: 'index.json', content: json({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }) },
    { path: 'blobs/', type: 'dir' },
    { path: 'blobs/sha256/', type: 'dir' },
    ...[...blobs].map(([d, data]) => ({ path: `blobs/sha256/${d.slice(7)}`, content: data })),
  ];
  return tarOf(entries);
}

/** A test engine with a storage driver plugin (vfs in these tests) and the image service. */
export async function imagesEngine(storage: AnyPlugin, extra: readonly AnyPlugin[] = [], maxLoadBytes = 1 << 30): Promise<ImagesTestEngine> {
  const engine = await startTestEngine({ plugins: [storage, imagesServicePlugin, ...extra], pluginConfig: { 'core.images': { maxLoadBytes } } });
  const invoke = (method: InvokeRequest['method'], path: string, body?: Buffer) => engine.router.invoke({ method, path, ...(body ? { bodyStream: Readable.from([body]) } : {}) });
  return Object.assign(engine, {
    invoke,
    load: (archive: Buffer, quiet = true) => invoke('POST', `/images/load?quiet=${quiet ? 1 : 0}`, archive),
    list: async (query = '') => (await invoke('GET', `/images/json${query}`)).body as Array<Record<string, unknown>>,
    tree: async () => listFiles(path.join(engine.root, 'data')),
  });
}

/** A test engine with shortcuts. */
export type ImagesTestEngine = TestEngine & {
  invoke(method: InvokeRequest['method'], path: string, body?: Buffer): Promise<InvokeResult>;
  load(archive: Buffer, quiet?: boolean): Promise<InvokeResult>;
  list(query?: string): Promise<Array<Record<string, unknown>>>;
  /** Every file (not directory) under the data root, relative. */
  tree(): Promise<string[]>;
};

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => [])) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, p)));
    else out.push(p);
  }
  return out.sort();
}
