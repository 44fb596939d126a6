/**
 * Attach sessions of each container. A client may attach before the container starts (`docker
 * run` and `start -a` do): its session waits here and is connected to the monitor's attach socket
 * after the monitor created the container and before the process is started, so no output is lost.
 */
import { connectAttach, type AttachConnection, type OutputStream } from '../monitor/attach-socket.js';

/** One client's attach. */
export interface AttachSession {
  onOutput(stream: OutputStream, data: Buffer): void;
  /** The container's process is gone (or the monitor closed the socket). */
  onEnd(): void;
  /** Called once connected; the session feeds stdin to `conn`. */
  connected(conn: AttachConnection): void;
}

/** Pending and live attach sessions. */
export class AttachHub {
  private readonly pending = new Map<string, Set<AttachSession>>();

  /** Queues `session` until {@link connectPending} for `id`. */
  queue(id: string, session: AttachSession): () => void {
    const set = this.pending.get(id) ?? new Set<AttachSession>();
    this.pending.set(id, set);
    set.add(session);
    return () => {
      set.delete(session);
      if (!set.size) this.pending.delete(id);
    };
  }

  /** Connects `session` now to the monitor whose attach socket is in `bundle`. */
  async connect(bundle: string, session: AttachSession): Promise<void> {
    const conn = await connectAttach(bundle, { onOutput: (s, d) => session.onOutput(s, d), onEnd: () => session.onEnd() });
    session.connected(conn);
  }

  /** Connects every queued session of `id` (before the runtime starts the process). */
  async connectPending(id: string, bundle: string): Promise<void> {
    const set = this.pending.get(id);
    this.pending.delete(id);
    for (const s of set ?? []) await this.connect(bundle, s).catch(() => s.onEnd());
  }

  /** Ends the queued sessions of a container that will not start (removed, failed start). */
  endPending(id: string): void {
    const set = this.pending.get(id);
    this.pending.delete(id);
    for (const s of set ?? []) s.onEnd();
  }
}
