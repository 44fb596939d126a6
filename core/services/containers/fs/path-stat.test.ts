import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followInRoot, goFileMode, parseContainerPath, resolveContainerPath } from './path-stat.js';

describe('container paths resolved inside the root', () => {
  let base: string;
  let root: string;
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'keel-pathstat-'));
    root = path.join(base, 'a/b/rootfs');
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await writeFile(path.join(root, 'etc/passwd'), 'inside');
    await writeFile(path.join(base, 'secret'), 'outside');
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('splits paths as moby does: trailing slash and /. follow the last element', () => {
    expect(parseContainerPath('/etc/hostname')).toEqual({ abs: '/etc/hostname', name: 'hostname', followLast: false });
    expect(parseContainerPath('etc/')).toEqual({ abs: '/etc', name: 'etc', followLast: true });
    expect(parseContainerPath('/etc/.')).toEqual({ abs: '/etc', name: '.', followLast: true });
    expect(parseContainerPath('/')).toEqual({ abs: '/', name: '/', followLast: true });
    expect(parseContainerPath('../../x')).toMatchObject({ abs: '/x', name: 'x' });
  });

  it('.. and symlinks never leave the root, absolute targets included', async () => {
    await symlink('../../../../../../..', path.join(root, 'up'));
    await symlink('/', path.join(root, 'slash'));
    await symlink('../../secret', path.join(root, 'etc/sec'));
    expect(await followInRoot(root, '../../etc/passwd')).toEqual({ rel: 'etc/passwd', host: path.join(root, 'etc/passwd'), exists: true });
    expect((await followInRoot(root, '/up/etc/passwd')).rel).toBe('etc/passwd');
    expect((await followInRoot(root, '/slash/up/slash/etc')).rel).toBe('etc');
    expect(await followInRoot(root, '/etc/sec')).toMatchObject({ rel: 'secret', exists: false });
    await expect(resolveContainerPath(root, '/etc/sec/', 'c')).rejects.toThrow('Could not find the file /etc/sec/ in container c');
  });

  it('symlink loops end with an error, not a hang', async () => {
    await symlink('/loop2', path.join(root, 'loop1'));
    await symlink('/loop1', path.join(root, 'loop2'));
    await expect(followInRoot(root, '/loop1/x')).rejects.toThrow(/too many levels/);
  });

  it('Go file modes: type bits above the permission bits', () => {
    const st = (mode: number, kind: string) => ({
      mode, isDirectory: () => kind === 'dir', isSymbolicLink: () => kind === 'link', isBlockDevice: () => false,
      isCharacterDevice: () => kind === 'chr', isFIFO: () => false, isSocket: () => false,
    });
    expect(goFileMode(st(0o40755, 'dir'))).toBe(2 ** 31 + 0o755);
    expect(goFileMode(st(0o120777, 'link'))).toBe(2 ** 27 + 0o777);
    expect(goFileMode(st(0o104755, 'file'))).toBe(2 ** 23 + 0o755);
    expect(goFileMode(st(0o20666, 'chr'))).toBe(2 ** 26 + 2 ** 21 + 0o666);
    expect(goFileMode(st(0o41777, 'dir'))).toBe(2 ** 31 + 2 ** 20 + 0o777);
  });
});
