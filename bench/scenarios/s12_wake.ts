/**
 * Scenario 12: wake on request. The bench funko's code as bench-sleepy
 * (`scale: {min: 0, max: 1}`, idle timers that never fire during the run: the
 * bench puts it to sleep itself through the admin API), then:
 * - from paused, 20 times: a request through the proxy, to its answer's first
 *   byte; peer: `docker unpause` of a plain container of the same image, to
 *   its first 200 at its own address;
 * - from stopped, 10 times: the same; peer: `docker start` to the first 200;
 * - a burst of 200 concurrent requests on the paused funko: failed requests,
 *   and unpause calls counted in the engine's events.
 *
 * @module
 */
import type { BenchContext } from "../lib/context.ts";
import { containerIp, subscribeEvents } from "../lib/docker.ts";
import { median, percentile, run, runOk, sleep, waitFor } from "../lib/proc.ts";
import { ratioText } from "../lib/report.ts";
import { firstOk, removeScaled, sleepFunko, SLEEPY, waitAnswers } from "../lib/scaled.ts";
import { buildScaled } from "../lib/scaled.ts";
import { instancesOf } from "../lib/docker.ts";
import { faaso } from "../lib/proc.ts";
import { counted } from "../../core/words.ts";

const SETTINGS = "scale: {min: 0, max: 1}\nidle: {pause_after: 1h, stop_after: never}\ndrain: 2s\n" +
  "healthcheck:\n  interval: 1s\n";

/** Milliseconds from `t0` to the first byte of a GET of `url` (its status and headers); throws unless 200. */
async function firstByte(url: string): Promise<number> {
  const t0 = performance.now();
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const ms = performance.now() - t0;
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${body.slice(0, 200)}`);
  return ms;
}

/**
 * Waits until every instance of the funko is in `state` (its instances only:
 * the peer, a plain container of its image, carries its funko label too).
 */
function waitState(funko: string, state: "paused" | "exited"): Promise<true> {
  return waitFor(`${funko} ${state}`, async () => {
    const listed = await run("docker", [
      "ps",
      "-a",
      "--filter",
      `label=faaso.funko=${funko}`,
      "--filter",
      "label=faaso.role=instance",
      "--format",
      "{{.State}}",
    ]);
    const states = listed.stdout.trim().split("\n").filter(Boolean);
    return states.length > 0 && states.every((s) => s === state) ? true : undefined;
  }, 30_000);
}

/** Runs scenario 12 and adds its rows. */
export async function wakeOnRequest(ctx: BenchContext): Promise<void> {
  const wakes = ctx.quick ? 8 : 20;
  const starts = ctx.quick ? 4 : 10;
  const url = `${ctx.proxy.url}/funko/${SLEEPY}/`;
  const peer = `bench-cold-wake-${crypto.randomUUID().slice(0, 6)}`;
  await buildScaled(SLEEPY, SETTINGS);
  try {
    await faaso(["up", SLEEPY]);
    await waitAnswers(url);
    await runOk("docker", ["run", "-d", "--network", "faaso-net", "--name", peer, `faaso-${SLEEPY}:latest`]);
    const direct = `http://${await containerIp(peer)}:3000/`;
    await waitAnswers(direct);

    const paused: number[] = [];
    const unpaused: number[] = [];
    for (let i = 0; i < wakes; i++) {
      await sleepFunko(ctx.proxy, SLEEPY);
      await waitState(SLEEPY, "paused");
      await sleep(200);
      paused.push(await firstByte(url));
      await runOk("docker", ["pause", peer]);
      await sleep(200);
      const t0 = performance.now();
      await runOk("docker", ["unpause", peer]);
      unpaused.push(await firstOk(direct, t0));
    }

    const stopped: number[] = [];
    const started: number[] = [];
    for (let i = 0; i < starts; i++) {
      await sleepFunko(ctx.proxy, SLEEPY, true);
      await waitState(SLEEPY, "exited");
      await sleep(200);
      stopped.push(await firstByte(url));
      await runOk("docker", ["stop", "-t", "2", peer]);
      const t0 = performance.now();
      await runOk("docker", ["start", peer]);
      started.push(await firstOk(`http://${await containerIp(peer)}:3000/`, t0));
    }

    await sleepFunko(ctx.proxy, SLEEPY);
    await waitState(SLEEPY, "paused");
    const events = await subscribeEvents(SLEEPY);
    const unpauses: number[] = [];
    const counting = (async () => {
      while (true) unpauses.push((await events.next((e) => e.Action === "unpause", 3_600_000)).receivedMs);
    })().catch(() => {});
    const answers = await Promise.all(Array.from({ length: 200 }, async () => {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
        await response.body?.cancel();
        return response.status;
      } catch {
        return 0;
      }
    }));
    await sleep(1000);
    events.close();
    await counting;
    const failed = answers.filter((status) => status !== 200).length;
    const instances = await instancesOf(SLEEPY);

    const docker = "docker unpause+200";
    ctx.rows.push(
      {
        scenario: "12 wake on request",
        metric: `from paused: request -> first byte, p50 of ${wakes}`,
        unit: "ms",
        faaso: median(paused),
        peers: { [docker]: median(unpaused) },
        ratio: ratioText(median(paused), median(unpaused), docker),
        target: "<= 25 ms",
        pass: median(paused) <= 25,
      },
      {
        scenario: "12 wake on request",
        metric: `from paused: p99 of ${wakes}`,
        unit: "ms",
        faaso: percentile(paused, 99),
        peers: { [docker]: percentile(unpaused, 99) },
        ratio: ratioText(percentile(paused, 99), percentile(unpaused, 99), docker),
        target: "<= 100 ms",
        pass: percentile(paused, 99) <= 100,
      },
      {
        scenario: "12 wake on request",
        metric: `from stopped: request -> first byte, p50 of ${starts}`,
        unit: "ms",
        faaso: median(stopped),
        peers: { "docker start+200": median(started) },
        ratio: ratioText(median(stopped), median(started), "docker start+200"),
        target: "<= 400 ms",
        pass: median(stopped) <= 400,
      },
      {
        scenario: "12 wake on request",
        metric: "burst of 200 on a paused funko: failed requests",
        unit: "count",
        faaso: failed,
        peers: {},
        ratio: "",
        target: "0",
        pass: failed === 0,
        note: `${counted(instances.length, "instance")} after it`,
      },
      {
        scenario: "12 wake on request",
        metric: "burst of 200: unpause calls (engine events)",
        unit: "count",
        faaso: unpauses.length,
        peers: {},
        ratio: "",
        target: "1",
        pass: unpauses.length === 1,
      },
    );
    ctx.raw.wake = { paused, unpaused, stopped, started, burst: { failed, unpauses: unpauses.length } };
  } finally {
    await run("docker", ["rm", "-f", peer]);
    await removeScaled(SLEEPY);
  }
}
