/**
 * Hooks of the system service. Services that own objects (containers, images …) tap `info` to
 * fill in their counts and details of `GET /info`; the system service knows none of them.
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

/** The system service's hook set. */
export const systemHooks = createHookSetRef('system.info', {
  /** Waterfall over the `/info` body: add your figures, return the body. */
  info: waterfallHook<SystemInfoBody>(),
});
