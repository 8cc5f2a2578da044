/**
 * Scenario 7: the proxy's resident memory (VmRSS of the `faaso serve`
 * process): right after it started, and the highest sampled every 100 ms
 * during scenario 1 at 256 connections (this scenario loads it itself when
 * scenario 1 did not run). nginx's and Caddy's figures come from scenario 1.
 *
 * @module
 */
import { type BenchContext, proxyUrl, scaleTo } from "../lib/context.ts";
import { rssMb, sampleMaxRss } from "../lib/proc.ts";
import { wrk } from "../lib/wrk.ts";

const peersOf = (figures: Record<string, number>) =>
  Object.fromEntries(Object.entries(figures).filter(([name]) => name !== "faaso"));

/** Runs scenario 7 and adds its rows. */
export async function proxyMemory(ctx: BenchContext): Promise<void> {
  if (ctx.memory.loaded.faaso === undefined) {
    await scaleTo(ctx, 1);
    const sampler = sampleMaxRss(ctx.proxy.pid);
    await wrk(proxyUrl(ctx), { connections: 256, seconds: ctx.wrkSeconds });
    ctx.memory.loaded.faaso = await sampler.stop();
  }
  const idle = ctx.memory.idle.faaso!;
  const loaded = ctx.memory.loaded.faaso;
  const now = await rssMb(ctx.proxy.pid);
  ctx.rows.push({
    scenario: "7 proxy memory",
    metric: "RSS idle, after start",
    unit: "MB",
    faaso: idle,
    peers: peersOf(ctx.memory.idle),
    ratio: "",
    target: "<= 80 MB",
    pass: idle <= 80,
  });
  ctx.rows.push({
    scenario: "7 proxy memory",
    metric: "RSS max under load (c256)",
    unit: "MB",
    faaso: loaded,
    peers: peersOf(ctx.memory.loaded),
    ratio: "",
    target: "<= 150 MB",
    pass: loaded <= 150,
    note: `now, after the scenarios so far: ${now.toFixed(1)} MB`,
  });
  ctx.raw.memory = { ...ctx.memory, afterMb: now };
}
