/**
 * Image store acceptance, part 1: `docker load` of every archive format, what `docker images`,
 * `image inspect` and `history` then show, whiteouts in storage, layer sharing, and `images`
 * filters. The same suite runs against keel (vfs, overlay2) and against the reference dockerd,
 * which shows that each assertion is Docker's behaviour and that the fixtures are right.
 */
import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage, busyboxAvailable, busyboxImage, busyboxPath, dockerSaveTar, gzip, hex, humanSize, listTree,
  ociLayoutTar, sharedBaseImages, treeBytes, whiteoutImage, type Image,
} from '../fixtures/images.js';
import { run } from './harness.js';
import { allEngineSpecs, dockerOk, EngineSession, type Engine } from './ref-dockerd.js';

const noBusybox = busyboxAvailable() ? undefined : `busybox-static absent (${busyboxPath})`;
const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);
const short = (id: string) => hex(id).slice(0, 12);

for (const spec of allEngineSpecs()) {
  const skip = noBusybox ?? spec.skip;
  describe.skipIf(!!skip)(`images: ${spec.label}${skip ? ` [skipped: ${skip}]` : ''}`, () => {
    const s = new EngineSession(spec);
    let e: Engine;
    const bb = busyboxImage();
    const multi = whiteoutImage();
    const [sharedA, sharedB] = sharedBaseImages();
    const put = (name: string, data: Buffer) => s.put(name, data);
    const docker = (args: string[]) => dockerOk(e, args);
    const inspect = async (ref: string) => JSON.parse(await docker(['image', 'inspect', ref]))[0];
    const load = async (name: string, images: Image[]) => {
      const out = await docker(['load', '-i', await put(name, dockerSaveTar(images))]);
      expect(lines(out)).toEqual(images.flatMap((i) => i.repoTags.map((t) => `Loaded image: ${t}`)));
    };
    const listing = async (...args: string[]) => lines(await docker(['images', '--format', '{{.Repository}}:{{.Tag}}', ...args])).sort();

    beforeAll(async () => {
      await s.open();
      e = s.engine;
    }, 120_000);
    afterAll(() => s.close());

    const variants = [
      { name: 'docker-save tar', make: () => dockerSaveTar([bb]) },
      { name: 'docker-save tar, gzip-compressed', make: () => gzip(dockerSaveTar([bb])) },
      { name: 'docker-save tar with gzip layers', make: () => dockerSaveTar([bb], { gzipLayers: true }) },
      { name: 'OCI layout with manifest.json (docker save >= 25)', make: () => ociLayoutTar([bb], { gzipLayers: true, withManifestJson: true }) },
      { name: 'OCI layout', ociOnly: true, make: () => ociLayoutTar([bb]) },
      { name: 'OCI layout, gzip layers', ociOnly: true, make: () => ociLayoutTar([bb], { gzipLayers: true }) },
      { name: 'OCI layout, gzip layers, gzip-compressed', ociOnly: true, make: () => gzip(ociLayoutTar([bb], { gzipLayers: true })) },
    ];
    for (const [i, v] of variants.entries()) {
      const noOci = v.ociOnly && spec.kind === 'docker';
      it.skipIf(noOci)(`docker load -i <${v.name}>, inspect, rmi${noOci ? ' [skipped: dockerd 20.10 cannot load an OCI layout without manifest.json]' : ''}`, async () => {
        const r = await e.docker(['load', '-i', await put(`variant-${i}.tar`, v.make())]);
        expect(r.code, r.stderr).toBe(0);
        expect(lines(r.stdout)).toEqual(['Loaded image: busybox:latest']);
        const img = await inspect('busybox:latest');
        expect(img.Id).toBe(bb.id);
        expect(img.RootFS.Layers).toEqual(bb.layers.map((l) => l.diffId));
        expect(img.Config.Cmd).toEqual(['sh']);
        const rmi = await docker(['rmi', 'busybox:latest']);
        expect(lines(rmi)).toEqual(['Untagged: busybox:latest', `Deleted: ${bb.id}`, `Deleted: ${bb.layers[0]!.chainId}`]);
        expect((await e.docker(['image', 'inspect', bb.id])).code).toBe(1);
      });
    }

    it('a layer shared by two images is stored once, and freed with the last image', async () => {
      const base = sharedA.layers[0]!;
      expect(sharedB.layers[0]!.diffId).toBe(base.diffId);
      const empty = treeBytes(e.dataRoot);
      await load('shared-a.tar', [sharedA]);
      const afterA = treeBytes(e.dataRoot);
      await load('shared-b.tar', [sharedB]);
      const afterB = treeBytes(e.dataRoot);
      expect((await inspect('shared-b:latest')).RootFS.Layers[0]).toBe(base.diffId);
      expect(afterA - empty, 'loading A stored its base layer').toBeGreaterThan(0.9 * base.size);
      // vfs materialises every layer as a full copy, so B's own layer holds a copy of the base;
      // what must not happen is a second copy of the base layer itself.
      const limit = e.driver === 'overlay2' ? 0.5 : 1.5;
      expect(afterB - afterA, `bytes added by loading B (base layer ${base.size} B, driver ${e.driver})`).toBeLessThan(limit * base.size);

      const rmA = lines(await docker(['rmi', 'shared-a:latest']));
      expect(rmA).toEqual(['Untagged: shared-a:latest', `Deleted: ${sharedA.id}`, `Deleted: ${sharedA.layers[1]!.chainId}`]);
      expect((await inspect('shared-b:latest')).Id).toBe(sharedB.id);
      const rmB = lines(await docker(['rmi', 'shared-b:latest']));
      expect(rmB.slice(0, 2)).toEqual(['Untagged: shared-b:latest', `Deleted: ${sharedB.id}`]);
      expect(rmB.slice(2).sort()).toEqual([`Deleted: ${sharedB.layers[1]!.chainId}`, `Deleted: ${base.chainId}`].sort());
      expect(treeBytes(e.dataRoot) - empty, 'bytes left after removing both images').toBeLessThan(256 << 10);
    });

    it('images, image inspect and history show what the archive holds', async () => {
      await load('bb-multi.tar', [bb, multi]);
      const rows = lines(await docker(['images', '--format', '{{.Repository}}:{{.Tag}}|{{.ID}}|{{.Size}}']));
      for (const img of [bb, multi]) {
        const row = rows.find((r) => r.startsWith(`${img.repoTags[0]}|`));
        expect([img.size, img.fileSize].map((n) => `${img.repoTags[0]}|${short(img.id)}|${humanSize(n)}`)).toContain(row);
        const got = await inspect(img.repoTags[0]!);
        expect(got.Id).toBe(img.id);
        expect(got.RepoTags).toEqual(img.repoTags);
        expect(got.RepoDigests ?? []).toEqual([]);
        expect(got.RootFS).toEqual({ Type: 'layers', Layers: img.layers.map((l) => l.diffId) });
        expect(got.Config.Cmd).toEqual(img.cmd);
        expect(got.Config.Labels).toEqual(img.labels);
        expect(got.Config.Env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
        expect([got.Os, got.Architecture]).toEqual(['linux', 'amd64']);
        expect(Date.parse(got.Created)).toBe(Date.parse(img.created));
        expect([img.size, img.fileSize], "Size as Docker counts it (overlay2: with symlinks' lstat size; vfs: files only)").toContain(got.Size);
        const hist = lines(await docker(['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}', img.repoTags[0]!]));
        const want = [...img.history].reverse().map((h, j) => `${j ? '<missing>' : img.id}|${h.created_by}`);
        expect(hist).toEqual(want);
      }
    });

    it('whiteouts delete, opaque dirs hide, and no .wh. file is left in storage', async () => {
      expect((await inspect('multi:latest')).Id).toBe(multi.id);
      const tree = listTree(e.dataRoot);
      expect(tree.filter((p) => path.basename(p).startsWith('.wh.'))).toEqual([]);
      const dirs = tree.filter((p) => p.endsWith('/opq/c.txt')).map((p) => path.join(e.dataRoot, p.slice(0, -'/opq/c.txt'.length)));
      expect(dirs.length, 'a layer directory holding opq/c.txt').toBeGreaterThan(0);
      for (const d of dirs) {
        expect(existsSync(`${d}/opq/a.txt`) || existsSync(`${d}/opq/b.txt`), `${d}/opq shows files the opaque dir hides`).toBe(false);
        const gone = existsSync(`${d}/data/gone.txt`) ? lstatSync(`${d}/data/gone.txt`) : undefined;
        if (!gone) {
          expect(existsSync(`${d}/data/keep.txt`), `${d} is a full snapshot: data/keep.txt`).toBe(true);
          continue;
        }
        // overlay diff directory: whiteout = char device 0:0, opaque dir = overlay xattr "y"
        expect(gone.isCharacterDevice() && gone.rdev === 0, `${d}/data/gone.txt is a 0:0 whiteout`).toBe(true);
        const xattr = await run('python3', ['-c', 'import os,sys\nfor n in ("trusted.overlay.opaque","user.overlay.opaque"):\n  try: print(os.getxattr(sys.argv[1], n).decode()); break\n  except OSError: pass', `${d}/opq`]);
        expect(xattr.stdout.trim(), `${d}/opq is opaque`).toBe('y');
      }
    });

    it('images filters: reference, label, before, since, dangling; --digests; -q', async () => {
      const old = buildImage({ repoTags: ['dangle:latest'], layers: [[{ name: 'v.txt', data: '1\n' }]], created: '2023-06-01T00:00:00Z' });
      const cur = buildImage({ repoTags: ['dangle:latest'], layers: [[{ name: 'v.txt', data: '2\n' }]], created: '2023-06-02T00:00:00Z' });
      await load('filters.tar', [bb, multi, sharedA, sharedB]);
      expect((await e.docker(['load', '-i', await put('dangle-1.tar', dockerSaveTar([old]))])).code).toBe(0);
      expect((await e.docker(['load', '-i', await put('dangle-2.tar', dockerSaveTar([cur]))])).code).toBe(0);
      const all = ['<none>:<none>', 'busybox:latest', 'dangle:latest', 'multi:latest', 'shared-a:latest', 'shared-b:latest'];
      expect(await listing()).toEqual(all);
      expect(await listing('--filter', 'reference=shared-*')).toEqual(['shared-a:latest', 'shared-b:latest']);
      expect(await listing('--filter', 'reference=busybox')).toEqual(['busybox:latest']);
      expect(await listing('busybox')).toEqual(['busybox:latest']);
      expect(await listing('--filter', 'reference=shared-*', '--filter', 'since=shared-a:latest')).toEqual(['shared-b:latest']);
      expect(await listing('--filter', 'label=org.keel.test=multi')).toEqual(['multi:latest']);
      expect(await listing('--filter', 'label=org.keel.test')).toEqual(['busybox:latest', 'multi:latest', 'shared-a:latest', 'shared-b:latest']);
      expect(await listing('--filter', 'before=multi:latest')).toEqual(['<none>:<none>', 'busybox:latest', 'dangle:latest']);
      expect(await listing('--filter', 'since=multi:latest')).toEqual(['shared-a:latest', 'shared-b:latest']);
      expect(await listing('--filter', 'dangling=true')).toEqual(['<none>:<none>']);
      expect(await listing('--filter', 'dangling=false')).toEqual(all.slice(1));
      expect(lines(await docker(['images', '-q', '--filter', 'dangling=true']))).toEqual([short(old.id)]);
      expect(lines(await docker(['images', '-q'])).sort()).toEqual([bb, multi, sharedA, sharedB, old, cur].map((i) => short(i.id)).sort());
      expect(lines(await docker(['images', '-q', '--no-trunc', 'multi']))).toEqual([multi.id]);
      expect(lines(await docker(['images', '--digests', '--format', '{{.Repository}}:{{.Tag}}|{{.Digest}}', 'busybox']))).toEqual(['busybox:latest|<none>']);
      const bad = await e.docker(['images', '--filter', 'nonsense=1']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/invalid filter 'nonsense'/i);
    });
  });
}
