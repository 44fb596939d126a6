/**
 * Where overlay2 keeps things, on Docker's on-disk layout:
 * - `<root>/<id>/diff`   the layer's own files (the overlay upper dir, or one of the lowers);
 * - `<root>/<id>/link`   the layer's short name, 26 random characters;
 * - `<root>/l/<short>`   a symlink to `../<id>/diff`, so lower dirs can be named in 28 bytes;
 * - `<root>/<id>/lower`  `l/<short>` of every ancestor, nearest first, colon-separated;
 * - `<root>/<id>/work`   overlayfs's work dir; present only for read-write layers;
 * - `<root>/<id>/merged` where the layer is mounted.
 * Names starting with `.` are the driver's own scratch (never a valid id), so a crash can leave
 * them behind without them ever being listed as layers.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InternalError, InvalidArgumentError } from '@keel/sdk';
import { assertLayerId } from '@keel/sdk/layers';

/** The directory of short links. */
export const LINK_DIR = 'l';
/** Most ancestors a layer may have; Docker's limit, and what the 4 KiB mount-option page holds. */
export const MAX_DEPTH = 125;
/** overlayfs rejects option strings longer than one page (the mount(2) data argument). */
export const MAX_MOUNT_OPTIONS = 4095;

const LINK_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const LINK_NAME = /^[A-Z2-7]{26}$/;

/** A fresh Docker-style short link name (base32 alphabet, 130 random bits). */
export function newLinkName(): string {
  return [...randomBytes(26)].map((b) => LINK_CHARS[b & 31]).join('');
}

/** True for names {@link newLinkName} makes; anything else found in `l/` or `link` is ignored. */
export function isLinkName(name: string): boolean {
  return LINK_NAME.test(name);
}

/** Paths of one overlay2 root; every path built from an id passes through {@link assertId}. */
export class OverlayLayout {
  constructor(readonly root: string) {}

  /** Throws InvalidArgument for ids that are unsafe as a directory name or reserved (`l`). */
  assertId(id: string): void {
    assertLayerId(id);
    if (id === LINK_DIR) throw new InvalidArgumentError(`invalid layer id "${id}": reserved by overlay2`);
  }

  /** `<root>/<id>/<parts…>`. */
  dir(id: string, ...parts: string[]): string {
    this.assertId(id);
    return path.join(this.root, id, ...parts);
  }

  /** `<root>/l/<short>`. */
  linkPath(short: string): string {
    return path.join(this.root, LINK_DIR, short);
  }

  /** A scratch name in the root (`.tmp-…`, `.rm-…`, `.probe-…`). */
  scratch(kind: string): string {
    return path.join(this.root, `.${kind}-${randomBytes(6).toString('hex')}`);
  }

  /** The layer's short link name, if it has a valid one. */
  async readLink(id: string): Promise<string | undefined> {
    const short = (await readFile(this.dir(id, 'link'), 'utf8').catch(() => '')).trim();
    return isLinkName(short) ? short : undefined;
  }

  /** The layer's ancestors as `l/<short>` (relative to the root), nearest first. */
  async readLowers(id: string): Promise<string[]> {
    const text = (await readFile(this.dir(id, 'lower'), 'utf8').catch(() => '')).trim();
    const lowers = text ? text.split(':') : [];
    // The file is ours, but it becomes mount options: a tampered one must not smuggle options in.
    const bad = lowers.find((l) => !l.startsWith(`${LINK_DIR}/`) || !isLinkName(l.slice(LINK_DIR.length + 1)));
    if (bad !== undefined) throw new InternalError(`layer ${id} has a corrupt lower file (entry ${JSON.stringify(bad)})`);
    return lowers;
  }
}
