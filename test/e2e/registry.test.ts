/**
 * Registries, the main round trip against Debian's docker-registry on 127.0.0.1 (insecure by
 * Docker's loopback rule): keel pushes an image, forgets it, pulls it back by tag and by digest
 * and runs it; layers already present are skipped; a second repository mounts the blobs; a small
 * chunk size pushes in several PATCHes; OCI indexes pick the host's platform; zstd layers unpack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxAvailable, busyboxImage, buildImage, noise } from '../fixtures/images.js';
import { registryMissing, startRegistry, stopAllRegistries, type Registry } from '../fixtures/registry.js';
import { archImage, loadArchive, OCI_INDEX, putManifest, registryRequest, seedImage } from '../fixtures/registry-seed.js';
import { containerSkip } from './container-daemon.js';
import { startDaemon, stopAllDaemons, type Daemon } from './harness.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const skip = registryMissing() ?? (busyboxAvailable() ? undefined : 'busybox-static absent');
const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);
const HOST_ARCH = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;

describe.skipIf(!!skip)(`registry round trip${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let reg: Registry;
  let d: Daemon;
  let dir: string;
  const bb = busyboxImage({ repoTags: ['bb:latest'] });
  const ok = async (args: string[], timeoutMs = 60_000) => {
    const r = await d.docker(args, { timeoutMs });
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const idOf = async (ref: string) => JSON.parse(await ok(['image', 'inspect', ref]))[0].Id as string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-reg-e2e-'));
    reg = await startRegistry();
    const driver = containerSkip ? 'vfs' : 'overlay2';
    d = await startDaemon({ args: ['--storage-driver', driver], config: { plugins: { 'core.images': { pushChunkBytes: 1 << 20, retryBackoffMs: 0 } } } });
    await loadArchive(ok, dir, 'bb.tar', [bb]);
  }, 120_000);
  afterAll(async () => {
    // stop() also removes any container a failed run left.
    await d?.stop();
    await stopAllRegistries();
    await stopAllDaemons();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('pushes, and the registry holds the tag', async () => {
    const name = `${reg.host}/team/bb:v1`;
    await ok(['tag', 'bb:latest', name]);
    const out = await ok(['push', name]);
    expect(out).toContain(`The push refers to repository [${reg.host}/team/bb]`);
    expect(out).toMatch(/: Pushed/);
    expect(out).toMatch(/v1: digest: sha256:[a-f0-9]{64} size: \d+/);
    const tags = await registryRequest(reg.url, 'GET', '/v2/team/bb/tags/list');
    expect(JSON.parse(tags.body.toString()).tags).toEqual(['v1']);
    const again = await ok(['push', name]);
    expect(again).toMatch(/: Layer already exists/);
  });

  it('pulls back by tag after rmi, with the same image ID', async () => {
    const name = `${reg.host}/team/bb:v1`;
    await ok(['rmi', 'bb:latest', name]);
    const out = await ok(['pull', name]);
    expect(out).toMatch(/Pull complete/);
    expect(out).toMatch(/Digest: sha256:[a-f0-9]{64}/);
    expect(out).toContain(`Status: Downloaded newer image for ${name}`);
    expect(await idOf(name)).toBe(bb.id);
    const up = await ok(['pull', name]);
    expect(up).toContain(`Status: Image is up to date for ${name}`);
  });

  it('pulls by digest, and records RepoDigests', async () => {
    const name = `${reg.host}/team/bb:v1`;
    const digests = JSON.parse(await ok(['image', 'inspect', name]))[0].RepoDigests as string[];
    expect(digests).toHaveLength(1);
    await ok(['rmi', '-f', bb.id]);
    const out = await ok(['pull', digests[0]!]);
    expect(out).toMatch(/Pull complete/);
    expect(await idOf(digests[0]!)).toBe(bb.id);
    await ok(['rmi', digests[0]!]);
  });

  it('a second repository mounts the blobs', async () => {
    await ok(['pull', `${reg.host}/team/bb:v1`]);
    await ok(['tag', `${reg.host}/team/bb:v1`, `${reg.host}/other/bb:v2`]);
    const out = await ok(['push', `${reg.host}/other/bb:v2`]);
    expect(out).toMatch(/Mounted from team\/bb/);
  });

  it('skips layers already present and pushes big layers in chunks', async () => {
    const big = buildImage({ repoTags: ['big:1'], layers: [[{ name: 'a', data: noise(3 << 20, 'a') }], [{ name: 'b', data: noise(2 << 20, 'b') }]] });
    await loadArchive(ok, dir, 'big.tar', [big]);
    await ok(['tag', 'big:1', `${reg.host}/big:1`]);
    await ok(['push', `${reg.host}/big:1`]);
    await ok(['rmi', 'big:1', `${reg.host}/big:1`]);
    const stacked = buildImage({ repoTags: [], layers: [[{ name: 'a', data: noise(3 << 20, 'a') }], [{ name: 'c', data: 'c' }]] });
    const seeded = await seedImage(reg.url, 'stacked', stacked, { tag: '1' });
    expect(seeded.digest).toMatch(/^sha256:/);
    await ok(['pull', `${reg.host}/big:1`]);
    const out = await ok(['pull', `${reg.host}/stacked:1`]);
    expect(out).toMatch(/Already exists/);
    expect(await idOf(`${reg.host}/stacked:1`)).toBe(stacked.id);
  });

  it('chooses linux/<host arch> from an OCI index, and unpacks zstd layers', async () => {
    const mine = archImage(HOST_ARCH, [{ name: 'arch.txt', data: HOST_ARCH }]);
    const other = archImage('s390x', [{ name: 'arch.txt', data: 's390x' }]);
    const m1 = await seedImage(reg.url, 'multi', mine, { compress: 'zstd' });
    const m2 = await seedImage(reg.url, 'multi', other);
    await putManifest(reg.url, 'multi', 'latest', {
      schemaVersion: 2, mediaType: OCI_INDEX, manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m2, platform: { os: 'linux', architecture: 's390x' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m1, platform: { os: 'linux', architecture: HOST_ARCH } },
      ],
    }, OCI_INDEX);
    await ok(['pull', `${reg.host}/multi`]);
    expect(await idOf(`${reg.host}/multi`)).toBe(mine.id);
  });

  it.skipIf(!!containerSkip)('docker run of an image only in the registry pulls it and runs it', async () => {
    const name = `${reg.host}/team/bb:v1`;
    await d.docker(['rmi', '-f', bb.id]);
    const r = await d.docker(['run', '--rm', '--network', 'none', name, 'echo', 'hello from the registry'], { timeoutMs: 60_000 });
    expect(r.stderr).toContain(`Unable to find image '${name}' locally`);
    expect(r.stdout, r.stderr).toContain('hello from the registry');
    expect(r.code).toBe(0);
  });

  it('keel push and keel pull render the progress stream', async () => {
    await ok(['load', '-i', path.join(dir, 'bb.tar')]);
    const name = `${reg.host}/keelcli/bb:1`;
    await ok(['tag', 'bb:latest', name]);
    const pushed = await d.keel(['push', name], { timeoutMs: 60_000 });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(`The push refers to repository [${reg.host}/keelcli/bb]`);
    expect(pushed.stdout).toMatch(/1: digest: sha256:[a-f0-9]{64} size: \d+/);
    await ok(['rmi', '-f', bb.id]);
    const pulled = await d.keel(['pull', name], { timeoutMs: 60_000 });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(/Pull complete/);
    expect(pulled.stdout).toContain(`Status: Downloaded newer image for ${name}`);
    const missing = await d.keel(['pull', `${reg.host}/keelcli/nope:1`]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/not found/);
  });

  it('a missing tag is a clear 404', async () => {
    const r = await d.docker(['pull', `${reg.host}/team/bb:nope`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/manifest for .*bb:nope not found: manifest unknown/);
    expect(lines(r.stdout)).toEqual([]);
  });
});
