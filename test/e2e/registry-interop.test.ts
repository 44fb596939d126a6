/**
 * keel ↔ Docker through a registry: an image the reference dockerd pushed pulls into keel with the
 * same ID and digest, and an image keel pushed pulls into dockerd with the same ID. Both treat
 * 127.0.0.0/8 as insecure, so neither needs `--insecure-registry`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, busyboxAvailable, busyboxImage, dockerSaveTar, noise } from '../fixtures/images.js';
import { registryMissing, startRegistry, stopAllRegistries, type Registry } from '../fixtures/registry.js';
import { startDaemon, type Daemon } from './harness.js';
import { dockerOk, refDockerdMissing, startRefDockerd, type RefDockerd } from './ref-dockerd.js';

const skip = registryMissing() ?? (busyboxAvailable() ? undefined : 'busybox-static absent') ?? refDockerdMissing();

describe.skipIf(!!skip)(`registry interop with the reference dockerd${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let dir: string;
  let reg: Registry;
  let keel: Daemon;
  let ref: RefDockerd;
  const bb = busyboxImage({ repoTags: ['bb:latest'] });
  const two = buildImage({ repoTags: ['two:1'], layers: [[{ name: 'a.bin', data: noise(1 << 20, 'interop') }], [{ name: 'b.txt', data: 'b' }]] });
  const idOf = async (on: Pick<Daemon, 'docker'>, name: string) => JSON.parse(await dockerOk(on, ['image', 'inspect', name]))[0].Id as string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-reg-interop-'));
    reg = await startRegistry();
    keel = await startDaemon({ args: ['--storage-driver', 'vfs'] });
    ref = await startRefDockerd();
    await writeFile(path.join(dir, 'bb.tar'), dockerSaveTar([bb]));
    await writeFile(path.join(dir, 'two.tar'), dockerSaveTar([two]));
  }, 180_000);
  afterAll(async () => {
    await keel?.stop();
    await ref?.stop();
    await stopAllRegistries();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 90_000);

  it('pulls into keel what dockerd pushed', async () => {
    await dockerOk(ref, ['load', '-i', path.join(dir, 'bb.tar')]);
    const name = `${reg.host}/fromdocker/bb:1`;
    await dockerOk(ref, ['tag', 'bb:latest', name]);
    const pushed = await dockerOk(ref, ['push', name]);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed)?.[1];
    const out = await dockerOk(keel, ['pull', name]);
    expect(out).toContain(`Digest: ${digest}`);
    expect(await idOf(keel, name)).toBe(bb.id);
    expect(JSON.parse(await dockerOk(keel, ['image', 'inspect', name]))[0].RepoDigests).toEqual([`${reg.host}/fromdocker/bb@${digest}`]);
  });

  it('pulls into dockerd what keel pushed', async () => {
    await dockerOk(keel, ['load', '-i', path.join(dir, 'two.tar')]);
    const name = `${reg.host}/fromkeel/two:1`;
    await dockerOk(keel, ['tag', 'two:1', name]);
    const pushed = await dockerOk(keel, ['push', name]);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed)?.[1];
    const out = await dockerOk(ref, ['pull', name]);
    expect(out).toContain(`Digest: ${digest}`);
    expect(await idOf(ref, name)).toBe(two.id);
  });
});
