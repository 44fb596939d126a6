import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '@keel/sdk/testkit';
import { ContainerStore, validName } from './container-store.js';
import { testRecord } from './test-records.js';

describe('ContainerStore', () => {
  it('resolves full IDs, names with or without slash, and unique prefixes like Docker', async () => {
    const store = new ContainerStore(new MemoryStateStore());
    const a = await store.put(testRecord({ Id: `aaa1${'0'.repeat(60)}`, Name: '/web' }));
    await store.put(testRecord({ Id: `aaa2${'0'.repeat(60)}`, Name: '/db' }));
    expect(store.get(a.Id).Name).toBe('/web');
    expect(store.get('web').Id).toBe(a.Id);
    expect(store.get('/web').Id).toBe(a.Id);
    expect(store.get('aaa1').Id).toBe(a.Id);
    expect(() => store.get('aaa')).toThrow(/multiple containers found with provided prefix: aaa/);
    expect(() => store.get('nope')).toThrow(/No such container: nope/);
    expect(store.find('')).toBeUndefined();
  });

  it('refuses a taken or reserved name with 409 and validates names', async () => {
    const store = new ContainerStore(new MemoryStateStore());
    const a = await store.put(testRecord({ Name: '/web' }));
    expect(() => store.reserveName('/web')).toThrow(new RegExp(`already in use by container "${a.Id}"`));
    store.reserveName('/new');
    expect(() => store.reserveName('/new')).toThrow(/already in use/);
    store.releaseName('/new');
    expect(() => store.reserveName('/new')).not.toThrow();
    expect(validName('ok_name-1.2')).toBe('/ok_name-1.2');
    expect(() => validName('bad name')).toThrow(/Invalid container name \(bad name\)/);
    expect(() => validName('-x')).toThrow(/Invalid container name/);
  });

  it('persists records and reloads them; updates of one record run in order', async () => {
    const state = new MemoryStateStore();
    const store = new ContainerStore(state);
    const a = await store.put(testRecord({ Name: '/web' }));
    await Promise.all(Array.from({ length: 20 }, () => store.update(a.Id, (r) => void r.RestartCount++)));
    expect(store.get(a.Id).RestartCount).toBe(20);
    await store.update(a.Id, (r) => void (r.Name = '/renamed'));
    const again = new ContainerStore(state);
    expect(await again.open()).toEqual([]);
    expect(again.get('renamed').RestartCount).toBe(20);
    expect(again.find('web')).toBeUndefined();
    await again.delete(a.Id);
    expect(await state.list()).toEqual([]);
  });

  it('skips unreadable records and reports them', async () => {
    const state = new MemoryStateStore();
    await state.put('broken', { nope: true });
    const store = new ContainerStore(state);
    expect(await store.open()).toEqual(['broken']);
    expect(store.list()).toEqual([]);
  });
});
