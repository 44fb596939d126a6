/**
 * Registry answers that are not what was asked for, as engine errors worded like Docker's:
 * Distribution's `{"errors":[{"code","message"}]}` bodies become `manifest unknown: manifest
 * unknown`, 401 becomes an authentication error, anything unreadable says what came back.
 */
import type { IncomingMessage } from 'node:http';
import { EngineError, NotFoundError, PermissionDeniedError } from '@keel/sdk';
import { readBody } from './http-client.js';

/** The code every registry authentication failure carries (`POST /auth` answers it with 401). */
export const UNAUTHORIZED = 'ERR_REGISTRY_UNAUTHORIZED';

/** An authentication failure at a registry or its token server. */
export function unauthorized(message: string): EngineError {
  return new PermissionDeniedError(message, { code: UNAUTHORIZED });
}

/** A registry that answered with something keel cannot use (500 with a clear message). */
export function badResponse(message: string): EngineError {
  return new EngineError('Internal', message, { code: 'ERR_REGISTRY_RESPONSE' });
}

/** Distribution's error list as text (`manifest unknown: manifest unknown`), if the body has one. */
export function errorListText(body: Buffer): string | undefined {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    const items = (doc.errors ?? []).filter((e) => e && typeof e === 'object');
    if (!items.length) return undefined;
    return items.map((e) => {
      const code = typeof e.code === 'string' ? e.code.toLowerCase().replace(/_/g, ' ') : 'error';
      return typeof e.message === 'string' && e.message ? `${code}: ${e.message}` : code;
    }).join(', ');
  } catch {
    return undefined;
  }
}

/**
 * Turns an unexpected response into an error: 404 → NotFound, 401/403 → authentication error,
 * else Internal. `what` says what was asked (`manifest for x:latest`, `blob sha256:…`).
 */
export async function responseError(res: IncomingMessage, what: string): Promise<EngineError> {
  const status = res.statusCode ?? 0;
  const body = await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0));
  const listed = errorListText(body);
  const detail = listed ?? `${status} ${res.statusMessage ?? ''}`.trim();
  if (status === 404) return new NotFoundError(`${what} not found: ${detail}`);
  if (status === 401) return unauthorized(listed ?? 'unauthorized: authentication required');
  if (status === 403) return new PermissionDeniedError(listed ?? 'denied: requested access to the resource is denied');
  return badResponse(`${what}: unexpected response from the registry: ${detail}`);
}
