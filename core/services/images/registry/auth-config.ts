/**
 * Registry credentials as the docker CLI hands them over: `X-Registry-Auth` (base64url of a JSON
 * AuthConfig) on pull and push, and the JSON body of `POST /auth`. Credentials are only ever
 * kept in memory for the one operation and are never logged; {@link redactAuth} is what may be.
 */
import { InvalidArgumentError } from '@keel/sdk';

/** Docker's AuthConfig (the fields keel uses). */
export interface AuthConfig {
  readonly username?: string;
  readonly password?: string;
  /** `auth`: base64 of `user:password` (what config.json stores). */
  readonly auth?: string;
  readonly serveraddress?: string;
  /** An OAuth2 refresh token a registry gave at login. */
  readonly identitytoken?: string;
  /** A bearer token to send as is. */
  readonly registrytoken?: string;
}

/** The largest header value accepted (the CLI's are a few hundred bytes). */
const MAX_HEADER = 64 * 1024;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Normalises an AuthConfig object: `auth` is split into username and password. */
export function authFromObject(o: unknown): AuthConfig | undefined {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const r = o as Record<string, unknown>;
  let username = str(r.username) ?? str(r.Username);
  let password = str(r.password) ?? str(r.Password);
  const auth = str(r.auth) ?? str(r.Auth);
  if (auth && !username) {
    const plain = Buffer.from(auth, 'base64').toString('utf8');
    const cut = plain.indexOf(':');
    if (cut > 0) [username, password] = [plain.slice(0, cut), plain.slice(cut + 1)];
  }
  const out: AuthConfig = {
    ...(username ? { username } : {}), ...(password ? { password } : {}),
    ...(str(r.serveraddress) ?? str(r.ServerAddress) ? { serveraddress: str(r.serveraddress) ?? str(r.ServerAddress) } : {}),
    ...(str(r.identitytoken) ?? str(r.IdentityToken) ? { identitytoken: str(r.identitytoken) ?? str(r.IdentityToken) } : {}),
    ...(str(r.registrytoken) ?? str(r.RegistryToken) ? { registrytoken: str(r.registrytoken) ?? str(r.RegistryToken) } : {}),
  };
  return out.username || out.identitytoken || out.registrytoken ? out : undefined;
}

/**
 * Decodes `X-Registry-Auth`. The CLI sends base64url; older clients standard base64 — both are
 * accepted (Node's decoder takes either alphabet). `e30=` (`{}`) and an absent header mean anonymous.
 * @throws InvalidArgument for a value that is not base64 JSON (without echoing it)
 */
export function parseRegistryAuthHeader(value: string | string[] | undefined): AuthConfig | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v || !v.trim()) return undefined;
  if (v.length > MAX_HEADER) throw new InvalidArgumentError('X-Registry-Auth header is too large');
  if (!/^[A-Za-z0-9+/_=-]+$/.test(v.trim())) throw new InvalidArgumentError('invalid X-Registry-Auth header: not base64');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(v.trim(), 'base64').toString('utf8'));
  } catch {
    throw new InvalidArgumentError('invalid X-Registry-Auth header: not base64-encoded JSON');
  }
  return authFromObject(parsed);
}

/** What of a credential may appear in logs: the user name only. */
export function redactAuth(auth: AuthConfig | undefined): string {
  if (!auth) return 'anonymous';
  return auth.username ? `user ${auth.username}` : 'token';
}
