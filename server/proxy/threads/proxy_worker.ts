/**
 * A proxy worker thread: listens on the proxy's port beside the main thread
 * (`SO_REUSEPORT`: the kernel spreads connections), forwards `/funko/`
 * requests to ready instances from its copy of the routing table, and relays
 * everything else to the main thread (relay.ts). Its counts reach the main
 * thread through shared memory (shared_counts.ts) and traffic batches.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { Http1Pool, Http1Server, type ServerRequest } from "../../../http1/mod.ts";
import { AccessLog, TrafficRecorder } from "../../metrics/mod.ts";
import { createProxy, isFunkoTarget, type ProxyHandler } from "../forward.ts";
import { RoutingTable } from "../routing_table.ts";
import type { FromWorker, ToWorker, WorkerStart } from "./messages.ts";
import { relayToMain } from "./relay.ts";
import { ThreadCounts } from "./shared_counts.ts";
import { BatchingSink } from "./traffic_batch.ts";

/** How often counted traffic goes to the main thread, and the connection counts are noted. */
const TRAFFIC_MS = 20;
const CONNECTIONS_MS = 500;

const table = new RoutingTable();
let server: Http1Server | undefined;
let proxy: ProxyHandler | undefined;
let counts: ThreadCounts | undefined;
let log: AccessLog | undefined;
const sink = new BatchingSink();
const relayPool = new Http1Pool();
const timers: ReturnType<typeof setInterval>[] = [];

const post = (message: FromWorker) => self.postMessage(message);

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.kind) {
    case "start":
      try {
        await start(message);
        post({ kind: "listening" });
      } catch (error) {
        post({ kind: "failed", message: (error as Error).message });
      }
      break;
    case "routes":
      for (const routes of message.routes) table.applyRoutes(routes);
      counts?.applied(message.version);
      break;
    case "flush":
      post({ kind: "traffic", batch: sink.take(), id: message.id });
      break;
    case "shutdown":
      server?.shutdown();
      break;
    case "closeAll":
      proxy?.close();
      relayPool.close();
      server?.closeAll();
      break;
  }
};

async function start(options: WorkerStart): Promise<void> {
  counts = new ThreadCounts(options.counts, options.worker);
  table.countInto(counts);
  for (const routes of options.routes) table.applyRoutes(routes);
  counts.applied(options.version);
  log = options.accessLog
    ? await AccessLog.open({
      ...options.accessLog,
      onError: (error) => post({ kind: "warning", message: `Cannot write the access log: ${error}` }),
    })
    : undefined;
  const relay = relayToMain(relayPool, options.relayPort, options.token);
  const handler = createProxy({
    table,
    funkoExists: () => Promise.resolve(false),
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    observer: options.metrics || log ? new TrafficRecorder(options.metrics ? sink : undefined, log) : undefined,
    onUnreachable: (endpoint) => post({ kind: "unreachable", id: endpoint.id }),
    elsewhere: relay,
  });
  proxy = handler;
  const workerCounts = counts;
  server = Http1Server.listen({
    hostname: options.hostname,
    port: options.port,
    reusePort: true,
    onError: (error) => post({ kind: "warning", message: `Unexpected error: ${String(error)}` }),
    handler: (request: ServerRequest) => {
      workerCounts.request();
      return isFunkoTarget(request.target) ? handler(request) : relay(request);
    },
  });
  const listening = server;
  timers.push(setInterval(() => {
    if (!sink.empty) post({ kind: "traffic", batch: sink.take() });
  }, TRAFFIC_MS));
  timers.push(setInterval(() => {
    workerCounts.connections(listening.openConnections, handler.openConnections() + relayPool.openConnections);
  }, CONNECTIONS_MS));
  listening.finished.then(async () => {
    for (const timer of timers) clearInterval(timer);
    handler.close();
    relayPool.close();
    workerCounts.connections(0, 0);
    if (!sink.empty) post({ kind: "traffic", batch: sink.take() });
    await log?.close();
    post({ kind: "finished" });
  });
}
