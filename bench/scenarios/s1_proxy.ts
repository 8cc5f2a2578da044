/**
 * Scenario 1: proxy throughput and latency. One instance, reached directly,
 * through `faaso serve`, nginx and Caddy, with wrk at 32 and 256 connections,
 * back to back in the same run. A second `faaso serve --no-metrics` beside the
 * first shows what counting costs: requests/s and CPU time per request with
 * metrics on and off; a third with `--threads 1` what the worker threads
 * bring. Also samples each proxy's memory (scenario 7).
 *
 * @module
 */
import { type BenchContext, directUrl, proxyUrl, scaleTo } from "../lib/context.ts";
import { type PeerProxy, startCaddy, startNginx } from "../lib/peers.ts";
import { cpuSeconds, median, rssMb, sampleMaxRss, sleep } from "../lib/proc.ts";
import { ratioText } from "../lib/report.ts";
import { type FaasoProxy, startFaasoProxy } from "../lib/serve.ts";
import { meanOfRuns, wrk, type WrkResult } from "../lib/wrk.ts";

/** The connection counts scenario 1 measures. */
export const CONNECTIONS = [32, 256] as const;

/** Runs scenario 1 and adds its rows. */
export async function proxyThroughput(ctx: BenchContext): Promise<void> {
  const [instance] = await scaleTo(ctx, 1);
  const upstream = `${instance!.ip}:3000`;
  const peers: PeerProxy[] = [];
  let unmetered: FaasoProxy | undefined;
  let oneThread: FaasoProxy | undefined;
  try {
    unmetered = await startFaasoProxy(["--no-metrics"]);
    oneThread = await startFaasoProxy(["--threads", "1"]);
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
      { name: "faaso-nometrics", url: proxyUrl(ctx).replace(ctx.proxy.url, unmetered.url), pid: unmetered.pid },
      { name: "faaso-1thread", url: proxyUrl(ctx).replace(ctx.proxy.url, oneThread.url), pid: oneThread.pid },
      { name: "nginx", url: `${nginx.url}/`, pid: nginx.pid },
      { name: "caddy", url: `${caddy.url}/`, pid: caddy.pid },
    ];
    // Warm every path up (JIT, connection pools) before measuring.
    for (const target of targets) await wrk(target.url, { connections: 32, seconds: 1 });
    const raw: Record<string, Record<string, WrkResult[]>> = {};
    // CPU seconds of each FaaSO per run, to divide by its requests.
    const cpu: Record<string, { seconds: number; requests: number }> = {};
    for (const connections of CONNECTIONS) {
      // Two rounds in opposite orders, a pause before each run: no target always runs right after
      // the backend was pushed hardest (direct), or always first.
      const rounds: Record<string, WrkResult[]> = {};
      for (const order of [targets, [...targets].reverse()]) {
        for (const target of order) {
          await sleep(1000);
          const sampler = connections === 256 && target.pid ? sampleMaxRss(target.pid) : undefined;
          const metered = target.name.startsWith("faaso");
          const before = metered ? await cpuSeconds(target.pid) : 0;
          const result = await wrk(target.url, { connections, seconds: ctx.wrkSeconds });
          (rounds[target.name] ??= []).push(result);
          if (metered) {
            const used = (cpu[`${target.name} c${connections}`] ??= { seconds: 0, requests: 0 });
            used.seconds += await cpuSeconds(target.pid) - before;
            used.requests += result.requests;
          }
          if (sampler) {
            ctx.memory.loaded[target.name] = Math.max(ctx.memory.loaded[target.name] ?? 0, await sampler.stop());
          }
        }
      }
      raw[`c${connections}`] = rounds;
      addRows(
        ctx,
        connections,
        Object.fromEntries(Object.entries(rounds).map(([name, runs]) => [name, meanOfRuns(runs)])),
      );
      const perRequest = (name: string) => {
        const used = cpu[`${name} c${connections}`]!;
        return used.seconds / used.requests * 1e6;
      };
      addMetricsRows(ctx, connections, meanOfRuns(rounds.faaso!), meanOfRuns(rounds["faaso-nometrics"]!), {
        on: perRequest("faaso"),
        off: perRequest("faaso-nometrics"),
      });
      addThreadRows(ctx, connections, meanOfRuns(rounds.faaso!), meanOfRuns(rounds["faaso-1thread"]!), {
        threads: perRequest("faaso"),
        one: perRequest("faaso-1thread"),
      });
    }
    ctx.raw.proxy = { ...raw, cpu, metricsCost: await metricsCost(ctx, targets[1]!, targets[2]!) };
  } finally {
    for (const peer of peers) await peer.stop();
    await unmetered?.stop();
    await oneThread?.stop();
  }
}

