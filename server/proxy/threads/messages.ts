/**
 * What the main thread and the proxy's worker threads tell each other.
 *
 * @module
 */
import type { AccessLogFormat } from "../../metrics/mod.ts";
import type { FunkoRouteState } from "../routing_table.ts";
import type { TrafficBatch } from "./traffic_batch.ts";

/** How a worker starts: where to listen, where the main thread is, what to count. */
export interface WorkerStart {
  kind: "start";
  /** 1, 2, ...: its region of the shared counts. */
  worker: number;
  hostname: string;
  port: number;
  /** The main thread's relay listener on 127.0.0.1. */
  relayPort: number;
  token: string;
  counts: SharedArrayBuffer;
  upstreamTimeoutMs?: number;
  /** Count traffic (sent to the main thread in batches). */
  metrics: boolean;
  accessLog?: { destination: string; format: AccessLogFormat };
  /** Every funko's routes now, and their version. */
  routes: FunkoRouteState[];
  version: number;
}

/** What the main thread sends a worker. */
export type ToWorker =
  | WorkerStart
  /** Funkos whose routes changed; the worker notes `version` in the shared counts once applied. */
  | { kind: "routes"; version: number; routes: FunkoRouteState[] }
  /** Send the traffic counted so far now (answered with `traffic` and this id). */
  | { kind: "flush"; id: number }
  /** Stop accepting; finish what is in flight. */
  | { kind: "shutdown" }
  /** Cut what is still open. */
  | { kind: "closeAll" };

/** What a worker sends the main thread. */
export type FromWorker =
  | { kind: "listening" }
  | { kind: "failed"; message: string }
  | { kind: "traffic"; batch: TrafficBatch; id?: number }
  /** An instance refused a connection: probe it. */
  | { kind: "unreachable"; id: string }
  | { kind: "warning"; message: string }
  /** Its listener and connections are closed. */
  | { kind: "finished" };
