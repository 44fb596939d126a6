/**
 * The OCI runtime contract (runc, crun …).
 * @packageDocumentation
 */
import type { CallOptions, DriverBase } from './common.js';

/** Optional abilities of an OCI runtime. */
export interface RuntimeCapabilities {
  /** cgroup versions it supports here. */
  readonly cgroupVersions: ReadonlyArray<1 | 2>;
  /** Supports `pause`/`resume`. */
  readonly pause: boolean;
  /** Supports `update` of resources on a running container. */
  readonly update: boolean;
}

/** State of a container as the runtime reports it (`runc state`). */
export interface RuntimeState {
  readonly id: string;
  readonly status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  readonly pid: number;
  readonly bundle: string;
}

/** Arguments of `create`. */
export interface RuntimeCreateRequest {
  readonly id: string;
  /** Directory holding `config.json`. */
  readonly bundle: string;
  readonly pidFile?: string;
  readonly consoleSocket?: string;
}

/** Arguments of `exec`. */
export interface RuntimeExecRequest {
  readonly id: string;
  /** The OCI process spec, as JSON data. */
  readonly process: Readonly<Record<string, unknown>>;
  readonly pidFile?: string;
  readonly consoleSocket?: string;
  readonly detach: boolean;
}

/** A runtime event (`oom`, `exit` …). */
export interface RuntimeEvent {
  readonly type: string;
  readonly id: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** An OCI runtime. */
export interface OciRuntime extends DriverBase<RuntimeCapabilities> {
  /** Path of the runtime binary (used by the container monitor). */
  readonly path: string;
  /** Global arguments the monitor passes before each subcommand (`--root <dir>`). */
  readonly globalArgs?: readonly string[];
  create(request: RuntimeCreateRequest, call?: CallOptions): Promise<void>;
  start(id: string, call?: CallOptions): Promise<void>;
  kill(id: string, signal: string, call?: CallOptions & { readonly all?: boolean }): Promise<void>;
  delete(id: string, call?: CallOptions & { readonly force?: boolean }): Promise<void>;
  state(id: string, call?: CallOptions): Promise<RuntimeState | undefined>;
  exec(request: RuntimeExecRequest, call?: CallOptions): Promise<void>;
  pause(id: string, call?: CallOptions): Promise<void>;
  resume(id: string, call?: CallOptions): Promise<void>;
  update(id: string, resources: Readonly<Record<string, unknown>>, call?: CallOptions): Promise<void>;
  events(id: string, call?: CallOptions): AsyncIterable<RuntimeEvent>;
}
