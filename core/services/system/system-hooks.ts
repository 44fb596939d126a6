/**
 * Hooks of the system service. Services that own objects (containers, images …) tap `info` and
 * `df` to fill in their parts of `GET /info` and `GET /system/df`; the system service knows none
 * of them.
 */
import { createHookSetRef, waterfallHook } from '@keel/sdk';

/** `GET /info`'s body, in Docker's field names (only some are typed here). */
export interface SystemInfoBody extends Record<string, unknown> {
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Warnings: string[];
}

/** `GET /system/df`'s body, in Docker's field names. */
export interface SystemDfBody extends Record<string, unknown> {
  LayersSize: number;
  Images: unknown[];
  Containers: unknown[];
  Volumes: unknown[];
  BuildCache: unknown[];
}

/** The system service's hook set. */
export const systemHooks = createHookSetRef('system.info', {
  /** Waterfall over the `/info` body: add your figures, return the body. */
  info: waterfallHook<SystemInfoBody>(),
  /** Waterfall over the `/system/df` body: images, containers and volumes services fill their parts. */
  df: waterfallHook<SystemDfBody>(),
});
