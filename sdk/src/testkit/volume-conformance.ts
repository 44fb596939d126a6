/**
 * The volume driver conformance suite: what every {@link VolumeDriver} must do, as vitest cases
 * named after the clauses of the contract. Call it from a vitest file with a factory that makes a
 * fresh driver on a fresh root. Root-only cases (real mounts) are registered as skipped, with the
 * reason in their name, when the process is not root. Imports `vitest`: use from test files only.
 *
 * @example
 * ```ts
 * describeVolumeDriverConformance('myvol', async () => {
 *   const root = await mkdtemp(path.join(tmpdir(), 'myvol-'));
 *   return { driver: await MyDriver.open(root), cleanup: () => rm(root, { recursive: true, force: true }) };
 * });
 * ```
 * @packageDocumentation
 */
import { readFile, readdir, stat, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VolumeDriver } from '../drivers/volume.js';

/** What a conformance factory returns: a driver on a fresh root, and how to clean it all up. */
export interface VolumeDriverFixture {
  /** The driver under test, on a fresh root and state. */
  readonly driver: VolumeDriver;
  /** Unmounts whatever the driver left mounted and removes its root; runs even after a failed case. */
  cleanup(): Promise<void>;
  /**
   * A new driver over the same root and state, as after a daemon restart (the old one is just
   * dropped). When given, the cases about references surviving restarts run.
   */
  restart?(): Promise<VolumeDriver>;
}

/** Options of {@link describeVolumeDriverConformance}. */
export interface VolumeConformanceOptions {
  /** Options the driver must refuse with InvalidArgument (default: one unknown key). */
  readonly invalidOptions?: Readonly<Record<string, string>>;
  /** Run the root-only cases that mount tmpfs and binds (default true; skipped without root). */
  readonly privileged?: boolean;
  /** Options that make a tmpfs-backed volume (default Docker's `type=tmpfs device=tmpfs o=size=16m,uid=1000`). */
  readonly tmpfsOptions?: Readonly<Record<string, string>>;
  /** Options that bind-mount the directory `dir`; omit to skip the bind case. */
  readonly bindOptions?: (dir: string) => Readonly<Record<string, string>>;
}

/** The mounts at exactly `point` (stacked mounts give several): filesystem type and superblock options. */
async function mountsOn(point: string): Promise<Array<{ point: string; fstype: string; superOptions: string }>> {
  const lines = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n');
  const entries = lines.map((line) => {
    const [left = '', right = ''] = line.split(' - ');
    const [fstype = '', , superOptions = ''] = right.split(' ');
    return { point: (left.split(' ')[4] ?? '').replace(/\\040/g, ' '), fstype, superOptions };
  });
  return entries.filter((e) => e.point === point);
}

/** What the case groups share. */
interface Suite {
  /** Forwards to the driver of the running case (a fresh one per case, or the restarted one). */
  readonly d: VolumeDriver;
  /** Options as given. */
  readonly opts: VolumeConformanceOptions;
  /** Replaces the running driver by the fixture's restarted one; false when the fixture cannot restart. */
  restart(): Promise<boolean>;
}

/** Registers the conformance cases for one driver, each on a fresh driver from `factory`. */
export function describeVolumeDriverConformance(name: string, factory: () => Promise<VolumeDriverFixture>, opts: VolumeConformanceOptions = {}): void {
  describe(`VolumeDriver conformance: ${name}`, () => {
    let fx: VolumeDriverFixture | undefined;
    let current: VolumeDriver | undefined;
    beforeEach(async () => { fx = await factory(); current = fx.driver; });
    afterEach(async () => { await fx?.cleanup(); fx = current = undefined; });
    const d = new Proxy({} as VolumeDriver, {
      get(_, key) {
        const value: unknown = Reflect.get(current!, key, current);
        return typeof value === 'function' ? value.bind(current) : value;
      },
    });
    const suite: Suite = {
      d, opts,
      async restart() {
        if (!fx?.restart) return false;
        current = await fx.restart();
        return true;
      },
    };
    lifecycleCases(suite);
    mountCases(suite);
    privilegedVolumeCases(suite);
  });
}

