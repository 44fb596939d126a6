/**
 * Docker's restart policies and back-off: the delay starts at 100 ms and doubles after each
 * restart of a container that ran less than 10 s (capped at 1 min); a run of 10 s or more resets it.
 */
import type { ContainerRecord } from '../container-types.js';

const BASE_MS = 100;
const MAX_MS = 60_000;
const RESET_AFTER_MS = 10_000;

/** Whether the policy restarts `c` after it exited with `exitCode` (not stopped by the user). */
export function shouldRestart(c: ContainerRecord, exitCode: number): boolean {
  if (c.keel.manuallyStopped || c.HostConfig.AutoRemove) return false;
  const p = c.HostConfig.RestartPolicy;
  switch (p?.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (!p.MaximumRetryCount || c.RestartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

/** Whether the daemon starts `c` when it comes back up (after a reboot or daemon crash with the container gone). */
export function restartOnDaemonStart(c: ContainerRecord): boolean {
  const name = c.HostConfig.RestartPolicy?.Name;
  if (name === 'always') return c.keel.hasBeenStarted;
  if (name === 'unless-stopped') return c.keel.hasBeenStarted && !c.keel.manuallyStopped;
  if (name === 'on-failure') return c.keel.hasBeenStarted && !c.keel.manuallyStopped && c.State.ExitCode !== 0 && c.State.Running;
  return false;
}

/** Back-off state per container. */
export class BackOff {
  private readonly delays = new Map<string, number>();

  /** The delay before the next restart of a container that ran `ranMs`. */
  next(id: string, ranMs: number): number {
    const prev = this.delays.get(id);
    const delay = prev === undefined || ranMs >= RESET_AFTER_MS ? BASE_MS : Math.min(prev * 2, MAX_MS);
    this.delays.set(id, delay);
    return delay;
  }

  forget(id: string): void {
    this.delays.delete(id);
  }
}
