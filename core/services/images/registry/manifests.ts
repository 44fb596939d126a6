/**
 * Image manifests as registries serve them: Docker schema2 and OCI manifests, Docker manifest
 * lists and OCI indexes (the host's linux/<arch> is chosen, attestations skipped). Every field
 * keel relies on is checked here, so a registry that sends garbage gets a clear error instead of
 * a crash further down. Schema1 is refused as Docker 28 does.
 */
import { InvalidArgumentError } from '@keel/sdk';
import { badResponse } from './registry-errors.js';

/** Media types. */
export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
} as const;

/** The `Accept` header of manifest requests. */
export const MANIFEST_ACCEPT = [MEDIA.dockerManifest, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.ociIndex].join(', ');

/** Largest manifest accepted (Distribution's own limit is 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 << 20;

/** A content descriptor. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly platform?: { readonly os?: string; readonly architecture?: string; readonly variant?: string };
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An image manifest. */
export interface ImageManifest {
  readonly kind: 'image';
  readonly mediaType: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

/** A manifest list / index. */
export interface ManifestIndex {
  readonly kind: 'index';
  readonly mediaType: string;
  readonly manifests: readonly Descriptor[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function descriptor(d: unknown, what: string): Descriptor {
  const o = d as Partial<Descriptor> | null;
  if (!o || typeof o !== 'object') throw badResponse(`invalid manifest: ${what} is not an object`);
  if (typeof o.digest !== 'string' || !DIGEST.test(o.digest)) throw badResponse(`invalid manifest: ${what} has no valid sha256 digest`);
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) throw badResponse(`invalid manifest: ${what} has no valid size`);
  return { ...o, mediaType: typeof o.mediaType === 'string' ? o.mediaType : '' } as Descriptor;
}

/** Parses manifest bytes; `contentType` is the registry's Content-Type header. */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ImageManifest | ManifestIndex {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw badResponse(`error parsing manifest: the registry sent something that is not JSON (Content-Type ${contentType ?? 'none'})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw badResponse('invalid manifest: not a JSON object');
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : (contentType ?? '').split(';')[0]!.trim();
  if (doc.schemaVersion === 1 || mediaType.startsWith('application/vnd.docker.distribution.manifest.v1')) {
    throw new InvalidArgumentError('Docker Image manifest version 2, schema 1 is not supported: push the image again with a current client');
  }
  if (Array.isArray(doc.manifests)) {
    return { kind: 'index', mediaType, manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)) };
  }
  if (!Array.isArray(doc.layers)) throw badResponse(`invalid manifest: no layers (media type ${mediaType || 'unknown'})`);
  return { kind: 'image', mediaType, config: descriptor(doc.config, 'config'), layers: doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)) };
}

/** The entry of an index for `platform` (`os/arch[/variant]`), skipping attestations. */
export function choosePlatform(index: ManifestIndex, platform: { os: string; architecture: string; variant?: string }): Descriptor {
  const candidates = index.manifests.filter((m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' && m.platform?.os !== 'unknown');
  const match = candidates.find((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture && (!platform.variant || m.platform?.variant === platform.variant))
    ?? candidates.find((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture);
  if (!match) throw new InvalidArgumentError(`no matching manifest for ${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''} in the manifest list entries`, { code: 'ERR_NO_PLATFORM' });
  return match;
}

/** Whether layers of this media type can be unpacked (foreign/non-distributable ones are fetched too; unknown types are refused). */
export function checkLayerType(d: Descriptor): void {
  const t = d.mediaType;
  const ok = t === '' || /^application\/vnd\.(docker\.image\.rootfs\.(foreign\.)?diff\.tar(\.gzip|\.zstd)?|oci\.image\.layer\.(nondistributable\.)?v1\.tar(\+gzip|\+zstd)?)$/.test(t);
  if (!ok) throw new InvalidArgumentError(`unsupported layer media type ${t}`);
}