/** What the worker threads bring at one connection count: the default against `--threads 1`, same rounds. */
function addThreadRows(
  ctx: BenchContext,
  connections: number,
  threads: WrkResult,
  one: WrkResult,
  cpuMicros: { threads: number; one: number },
): void {
  const scenario = `1 proxy c${connections}`;
  const count = /^Proxy threads: (\d+)$/m.exec(ctx.proxy.lines.join("\n"))?.[1] ?? "1";
  const note = `faaso is the default (${count} threads); 2 runs each`;
  ctx.rows.push({
    scenario,
    metric: "requests/s, one thread",
    unit: "req/s",
    faaso: threads.rps,
    peers: { "--threads 1": one.rps },
    ratio: ratioText(threads.rps, one.rps, "--threads 1"),
    target: "",
    note,
  });
  ctx.rows.push({
    scenario,
    metric: "latency p99, one thread",
    unit: "ms",
    faaso: threads.p99,
    peers: { "--threads 1": one.p99 },
    ratio: ratioText(threads.p99, one.p99, "--threads 1"),
    target: "",
  });
  ctx.rows.push({
    scenario,
    metric: "CPU time per request, one thread",
    unit: "µs",
    faaso: cpuMicros.threads,
    peers: { "--threads 1": cpuMicros.one },
    ratio: ratioText(cpuMicros.threads, cpuMicros.one, "--threads 1"),
    target: "",
    note: "user + system time of the faaso serve process / requests",
  });
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

/**
 * What counting costs, measured apart from the comparison with peers: short
 * runs of the two FaaSO processes, alternating, 8 each (4 with --quick) at 32
 * connections; the medians of their requests/s and CPU time per request. On
 * a shared machine a single pair of runs differs by more than the cost.
 */
async function metricsCost(
  ctx: BenchContext,
  on: { url: string; pid: number },
  off: { url: string; pid: number },
): Promise<Record<string, number[]>> {
  const runs: Record<string, number[]> = { onRps: [], offRps: [], onCpu: [], offCpu: [] };
  for (let round = 0; round < (ctx.quick ? 4 : 8); round++) {
    const order = round % 2 ? [["off", off], ["on", on]] as const : [["on", on], ["off", off]] as const;
    for (const [name, target] of order) {
      await sleep(500);
      const before = await cpuSeconds(target.pid);
      const result = await wrk(target.url, { connections: 32, seconds: 3 });
      runs[`${name}Rps`]!.push(result.rps);
      runs[`${name}Cpu`]!.push((await cpuSeconds(target.pid) - before) / result.requests * 1e6);
    }
  }
  const onRps = median(runs.onRps!), offRps = median(runs.offRps!);
  const onCpu = median(runs.onCpu!), offCpu = median(runs.offCpu!);
  ctx.rows.push({
    scenario: "1 metrics cost",
    metric: "requests/s, median of alternating runs",
    unit: "req/s",
    faaso: onRps,
    peers: { "metrics off": offRps },
    ratio: ratioText(onRps, offRps, "metrics off"),
    target: ">= 0.97x metrics off",
    pass: onRps >= 0.97 * offRps,
    note: `${runs.onRps!.length} runs of 3 s each, c32`,
  });
  ctx.rows.push({
    scenario: "1 metrics cost",
    metric: "CPU time per request, median",
    unit: "µs",
    faaso: onCpu,
    peers: { "metrics off": offCpu },
    ratio: ratioText(onCpu, offCpu, "metrics off"),
    target: "<= 1.03x metrics off",
    pass: onCpu <= 1.03 * offCpu,
  });
  return runs;
}

/** What counting costs at one connection count: requests/s and CPU time per request, metrics on against off. */
function addMetricsRows(
  ctx: BenchContext,
  connections: number,
  on: WrkResult,
  off: WrkResult,
  cpuMicros: { on: number; off: number },
): void {
  const scenario = `1 proxy c${connections}`;
  ctx.rows.push({
    scenario,
    metric: "requests/s, metrics off",
    unit: "req/s",
    faaso: on.rps,
    peers: { "metrics off": off.rps },
    ratio: ratioText(on.rps, off.rps, "metrics off"),
    target: "",
    note: "faaso is the default, metrics on; 2 runs each: see metrics cost for the verdict",
  });
  ctx.rows.push({
    scenario,
    metric: "CPU time per request",
    unit: "µs",
    faaso: cpuMicros.on,
    peers: { "metrics off": cpuMicros.off },
    ratio: ratioText(cpuMicros.on, cpuMicros.off, "metrics off"),
    target: "",
    note: "user + system time of the faaso serve process / requests",
  });
}
