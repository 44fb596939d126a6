import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DaemonConfig, loadDaemonConfig, mergeDaemonConfig } from './config.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'keel-config-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('daemon config', () => {
  it('names unknown keys the way dockerd does', async () => {
    const file = path.join(dir, 'daemon.json');
    await writeFile(file, JSON.stringify({ debug: true, nope: 1, 'also-nope': 2 }));
    await expect(loadDaemonConfig({ flags: {}, configFile: file, configFileExplicit: true })).rejects.toThrow(
      "the following directives don't match any configuration option: also-nope, nope",
    );
  });

  it('rejects wrong types and bad JSON naming the key or file', async () => {
    const file = path.join(dir, 'daemon.json');
    await writeFile(file, JSON.stringify({ 'max-concurrent-downloads': 'three' }));
    await expect(loadDaemonConfig({ flags: {}, configFile: file, configFileExplicit: true })).rejects.toThrow('"max-concurrent-downloads" must be an integer, got "three"');
    await writeFile(file, '{"debug": tru');
    await expect(loadDaemonConfig({ flags: {}, configFile: file, configFileExplicit: true })).rejects.toThrow(/is not valid JSON/);
    await writeFile(file, JSON.stringify({ 'log-level': 'loud' }));
    await expect(loadDaemonConfig({ flags: {}, configFile: file, configFileExplicit: true })).rejects.toThrow(/"log-level" must be one of/);
  });

  it('treats a missing default file as empty but a missing explicit file as an error', async () => {
    const missing = path.join(dir, 'none.json');
    const cfg = await loadDaemonConfig({ flags: {}, configFile: missing, configFileExplicit: false });
    expect(cfg['data-root']).toBe('/var/lib/keel');
    expect(cfg.hosts).toEqual(['unix:///run/keel/keel.sock']);
    await expect(loadDaemonConfig({ flags: {}, configFile: missing, configFileExplicit: true })).rejects.toThrow(/cannot read/);
  });

  it('refuses a key set both as a flag and in the file', () => {
    expect(() => mergeDaemonConfig({ debug: true }, { debug: false })).toThrow(
      'the following directives are specified both as a flag and in the configuration file: debug: (from flag: true, from file: false)',
    );
    expect(mergeDaemonConfig({ debug: true }, { labels: ['a=b'] })).toMatchObject({ debug: true, labels: ['a=b'], 'exec-root': '/run/keel' });
  });

  it('reloads only reloadable keys, tells listeners, keeps the old config on error', async () => {
    const file = path.join(dir, 'daemon.json');
    await writeFile(file, JSON.stringify({ labels: ['a=1'], 'data-root': '/x' }));
    const sources = { flags: {}, configFile: file, configFileExplicit: true };
    const cfg = new DaemonConfig(await loadDaemonConfig(sources), sources);
    const heard: string[][] = [];
    cfg.onReload((c) => heard.push([...c]));
    await writeFile(file, JSON.stringify({ labels: ['a=2'], 'data-root': '/y', debug: true }));
    expect(await cfg.reload()).toEqual(['debug', 'labels']);
    expect(cfg.get('labels')).toEqual(['a=2']);
    expect(cfg.get('data-root')).toBe('/x');
    expect(heard).toEqual([['debug', 'labels']]);
    await writeFile(file, JSON.stringify({ bogus: 1 }));
    await expect(cfg.reload()).rejects.toThrow(/bogus/);
    expect(cfg.get('labels')).toEqual(['a=2']);
  });
});
