/** The keel CLI against a real keeld. */
import os from 'node:os';
import path from 'node:path';
import { mkdir, writeFile, copyFile, symlink } from 'node:fs/promises';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keelPath, startDaemon, type Daemon } from './harness.js';

describe('keel CLI', () => {
  let d: Daemon;
  beforeAll(async () => { d = await startDaemon(); });
  afterAll(async () => { await d.stop(); });

  it('keel version shows the server API 1.47', async () => {
    const r = await d.keel(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Client:\n Version:\s+\d+\.\d+\.\d+/);
    expect(r.stdout).toMatch(/\n  API version:\s+1\.47 \(minimum version 1\.40\)\n/);
    const j = JSON.parse((await d.keel(['version', '--format', 'json'])).stdout);
    expect(j.Server).toMatchObject({ ApiVersion: '1.47', Os: 'linux' });
  });

  it('keel info prints this host\'s figures', async () => {
    const r = await d.keel(['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`CPUs: ${os.cpus().length}`);
    expect(r.stdout).toContain(`Docker Root Dir: ${d.dataRoot}`);
    expect(JSON.parse((await d.keel(['info', '--format', 'json'])).stdout).NCPU).toBe(os.cpus().length);
  });

  it('keel plugin ls lists the loaded plugins with statuses', async () => {
    const r = await d.keel(['plugin', 'ls']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/core\.system\s+service\s+core\.system\s+running/);
    expect(r.stdout).toMatch(/storage\.vfs\s+storage\s+vfs\s+running/);
    const rows = JSON.parse((await d.keel(['plugin', 'ls', '--format', 'json'])).stdout);
    expect(rows.find((p: { id: string }) => p.id === 'core.images')).toMatchObject({ status: 'running', required: true });
    expect(rows.find((p: { id: string }) => p.id === 'core.system')).toMatchObject({ status: 'running' });
    const running = (await d.keel(['plugin', 'ls', '-q', '--filter', 'status=running'])).stdout.trim().split('\n');
    expect(running).toContain('core.system');
  });

  it('keel system df prints the usage table', async () => {
    const r = await d.keel(['system', 'df']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^TYPE\s+TOTAL\s+SIZE\nImages\s+\d+\s+\S+\n/);
  });

  it('keel system ping answers OK', async () => {
    expect(await d.keel(['system', 'ping'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^OK \(API 1\.47, keeld \d+\.\d+\.\d+/) });
  });

  it('keel events replays a daemon reload', async () => {
    const t0 = String(Math.floor(Date.now() / 1000) - 1);
    d.proc.kill('SIGHUP');
    let out = '';
    for (let i = 0; i < 50 && !out.includes('daemon reload'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      out = (await d.keel(['events', '--since', t0, '--until', String(Math.ceil(Date.now() / 1000))])).stdout;
    }
    expect(out).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z daemon reload \S+ \(.*name=/m);
    // A reader that has gone (`| head` exited) ends keel quietly, without an EPIPE stack trace:
    // closing our end of the pipe first makes keel's first write fail, every time.
    const child = spawn(process.execPath, [keelPath, 'events', '--since', t0, '--until', String(Math.ceil(Date.now() / 1000))], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const [code] = await once(child, 'close');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('keel image import/ls/save/rm/load/history/tag/prune work', async () => {
    const root = path.join(d.tmp, 'rootfs');
    await mkdir(path.join(root, 'bin'), { recursive: true });
    await copyFile('/bin/sh', path.join(root, 'bin/sh')).catch(() => writeFile(path.join(root, 'bin/sh'), 'sh'));
    await symlink('sh', path.join(root, 'bin/ash'));
    const tar = path.join(d.tmp, 'rootfs.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    expect((await d.docker(['import', tar, 'clitest:v1'])).code).toBe(0);
    expect((await d.keel(['image', 'ls'])).stdout).toMatch(/^clitest\s+v1\s+[0-9a-f]{12}\s/m);
    const saved = path.join(d.tmp, 'saved.tar');
    expect((await d.keel(['image', 'save', 'clitest:v1', '-o', saved])).code).toBe(0);
    expect((await d.keel(['image', 'rm', 'clitest:v1'])).stdout).toMatch(/^Untagged: clitest:v1\nDeleted: sha256:/);
    const load = await d.keel(['image', 'load', '-i', saved]);
    expect(load.stdout).toContain('Loaded image: clitest:v1');
    expect((await d.keel(['image', 'history', 'clitest:v1'])).stdout).toMatch(/Imported from -/);
    expect((await d.keel(['image', 'tag', 'clitest:v1', 'clitest:v2'])).code).toBe(0);
    expect((await d.keel(['image', 'rm', 'clitest:v2'])).stdout).toBe('Untagged: clitest:v2\n');
    expect((await d.keel(['image', 'prune', '-a', '-f'])).stdout).toMatch(/Total reclaimed space: [1-9]/);
    expect((await d.keel(['image', 'ls', '-q'])).stdout).toBe('');
  });

  it('keel explains an unreachable daemon', async () => {
    const r = await d.keel(['-H', 'unix:///nonexistent/x.sock', 'version']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cannot connect to the keel daemon at unix:///nonexistent/x.sock. Is keeld running?');
    expect(r.stderr).toContain('sudo scripts/setup.sh');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
