/**
 * keel ↔ Docker: images saved by the reference dockerd load into keel, images saved by keel load
 * into dockerd, with the same IDs. Also proves fixtures the behaviour suites cannot check through
 * dockerd's `load`: the whiteout image's merged view (create + export) and the pure OCI layouts
 * (converted by skopeo, then loaded).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxAvailable, busyboxImage, busyboxPath, dockerSaveTar, ociLayoutTar, whiteoutImage, type Image } from '../fixtures/images.js';
import { run } from './harness.js';
import { dockerOk, keelEngineSpec, refDockerdMissing, startRefDockerd, type Engine, type RefDockerd } from './ref-dockerd.js';

const skip = (busyboxAvailable() ? undefined : `busybox-static absent (${busyboxPath})`) ?? refDockerdMissing();
const noSkopeo = existsSync('/usr/bin/skopeo') ? undefined : 'skopeo absent (Debian package skopeo)';
const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);
type Cli = Pick<Engine, 'docker'>;

describe.skipIf(!!skip)(`images interop with the reference dockerd${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let ref: RefDockerd;
  let dir: string;
  const bb = busyboxImage();
  const multi = whiteoutImage();
  const ok = dockerOk;
  const put = async (name: string, data: Buffer) => {
    const f = path.join(dir, name);
    await writeFile(f, data);
    return f;
  };
  const loadInto = async (on: Cli, file: string, tags: string[]) => expect(lines(await ok(on, ['load', '-i', file])).sort()).toEqual(tags.map((t) => `Loaded image: ${t}`).sort());
  const idOf = async (on: Cli, ref: string) => JSON.parse(await ok(on, ['image', 'inspect', ref]))[0].Id as string;
  const forget = async (on: Cli, refs: string[]) => void (await on.docker(['rmi', '-f', ...refs]));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-interop-'));
    ref = await startRefDockerd();
  }, 120_000);
  afterAll(async () => {
    await ref?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('fixtures, as dockerd sees them', () => {
    it('the whiteout image exports the merged view (gone.txt deleted, opq/ holds only c.txt)', async () => {
      await loadInto(ref, await put('multi.tar', dockerSaveTar([multi])), ['multi:latest']);
      const cid = (await ok(ref, ['create', '--network', 'none', 'multi:latest'])).trim();
      try {
        const out = path.join(dir, 'multi-export.tar');
        await ok(ref, ['export', cid, '-o', out]);
        const files = lines((await run('tar', ['-tf', out])).stdout).map((f) => f.replace(/\/$/, ''));
        expect(files).toEqual(expect.arrayContaining(['bin/busybox', 'data/keep.txt', 'opq/c.txt', 'new.txt']));
        expect(files.filter((f) => /^(data\/gone\.txt|opq\/[ab]\.txt)$/.test(f) || path.basename(f).startsWith('.wh.'))).toEqual([]);
      } finally {
        await ref.docker(['rm', '-f', cid]);
        await forget(ref, ['multi:latest']);
      }
    });

    for (const gz of [false, true]) {
      it.skipIf(!!noSkopeo)(`the OCI layout${gz ? ' with gzip layers' : ''} is valid: skopeo converts it and dockerd loads the same image${noSkopeo ? ` [skipped: ${noSkopeo}]` : ''}`, async () => {
        const oci = await put(`oci-${gz}.tar`, ociLayoutTar([bb], { gzipLayers: gz }));
        const out = path.join(dir, `oci-${gz}-converted.tar`);
        const r = await run('skopeo', ['--insecure-policy', 'copy', '--quiet', `oci-archive:${oci}:latest`, `docker-archive:${out}:busybox:latest`], { timeoutMs: 60_000 });
        expect(r.code, r.stderr).toBe(0);
        await loadInto(ref, out, ['busybox:latest']);
        const got = JSON.parse(await ok(ref, ['image', 'inspect', 'busybox:latest']))[0];
        expect(got.Id).toBe(bb.id);
        expect(got.RootFS.Layers).toEqual(bb.layers.map((l) => l.diffId));
        await forget(ref, ['busybox:latest']);
      });
    }
  });

  for (const driver of ['vfs', 'overlay2'] as const) {
    const spec = keelEngineSpec(driver);
    describe.skipIf(!!spec.skip)(`${spec.label} <-> dockerd${spec.skip ? ` [skipped: ${spec.skip}]` : ''}`, () => {
      let keel: Engine;
      beforeAll(async () => {
        keel = await spec.start();
      }, 120_000);
      afterAll(async () => {
        await keel?.stop();
      });
      const tags = (imgs: Image[]) => imgs.map((i) => i.repoTags[0]!);
      const directions = [['dockerd', 'keel'], ['keel', 'dockerd']] as const;
      const pick = (n: 'keel' | 'dockerd'): Cli => (n === 'keel' ? keel : ref);

      for (const [from, to] of directions) {
        it(`docker save from ${from} -> docker load into ${to}: same IDs`, async () => {
          const names = tags([bb, multi]);
          await loadInto(pick(from), await put('fixture.tar', dockerSaveTar([bb, multi])), names);
          const saved = path.join(dir, `${from}-save-${driver}.tar`);
          await ok(pick(from), ['save', '-o', saved, ...names]);
          await loadInto(pick(to), saved, names);
          for (const img of [bb, multi]) expect(await idOf(pick(to), img.repoTags[0]!)).toBe(img.id);
          for (const n of ['dockerd', 'keel'] as const) await forget(pick(n), names);
        });

        it(`docker import into ${from} -> save -> load into ${to}: same ID and Cmd`, async () => {
          const id = (await ok(pick(from), ['import', await put('rootfs.tar', bb.layers[0]!.tar), '--change', 'CMD ["/bin/sh"]', 'imp:v1'])).trim();
          const saved = path.join(dir, `${from}-import-${driver}.tar`);
          await ok(pick(from), ['save', '-o', saved, 'imp:v1']);
          await loadInto(pick(to), saved, ['imp:v1']);
          const got = JSON.parse(await ok(pick(to), ['image', 'inspect', 'imp:v1']))[0];
          expect([got.Id, got.Config.Cmd]).toEqual([id, ['/bin/sh']]);
          for (const n of ['dockerd', 'keel'] as const) await forget(pick(n), ['imp:v1']);
        });
      }
    });
  }
});
