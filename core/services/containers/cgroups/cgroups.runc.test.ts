/**
 * The cgroup routes over a real container run by runc: stats read its live cgroup, top finds its
 * processes with the host's ps, update changes its memory limit in the kernel. Each run uses its
 * own cgroup parent and removes the container, the bundle and the cgroups even when a case fails.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliRuntime, findBinary } from '@keel/sdk/oci-cli';
import { createFakeLogger, FakeRouter, minimalSpec } from '@keel/sdk/testkit';
import { ApiServer } from '../../../kernel/api-server.js';
import { RouteTable } from '../../../kernel/route-table.js';
import { containerCgroup, hostCgroupLayout } from './cgroup-fs.js';
import { registerCgroupRoutes } from './index.js';
import type { StatsResponse } from './stats-types.js';
import { testRecord, TestAccess } from './test-support.js';

const run = promisify(execFile);
const runc = await findBinary(['/usr/sbin/runc', '/usr/bin/runc']);
// The CLI 28 the setup installs comes first.
const docker = await findBinary(['/usr/local/bin/docker', '/usr/bin/docker']);
const busybox = await findBinary(['/bin/busybox', '/usr/bin/busybox']);
const why = process.getuid?.() !== 0 ? 'needs root' : !runc ? 'runc is not installed' : !busybox ? 'busybox is not installed' : undefined;
if (why) console.warn(`cgroup routes under runc: skipped: ${why}`);

const MiB = 1024 * 1024;
const parent = `keel-test-${randomBytes(4).toString('hex')}`;
const id = randomBytes(32).toString('hex');
const cgroupsPath = `/${parent}/${id}`;

/** Removes the test's cgroup (and any leftover child) in every hierarchy. */
async function removeCgroups(): Promise<void> {
  const roots = ['/sys/fs/cgroup', ...(await readdir('/sys/fs/cgroup').catch(() => [] as string[])).map((c) => path.join('/sys/fs/cgroup', c))];
  for (const root of roots) {
    await rmdir(path.join(root, parent, id)).catch(() => undefined);
    await rmdir(path.join(root, parent)).catch(() => undefined);
  }
}

