/**
 * The web UI's live views over server-sent events: a funko's logs (every
 * instance, following, the instance on each line) and a job's progress.
 *
 * @module
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { funkoLogs } from "../../../core/logs.ts";
import type { LifecycleDeps } from "../../../core/scale.ts";
import { describeError } from "../errors.ts";
import type { JobEvent, Jobs } from "./jobs.ts";

/** Streams a funko's logs as `line` events (JSON: instance, stream, text) until the page goes away. */
export function followLogs(
  c: Context,
  deps: LifecycleDeps,
  funko: string,
  tail: number,
  stopping: AbortSignal,
): Response {
  return streamSSE(c, async (stream) => {
    const abort = new AbortController();
    stream.onAbort(() => abort.abort());
    stopping.addEventListener("abort", () => abort.abort(), { once: true });
    try {
      const lines = await funkoLogs(deps, funko, { follow: true, tail, signal: abort.signal });
      for await (const line of lines) await stream.writeSSE({ event: "line", data: JSON.stringify(line) });
    } catch (error) {
      if (!abort.signal.aborted) await stream.writeSSE({ event: "end", data: describeError(error).message });
    }
  });
}

/** Streams a job's events as `progress` and `done` events, the past ones first. */
export function followJob(c: Context, jobs: Jobs, id: string, stopping: AbortSignal): Response {
  return streamSSE(c, async (stream) => {
    const { promise: finished, resolve } = Promise.withResolvers<void>();
    const send = (event: JobEvent) => {
      if (event.kind === "progress") stream.writeSSE({ event: "progress", data: JSON.stringify(event.event) });
      else stream.writeSSE({ event: "done", data: JSON.stringify(event.outcome) }).then(resolve);
    };
    const unsubscribe = jobs.follow(id, send);
    if (!unsubscribe) {
      await stream.writeSSE({
        event: "done",
        data: JSON.stringify({ ok: false, message: "No such job (it ended long ago?)" }),
      });
      return;
    }
    stream.onAbort(() => resolve());
    stopping.addEventListener("abort", () => resolve(), { once: true });
    await finished;
    unsubscribe();
  });
}
