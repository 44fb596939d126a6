/**
 * Hook sets on tapable. The owner declares a set once (and only it can call it); other plugins
 * tap it through their plugin-bound view. Each tap is named after the tapping plugin, runs under
 * a timeout, and errors it throws are tagged with that plugin id (tapable itself does neither).
 * Once the engine has started, the registry is frozen: no new sets, no new taps.
 */
import tapable from 'tapable';
import {
  ConflictError,
  EngineError,
  InternalError,
  type HookDecls,
  type HookKind,
  type HookSetCaller,
  type HookSetRef,
  type HooksService,
  type TapFn,
  type TapOptions,
} from '@keel/sdk';

const { AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook } = tapable;

type AnyHook = { tapPromise(opts: { name: string; stage?: number }, fn: (...args: unknown[]) => Promise<unknown>): void; promise(...args: unknown[]): Promise<unknown>; isUsed(): boolean };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ARG_NAMES = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'] as any;

function makeHook(kind: HookKind): AnyHook {
  // tapable compiles call functions from the declared argument names; six covers every hook we declare.
  switch (kind) {
    case 'series': return new AsyncSeriesHook(ARG_NAMES) as unknown as AnyHook;
    case 'seriesBail': return new AsyncSeriesBailHook(ARG_NAMES) as unknown as AnyHook;
    case 'waterfall': return new AsyncSeriesWaterfallHook(ARG_NAMES) as unknown as AnyHook;
    case 'parallel': return new AsyncParallelHook(ARG_NAMES) as unknown as AnyHook;
  }
}

interface SetEntry {
  readonly ref: HookSetRef<HookDecls>;
  owner?: string;
  readonly hooks: Map<string, AnyHook>;
}

/** Error thrown by a tap, tagged with the plugin that tapped. */
export class TapError extends InternalError {
  constructor(readonly pluginId: string, hook: string, cause: unknown) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    super(`hook ${hook} failed in plugin ${pluginId}: ${msg}`, { cause, code: 'ERR_HOOK_TAP' });
  }
}

/** The engine-wide registry; plugins get views from {@link HookRegistry.forPlugin}. */
export class HookRegistry {
  private readonly sets = new Map<string, SetEntry>();
  private frozen = false;

  constructor(private readonly defaultTimeoutMs = 10_000) {}

  /** Stops further declarations and taps (called when the engine has started). */
  freeze(): void {
    this.frozen = true;
  }

  /** A {@link HooksService} bound to `pluginId`. */
  forPlugin(pluginId: string): HooksService {
    return {
      declare: (ref) => this.declare(pluginId, ref),
      tap: (ref, name, fn, options) => this.tap(pluginId, ref, name, fn as TapFn<unknown>, options),
    };
  }

  private entry(ref: HookSetRef<HookDecls>): SetEntry {
    let e = this.sets.get(ref.id);
    if (!e) {
      e = { ref, hooks: new Map(Object.entries(ref.hooks).map(([n, d]) => [n, makeHook(d.kind)])) };
      this.sets.set(ref.id, e);
    }
    return e;
  }

  private assertOpen(pluginId: string, what: string): void {
    if (this.frozen) throw new ConflictError(`plugin ${pluginId} cannot ${what} after the engine started: hooks are frozen`);
  }

  private declare<D extends HookDecls>(pluginId: string, ref: HookSetRef<D>): HookSetCaller<D> {
    this.assertOpen(pluginId, `declare hook set ${ref.id}`);
    const e = this.entry(ref as HookSetRef<HookDecls>);
    if (e.owner) throw new ConflictError(`hook set ${ref.id} is already declared by ${e.owner}`);
    e.owner = pluginId;
    const hook = (name: string) => {
      const h = e.hooks.get(name);
      if (!h) throw new InternalError(`hook set ${ref.id} has no hook "${name}"`);
      return h;
    };
    const caller = {
      call: (name: string, ...args: unknown[]) => hook(name).promise(...args),
      isUsed: (name: string) => hook(name).isUsed(),
    };
    return Object.freeze(caller) as unknown as HookSetCaller<D>;
  }

  private tap(pluginId: string, ref: HookSetRef<HookDecls>, name: string, fn: TapFn<unknown>, options: TapOptions = {}): void {
    this.assertOpen(pluginId, `tap ${ref.id}.${name}`);
    const h = this.entry(ref).hooks.get(name);
    if (!h) throw new InternalError(`hook set ${ref.id} has no hook "${name}" (plugin ${pluginId})`);
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const label = `${ref.id}.${name}`;
    h.tapPromise({ name: pluginId, stage: options.stage }, async (...args: unknown[]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        return await Promise.race([Promise.resolve((fn as (...a: unknown[]) => unknown)(...args)), timeout]);
      } catch (err) {
        // A deliberate veto (an EngineError such as Conflict) keeps its kind; its message names the plugin.
        if (EngineError.is(err) && err.kind !== 'Internal') throw err;
        throw new TapError(pluginId, label, err);
      } finally {
        clearTimeout(timer);
      }
    });
  }
}
