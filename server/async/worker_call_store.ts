/**
 * The server's call store: {@linkcode SqliteCallStore} in a worker of its own
 * (see `store_worker.ts` for why), behind the same {@linkcode CallStore}
 * interface. The CLI's local mode opens the SQLite store directly.
 *
 * @module
 */
import type {
  CallCounts,
  CallFilter,
  CallStore,
  CallSummary,
  NewCall,
  PhaseEnd,
  StoredCall,
} from "../../core/call_store.ts";
import type { ScheduleRunState } from "../../core/schedule.ts";

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** A call store whose SQLite work runs on a worker thread. */
export class WorkerCallStore implements CallStore {
  #worker: Worker;
  #pending = new Map<number, Pending>();
  #next = 0;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent) => {
      const { id, result, error } = event.data as { id: number; result?: unknown; error?: string };
      const pending = this.#pending.get(id);
      if (!pending) return;
      this.#pending.delete(id);
      if (error !== undefined) pending.reject(new Error(`Call store: ${error}`));
      else pending.resolve(result);
    };
  }

  /** Opens `ROOT/calls.db` in a new worker. */
  static async open(root: string): Promise<WorkerCallStore> {
    const worker = new Worker(new URL("./store_worker.ts", import.meta.url).href, { type: "module" });
    const opened = await new Promise<{ opened: boolean; error?: string }>((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        resolve({ opened: false, error: event.message });
      };
      worker.postMessage({ root });
    });
    if (!opened.opened) {
      worker.terminate();
      throw new Error(`Cannot open the call store in ${root}: ${opened.error}`);
    }
    return new WorkerCallStore(worker);
  }

  add(call: NewCall, now?: number): Promise<CallSummary> {
    return this.#call("add", [call, now]);
  }
  queuedFunkos(): Promise<{ funko: string; due: number }[]> {
    return this.#call("queuedFunkos", []);
  }
  nextCallbackDue(): Promise<number | null> {
    return this.#call("nextCallbackDue", []);
  }
  claim(which: { funko: string } | { callbacks: true }, max: number, now?: number): Promise<StoredCall[]> {
    return this.#call("claim", [which, max, now]);
  }
  retryLater(id: string, attempts: number, due: number, status: number | null, error: string | null): Promise<void> {
    return this.#call("retryLater", [id, attempts, due, status, error]);
  }
  endPhase(id: string, end: PhaseEnd, now?: number): Promise<void> {
    return this.#call("endPhase", [id, end, now]);
  }
  get(id: string): Promise<CallSummary | null> {
    return this.#call("get", [id]);
  }
  list(filter?: CallFilter): Promise<CallSummary[]> {
    return this.#call("list", [filter]);
  }
  retry(id: string, now?: number): Promise<CallSummary | null> {
    return this.#call("retry", [id, now]);
  }
  remove(id: string): Promise<CallSummary | null> {
    return this.#call("remove", [id]);
  }
  requeueRunning(now?: number): Promise<number> {
    return this.#call("requeueRunning", [now]);
  }
  counts(): Promise<Record<string, CallCounts>> {
    return this.#call("counts", []);
  }
  pruneDone(before: number): Promise<number> {
    return this.#call("pruneDone", [before]);
  }
  scheduleStates(funko?: string): Promise<ScheduleRunState[]> {
    return this.#call("scheduleStates", [funko]);
  }
  scheduleStarted(funko: string, entry: string, planned: number, started: number): Promise<void> {
    return this.#call("scheduleStarted", [funko, entry, planned, started]);
  }
  scheduleFinished(funko: string, entry: string, finished: number, result: string, ok: boolean): Promise<void> {
    return this.#call("scheduleFinished", [funko, entry, finished, result, ok]);
  }
  scheduleSkipped(funko: string, entry: string): Promise<void> {
    return this.#call("scheduleSkipped", [funko, entry]);
  }

  /** Closes the database (once every call made before is answered) and ends the worker. */
  close(): void {
    this.#call("close", []).finally(() => this.#worker.terminate());
  }

  #call<T>(method: keyof CallStore, args: unknown[]): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ id, method, args });
    });
  }
}
