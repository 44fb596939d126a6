/**
 * Reading files of an unpacked image archive: every path named by the archive's own JSON is
 * resolved inside the staging directory (symlinks included), and JSON documents are size-capped.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '@keel/sdk';
import type { ImageReference } from './reference.js';
import { parseReference } from './reference.js';

/** One layer of an archive image, as found in the archive. */
export interface ArchiveLayer {
  /** The staged file (maybe compressed). */
  readonly file: string;
  /** The name the archive gave it, for messages. */
  readonly name: string;
  /** The digest its descriptor promises (OCI blobs), checked when the file is read. */
  readonly blobDigest?: string;
}

/** One image of an archive. */
export interface ArchiveImage {
  readonly configBytes: Buffer;
  /** Where the config came from, for messages. */
  readonly configName: string;
  /** Base first. */
  readonly layers: readonly ArchiveLayer[];
  /** References to point at the image. */
  readonly tags: readonly ImageReference[];
}

/** Largest JSON document (manifest.json, index.json, a manifest) read from an archive. */
export const MAX_ARCHIVE_JSON_BYTES = 16 << 20;

/** An archive-format error (400) with Docker-like wording. */
export function invalidArchive(message: string): never {
  throw new InvalidArgumentError(`invalid archive: ${message}`, { code: 'ERR_ARCHIVE' });
}

/** Resolves `rel` inside `root`, following symlinks, refusing anything that leaves it or is not a file. */
export async function insideRoot(root: string, rel: unknown): Promise<string> {
  if (typeof rel !== 'string' || !rel) invalidArchive('an entry names an empty path');
  const realRoot = await realpath(root);
  const real = await realpath(path.resolve(realRoot, rel)).catch(() => invalidArchive(`${rel} is missing from the archive`));
  if (real !== realRoot && !real.startsWith(`${realRoot}/`)) invalidArchive(`${rel} points outside the archive`);
  if (!(await stat(real)).isFile()) invalidArchive(`${rel} is not a regular file`);
  return real;
}

/** Reads a file of the archive, refusing one larger than `max`. */
export async function readArchiveFile(file: string, name: string, max = MAX_ARCHIVE_JSON_BYTES): Promise<Buffer> {
  if ((await stat(file)).size > max) invalidArchive(`${name} is larger than ${max} bytes`);
  return readFile(file);
}

/** Parses a JSON document of the archive. */
export function parseArchiveJson<T>(bytes: Buffer, name: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return invalidArchive(`failed to decode ${name}: not valid JSON`);
  }
}

/** True when `name` is a regular file at the archive's top level. */
export async function hasFile(root: string, name: string): Promise<boolean> {
  return stat(path.join(root, name)).then((s) => s.isFile(), () => false);
}

/** Parses a `RepoTags` entry: it must name a repository and a tag (moby: `invalid tag`). */
export function parseRepoTag(tag: unknown): ImageReference {
  if (typeof tag !== 'string') invalidArchive(`a repository tag is not a string: ${JSON.stringify(tag)}`);
  const ref = parseReference(tag, null);
  if (!ref.tag || ref.digest) invalidArchive(`invalid tag ${JSON.stringify(tag)}`);
  return ref;
}
