/**
 * `POST /containers/{id}/wait` conditions: `not-running` (default), `next-exit` and `removed`.
 * Waiters are plain promises resolved by the exit and removal paths.
 */

/** What a wait resolves with. */
export interface WaitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

type Condition = 'next-exit' | 'removed';

interface Waiter {
  condition: Condition;
  resolve(r: WaitResult): void;
}

/** Pending waits per container. */
export class Waiters {
  private readonly byId = new Map<string, Set<Waiter>>();

  /** A promise for the next `condition` of container `id`; `signal` drops it. */
  wait(id: string, condition: Condition, signal?: AbortSignal): Promise<WaitResult> {
    return new Promise((resolve, reject) => {
      const set = this.byId.get(id) ?? new Set<Waiter>();
      this.byId.set(id, set);
      const w: Waiter = { condition, resolve: (r) => { signal?.removeEventListener('abort', onAbort); resolve(r); } };
      const onAbort = () => {
        set.delete(w);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(w);
    });
  }

  /** Resolves the waiters of `event` (an exit resolves `next-exit`; a removal resolves everything). */
  notify(id: string, event: 'exit' | 'removed', result: WaitResult): void {
    const set = this.byId.get(id);
    if (!set) return;
    for (const w of [...set]) {
      if (event === 'removed' || w.condition === 'next-exit') {
        set.delete(w);
        w.resolve(result);
      }
    }
    if (!set.size) this.byId.delete(id);
  }

  /** Whether anyone waits for the removal of `id` (an auto-removed container's exit code goes to them). */
  has(id: string): boolean {
    return !!this.byId.get(id)?.size;
  }
}
