/**
 * The only place tsyringe is used. Everything is registered with factories or values under string
 * tokens (ref ids): esbuild and tsx emit no decorator metadata, so nothing here relies on it.
 */
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';

/** A DI scope: the engine's root scope, or a plugin's child scope. */
export class DiScope {
  private constructor(private readonly c: DependencyContainer) {}

  /** A fresh root scope (not tsyringe's global container, so engines in one process never mix). */
  static createRoot(): DiScope {
    return new DiScope(rootContainer.createChildContainer());
  }

  /** A child scope: sees the parent's registrations, its own shadow them. */
  child(): DiScope {
    return new DiScope(this.c.createChildContainer());
  }

  /** Registers a ready value under `token`. */
  provideValue<T>(token: string, value: T): void {
    this.c.register<T>(token, { useValue: value });
  }

  /** Registers a factory called on each resolve of `token` in this scope. */
  provideFactory<T>(token: string, factory: () => T): void {
    this.c.register<T>(token, { useFactory: () => factory() });
  }

  /** True when `token` is registered here or in a parent scope. */
  has(token: string): boolean {
    return this.c.isRegistered(token, true);
  }

  /** The value for `token`; throws when nothing is registered. */
  resolve<T>(token: string): T {
    return this.c.resolve<T>(token);
  }
}
