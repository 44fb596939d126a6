/**
 * Docker image references (distribution's grammar): `busybox` means
 * `docker.io/library/busybox:latest`; a first component with a dot, a colon or `localhost` is a
 * registry; tags and digests as Docker accepts them. Errors use Docker's words.
 */
import { InvalidArgumentError } from '@keel/sdk';

/** A parsed, normalised reference. */
export interface ImageReference {
  /** Registry host[:port], `docker.io` by default. */
  readonly domain: string;
  /** Repository path (`library/busybox`). */
  readonly path: string;
  /** Tag, if any (normalised references without a digest get `latest`). */
  readonly tag?: string;
  /** Digest (`sha256:…`), if any. */
  readonly digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:localhost|(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?))*|\[[0-9A-Fa-f:.]+\])(?::\d+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const HEX64 = /^[a-f0-9]{64}$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

function invalid(detail?: string): never {
  throw new InvalidArgumentError(detail ? `invalid reference format: ${detail}` : 'invalid reference format', { code: 'ERR_REFERENCE' });
}

/** Parses and normalises `input`; `defaultTag` (null: none) applies when it has neither tag nor digest. */
export function parseReference(input: string, defaultTag: string | null = 'latest'): ImageReference {
  if (!input || input.length > 512) invalid();
  if (HEX64.test(input)) throw new InvalidArgumentError(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`, { code: 'ERR_REFERENCE' });
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest) || (digest.startsWith('sha256:') && !SHA256.test(digest))) invalid();
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) invalid();
  }
  const parts = rest.split('/');
  let domain = 'docker.io';
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost' || parts[0] !== parts[0]!.toLowerCase())) {
    domain = parts.shift()!;
    if (!DOMAIN.test(domain)) invalid();
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && parts.length === 1) parts.unshift('library');
  if (parts.some((p) => p !== p.toLowerCase())) invalid(`repository name (${parts.join('/')}) must be lowercase`);
  if (parts.some((p) => !COMPONENT.test(p))) invalid();
  const path = parts.join('/');
  if (`${domain}/${path}`.length > 255) invalid('repository name must not be more than 255 characters');
  if (!tag && !digest && defaultTag) tag = defaultTag;
  return { domain, path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The repository name in full (`docker.io/library/busybox`). */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The repository as users write it (`busybox`, `localhost:5000/team/app`). */
export function familiarRepository(ref: ImageReference): string {
  if (ref.domain !== 'docker.io') return `${ref.domain}/${ref.path}`;
  return ref.path.startsWith('library/') && ref.path.split('/').length === 2 ? ref.path.slice('library/'.length) : ref.path;
}

/** The whole reference as users write it (`busybox:latest`, `app@sha256:…`). */
export function familiarString(ref: ImageReference): string {
  return `${familiarRepository(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The canonical key a reference is stored under (`docker.io/library/busybox:latest`). */
export function referenceKey(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** True for a full or short hex image id (`sha256:` optional), which is never a name to parse. */
export function looksLikeId(s: string): boolean {
  return /^(sha256:)?[a-f0-9]{12,64}$/.test(s);
}

/** True when `s` names image `id` by ID or ID prefix (`sha256:ab…` or `ab…`), as moby decides for rmi. */
export function isIdPrefix(id: string, s: string): boolean {
  return s.length > 0 && (id.startsWith(s) || id.slice(id.indexOf(':') + 1).startsWith(s));
}

/**
 * The reference `docker tag` and `docker import` name with `repo` and `tag` (moby's
 * RepoTagReference): `tag` replaces any tag in `repo`, `latest` is the default, digests are refused.
 */
export function tagReference(repo: string, tag?: string): ImageReference {
  const ref = parseReference(repo, null);
  if (ref.digest) throw new InvalidArgumentError('cannot import digest reference', { code: 'ERR_REFERENCE' });
  const t = tag || ref.tag || 'latest';
  if (!TAG.test(t)) invalid();
  if (familiarRepository(ref) === 'sha256') throw new InvalidArgumentError('refusing to create an ambiguous tag using digest algorithm as name', { code: 'ERR_REFERENCE' });
  return { domain: ref.domain, path: ref.path, tag: t };
}
