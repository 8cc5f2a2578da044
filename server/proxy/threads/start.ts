/**
 * `faaso serve --threads N`: the workers and the main thread's relay
 * listener, started beside the main thread's listener once it is ready.
 *
 * @module
 */
import { FaasoError } from "../../../core/errors.ts";
import type { Progress } from "../../../core/progress.ts";
import { type Http1Handler, Http1Server, jsonAnswer } from "../../../http1/mod.ts";
import type { AccessLogFormat, Metrics } from "../../metrics/mod.ts";
import type { Endpoint, RoutingTable } from "../routing_table.ts";
import { ProxyThreads } from "./proxy_threads.ts";
import { acceptRelayed, relayToken } from "./relay.ts";

/** Options for {@linkcode startThreads}. */
export interface StartThreadsOptions {
  /** Threads in all, the main one included: 1 starts none. */
  count: number;
  hostname: string;
  /** The main thread's listener (its port, bound with `reusePort`, and its request count). */
  server: Http1Server;
  /** The main thread's handler: what the workers relay goes there. */
  handler: Http1Handler;
  table: RoutingTable;
  metrics: Metrics | undefined;
  upstreamTimeoutMs?: number;
  accessLog?: { destination: string; format: AccessLogFormat };
  /** An instance refused a worker's connection: probe it. */
  onUnreachable: (endpoint: Endpoint) => void;
  progress: Progress;
}

/** The proxy's worker threads and the main thread's listener for what they relay to it. */
export interface RunningThreads {
  workers: ProxyThreads;
  /** Settles once the workers and the relay listener have closed. */
  finished: Promise<void>;
  /** Stops both: the relay listener once the workers are done with it. */
  shutdown(): void;
  closeAll(): void;
}

/**
 * Starts `count - 1` workers on the proxy's port, and the relay listener
 * (127.0.0.1, any port) where they hand the main thread what is not theirs.
 */
export async function startThreads(options: StartThreadsOptions): Promise<RunningThreads | undefined> {
  const count = options.count;
  if (count <= 1) return undefined;
  const token = relayToken();
  const relay = Http1Server.listen({
    hostname: "127.0.0.1",
    port: 0,
    onError: (error) => options.progress({ kind: "warning", text: `Unexpected error: ${String(error)}` }),
    handler: (request) =>
      acceptRelayed(request, token)
        ? options.handler(request)
        : jsonAnswer(403, "forbidden", "This port takes requests from FaaSO's own proxy threads only"),
  });
  let workers: ProxyThreads;
  try {
    workers = await ProxyThreads.start({
      workers: count - 1,
      hostname: options.hostname,
      port: options.server.addr.port,
      relayPort: relay.addr.port,
      token,
      table: options.table,
      upstreamTimeoutMs: options.upstreamTimeoutMs,
      traffic: options.metrics?.traffic,
      accessLog: options.accessLog,
      onUnreachable: options.onUnreachable,
      onWarning: (text) => options.progress({ kind: "warning", text }),
    });
  } catch (error) {
    relay.closeAll();
    throw new FaasoError(`Cannot start the proxy threads: ${(error as Error).message}`, { cause: error });
  }
  options.metrics?.catchUpWith(() => workers.flush());
  options.metrics?.addSource((text) => {
    text.family("faaso_proxy_thread_requests_total", "counter", "Requests read by each proxy thread's listener");
    text.sample("faaso_proxy_thread_requests_total", [["thread", "0"]], options.server.requests);
    workers.requests().forEach((requests, i) => {
      text.sample("faaso_proxy_thread_requests_total", [["thread", String(i + 1)]], requests);
    });
  });
  return {
    workers,
    finished: workers.finished.then(() => {
      relay.shutdown();
      return relay.finished;
    }),
    shutdown: () => workers.shutdown(),
    closeAll: () => {
      workers.closeAll();
      relay.closeAll();
    },
  };
}
