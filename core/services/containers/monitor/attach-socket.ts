/**
 * A client of conmon's attach socket (`<dir>/attach`, `SOCK_SEQPACKET`, which Node's `net` cannot
 * open: node-unix-socket's SeqpacketSocket can). conmon sends one packet per read of the
 * container's output, its first byte naming the pipe (2 stdout, 3 stderr); everything we write is
 * the container's stdin, and our half-close closes it (unless `--leave-stdin-open`).
 *
 * The socket path may exceed `sun_path` (108 bytes) under a deep exec root, so we connect through
 * `/proc/self/fd/<dirfd>/attach`, as conmon binds it.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { SeqpacketSocket } from 'node-unix-socket';

/** Output of the container, by stream. */
export type OutputStream = 'stdout' | 'stderr';

/** An open attach connection. */
export interface AttachConnection {
  /** Writes stdin bytes. */
  write(data: Buffer): void;
  /** Closes our writing side (stdin EOF for the container). */
  endInput(): void;
  /** Closes the connection. */
  close(): void;
}

/** Callbacks of {@link connectAttach}. */
export interface AttachHandlers {
  onOutput(stream: OutputStream, data: Buffer): void;
  /** The monitor closed the connection (the process exited and its output is drained). */
  onEnd(): void;
}

const MAX_PACKET = 8192;

/** Connects to the attach socket in `dir`. */
export function connectAttach(dir: string, handlers: AttachHandlers): Promise<AttachConnection> {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  return new Promise((resolve, reject) => {
    const sock = new SeqpacketSocket();
    sock.setInternalReadBufferSize(MAX_PACKET * 2);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      handlers.onEnd();
    };
    sock.on('data', (buf: Buffer) => {
      if (buf.length < 1) return;
      handlers.onOutput(buf[0] === 3 ? 'stderr' : 'stdout', buf.subarray(1));
    });
    sock.on('end', end);
    sock.on('close', end);
    sock.once('error', (err: Error) => {
      if (!connected) reject(err);
      end();
    });
    let connected = false;
    try {
      sock.connect(`/proc/self/fd/${fd}/attach`, () => {
        connected = true;
        closeSync(fd);
        resolve({
          write(data) {
            for (let off = 0; off < data.length; off += MAX_PACKET) sock.write(data.subarray(off, off + MAX_PACKET));
          },
          endInput() {
            try {
              sock.end();
            } catch {
              /* already closed */
            }
          },
          close() {
            sock.destroy();
          },
        });
      });
    } catch (err) {
      closeSync(fd);
      reject(err as Error);
    }
  });
}
