/**
 * Scenario 3: cold start. From launching `faaso up bench-hello` (the CLI as a
 * subprocess, local mode) with the funko at scale 0, to the first 200 through
 * the proxy; split into the `faaso up` process and the wait after it. As a
 * peer, `docker run -d` of the same image to its first 200 on faaso-net.
 *
 * @module
 */
import { type BenchContext, FUNKO, proxyUrl } from "../lib/context.ts";
import { containerIp, type EventStream, instancesOf, subscribeEvents } from "../lib/docker.ts";
import { faaso, FAASO_ARGS, median, percentile, run, runOk, sleep, waitFor } from "../lib/proc.ts";
import { ratioText } from "../lib/report.ts";

/** One cold start. */
interface ColdStart {
  /** Launch to first 200, ms. */
  totalMs: number;
  /** Launch to the CLI's exit, ms. */
  upMs: number;
  /** Launch to the engine's `create` event of the instance, ms. */
  createdMs: number;
  /** Launch to its `start` event, ms. */
  startedMs: number;
  /** Answers before the first 200, by status ("error" for network errors). */
  before: Record<string, number>;
}

/** Polls `url` every 5 ms (1 s timeout per request) until it answers 200; returns ms since `t0`. */
async function firstOk(url: string, t0: number, before: Record<string, number>, limitMs = 30_000): Promise<number> {
  while (performance.now() - t0 < limitMs) {
    let status = "error";
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === 200) return performance.now() - t0;
      status = String(response.status);
    } catch { /* not yet */ }
    before[status] = (before[status] ?? 0) + 1;
    await sleep(5);
  }
  throw new Error(`No 200 from ${url} within ${limitMs} ms`);
}

/** Scales the bench funko to 0 and waits until its instances are gone. */
async function scaleToZero(): Promise<void> {
  await faaso(["down", FUNKO]);
  await waitFor("no instances", async () => (await instancesOf(FUNKO)).length === 0 ? true : undefined, 60_000);
}

/** `docker run -d` of the bench image to its first 200 at its own address, ms. */
async function dockerRunColdStart(name: string): Promise<number> {
  const t0 = performance.now();
  try {
    await runOk("docker", ["run", "-d", "--network", "faaso-net", "--name", name, `faaso-${FUNKO}:latest`]);
    const ip = await containerIp(name);
    await firstOk(`http://${ip}:3000/`, t0, {});
    return performance.now() - t0;
  } finally {
    await run("docker", ["rm", "-f", name]);
  }
}

/** Runs scenario 3 and adds its rows. */
export async function coldStart(ctx: BenchContext): Promise<void> {
  const reps = ctx.quick ? 5 : 8;
  const starts: ColdStart[] = [];
  const dockerRuns: number[] = [];
  await scaleToZero();
  const events = await subscribeEvents(FUNKO);
  try {
    for (let i = 0; i < reps; i++) {
      starts.push(await oneColdStart(ctx, events));
      await scaleToZero();
      dockerRuns.push(await dockerRunColdStart(`bench-cold-${crypto.randomUUID().slice(0, 6)}`));
    }
  } finally {
    events.close();
  }
  addRows(ctx, starts, dockerRuns);
}

/** `faaso up` to the first 200 through the proxy, once. */
async function oneColdStart(ctx: BenchContext, events: EventStream): Promise<ColdStart> {
  const eventAt = (action: string) =>
    events.next((e) => e.Action === action, 30_000).then((e) => e.timeNano / 1e6, () => NaN);
  const created = eventAt("create");
  const started = eventAt("start");
  const before: Record<string, number> = {};
  const epoch0 = Date.now();
  const t0 = performance.now();
  let upMs = NaN;
  // --no-wait: the CLI's own part ends once the instance runs, as before up waited for healthy instances
  // (the first 200 through the proxy comes long before Docker's first healthcheck).
  const up = run(Deno.execPath(), [...FAASO_ARGS, "up", FUNKO, "--local", "--no-wait"]).then((result) => {
    upMs = performance.now() - t0;
    return result;
  });
  const totalMs = await firstOk(proxyUrl(ctx), t0, before);
  const result = await up;
  if (result.code !== 0) throw new Error(`faaso up exited ${result.code}: ${result.stderr}`);
  return { totalMs, upMs, createdMs: await created - epoch0, startedMs: await started - epoch0, before };
}

function addRows(ctx: BenchContext, starts: ColdStart[], dockerRuns: number[]): void {
  const reps = starts.length;
  const totals = starts.map((s) => s.totalMs);
  const ups = starts.map((s) => s.upMs);
  const after = starts.map((s) => Math.max(0, s.totalMs - s.upMs));
  const docker = median(dockerRuns);
  ctx.rows.push({
    scenario: "3 cold start",
    metric: `faaso up -> first 200, median of ${reps}`,
    unit: "ms",
    faaso: median(totals),
    peers: { p90: percentile(totals, 90), "docker run": docker },
    ratio: ratioText(median(totals), docker, "docker run"),
    target: "<= 500 ms",
    pass: median(totals) <= 500,
  });
  ctx.rows.push({
    scenario: "3 cold start",
    metric: "of which the faaso up process",
    unit: "ms",
    faaso: median(ups),
    peers: { p90: percentile(ups, 90) },
    ratio: "",
    target: "",
    note: `medians from launch: container created ${ms(starts.map((s) => s.createdMs))}, started ${
      ms(starts.map((s) => s.startedMs))
    }, CLI exited ${ms(ups)}; first 200 ${ms(after)} later`,
  });
  ctx.raw.coldStart = { starts, dockerRuns };
}

/** The median of some durations as "123 ms". */
function ms(values: number[]): string {
  return `${median(values).toFixed(0)} ms`;
}
