/**
 * A {@link HooksService} without tapable, with the same combination rules (series, bail,
 * waterfall, parallel) and stage ordering, for plugin tests.
 */
import type { HookDecls, HookSetCaller, HookSetRef, HooksService, TapFn, TapOptions } from '../hooks.js';

interface Tap {
  readonly pluginId: string;
  readonly stage: number;
  readonly fn: (...args: unknown[]) => unknown;
}

/** Hook sets shared by every plugin of a test engine. */
export class FakeHooks {
  private readonly taps = new Map<string, Tap[]>();
  private readonly owners = new Map<string, string>();

  /** The view a plugin gets. */
  forPlugin(pluginId: string): HooksService {
    return {
      declare: <D extends HookDecls>(ref: HookSetRef<D>) => this.declare(pluginId, ref),
      tap: (ref, name, fn, options) => this.tap(pluginId, ref.id, name, fn as TapFn<unknown>, options),
    };
  }

  /** Calls a hook as its owner would (for tests of tapping plugins). */
  call<D extends HookDecls>(ref: HookSetRef<D>, name: keyof D & string, ...args: unknown[]): Promise<unknown> {
    const kind = ref.hooks[name]?.kind;
    if (!kind) throw new Error(`hook set ${ref.id} has no hook "${name}"`);
    const taps = [...(this.taps.get(`${ref.id}.${name}`) ?? [])].sort((a, b) => a.stage - b.stage);
    return run(kind, taps, args);
  }

  private declare<D extends HookDecls>(pluginId: string, ref: HookSetRef<D>): HookSetCaller<D> {
    const owner = this.owners.get(ref.id);
    if (owner) throw new Error(`hook set ${ref.id} is already declared by ${owner}`);
    this.owners.set(ref.id, pluginId);
    return {
      call: (name, ...args) => this.call(ref, name, ...args) as never,
      isUsed: (name) => (this.taps.get(`${ref.id}.${name}`)?.length ?? 0) > 0,
    };
  }

  private tap(pluginId: string, setId: string, name: string, fn: TapFn<unknown>, options: TapOptions = {}): void {
    const key = `${setId}.${name}`;
    const list = this.taps.get(key) ?? [];
    list.push({ pluginId, stage: options.stage ?? 0, fn: fn as (...args: unknown[]) => unknown });
    this.taps.set(key, list);
  }
}

async function run(kind: string, taps: Tap[], args: unknown[]): Promise<unknown> {
  switch (kind) {
    case 'parallel':
      await Promise.all(taps.map((t) => t.fn(...args)));
      return undefined;
    case 'seriesBail':
      for (const t of taps) {
        const r = await t.fn(...args);
        if (r !== undefined) return r;
      }
      return undefined;
    case 'waterfall': {
      let value = args[0];
      for (const t of taps) {
        const r = await t.fn(value, ...args.slice(1));
        if (r !== undefined) value = r;
      }
      return value;
    }
    default:
      for (const t of taps) await t.fn(...args);
      return undefined;
  }
}
