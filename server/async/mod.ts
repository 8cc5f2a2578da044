/**
 * Invocations that outlive a request: async calls (`/async/funko/NAME/...`,
 * stored, delivered with retries, callbacks) and scheduled runs, both kept in
 * the data folder's call store and both delivered through the proxy's own
 * `/funko/` handler.
 *
 * @module
 */
import type { Docker } from "../../docker/mod.ts";
import type { CallStore } from "../../core/call_store.ts";
import type { ServerRequest, ServerResponse } from "../../http1/mod.ts";
import { Scheduler } from "../schedule/scheduler.ts";
import { acceptCall } from "./accept.ts";
import type { FunkoHandler } from "./delivery.ts";
import { AsyncDispatcher } from "./dispatcher.ts";
import { ImageSettings } from "./funko_settings.ts";

export { isAsyncTarget } from "./accept.ts";
export { KEEP_DONE_MS } from "./dispatcher.ts";

/** Options for {@linkcode startInvocations}. */
export interface InvocationsOptions {
  docker: Docker;
  /** The store, opened; closed by `stop()`. */
  store: CallStore;
  /** The proxy's `/funko/` handler. */
  handler: FunkoHandler;
  log: (message: string) => void;
}

/** Async calls and schedules, running. */
export interface Invocations {
  /** The call store (for the admin API and the UI). */
  store: CallStore;
  /** Answers a request under `/async/funko/`. */
  accept(request: ServerRequest): Promise<ServerResponse>;
  /** Tells the delivery loop that calls changed (added, retried). */
  wake(): void;
  /** Stops delivering and scheduling, and closes the store. */
  stop(): Promise<void>;
}

/** Starts delivering queued calls (those a previous run left too) and running schedules. */
export async function startInvocations(options: InvocationsOptions): Promise<Invocations> {
  const { store, handler, log } = options;
  const settings = new ImageSettings(options.docker);
  const dispatcher = new AsyncDispatcher({ store, handler, settings, log });
  const scheduler = new Scheduler({ store, handler, settings, log });
  await dispatcher.start();
  await scheduler.start();
  let stopped: Promise<void> | undefined;
  return {
    store,
    accept: (request) => acceptCall(request, { store, settings, onAccepted: () => dispatcher.wake() }),
    wake: () => dispatcher.wake(),
    stop: () => stopped ??= Promise.all([dispatcher.stop(), scheduler.stop()]).then(() => store.close()),
  };
}
