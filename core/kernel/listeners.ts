/**
 * Listening on `-H` addresses: unix sockets (mode 0660, group set when it exists, stale files of
 * a crashed daemon removed, a live daemon on the same socket refused) and TCP (with a loud
 * warning: without TLS, anyone who reaches the port is root on this host).
 */
import { readFile, chmod, chown, lstat, unlink, mkdir } from 'node:fs/promises';
import type http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { ConflictError, InvalidArgumentError, type Logger } from '@keel/sdk';

/** A bound address. */
export interface Listener {
  readonly address: string;
  close(): Promise<void>;
}

/** Parses `unix:///path`, `tcp://host:port`, `fd://` (refused) into a listen target. */
export function parseHost(host: string): { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number } {
  if (host.startsWith('unix://')) {
    const p = host.slice('unix://'.length);
    if (!p.startsWith('/')) throw new InvalidArgumentError(`invalid host "${host}": unix socket paths must be absolute`);
    return { kind: 'unix', path: p };
  }
  if (host.startsWith('tcp://')) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(host);
    if (!m) throw new InvalidArgumentError(`invalid host "${host}": expected tcp://HOST:PORT`);
    const port = m[2] ? Number(m[2]) : 2375;
    if (port < 1 || port > 65535) throw new InvalidArgumentError(`invalid host "${host}": port out of range`);
    return { kind: 'tcp', host: (m[1] || '127.0.0.1').replace(/^\[|\]$/g, ''), port };
  }
  throw new InvalidArgumentError(`invalid host "${host}": use unix:///path/to/socket or tcp://127.0.0.1:2375`);
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socketPath);
    const done = (v: boolean) => {
      c.destroy();
      resolve(v);
    };
    c.once('connect', () => done(true));
    c.once('error', () => done(false));
    c.setTimeout(1000, () => done(false));
  });
}

async function groupId(name: string): Promise<number | undefined> {
  try {
    const line = (await readFile('/etc/group', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
    return line ? Number(line.split(':')[2]) : undefined;
  } catch {
    return undefined;
  }
}

function listen(server: http.Server, arg: string | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (typeof arg === 'string') server.listen(arg, done);
    else server.listen(arg.port, arg.host, done);
  });
}

function closer(server: http.Server, after?: () => Promise<void>): () => Promise<void> {
  return async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // Long-lived streams (events, logs) would hold close() forever: end them.
      setTimeout(() => server.closeAllConnections(), 200).unref();
    });
    await after?.();
  };
}

/**
 * Throws Conflict when another daemon answers on the unix socket of `host`. Checked before the
 * engine starts too: its plugins take host-wide objects (the default bridge, firewall chains)
 * that a daemon which then fails to listen would tear down under the one already running.
 */
export async function assertNotServed(host: string): Promise<void> {
  const target = parseHost(host);
  if (target.kind === 'unix' && (await answers(target.path))) {
    throw new ConflictError(`another daemon is already listening on ${host}; stop it first, or start keeld with another -H socket`, { code: 'ERR_SOCKET_IN_USE' });
  }
}

/** Binds `server` to `host`. */
export async function listenOn(server: http.Server, host: string, opts: { logger: Logger; socketGroup?: string }): Promise<Listener> {
  const target = parseHost(host);
  if (target.kind === 'tcp') {
    await listen(server, target);
    opts.logger.warn(
      { host },
      `API listening on ${host} WITHOUT TLS: anyone who can reach this port has root access to this host. Bind to 127.0.0.1 only, or use a unix socket.`,
    );
    return { address: host, close: closer(server) };
  }
  await mkdir(path.dirname(target.path), { recursive: true });
  if (await lstat(target.path).catch(() => undefined)) {
    await assertNotServed(host);
    await unlink(target.path); // a stale socket left by a crash
  }
  await listen(server, target.path);
  await chmod(target.path, 0o660);
  const gid = opts.socketGroup ? await groupId(opts.socketGroup) : undefined;
  if (gid !== undefined) await chown(target.path, 0, gid).catch(() => undefined);
  opts.logger.info({ host }, `API listening on ${host}`);
  return { address: host, close: closer(server, () => unlink(target.path).catch(() => undefined)) };
}
