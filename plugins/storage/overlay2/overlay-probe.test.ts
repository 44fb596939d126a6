/**
 * The probe decides whether storage.overlay2 runs or is skipped, and says why. Each host check is
 * replaced in turn to fail; one real case points the probe at a directory on overlayfs itself.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mountOverlay, mountsUnder, unmountPath } from './overlay-mounts.js';
import { PREFERRED_OPTIONS, probeOverlay, systemOverlayHost, type OverlayHost } from './overlay-probe.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'keel-ovl-probe-'));
});
afterEach(async () => {
  try {
    for (const m of await mountsUnder(root)) await unmountPath(m);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

/** A host where everything works, with `changes` applied; records the test mounts asked for. */
function host(changes: Partial<OverlayHost> = {}): OverlayHost & { mounts: string[] } {
  const mounts: string[] = [];
  return {
    mounts,
    isRoot: () => true,
    kernelHasOverlay: async () => true,
    filesystemOf: async () => 'extfs',
    testMount: async (_dir, options) => void mounts.push(options),
    moduleDefault: async () => false,
    ...changes,
  };
}

const probe = (h: OverlayHost) => probeOverlay(root, path.join(root, '.probe-test'), h);

describe('overlay2 probe', () => {
  it('is NotSupported without root', async () => {
    await expect(probe(host({ isRoot: () => false }))).rejects.toMatchObject({ kind: 'NotSupported', message: expect.stringMatching(/needs root/) });
  });

  it('is NotSupported when the kernel has no overlayfs', async () => {
    await expect(probe(host({ kernelHasOverlay: async () => false }))).rejects.toMatchObject({ kind: 'NotSupported', message: expect.stringMatching(/no overlay filesystem/) });
  });

  it('is NotSupported on a backing filesystem overlayfs cannot use, without trying to mount', async () => {
    const h = host({ filesystemOf: async () => 'overlayfs' });
    await expect(probe(h)).rejects.toMatchObject({ kind: 'NotSupported', message: expect.stringMatching(/is on overlayfs/) });
    expect(h.mounts).toEqual([]);
  });

  it('is NotSupported when the test mount fails, and removes its scratch dir', async () => {
    const h = host({ testMount: async () => { throw new Error('wrong fs type'); } });
    await expect(probe(h)).rejects.toMatchObject({ kind: 'NotSupported', message: expect.stringMatching(/test overlay mount on extfs .* failed: wrong fs type/) });
    expect(await readdir(root)).toEqual([]);
  });

  it('prefers index/redirect_dir/metacopy off, so upper dirs are complete diffs', async () => {
    const h = host();
    expect(await probe(h)).toEqual({ backingFilesystem: 'extfs', supportsDType: true, mountOptions: PREFERRED_OPTIONS, metacopy: false, nativeDiff: true });
    expect(h.mounts).toEqual([`${PREFERRED_OPTIONS},lowerdir=lower2:lower1,upperdir=upper,workdir=work`]);
  });

  it('falls back to the module defaults where the kernel rejects those options', async () => {
    const h = host({
      testMount: async (_dir, options) => { if (options.startsWith('index')) throw new Error('unknown option'); },
      moduleDefault: async (name) => name === 'metacopy',
    });
    expect(await probe(h)).toMatchObject({ mountOptions: '', metacopy: true, nativeDiff: false });
  });
});

describe.skipIf(process.getuid?.() !== 0)('overlay2 probe on the real host', () => {
  it('passes on the temp dir and leaves nothing behind', async () => {
    expect(await probeOverlay(root, path.join(root, '.probe-real'))).toMatchObject({ mountOptions: PREFERRED_OPTIONS });
    expect(await readdir(root)).toEqual([]);
    expect(await mountsUnder(root)).toEqual([]);
  });

  it('is NotSupported for a data root that is itself on overlayfs', async () => {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(path.join(root, d));
    await mountOverlay(root, 'lowerdir=lower,upperdir=upper,workdir=work', path.join(root, 'merged'));
    const inner = path.join(root, 'merged', 'keel');
    expect(await systemOverlayHost.filesystemOf(root)).not.toBe('overlayfs');
    await expect(probeOverlay(inner, path.join(inner, '.probe'))).rejects.toMatchObject({ kind: 'NotSupported', message: expect.stringMatching(/is on overlayfs/) });
  });
});
