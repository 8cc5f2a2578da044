/**
 * Scenario 2: balancing over 4 instances (requests/s through FaaSO, nginx and
 * Caddy, and how 400 sequential requests spread), and a 1 MB answer: MB/s
 * direct and through each proxy (wrk -c8).
 *
 * @module
 */
import { type BenchContext, directUrl, proxyUrl, scaleTo } from "../lib/context.ts";
import { type PeerProxy, startCaddy, startNginx } from "../lib/peers.ts";
import { ratioText } from "../lib/report.ts";
import { meanOfRuns, wrk, type WrkResult } from "../lib/wrk.ts";

/** How many instances scenario 2 balances over. */
export const INSTANCES = 4;

/** Sequential requests for the share of each instance. */
const SEQUENTIAL = 400;

/** Runs scenario 2 and adds its rows. */
export async function balancing(ctx: BenchContext): Promise<void> {
  const instances = await scaleTo(ctx, INSTANCES);
  const upstreams = instances.map((i) => `${i.ip}:3000`);
  const peers: PeerProxy[] = [];
  try {
    const nginx = await startNginx(upstreams);
    peers.push(nginx);
    const caddy = await startCaddy(upstreams);
    peers.push(caddy);
    const base = { faaso: proxyUrl(ctx), nginx: `${nginx.url}/`, caddy: `${caddy.url}/` };

    // Requests/s over 4 instances.
    const hello: Record<string, WrkResult> = {};
    for (const [name, url] of Object.entries(base)) {
      await wrk(url, { connections: 32, seconds: 1 });
      hello[name] = await wrk(url, { connections: 32, seconds: ctx.wrkSeconds });
    }
    ctx.rows.push({
      scenario: `2 balance x${INSTANCES} c32`,
      metric: "requests/s",
      unit: "req/s",
      faaso: hello.faaso!.rps,
      peers: { nginx: hello.nginx!.rps, caddy: hello.caddy!.rps },
      ratio: `${ratioText(hello.faaso!.rps, hello.caddy!.rps, "caddy")}, ${
        ratioText(hello.faaso!.rps, hello.nginx!.rps, "nginx")
      }`,
      target: "",
      note: `errors: faaso ${hello.faaso!.errors}, nginx ${hello.nginx!.errors}, caddy ${hello.caddy!.errors}`,
    });

    // The share of each instance in sequential requests.
    const counts = new Map(instances.map((i) => [i.name, 0]));
    for (let i = 0; i < SEQUENTIAL; i++) {
      const response = await fetch(proxyUrl(ctx, "/whoami"));
      const name = await response.text();
      if (response.status === 200) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const spread = [...counts.values()];
    ctx.rows.push({
      scenario: `2 balance x${INSTANCES}`,
      metric: `fewest of ${SEQUENTIAL} sequential`,
      unit: "count",
      faaso: Math.min(...spread),
      peers: { most: Math.max(...spread) },
      ratio: "",
      target: "",
      note: `per instance: ${spread.join("/")}`,
    });

    // 1 MB answers: MB/s (1 request = 1,000,000 bytes of body).
    // Each path warmed up first (the instances' own JIT included: whoever ran first paid for it), then two rounds in
    // opposite orders, each figure their mean, as scenario 1 does.
    const mbUrls = Object.entries({ direct: directUrl(instances[0]!, "/mb"), ...mapValues(base, (url) => `${url}mb`) });
    for (const [, url] of mbUrls) await wrk(url, { connections: 8, seconds: 1 });
    const mbRuns: Record<string, WrkResult[]> = {};
    for (const order of [mbUrls, [...mbUrls].reverse()]) {
      for (const [name, url] of order) {
        (mbRuns[name] ??= []).push(await wrk(url, { connections: 8, seconds: ctx.wrkSeconds }));
      }
    }
    const mb = mapValues(mbRuns, meanOfRuns);
    const eachRun = (pick: (w: WrkResult) => number) =>
      Object.entries(mbRuns).map(([name, runs]) => `${name} ${runs.map((w) => pick(w).toFixed(0)).join("/")}`).join(
        ", ",
      );
    ctx.rows.push({
      scenario: "2 1 MB answer c8",
      metric: "MB/s",
      unit: "MB/s",
      faaso: mb.faaso!.rps,
      peers: { direct: mb.direct!.rps, nginx: mb.nginx!.rps, caddy: mb.caddy!.rps },
      ratio: `${ratioText(mb.faaso!.rps, mb.caddy!.rps, "caddy")}, ${
        ratioText(mb.faaso!.rps, mb.direct!.rps, "direct")
      }, ${ratioText(mb.faaso!.rps, mb.nginx!.rps, "nginx")}`,
      target: ">= 1x caddy",
      pass: mb.faaso!.rps >= mb.caddy!.rps,
      note: `mean of 2 runs each: ${eachRun((w) => w.rps)}; errors: faaso ${mb.faaso!.errors}, nginx ${
        mb.nginx!.errors
      }, caddy ${mb.caddy!.errors}`,
    });
    ctx.rows.push({
      scenario: "2 1 MB answer c8",
      metric: "latency p99",
      unit: "ms",
      faaso: mb.faaso!.p99,
      peers: { direct: mb.direct!.p99, nginx: mb.nginx!.p99, caddy: mb.caddy!.p99 },
      ratio: ratioText(mb.faaso!.p99, mb.direct!.p99, "direct"),
      target: "<= 1.5x direct",
      pass: mb.faaso!.p99 <= 1.5 * mb.direct!.p99,
      note: `direct is one instance, the proxies spread over 4; p99 of each run: ${eachRun((w) => w.p99)}`,
    });
    ctx.raw.balance = { hello, share: Object.fromEntries(counts), mb: mbRuns };
  } finally {
    for (const peer of peers) await peer.stop();
  }
}

function mapValues<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]));
}
