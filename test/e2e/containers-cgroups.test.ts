/**
 * `docker stats`, `docker top` and `docker update` with the real docker CLI against keeld: the
 * numbers come from the container's cgroup, top lists its processes, and an update reaches both
 * `docker inspect` and the kernel's cgroup files. Needs root (containers) and busybox-static.
 */
import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxAvailable, busyboxImage, busyboxPath, dockerSaveTar } from '../fixtures/images.js';
import { startDaemon, stopAllDaemons, type Daemon } from './harness.js';

const why = process.getuid?.() !== 0 ? 'containers need root' : !busyboxAvailable() ? `busybox-static absent (${busyboxPath})` : undefined;
const MiB = 1024 * 1024;
// Its own cgroup parent, so the test can remove what it made and nothing else.
const parent = `keel-e2e-cgroups-${process.pid}`;

/** The host directory of `controller` holding `pid` (v1), or its unified cgroup (v2). */
async function cgroupDir(pid: number, controller: string): Promise<string> {
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).trim().split('\n').map((l) => l.split(':'));
  const v1 = lines.find(([, ctrls]) => ctrls!.split(',').includes(controller));
  if (v1) return path.join('/sys/fs/cgroup', v1[1]!, v1[2]!);
  return path.join('/sys/fs/cgroup', lines.find(([h]) => h === '0')![2]!);
}

describe.skipIf(!!why)(`containers: stats, top, update (docker CLI)${why ? ` [skipped: ${why}]` : ''}`, () => {
  let d: Daemon;
  const docker = async (...args: string[]) => {
    const r = await d.docker(args);
    expect(r.code, `docker ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r.stdout.trim();
  };

  beforeAll(async () => {
    d = await startDaemon({ args: ['--cgroup-parent', parent] });
    const probe = await d.request('GET', '/containers/none/stats?stream=0');
    if (probe.status === 404 && probe.body.includes('page not found')) {
      throw new Error('GET /containers/:id/stats is not served: registerCgroupRoutes is not wired into the containers service');
    }
    const tar = path.join(d.tmp, 'busybox.tar');
    await writeFile(tar, dockerSaveTar([busyboxImage()]));
    await docker('load', '-i', tar);
    await docker('run', '-d', '--name', 'cg', 'busybox', '/bin/busybox', 'sleep', '1000');
  }, 120_000);

  afterAll(async () => {
    if (d) await d.docker(['rm', '-f', 'cg', 'cg-stopped', 'cg-rm']);
    await stopAllDaemons();
    for (const c of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) await rmdir(path.join('/sys/fs/cgroup', c, parent)).catch(() => undefined);
    await rmdir(path.join('/sys/fs/cgroup', parent)).catch(() => undefined);
  });

  it('docker stats --no-stream shows memory in use and one process', async () => {
    const row = JSON.parse(await docker('stats', '--no-stream', '--format', '{{json .}}', 'cg'));
    expect(row.Name).toBe('cg');
    expect(row.PIDs).toBe('1');
    expect(row.MemUsage).toMatch(/^\d+(\.\d+)?[KMG]iB \/ /);
    expect(row.CPUPerc).toMatch(/^\d+\.\d+%$/);
  });

  it('docker stats of every container (the CLI asks by 12-character ID) lists cg', async () => {
    const out = await docker('stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}');
    expect(out.split('\n')).toContain('cg 1');
  });

  it('docker top lists the container\'s process with ps -ef columns and takes ps arguments', async () => {
    const lines = (await docker('top', 'cg')).split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toMatch(/\/bin\/busybox sleep 1000$/);
    const pid = JSON.parse(await docker('inspect', '-f', '{{json .State.Pid}}', 'cg'));
    expect(lines[1]!.split(/\s+/)[1]).toBe(String(pid));
    const custom = (await docker('top', 'cg', '-o', 'pid,comm')).split('\n');
    expect(custom[0]!.trim().split(/\s+/)).toEqual(['PID', 'COMMAND']);
    expect(custom[1]!.trim().split(/\s+/)).toEqual([String(pid), 'busybox']);
  });

  it('docker top of a stopped container fails with moby\'s message', async () => {
    await docker('create', '--name', 'cg-stopped', 'busybox', 'true');
    const r = await d.docker(['top', 'cg-stopped']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Container [0-9a-f]{64} is not running/);
  });

  it('docker update --memory 64m --memory-swap 128m reaches inspect, stats and the cgroup', async () => {
    expect(await docker('update', '--memory', '64m', '--memory-swap', '128m', 'cg')).toBe('cg');
    expect(await docker('inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', 'cg')).toBe(`${64 * MiB} ${128 * MiB}`);
    const pid = Number(await docker('inspect', '-f', '{{.State.Pid}}', 'cg'));
    const dir = await cgroupDir(pid, 'memory');
    expect(dir).toContain(`/${parent}/`);
    const v1 = await readFile(path.join(dir, 'memory.limit_in_bytes'), 'utf8').catch(() => undefined);
    expect((v1 ?? (await readFile(path.join(dir, 'memory.max'), 'utf8'))).trim()).toBe(String(64 * MiB));
    const row = JSON.parse(await docker('stats', '--no-stream', '--format', '{{json .}}', 'cg'));
    expect(row.MemUsage).toMatch(/ \/ 64MiB$/);
  });

  it('docker update checks like moby: memory above the set swap, restart policy of an --rm container', async () => {
    const r = await d.docker(['update', '--memory', '256m', 'cg']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    await docker('run', '-d', '--rm', '--name', 'cg-rm', 'busybox', '/bin/busybox', 'sleep', '1000');
    const rm = await d.docker(['update', '--restart', 'always', 'cg-rm']);
    expect(rm.code).not.toBe(0);
    expect(rm.stderr).toContain('Restart policy cannot be updated because AutoRemove is enabled for the container');
    expect(await docker('update', '--restart', 'on-failure:3', 'cg')).toBe('cg');
    expect(await docker('inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'cg')).toBe('on-failure:3');
  });

  it('removing the container removes its cgroup', async () => {
    const pid = Number(await docker('inspect', '-f', '{{.State.Pid}}', 'cg'));
    const dir = await cgroupDir(pid, 'memory');
    await docker('rm', '-f', 'cg');
    await expect(readFile(path.join(dir, 'cgroup.procs'))).rejects.toThrow();
  });
});
