/**
 * The state of one extraction, shared by the entry writers and the whiteout handling.
 * @packageDocumentation
 */
import { lstat, rm } from 'node:fs/promises';
import { DeferredMeta } from './deferred.js';
import { entryError } from './errors.js';
import { WhiteoutMaker } from './nodes.js';
import { InRootResolver } from './secure-path.js';

/** How whiteouts (`.wh.` entries) are treated; see {@link ExtractOptions.whiteouts}. */
export type WhiteoutMode = 'apply' | 'overlay' | 'keep';

/** Options with their defaults resolved. */
export interface ExtractSettings {
  readonly whiteouts: WhiteoutMode;
  readonly sameOwner: boolean;
  readonly isRoot: boolean;
  readonly xattrs: boolean;
  readonly requireXattrs: boolean;
  readonly clamp: boolean;
}

/** Where an entry goes: its host path and its physical root-relative path. */
export interface Target {
  readonly host: string;
  readonly rel: string;
}

/** Mutable state of one extraction into `root`. */
export class ExtractState {
  /** Resolves entry directories inside the root. */
  readonly resolver: InRootResolver;
  /** Directory modes/times and xattrs applied at the end. */
  readonly deferred: DeferredMeta;
  /** Makes overlayfs whiteouts. */
  readonly whiteouts: WhiteoutMaker;
  /** Physical paths this layer wrote: an opaque marker keeps them (only lower content goes). */
  readonly unpacked = new Set<string>();
  readonly warnings: string[] = [];
  /** File content bytes written. */
  bytes = 0;
  entries = 0;

  /**
   * @param root - absolute, symlink-free extraction root
   * @param opts - resolved options
   */
  constructor(readonly root: string, readonly opts: ExtractSettings) {
    this.resolver = new InRootResolver(root);
    this.deferred = new DeferredMeta(root);
    this.whiteouts = new WhiteoutMaker(root);
  }

  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;

  /**
   * Runs the tail of an entry (descriptor-based work only: a later entry may replace the path)
   * while the next entries are read; at most 64 at a time. The first failure is thrown by a later
   * call or by {@link ExtractState.settle}.
   */
  async background(task: Promise<void>, entry: string): Promise<void> {
    const p: Promise<void> = task.then(
      () => void this.pending.delete(p),
      (err: unknown) => {
        this.pending.delete(p);
        this.failure ??= entryError(err, entry);
      },
    );
    this.pending.add(p);
    if (this.pending.size >= 64) await Promise.race(this.pending);
    if (this.failure) throw this.failure;
  }

  /** Waits for background work; throws its first failure unless `quiet`. */
  async settle(quiet = false): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
    if (this.failure && !quiet) throw this.failure;
  }

  /** Records a warning (returned to the caller, never thrown). */
  warn(message: string): void {
    this.warnings.push(message);
  }

  /**
   * Records that this layer wrote `rel`, and so its ancestors: a directory the layer writes into
   * (even without an entry for it) is this layer's, so an opaque marker above it must only clear
   * its lower children — what overlayfs shows.
   */
  markUnpacked(rel: string): void {
    for (let r = rel; r && !this.unpacked.has(r); r = r.slice(0, Math.max(0, r.lastIndexOf('/')))) this.unpacked.add(r);
  }

  /** Removes `host` (recursively, never following symlinks) and what was cached or deferred for it. */
  async remove(host: string, rel: string): Promise<void> {
    const st = await lstat(host).catch(() => undefined);
    if (!st) return;
    await rm(host, { recursive: true, force: true });
    if (st.isDirectory() || st.isSymbolicLink()) this.resolver.invalidate();
    this.deferred.forget(rel, st.isDirectory());
  }
}
