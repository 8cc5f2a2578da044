/**
 * Requests held while a funko has no ready instance but will have one soon:
 * one is starting (a cold start, a scale-up), or the funko sleeps and the
 * first request wakes it. The queue is bounded (funko.yml `hold.queue`:
 * beyond it, 503 with Retry-After) and each request waits at most
 * `hold.timeout` (a wake from stopped and a slow app start must fit in it:
 * Knative's activator cut such requests early, knative/serving#13208).
 *
 * @module
 */
import { jsonAnswer, type ServerResponse } from "../../http1/mod.ts";
import { durationMs } from "../../core/duration.ts";
import { HoldSettings } from "../../core/scaling.ts";
import type { Endpoint, RoutingTable } from "./routing_table.ts";

/** How a wake ended: an instance answers (which, when one was woken), or why not. */
export type WakeOutcome = { ok: true; instance?: string } | { ok: false; reason: string };

/** What wakes sleeping funkos (the sleeper). */
export interface Waker {
  /** Whether the funko sleeps (or is being put to sleep), so a request should wake it. */
  canWake(funko: string): boolean;
  /** Wakes the funko: one wake at a time, however many requests ask. */
  wake(funko: string): Promise<WakeOutcome>;
}

/** Options for {@linkcode HoldQueue}. */
export interface HoldOptions {
  /** Where instances are. */
  table: RoutingTable;
  /** Wakes sleeping funkos; without one nothing sleeps. */
  waker?: Waker;
  /** The funko's hold settings; the defaults when unknown (no image read yet). */
  settings?: (funko: string) => HoldSettings | undefined;
}

/** What a held request got: an instance, or the answer to send instead. */
export type HoldResult = { endpoint: Endpoint; answer?: undefined } | { endpoint?: undefined; answer: ServerResponse };

const DEFAULTS = HoldSettings.parse({});

/** Holds requests per funko until an instance is ready. */
export class HoldQueue {
  #table: RoutingTable;
  #waker: Waker | undefined;
  #settings: (funko: string) => HoldSettings | undefined;
  #held = new Map<string, number>();

  constructor(options: HoldOptions) {
    this.#table = options.table;
    this.#waker = options.waker;
    this.#settings = options.settings ?? (() => undefined);
  }

  /** Requests held for the funko now. */
  held(funko: string): number {
    return this.#held.get(funko) ?? 0;
  }

  /** Whether a request for the funko, which has no ready instance, should wait: one starts, or a wake will. */
  shouldHold(funko: string): boolean {
    return this.#table.hasPending(funko) || (this.#waker?.canWake(funko) ?? false);
  }

  /**
   * Holds a request until the funko has a ready instance (waking it when it
   * sleeps), or answers 503: the queue is full, the wake failed, or the hold
   * timed out. Undefined when the client went away meanwhile.
   */
  async hold(funko: string, signal: AbortSignal): Promise<HoldResult | undefined> {
    const settings = this.#settings(funko) ?? DEFAULTS;
    const held = this.held(funko);
    if (held >= settings.queue) {
      return {
        answer: jsonAnswer(
          503,
          "hold_queue_full",
          `Funko ${funko} has no instance ready yet and ${held} requests wait for one already (hold.queue)`,
          [["retry-after", "1"]],
        ),
      };
    }
    this.#held.set(funko, held + 1);
    const done = new AbortController();
    try {
      const waiting = this.#table.waitForReady(
        funko,
        durationMs(settings.timeout),
        AbortSignal.any([signal, done.signal]),
      );
      const wake = this.#waker?.canWake(funko) ? this.#waker.wake(funko) : undefined;
      // A failed wake answers at once; a wake that worked lets the wait above see the instance.
      const failed = wake?.then<Endpoint | undefined | WakeOutcome>((outcome) => outcome.ok ? waiting : outcome);
      const first = await (failed ? Promise.race([waiting, failed]) : waiting);
      if (first && "id" in first) return { endpoint: first };
      if (signal.aborted) return undefined;
      const problems = this.#table.problems(funko);
      const why = first && "reason" in first
        ? `cannot be woken: ${first.reason}`
        // As the proxy says it without a hold: why none is ready, when the probes say.
        : `has no healthy instance right now${problems ? ` (${problems})` : ""}, after waiting ${settings.timeout} ` +
          "(hold.timeout)";
      return { answer: jsonAnswer(503, "no_instance", `Funko ${funko} ${why}`, [["retry-after", "2"]]) };
    } finally {
      done.abort();
      const left = this.held(funko) - 1;
      if (left > 0) this.#held.set(funko, left);
      else this.#held.delete(funko);
    }
  }
}
