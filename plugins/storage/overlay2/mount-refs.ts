/**
 * Mount reference counting for overlay2: only the first reference mounts and only the last
 * release unmounts. Operations on one layer run one at a time, so two concurrent first mounts
 * cannot both mount, and a second caller never gets a path before the mount is there.
 */

/** Reference counts per layer, with per-layer serialisation. */
export class MountRefs {
  private readonly counts = new Map<string, number>();
  /** Mounted before this process started (found by recovery) and not referenced yet. */
  private readonly adopted = new Set<string>();
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every earlier operation on `id` has settled. */
  serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(id) ?? Promise.resolve()).then(fn, fn);
    const tail = result.catch(() => undefined);
    this.tails.set(id, tail);
    void tail.then(() => this.tails.get(id) === tail && this.tails.delete(id));
    return result;
  }

  /** References held on `id`. */
  count(id: string): number {
    return this.counts.get(id) ?? 0;
  }

  /** Records a mount that outlived a restart; the next acquire counts it instead of mounting again. */
  adopt(id: string): void {
    this.adopted.add(id);
  }

  /** Adds a reference; calls `mount` first when there is none (and nothing adopted). */
  acquire(id: string, mount: () => Promise<void>): Promise<void> {
    return this.serial(id, async () => {
      const n = this.count(id);
      if (n === 0 && !this.adopted.delete(id)) await mount();
      this.counts.set(id, n + 1);
    });
  }

  /**
   * Drops a reference; calls `unmount` when it was the last one, or when the layer was adopted
   * and never referenced. A layer that is not mounted is left alone.
   */
  release(id: string, unmount: () => Promise<void>): Promise<void> {
    return this.serial(id, async () => {
      const n = this.count(id);
      if (n > 1) return void this.counts.set(id, n - 1);
      if (n === 0 && !this.adopted.has(id)) return;
      await unmount(); // on failure the count stays, matching what is still mounted
      this.counts.delete(id);
      this.adopted.delete(id);
    });
  }

  /** Runs `fn` (which unmounts and deletes) under the layer's turn, then forgets the layer. */
  drop(id: string, fn: () => Promise<void>): Promise<void> {
    return this.serial(id, async () => {
      await fn();
      this.counts.delete(id);
      this.adopted.delete(id);
    });
  }
}