/** create, get, list, remove, options, names. */
function lifecycleCases({ d, opts }: Suite): void {
  it('create: a volume exists from create until remove, and get/list show it', async () => {
    const v = await d.create('vol1');
    expect(v.name).toBe('vol1');
    expect(await d.get('vol1')).toMatchObject({ name: 'vol1' });
    expect((await d.list()).map((x) => x.name)).toEqual(['vol1']);
    await d.remove('vol1');
    expect(await d.get('vol1')).toBeUndefined();
    expect(await d.list()).toEqual([]);
  });

  it('create: an existing name returns the existing volume unchanged', async () => {
    const first = await d.create('vol1');
    const dir = await d.mount('vol1', 'c1');
    await writeFile(path.join(dir, 'kept'), 'x');
    await d.unmount('vol1', 'c1');
    const again = await d.create('vol1');
    expect(again.name).toBe('vol1');
    expect(again.createdAt).toBe(first.createdAt);
    expect(await readFile(path.join(await d.mount('vol1', 'c1'), 'kept'), 'utf8')).toBe('x');
    await d.unmount('vol1', 'c1');
    expect((await d.list()).length).toBe(1);
  });

  it('get/remove: a missing volume is undefined for get and NotFound for remove', async () => {
    expect(await d.get('never-made')).toBeUndefined();
    await expect(d.remove('never-made')).rejects.toMatchObject({ kind: 'NotFound' });
    await expect(d.mount('never-made', 'c1')).rejects.toMatchObject({ kind: 'NotFound' });
    await expect(d.unmount('never-made', 'c1')).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('options: invalid options are InvalidArgument and create nothing', async () => {
    await expect(d.create('badopts', { options: opts.invalidOptions ?? { 'keel-conformance-unknown': 'x' } })).rejects.toMatchObject({ kind: 'InvalidArgument' });
    expect(await d.list()).toEqual([]);
  });

  it('names: names that could leave the driver root are InvalidArgument in every call', async () => {
    await d.create('vol1');
    for (const bad of ['../vol1', 'a/b', '/etc', '..', '.', '', 'x\0y']) {
      await expect(d.create(bad)).rejects.toMatchObject({ kind: 'InvalidArgument' });
      await expect(d.remove(bad)).rejects.toMatchObject({ kind: 'InvalidArgument' });
      await expect(d.mount(bad, 'c1')).rejects.toMatchObject({ kind: 'InvalidArgument' });
    }
    expect((await d.list()).map((x) => x.name)).toEqual(['vol1']);
  });

  it('remove: removes the data; a new volume of the same name starts empty', async () => {
    await d.create('vol1');
    await writeFile(path.join(await d.mount('vol1', 'c1'), 'f'), 'data');
    await d.unmount('vol1', 'c1');
    await d.remove('vol1');
    await d.create('vol1');
    expect(await readdir(await d.mount('vol1', 'c1'))).toEqual([]);
    await d.unmount('vol1', 'c1');
  });
}

/** mount/unmount and their references; usage. */
function mountCases({ d, restart }: Suite): void {
  it('mount: returns a writable directory whose data survives unmount and mount', async () => {
    await d.create('vol1');
    const dir = await d.mount('vol1', 'c1');
    expect((await stat(dir)).isDirectory()).toBe(true);
    await writeFile(path.join(dir, 'hello'), 'world');
    await d.unmount('vol1', 'c1');
    expect(await readFile(path.join(await d.mount('vol1', 'c2'), 'hello'), 'utf8')).toBe('world');
    await d.unmount('vol1', 'c2');
  });

  it('mount: each ref counts once; remove is Conflict until the last ref unmounts', async () => {
    await d.create('vol1');
    const a = await d.mount('vol1', 'c1');
    expect(await d.mount('vol1', 'c1')).toBe(a);
    expect(await d.mount('vol1', 'c2')).toBe(a);
    await d.unmount('vol1', 'c1');
    await expect(d.remove('vol1')).rejects.toMatchObject({ kind: 'Conflict' });
    await d.unmount('vol1', 'c2');
    await d.remove('vol1');
  });

  it('unmount: a ref that holds no mount is a no-op', async () => {
    await d.create('vol1');
    await d.unmount('vol1', 'nobody');
    await d.mount('vol1', 'c1');
    await d.unmount('vol1', 'nobody');
    await expect(d.remove('vol1')).rejects.toMatchObject({ kind: 'Conflict' });
    await d.unmount('vol1', 'c1');
    await d.unmount('vol1', 'c1');
    await d.remove('vol1');
  });

  it('restart: volumes and the refs holding mounts survive a driver restart', async () => {
    await d.create('vol1');
    await d.mount('vol1', 'c1');
    if (!(await restart())) return;
    expect(await d.get('vol1')).toMatchObject({ name: 'vol1' });
    await expect(d.remove('vol1')).rejects.toMatchObject({ kind: 'Conflict' });
    await d.unmount('vol1', 'c1');
    await d.remove('vol1');
  });

  it('usage: counts the bytes of the files in the volume (when capabilities.usage)', async () => {
    if (!d.capabilities.usage) return;
    await d.create('vol1');
    await writeFile(path.join(await d.mount('vol1', 'c1'), 'big'), 'x'.repeat(10_000));
    await d.unmount('vol1', 'c1');
    expect(await d.usage!('vol1')).toBeGreaterThanOrEqual(10_000);
  });
}

/**
 * Root-only: real mounts. Every case unmounts in `finally`; the fixture's cleanup is the safety
 * net for what a failed assertion leaves.
 */
function privilegedVolumeCases({ d, opts, restart }: Suite): void {
  const reason = opts.privileged === false ? 'disabled by the caller (privileged: false)' : process.getuid?.() !== 0 ? 'needs root' : undefined;
  const tmpfs = opts.tmpfsOptions ?? { type: 'tmpfs', device: 'tmpfs', o: 'size=16m,uid=1000' };
  const clauses = {
    tmpfs: 'tmpfs: a tmpfs-typed volume is mounted on the first mount and unmounted on the last',
    o: 'options: `o` reaches the filesystem (tmpfs size and uid)',
    failed: 'mount: a mount that fails leaves no reference behind',
    restart: 'restart: a mounted volume stays mounted, and its refs counted, across a driver restart',
    bind: 'bind: a bind volume shows the host directory, and remove leaves that directory intact',
  };
  if (reason) {
    console.warn(`volume conformance: privileged cases skipped: ${reason}`);
    for (const c of Object.values(clauses)) it.skip(`privileged: ${c} (skipped: ${reason})`, () => undefined);
    return;
  }

  it(`privileged: ${clauses.tmpfs}`, async () => {
    await d.create('tvol', { options: tmpfs });
    const dir = await d.mount('tvol', 'c1');
    try {
      expect((await mountsOn(dir)).map((m) => m.fstype)).toEqual(['tmpfs']);
      await writeFile(path.join(dir, 'f'), 'in memory');
      expect(await d.mount('tvol', 'c2')).toBe(dir);
      await d.unmount('tvol', 'c1');
      expect((await mountsOn(dir)).length).toBe(1);
      await d.unmount('tvol', 'c2');
      expect(await mountsOn(dir)).toEqual([]);
      // A fresh tmpfs at the next mount: the data lived only in the old one.
      expect(await readdir(await d.mount('tvol', 'c3'))).toEqual([]);
    } finally {
      for (const ref of ['c1', 'c2', 'c3']) await d.unmount('tvol', ref);
    }
    expect(await mountsOn(dir)).toEqual([]);
  });

  it(`privileged: ${clauses.o}`, async () => {
    await d.create('tvol', { options: { type: 'tmpfs', device: 'tmpfs', o: 'size=8m,uid=1000,gid=1001' } });
    const dir = await d.mount('tvol', 'c1');
    try {
      const [m] = await mountsOn(dir);
      expect(m?.superOptions).toMatch(/size=8192k/);
      const st = await stat(dir);
      expect([st.uid, st.gid]).toEqual([1000, 1001]);
    } finally {
      await d.unmount('tvol', 'c1');
    }
  });

  it(`privileged: ${clauses.failed}`, async () => {
    await d.create('broken', { options: { type: 'tmpfs', device: 'tmpfs', o: 'size=not-a-size' } });
    await expect(d.mount('broken', 'c1')).rejects.toThrow();
    await d.remove('broken');
  });

  it(`privileged: ${clauses.restart}`, async () => {
    await d.create('tvol', { options: tmpfs });
    const dir = await d.mount('tvol', 'c1');
    await d.mount('tvol', 'c2');
    try {
      await writeFile(path.join(dir, 'f'), 'kept');
      if (!(await restart())) return;
      expect(await readFile(path.join(dir, 'f'), 'utf8')).toBe('kept');
      await d.unmount('tvol', 'c1');
      expect((await mountsOn(dir)).length).toBe(1);
    } finally {
      await d.unmount('tvol', 'c1');
      await d.unmount('tvol', 'c2');
    }
    expect(await mountsOn(dir)).toEqual([]);
  });

  it.skipIf(!opts.bindOptions)(`privileged: ${clauses.bind}`, async () => {
    const host = await mkdtemp(path.join(tmpdir(), 'keel-volconf-bind-'));
    try {
      await writeFile(path.join(host, 'precious'), 'keep me');
      await d.create('bvol', { options: opts.bindOptions!(host) });
      const dir = await d.mount('bvol', 'c1');
      try {
        expect(await readFile(path.join(dir, 'precious'), 'utf8')).toBe('keep me');
        await writeFile(path.join(dir, 'from-volume'), 'x');
      } finally {
        await d.unmount('bvol', 'c1');
      }
      await d.remove('bvol');
      expect((await readdir(host)).sort()).toEqual(['from-volume', 'precious']);
    } finally {
      await rm(host, { recursive: true, force: true });
    }
  });
}