describe.skipIf(!!why)('cgroup routes over a runc container', () => {
  let dir: string;
  let rt: CliRuntime;
  let access: TestAccess;
  let server: ApiServer | undefined;
  const router = new FakeRouter();
  const routes = new RouteTable();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-cgroutes-'));
    const bundle = path.join(dir, 'bundle');
    await mkdir(path.join(bundle, 'rootfs/bin'), { recursive: true });
    for (const d of ['proc', 'dev', 'sys', 'tmp']) await mkdir(path.join(bundle, 'rootfs', d));
    await copyFile(busybox!, path.join(bundle, 'rootfs/bin/busybox'));
    for (const a of ['sh', 'sleep', 'dd']) await symlink('busybox', path.join(bundle, 'rootfs/bin', a));
    // Touch some memory so usage is clearly above zero, then idle with two processes.
    const spec = minimalSpec(['/bin/sh', '-c', 'dd if=/dev/zero of=/tmp/fill bs=1k count=2048 2>/dev/null; sleep 300 & exec sleep 301'], cgroupsPath);
    const linux = spec.linux as { resources: Record<string, unknown> };
    linux.resources.memory = { limit: 64 * MiB, swap: 128 * MiB };
    await writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec));
    rt = new CliRuntime({ path: runc!, root: path.join(dir, 'state'), capabilities: { cgroupVersions: [1, 2], pause: true, update: true } });
    await rt.create({ id, bundle });
    await rt.start(id);
    const state = await rt.state(id);
    access = new TestAccess([testRecord({ Id: id, pid: state!.pid, cgroupsPath, HostConfig: { Memory: 64 * MiB, MemorySwap: 128 * MiB } })], rt);
    registerCgroupRoutes(router.forPlugin('service.containers'), access, { intervalMs: 200 });
    registerCgroupRoutes(routes.forPlugin('service.containers'), access);
    // What `docker stats` asks besides stats: the event stream (kept open, silent) and inspect.
    const stub = routes.forPlugin('test.stubs');
    stub.route({ method: 'GET', path: '/events', handler: (req, reply) => reply.ndjson((async function* () { await new Promise((r) => req.signal.addEventListener('abort', r)); })()) });
    stub.route({ method: 'GET', path: '/containers/:id/json', handler: (req) => access.get(req.params.id!) });
    stub.route({ method: 'GET', path: '/version', handler: () => ({ ApiVersion: '1.47', MinAPIVersion: '1.24', Version: 'test', Os: 'linux' }) });
    // Wait until both sleeps exist, so top and pids see the whole container.
    const cg = containerCgroup(await hostCgroupLayout(), cgroupsPath);
    const procs = path.join(cg.dir('pids')!, 'cgroup.procs');
    for (const end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      if ((await readFile(procs, 'utf8').catch(() => '')).trim().split('\n').length >= 2) break;
    }
  }, 30_000);

  afterAll(async () => {
    await server?.close();
    await rt?.delete(id, { force: true }).catch(() => undefined);
    await removeCgroups();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stats: memory in use, two pids, cpu time and the limit', async () => {
    const r = await router.invoke({ method: 'GET', path: `/containers/${id.slice(0, 12)}/stats?stream=0` });
    expect(r.status).toBe(200);
    const s = r.body as StatsResponse;
    expect(s.id).toBe(id);
    expect(s.memory_stats.usage).toBeGreaterThan(0);
    expect(s.memory_stats.limit).toBe(64 * MiB);
    expect(s.pids_stats.current).toBe(2);
    expect(s.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(0);
    expect(s.cpu_stats.system_cpu_usage).toBeGreaterThan(s.precpu_stats.system_cpu_usage!);
    expect(s.cpu_stats.online_cpus).toBeGreaterThan(0);
    // minimalSpec gives the container its own, empty network namespace: only lo, which is left out.
    expect(s.networks).toBeUndefined();
  });

  it('top: ps shows the container\'s two sleeps and nothing else', async () => {
    const r = await router.invoke({ method: 'GET', path: `/containers/${id}/top?ps_args=-o pid,args` });
    expect(r.status).toBe(200);
    const body = r.body as { Titles: string[]; Processes: string[][] };
    expect(body.Titles).toEqual(['PID', 'COMMAND']);
    expect(body.Processes.map((p) => p[1]).sort()).toEqual(['sleep 300', 'sleep 301']);
  });

  it('update: a new memory limit reaches the kernel and the record', async () => {
    const r = await router.invoke({ method: 'POST', path: `/containers/${id}/update`, body: { Memory: 48 * MiB, MemorySwap: 96 * MiB, PidsLimit: 20 } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const cg = containerCgroup(await hostCgroupLayout(), cgroupsPath);
    if (cg.version === 1) {
      expect(await readFile(path.join(cg.dir('memory')!, 'memory.limit_in_bytes'), 'utf8')).toBe(`${48 * MiB}\n`);
      const memsw = await readFile(path.join(cg.dir('memory')!, 'memory.memsw.limit_in_bytes'), 'utf8').catch(() => undefined);
      if (memsw !== undefined) expect(memsw).toBe(`${96 * MiB}\n`);
      expect(await readFile(path.join(cg.dir('pids')!, 'pids.max'), 'utf8')).toBe('20\n');
    } else {
      expect(await readFile(path.join(cg.dir('')!, 'memory.max'), 'utf8')).toBe(`${48 * MiB}\n`);
    }
    expect(access.get(id).HostConfig).toMatchObject({ Memory: 48 * MiB, MemorySwap: 96 * MiB, PidsLimit: 20 });
    const s = (await router.invoke({ method: 'GET', path: `/containers/${id}/stats?stream=0&one-shot=1` })).body as StatsResponse;
    expect(s.memory_stats.limit).toBe(48 * MiB);
    expect(s.pids_stats.limit).toBe(20);
  });

  // The real docker CLI against an API server holding only these routes: it must parse what they send.
  it.skipIf(!docker)('the docker CLI reads stats and top and sends update', async () => {
    const host = `unix://${path.join(dir, 'api.sock')}`;
    server = await ApiServer.start({ hosts: [host], routes: routes.all(), logger: createFakeLogger(), version: 'test' });
    const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: path.join(dir, 'docker-config') };
    delete env.DOCKER_API_VERSION;
    delete env.DOCKER_CONTEXT;
    const cli = async (...args: string[]) => (await run(docker!, args, { env, timeout: 20_000 })).stdout.trim();
    const row = JSON.parse(await cli('stats', '--no-stream', '--format', '{{json .}}', id));
    expect(row.PIDs).toBe('2');
    expect(row.MemUsage).toMatch(/^\d+(\.\d+)?[KM]iB \/ 48MiB$/);
    expect(row.CPUPerc).toMatch(/^\d+\.\d+%$/);
    expect(row.NetIO).toBe('0B / 0B');
    const top = (await cli('top', id)).split('\n');
    expect(top[0]!.split(/\s+/)).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(top.slice(1).map((l) => l.split(/\s+/).slice(7).join(' ')).sort()).toEqual(['sleep 300', 'sleep 301']);
    expect(await cli('update', '--memory', '40m', id)).toBe(id);
    expect(access.get(id).HostConfig.Memory).toBe(40 * MiB);
  });
});
