/**
 * `faaso logs`: the output of every instance of a funko, merged, each line
 * marked with the instance it came from. Following, instances that start
 * later (a scale-up, a deploy) join the stream.
 *
 * @module
 */
import type { LogLine, LogStreamName } from "../docker/mod.ts";
import { notFound } from "./errors.ts";
import type { Instance } from "./instances.ts";
import type { LifecycleDeps } from "./scale.ts";

/** A line of a funko's output. */
export interface FunkoLogLine {
  /** The instance that wrote it (`faaso-NAME-xxxxxx`; a swarm task's `faaso-NAME.1.ID@NODE`). */
  instance: string;
  /** stdout or stderr. */
  stream: LogStreamName;
  /** The line. */
  text: string;
}

/** Options for {@linkcode funkoLogs}. */
export interface FunkoLogsOptions {
  /** Keep streaming new output, from new instances too. */
  follow?: boolean;
  /** Only the last N lines of each instance there now. */
  tail?: number;
  /** Ends the stream (and every instance's). */
  signal?: AbortSignal;
}

/**
 * Streams the logs of all the funko's instances as they come; lines of one
 * instance keep their order. Without `follow` the stream ends when every
 * instance's output has been read; with it, only when `signal` aborts or the
 * reader cancels. Errors when the funko has no instance.
 */
export async function funkoLogs(
  deps: LifecycleDeps,
  funko: string,
  options: FunkoLogsOptions = {},
): Promise<ReadableStream<FunkoLogLine>> {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  // Following, subscribe before listing: an instance starting in between is not missed.
  const events = options.follow ? (await deps.instances.events(signal)).getReader() : undefined;
  const instances = await deps.instances.list(funko, options.signal);
  if (instances.length === 0) {
    stop.abort();
    await events?.cancel();
    throw notFound(`Cannot show logs of ${funko}: it has no instances (start it with faaso up ${funko})`);
  }
  const attached = new Set<string>();
  const seen = new Set<string>();
  // Aborting a fetch does not always end a read already waiting on its body: readers are cancelled too.
  const readers = new Set<ReadableStreamDefaultReader<unknown>>(events ? [events] : []);
  let open = 0;
  let closed = false;
  let controller!: ReadableStreamDefaultController<FunkoLogLine>;
  const close = () => {
    if (closed) return;
    closed = true;
    stop.abort();
    for (const reader of readers) reader.cancel().catch(() => {});
    try {
      controller.close();
    } catch {
      // Already cancelled by the reader.
    }
  };
  const attach = async (instance: Instance, from: { tail?: number; since?: number }) => {
    if (attached.has(instance.id) || closed) return;
    attached.add(instance.id);
    seen.add(instance.id);
    open++;
    let reader: ReadableStreamDefaultReader<LogLine> | undefined;
    // Where instances run on several machines, each line also says which (as docker service logs does).
    const label = instance.node ? `${instance.name}@${instance.node}` : instance.name;
    try {
      reader = (await deps.instances.logs(instance, { follow: options.follow, ...from, signal })).getReader();
      readers.add(reader);
      while (!closed) {
        const { value: line, done } = await reader.read();
        if (done) break;
        controller.enqueue({ instance: label, ...line });
      }
    } catch {
      // An instance that goes away ends its own part of the stream only.
    } finally {
      if (reader) readers.delete(reader);
      // A restarted instance is followed again from its restart.
      attached.delete(instance.id);
      open--;
      if (open === 0 && !options.follow) close();
    }
  };
  const stream = new ReadableStream<FunkoLogLine>({
    start(c) {
      controller = c;
    },
    cancel: () => close(),
  });
  for (const instance of instances) attach(instance, { tail: options.tail });
  if (events) {
    signal.addEventListener("abort", close, { once: true });
    (async () => {
      while (true) {
        const { value: event, done } = await events.read();
        if (done) return;
        if (event.funko !== funko || event.action !== "start") continue;
        const instance = await deps.instances.get(event.id, signal);
        // A new instance is shown from its first line; one seen before, from its restart.
        if (instance) attach(instance, seen.has(instance.id) ? { since: event.time } : {});
      }
    })().catch(() => {});
  }
  return stream;
}
