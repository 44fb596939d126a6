/**
 * JSON request bodies: read only for `application/json` (parameters such as `; charset=utf-8`
 * allowed), up to a limit, empty bodies taken as absent (Docker clients send them), and bodies
 * that would poison prototypes (`__proto__`, `constructor.prototype` keys) refused, as fastify's
 * `onProtoPoisoning: 'error'` used to.
 */
import type { IncomingMessage } from 'node:http';
import { InvalidArgumentError } from '@keel/sdk';

/** The largest JSON body accepted (create bodies are a few KiB; a client sending more gets 413). */
export const MAX_JSON_BODY = 8 * 1024 * 1024;

/** A 413 in Docker's error shape. */
function tooLarge(): InvalidArgumentError {
  const e = new InvalidArgumentError(`request body is larger than ${MAX_JSON_BODY} bytes`, { code: 'ERR_BODY_TOO_LARGE' });
  Object.defineProperty(e, 'httpStatus', { value: 413 });
  return e;
}

/** Whether the request's content type is JSON. */
export function isJson(req: IncomingMessage): boolean {
  const ct = req.headers['content-type'];
  if (!ct) return false;
  const semi = ct.indexOf(';');
  return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase() === 'application/json';
}

/** Whether a request carries a body at all (by its headers). */
function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return len !== undefined ? len !== '0' : req.headers['transfer-encoding'] !== undefined;
}

/** Whether a parsed value holds an own `__proto__` key, or a `constructor` object with a `prototype`, anywhere. */
export function poisoned(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(poisoned);
  if (Object.hasOwn(v, '__proto__')) return true;
  const ctor = Object.hasOwn(v, 'constructor') ? (v as { constructor: unknown }).constructor : undefined;
  if (ctor && typeof ctor === 'object' && Object.hasOwn(ctor, 'prototype')) return true;
  return Object.values(v).some(poisoned);
}

/** Parses a JSON body text; blank → undefined; malformed or poisoning → 400. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`invalid JSON body: ${(err as Error).message}`);
  }
  if ((text.includes('__proto__') || text.includes('constructor')) && poisoned(value)) {
    throw new InvalidArgumentError('invalid JSON body: object keys __proto__ and constructor.prototype are not allowed');
  }
  return value;
}

/** Reads and parses the body of a JSON request; other content types are left unread (undefined). */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  if (!isJson(req) || !hasBody(req)) return undefined;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_JSON_BODY) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) throw tooLarge();
    chunks.push(chunk);
  }
  return parseJsonBody(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
}
