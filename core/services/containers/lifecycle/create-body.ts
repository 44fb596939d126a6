/**
 * Shape checks of the create body before anything uses it: a field of the wrong type is a 400
 * naming the field (Docker's decoder refuses those too), never a crash further down. Docker's
 * "string or list" fields (`Cmd`, `Entrypoint`, `Shell`, healthcheck `Test`) accept a plain
 * string, which becomes a one-element list, as moby's `StrSlice` does.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { InvalidArgumentError } from '@keel/sdk';

const str = { type: 'string' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const nullable = (s: object) => ({ anyOf: [s, { type: 'null' }] });
const strList = nullable({ type: 'array', items: str });
const strMap = nullable({ type: 'object', additionalProperties: str });
const objMap = nullable({ type: 'object', additionalProperties: { type: 'object' } });

const schema = {
  type: 'object',
  properties: {
    Image: str, Hostname: str, Domainname: str, User: str, WorkingDir: str, StopSignal: str, MacAddress: str,
    AttachStdin: bool, AttachStdout: bool, AttachStderr: bool, Tty: bool, OpenStdin: bool, StdinOnce: bool, NetworkDisabled: bool,
    Env: strList, Cmd: strList, Entrypoint: strList, Shell: strList, OnBuild: strList, Labels: strMap, ExposedPorts: objMap, Volumes: objMap,
    StopTimeout: nullable(int),
    Healthcheck: nullable({ type: 'object', properties: { Test: strList, Interval: int, Timeout: int, Retries: int, StartPeriod: int, StartInterval: int } }),
    HostConfig: nullable({
      type: 'object',
      properties: {
        Binds: strList, CapAdd: strList, CapDrop: strList, Dns: strList, DnsOptions: strList, DnsSearch: strList, ExtraHosts: strList,
        GroupAdd: strList, SecurityOpt: strList, VolumesFrom: strList, Links: strList, Sysctls: strMap, Tmpfs: strMap,
        NetworkMode: str, PidMode: str, IpcMode: str, UTSMode: str, Runtime: str, CgroupParent: str, CpusetCpus: str, CpusetMems: str,
        Privileged: bool, ReadonlyRootfs: bool, AutoRemove: bool, PublishAllPorts: bool, Init: nullable(bool), OomKillDisable: nullable(bool),
        Memory: int, MemorySwap: int, MemoryReservation: int, MemorySwappiness: nullable(int), NanoCpus: int, CpuShares: int,
        CpuPeriod: int, CpuQuota: int, BlkioWeight: int, PidsLimit: nullable(int), ShmSize: int, OomScoreAdj: int,
        ConsoleSize: nullable({ type: 'array', items: { type: 'integer', minimum: 0 }, maxItems: 2 }),
        RestartPolicy: nullable({ type: 'object', properties: { Name: str, MaximumRetryCount: int } }),
        LogConfig: nullable({ type: 'object', properties: { Type: str, Config: strMap } }),
        Ulimits: nullable({ type: 'array', items: { type: 'object', required: ['Name'], properties: { Name: str, Soft: int, Hard: int } } }),
        Devices: nullable({ type: 'array', items: { type: 'object', required: ['PathOnHost'], properties: { PathOnHost: str, PathInContainer: str, CgroupPermissions: str } } }),
        PortBindings: nullable({ type: 'object', additionalProperties: nullable({ type: 'array', items: { type: 'object', properties: { HostIp: str, HostPort: str } } }) }),
      },
    }),
  },
} as const;

const SLICES = ['Cmd', 'Entrypoint', 'Shell'] as const;
const validate = new Ajv({ allErrors: false, strict: false }).compile(schema);

function describe(e: ErrorObject): string {
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'body';
  return `invalid create request: ${field} ${e.message ?? 'is invalid'}`;
}

/** Checks (and normalises string-or-list fields of) a create body in place; 400 when malformed. */
export function checkCreateBody(body: unknown): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('config cannot be empty in order to create a container');
  const b = body as Record<string, unknown>;
  for (const k of SLICES) if (typeof b[k] === 'string') b[k] = [b[k]];
  const hc = b.Healthcheck as Record<string, unknown> | null | undefined;
  if (hc && typeof hc.Test === 'string') hc.Test = [hc.Test];
  if (!validate(b)) throw new InvalidArgumentError(describe(validate.errors![0]!));
}
