/**
 * Scenarios 2–4 of bench/containers.mjs: the API life cycle of `docker run --rm`, the create burst
 * and the `runc run` floor.
 */
import { mkdir, readFile, symlink, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { onCleanup, since, timed } from '../lib/common.mjs';
import { createContainer, expectStatus, forceRemove, pool } from './api.mjs';

export const IMAGE = 'busybox:latest';
export const trueBody = { Image: IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } };

let serial = 0;
/** POST /containers/create of `busybox true`; with `names`, each container gets a unique name instead of a generated one. */
export const create = (api, names) => createContainer(api, trueBody, names ? `kb-${process.pid}-${serial++}` : undefined);

/** Scenario 2, one run: create, wait (headers in), start, wait's body, delete. Seconds. */
export async function apiLifecycle(api, names) {
  const t0 = process.hrtime.bigint();
  const id = await create(api, names);
  try {
    const waitRes = await api.open('POST', `/containers/${id}/wait?condition=next-exit`, undefined, 30_000);
    if (waitRes.statusCode !== 200) expectStatus(await api.read(waitRes), [200], 'wait');
    const waited = api.read(waitRes);
    waited.catch(() => undefined);
    expectStatus(await api.request('POST', `/containers/${id}/start`), [204], 'start');
    const w = await waited.catch((e) => { throw new Error(`wait failed: ${e.message}`); });
    expectStatus(w, [200], 'wait');
    const exit = w.json();
    if (exit.StatusCode !== 0) throw new Error(`wait: container exited ${exit.StatusCode}${exit.Error?.Message ? ` (${exit.Error.Message})` : ''}`);
    expectStatus(await api.request('DELETE', `/containers/${id}`), [204], 'remove');
  } catch (err) {
    await api.request('DELETE', `/containers/${id}?force=1`).catch(() => undefined);
    throw err;
  }
  return since(t0);
}

/** Scenario 3, one round: `count` creates at `concurrency`; seconds. The containers are removed after (untimed). */
export async function createBurst(api, { count, concurrency, names }) {
  const ids = [];
  const t0 = process.hrtime.bigint();
  try {
    await pool(count, concurrency, async () => { ids.push(await create(api, names)); });
    return since(t0);
  } finally {
    await pool(ids.length, concurrency, (i) => forceRemove(api, ids[i]), { evenWhenAborting: true }).catch((e) => console.error(`\n  removing the burst's containers: ${e.message}`));
  }
}

/** Scenario 4: `runc run` of a bundle holding only a static /bin/busybox running `true`, with its own runc --root. */
export async function runcFloor(work) {
  const bundle = path.join(work, 'runc-bundle');
  const root = path.join(work, 'runc-root');
  await mkdir(path.join(bundle, 'rootfs', 'bin'), { recursive: true });
  await mkdir(root);
  await copyFile('/bin/busybox', path.join(bundle, 'rootfs', 'bin', 'busybox'));
  await symlink('busybox', path.join(bundle, 'rootfs', 'bin', 'true'));
  await timed('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(await readFile(path.join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/true'];
  await writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  const prefix = `keel-bench-${process.pid}-`;
  let n = 0;
  onCleanup(async () => {
    // Anything a SIGINT left behind: `runc delete -f` removes the container, its cgroups and state.
    const { execFileSync } = await import('node:child_process');
    let ids = [];
    try { ids = execFileSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).split('\n').filter((s) => s.startsWith(prefix)); } catch { /* none */ }
    for (const id of ids) { try { execFileSync('runc', ['--root', root, 'delete', '-f', id], { stdio: 'ignore' }); } catch { /* gone */ } }
  });
  const version = (await import('node:child_process')).execFileSync('runc', ['--version'], { encoding: 'utf8' }).split('\n')[0].replace(/^runc version /, '');
  return { name: `runc ${version} run`, run: () => timed('runc', ['--root', root, 'run', '--bundle', bundle, `${prefix}${n++}`]) };
}
