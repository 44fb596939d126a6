/**
 * `POST /auth` (`docker login`): the credentials are tried against the registry's `/v2/` the way
 * a pull would use them — basic on every request, or exchanged for a bearer token at the realm of
 * the registry's challenge. Nothing is stored: the CLI keeps credentials and sends them again in
 * `X-Registry-Auth`.
 */
import { InvalidArgumentError } from '@keel/sdk';
import type { AuthConfig } from './auth-config.js';
import { discard } from './http-client.js';
import type { RegistryContext } from './registry-context.js';
import { unauthorized } from './registry-errors.js';
import { RegistrySession } from './registry-session.js';

/** `POST /auth`'s answer. */
export interface LoginResult {
  Status: string;
  IdentityToken: string;
}

/** The registry host a login's `serveraddress` names (`https://index.docker.io/v1/` is Docker Hub). */
export function loginDomain(serveraddress: string | undefined): string {
  const raw = (serveraddress ?? '').trim();
  if (!raw) return 'docker.io';
  const host = raw.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (!host || /\s/.test(host)) throw new InvalidArgumentError(`invalid registry address "${raw}"`);
  return ['index.docker.io', 'registry-1.docker.io', 'docker.io'].includes(host) ? 'docker.io' : host;
}

/** Checks `auth` against its registry. @throws PermissionDenied (code ERR_REGISTRY_UNAUTHORIZED) on refused credentials */
export async function login(auth: AuthConfig, reg: RegistryContext, signal?: AbortSignal): Promise<LoginResult> {
  const domain = loginDomain(auth.serveraddress);
  const s = await RegistrySession.open({ http: reg.http, hosts: reg.hosts, domain, repo: '', actions: 'pull', auth, signal });
  const res = await s.request('GET', '/v2/');
  discard(res);
  if (res.statusCode === 401) throw unauthorized(`login attempt to ${s.endpoint.origin}/v2/ failed with status: 401 Unauthorized`);
  if (res.statusCode !== 200) throw unauthorized(`login attempt to ${s.endpoint.origin}/v2/ failed with status: ${res.statusCode} ${res.statusMessage ?? ''}`.trim());
  return { Status: 'Login Succeeded', IdentityToken: '' };
}
