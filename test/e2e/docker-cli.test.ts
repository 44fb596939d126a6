/**
 * The real docker CLI (28.x, on PATH) against a real keeld: version negotiation, info with real
 * host figures, system events with since/until/filters.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startDaemon, type Daemon } from './harness.js';

const hostCgroupVersion = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1';
const hasDocker = (await run('docker', ['--version'])).code === 0;

describe.skipIf(!hasDocker)('docker CLI against keeld', () => {
  let d: Daemon;
  beforeAll(async () => { d = await startDaemon(); });
  afterAll(async () => { await d.stop(); });

  it('docker version negotiates API 1.47', async () => {
    const r = await d.docker(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Server: keel Engine/);
    expect(r.stdout).toMatch(/API version:\s+1\.47 \(minimum version 1\.40\)/);
    expect((await d.docker(['version', '--format', '{{.Server.APIVersion}}'])).stdout.trim()).toBe('1.47');
    expect((await d.docker(['version', '--format', '{{.Server.MinAPIVersion}}'])).stdout.trim()).toBe('1.40');
    expect((await d.docker(['version', '--format', '{{.Server.KernelVersion}}'])).stdout.trim()).toBe(os.release());
  });

  it('docker info prints the real figures of this host', async () => {
    const r = await d.docker(['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`CPUs: ${os.cpus().length}`);
    expect(r.stdout).toContain(`Docker Root Dir: ${d.dataRoot}`);
    expect(r.stdout).toContain(`Cgroup Version: ${hostCgroupVersion}`);
    expect(r.stdout).toContain(`Kernel Version: ${os.release()}`);
    expect(r.stdout).toMatch(/Storage Driver: (overlay2\n  Backing Filesystem: \w+|vfs)/);
    expect(r.stdout).toMatch(/Runtimes: runc/);
    expect(r.stdout).toMatch(/Default Runtime: runc/);
    const info = JSON.parse((await d.docker(['info', '--format', '{{json .}}'])).stdout);
    expect(info.NCPU).toBe(os.cpus().length);
    expect(info.MemTotal).toBe(os.totalmem());
    expect(info.OSType).toBe('linux');
    expect(info.ID).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('docker system events replays a reload between --since and --until, and filters', async () => {
    const t0 = Math.floor(Date.now() / 1000) - 1;
    d.proc.kill('SIGHUP');
    let out = '';
    for (let i = 0; i < 100 && !out.includes('daemon reload'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      out = (await d.docker(['system', 'events', '--since', String(t0), '--until', String(Math.ceil(Date.now() / 1000))])).stdout;
    }
    expect(out).toMatch(/^\S+ daemon reload \S+ \(.*name=/m);
    const filtered = await d.docker(['events', '--filter', 'type=container', '--since', String(t0), '--until', String(Math.ceil(Date.now() / 1000))]);
    expect(filtered.code).toBe(0);
    expect(filtered.stdout).not.toContain('daemon reload');
    const byType = await d.docker(['events', '--filter', 'type=daemon', '--since', String(t0), '--until', String(Math.ceil(Date.now() / 1000)), '--format', '{{.Type}} {{.Action}}']);
    expect(byType.stdout).toContain('daemon reload');
  });

  it('docker refuses an API version keel does not serve, with Docker\'s message', async () => {
    const r = await d.docker(['version'], { env: { DOCKER_API_VERSION: '1.49' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('client version 1.49 is too new. Maximum supported API version is 1.47');
  });

  it('docker system df answers', async () => {
    const r = await d.docker(['system', 'df']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/);
  });

  it('docker reports a clear error when no daemon listens', async () => {
    const r = await run('docker', ['-H', 'unix:///nonexistent/keel.sock', 'version']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Cannot connect to the Docker daemon at unix:///nonexistent/keel.sock');
  });
});
