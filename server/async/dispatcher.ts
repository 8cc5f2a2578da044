/**
 * Delivers queued async calls: per funko at most `async.concurrency` at once,
 * oldest due first, through the proxy's handler; failed attempts (no
 * connection, 408, 429, 500, 502, 503, 504) come back after a backoff until
 * `async.attempts` are spent, then the call is kept as failed. Then the
 * callback, if the call has one, with retries of its own.
 *
 * At least once: a call is marked done only after the funko answered, so a
 * proxy that dies mid-delivery delivers it again after its restart.
 *
 * @module
 */
import { type AsyncSettings, DEFAULT_ASYNC_SETTINGS, sizeBytes } from "../../core/async_settings.ts";
import type { CallStore, StoredCall } from "../../core/call_store.ts";
import { backoffMs, RETRYABLE_STATUSES, retryAfterMs } from "./backoff.ts";
import { type FunkoHandler, invoke, postCallback } from "./delivery.ts";
import type { ImageSettings } from "./funko_settings.ts";

/** Callbacks made at once, over all funkos. */
const CALLBACK_CONCURRENCY = 8;
/** How long a callback may take to answer. */
const CALLBACK_TIMEOUT_MS = 30_000;
/** How long done calls are kept for `faaso calls`. */
export const KEEP_DONE_MS = 60 * 60 * 1000;
/**
 * The longest the loop sleeps: it then looks at the store again, which is
 * how it sees calls retried from another process (the CLI's local mode).
 */
const IDLE_CHECK_MS = 2000;

/** Options for {@linkcode AsyncDispatcher}. */
export interface DispatcherOptions {
  store: CallStore;
  /** The proxy's `/funko/` handler. */
  handler: FunkoHandler;
  settings: ImageSettings;
  /** Where to say what went wrong. */
  log: (message: string) => void;
}

/** The delivery loop. `wake()` it when a call is added. */
export class AsyncDispatcher {
  #options: DispatcherOptions;
  #running = new Map<string, number>();
  #callbacks = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pumping = false;
  #again = false;
  #stopping = new AbortController();
  #inFlight = new Set<Promise<void>>();
  #lastPrune = 0;

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  /** Puts calls a previous proxy left running back in the queue and starts delivering. */
  async start(): Promise<void> {
    const requeued = await this.#options.store.requeueRunning();
    if (requeued) {
      this.#options.log(`Async: ${requeued} call(s) were being delivered when the proxy stopped: queued again`);
    }
    this.wake();
  }

