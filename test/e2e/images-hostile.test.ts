/**
 * Hostile and broken archives given to `docker load` (ecosystem-notes §D #1-4, #13): path
 * traversal, a symlink out of the root followed by a file under it, a hardlink to a host file, a
 * truncated archive, a truncated layer, a missing layer and mismatching diff_ids.
 *
 * keel must answer `POST /images/load` with a 4xx and a message, leave the canary directory and
 * /etc/passwd alone, create no image, and leave nothing behind in its data root. The reference
 * dockerd runs the same cases with the host checks only: it proves the fixtures are refused by
 * Docker too (its status codes and leftovers are not keel's bar: dockerd 20.10 answers 200 with
 * an in-band errorDetail, and leaves a `../` layer clamped to the root, see dockerClamps).
 */
import { lstatSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxAvailable, busyboxImage, busyboxPath, dockerSaveTar, hostileArchives, listTree } from '../fixtures/images.js';
import { allEngineSpecs, EngineSession, type Engine } from './ref-dockerd.js';

const noBusybox = busyboxAvailable() ? undefined : `busybox-static absent (${busyboxPath})`;
const caseNames = Object.keys(hostileArchives('/tmp/x'));
/**
 * moby extracts layers chrooted into the layer root, so `../` entries land inside it and the load
 * succeeds (host untouched). The issue asks keel to refuse them outright.
 */
const dockerClamps = new Set(['dotdot']);

/** Names and file contents under `dir` (what "unchanged" means for the canary). */
function snapshot(dir: string): string[] {
  return listTree(dir).map((p) => {
    const st = lstatSync(path.join(dir, p));
    return st.isFile() ? `${p}=${readFileSync(path.join(dir, p), 'hex')}` : `${p} mode=${st.mode.toString(8)}`;
  });
}

function passwdState(): string {
  const st = lstatSync('/etc/passwd');
  return `ino=${st.ino} nlink=${st.nlink} size=${st.size} mtime=${st.mtimeMs}`;
}

for (const spec of allEngineSpecs()) {
  const skip = noBusybox ?? spec.skip;
  const strict = spec.kind === 'keel';
  describe.skipIf(!!skip)(`hostile archives: ${spec.label}${skip ? ` [skipped: ${skip}]` : ''}`, () => {
    const s = new EngineSession(spec);
    let e: Engine;
    let canary: string;
    let apiVersion: string;
    const seen: string[] = [];
    const imageIds = async () => (await e.docker(['images', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean).sort();

    beforeAll(async () => {
      canary = await mkdtemp(path.join('/tmp', 'keel-canary-'));
      await writeFile(path.join(canary, 'canary.txt'), 'must not change\n');
      await s.open();
      e = s.engine;
      apiVersion = JSON.parse((await e.request('GET', '/version')).body).ApiVersion;
      // A successful load first, so directories a store creates lazily exist before the snapshots.
      const r = await e.docker(['load', '-i', await s.put('bb.tar', dockerSaveTar([busyboxImage()]))]);
      expect(r.code, r.stderr).toBe(0);
    }, 120_000);
    afterAll(async () => {
      if (seen.length) console.log(`${spec.label} refusals:\n${seen.join('\n')}`);
      await s.close();
      if (canary) await rm(canary, { recursive: true, force: true });
    });

    for (const name of caseNames) {
      it(`${name}: ${strict || !dockerClamps.has(name) ? 'refused' : 'clamped inside the layer root'}, host untouched`, async () => {
        const c = hostileArchives(canary)[name]!;
        const file = await s.put(`${name}.tar`, c.tar);
        const canaryBefore = snapshot(canary);
        const passwdBefore = passwdState();
        const rootBefore = listTree(e.dataRoot);
        const imagesBefore = await imageIds();

        const api = await e.request('POST', `/v${apiVersion}/images/load?quiet=1`, c.tar, { 'Content-Type': 'application/x-tar' });
        const cli = await e.docker(['load', '-i', file]);
        seen.push(`  ${name} (${c.about}): HTTP ${api.status} ${api.body.trim().slice(0, 300)} | CLI exit ${cli.code}: ${cli.stderr.trim().slice(0, 300)}`);

        expect(snapshot(canary), 'canary directory unchanged').toEqual(canaryBefore);
        expect(passwdState(), '/etc/passwd not linked or changed').toBe(passwdBefore);
        expect(listTree(e.dataRoot).filter((p) => lstatSync(path.join(e.dataRoot, p)).ino === lstatSync('/etc/passwd').ino)).toEqual([]);
        if (!strict && dockerClamps.has(name)) {
          expect(cli.code, 'dockerd clamps ../ entries to the layer root and loads the image').toBe(0);
          return;
        }
        expect(cli.code, `docker load of ${c.about} must fail; stdout: ${cli.stdout}`).not.toBe(0);
        expect(cli.stderr).toMatch(/\S/);
        expect((await e.docker(['image', 'inspect', c.repoTag])).code, `no image ${c.repoTag}`).toBe(1);
        expect(await imageIds(), 'the image list is unchanged').toEqual(imagesBefore);
        if (!strict) return;
        expect(api.status, `POST /images/load of ${c.about}: want a 4xx, got ${api.status} ${api.body}`).toBeGreaterThanOrEqual(400);
        expect(api.status).toBeLessThan(500);
        expect(api.headers['content-type']).toBe('application/json');
        expect(api.json().message).toMatch(/\S/);
        expect(cli.stderr).toContain(api.json().message);
        const rootAfter = listTree(e.dataRoot);
        expect(rootAfter.filter((p) => !rootBefore.includes(p)), 'new paths left in the data root').toEqual([]);
        expect((await e.request('GET', '/_ping')).status).toBe(200);
      });
    }
  });
}
