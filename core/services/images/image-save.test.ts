import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTar } from '@keel/sdk/tar';
import { vfsStoragePlugin } from '../../../plugins/storage/vfs/index.js';
import { sha256 } from './blob-store.js';
import { bytesOf, dockerArchive, imagesEngine, tarOf, testImage, type ImagesTestEngine, type TestImage } from './test-support.js';

async function entries(tar: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const e of readTar(Readable.from([tar]))) out.set(e.header.path, await bytesOf(e.body));
  return out;
}

describe('docker save and docker import', () => {
  let e: ImagesTestEngine;
  let base: TestImage;
  let app: TestImage;
  const save = async (query: string) => {
    const r = await e.invoke('GET', query);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as Buffer;
  };

  beforeEach(async () => {
    e = await imagesEngine(vfsStoragePlugin);
    base = await testImage({ tags: ['base:1', 'base:2'], layers: [{ 'etc/os-release': 'keel' }] });
    app = await testImage({ tags: ['localhost:5000/team/app:v1'], layers: [base.layers[0]!, { 'app.txt': 'a' }] });
    await e.load(await dockerArchive([base, app]));
  });
  afterEach(async () => { await e.stop(); });

  it('writes Docker 25\'s layout: blobs, index.json, manifest.json, oci-layout, repositories', async () => {
    const files = await entries(await save('/images/get?names=localhost:5000/team/app:v1&names=base'));
    const blob = (d: string) => files.get(`blobs/sha256/${d.slice(7)}`);
    expect(JSON.parse(files.get('manifest.json')!.toString())).toEqual([
      { Config: `blobs/sha256/${app.id.slice(7)}`, RepoTags: ['localhost:5000/team/app:v1'], Layers: app.diffIds.map((d) => `blobs/sha256/${d.slice(7)}`) },
      { Config: `blobs/sha256/${base.id.slice(7)}`, RepoTags: ['base:1', 'base:2'], Layers: base.diffIds.map((d) => `blobs/sha256/${d.slice(7)}`) },
    ]);
    expect(blob(app.id)).toEqual(app.config);
    for (const [i, d] of app.diffIds.entries()) expect(blob(d)).toEqual(app.layers[i]);
    expect(files.get('oci-layout')!.toString()).toBe('{"imageLayoutVersion": "1.0.0"}');
    expect(JSON.parse(files.get('repositories')!.toString())).toEqual({
      'localhost:5000/team/app': { v1: app.diffIds[1]!.slice(7) }, base: { 1: base.diffIds[0]!.slice(7), 2: base.diffIds[0]!.slice(7) },
    });
    const index = JSON.parse(files.get('index.json')!.toString());
    expect(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations)).toEqual([
      { 'io.containerd.image.name': 'localhost:5000/team/app:v1', 'org.opencontainers.image.ref.name': 'v1' },
      { 'io.containerd.image.name': 'docker.io/library/base:1', 'org.opencontainers.image.ref.name': '1' },
      { 'io.containerd.image.name': 'docker.io/library/base:2', 'org.opencontainers.image.ref.name': '2' },
    ]);
    // Every descriptor points at a blob with that digest and size.
    const manifest = JSON.parse(blob(index.manifests[0].digest)!.toString());
    expect(sha256(blob(index.manifests[0].digest)!)).toBe(index.manifests[0].digest);
    expect(manifest.config).toEqual({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: app.id, size: app.config.length });
    expect(manifest.layers.map((l: { digest: string; size: number }) => [l.digest, l.size])).toEqual(app.diffIds.map((d, i) => [d, app.layers[i]!.length]));
    expect(e.events.published.filter((ev) => ev.Action === 'save').map((ev) => ev.Actor.ID)).toEqual([app.id, base.id]);
  });

  it('save → load into a fresh store gives the same IDs, names and layers', async () => {
    const tar = await save('/images/get?names=base:1&names=localhost:5000/team/app');
    await e.stop();
    e = await imagesEngine(vfsStoragePlugin);
    const r = await e.load(tar);
    expect(r.items).toEqual([{ stream: 'Loaded image: base:1\n' }, { stream: 'Loaded image: localhost:5000/team/app:v1\n' }]);
    expect((await e.list()).map((i) => [i.Id, i.RepoTags]).sort()).toEqual([[app.id, ['localhost:5000/team/app:v1']], [base.id, ['base:1']]].sort());
    expect(((await e.invoke('GET', '/images/localhost:5000/team/app:v1/json')).body as { RootFS: unknown }).RootFS).toEqual({ Type: 'layers', Layers: app.diffIds });
  });

  it('saves by ID without names, by /images/{name}/get, and refuses unknown names before streaming', async () => {
    const byId = JSON.parse((await entries(await save(`/images/${app.id.slice(7, 19)}/get`))).get('manifest.json')!.toString());
    expect(byId).toEqual([expect.objectContaining({ RepoTags: null })]);
    expect((await e.invoke('GET', '/images/get?names=nope')).body).toEqual({ message: 'No such image: nope:latest' });
    expect((await e.invoke('GET', '/images/get')).status).toBe(400);
  });

  it('import makes a one-layer image with --change, message and tag; the body may be gzip', async () => {
    const rootfs = await tarOf([{ path: 'bin/', type: 'dir' }, { path: 'bin/sh', content: '#!', mode: 0o755 }]);
    const changes = ['CMD ["/bin/sh"]', 'ENV A=1 B="two words"', 'EXPOSE 80 53/udp', 'LABEL k=v', 'WORKDIR /srv', 'USER nobody', 'VOLUME /data', 'STOPSIGNAL SIGTERM', 'ENTRYPOINT echo hi', 'ONBUILD RUN true']
      .map((c) => `changes=${encodeURIComponent(c)}`).join('&');
    const r = await e.invoke('POST', `/images/create?fromSrc=-&repo=imported&tag=v1&message=hello&${changes}`, rootfs);
    expect(r.status).toBe(200);
    const id = (r.items[0] as { status: string }).status;
    expect(r.items).toEqual([{ status: expect.stringMatching(/^sha256:[a-f0-9]{64}$/) }]);
    const got = (await e.invoke('GET', '/images/imported:v1/json')).body as Record<string, any>;
    expect(got).toMatchObject({ Id: id, RepoTags: ['imported:v1'], Comment: 'hello', Os: 'linux', RootFS: { Type: 'layers', Layers: [sha256(rootfs)] } });
    expect(got.Config).toMatchObject({
      Cmd: ['/bin/sh'], Env: ['A=1', 'B=two words'], ExposedPorts: { '80/tcp': {}, '53/udp': {} }, Labels: { k: 'v' }, WorkingDir: '/srv',
      User: 'nobody', Volumes: { '/data': {} }, StopSignal: 'SIGTERM', Entrypoint: ['/bin/sh', '-c', 'echo hi'], OnBuild: ['RUN true'],
    });
    expect((await e.invoke('GET', '/images/imported:v1/history')).body).toEqual([expect.objectContaining({ Id: id, Comment: 'hello', Tags: ['imported:v1'] })]);
    expect(e.events.published.at(-1)).toMatchObject({ Action: 'import', Actor: { ID: id, Attributes: { name: id, k: 'v' } } });

    const { gzipSync } = await import('node:zlib');
    const gz = await e.invoke('POST', '/images/create?fromSrc=-&platform=linux/arm64/v8', gzipSync(rootfs));
    const other = (await e.invoke('GET', `/images/${(gz.items[0] as { status: string }).status}/json`)).body as Record<string, any>;
    expect([other.Architecture, other.Variant, other.RepoTags, other.RootFS.Layers]).toEqual(['arm64', 'v8', [], [sha256(rootfs)]]);
    expect((await e.invoke('GET', `/images/${other.Id}/history`)).body).toEqual([expect.objectContaining({ Comment: 'Imported from -' })]);
  });

  it.each([
    ['/images/create?fromSrc=http://example.com/x.tar', /not supported/, 400],
    ['/images/create', /fromSrc or fromImage is required/, 400],
    ['/images/create?fromSrc=-&repo=Bad', /invalid reference format/, 400],
    ['/images/create?fromSrc=-&changes=RUN%20true', /RUN is not a valid change command/, 400],
    ['/images/create?fromSrc=-&platform=windows/amd64', /operating system is not supported/, 400],
    ['/images/create?fromImage=127.0.0.1:1/busybox&tag=latest', /ECONNREFUSED/, 503],
  ])('import refuses %s', async (query, message, status) => {
    const r = await e.invoke('POST', query, await tarOf([{ path: 'f', content: 'x' }]));
    expect(r.status).toBe(status);
    expect((r.body as { message: string }).message).toMatch(message);
  });

  it('import of a hostile or broken tar is a 400 that leaves nothing', async () => {
    const before = await e.tree();
    for (const body of [await tarOf([{ path: '../x', content: 'x' }]), Buffer.from('not a tar at all, no'.repeat(40))]) {
      const r = await e.invoke('POST', '/images/create?fromSrc=-&repo=evil', body);
      expect(r.status).toBe(400);
      expect((r.body as { message: string }).message).toMatch(/\S/);
    }
    expect(await e.tree()).toEqual(before);
    expect((await e.list()).length).toBe(2);
  });
});
