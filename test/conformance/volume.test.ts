/**
 * The volume conformance suite over every in-tree volume driver, in-process. Each case gets a
 * fresh root under the temp dir and an in-memory state store shared with its "restarted" driver;
 * cleanup unmounts whatever is left below the root (tmpfs, binds) and removes it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeVolumeDriverConformance, MemoryStateStore } from '@keel/sdk/testkit';
import { LocalVolumeDriver } from '../../plugins/volume/local/local-driver.js';
import { mountedAt, unmountVolume } from '../../plugins/volume/local/local-mounts.js';

describeVolumeDriverConformance('local', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'keel-conf-local-'));
  const state = new MemoryStateStore();
  const open = async () => {
    const driver = new LocalVolumeDriver({ root, state });
    await driver.open();
    return driver;
  };
  const cleanup = async () => {
    try {
      // Stacked mounts are listed once: repeat until nothing is left.
      for (let points = await mountedAt(root); points.length; points = await mountedAt(root)) {
        for (const p of points) await unmountVolume(p);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };
  return { driver: await open(), cleanup, restart: open };
}, { bindOptions: (dir) => ({ type: 'none', device: dir, o: 'bind' }) });
