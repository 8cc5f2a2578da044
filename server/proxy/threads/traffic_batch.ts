/**
 * A worker thread's traffic counts on their way to the main thread's
 * {@linkcode Traffic}: gathered per funko, status and method, sent every few
 * milliseconds (and when the main thread asks, before it reads its counts),
 * and recorded there as if the main thread had answered the requests.
 *
 * @module
 */
import type { UpstreamErrorKind } from "../../../http1/mod.ts";
import type { Traffic, TrafficSink } from "../../metrics/mod.ts";

/** What a worker counted since its last batch. */
export interface TrafficBatch {
  /** Answers: funko, status, method, and each one's duration in seconds. */
  answers: [string, number, string, number[]][];
  /** Upstream failures: funko, kind, how many. */
  upstreamErrors: [string, UpstreamErrorKind, number][];
  /** Requests for names that are no funko. */
  unknownRequests: number;
}

/** A worker thread's sink: counts into batches. */
export class BatchingSink implements TrafficSink {
  unknownRequests = 0;
  #answers = new Map<string, [string, number, string, number[]]>();
  #errors = new Map<string, [string, UpstreamErrorKind, number]>();

  record(funko: string, status: number, method: string, seconds: number): void {
    const key = `${status} ${method} ${funko}`;
    const entry = this.#answers.get(key);
    if (entry) entry[3].push(seconds);
    else this.#answers.set(key, [funko, status, method, [seconds]]);
  }

  recordUpstreamError(funko: string, kind: UpstreamErrorKind): void {
    const key = `${kind} ${funko}`;
    const entry = this.#errors.get(key);
    if (entry) entry[2]++;
    else this.#errors.set(key, [funko, kind, 1]);
  }

  /** Requests waiting for an instance are the main thread's: a worker sends those requests there. */
  waiting(): void {}

  /** Whether anything was counted since the last batch. */
  get empty(): boolean {
    return this.#answers.size === 0 && this.#errors.size === 0 && this.unknownRequests === 0;
  }

  /** What was counted since the last batch, and starts a new one. */
  take(): TrafficBatch {
    const batch = {
      answers: [...this.#answers.values()],
      upstreamErrors: [...this.#errors.values()],
      unknownRequests: this.unknownRequests,
    };
    this.#answers.clear();
    this.#errors.clear();
    this.unknownRequests = 0;
    return batch;
  }
}

/** Records a worker's batch into the main thread's counts. */
export function recordBatch(traffic: Traffic, batch: TrafficBatch): void {
  for (const [funko, status, method, durations] of batch.answers) {
    for (const seconds of durations) traffic.record(funko, status, method, seconds);
  }
  for (const [funko, kind, count] of batch.upstreamErrors) {
    for (let i = 0; i < count; i++) traffic.recordUpstreamError(funko, kind);
  }
  traffic.unknownRequests += batch.unknownRequests;
}
