import { describe, expect, it } from 'vitest';
import { parseBind, parseMount, planMounts } from './mount-plan.js';

describe('mount plans', () => {
  it('parses -v binds and named volumes with modes', () => {
    expect(parseBind('/host/dir:/data:ro,z')).toEqual({ type: 'bind', source: '/host/dir', destination: '/data', readOnly: true, propagation: 'rprivate', mode: 'ro,z', createHostPath: true });
    expect(parseBind('/h:/d:rshared')).toMatchObject({ propagation: 'rshared', readOnly: false });
    expect(parseBind('myvol:/var/lib/x/:nocopy')).toEqual({ type: 'volume', source: 'myvol', destination: '/var/lib/x', readOnly: false, mode: 'nocopy', noCopy: true });
  });

  it("refuses what Docker refuses, in Docker's words", () => {
    expect(() => parseBind('/h')).toThrow(/invalid volume specification: '\/h'/);
    expect(() => parseBind('/h:/d:bogus')).toThrow(/invalid mode: bogus/);
    expect(() => parseBind('/h:/d:ro,rw')).toThrow(/invalid mode/);
    expect(() => parseBind('/h:relative')).toThrow(/must be absolute/);
    expect(() => parseBind('/h:/')).toThrow(/destination can't be '\/'/);
    expect(() => parseBind('bad name!:/d')).toThrow(/includes invalid characters for a local volume name/);
    expect(() => parseBind('vol:/d:rshared')).toThrow(/invalid mode/);
    expect(() => parseMount({ Type: 'nfs', Target: '/x' })).toThrow(/mount type unknown: "nfs"/);
    expect(() => parseMount({ Type: 'bind', Target: '/x' })).toThrow(/invalid mount config for type "bind": field Source must not be empty/);
    expect(() => parseMount({ Type: 'tmpfs', Source: '/a', Target: '/x' })).toThrow(/field Source must not be specified/);
    expect(() => parseMount({ Type: 'volume', Target: '/x', BindOptions: {} })).toThrow(/field BindOptions must not be specified/);
    expect(() => parseMount({ Type: 'bind', Source: '/a', Target: '/x', BindOptions: { Propagation: 'weird' } })).toThrow(/invalid propagation mode/);
  });

  it('parses --mount volume, bind and tmpfs options', () => {
    expect(parseMount({ Type: 'volume', Source: 'v1', Target: '/v', ReadOnly: true, VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs' } } } }))
      .toEqual({ type: 'volume', source: 'v1', destination: '/v', readOnly: true, mode: '', anonymous: false, noCopy: true, driver: 'local', driverOptions: { type: 'tmpfs', device: 'tmpfs' }, labels: { a: 'b' } });
    expect(parseMount({ Type: 'volume', Target: '/anon' })).toMatchObject({ anonymous: true, source: '' });
    expect(parseMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } })).toEqual({ type: 'tmpfs', source: '', destination: '/t', readOnly: false, mode: '', tmpfsSize: 1048576, tmpfsMode: 0o1777 });
  });

  it('adds image volumes as anonymous volumes, orders parents first and refuses duplicates', () => {
    const plans = planMounts({ binds: ['/h:/data/sub'], mounts: [{ Type: 'tmpfs', Target: '/data' }], volumes: { '/data': {}, '/cache': {} }, tmpfs: ['/run'] });
    expect(plans.map((p) => [p.type, p.destination])).toEqual([['volume', '/cache'], ['tmpfs', '/data'], ['bind', '/data/sub']]);
    expect(plans[0]).toMatchObject({ anonymous: true, source: '' });
    expect(planMounts({ volumes: { '/run': {} }, tmpfs: ['/run'] })).toEqual([]);
    expect(() => planMounts({ binds: ['/a:/d', 'vol:/d'] })).toThrow(/Duplicate mount point: \/d/);
    expect(planMounts({ binds: ['vol:/d'], volumeDriver: 'other' })[0]).toMatchObject({ driver: 'other' });
  });

  it('takes --volumes-from mounts with their mode; an own bind replaces one of them', () => {
    const from = [{ plans: [{ type: 'volume' as const, source: 'shared', destination: '/s', readOnly: false, mode: '' }, { type: 'bind' as const, source: '/h', destination: '/b', readOnly: false, mode: '' }], mode: 'ro' }];
    const plans = planMounts({ from, binds: ['/other:/b'] });
    expect(plans.find((p) => p.destination === '/s')).toMatchObject({ source: 'shared', readOnly: true });
    expect(plans.find((p) => p.destination === '/b')).toMatchObject({ source: '/other' });
  });
});
