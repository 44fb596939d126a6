/**
 * Registry credentials for `keel login`/`pull`/`push`, kept where the docker CLI keeps them
 * (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, under `auths`), so a login with
 * either CLI serves both. Credential helpers (`credsStore`) are not used: their entries are
 * left alone. The file is written with mode 0600.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Docker Hub's key in config.json. */
export const HUB_KEY = 'https://index.docker.io/v1/';

type ConfigFile = { auths?: Record<string, { auth?: string; identitytoken?: string }> } & Record<string, unknown>;

function configPath(env: NodeJS.ProcessEnv): string {
  return path.join(env.DOCKER_CONFIG || path.join(homedir(), '.docker'), 'config.json');
}

function readConfig(env: NodeJS.ProcessEnv): ConfigFile {
  try {
    return JSON.parse(readFileSync(configPath(env), 'utf8')) as ConfigFile;
  } catch {
    return {};
  }
}

function writeConfig(env: NodeJS.ProcessEnv, doc: ConfigFile): void {
  const file = configPath(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(doc, null, '\t')}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** The registry a reference lives in, as config.json keys it (`127.0.0.1:5000`, or Docker Hub). */
export function registryKey(ref: string): string {
  const first = ref.split('/')[0]!;
  const isHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return !isHost || first === 'docker.io' || first === 'index.docker.io' ? HUB_KEY : first;
}

/** The `X-Registry-Auth` value for `server` (base64url JSON; `e30` = anonymous). */
export function registryAuthHeader(server: string, env: NodeJS.ProcessEnv): string {
  const entry = readConfig(env).auths?.[server] ?? readConfig(env).auths?.[`https://${server}`];
  if (!entry?.auth && !entry?.identitytoken) return Buffer.from('{}').toString('base64url');
  const plain = entry.auth ? Buffer.from(entry.auth, 'base64').toString('utf8') : '';
  const cut = plain.indexOf(':');
  const body = entry.identitytoken
    ? { identitytoken: entry.identitytoken, serveraddress: server }
    : { username: plain.slice(0, cut), password: plain.slice(cut + 1), serveraddress: server };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Stores credentials for `server`. */
export function saveCredentials(server: string, username: string, password: string, identityToken: string, env: NodeJS.ProcessEnv): void {
  const doc = readConfig(env);
  const entry = identityToken ? { auth: '', identitytoken: identityToken } : { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  writeConfig(env, { ...doc, auths: { ...doc.auths, [server]: entry } });
}

/** Forgets `server`'s credentials; false when there were none. */
export function removeCredentials(server: string, env: NodeJS.ProcessEnv): boolean {
  const doc = readConfig(env);
  if (!doc.auths?.[server]) return false;
  const auths = { ...doc.auths };
  delete auths[server];
  writeConfig(env, { ...doc, auths });
  return true;
}
