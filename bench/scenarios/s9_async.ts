/**
 * Scenario 9: async calls on an idle funko. How many `POST /async/funko/...`
 * the proxy accepts per second (32 clients, each call stored before its 202),
 * and the time from sending a call to its arrival at the funko (calls sent
 * one at a time, 20 ms apart, so the queue is empty each time). The peer is
 * the same POST made synchronously through the proxy.
 *
 * @module
 */
import { type BenchContext, FUNKO, proxyUrl, scaleTo } from "../lib/context.ts";
import { median, percentile, sleep, waitFor } from "../lib/proc.ts";
import { ratioText } from "../lib/report.ts";

interface Stamp {
  at: number;
  id?: string;
}

/** Runs scenario 9 and adds its rows. */
export async function asyncCalls(ctx: BenchContext): Promise<void> {
  const asyncUrl = (path: string) => `${ctx.proxy.url}/async/funko/${FUNKO}${path}`;
  const stamps = async (key: string): Promise<Stamp[]> => await (await fetch(proxyUrl(ctx, `/stamps/${key}`))).json();

  await scaleTo(ctx, 1);
  // Latency: one call at a time on an empty queue.
  const calls = ctx.quick ? 60 : 200;
  const sent = new Map<string, number>();
  for (let i = 0; i < calls; i++) {
    const t0 = Date.now();
    const response = await fetch(asyncUrl("/stamp/latency"), { method: "POST", body: "x" });
    const { id } = await response.json();
    sent.set(id, t0);
    await sleep(20);
  }
  await waitFor("every latency call delivered", async () => (await stamps("latency")).length >= calls || undefined);
  const latencies = (await stamps("latency")).map((stamp) => stamp.at - (sent.get(stamp.id ?? "") ?? NaN))
    .filter(Number.isFinite);
  const syncLatencies: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await (await fetch(proxyUrl(ctx, "/stamp/sync"), { method: "POST", body: "x" })).text();
    syncLatencies.push(performance.now() - t0);
  }

  // Enqueue rate: 32 clients, as fast as they go.
  const total = ctx.quick ? 1000 : 3000;
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < total) {
      next++;
      const response = await fetch(asyncUrl("/stamp/rate"), { method: "POST", body: "x" });
      await response.body?.cancel();
      if (response.status !== 202) throw new Error(`enqueue answered ${response.status}`);
    }
  }));
  const rate = total / ((performance.now() - start) / 1000);
  // The queue then drains at the funko's concurrency (1): wait, so that later scenarios run on an idle proxy.
  const drainStart = performance.now();
  await waitFor("the queue drained", async () => (await stamps("rate")).length >= total || undefined, 300_000);
  const drainRate = total / ((performance.now() - drainStart) / 1000);

  const p50 = median(latencies);
  const p99 = percentile(latencies, 99);
  const syncP50 = median(syncLatencies);
  ctx.rows.push(
    {
      scenario: "9 async calls",
      metric: "enqueue rate, 32 clients (stored before 202)",
      unit: "req/s",
      faaso: rate,
      peers: {},
      ratio: "",
      target: "",
      note: `then delivered at concurrency 1: ${Math.round(drainRate)} calls/s`,
    },
    {
      scenario: "9 async calls",
      metric: `enqueue -> delivery p50, ${latencies.length} calls on an idle funko`,
      unit: "ms",
      faaso: p50,
      peers: { "sync POST": syncP50 },
      ratio: ratioText(p50, syncP50, "sync POST"),
      target: "",
    },
    {
      scenario: "9 async calls",
      metric: "enqueue -> delivery p99",
      unit: "ms",
      faaso: p99,
      peers: {},
      ratio: "",
      target: "",
    },
  );
  ctx.raw.async = { latencies, syncLatencies, rate, drainRate };
}
