/** The storage conformance suite over every in-tree storage driver, in-process. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeStorageDriverConformance } from '@keel/sdk/testkit';
import { Overlay2Driver } from '../../plugins/storage/overlay2/overlay2-driver.js';
import { probeOverlay } from '../../plugins/storage/overlay2/overlay-probe.js';
import { mountsUnder, unmount } from '../../plugins/storage/overlay2/overlay-mounts.js';
import { VfsDriver } from '../../plugins/storage/vfs/vfs-driver.js';

async function tempRoot(name: string) {
  return mkdtemp(path.join(tmpdir(), `keel-conf-${name}-`));
}

describeStorageDriverConformance('vfs', async () => {
  const root = await tempRoot('vfs');
  return { driver: new VfsDriver({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
});

const overlayReason = await probeOverlay(path.join(tmpdir(), `keel-conf-probe-${process.pid}`)).then(() => undefined, (e: Error) => e.message);
await rm(path.join(tmpdir(), `keel-conf-probe-${process.pid}`), { recursive: true, force: true });
if (overlayReason) {
  console.warn(`storage conformance: overlay2 skipped: ${overlayReason}`);
} else {
  describeStorageDriverConformance('overlay2', async () => {
    const root = await tempRoot('overlay2');
    const driver = new Overlay2Driver({ root, probe: { backingFilesystem: 'extfs' } });
    return {
      driver,
      async cleanup() {
        for (const m of await mountsUnder(root)) await unmount(m, true).catch(() => undefined);
        await rm(root, { recursive: true, force: true });
      },
    };
  });
}
