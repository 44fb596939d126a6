/**
 * Docker's image config JSON (the part keel reads) and its validation. Configs are kept as the
 * exact bytes they came in (the image ID is their sha256); this only parses and checks them.
 */
import { InvalidArgumentError } from '@keel/sdk';

/** A history entry. */
export interface HistoryEntry {
  readonly created?: string;
  readonly created_by?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
  readonly author?: string;
}

/** What an image config holds that keel reads. */
export interface ImageConfig {
  readonly architecture?: string;
  readonly os?: string;
  readonly variant?: string;
  readonly created?: string;
  readonly author?: string;
  readonly comment?: string;
  readonly docker_version?: string;
  readonly container?: string;
  readonly config?: (Record<string, unknown> & { Labels?: Record<string, string> | null }) | null;
  readonly container_config?: Record<string, unknown> | null;
  readonly rootfs?: { type: string; diff_ids: string[] };
  readonly history?: HistoryEntry[];
}

/** Largest config accepted: real ones are a few KiB; this bounds memory (hostile input #14). */
export const MAX_CONFIG_BYTES = 8 << 20;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parses and checks config bytes; `what` names them in errors. */
export function parseImageConfig(bytes: Buffer, what = 'image config'): ImageConfig {
  if (bytes.length > MAX_CONFIG_BYTES) throw new InvalidArgumentError(`${what} is larger than ${MAX_CONFIG_BYTES} bytes`);
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidArgumentError(`${what} is not valid JSON`);
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new InvalidArgumentError(`${what} is not a JSON object`);
  const c = config as ImageConfig;
  const rootfs = c.rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  if (!rootfs || typeof rootfs !== 'object') throw new InvalidArgumentError(`${what} has no rootfs`);
  if (rootfs.type !== 'layers') throw new InvalidArgumentError(`${what} has rootfs type ${JSON.stringify(rootfs.type)}, not "layers"`);
  const diffIds = rootfs.diff_ids ?? [];
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && DIGEST.test(d))) {
    throw new InvalidArgumentError(`${what} has invalid rootfs.diff_ids (sha256 digests expected)`);
  }
  if (c.os !== undefined && c.os !== 'linux') throw new InvalidArgumentError(`cannot load ${c.os} image on linux`);
  if (c.history !== undefined && !Array.isArray(c.history)) throw new InvalidArgumentError(`${what} has a history that is not a list`);
  if (c.config !== undefined && c.config !== null && (typeof c.config !== 'object' || Array.isArray(c.config))) {
    throw new InvalidArgumentError(`${what} has a config that is not an object`);
  }
  return c;
}

/** The DiffIDs of a parsed config. */
export function diffIdsOf(config: ImageConfig): string[] {
  return config.rootfs?.diff_ids ?? [];
}
