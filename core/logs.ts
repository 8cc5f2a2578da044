/**
 * `faaso logs`: the output of every instance of a funko, merged, each line
 * marked with the instance it came from.
 *
 * @module
 */
import type { LogStreamName } from "../docker/mod.ts";
import { notFound } from "./errors.ts";
import type { LifecycleDeps } from "./scale.ts";

/** A line of a funko's output. */
export interface FunkoLogLine {
  /** The instance that wrote it (`faaso-NAME-xxxxxx`). */
  instance: string;
  /** stdout or stderr. */
  stream: LogStreamName;
  /** The line. */
  text: string;
}

/** Options for {@linkcode funkoLogs}. */
export interface FunkoLogsOptions {
  /** Keep streaming new output. */
  follow?: boolean;
  /** Only the last N lines of each instance. */
  tail?: number;
  /** Ends the stream (and every instance's). */
  signal?: AbortSignal;
}

/**
 * Streams the logs of all the funko's instances as they come; lines of one
 * instance keep their order. Errors when the funko has no instance.
 */
export async function funkoLogs(
  deps: LifecycleDeps,
  funko: string,
  options: FunkoLogsOptions = {},
): Promise<ReadableStream<FunkoLogLine>> {
  const instances = await deps.instances.list(funko, options.signal);
  if (instances.length === 0) {
    throw notFound(`Cannot show logs of ${funko}: it has no instances (start it with faaso up ${funko})`);
  }
  const sources = await Promise.all(instances.map(async (instance) => ({
    instance: instance.name,
    lines: await deps.instances.logs(instance, options),
  })));
  let open = sources.length;
  return new ReadableStream<FunkoLogLine>({
    start(controller) {
      for (const source of sources) {
        source.lines.pipeTo(
          new WritableStream({
            write: (line) => controller.enqueue({ instance: source.instance, ...line }),
          }),
        ).catch(() => {
          // An instance that goes away ends its own part of the stream only.
        }).finally(() => {
          if (--open === 0) {
            try {
              controller.close();
            } catch {
              // Already cancelled by the reader.
            }
          }
        });
      }
    },
    cancel(reason) {
      for (const source of sources) source.lines.cancel(reason).catch(() => {});
    },
  });
}
