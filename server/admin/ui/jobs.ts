/**
 * Long operations started from the web UI (deploys): they run in the
 * background while the page follows their progress over server-sent events.
 * A job's events are kept, so a page that connects late sees them all.
 *
 * @module
 */
import type { Progress, ProgressEvent } from "../../../core/progress.ts";

/** How a job ended. */
export interface JobOutcome {
  ok: boolean;
  message: string;
  details?: string[];
}

/** Something a job's page is told. */
export type JobEvent = { kind: "progress"; event: ProgressEvent } | { kind: "done"; outcome: JobOutcome };

interface Job {
  events: JobEvent[];
  listeners: Set<(event: JobEvent) => void>;
}

/** Jobs kept for this long after they end. */
const KEEP_MS = 10 * 60 * 1000;

/** The jobs of one server. */
export class Jobs {
  #jobs = new Map<string, Job>();

  /** Starts `work` in the background; returns the job's ID. */
  start(work: (progress: Progress) => Promise<JobOutcome>): string {
    const id = crypto.randomUUID();
    const job: Job = { events: [], listeners: new Set() };
    this.#jobs.set(id, job);
    const emit = (event: JobEvent) => {
      job.events.push(event);
      for (const listener of job.listeners) listener(event);
    };
    work((event) => emit({ kind: "progress", event }))
      .catch((error: Error): JobOutcome => ({ ok: false, message: error.message }))
      .then((outcome) => {
        emit({ kind: "done", outcome });
        setTimeout(() => this.#jobs.delete(id), KEEP_MS);
      });
    return id;
  }

  /**
   * Replays a job's events so far, then calls `listener` with new ones until
   * the returned function unsubscribes. Undefined for an unknown job.
   */
  follow(id: string, listener: (event: JobEvent) => void): (() => void) | undefined {
    const job = this.#jobs.get(id);
    if (!job) return undefined;
    for (const event of job.events) listener(event);
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }
}
