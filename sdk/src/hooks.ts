/**
 * Hook sets: in-process participation in a decision, declared and frozen by their owner. A hook
 * set is a ref listing named hooks and their kind; the owner calls them, other plugins tap them.
 * The kernel fills in tap names (plugin ids), runs each tap under a timeout and tags its errors
 * with the plugin id. Rule: to change the outcome, tap a hook; to know, subscribe to an event.
 * @packageDocumentation
 */

/**
 * How a hook combines its taps (tapable's async hooks):
 * `series` runs every tap in order; `seriesBail` stops at the first tap that returns a value
 * (a veto); `waterfall` passes each tap's result to the next; `parallel` runs taps concurrently.
 */
export type HookKind = 'series' | 'seriesBail' | 'waterfall' | 'parallel';

/** A declared hook: its kind and, as phantom types, its arguments and result. */
export interface HookDecl<TArgs extends unknown[] = unknown[], TResult = unknown> {
  /** How taps are combined. */
  readonly kind: HookKind;
  /** Phantom: the tap's argument types. */
  readonly args?: TArgs;
  /** Phantom: the tap's result type. */
  readonly result?: TResult;
}

/** A map of hook names to declarations. */
export type HookDecls = Readonly<Record<string, HookDecl<unknown[], unknown>>>;

/** A reference to a hook set, created by its owner and exported for tappers. */
export interface HookSetRef<D extends HookDecls> {
  /** Unique id, e.g. `containers.lifecycle`. */
  readonly id: string;
  /** The hooks of the set. */
  readonly hooks: D;
}

/** Declares a hook where every tap runs in order. */
export function seriesHook<TArgs extends unknown[]>(): HookDecl<TArgs, void> {
  return { kind: 'series' };
}
/** Declares a hook where the first tap returning a value (not undefined) wins: a veto or an answer. */
export function seriesBailHook<TArgs extends unknown[], TResult>(): HookDecl<TArgs, TResult | undefined> {
  return { kind: 'seriesBail' };
}
/** Declares a hook whose taps transform a value in turn (e.g. the OCI spec). */
export function waterfallHook<T, TRest extends unknown[] = []>(): HookDecl<[T, ...TRest], T> {
  return { kind: 'waterfall' };
}
/** Declares a hook whose taps run concurrently. */
export function parallelHook<TArgs extends unknown[]>(): HookDecl<TArgs, void> {
  return { kind: 'parallel' };
}

/** Creates a hook set ref. */
export function createHookSetRef<D extends HookDecls>(id: string, hooks: D): HookSetRef<D> {
  return Object.freeze({ id, hooks: Object.freeze({ ...hooks }) });
}

/** Argument types of a declared hook. */
export type HookArgs<H> = H extends HookDecl<infer A, unknown> ? A : never;
/** Result type of a declared hook. */
export type HookResult<H> = H extends HookDecl<unknown[], infer R> ? R : never;

/** A tap function for hook `H`: waterfall taps return the (possibly new) value. */
export type TapFn<H> = (...args: HookArgs<H>) => HookResult<H> | Promise<HookResult<H>> | void | Promise<void>;

/** Options of a tap. */
export interface TapOptions {
  /** Lower stages run first (tapable's `stage`); default 0. */
  readonly stage?: number;
  /** Per-call timeout in ms for this tap (default: the kernel's, 10 s). */
  readonly timeoutMs?: number;
}

/** The owner's handle on its declared hook set: only the owner calls hooks. */
export interface HookSetCaller<D extends HookDecls> {
  /** Calls hook `name` with `args`; resolves to the combined result. */
  call<K extends keyof D & string>(name: K, ...args: HookArgs<D[K]>): Promise<HookResult<D[K]>>;
  /** True when hook `name` has at least one tap (lets owners skip work). */
  isUsed(name: keyof D & string): boolean;
}

/** `coreServices.hooks`: declare (owner) and tap (others). Frozen once the engine has started. */
export interface HooksService {
  /** Declares the hook set and returns the caller; a set can be declared once, by its owner. */
  declare<D extends HookDecls>(ref: HookSetRef<D>): HookSetCaller<D>;
  /** Taps hook `name` of a set; the tap's name is the calling plugin's id. */
  tap<D extends HookDecls, K extends keyof D & string>(ref: HookSetRef<D>, name: K, fn: TapFn<D[K]>, options?: TapOptions): void;
}
