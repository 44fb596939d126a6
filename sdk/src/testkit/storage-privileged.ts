/**
 * The root-only part of the storage conformance suite: device nodes, fifos, owners, set-id modes
 * and extended attributes must survive applyDiff, mount and a diff round trip. Imports vitest.
 * @packageDocumentation
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import type { StorageDriver } from '../drivers/storage.js';
import { layerTar, snapshot, xattrsOf, type LayerTarEntry } from './storage-tree.js';

/**
 * Registers the root-only cases on `d` (which forwards to the running case's driver): they make
 * devices, chown, and set `trusted.`/`security.` xattrs. Without root, or when `enabled` is
 * false, they are registered as skipped with the reason in their name, and the reason is printed.
 */
export function privilegedStorageCases(d: StorageDriver, enabled = true): void {
  const reason = !enabled ? 'disabled by the caller (privileged: false)' : process.getuid?.() !== 0 ? 'needs root' : undefined;
  const clauses = ['device nodes, fifos, owners and modes survive applyDiff, mount and diff', 'extended attributes survive applyDiff, mount and diff'];
  if (reason) {
    console.warn(`storage conformance: privileged cases skipped: ${reason}`);
    for (const c of clauses) it.skip(`privileged: ${c} (skipped: ${reason})`, () => undefined);
    return;
  }
  const roundTrip = async (entries: LayerTarEntry[]) => {
    await d.create('base');
    await d.create('special', { parent: 'base' });
    await d.applyDiff('special', layerTar(entries));
    await d.create('copy', { parent: 'base' });
    await d.applyDiff('copy', await d.diff('special'));
    const [a, b] = [await d.mount('special'), await d.mount('copy')];
    return { a, b, done: async () => { await d.unmount('special'); await d.unmount('copy'); } };
  };

  it(`privileged: ${clauses[0]}`, async () => {
    const { a, b, done } = await roundTrip([
      { path: 'dev/', type: 'dir' }, { path: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
      { path: 'dev/sda', type: 'block', devmajor: 8, devminor: 0, mode: 0o660, gid: 6 }, { path: 'dev/fifo', type: 'fifo', mode: 0o600 },
      { path: 'suid', type: 'file', content: '#!/bin/sh\n', mode: 0o4755, uid: 1000, gid: 2000 },
      { path: 'tmp/', type: 'dir', mode: 0o1777, uid: 33, gid: 33 },
    ]);
    try {
      const tree = await snapshot(a);
      expect(tree['/dev/null']).toMatch(/^char 666 0:0 259 /); // makedev(1, 3)
      expect(tree['/dev/sda']).toMatch(/^block 660 0:6 2048 /);
      expect(tree['/dev/fifo']).toMatch(/^fifo 600 0:0 /);
      expect(tree['/suid']).toMatch(/^file 4755 1000:2000 /);
      expect(tree['/tmp']).toBe('dir 1777 33:33');
      expect(await snapshot(b)).toEqual(tree);
    } finally {
      await done();
    }
  });

  it(`privileged: ${clauses[1]}`, async () => {
    const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex'); // cap_net_raw+ep
    const xattrs = { 'user.keel': Buffer.from([0, 1, 2, 255]), 'security.capability': cap, 'trusted.keel': Buffer.from('t') };
    const { a, b, done } = await roundTrip([{ path: 'ping', type: 'file', content: 'elf', mode: 0o755, xattrs }]);
    try {
      const want = Object.fromEntries(Object.entries(xattrs).map(([k, v]) => [k, `0s${v.toString('base64')}`]));
      expect(await xattrsOf(path.join(a, 'ping'))).toMatchObject(want);
      expect(await xattrsOf(path.join(b, 'ping'))).toMatchObject(want);
    } finally {
      await done();
    }
  });
}
