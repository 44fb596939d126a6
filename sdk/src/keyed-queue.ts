/**
 * Runs functions one after another per key (a container id, a layer id), different keys side by
 * side. A failed function does not stop the ones queued after it; a key's entry goes when its
 * queue drains.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` after everything queued earlier for `key`. */
  run<T>(key: string, fn: () => T | Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => this.tails.get(key) === tail && this.tails.delete(key));
    return run;
  }
}
