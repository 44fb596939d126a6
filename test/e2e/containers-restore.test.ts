/**
 * Containers outlive the daemon: `kill -9` keeld, start it again on the same data root, and the
 * containers that ran are still running and manageable (ps, logs, exec, stop with exit codes);
 * one that exited meanwhile is recorded with its exit code; restart policies apply.
 * Also: memory and pids limits are enforced (OOMKilled in inspect).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerSkip as skip, sleep, useContainerDaemon } from './container-daemon.js';

describe.skipIf(!!skip)(`containers: live restore and limits${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  const c = useContainerDaemon();
  const { ok, inspect } = c;

  it('keeps containers running across kill -9 of keeld and manages them afterwards', async () => {
    await ok(['run', '-d', '--name', 'survivor', 'busybox', 'sh', '-c', 'echo before; trap "echo bye; exit 7" TERM; while true; do sleep 0.2; done']);
    await ok(['run', '-d', '--name', 'short', 'busybox', 'sh', '-c', 'sleep 1; exit 4']);
    await ok(['run', '-d', '--name', 'always', '--restart', 'always', 'busybox', 'sleep', '300']);
    const pid = (await inspect('survivor')).State.Pid;
    expect(await c.killDaemon()).not.toBe(0);
    process.kill(pid, 0); // still alive without the daemon
    await sleep(1500); // `short` exits while keeld is down
    await c.startAgain();
    expect((await inspect('survivor')).State).toMatchObject({ Running: true, Pid: pid });
    expect((await inspect('short')).State).toMatchObject({ Running: false, Status: 'exited', ExitCode: 4 });
    expect((await inspect('always')).State.Running).toBe(true);
    expect(await ok(['ps', '--format', '{{.Names}}'])).toMatch(/survivor/);
    expect(await ok(['exec', 'survivor', 'echo', 'exec-after-restart'])).toBe('exec-after-restart\n');
    await ok(['stop', '-t', '5', 'survivor']);
    expect((await inspect('survivor')).State).toMatchObject({ Running: false, ExitCode: 7 });
    const logs = await ok(['logs', 'survivor']);
    expect(logs).toBe('before\nbye\n');
  });

  it('restarts on-failure containers with back-off up to the retry count', async () => {
    await ok(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3']);
    let state: { RestartCount: number; State: { Status: string; ExitCode: number } } | undefined;
    for (let i = 0; i < 100; i++) {
      state = await inspect('flaky');
      if (state!.RestartCount === 2 && state!.State.Status === 'exited') break;
      await sleep(100);
    }
    expect(state).toMatchObject({ RestartCount: 2, State: { Status: 'exited', ExitCode: 3 } });
  });

  it('enforces --memory: an allocation over the limit is OOM-killed and inspect says OOMKilled', async () => {
    const r = await c.docker(['run', '--name', 'hog', '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/dev/null bs=64M count=1'], { timeoutMs: 30_000 });
    expect(r.code).toBe(137);
    const s = (await inspect('hog')).State;
    expect(s).toMatchObject({ OOMKilled: true, ExitCode: 137 });
    expect((await inspect('hog')).HostConfig.Memory).toBe(16 * 1024 * 1024);
  });

  it('enforces --pids-limit', async () => {
    const id = (await ok(['run', '-d', '--pids-limit', '8', 'busybox', 'sleep', '300'])).trim();
    expect(readFileSync(path.join('/sys/fs/cgroup/pids', c.d.cgroupParent, id, 'pids.max'), 'utf8')).toBe('8\n');
    const r = await c.docker(['exec', id, 'sh', '-c', 'for i in $(seq 20); do sleep 3 & done; wait'], { timeoutMs: 30_000 });
    expect(r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    await ok(['rm', '-f', id]);
  });
});
