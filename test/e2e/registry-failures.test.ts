/**
 * Pulls that go wrong, through a misbehaving proxy in front of a test registry: a connection cut
 * half-way through a blob is resumed with `Range` (within the pull, and by the next pull once the
 * attempts are used up), and an interrupted pull leaves no image behind; a blob whose bytes do not
 * match its digest and a manifest that is garbage are refused with clear errors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, dockerSaveTar, noise } from '../fixtures/images.js';
import { registryMissing, startRegistry, stopAllRegistries, type Registry } from '../fixtures/registry.js';
import { startRegistryProxy, type RegistryProxy } from '../fixtures/registry-proxy.js';
import { startDaemon, type Daemon } from './harness.js';

const skip = registryMissing();

describe.skipIf(!!skip)(`registry failures${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let dir: string;
  let d: Daemon;
  let reg: Registry;
  let proxy: RegistryProxy;
  const img = buildImage({ repoTags: ['flaky:1'], layers: [[{ name: 'big.bin', data: noise(4 << 20, 'flaky') }], [{ name: 'small.txt', data: 'x' }]] });
  const docker = (args: string[]) => d.docker(args, { timeoutMs: 60_000 });
  const absent = async (ref: string) => expect((await docker(['image', 'inspect', ref])).code).toBe(1);
  const via = () => `${proxy.host}/flaky:1`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-reg-fail-'));
    reg = await startRegistry();
    proxy = await startRegistryProxy(reg.host);
    d = await startDaemon({ args: ['--storage-driver', 'vfs'], config: { 'max-download-attempts': 2, plugins: { 'core.images': { retryBackoffMs: 0 } } } });
    const tar = path.join(dir, 'flaky.tar');
    await writeFile(tar, dockerSaveTar([img]));
    expect((await docker(['load', '-i', tar])).code).toBe(0);
    await docker(['tag', 'flaky:1', `${reg.host}/flaky:1`]);
    expect((await docker(['push', `${reg.host}/flaky:1`])).code).toBe(0);
    await docker(['rmi', '-f', img.id]);
  }, 120_000);
  afterAll(async () => {
    await d?.stop();
    await proxy?.close();
    await stopAllRegistries();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('resumes a blob cut half-way within the same pull', async () => {
    Object.assign(proxy.behaviour, { cutBlobs: 1 });
    proxy.ranges.length = 0;
    const r = await docker(['pull', via()]);
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.cuts).toBe(1);
    expect(proxy.ranges.some((h) => /^bytes=[1-9]\d*-$/.test(h))).toBe(true);
    expect(JSON.parse((await docker(['image', 'inspect', via()])).stdout)[0].Id).toBe(img.id);
    await docker(['rmi', '-f', img.id]);
  });

  it('an interrupted pull leaves no image, and the next pull resumes it', async () => {
    Object.assign(proxy.behaviour, { cutBlobs: 2 });
    proxy.ranges.length = 0;
    const failed = await docker(['pull', via()]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/connection|closed|aborted|socket/i);
    await absent(via());
    expect((await docker(['images', '-q'])).stdout.trim()).toBe('');
    const again = await docker(['pull', via()]);
    expect(again.code, again.stderr).toBe(0);
    expect(proxy.ranges.length).toBeGreaterThan(0);
    expect(JSON.parse((await docker(['image', 'inspect', via()])).stdout)[0].Id).toBe(img.id);
    await docker(['rmi', '-f', img.id]);
  });

  it('refuses a blob whose content does not match its digest', async () => {
    Object.assign(proxy.behaviour, { cutBlobs: 0, corruptBlobs: true });
    try {
      const r = await docker(['pull', via()]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/verification failed for digest sha256:[a-f0-9]{64}/);
      await absent(via());
    } finally {
      proxy.behaviour.corruptBlobs = false;
    }
  });

  it('gives a clear error for a garbage manifest', async () => {
    proxy.behaviour.garbageManifest = '<html>not a manifest</html>';
    try {
      const r = await docker(['pull', via()]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('error parsing manifest');
      proxy.behaviour.garbageManifest = '{"schemaVersion":2,"layers":"nope"}';
      const r2 = await docker(['pull', via()]);
      expect(r2.stderr).toMatch(/invalid manifest/);
    } finally {
      delete proxy.behaviour.garbageManifest;
    }
  });
});
