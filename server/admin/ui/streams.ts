/**
 * The web UI's live views over server-sent events: a funko's logs (every
 * instance, following, the instance on each line) and a job's progress.
 *
 * @module
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { AnsiUp } from "ansi_up";
import { funkoLogs } from "../../../core/logs.ts";
import type { LifecycleDeps } from "../../../core/scale.ts";
import { describeError } from "../errors.ts";
import type { JobEvent, Jobs } from "./jobs.ts";

/**
 * Streams a funko's logs as `line` events until the page goes away. JSON:
 * instance, stream, text (as written, escape codes and all) and html (the
 * text escaped for HTML, its colour codes turned into styled spans by
 * ansi_up, one converter per instance so that a colour runs on across lines).
 */
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
      const converters = new Map<string, AnsiUp>();
      for await (const line of lines) {
        let converter = converters.get(line.instance);
        if (!converter) converters.set(line.instance, converter = new AnsiUp());
        const html = converter.ansi_to_html(line.text);
        await stream.writeSSE({ event: "line", data: JSON.stringify({ ...line, html }) });
      }
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
