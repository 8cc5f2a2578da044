/**
 * The proxy's worker threads, from the main thread: one proxy thread is
 * busy a whole core at 256 connections while the machine has more
 * (bench/README.md, "256 connections want the second core"), so `faaso
 * serve --threads N` runs N-1 workers listening on the same port. They
 * take `/funko/` requests with a ready instance; the main thread keeps
 * everything else (the engine, the routing table, holds and wakes, drains,
 * sleep, scaling, the admin side), sends the workers every change of the
 * routes, and reads their counts from shared memory.
 *
 * @module
 */
import type { AccessLogFormat, Traffic } from "../../metrics/mod.ts";
import type { Endpoint, RoutingTable } from "../routing_table.ts";
import type { FromWorker, ToWorker } from "./messages.ts";
import { sharedCountsBuffer, ThreadCounts } from "./shared_counts.ts";
import { recordBatch } from "./traffic_batch.ts";

/** How long a barrier waits for a worker that does not answer (a stuck or dead worker does not stop a drain). */
const WORKER_PATIENCE_MS = 1000;

/** Options for {@linkcode ProxyThreads.start}. */
export interface ProxyThreadsOptions {
  /** How many workers, beside the main thread. */
  workers: number;
  hostname: string;
  /** The port the main thread listens on (with `reusePort`). */
  port: number;
  /** The main thread's relay listener on 127.0.0.1, and its token (relay.ts). */
  relayPort: number;
  token: string;
  table: RoutingTable;
  upstreamTimeoutMs?: number;
  /** Where the workers' traffic is counted; none: metrics are off. */
  traffic?: Traffic;
  accessLog?: { destination: string; format: AccessLogFormat };
  /** An instance refused a worker's connection. */
  onUnreachable: (endpoint: Endpoint) => void;
  /** A worker's warning. */
  onWarning: (message: string) => void;
}

/** The running workers. */
export class ProxyThreads {
  /** What every proxy thread counts, as the main thread (thread 0) writes and reads it. */
  readonly counts: ThreadCounts;
  /** Settles once every worker has closed its listener and connections. */
  readonly finished: Promise<void>;
  readonly #options: ProxyThreadsOptions;
  readonly #buffer: SharedArrayBuffer;
  readonly #workers: Worker[] = [];
  readonly #done: Promise<void>[] = [];
  readonly #flushes = new Map<number, () => void>();
  #pending = new Set<string>();
  #scheduled = false;
  #version = 0;
  #nextFlush = 0;
  #stopped = false;

  private constructor(options: ProxyThreadsOptions) {
    this.#options = options;
    this.#buffer = sharedCountsBuffer(options.workers + 1);
    this.counts = new ThreadCounts(this.#buffer, 0);
    for (let i = 0; i < options.workers; i++) this.#spawn(i + 1);
    this.finished = Promise.all(this.#done).then(() => this.#terminate());
  }

  /** Starts the workers; resolves once each listens, fails when one cannot. */
  static async start(options: ProxyThreadsOptions): Promise<ProxyThreads> {
    const threads = new ProxyThreads(options);
    options.table.countInto(threads.counts);
    options.table.attachReplicas({
      changed: (funko) => threads.#changed(funko),
      settled: () => threads.settled(),
    });
    try {
      await Promise.all(threads.#workers.map((worker, i) => threads.#startWorker(worker, i + 1)));
    } catch (error) {
      threads.#terminate();
      throw error;
    }
    return threads;
  }

  /** Requests each worker read from its clients, in order (worker 1 first). */
  requests(): number[] {
    return this.#workers.map((_, i) => this.counts.requestsOf(i + 1));
  }

  /** Settles once every worker applied every change of the routes made so far. */
  async settled(): Promise<void> {
    this.#send();
    const version = this.#version;
    const deadline = Date.now() + WORKER_PATIENCE_MS;
    const behind = () => this.#workers.some((_, i) => this.counts.appliedBy(i + 1) < version);
    while (!this.#stopped && behind() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Settles once every worker has sent the traffic it counted so far. */
  async flush(): Promise<void> {
    if (this.#stopped) return;
    await Promise.all(this.#workers.map((worker) => {
      const id = this.#nextFlush++;
      const { promise, resolve } = Promise.withResolvers<void>();
      const timer = setTimeout(resolve, WORKER_PATIENCE_MS);
      this.#flushes.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      this.#post(worker, { kind: "flush", id });
      return promise.finally(() => this.#flushes.delete(id));
    }));
  }

  /** Stops the workers' listeners; what is in flight finishes (see {@linkcode finished}). */
  shutdown(): void {
    for (const worker of this.#workers) this.#post(worker, { kind: "shutdown" });
  }

  /** Cuts whatever the workers still have open. */
  closeAll(): void {
    for (const worker of this.#workers) this.#post(worker, { kind: "closeAll" });
  }

  #spawn(number: number): void {
    const worker = new Worker(new URL("./proxy_worker.ts", import.meta.url).href, { type: "module" });
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#done.push(promise);
    worker.addEventListener("message", (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.kind === "traffic") {
        if (this.#options.traffic) recordBatch(this.#options.traffic, message.batch);
        if (message.id !== undefined) this.#flushes.get(message.id)?.();
      } else if (message.kind === "unreachable") {
        const endpoint = this.#options.table.get(message.id);
        if (endpoint) {
          this.#options.table.update(endpoint.id, { suspect: true });
          this.#options.onUnreachable(endpoint);
        }
      } else if (message.kind === "warning") this.#options.onWarning(`proxy thread ${number}: ${message.message}`);
      else if (message.kind === "finished") resolve();
    });
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      this.#options.onWarning(`proxy thread ${number} failed: ${event.message}`);
      resolve();
    });
    this.#workers.push(worker);
  }

  #startWorker(worker: Worker, number: number): Promise<void> {
    const options = this.#options;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const answer = (event: MessageEvent<FromWorker>) => {
      if (event.data.kind === "listening") resolve();
      else if (event.data.kind === "failed") reject(new Error(`proxy thread ${number}: ${event.data.message}`));
      else return;
      worker.removeEventListener("message", answer);
    };
    worker.addEventListener("message", answer);
    this.#post(worker, {
      kind: "start",
      worker: number,
      hostname: options.hostname,
      port: options.port,
      relayPort: options.relayPort,
      token: options.token,
      counts: this.#buffer,
      upstreamTimeoutMs: options.upstreamTimeoutMs,
      metrics: options.traffic !== undefined,
      accessLog: options.accessLog,
      routes: options.table.funkos().map((funko) => options.table.routeState(funko)),
      version: this.#version,
    });
    return promise;
  }

  #changed(funko: string): void {
    this.#pending.add(funko);
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Changes made in one go (a listing, a deploy's several instances) go as one message.
    queueMicrotask(() => this.#send());
  }

  #send(): void {
    this.#scheduled = false;
    if (this.#pending.size === 0) return;
    const table = this.#options.table;
    const routes = [...this.#pending].map((funko) => table.routeState(funko));
    this.#pending.clear();
    this.#version++;
    for (const worker of this.#workers) this.#post(worker, { kind: "routes", version: this.#version, routes });
  }

  #post(worker: Worker, message: ToWorker): void {
    if (!this.#stopped) worker.postMessage(message);
  }

  #terminate(): void {
    this.#stopped = true;
    for (const worker of this.#workers) worker.terminate();
    for (const resolve of this.#flushes.values()) resolve();
  }
}
