/**
 * The first half of a pull: the manifest for a tag or digest (an index resolved to the host's
 * platform), verified against the digest asked for or the registry's `Docker-Content-Digest`,
 * and the image config, verified against its descriptor and checked against the layer count.
 */
import { InvalidArgumentError } from '@keel/sdk';
import { sha256 } from '../blob-store.js';
import { diffIdsOf, MAX_CONFIG_BYTES, parseImageConfig, type ImageConfig } from '../image-config.js';
import { familiarString, type ImageReference } from '../reference.js';
import { readBody } from './http-client.js';
import { checkLayerType, choosePlatform, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, parseManifest, type ImageManifest, type ManifestIndex } from './manifests.js';
import { badResponse, responseError } from './registry-errors.js';
import type { RegistrySession } from './registry-session.js';

/** A resolved image: what to download and what to record. */
export interface ResolvedImage {
  /** The digest references will carry (the index's, when the tag names an index, as Docker records). */
  readonly repoDigest: string;
  readonly manifest: ImageManifest;
  readonly configBytes: Buffer;
  readonly config: ImageConfig;
  readonly diffIds: readonly string[];
}

/** The platform to pull. */
export interface PullPlatform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

async function fetchManifest(s: RegistrySession, ref: ImageReference, reference: string): Promise<{ doc: ImageManifest | ManifestIndex; digest: string }> {
  const res = await s.request('GET', `/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT } });
  if (res.statusCode !== 200) {
    const err = await responseError(res, `manifest for ${familiarString(ref)}`);
    if (err.kind === 'PermissionDenied') throw new InvalidArgumentError(`pull access denied for ${familiarString({ ...ref, tag: undefined, digest: undefined })}, repository does not exist or may require 'docker login': ${err.message}`, { code: err.code });
    throw err;
  }
  const bytes = await readBody(res, MAX_MANIFEST_BYTES).catch((err: Error) => Promise.reject(badResponse(`manifest for ${familiarString(ref)}: ${err.message}`)));
  const digest = sha256(bytes);
  if (reference.startsWith('sha256:') && digest !== reference) throw badResponse(`manifest verification failed for digest ${reference}: the registry sent ${digest}`);
  const claimed = res.headers['docker-content-digest'];
  if (typeof claimed === 'string' && claimed.startsWith('sha256:') && claimed !== digest) throw badResponse(`manifest for ${familiarString(ref)}: content does not match the registry's Docker-Content-Digest ${claimed}`);
  return { doc: parseManifest(bytes, res.headers['content-type']), digest };
}

/** Resolves `ref` (tag or digest) at the session's repository. */
export async function resolveImage(s: RegistrySession, ref: ImageReference, platform: PullPlatform): Promise<ResolvedImage> {
  const top = await fetchManifest(s, ref, ref.digest ?? ref.tag ?? 'latest');
  let doc = top.doc;
  if (doc.kind === 'index') {
    const entry = choosePlatform(doc, platform);
    doc = (await fetchManifest(s, ref, entry.digest)).doc;
    if (doc.kind !== 'image') throw badResponse(`manifest ${entry.digest} of ${familiarString(ref)} is an index inside an index`);
  }
  for (const l of doc.layers) checkLayerType(l);
  const res = await s.request('GET', `/blobs/${doc.config.digest}`);
  if (res.statusCode !== 200) throw await responseError(res, `image config ${doc.config.digest}`);
  const configBytes = await readBody(res, MAX_CONFIG_BYTES).catch((err: Error) => Promise.reject(badResponse(`image config ${doc.config.digest}: ${err.message}`)));
  if (sha256(configBytes) !== doc.config.digest) throw badResponse(`image config verification failed for digest ${doc.config.digest}`);
  const config = parseImageConfig(configBytes);
  const diffIds = diffIdsOf(config);
  if (diffIds.length !== doc.layers.length) throw badResponse(`invalid image: the manifest lists ${doc.layers.length} layers, the config ${diffIds.length}`);
  return { repoDigest: top.digest, manifest: doc, configBytes, config, diffIds };
}
