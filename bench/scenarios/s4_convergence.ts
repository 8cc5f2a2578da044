/**
 * Scenario 4: route convergence. With one healthy instance serving, scale to
 * 2 and measure from the engine's `health_status: healthy` event of the new
 * instance to the first request through the proxy that it answers (requests
 * to /whoami every ~2 ms). The proxy waits for Docker's verdict beside a
 * healthy instance, so the clock starts at that event.
 *
 * @module
 */
import { type BenchContext, FUNKO, proxyUrl, scaleTo } from "../lib/context.ts";
import { instancesOf, subscribeEvents } from "../lib/docker.ts";
import { faaso, median, sleep, waitFor } from "../lib/proc.ts";

/** One scale-up. */
interface Convergence {
  /** The new instance. */
  instance: string;
  /** Healthy event (engine time) to its first routed request, ms. */
  ms: number;
  /** Healthy event (engine time) to the event reaching the bench, ms. */
  eventDelayMs: number;
}

/** Sends GET /whoami through the proxy back to back (2 ms apart), noting when each instance first answers. */
function startPinger(url: string) {
  const firstSeen = new Map<string, number>();
  let running = true;
  let requests = 0;
  const loop = (async () => {
    while (running) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        const name = await response.text();
        requests++;
        if (response.status === 200 && !firstSeen.has(name)) firstSeen.set(name, Date.now());
      } catch { /* counted by scenario 5, not here */ }
      await sleep(2);
    }
  })();
  return {
    firstSeen,
    get requests() {
      return requests;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Runs scenario 4 and adds its rows. */
export async function routeConvergence(ctx: BenchContext): Promise<void> {
  const reps = ctx.quick ? 3 : 5;
  const results: Convergence[] = [];
  await scaleTo(ctx, 1);
  const events = await subscribeEvents(FUNKO);
  try {
    for (let i = 0; i < reps; i++) {
      const before = new Set((await instancesOf(FUNKO)).map((instance) => instance.id));
      const pinger = startPinger(proxyUrl(ctx, "/whoami"));
      try {
        const healthy = events.next((e) => e.Action === "health_status: healthy" && !before.has(e.Actor.ID));
        await faaso(["scale", FUNKO, "2"]);
        const event = await healthy;
        const name = event.Actor.Attributes.name ?? "";
        const eventMs = event.timeNano / 1e6;
        const first = await waitFor(
          `a request answered by ${name}`,
          () => Promise.resolve(pinger.firstSeen.get(name)),
          10_000,
          1,
        );
        results.push({ instance: name, ms: first - eventMs, eventDelayMs: event.receivedMs - eventMs });
      } finally {
        await pinger.stop();
      }
      await scaleTo(ctx, 1);
    }
  } finally {
    events.close();
  }
  const times = results.map((r) => r.ms);
  ctx.rows.push({
    scenario: "4 route convergence",
    metric: `healthy event -> first routed request, median of ${reps}`,
    unit: "ms",
    faaso: median(times),
    peers: { max: Math.max(...times) },
    ratio: "",
    target: "<= 100 ms, every time",
    pass: Math.max(...times) <= 100,
    note: `each: ${times.map((t) => t.toFixed(0)).join(", ")} ms; event delivery median ${
      Math.abs(median(results.map((r) => r.eventDelayMs))).toFixed(1)
    } ms`,
  });
  ctx.raw.convergence = results;
}
