/**
 * The storage conformance suite over every in-tree storage driver, in-process. Each case gets a
 * fresh root under the temp dir; cleanup unmounts whatever is left below it and removes it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StorageDriver } from '@keel/sdk';
import { describeStorageDriverConformance, type StorageDriverFixture } from '@keel/sdk/testkit';
import { mountsUnder, unmountPath } from '../../plugins/storage/overlay2/overlay-mounts.js';
import { Overlay2Driver } from '../../plugins/storage/overlay2/overlay2-driver.js';
import { VfsDriver } from '../../plugins/storage/vfs/vfs-driver.js';

async function fixture(name: string, make: (root: string) => Promise<StorageDriver>): Promise<StorageDriverFixture> {
  const root = await mkdtemp(path.join(tmpdir(), `keel-conf-${name}-`));
  const cleanup = async () => {
    try {
      for (const m of await mountsUnder(root)) await unmountPath(m); // stacked mounts listed once each
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };
  try {
    return { driver: await make(root), cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

describeStorageDriverConformance('vfs', () => fixture('vfs', async (root) => new VfsDriver({ root })));

// Probed once for the file: where overlay2 cannot run, say why and register nothing.
const probeRoot = await mkdtemp(path.join(tmpdir(), 'keel-conf-probe-'));
const overlayReason = await new Overlay2Driver({ root: probeRoot }).probe().then(() => undefined, (e: Error) => e.message);
await rm(probeRoot, { recursive: true, force: true });

if (overlayReason) {
  console.warn(`storage conformance: overlay2 skipped: ${overlayReason}`);
} else {
  describeStorageDriverConformance('overlay2', () => fixture('overlay2', async (root) => {
    const driver = new Overlay2Driver({ root });
    await driver.probe();
    return driver;
  }));
}
