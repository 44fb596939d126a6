/**
 * Live restore: when the daemon starts, containers whose monitor still runs are simply adopted
 * (their exit files will come); those that died meanwhile are recorded as exited with their code
 * (the exit file), or with 255 when their monitor died too; leftovers of removed containers are
 * cleaned; restart policies are applied as Docker applies them on daemon start.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerRecord } from '../container-types.js';
import { containerPaths, publishContainer, type ContainerContext } from './context.js';
import { readExitFile } from './exit-watcher.js';
import { restartOnDaemonStart } from './restart-policy.js';
import type { Runner } from './runner.js';

/** True when `pid` is a live (not zombie) conmon supervising container `id`. */
export async function monitorAlive(pid: number | undefined, id: string): Promise<boolean> {
  if (!pid) return false;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (!stat || state === 'Z' || state === 'X') return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes('conmon') && cmdline.includes(id);
}

/** What restore did, for the log. */
export interface RestoreReport {
  adopted: number;
  exited: number;
  lost: number;
  cleaned: number;
  restarted: number;
}

async function markLost(ctx: ContainerContext, c: ContainerRecord): Promise<ContainerRecord> {
  const runtime = ctx.runtimes.get(c.keel.runtime);
  // The process may outlive its monitor: nobody would hold its stdio or record its exit any more.
  await runtime?.kill(c.Id, 'SIGKILL', { all: true }).catch(() => undefined);
  await runtime?.delete(c.Id, { force: true }).catch(() => undefined);
  await ctx.mounts.unmountAll(c.Id, c.keel.mounts ?? []);
  await ctx.networks.detach(c.Id).catch(() => undefined);
  await ctx.storage.get(c.keel.storage)?.unmount(c.Id).catch(() => undefined);
  const files = containerPaths(ctx, c.Id);
  await ctx.logs.finish(c, files.data, files.log);
  const rec = await ctx.store.update(c.Id, (r) => {
    Object.assign(r.State, { Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: 255, Error: 'container monitor died while the daemon was down', FinishedAt: new Date().toISOString() });
    r.keel.monitorPid = undefined;
  });
  publishContainer(ctx, rec, 'die', { exitCode: '255' });
  return rec;
}

/** Reconciles records with what runs; call before the exit watcher starts. */
export async function restoreContainers(ctx: ContainerContext, runner: Runner): Promise<RestoreReport> {
  const report: RestoreReport = { adopted: 0, exited: 0, lost: 0, cleaned: 0, restarted: 0 };
  const toRestart: ContainerRecord[] = [];
  for (const c of ctx.store.list()) {
    if (c.State.Status === 'removing') {
      await ctx.store.update(c.Id, (r) => Object.assign(r.State, { Status: 'dead', Dead: true }));
      continue;
    }
    if (!c.State.Running && !c.State.Restarting) {
      if (restartOnDaemonStart(c) && c.HostConfig.RestartPolicy?.Name !== 'on-failure') toRestart.push(c);
      continue;
    }
    const files = containerPaths(ctx, c.Id);
    const code = await readExitFile(files.exitFile);
    if (c.State.Running && code !== undefined) {
      await runner.exited(c.Id, code); // records the exit and applies the restart policy
      report.exited++;
    } else if (c.State.Running && (await monitorAlive(c.keel.monitorPid, c.Id))) {
      await ctx.logs.start(c, files.data, files.log).catch((err: Error) => ctx.log.warn({ id: c.Id, err: err.message }, 'log collection could not resume'));
      report.adopted++;
    } else if (c.State.Running) {
      const persisted = await readExitFile(path.join(files.data, 'exit'));
      if (persisted !== undefined) {
        await runner.exited(c.Id, persisted);
        report.exited++;
      } else {
        const rec = await markLost(ctx, c);
        report.lost++;
        if (restartOnDaemonStart({ ...rec, State: { ...rec.State, Running: true } })) toRestart.push(rec);
      }
    } else {
      // Restarting when the daemon went down: the back-off timer died with it.
      const rec = await ctx.store.update(c.Id, (r) => Object.assign(r.State, { Status: 'exited', Restarting: false }));
      if (restartOnDaemonStart(rec) || rec.HostConfig.RestartPolicy?.Name === 'on-failure') toRestart.push(rec);
    }
  }
  // Bundles of containers that no longer exist (removed while a crash interrupted cleanup).
  const bundles = path.join(ctx.runRoot, 'bundles');
  for (const name of await readdir(bundles).catch(() => [] as string[])) {
    if (ctx.store.find(name)?.Id === name) continue;
    for (const rt of ctx.runtimes.names()) await ctx.runtimes.get(rt)?.delete(name, { force: true }).catch(() => undefined);
    await rm(path.join(bundles, name), { recursive: true, force: true });
    report.cleaned++;
  }
  for (const c of toRestart) {
    await runner.start(c.Id).then(() => report.restarted++, (err: Error) => ctx.log.warn({ id: c.Id, err: err.message }, 'restart on daemon start failed'));
  }
  return report;
}
