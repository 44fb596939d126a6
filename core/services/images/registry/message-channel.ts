/**
 * Merging the progress of concurrent transfers into one ordered message stream, and bounding how
 * many transfers run at once (`max-concurrent-downloads` / `max-concurrent-uploads`).
 */

/** A queue that concurrent producers push into and one consumer iterates. */
export class MessageChannel<T> {
  private readonly items: T[] = [];
  private wake?: () => void;
  private closed = false;

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  /** Ends the iteration once the queued items are consumed. */
  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      while (this.items.length) yield this.items.shift()!;
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** Runs at most `n` functions at a time; the rest wait in order. `onQueued` fires for those that wait. */
export function limiter(n: number): <T>(fn: () => Promise<T>, onQueued?: () => void) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn, onQueued) => {
    if (active >= Math.max(1, n)) {
      onQueued?.();
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * Calls `report` at most every `ms` with the latest value (the last one is always delivered by
 * `flush`), so a fast transfer does not flood the client with progress lines.
 */
export function throttled(report: (n: number) => void, ms = 100): { update(n: number): void; flush(): void } {
  let last = 0;
  let pending: number | undefined;
  return {
    update(n) {
      pending = n;
      if (Date.now() - last >= ms) {
        last = Date.now();
        report(n);
        pending = undefined;
      }
    },
    flush() {
      if (pending !== undefined) report(pending);
      pending = undefined;
    },
  };
}
