/**
 * Scenario 1: proxy throughput and latency. One instance, reached directly,
 * through `faaso serve`, nginx and Caddy, with wrk at 32 and 256 connections,
 * back to back in the same run. Also samples each proxy's memory (scenario 7).
 *
 * @module
 */
import { type BenchContext, directUrl, proxyUrl, scaleTo } from "../lib/context.ts";
import { type PeerProxy, startCaddy, startNginx } from "../lib/peers.ts";
import { rssMb, sampleMaxRss, sleep } from "../lib/proc.ts";
import { ratioText } from "../lib/report.ts";
import { wrk, type WrkResult } from "../lib/wrk.ts";

/** The connection counts scenario 1 measures. */
export const CONNECTIONS = [32, 256] as const;

/** Runs scenario 1 and adds its rows. */
export async function proxyThroughput(ctx: BenchContext): Promise<void> {
  const [instance] = await scaleTo(ctx, 1);
  const upstream = `${instance!.ip}:3000`;
  const peers: PeerProxy[] = [];
  try {
    const nginx = await startNginx([upstream]);
    peers.push(nginx);
    const caddy = await startCaddy([upstream]);
    peers.push(caddy);
    await sleep(500);
    ctx.memory.idle.nginx = await rssMb(nginx.pid, true);
    ctx.memory.idle.caddy = await rssMb(caddy.pid, true);
    const targets = [
      { name: "direct", url: directUrl(instance!), pid: 0 },
      { name: "faaso", url: proxyUrl(ctx), pid: ctx.proxy.pid },
      { name: "nginx", url: `${nginx.url}/`, pid: nginx.pid },
      { name: "caddy", url: `${caddy.url}/`, pid: caddy.pid },
    ];
    // Warm every path up (JIT, connection pools) before measuring.
    for (const target of targets) await wrk(target.url, { connections: 32, seconds: 1 });
    const raw: Record<string, Record<string, WrkResult[]>> = {};
    for (const connections of CONNECTIONS) {
      // Two rounds in opposite orders, a pause before each run: no target always runs right after
      // the backend was pushed hardest (direct), or always first.
      const rounds: Record<string, WrkResult[]> = {};
      for (const order of [targets, [...targets].reverse()]) {
        for (const target of order) {
          await sleep(1000);
          const sampler = connections === 256 && target.pid ? sampleMaxRss(target.pid) : undefined;
          (rounds[target.name] ??= []).push(await wrk(target.url, { connections, seconds: ctx.wrkSeconds }));
          if (sampler) {
            ctx.memory.loaded[target.name] = Math.max(ctx.memory.loaded[target.name] ?? 0, await sampler.stop());
          }
        }
      }
      raw[`c${connections}`] = rounds;
      addRows(ctx, connections, Object.fromEntries(Object.entries(rounds).map(([name, runs]) => [name, mean(runs)])));
    }
    ctx.raw.proxy = raw;
  } finally {
    for (const peer of peers) await peer.stop();
  }
}

/** The mean of runs of one target: requests/s and latencies averaged, counts added. */
function mean(runs: WrkResult[]): WrkResult {
  const avg = (pick: (w: WrkResult) => number) => runs.reduce((sum, w) => sum + pick(w), 0) / runs.length;
  const sum = (pick: (w: WrkResult) => number) => runs.reduce((total, w) => total + pick(w), 0);
  return {
    ...runs[0]!,
    requests: sum((w) => w.requests),
    rps: avg((w) => w.rps),
    p50: avg((w) => w.p50),
    p99: avg((w) => w.p99),
    errors: sum((w) => w.errors),
    bytesPerSec: avg((w) => w.bytesPerSec),
  };
}

/** The rows of one connection count (each figure the mean of two runs). */
function addRows(ctx: BenchContext, connections: number, r: Record<string, WrkResult>): void {
  const scenario = `1 proxy c${connections}`;
  const f = r.faaso!, n = r.nginx!, c = r.caddy!, d = r.direct!;
  const peers = (pick: (w: WrkResult) => number) => ({ direct: pick(d), nginx: pick(n), caddy: pick(c) });
  ctx.rows.push({
    scenario,
    metric: "requests/s",
    unit: "req/s",
    faaso: f.rps,
    peers: peers((w) => w.rps),
    ratio: `${ratioText(f.rps, c.rps, "caddy")}, ${ratioText(f.rps, n.rps, "nginx")}`,
    target: ">= 2x caddy, >= 0.5x nginx",
    pass: f.rps >= 2 * c.rps && f.rps >= 0.5 * n.rps,
    note: ratioText(f.rps, d.rps, "direct"),
  });
  ctx.rows.push({
    scenario,
    metric: "latency p50",
    unit: "ms",
    faaso: f.p50,
    peers: peers((w) => w.p50),
    ratio: ratioText(f.p50, n.p50, "nginx"),
    target: "",
  });
  ctx.rows.push({
    scenario,
    metric: "latency p99",
    unit: "ms",
    faaso: f.p99,
    peers: peers((w) => w.p99),
    ratio: ratioText(f.p99, n.p99, "nginx"),
    target: "<= 2x nginx",
    pass: f.p99 <= 2 * n.p99,
  });
  ctx.rows.push({
    scenario,
    metric: "errors",
    unit: "count",
    faaso: f.errors,
    peers: peers((w) => w.errors),
    ratio: "",
    target: "0",
    pass: f.errors === 0,
    note: `${f.requests.toLocaleString("en-US")} requests`,
  });
}
