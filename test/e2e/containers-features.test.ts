/**
 * Container features through the real docker CLI: healthchecks (status in ps and inspect,
 * health_status events), events with filters, attach, TTY sessions (`run -it`, `exec -it` under a
 * pseudo-terminal made by script(1)), --init, --read-only, capabilities, ps options, prune.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { containerSkip as skip, sleep, useContainerDaemon } from './container-daemon.js';

describe.skipIf(!!skip)(`containers: features with the docker CLI${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  const c = useContainerDaemon({ config: { runtimes: { 'runc-debug': { path: '/usr/sbin/runc', runtimeArgs: ['--debug'] } } } });
  const { ok, inspect } = c;
  /** Runs a docker command inside a pseudo-terminal (script(1)), feeding `input`. */
  const inPty = (cmd: string, input: string) => new Promise<{ code: number; out: string }>((resolve) => {
    const child = execFile('script', ['-qec', cmd, '/dev/null'], { env: c.d.env, timeout: 20_000 }, (err, stdout) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, out: String(stdout) }));
    child.stdin!.end(input);
  });

  it('runs healthchecks: unhealthy, then healthy, in inspect, ps and events', async () => {
    const since = Math.floor(Date.now() / 1000);
    await ok(['run', '-d', '--name', 'hc', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '300ms', '--health-retries', '1', 'busybox', 'sleep', '300']);
    const until = async (status: string) => {
      for (let i = 0; i < 60; i++) {
        if ((await inspect('hc')).State.Health?.Status === status) return true;
        await sleep(100);
      }
      return false;
    };
    expect(await until('unhealthy')).toBe(true);
    expect(await ok(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}} {{.Status}}'])).toMatch(/^hc Up .*\(unhealthy\)/);
    await ok(['exec', 'hc', 'touch', '/tmp/ok']);
    expect(await until('healthy')).toBe(true);
    const health = (await inspect('hc')).State.Health;
    expect(health.FailingStreak).toBe(0);
    expect(health.Log.at(-1)).toMatchObject({ ExitCode: 0 });
    const events = await ok(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=hc', '--filter', 'event=health_status', '--format', '{{.Action}}']);
    expect(events.trim().split('\n')).toEqual(['health_status: unhealthy', 'health_status: healthy']);
    await ok(['rm', '-f', 'hc']);
  });

  it('publishes lifecycle events in order', async () => {
    const since = Math.floor(Date.now() / 1000);
    await ok(['run', '--name', 'ev', 'busybox', 'true']);
    await ok(['rm', 'ev']);
    const out = await ok(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'type=container', '--filter', 'container=ev', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    expect(out.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['create', 'attach', 'start', 'die', 'destroy']);
  });

  it('gives run -it and exec -it a terminal with the client window size', async () => {
    const run = await inPty('stty cols 100 rows 30; docker run --rm -it busybox sh -c "tty; stty size"', '');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/\/dev\/pts\/\d+/);
    expect(run.out).toMatch(/30 100/);
    await ok(['run', '-d', '--name', 'tty1', 'busybox', 'sleep', '300']);
    const exec = await inPty('docker exec -it tty1 sh -c "tty && exit 3"', '');
    expect(exec.out).toMatch(/\/dev\/pts\/\d+/);
    expect(exec.code).toBe(3);
    await ok(['rm', '-f', 'tty1']);
  });

  it('attaches to a running container and exits with its code', async () => {
    await ok(['run', '-d', '--name', 'att', 'busybox', 'sh', '-c', 'sleep 1; echo late; exit 9']);
    const r = await c.docker(['attach', 'att'], { timeoutMs: 20_000 });
    expect(r).toMatchObject({ code: 9, stdout: 'late\n' });
    await ok(['rm', 'att']);
  });

  it('applies --init, --read-only, capabilities and --privileged', async () => {
    expect(await ok(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "'])).toMatch(/^\/sbin\/docker-init -- sh/);
    const ro = await c.docker(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
    const capEff = async (...flags: string[]) => (await ok(['run', '--rm', ...flags, 'busybox', 'sh', '-c', 'grep CapEff /proc/self/status'])).split(/\s+/)[1];
    const base = BigInt(`0x${await capEff()}`);
    expect(BigInt(`0x${await capEff('--cap-add', 'NET_ADMIN')}`)).toBe(base | (1n << 12n));
    expect(BigInt(`0x${await capEff('--cap-drop', 'CHOWN')}`)).toBe(base & ~1n);
    expect(BigInt(`0x${await capEff('--privileged')}`) > base).toBe(true);
  });

  it('serves --network none (only lo) and host (the host interfaces), and the default seccomp profile', async () => {
    expect((await ok(['run', '--rm', '--network', 'none', 'busybox', 'ls', '/sys/class/net'])).split(/\s+/).filter(Boolean)).toEqual(['lo']);
    const hostIfaces = readdirSync('/sys/class/net').sort();
    expect((await ok(['run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net'])).split(/\s+/).filter(Boolean).sort()).toEqual(hostIfaces);
    expect((await ok(['run', '--rm', 'busybox', 'grep', 'Seccomp:', '/proc/self/status'])).trim()).toMatch(/Seccomp:\s+2/);
    expect((await ok(['run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'grep', 'Seccomp:', '/proc/self/status'])).trim()).toMatch(/Seccomp:\s+0/);
    const bad = await c.docker(['run', '--rm', '--network', 'nosuchnet', 'busybox', 'true']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/network nosuchnet not found/);
  });

  it('selects runtimes with --runtime (plugins and daemon.json runtimes) and refuses unknown ones', async () => {
    expect(await ok(['info', '--format', '{{json .Runtimes}}'])).toMatch(/"runc-debug":\{"path":"\/usr\/sbin\/runc"/);
    expect(await ok(['run', '--rm', '--runtime', 'runc-debug', 'busybox', 'echo', 'custom'])).toBe('custom\n');
    expect(await ok(['run', '--rm', '--runtime', 'runc', 'busybox', 'echo', 'plugin'])).toBe('plugin\n');
    const bad = await c.docker(['run', '--rm', '--runtime', 'nosuch', 'busybox', 'true']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/Unknown runtime specified nosuch/);
  });

  it('streams logs with --tail, -t, --since and -f (which ends with the container)', async () => {
    await ok(['run', '-d', '--name', 'lg', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line$i; done; sleep 1; echo after; exit 0']);
    const follow = c.docker(['logs', '-f', 'lg'], { timeoutMs: 20_000 });
    await sleep(300);
    expect(await ok(['logs', '--tail', '2', 'lg'])).toBe('line2\nline3\n');
    expect(await ok(['logs', '-t', '--tail', '1', 'lg'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line3\n$/);
    expect(await ok(['logs', '--since', String(Math.floor(Date.now() / 1000) + 60), 'lg'])).toBe('');
    const f = await follow;
    expect(f).toMatchObject({ code: 0, stdout: 'line1\nline2\nline3\nafter\n' });
    await ok(['rm', 'lg']);
  });

  it('keel ps, container logs, stop and rm show what docker shows', async () => {
    await ok(['run', '-d', '--name', 'kcli', '-l', 'via=keel', 'busybox', 'sh', '-c', 'echo to-out; echo to-err >&2; exec sleep 300']);
    const ps = await c.d.keel(['ps', '--filter', 'label=via=keel']);
    expect(ps.stdout).toMatch(/^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n[0-9a-f]{12} +busybox +"sh -c 'echo to-out;…" .* Up .* kcli\n$/);
    for (let i = 0; i < 30 && !(await c.d.keel(['container', 'logs', 'kcli'])).stdout; i++) await sleep(100);
    expect(await c.d.keel(['container', 'logs', 'kcli'])).toMatchObject({ code: 0, stdout: 'to-out\n', stderr: 'to-err\n' });
    expect((await c.d.keel(['container', 'stop', '-t', '1', 'kcli'])).code).toBe(0);
    expect((await inspect('kcli')).State.Running).toBe(false);
    expect((await c.d.keel(['container', 'rm', 'kcli'])).code).toBe(0);
    const gone = await c.d.keel(['container', 'inspect', 'kcli']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/No such container: kcli/);
  });

  it('lists with ps -q, -n, -s, --format and filters; prunes stopped containers', async () => {
    await ok(['create', '--name', 'p1', '-l', 'a=1', 'busybox', 'true']);
    expect((await c.docker(['run', '--name', 'p2', 'busybox', 'sh', '-c', 'exit 2'])).code).toBe(2);
    const ids = (await ok(['ps', '-aq'])).trim().split('\n');
    expect(ids.length).toBe(2);
    expect(ids.every((i) => /^[0-9a-f]{12}$/.test(i))).toBe(true);
    expect(await ok(['ps', '-n', '1', '--format', '{{.Names}}'])).toBe('p2\n');
    expect(await ok(['ps', '-a', '--filter', 'label=a=1', '--format', '{{.Names}} {{.Status}}'])).toBe('p1 Created\n');
    expect(await ok(['ps', '-a', '--filter', 'exited=2', '--format', '{{.Names}} {{.Status}}'])).toMatch(/^p2 Exited \(2\) .* ago\n$/);
    expect(await ok(['ps', '-a', '--filter', 'name=p', '--filter', 'ancestor=busybox', '--format', '{{.Names}}'])).toBe('p2\np1\n');
    expect(await ok(['ps', '-as', '--format', '{{.Names}} {{.Size}}'])).toMatch(/^p2 \d+(\.\d+)?[kMG]?B \(virtual/m);
    const pruned = await ok(['container', 'prune', '-f']);
    expect(pruned).toMatch(/Deleted Containers:/);
    expect((await ok(['ps', '-aq'])).trim()).toBe('');
  });
});
