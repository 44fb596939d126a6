/**
 * Container lifecycle through the real docker CLI against a real keeld (overlay2, runc, conmon):
 * run (attached, detached, --rm, exit codes, stdin), create/start, stop/kill/restart,
 * pause/unpause, rename, wait, ps, inspect, logs, exec, rm — and nothing left on the host.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerSkip as skip, useContainerDaemon } from './container-daemon.js';

describe.skipIf(!!skip)(`containers: lifecycle with the docker CLI${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  const c = useContainerDaemon();
  const { docker, ok, inspect } = c;

  it('run prints the output and exits with the container exit code (--rm leaves nothing)', async () => {
    const r = await docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect((await ok(['ps', '-aq'])).trim()).toBe('');
  });

  it('passes stdin with -i and applies -e, -w, -u, --entrypoint', async () => {
    expect(await ok(['run', '--rm', '-i', 'busybox', 'cat'], 'from stdin\n')).toBe('from stdin\n');
    expect(await ok(['run', '--rm', '-e', 'FOO=bar', '-w', '/tmp', '-u', 'nobody', 'busybox', 'sh', '-c', 'echo $FOO $(pwd) $(id -u)'])).toBe('bar /tmp 65534\n');
    expect(await ok(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'via', 'entrypoint'])).toBe('via entrypoint\n');
  });

  it('reports a missing command like Docker (exit 127)', async () => {
    const r = await docker(['run', '--rm', 'busybox', '/no/such/binary']);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/no such file or directory/);
  });

  it('runs detached; ps, inspect, logs, exec, stop, start, rm', async () => {
    const id = (await ok(['run', '-d', '--name', 'web', '-l', 'tier=front', 'busybox', 'sh', '-c', 'echo hello; echo oops >&2; exec sleep 300'])).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = await ok(['ps', '--format', '{{.Names}} {{.Status}} {{.Labels}}']);
    expect(ps).toMatch(/^web Up .*tier=front/m);
    const info = await inspect('web');
    expect(info.State).toMatchObject({ Status: 'running', Running: true, Paused: false });
    expect(info.State.Pid).toBeGreaterThan(0);
    expect(info.Config.Labels).toMatchObject({ tier: 'front' });
    for (let i = 0; i < 50 && !(await docker(['logs', 'web'])).stdout; i++) await new Promise((r) => setTimeout(r, 100));
    const logs = await docker(['logs', 'web']);
    expect(logs).toMatchObject({ stdout: 'hello\n', stderr: 'oops\n' });
    expect(await ok(['exec', 'web', 'sh', '-c', 'echo exec $HOSTNAME'])).toBe(`exec ${id.slice(0, 12)}\n`);
    expect((await docker(['exec', 'web', 'sh', '-c', 'exit 5'])).code).toBe(5);
    expect(await ok(['exec', '-e', 'A=1', '-w', '/tmp', '-u', 'nobody', 'web', 'sh', '-c', 'echo $A $(pwd) $(id -u)'])).toBe('1 /tmp 65534\n');
    await ok(['stop', '-t', '1', 'web']);
    const stopped = await inspect('web');
    expect(stopped.State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 137 });
    expect(await ok(['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}}'])).toBe('web\n');
    await ok(['start', 'web']);
    expect((await inspect('web')).State.Running).toBe(true);
    expect((await docker(['rm', 'web'])).code).not.toBe(0);
    await ok(['rm', '-f', 'web']);
    expect((await docker(['inspect', 'web'])).code).not.toBe(0);
  });

  it('kill -s, pause/unpause, rename, restart and wait', async () => {
    await ok(['run', '-d', '--name', 'k1', 'busybox', 'sh', '-c', 'trap "exit 42" TERM; while true; do sleep 0.1; done']);
    await ok(['pause', 'k1']);
    expect((await inspect('k1')).State.Status).toBe('paused');
    expect(await ok(['ps', '--filter', 'status=paused', '--format', '{{.Names}} {{.Status}}'])).toMatch(/k1 Up .*\(Paused\)/);
    await ok(['unpause', 'k1']);
    await ok(['rename', 'k1', 'k2']);
    expect((await inspect('k2')).Name).toBe('/k2');
    const waiting = docker(['wait', 'k2']);
    await ok(['kill', '-s', 'TERM', 'k2']);
    expect((await waiting).stdout.trim()).toBe('42');
    await ok(['restart', '-t', '1', 'k2']);
    expect((await inspect('k2')).State.Running).toBe(true);
    await ok(['rm', '-f', 'k2']);
  });

  it('gives -t containers a TTY and keeps raw output', async () => {
    const r = await docker(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'tty; echo done']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+\r?\ndone/);
  });

  it('answers Docker errors: unknown container 404, running rm 409, bad signal 400, missing image 404', async () => {
    expect((await docker(['inspect', '--type', 'container', 'nope'])).stderr).toMatch(/No such container: nope/);
    expect((await docker(['run', '--rm', 'nosuchimage:1'])).stderr).toMatch(/No such image|Unable to find image/);
    await ok(['create', '--name', 'c1', 'busybox', 'true']);
    expect((await docker(['create', '--name', 'c1', 'busybox', 'true'])).stderr).toMatch(/already in use/);
    expect((await c.d.request('POST', '/containers/c1/kill?signal=NOPE')).status).toBe(400);
    expect((await c.d.request('POST', '/containers/c1/kill')).status).toBe(409);
    await ok(['start', 'c1']);
    expect((await docker(['wait', 'c1'])).stdout.trim()).toBe('0');
    expect(await ok(['ps', '-a', '--filter', 'exited=0', '--format', '{{.Names}}'])).toContain('c1');
    await ok(['rm', 'c1']);
  });

  it('leaves no container cgroup or bundle behind after rm', async () => {
    await ok(['run', '--rm', 'busybox', 'true']);
    for (const ctrl of ['memory', 'pids', 'cpu']) {
      const dir = path.join('/sys/fs/cgroup', ctrl, c.d.cgroupParent);
      if (existsSync(dir)) expect(readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)).toEqual([]);
    }
    expect(readdirSync(path.join(c.d.execRoot, 'plugins/core.containers/bundles'))).toEqual([]);
  });
});
