/**
 * The OCI image layout: `oci-layout`, `index.json` and `blobs/<alg>/<hex>`. Each top-level
 * descriptor is an image manifest or an index (multi-platform: the host's platform is chosen;
 * attestation manifests are skipped). Names come from the `io.containerd.image.name` annotation,
 * or from `org.opencontainers.image.ref.name` when that is a full reference (a bare tag such as
 * `latest` names no repository, so such images load untagged). Manifests and configs are checked
 * against their digests here; layer blobs when they are read.
 */
import { InvalidArgumentError } from '@keel/sdk';
import { sha256 } from './blob-store.js';
import {
  hasFile, insideRoot, invalidArchive, parseArchiveJson, readArchiveFile,
  type ArchiveImage,
} from './archive-files.js';
import { MAX_CONFIG_BYTES } from './image-config.js';
import { parseReference, type ImageReference } from './reference.js';

interface Descriptor {
  mediaType?: string;
  digest?: unknown;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface OciDocument {
  mediaType?: string;
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

/** The host platform an index entry must match. */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
}

function blobName(desc: Descriptor | undefined, what: string): string {
  if (!desc || typeof desc.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(desc.digest)) invalidArchive(`${what} has no valid sha256 digest`);
  return `blobs/sha256/${desc.digest.slice(7)}`;
}

/** Reads a small blob (manifest, config) and checks it against its descriptor. */
async function readBlob(root: string, desc: Descriptor, what: string, max?: number): Promise<Buffer> {
  const name = blobName(desc, what);
  const bytes = await readArchiveFile(await insideRoot(root, name), name, max);
  if (sha256(bytes) !== desc.digest) invalidArchive(`${what} ${desc.digest as string} does not match its content`);
  return bytes;
}

function referenceFrom(annotations: Record<string, string> = {}): ImageReference | undefined {
  const full = annotations['io.containerd.image.name'];
  const refName = annotations['org.opencontainers.image.ref.name'];
  const candidate = full ?? (refName && /[/:]/.test(refName) ? refName : undefined);
  if (!candidate) return undefined;
  try {
    const ref = parseReference(candidate);
    return ref.digest ? undefined : ref;
  } catch (err) {
    throw new InvalidArgumentError(`invalid archive: image name ${JSON.stringify(candidate)} in index.json: ${(err as Error).message}`, { cause: err });
  }
}

function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || d.platform?.os === 'unknown';
}

/** The images of the OCI layout unpacked at `root`. */
export async function readOciLayout(root: string, platform: Platform): Promise<ArchiveImage[]> {
  const index = parseArchiveJson<OciDocument>(await readArchiveFile(await insideRoot(root, 'index.json'), 'index.json'), 'index.json');
  if (!index || !Array.isArray(index.manifests)) invalidArchive('index.json has no list of manifests');
  const byDigest = new Map<string, { image: ArchiveImage; tags: ImageReference[] }>();
  const visit = async (desc: Descriptor, ref: ImageReference | undefined, depth: number): Promise<void> => {
    if (depth > 4) invalidArchive('index.json nests indexes too deeply');
    const doc = parseArchiveJson<OciDocument>(await readBlob(root, desc, 'manifest'), `manifest ${desc.digest as string}`);
    if (INDEX_TYPES.has(doc.mediaType ?? desc.mediaType ?? '') || Array.isArray(doc.manifests)) {
      const candidates = (doc.manifests ?? []).filter((m) => !isAttestation(m));
      const match = candidates.find((m) => !m.platform || (m.platform.os === platform.os && m.platform.architecture === platform.architecture));
      if (!match) invalidArchive(`index ${desc.digest as string} has no manifest for ${platform.os}/${platform.architecture}`);
      return visit(match, ref, depth + 1);
    }
    if (!doc.config || !Array.isArray(doc.layers)) invalidArchive(`manifest ${desc.digest as string} has no config or layers`);
    const key = desc.digest as string;
    let entry = byDigest.get(key);
    if (!entry) {
      const layers = await Promise.all(doc.layers.map(async (l, i) => {
        const name = blobName(l, `layer ${i + 1} of manifest ${key}`);
        return { file: await insideRoot(root, name), name, blobDigest: l.digest as string };
      }));
      const configBytes = await readBlob(root, doc.config, 'config', MAX_CONFIG_BYTES);
      const tags: ImageReference[] = [];
      entry = { image: { configBytes, configName: blobName(doc.config, 'config'), layers, tags }, tags };
      byDigest.set(key, entry);
    }
    if (ref) entry.tags.push(ref);
  };
  for (const desc of index.manifests) {
    if (isAttestation(desc)) continue;
    await visit(desc, referenceFrom(desc.annotations), 0);
  }
  return [...byDigest.values()].map((e) => e.image);
}

/** True when `root` holds an OCI image layout. */
export async function isOciLayout(root: string): Promise<boolean> {
  return (await hasFile(root, 'oci-layout')) && (await hasFile(root, 'index.json'));
}
