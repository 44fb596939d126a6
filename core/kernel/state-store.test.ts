import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStateStore } from './state-store.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'keel-state-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('file state store', () => {
  it('round-trips documents, lists and deletes by key', async () => {
    const s = new FileStateStore(dir);
    await s.put('containers/abc', { id: 'abc', n: 1 });
    await s.put('containers/def', { id: 'def' });
    await s.put('engine-id', 'x');
    expect(await s.get('containers/abc')).toEqual({ id: 'abc', n: 1 });
    expect(await s.list('containers/')).toEqual(['containers/abc', 'containers/def']);
    expect(await s.delete('containers/abc')).toBe(true);
    expect(await s.delete('containers/abc')).toBe(false);
    expect(await s.get('containers/abc')).toBeUndefined();
  });

  it('keeps every one of many concurrent writes (they share directory syncs), and survives its directory being removed', async () => {
    const s = new FileStateStore(dir);
    await Promise.all(Array.from({ length: 60 }, (_, i) => s.put(`many/k${i}`, { i })));
    expect((await s.list('many/')).length).toBe(60);
    expect(await s.get('many/k59')).toEqual({ i: 59 });
    expect((await readdir(path.join(dir, 'many'))).filter((f) => !f.endsWith('.json'))).toEqual([]);
    await rm(path.join(dir, 'many'), { recursive: true });
    await s.put('many/again', 1);
    expect(await s.get('many/again')).toBe(1);
  });

  it('namespaces keys', async () => {
    const a = new FileStateStore(dir).namespace('core.a');
    const b = new FileStateStore(dir).namespace('core.b');
    await a.put('k', 1);
    await b.put('k', 2);
    expect([await a.get('k'), await b.get('k')]).toEqual([1, 2]);
    expect(await a.list()).toEqual(['k']);
  });

  it('survives a crash mid-write: the old document stays and temp files are swept', async () => {
    const s = new FileStateStore(dir);
    await s.put('doc', { v: 1 });
    // What a crash between write and rename leaves: a temp file beside the document.
    await writeFile(path.join(dir, '.tmp-deadbeef'), '{"v": 2, "trunc');
    expect(await s.get('doc')).toEqual({ v: 1 });
    expect(await s.list()).toEqual(['doc']);
    expect(await readdir(dir)).toEqual(['doc.json']);
  });

  it('refuses keys that would escape its directory', async () => {
    const s = new FileStateStore(path.join(dir, 'inner'));
    await mkdir(path.join(dir, 'inner'));
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', '']) await expect(s.put(key, 1)).rejects.toThrow(/invalid state key/);
    expect(await readdir(dir)).toEqual(['inner']);
  });

  it('reports a corrupt document clearly', async () => {
    await writeFile(path.join(dir, 'bad.json'), '{nope');
    await expect(new FileStateStore(dir).get('bad')).rejects.toThrow(/state document .*bad\.json is corrupt/);
  });
});
