/**
 * What pulls, pushes and logins share for the life of the daemon: the HTTP agents, how hosts are
 * reached, the daemon.json settings (read at each operation, so a SIGHUP reload applies), the
 * download directory with the transfers in flight (two pulls of one blob share one download),
 * and which compressed blobs are known for each layer (so pushes skip what a registry has).
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { StateStore } from '@keel/sdk';
import { HttpClient } from './http-client.js';
import { RegistryHosts, type RegistryHostsOptions } from './registry-hosts.js';

/** Transfer settings (daemon.json keys, Docker's defaults). */
export interface TransferSettings {
  /** `max-concurrent-downloads` (3). */
  readonly maxConcurrentDownloads: number;
  /** `max-concurrent-uploads` (5). */
  readonly maxConcurrentUploads: number;
  /** `max-download-attempts` (5). */
  readonly maxDownloadAttempts: number;
}

/** A compressed blob known to hold a layer, and where it was seen. */
export interface KnownBlob {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
  /** Repositories (`host/path`) that have it. */
  readonly repos: readonly string[];
}

/** Shared registry state. */
export class RegistryContext {
  readonly http = new HttpClient();
  readonly hosts: RegistryHosts;
  /** Digest → the download in flight. */
  readonly inflight = new Map<string, Promise<string>>();
  /** Digest → pulls still using its downloaded file. */
  readonly users = new Map<string, number>();

  constructor(
    hostOptions: () => RegistryHostsOptions,
    readonly settings: () => TransferSettings,
    /** Where blobs are downloaded (on the blob store's filesystem). */
    readonly downloadsDir: string,
    private readonly state: StateStore,
  ) {
    this.hosts = new RegistryHosts(hostOptions);
  }

  /** Compressed blobs known for the layer `diffId`. */
  async knownBlobs(diffId: string): Promise<KnownBlob[]> {
    return (await this.state.get<KnownBlob[]>(`blobs/${diffId.slice(7)}`)) ?? [];
  }

  /** Remembers that `repo` has `blob` holding layer `diffId`. */
  async remember(diffId: string, blob: Omit<KnownBlob, 'repos'>, repo: string): Promise<void> {
    const list = await this.knownBlobs(diffId);
    const same = list.find((b) => b.digest === blob.digest);
    if (same?.repos.includes(repo)) return;
    const next = same ? list.map((b) => (b === same ? { ...b, repos: [...b.repos, repo].slice(-16) } : b)) : [...list, { ...blob, repos: [repo] }].slice(-8);
    await this.state.put(`blobs/${diffId.slice(7)}`, next);
  }

  /** Removes downloads nobody finished within `maxAgeMs` (an interrupted pull resumes from the rest). */
  async sweepDownloads(maxAgeMs: number): Promise<number> {
    let n = 0;
    for (const name of await readdir(this.downloadsDir).catch(() => [] as string[])) {
      const f = path.join(this.downloadsDir, name);
      const s = await stat(f).catch(() => undefined);
      if (s && Date.now() - s.mtimeMs > maxAgeMs) {
        await rm(f, { force: true });
        n++;
      }
    }
    return n;
  }

  close(): void {
    this.http.close();
  }
}