  /** Looks for due calls now. */
  wake(): void {
    if (this.#stopping.signal.aborted) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    this.#pump().catch((error) => this.#options.log(`Async: cannot read the call store: ${String(error)}`))
      .finally(() => {
        this.#pumping = false;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Stops delivering; calls in flight are cut and stay queued for the next start. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    clearTimeout(this.#timer);
    await Promise.allSettled([...this.#inFlight]);
  }

  async #pump(): Promise<void> {
    const { store } = this.#options;
    const now = Date.now();
    let wakeAt = now + IDLE_CHECK_MS;
    for (const { funko, due } of await store.queuedFunkos()) {
      const settings = await this.#settings(funko);
      const free = settings.concurrency - (this.#running.get(funko) ?? 0);
      if (free <= 0) continue; // a delivery ending wakes the loop
      if (due > now) {
        wakeAt = Math.min(wakeAt, due);
        continue;
      }
      for (const call of await store.claim({ funko }, free, now)) this.#track(this.#deliver(call, settings));
    }
    const callbackDue = await store.nextCallbackDue();
    if (callbackDue !== null && this.#callbacks < CALLBACK_CONCURRENCY) {
      if (callbackDue <= now) {
        for (const call of await store.claim({ callbacks: true }, CALLBACK_CONCURRENCY - this.#callbacks, now)) {
          this.#track(this.#callback(call));
        }
      } else wakeAt = Math.min(wakeAt, callbackDue);
    }
    if (now - this.#lastPrune > 60_000) {
      this.#lastPrune = now;
      await store.pruneDone(now - KEEP_DONE_MS);
    }
    clearTimeout(this.#timer);
    if (!this.#stopping.signal.aborted) this.#timer = setTimeout(() => this.wake(), Math.max(0, wakeAt - Date.now()));
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    work.finally(() => {
      this.#inFlight.delete(work);
      this.wake();
    });
  }

  async #settings(funko: string): Promise<AsyncSettings> {
    try {
      return (await this.#options.settings.of(funko))?.async ?? DEFAULT_ASYNC_SETTINGS;
    } catch {
      return DEFAULT_ASYNC_SETTINGS;
    }
  }

  /** One attempt at delivering `call` to its funko. */
  async #deliver(call: StoredCall, settings: AsyncSettings): Promise<void> {
    const { store, handler } = this.#options;
    const funko = call.funko;
    this.#running.set(funko, (this.#running.get(funko) ?? 0) + 1);
    const attempts = call.attempts + 1;
    try {
      const keep = call.callbackUrl ? sizeBytes(settings.max_body) : 0;
      const headers: [string, string][] = [...call.headers, ["x-call-id", call.id]];
      const answer = await invoke(handler, { ...call, headers }, keep, this.#stopping.signal);
      if (this.#stopping.signal.aborted) return await store.retryLater(call.id, call.attempts, Date.now(), null, null);
      if (!RETRYABLE_STATUSES.has(answer.status)) {
        if (answer.truncated) answer.headers.push(["x-faaso-truncated", "true"]);
        await store.endPhase(call.id, { state: "done", status: answer.status, error: null, attempts, answer });
        return;
      }
      const retryAfter = retryAfterMs(answer.headers.find(([name]) => name.toLowerCase() === "retry-after")?.[1]);
      const reason = `the funko answered ${answer.status}`;
      if (attempts >= settings.attempts) {
        await store.endPhase(call.id, { state: "failed", status: answer.status, error: reason, attempts, answer });
      } else {
        const due = Date.now() + backoffMs(attempts, settings, retryAfter);
        await store.retryLater(call.id, attempts, due, answer.status, reason);
      }
    } catch (error) {
      if (this.#stopping.signal.aborted) return await store.retryLater(call.id, call.attempts, Date.now(), null, null);
      const reason = `cannot deliver: ${(error as Error).message}`;
      if (attempts >= settings.attempts) {
        await store.endPhase(call.id, { state: "failed", status: null, error: reason, attempts });
      } else await store.retryLater(call.id, attempts, Date.now() + backoffMs(attempts, settings), null, reason);
    } finally {
      this.#running.set(funko, (this.#running.get(funko) ?? 1) - 1);
    }
  }

  /** One attempt at the callback of `call`. */
  async #callback(call: StoredCall): Promise<void> {
    const { store } = this.#options;
    this.#callbacks++;
    const attempts = call.attempts + 1;
    const settings = await this.#settings(call.funko);
    const answer = call.answer ?? { status: 502, headers: [], body: new Uint8Array(0) };
    try {
      const status = await postCallback(
        call.callbackUrl!,
        answer,
        {
          callId: call.id,
          funko: call.funko,
          outcome: call.outcome ?? "failed",
          status: call.status ?? 502,
        },
        CALLBACK_TIMEOUT_MS,
        this.#stopping.signal,
      );
      if (!RETRYABLE_STATUSES.has(status)) {
        await store.endPhase(call.id, { state: "done", status, error: null, attempts });
      } else if (attempts >= settings.attempts) {
        await store.endPhase(call.id, { state: "failed", status, error: `it answered ${status}`, attempts });
      } else {
        const due = Date.now() + backoffMs(attempts, settings);
        await store.retryLater(call.id, attempts, due, null, `callback: it answered ${status}`);
      }
    } catch (error) {
      if (this.#stopping.signal.aborted) return await store.retryLater(call.id, call.attempts, Date.now(), null, null);
      const reason = (error as Error).message;
      if (attempts >= settings.attempts) {
        await store.endPhase(call.id, { state: "failed", status: null, error: reason, attempts });
      } else {
        await store.retryLater(
          call.id,
          attempts,
          Date.now() + backoffMs(attempts, settings),
          null,
          `callback: ${reason}`,
        );
      }
    } finally {
      this.#callbacks--;
    }
  }
}
