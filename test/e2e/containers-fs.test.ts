/**
 * Container filesystems with the real docker CLI: `docker cp` both ways (files, directories,
 * stdin/stdout tars, hostile paths and symlinks), `docker diff`, `docker export`, and
 * `docker commit` followed by `docker run` of the committed image. The same suite runs against
 * keel (vfs, overlay2) and the reference dockerd, which shows each assertion is Docker's behaviour.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxAvailable, busyboxImage, busyboxPath, dockerSaveTar, tar } from '../fixtures/images.js';
import { run } from './harness.js';
import { allEngineSpecs, dockerOk, EngineSession, type Engine } from './ref-dockerd.js';

const noBusybox = busyboxAvailable() ? undefined : `busybox-static absent (${busyboxPath})`;
const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);

/** Names in a tar file, as GNU tar lists them. */
async function tarNames(file: string): Promise<string[]> {
  const r = await run('tar', ['-tf', file]);
  if (r.code !== 0) throw new Error(`tar -tf ${file}: ${r.stderr}`);
  return lines(r.stdout).map((n) => n.replace(/^\.\//, ''));
}

for (const spec of allEngineSpecs()) {
  const skip = noBusybox ?? spec.skip;
  describe.skipIf(!!skip)(`container filesystems: ${spec.label}${skip ? ` [skipped: ${skip}]` : ''}`, () => {
    const s = new EngineSession(spec);
    let e: Engine;
    const docker = (args: string[]) => dockerOk(e, args);

    beforeAll(async () => {
      await s.open();
      e = s.engine;
      await docker(['load', '-i', await s.put('busybox.tar', dockerSaveTar([busyboxImage()]))]);
      await docker(['create', '--name', 'fs1', 'busybox:latest', 'sh']);
    }, 120_000);
    afterAll(() => s.close());

    it('docker cp a host file into a container directory, and back out', async () => {
      await writeFile(path.join(s.dir, 'hello.txt'), 'hello from the host\n');
      await docker(['cp', path.join(s.dir, 'hello.txt'), 'fs1:/tmp/']);
      const out = path.join(s.dir, 'out1');
      await mkdir(out);
      await docker(['cp', 'fs1:/tmp/hello.txt', out]);
      expect(await readFile(path.join(out, 'hello.txt'), 'utf8')).toBe('hello from the host\n');
    });

    it('docker cp a directory to a new name, then the whole directory out', async () => {
      const src = path.join(s.dir, 'srcdir');
      await mkdir(path.join(src, 'sub'), { recursive: true });
      await writeFile(path.join(src, 'a.txt'), 'a');
      await writeFile(path.join(src, 'sub/b.txt'), 'b');
      await docker(['cp', src, 'fs1:/data']); // /data does not exist: the directory takes that name
      const out = path.join(s.dir, 'out2');
      await docker(['cp', 'fs1:/data', out]);
      expect((await readdir(out)).sort()).toEqual(['a.txt', 'sub']);
      expect(await readFile(path.join(out, 'sub/b.txt'), 'utf8')).toBe('b');
    });

    it('docker cp to stdout gives a tar named after the basename; a missing path is an error', async () => {
      const r = await e.docker(['cp', 'fs1:/etc/passwd', '-']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('root:x:0:0');
      const missing = await e.docker(['cp', 'fs1:/nope', path.join(s.dir, 'nope')]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/Could not find the file \/nope in container fs1/);
    });

    it('hostile: ../ paths and symlinks to / never reach host files', async () => {
      // The container plants links to its "/" and far above it, through a tar on stdin.
      const planted = tar([
        { name: 'hostroot', type: 'symlink', linkname: '/' },
        { name: 'updir', type: 'symlink', linkname: '../../../../../../../../..' },
      ]);
      const r = await e.docker(['cp', '-', 'fs1:/'], { input: planted.toString('latin1') });
      expect(r.code, r.stderr).toBe(0);
      for (const p of ['../../../../etc/passwd', '/hostroot/etc/passwd', '/updir/etc/passwd']) {
        const got = await e.docker(['cp', `fs1:${p}`, '-']);
        expect(got.code, `${p}: ${got.stderr}`).toBe(0);
        expect(got.stdout, p).toContain('nobody:x:65534:65534:nobody:/nonexistent:/bin/false'); // the image's passwd, not the host's
      }
      const shadow = await e.docker(['cp', 'fs1:/updir/etc/shadow', path.join(s.dir, 'shadow')]);
      expect(shadow.code).not.toBe(0); // the host has /etc/shadow; the container does not
      expect(existsSync(path.join(s.dir, 'shadow'))).toBe(false);
    });

    it('docker diff lists what the container changed', async () => {
      const diff = lines(await docker(['diff', 'fs1']));
      expect(diff).toEqual(expect.arrayContaining(['C /tmp', 'A /tmp/hello.txt', 'A /data', 'A /data/a.txt', 'A /hostroot']));
    });

    it('docker export writes the whole root filesystem', async () => {
      const file = path.join(s.dir, 'export.tar');
      await docker(['export', '-o', file, 'fs1']);
      const names = await tarNames(file);
      expect(names).toEqual(expect.arrayContaining(['bin/busybox', 'etc/passwd', 'tmp/hello.txt', 'data/sub/b.txt']));
    });

    it('docker cp into a read-only container is refused', async () => {
      await docker(['create', '--read-only', '--name', 'ro1', 'busybox:latest', 'sh']);
      const r = await e.docker(['cp', path.join(s.dir, 'hello.txt'), 'ro1:/tmp/']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/read-only/);
    });

    it('docker commit makes an image; docker run of it sees the files and the changes', async () => {
      const id = (await docker(['commit', '-a', 'me', '-m', 'msg', '-c', 'ENV X=1', 'fs1', 'committed:v1'])).trim();
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
      const img = JSON.parse(await docker(['image', 'inspect', 'committed:v1']))[0];
      expect(img.Id).toBe(id);
      expect(img.Author).toBe('me');
      expect(img.Comment).toBe('msg');
      expect(img.Config.Env).toContain('X=1');
      expect(img.RootFS.Layers).toHaveLength(2);
      const out = await docker(['run', '--rm', 'committed:v1', 'sh', '-c', 'cat /tmp/hello.txt /data/sub/b.txt; echo; echo X=$X']);
      expect(out).toBe('hello from the host\nb\nX=1\n');
    }, 60_000);
  });
}
