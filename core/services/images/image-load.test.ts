import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drivers, type StorageDriver } from '@keel/sdk';
import { vfsStoragePlugin } from '../../../plugins/storage/vfs/index.js';
import { dockerArchive, imagesEngine, ociArchive, tarOf, testImage, type ImagesTestEngine, type TestImage } from './test-support.js';

const hasZstd = (() => { try { execFileSync('zstd', ['--version']); return true; } catch { return false; } })();

describe('docker load', () => {
  let e: ImagesTestEngine;
  let base: TestImage;
  let app: TestImage;
  let other: TestImage;
  const driver = () => e.drivers<StorageDriver>(drivers.storage).default();
  const ids = async () => (await e.list()).map((i) => i.Id).sort();
  const inspect = async (name: string) => (await e.invoke('GET', `/images/${name}/json`)).body as Record<string, any>;
  const lines = (r: { items: unknown[] }) => r.items.map((i) => (i as { stream?: string }).stream).filter(Boolean);

  beforeEach(async () => {
    e = await imagesEngine(vfsStoragePlugin);
    base = await testImage({ tags: ['base:1'], layers: [{ 'etc/os-release': 'keel' }] });
    app = await testImage({ tags: ['team/app:v1', 'localhost:5000/app:v1'], layers: [base.layers[0]!, { 'app/run.sh': 'echo hi' }], labels: { tier: 'web' } });
    other = await testImage({ tags: ['other:latest'], layers: [{ 'o.txt': 'o' }] });
  });
  afterEach(async () => { await e.stop(); });

  /** Asserts the store holds nothing and no file was left behind (compared with `before`). */
  const nothingLeft = async (before: string[]) => {
    expect(await e.list()).toEqual([]);
    expect(await driver().list()).toEqual([]);
    expect(await e.tree()).toEqual(before);
  };

  it('loads a docker-save archive (Docker ≤ 24 layout) with Docker\'s IDs, names and messages', async () => {
    const r = await e.load(await dockerArchive([base, app]), false);
    expect(r.status).toBe(200);
    expect(lines(r)).toEqual(['Loaded image: base:1\n', 'Loaded image: team/app:v1\n', 'Loaded image: localhost:5000/app:v1\n']);
    const progress = r.items.filter((i) => (i as { status?: string }).status === 'Loading layer') as Array<Record<string, any>>;
    // One bar per new layer (the shared base once), ids are short DiffIDs, the last update is complete.
    expect([...new Set(progress.map((p) => p.id))]).toEqual([base.diffIds[0]!.slice(7, 19), app.diffIds[1]!.slice(7, 19)]);
    expect(progress.at(-1)!.progressDetail.current).toBe(progress.at(-1)!.progressDetail.total);
    expect(progress.at(-1)!.progress).toMatch(/^\[=+\] /);
    expect(await ids()).toEqual([base.id, app.id].sort());
    const got = await inspect('localhost:5000/app:v1');
    expect(got).toMatchObject({ Id: app.id, RepoTags: ['localhost:5000/app:v1', 'team/app:v1'], RootFS: { Type: 'layers', Layers: app.diffIds }, Os: 'linux', Architecture: 'amd64' });
    expect(got.Config.Labels).toEqual({ tier: 'web' });
    expect(e.events.published.filter((ev) => ev.Action === 'load').map((ev) => ev.Actor)).toEqual([
      { ID: base.id, Attributes: { name: base.id } }, { ID: app.id, Attributes: { tier: 'web', name: app.id } },
    ]);
    expect((await driver().list()).length).toBe(2); // base layer stored once

    // Again: every layer is present, so no progress; the names are (re)set.
    const again = await e.load(await dockerArchive([app]), false);
    expect(again.items.filter((i) => (i as { status?: string }).status)).toEqual([]);
    expect(lines(again)).toEqual(['Loaded image: team/app:v1\n', 'Loaded image: localhost:5000/app:v1\n']);
  });

  it('loads the Docker 25+ layout with gzip layers, and a gzip-compressed archive', async () => {
    expect(lines(await e.load(await dockerArchive([app], { blobs: true, gzipLayers: true })))).toEqual(['Loaded image: team/app:v1\n', 'Loaded image: localhost:5000/app:v1\n']);
    expect(lines(await e.load(gzipSync(await dockerArchive([other]))))).toEqual(['Loaded image: other:latest\n']);
    expect(await ids()).toEqual([app.id, other.id].sort());
    expect((await inspect('team/app:v1')).RootFS.Layers).toEqual(app.diffIds);
  });

  it.each([false, true])('loads an OCI image layout (gzip layers: %s), multi-platform indexes included', async (gzipLayers) => {
    const r = await e.load(await ociArchive([app, other], { gzipLayers, nested: true }));
    expect(r.status).toBe(200);
    expect(lines(r)).toEqual(['Loaded image: team/app:v1\n', 'Loaded image: other:latest\n']);
    expect((await inspect('team/app:v1')).Id).toBe(app.id);
    expect((await inspect('other')).RootFS.Layers).toEqual(other.diffIds);
  });

  it('names OCI images from full ref.name annotations; a bare tag leaves them untagged', async () => {
    const r = await e.load(await ociArchive([app, other], { annotations: [{ 'org.opencontainers.image.ref.name': 'registry.example/x/app:2' }, { 'org.opencontainers.image.ref.name': 'latest' }] }));
    expect(lines(r)).toEqual(['Loaded image: registry.example/x/app:2\n', `Loaded image ID: ${other.id}\n`]);
    expect(((await e.list('?filters={"dangling":["true"]}')).map((i) => i.Id))).toEqual([other.id]);
  });

  it('says when a name moves from an older image, as Docker does', async () => {
    const older = await testImage({ tags: ['other:latest'], layers: [{ 'o.txt': 'old' }] });
    await e.load(await dockerArchive([older]));
    expect(lines(await e.load(await dockerArchive([other])))).toEqual([
      `The image other:latest already exists, renaming the old one with ID ${older.id} to empty string\n`, 'Loaded image: other:latest\n',
    ]);
    expect((await e.list()).map((i) => [i.Id, i.RepoTags])).toEqual(expect.arrayContaining([[older.id, []], [other.id, ['other:latest']]]));
  });

  it.skipIf(!hasZstd)('loads zstd-compressed OCI layers through the zstd program', async () => {
    const layer = base.layers[0]!;
    const zst = execFileSync('zstd', ['-q', '-c'], { input: layer });
    const r = await e.load(await dockerArchive([{ ...base, layers: [zst] }]));
    expect(lines(r)).toEqual(['Loaded image: base:1\n']);
    expect((await inspect('base:1')).RootFS.Layers).toEqual(base.diffIds);
  });

  describe('refused archives: 400, a message naming the fault, nothing left behind', () => {
    const refused = async (archive: Buffer, message: RegExp, quiet = true) => {
      const before = await e.tree();
      const r = await e.load(archive, quiet);
      expect(r.status).toBe(400);
      expect((r.body as { message: string }).message).toMatch(message);
      await nothingLeft(before);
    };

    it('a layer whose content is not the config\'s DiffID, with progress on or off', async () => {
      const liar = { ...app, diffIds: [app.diffIds[0]!, base.diffIds[0]!] };
      const config = Buffer.from(app.config.toString().replace(app.diffIds[1]!, base.diffIds[0]!));
      for (const quiet of [true, false]) {
        await refused(await dockerArchive([{ ...liar, config }]), /invalid archive: layer .*layer\.tar: invalid diffID/, quiet);
      }
    });

    it('an OCI layer blob that does not match its digest', async () => {
      await refused(await ociArchive([other], { corruptLayer: true }), /does not match its digest/);
    });

    it('the second image of an archive failing: the first is not loaded either', async () => {
      const config = Buffer.from(other.config.toString().replace(other.diffIds[0]!, base.diffIds[0]!));
      await refused(await dockerArchive([app, { ...other, config }]), /invalid diffID/);
    });

    it('an archive entry climbing out with ../', async () => {
      await refused(await dockerArchive([other], { extra: [{ path: '../escape.txt', content: 'x' }] }), /outside .*"\.\.\/escape\.txt"/);
    });

    it('a layer entry climbing out with ../', async () => {
      const evil = await testImage({ tags: ['evil:1'], layers: [await tarOf([{ path: 'ok', content: '1' }, { path: '../../escape', content: 'x' }])] });
      await refused(await dockerArchive([evil]), /invalid archive: layer .*"\.\.\/\.\.\/escape"/);
    });

    it('a layer writing through an absolute symlink', async () => {
      const evil = await testImage({ tags: ['evil:1'], layers: [await tarOf([{ path: 'evil', type: 'symlink', linkpath: '/tmp' }, { path: 'evil/pwned', content: 'x' }])] });
      await refused(await dockerArchive([evil]), /invalid archive: layer .*"evil\/pwned"/);
    });

    it('a manifest.json that is a symlink to a host file', async () => {
      await refused(await tarOf([{ path: 'manifest.json', type: 'symlink', linkpath: '/etc/passwd' }]), /manifest\.json points outside the archive/);
    });

    it('a manifest naming a file through a symlink that leaves the archive', async () => {
      const manifest = JSON.stringify([{ Config: 'out/passwd', RepoTags: ['x:1'], Layers: [] }]);
      await refused(await dockerArchive([], { manifest, extra: [{ path: 'out', type: 'symlink', linkpath: '/etc' }] }), /out\/passwd points outside the archive/);
    });

    it.each([
      ['not a tar', Buffer.from('hello, this is not an archive at all'.repeat(20)), /tar|archive/i],
      ['no manifest', undefined, /neither a manifest\.json/],
      ['bad JSON', '{', /failed to decode manifest\.json/],
      ['null manifest', 'null', /manifest\.json is null/],
      ['a tag without a tag', JSON.stringify([{ Config: 'c.json', RepoTags: ['busybox'], Layers: [] }]), /invalid tag "busybox"/],
      ['an invalid name', JSON.stringify([{ Config: 'c.json', RepoTags: ['Bad:1'], Layers: [] }]), /invalid reference format/],
    ])('%s', async (_name, manifest, message) => {
      const archive = Buffer.isBuffer(manifest) ? manifest : await tarOf([{ path: 'c.json', content: '{}' }, ...(manifest === undefined ? [] : [{ path: 'manifest.json', content: manifest }])]);
      await refused(archive, message);
    });

    it('a config whose layer count differs from the manifest, or for another OS', async () => {
      await refused(await dockerArchive([{ ...app, layers: app.layers.slice(0, 1) }], { manifest: JSON.stringify([{ Config: `${app.id.slice(7)}.json`, RepoTags: null, Layers: [`${app.chainIds[0]!.slice(7)}/layer.tar`] }]) }), /layers length mismatch: expected 1, got 2/);
      const win = await testImage({ layers: [{ f: '1' }], extra: { os: 'windows' } });
      await refused(await dockerArchive([win]), /cannot load windows image on linux/);
    });

    it('an archive over maxLoadBytes', async () => {
      await e.stop();
      e = await imagesEngine(vfsStoragePlugin, [], 4096);
      await refused(await dockerArchive([app]), /exceeds 4096 bytes/);
    });
  });

  it('a client leaving mid-load leaves no layer behind and no lock held', async () => {
    const before = await e.tree();
    for (const maxItems of [1, 2, 3]) {
      const r = await e.router.invoke({ method: 'POST', path: '/images/load?quiet=0', bodyStream: Readable.from([await dockerArchive([app])]), maxItems });
      expect(r.items).toHaveLength(maxItems);
      await nothingLeft(before);
    }
    expect(lines(await e.load(await dockerArchive([app])))).toHaveLength(2);
  });

  it('two loads of the same archive at once both succeed and share the layers', async () => {
    const archive = await dockerArchive([app]);
    const [a, b] = await Promise.all([e.load(archive), e.load(archive)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await ids()).toEqual([app.id]);
    expect((await driver().list()).length).toBe(2);
  });
});
