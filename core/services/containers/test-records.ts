/** A container record for unit tests (not shipped behaviour: only tests import it). */
import type { ContainerRecord } from './container-types.js';

let seq = 0;

/** A stopped, never-started container; override what the test needs. */
export function testRecord(over: Partial<ContainerRecord> & { state?: Partial<ContainerRecord['State']>; keel?: Partial<ContainerRecord['keel']> } = {}): ContainerRecord {
  const n = ++seq;
  const id = over.Id ?? `${n.toString(16).padStart(4, '0')}${'ab'.repeat(30)}`;
  const { state, keel, ...rest } = over;
  return {
    Id: id, Name: `/c${n}`, Created: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), Path: 'sh', Args: [], Image: 'sha256:' + 'cd'.repeat(32),
    RestartCount: 0, Driver: 'vfs', Platform: 'linux', Config: { Image: 'busybox', Labels: {} }, HostConfig: { RestartPolicy: { Name: 'no' } },
    ...rest,
    State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z', ...state },
    keel: { runtime: 'runc', storage: 'vfs', cgroupsPath: `/keel/${id}`, manuallyStopped: false, hasBeenStarted: false, generation: 0, ...keel },
  };
}
