/**
 * Where the daemon is: `-H`, then `KEEL_HOST`, then `DOCKER_HOST`, then keel's default socket —
 * the same precedence the docker CLI uses, with keel's own variable first.
 */

/** The default daemon address. */
export const DEFAULT_HOST = 'unix:///run/keel/keel.sock';

/** A parsed daemon address. */
export type DaemonAddress = { kind: 'unix'; path: string; text: string } | { kind: 'tcp'; host: string; port: number; text: string };

/** Picks the address string by precedence. */
export function pickHost(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag || env.KEEL_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

/** Parses `unix:///path` or `tcp://host:port`; throws a readable error otherwise. */
export function parseHost(text: string): DaemonAddress {
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    if (!path.startsWith('/')) throw new Error(`invalid host "${text}": the socket path must be absolute, e.g. ${DEFAULT_HOST}`);
    return { kind: 'unix', path, text };
  }
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(text);
  if (m) {
    const port = Number(m[2] ?? 2375);
    if (port < 1 || port > 65535) throw new Error(`invalid host "${text}": port out of range`);
    return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port, text };
  }
  throw new Error(`invalid host "${text}": use unix:///path/to/keel.sock or tcp://HOST:PORT`);
}
