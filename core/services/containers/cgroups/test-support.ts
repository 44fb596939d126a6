/**
 * Test helpers for the cgroup routes: container records, an in-memory {@link ContainerAccess},
 * and fixture cgroup trees. Used by this folder's tests only.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, type OciRuntime } from '@keel/sdk';
import type { ContainerAccess } from '../container-access.js';
import type { ContainerRecord } from '../container-types.js';

/** A container record with what these routes read; `over` replaces top-level parts. */
export function testRecord(over: Partial<ContainerRecord> & { running?: boolean; pid?: number; cgroupsPath?: string } = {}): ContainerRecord {
  const { running = true, pid = 4242, cgroupsPath, ...rest } = over;
  const id = rest.Id ?? 'c0ffee'.padEnd(64, '0');
  return {
    Id: id, Name: '/web', Created: new Date(0).toISOString(), Path: 'sleep', Args: ['100'],
    State: {
      Status: running ? 'running' : 'exited', Running: running, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
      Pid: running ? pid : 0, ExitCode: 0, Error: '', StartedAt: '', FinishedAt: '',
    },
    Image: 'sha256:' + '1'.repeat(64), RestartCount: 0, Driver: 'vfs', Platform: 'linux',
    Config: { Image: 'busybox' } as ContainerRecord['Config'],
    HostConfig: { RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } },
    keel: { runtime: 'runc', storage: 'vfs', cgroupsPath: cgroupsPath ?? `/keel/${id}`, manuallyStopped: false, hasBeenStarted: true, generation: 1 },
    ...rest,
  };
}

/** An in-memory access over `records`, recording events and handing out `runtime`. */
export class TestAccess implements ContainerAccess {
  readonly events: Array<{ id: string; action: string }> = [];
  readonly records = new Map<string, ContainerRecord>();

  constructor(records: ContainerRecord[], private readonly rt?: OciRuntime) {
    for (const r of records) this.records.set(r.Id, r);
  }

  get(ref: string): ContainerRecord {
    for (const r of this.records.values()) if (r.Id === ref || r.Name === ref || r.Name === `/${ref}` || r.Id.startsWith(ref)) return r;
    throw new NotFoundError(`No such container: ${ref}`);
  }
  list(): readonly ContainerRecord[] {
    return [...this.records.values()];
  }
  mountRootfs(): Promise<string> {
    throw new Error('not used');
  }
  unmountRootfs(): Promise<void> {
    throw new Error('not used');
  }
  storage(): never {
    throw new Error('not used');
  }
  runtime(): OciRuntime {
    if (!this.rt) throw new Error('no runtime in this test');
    return this.rt;
  }
  async update(id: string, change: (c: ContainerRecord) => void): Promise<ContainerRecord> {
    const copy = structuredClone(this.get(id));
    change(copy);
    this.records.set(copy.Id, copy);
    return copy;
  }
  publish(c: ContainerRecord, action: string): void {
    this.events.push({ id: c.Id, action });
  }
}

/** Writes `files` (relative path → content) under `root`. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  }
}

/** A mountinfo line for a cgroup mount at `point` (`fs`: cgroup or cgroup2). */
export const mountLine = (point: string, fs: 'cgroup' | 'cgroup2', opts = 'rw', root = '/') =>
  `40 31 0:38 ${root} ${point} rw,relatime - ${fs} ${fs} ${opts}`;
