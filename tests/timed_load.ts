/**
 * Steady load with a clock, for the fault tests and the soak bench: a few
 * workers sending GET requests back to back, each outcome recorded with its
 * time (tests/load.ts only counts), so that failures can be counted per
 * window (per fault) and recovery measured (the first good answer after a
 * fault). No side effects on import (the bench imports it).
 *
 * ```ts
 * const load = startTimedLoad(() => [`${url}/funko/a/`, `${url}/funko/b/`], { workers: 4 });
 * // ... break something ...
 * await load.stop();
 * load.failed(from, to); // outcomes that were not a 200 in that window
 * ```
 *
 * @module
 */

/** One request's outcome. */
export interface Outcome {
  /** The URL asked. */
  url: string;
  /** When it was sent and when it ended (Date.now()). */
  start: number;
  end: number;
  /** The answer's status; 0 when there was none (refused, reset, timed out). */
  status: number;
  /** The body of a 200 (the echo fixture answers with its instance's name), else why it failed. */
  text: string;
}

/** Options for {@linkcode startTimedLoad}. */
export interface LoadOptions {
  /** Requests in flight at once. Default 4. */
  workers?: number;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** Pause after each request of a worker (keeps a busy machine usable). Default 5 ms. */
  pauseMs?: number;
}

/** A running load; see {@linkcode startTimedLoad}. */
export interface TimedLoad {
  /** Every outcome so far, in the order they ended. */
  readonly outcomes: Outcome[];
  /** Outcomes that started in [from, to) and were not a 200. */
  failed(from: number, to?: number): Outcome[];
  /** Outcomes that started in [from, to) and were a 200. */
  succeeded(from: number, to?: number): Outcome[];
  /** When the first 200 that started at or after `from` (for `url`, if given) ended; undefined if none yet. */
  firstSuccess(from: number, url?: string): number | undefined;
  /** Ends the load and waits for requests in flight. */
  stop(): Promise<void>;
}

/**
 * Starts the load. `targets` is asked for the URLs before each request (they
 * may change: a proxy's port after its container restarted); workers take
 * them in turn.
 */
export function startTimedLoad(targets: () => string[], options: LoadOptions = {}): TimedLoad {
  const outcomes: Outcome[] = [];
  const client = Deno.createHttpClient({});
  let running = true;
  let turn = 0;
  const worker = async () => {
    while (running) {
      const urls = targets();
      const url = urls[turn++ % Math.max(urls.length, 1)];
      if (!url) {
        await sleep(50);
        continue;
      }
      const start = Date.now();
      let status = 0;
      let text: string;
      try {
        const response = await fetch(url, { client, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
        status = response.status;
        text = await response.text();
        if (status !== 200) text = `status ${status}: ${text.slice(0, 200)}`;
      } catch (error) {
        status = 0;
        // fetch's own message ("fetch failed") hides why; its cause says (refused, reset, closed early).
        const cause = (error as Error).cause;
        text = (error as Error).message + (cause instanceof Error ? `: ${cause.message}` : "");
      }
      outcomes.push({ url, start, end: Date.now(), status, text });
      await sleep(options.pauseMs ?? 5);
    }
  };
  const workers = Array.from({ length: options.workers ?? 4 }, worker);
  const within = (from: number, to: number | undefined) => (o: Outcome) =>
    o.start >= from && o.start < (to ?? Infinity);
  return {
    outcomes,
    failed: (from, to) => outcomes.filter(within(from, to)).filter((o) => o.status !== 200),
    succeeded: (from, to) => outcomes.filter(within(from, to)).filter((o) => o.status === 200),
    firstSuccess: (from, url) =>
      outcomes.find((o) => o.start >= from && o.status === 200 && (url === undefined || o.url === url))?.end,
    stop: async () => {
      running = false;
      await Promise.all(workers);
      client.close();
    },
  };
}

/** A short summary of failures: how many, and the most common reasons. */
export function describeFailures(failures: Outcome[]): string {
  if (failures.length === 0) return "0 failed";
  const reasons = new Map<string, number>();
  for (const failure of failures) {
    // Without the URL (fetch's message repeats it), so that the cause fits.
    const reason = failure.text.replace(/ for url \([^)]*\)/, "").replace(/\d+/g, "N").slice(0, 100);
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([reason, n]) => `${n}x ${reason}`);
  return `${failures.length} failed (${top.join("; ")})`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
