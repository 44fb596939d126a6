/**
 * Names and options of `local` volumes, checked the way Docker's local driver checks them so
 * users see the same messages (`invalid option key: "x"`, `missing required option: "device"`).
 */
import { InvalidArgumentError } from '@keel/sdk';

/** The options a `local` volume understands; with none, it is a plain directory. */
export interface LocalOptions {
  /** Filesystem type for `mount -t` (`tmpfs`, `nfs`, `ext4`, `none` for a bind). */
  readonly type?: string;
  /** What to mount (`tmpfs`, `:/export`, `/dev/sdb1`, a host directory for a bind). */
  readonly device?: string;
  /** `mount -o` options (`size=64m,uid=1000`, `addr=10.0.0.1,rw`, `bind`). */
  readonly o?: string;
}

const KNOWN = new Set(['type', 'device', 'o', 'size']);
/** Which options each option needs beside it (`o` alone would mount nothing). */
const NEEDS: Record<string, readonly string[]> = { type: ['device'], device: ['type'], o: ['device', 'type'] };
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Checks a volume name: it becomes a directory name, so nothing that could leave the root. */
export function checkVolumeName(name: string): void {
  if (typeof name !== 'string' || name.length < 2) {
    throw new InvalidArgumentError('volume name is too short, names should be at least two alphanumeric characters');
  }
  if (!NAME.test(name)) {
    throw new InvalidArgumentError(`"${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

/** Validates `-o` options (keys in a stable order, so the first error is always the same one). */
export function parseLocalOptions(raw: Readonly<Record<string, string>> = {}): LocalOptions {
  const keys = Object.keys(raw).sort();
  for (const key of keys) {
    if (!KNOWN.has(key)) throw new InvalidArgumentError(`invalid option key: "${key}"`);
    if (typeof raw[key] !== 'string') throw new InvalidArgumentError(`invalid option value for "${key}": expected a string`);
  }
  // Quotas need project quotas on the backing filesystem (xfs); keel does not set them up.
  if ('size' in raw) throw new InvalidArgumentError('quota size requested but no quota support');
  for (const key of keys) {
    for (const needed of NEEDS[key] ?? []) {
      if (!(needed in raw)) throw new InvalidArgumentError(`missing required option: "${needed}"`);
    }
  }
  return { type: raw.type, device: raw.device, o: raw.o };
}

/** True when the volume's data lives on a mount of its own rather than in its directory. */
export function needsMount(opts: LocalOptions): boolean {
  return opts.type !== undefined || opts.device !== undefined;
}
