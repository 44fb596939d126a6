import { describe, expect, it } from 'vitest';
import { testRecord } from '../test-records.js';
import { mountedPath } from './archive-routes.js';

describe('container paths inside mounts', () => {
  const c = testRecord({
    keel: {
      mounts: [
        { type: 'volume', source: 'data', destination: '/data', readOnly: false, mode: '', mountpoint: '/vol/data/_data' },
        { type: 'bind', source: '/host/conf', destination: '/data/conf', readOnly: true, mode: 'ro' },
        { type: 'tmpfs', source: '', destination: '/tmp', readOnly: false, mode: '' },
      ],
    },
  });

  it('maps paths in a volume or bind to its host directory, the longest mount first', () => {
    expect(mountedPath(c, '/data/file', false)).toEqual({ root: '/vol/data/_data', path: '/file', readOnly: false });
    expect(mountedPath(c, '/data/conf/app.ini', false)).toEqual({ root: '/host/conf', path: '/app.ini', readOnly: true });
    expect(mountedPath(c, '/data/sub/', false)).toMatchObject({ path: '/sub/' });
    expect(mountedPath(c, '/data/sub/.', false)).toMatchObject({ path: '/sub/.' });
    expect(mountedPath(c, '/data/../data/x', false)).toMatchObject({ path: '/x' });
  });

  it('takes the mount point itself only for its content or as an extraction point', () => {
    expect(mountedPath(c, '/data/', false)).toMatchObject({ path: '/' });
    expect(mountedPath(c, '/data/.', false)).toMatchObject({ path: '/.' });
    expect(mountedPath(c, '/data', true)).toMatchObject({ path: '/' });
    expect(mountedPath(c, '/data', false)).toBeUndefined();
  });

  it('leaves the root filesystem, tmpfs mounts and look-alike prefixes alone', () => {
    expect(mountedPath(c, '/database/x', false)).toBeUndefined();
    expect(mountedPath(c, '/tmp/x', false)).toBeUndefined();
    expect(mountedPath(c, '/etc/hosts', true)).toBeUndefined();
  });
});
