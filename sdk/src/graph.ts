/**
 * Ordering of plugins by what they depend on and what they provide. Shared by the kernel and by
 * the testkit so both boot plugins in the same order.
 * @packageDocumentation
 */
import { InvalidArgumentError } from './errors.js';
import type { AnyPlugin, DepsMap } from './plugin.js';

/** The providers of each ref id among `plugins`. */
export function providersByRef(plugins: readonly AnyPlugin[]): Map<string, AnyPlugin[]> {
  const map = new Map<string, AnyPlugin[]>();
  for (const p of plugins) {
    if (!p.provides) continue;
    const list = map.get(p.provides.id) ?? [];
    list.push(p);
    map.set(p.provides.id, list);
  }
  return map;
}

/**
 * Orders plugins so each comes after every provider of the refs it depends on; ties keep the
 * given order. A cycle throws InvalidArgument (`ERR_PLUGIN_CYCLE`) whose message prints it,
 * e.g. `a → b → a`. Refs nobody in `plugins` provides are ignored here (the kernel provides
 * core services; missing providers are the caller's to report).
 */
export function orderPlugins(plugins: readonly AnyPlugin[]): AnyPlugin[] {
  const providers = providersByRef(plugins);
  const edges = new Map<AnyPlugin, AnyPlugin[]>();
  for (const p of plugins) {
    const before = Object.values(p.deps as DepsMap).flatMap((ref) => providers.get(ref.id) ?? []).filter((q) => q !== p);
    edges.set(p, [...new Set(before)]);
  }
  const state = new Map<AnyPlugin, 'visiting' | 'done'>();
  const out: AnyPlugin[] = [];
  const stack: AnyPlugin[] = [];
  const visit = (p: AnyPlugin): void => {
    const s = state.get(p);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(p)), p].map((q) => q.id);
      throw new InvalidArgumentError(`plugin dependency cycle: ${cycle.join(' → ')}`, { code: 'ERR_PLUGIN_CYCLE' });
    }
    state.set(p, 'visiting');
    stack.push(p);
    for (const dep of edges.get(p) ?? []) visit(dep);
    stack.pop();
    state.set(p, 'done');
    out.push(p);
  };
  for (const p of plugins) visit(p);
  return out;
}
