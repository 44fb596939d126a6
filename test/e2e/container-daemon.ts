/**
 * A keeld for container e2e files: overlay2, its own cgroup parent, `busybox:latest` (the
 * toolbox image) loaded; every container removed and the daemon stopped after the file.
 * `useContainerDaemon()` registers the beforeAll/afterAll hooks and returns the helpers.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { busyboxAvailable } from '../fixtures/images.js';
import { toolboxImage, writeImageArchive } from '../fixtures/containers.js';
import { startDaemon, type Daemon, type RunResult, type StartOptions } from './harness.js';

/** Why container e2e tests cannot run here, or undefined. */
export const containerSkip = process.getuid?.() !== 0 ? 'needs root' : !busyboxAvailable() ? 'busybox-static is not installed' : !existsSync('/usr/bin/conmon') ? 'conmon is not installed' : undefined;

/** The helpers of {@link useContainerDaemon}. */
export interface ContainerDaemon {
  /** The current daemon (a test may replace it after killing it: see `restart`). */
  readonly d: Daemon;
  /** docker with a 30 s default timeout. */
  docker(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** docker that must succeed; returns stdout. */
  ok(args: string[], input?: string): Promise<string>;
  /** `docker inspect` of one object. */
  inspect(ref: string): Promise<any>;
  /** Kills keeld with SIGKILL (its containers keep running); resolves with its exit status. */
  killDaemon(): Promise<number | null>;
  /** Starts keeld again on the data root of the killed one. */
  startAgain(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Registers the daemon's hooks for the enclosing describe block. */
export function useContainerDaemon(options: StartOptions = {}): ContainerDaemon {
  let d: Daemon | undefined;
  let files: string | undefined;
  const opts: StartOptions = { ...options, args: ['--storage-driver', 'overlay2', ...(options.args ?? [])] };
  const api: ContainerDaemon = {
    get d() {
      return d!;
    },
    docker: (args, o = {}) => d!.docker(args, { timeoutMs: 30_000, ...o }),
    async ok(args, input) {
      const r = await api.docker(args, { input });
      if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    inspect: async (ref) => JSON.parse(await api.ok(['inspect', ref]))[0],
    killDaemon: () => d!.kill('SIGKILL'),
    async startAgain() {
      d = await startDaemon({ ...opts, tmp: d!.tmp, args: [...(opts.args ?? []), '--cgroup-parent', d!.cgroupParent] });
    },
  };
  beforeAll(async () => {
    files = await mkdtemp(path.join(tmpdir(), 'keel-ctr-files-'));
    d = await startDaemon(opts);
    await api.ok(['load', '-i', writeImageArchive(files, [toolboxImage()])]);
  }, 120_000);
  afterAll(async () => {
    if (d) {
      const ids = (await d.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await d.docker(['rm', '-f', ...ids]);
      await d.stop();
    }
    if (files) await rm(files, { recursive: true, force: true });
  }, 60_000);
  return api;
}
