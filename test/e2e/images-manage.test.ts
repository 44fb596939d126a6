/**
 * Image store acceptance, part 2: tag, rmi (untag, delete, conflicts, -f), prune, save → load into
 * a fresh daemon, import with --change, system df, and errors for missing images. Runs against
 * keel (vfs, overlay2) and the reference dockerd, like images.test.ts.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, busyboxAvailable, busyboxImage, busyboxPath, dockerSaveTar, hex, humanSize, sha256, whiteoutImage, type Image } from '../fixtures/images.js';
import { allEngineSpecs, dockerOk, EngineSession, type Engine } from './ref-dockerd.js';

const noBusybox = busyboxAvailable() ? undefined : `busybox-static absent (${busyboxPath})`;
const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);
const short = (id: string) => hex(id).slice(0, 12);
const hostArch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;

for (const spec of allEngineSpecs()) {
  const skip = noBusybox ?? spec.skip;
  describe.skipIf(!!skip)(`image management: ${spec.label}${skip ? ` [skipped: ${skip}]` : ''}`, () => {
    const s = new EngineSession(spec);
    let e: Engine;
    const bb = busyboxImage();
    const multi = whiteoutImage();
    const put = (name: string, data: Buffer) => s.put(name, data);
    const ok = (args: string[], on: Engine = e) => dockerOk(on, args);
    const inspect = async (ref: string, on: Engine = e) => JSON.parse(await ok(['image', 'inspect', ref], on))[0];
    const load = async (name: string, images: Image[]) => {
      expect(lines(await ok(['load', '-i', await put(name, dockerSaveTar(images))]))).toEqual(images.flatMap((i) => i.repoTags.map((t) => `Loaded image: ${t}`)));
    };
    const ids = async () => lines(await ok(['images', '-q', '--no-trunc'])).filter((v, i, a) => a.indexOf(v) === i).sort();

    beforeAll(async () => {
      await s.open();
      e = s.engine;
    }, 120_000);
    afterAll(() => s.close());

    it('tag adds a name; rmi of one tag untags; rmi <id> with two repos must be forced; rmi -f deletes', async () => {
      await load('bb.tar', [bb]);
      expect(await ok(['tag', 'busybox:latest', 'busybox:second'])).toBe('');
      expect(lines(await ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', 'busybox'])).sort()).toEqual([`busybox:latest ${short(bb.id)}`, `busybox:second ${short(bb.id)}`]);
      expect((await inspect('busybox:second')).RepoTags.sort()).toEqual(['busybox:latest', 'busybox:second']);
      expect(lines(await ok(['rmi', 'busybox:second']))).toEqual(['Untagged: busybox:second']);
      expect((await inspect(bb.id)).RepoTags).toEqual(['busybox:latest']);

      await ok(['tag', short(bb.id), 'other/busybox:v2']);
      const conflict = await e.docker(['rmi', short(bb.id)]);
      expect(conflict.code).toBe(1);
      expect(conflict.stderr).toMatch(/conflict: unable to delete \w+ \(must be forced\) - image is referenced in multiple repositories/);
      expect((await inspect(bb.id)).RepoTags.sort()).toEqual(['busybox:latest', 'other/busybox:v2']);

      const forced = lines(await ok(['rmi', '-f', bb.id]));
      expect(forced.filter((l) => l.startsWith('Untagged: ')).sort()).toEqual(['Untagged: busybox:latest', 'Untagged: other/busybox:v2']);
      expect(forced.filter((l) => l.startsWith('Deleted: '))).toEqual([`Deleted: ${bb.id}`, `Deleted: ${bb.layers[0]!.chainId}`]);
      expect(await ids()).toEqual([]);

      const missing = await e.docker(['rmi', 'nope']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/No such image: nope(:latest)?/);
    });

    it('image inspect of a missing image: exit 1, "No such image"', async () => {
      const r = await e.docker(['image', 'inspect', 'nope']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/No such image: nope/);
      const api = await e.request('GET', '/v1.41/images/nope/json');
      expect(api.status).toBe(404);
      expect(api.headers['content-type']).toBe('application/json');
      expect(api.json().message).toMatch(/No such image: nope/);
    });

    it('system df counts and sizes the images', async () => {
      await load('bb-multi.tar', [bb, multi]);
      expect(await ids()).toEqual([bb.id, multi.id].sort());
      const rows = lines(await ok(['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}']));
      const sizes = [bb.size + multi.size, bb.fileSize + multi.fileSize]; // Docker under overlay2, under vfs
      expect(sizes.map((n) => `Images|2|0|${humanSize(n, 4)}`)).toContain(rows.find((r) => r.startsWith('Images|')));
      const df = JSON.parse((await e.request('GET', '/v1.41/system/df')).body);
      expect(sizes).toContain(df.LayersSize);
      expect(df.Images.map((i: { Id: string }) => i.Id).sort()).toEqual([bb.id, multi.id].sort());
    });

    it('save a b -o x.tar, then load into a fresh daemon: same IDs and layers', async () => {
      const file = path.join(s.dir, 'saved.tar');
      expect(await ok(['save', 'busybox:latest', 'multi:latest', '-o', file])).toBe('');
      const fresh = await spec.start();
      try {
        const out = lines(await ok(['load', '-i', file], fresh)).sort();
        expect(out).toEqual(['Loaded image: busybox:latest', 'Loaded image: multi:latest']);
        for (const img of [bb, multi]) {
          const got = await inspect(img.repoTags[0]!, fresh);
          expect(got.Id).toBe(img.id);
          expect(got.RootFS.Layers).toEqual(img.layers.map((l) => l.diffId));
        }
      } finally {
        await fresh.stop();
      }
    }, 120_000);

    it('import rootfs.tar --change CMD: a one-layer image whose diffID is the tar\'s sha256', async () => {
      const rootfs = bb.layers[0]!.tar;
      const file = await put('rootfs.tar', rootfs);
      const id = (await ok(['import', file, '--change', 'CMD ["/bin/sh"]', 'imported:v1'])).trim();
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
      const got = await inspect('imported:v1');
      expect(got.Id).toBe(id);
      expect(got.RepoTags).toEqual(['imported:v1']);
      expect(got.Config.Cmd).toEqual(['/bin/sh']);
      expect(got.RootFS).toEqual({ Type: 'layers', Layers: [sha256(rootfs)] });
      expect([got.Os, got.Architecture]).toEqual(['linux', hostArch]);
      expect(lines(await ok(['history', '--format', '{{.Comment}}', 'imported:v1']))).toEqual(['Imported from -']);
      const msg = (await ok(['import', '-m', 'a message', file, 'imported:v2'])).trim();
      expect(lines(await ok(['history', '--format', '{{.Comment}}', msg]))).toEqual(['a message']);
      await ok(['rmi', 'imported:v1', 'imported:v2']);
    });

    it('image prune removes dangling images only; prune -a removes every unused image', async () => {
      const old = buildImage({ repoTags: ['prune-me:latest'], layers: [[{ name: 'v.txt', data: '1\n' }]] });
      const cur = buildImage({ repoTags: ['prune-me:latest'], layers: [[{ name: 'v.txt', data: '2\n' }]] });
      await load('bb.tar', [bb]);
      expect((await e.docker(['load', '-i', await put('p1.tar', dockerSaveTar([old]))])).code).toBe(0);
      expect((await e.docker(['load', '-i', await put('p2.tar', dockerSaveTar([cur]))])).code).toBe(0);
      expect(lines(await ok(['images', '-q', '--no-trunc', '--filter', 'dangling=true']))).toEqual([old.id]);

      const pruned = lines(await ok(['image', 'prune', '-f']));
      expect(pruned).toContain(`deleted: ${old.id}`);
      expect(pruned).toContain(`deleted: ${old.layers[0]!.chainId}`);
      expect(pruned.some((l) => l.startsWith('Total reclaimed space: '))).toBe(true);
      expect(pruned.filter((l) => l.startsWith('deleted: ') || l.startsWith('untagged: ')).sort()).toEqual([`deleted: ${old.id}`, `deleted: ${old.layers[0]!.chainId}`].sort());
      expect(await ids()).toEqual([bb.id, multi.id, cur.id].sort());

      const all = lines(await ok(['image', 'prune', '-a', '-f']));
      for (const img of [bb, multi, cur]) {
        expect(all).toContain(`untagged: ${img.repoTags[0]}`);
        expect(all).toContain(`deleted: ${img.id}`);
      }
      expect(await ids()).toEqual([]);
      expect(lines(await ok(['images', '-a', '-q']))).toEqual([]);
    });
  });
}
